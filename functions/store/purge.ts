// What a commit cleans up as it goes, a bounded amount each: the items of
// failed writes (dirty id ranges, once no call of theirs can still land), the
// deleted reasons past their byte budget (the floor of the deletion log moves
// past the longest-deleted ones, which are then removed a few at a time), and
// the oldest change-history entries past their age or byte limit (history.ts
// `planPurge`). Nothing here writes: each function returns the deletes and the
// bounds its commit carries. May import the store's batch types, context,
// history, layout, queries and retry only.
import type { TransactItem, WriteRequestItem } from './batch.js';
import { busy, type StoreContext, type WriteSettings } from './context.js';
import { entryKeys, headKey, mustPurge, planPurge, PURGE_READ, toHead, type Head, type KeepLimits } from './history.js';
import { deletedKey, liveKey, LOG_PREFIX, logKey, type DirtyRange, type Meta } from './layout.js';
import { queryAll } from './queries.js';
import { backoffDelay, sleep } from './retry.js';

/**
 * The dirty ranges after this commit, and the deletes that clean them. Ids of
 * earlier writers that never committed (below this lease's first id, above
 * `committedHigh`) become a range; a range older than `dirtyGraceMs` loses up
 * to `cleanupMax` ids' items in all. `budget`: what is left of `cleanupMax`.
 */
export function cleanDirty(
  pk: string,
  meta: Meta,
  firstId: number,
  now: number,
  settings: Pick<WriteSettings, 'cleanupMax' | 'dirtyGraceMs'>,
): { dirty: DirtyRange[]; cleanup: WriteRequestItem[]; budget: number } {
  const dirty: DirtyRange[] = meta.dirty.map((range) => ({ ...range })); // copies: cleaned ranges shrink below
  if (meta.committedHigh < firstId) dirty.push({ from: meta.committedHigh, to: firstId, since: now });
  const cleanup: WriteRequestItem[] = [];
  let budget = settings.cleanupMax;
  for (const range of dirty) {
    if (budget <= 0 || range.since > now - settings.dirtyGraceMs) continue;
    const to = Math.min(range.to, range.from + budget);
    for (let id = range.from; id < to; id++) {
      cleanup.push({ DeleteRequest: { Key: { pk, sk: liveKey(id) } } }, { DeleteRequest: { Key: { pk, sk: deletedKey(id) } } });
    }
    budget -= to - range.from;
    range.from = to;
  }
  return { dirty: dirty.filter((r) => r.from < r.to), cleanup, budget };
}

/** Log entries read per Query while dropping. */
const LOG_PAGE = 200;

/** Where the history's floor goes, what the kept history then weighs, and how many kept deleted reasons it drops. */
interface Dropping {
  historyFloor: number;
  historyBytes: number;
  dropped: number;
}

/**
 * Moves the history's floor past the longest-deleted reasons until the
 * history fits its budget (`max`) again: the deletion log from its floor, then
 * this write's own entries (`items`, the commit's actions). Reads only as much
 * of the log as it drops. `dropped`: how many deleted reasons stop being kept
 * (those this write restores are not counted again).
 *
 * The log must be read as `meta`'s commit left it. That commit may still be
 * applying when this write (handed the lease in it) reads: a Query is
 * read-committed per item, so a reason it restored can still show its entry
 * (dropped again, the kept count would go one too low) and one it deleted not
 * yet show its own (the floor would pass it uncounted). Either leaves
 * `deletedKept` wrong for good, and every list with the deleted reasons would
 * then answer 503. So a read that shows an entry of a reason `meta` wrote live,
 * or that reaches the log's end with other than `deletedKept` entries, is read
 * again; out of time, the write is refused as busy (nothing written).
 */
export async function dropOldest(
  ctx: StoreContext,
  pk: string,
  meta: Meta,
  historyBytes: number,
  items: readonly TransactItem[],
  max: number,
  deadline: number,
): Promise<Dropping> {
  for (let attempt = 0; ; attempt++) {
    const dropping = await walkLog(ctx, pk, meta, historyBytes, items, max, deadline);
    if (dropping) return dropping;
    const wait = backoffDelay(Math.min(attempt, 6), { baseMs: 10, maxMs: 250 });
    if (ctx.now() + wait >= deadline) throw busy('The last write to this account was still being applied when this one read its history; nothing was changed. Try again shortly.');
    await sleep(wait);
  }
}

/** One pass of `dropOldest` (its arguments); undefined when what it read is not the log as `meta` wrote it. */
async function walkLog(...[ctx, pk, meta, historyBytes, items, max, deadline]: Parameters<typeof dropOldest>): Promise<Dropping | undefined> {
  let { historyFloor } = meta;
  let bytes = historyBytes;
  let dropped = 0;
  // This write's log entries: new ones, and any it rewrites (a deleted reason edited in place).
  const pending = new Map<number, number>();
  for (const action of items) {
    const item = action.Put?.Item;
    if (item && (item.sk as string).startsWith(LOG_PREFIX)) pending.set(item.seq as number, item.size as number);
  }
  const removed = new Set(items.flatMap((a) => (a.Delete && (a.Delete.Key!.sk as string).startsWith(LOG_PREFIX) ? [a.Delete.Key!.sk as string] : [])));
  // Live at `meta`'s revision: none of them has a log entry then.
  const liveAtMeta = new Set(meta.wrote.filter((id) => id > 0));
  // Entries read from the floor on; at the log's end they must be every kept one `meta` counts.
  let read = 0;
  const sawEveryKept = () => meta.deletedKept === undefined || read === meta.deletedKept;
  while (bytes > max && historyFloor < meta.deleteSeq) {
    const page = await queryAll(ctx, pk, { from: logKey(historyFloor), to: logKey(meta.deleteSeq - 1), limit: LOG_PAGE }, deadline);
    if (page.some((entry) => liveAtMeta.has(entry.reasonId as number))) return undefined;
    if (!page.length) {
      if (!sawEveryKept()) return undefined;
      historyFloor = meta.deleteSeq;
      break;
    }
    let stoppedShort = false;
    for (const entry of page) {
      if (bytes <= max) {
        stoppedShort = true;
        break;
      }
      read++;
      const seq = entry.seq as number;
      if (!removed.has(entry.sk as string)) {
        bytes -= pending.get(seq) ?? (entry.size as number);
        dropped++;
      }
      historyFloor = seq + 1;
    }
    if (!stoppedShort && page.length < LOG_PAGE && !sawEveryKept()) return undefined;
  }
  for (const [seq, size] of [...pending].sort(([a], [b]) => a - b)) {
    if (bytes <= max) break;
    if (seq < historyFloor) continue;
    bytes -= size;
    dropped++;
    historyFloor = seq + 1;
  }
  return { historyFloor, historyBytes: bytes, dropped };
}

/**
 * Removes, for good, up to `budget` reasons that an earlier commit dropped
 * (below `meta.historyFloor`, no longer seen) with their log entries; returns
 * the deletes and the new `purgedTo`.
 */
export async function purgeDropped(ctx: StoreContext, pk: string, meta: Meta, budget: number, deadline: number): Promise<{ purgedTo: number; cleanup: WriteRequestItem[] }> {
  let { purgedTo } = meta;
  const cleanup: WriteRequestItem[] = [];
  if (purgedTo < meta.historyFloor && budget > 0) {
    const log = await queryAll(ctx, pk, { from: logKey(purgedTo), to: logKey(meta.historyFloor - 1), limit: budget }, deadline);
    for (const entry of log) {
      cleanup.push({ DeleteRequest: { Key: { pk, sk: deletedKey(entry.reasonId as number) } } }, { DeleteRequest: { Key: { pk, sk: entry.sk as string } } });
      purgedTo = (entry.seq as number) + 1;
    }
    if (log.length < budget) purgedTo = meta.historyFloor;
  }
  return { purgedTo, cleanup };
}

/**
 * The change history's bounds after this write's entry, and the deletes of the
 * oldest entries that go (history.ts `planPurge`). Reads the oldest heads only
 * when a limit is passed: at most PURGE_READ small items.
 */
export async function planHistory(
  ctx: StoreContext,
  pk: string,
  meta: Meta,
  added: { revision: number; bytes: number; at: number },
  limits: KeepLimits,
  deadline: number,
): Promise<{ bounds: Partial<Meta>; drops: TransactItem[] }> {
  let heads: Head[] = [];
  if (mustPurge(meta, added.bytes, added.at, limits)) {
    const items = await queryAll(ctx, pk, { from: headKey(meta.changesOldest!), to: headKey(added.revision - 1), limit: PURGE_READ }, deadline);
    heads = items.map(toHead);
  }
  const { drop, bounds } = planPurge(meta, heads, added, limits);
  const drops = drop.flatMap((head) => entryKeys(head).map((sk): TransactItem => ({ Delete: { TableName: ctx.table, Key: { pk, sk } } })));
  return { bounds, drops };
}
