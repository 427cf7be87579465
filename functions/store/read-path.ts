// The read path: a list (one Query of `#META` and the live reasons, the deleted
// ones when asked), a reason by id and a write's start read (one
// TransactGetItems, a snapshot), the live reasons under a write's lease, and
// the revision check every Query-based read passes (`readAtRevision`): a Query
// is read-committed per item, so what it read is accepted only when every item
// shows the revision `#META` names. A read that runs out of time changed
// nothing and answers busy. May import the domain's types, and the store's
// context, errors, layout, queries, records and retry only.
import { GetCommand, TransactGetCommand } from '../aws/dynamodb.js';
import type { StoredReason } from '../domain/status-reason.js';
import { busy, type StoreContext } from './context.js';
import { DeadlineExceeded, nothingChanged } from './errors.js';
import {
  bucketHolders,
  bucketKey,
  bucketOf,
  DELETED_PREFIX,
  deletedKey,
  isCommitted,
  LIVE_END,
  LIVE_PREFIX,
  liveKey,
  liveReason,
  liveSize,
  META_SK,
  partitionKey,
  recordKey,
  textDigest,
  toMeta,
  toReason,
  type Meta,
  type RecordItem,
} from './layout.js';
import { queryAll, readMeta } from './queries.js';
import { freshRecord } from './records.js';
import { backoffDelay, sleep } from './retry.js';

/** Where the reason a write changes lives now. */
export interface Target {
  reason: StoredReason;
  where: 'live' | 'deleted';
  seq: number | undefined;
  size: number;
}

/** What one TransactGetItems at a write's start read. */
export interface StartRead {
  revision: number;
  target: Target | undefined;
  record: RecordItem | undefined;
  /** The text buckets read, by number: digest → the id that holds it. */
  buckets: Map<number, Record<string, number>>;
}

/** What a write asks to read besides #META. */
export interface StartKeys {
  target?: number | undefined;
  key?: string | undefined;
  /** The text keys whose holders the decision may ask for. */
  textKeys?: readonly string[] | undefined;
}

/** A read that runs out of time changed nothing: it is answered busy, to be sent again. */
export async function readFailure<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw error instanceof DeadlineExceeded ? busy(nothingChanged(error)) : error;
  }
}

/**
 * The reasons at one revision. A Query is not a snapshot (a transaction that
 * commits while it runs may show in part), so `#META` is read again after it:
 * the same revision means no write committed in between. Otherwise, again.
 */
export function readList(
  ctx: StoreContext,
  accountId: string,
  options: { includeDeleted?: boolean },
  deadline: number,
): Promise<{ revision: number; reasons: StoredReason[] }> {
  return readFailure(readConsistent(ctx, partitionKey(accountId), options, deadline));
}

async function readConsistent(
  ctx: StoreContext,
  pk: string,
  options: { includeDeleted?: boolean },
  deadline: number,
): Promise<{ revision: number; reasons: StoredReason[] }> {
  for (let attempt = 0; ; attempt++) {
    const head = await queryAll(ctx, pk, { between: [META_SK, LIVE_END] }, deadline);
    const meta = toMeta(head[0]?.sk === META_SK ? head[0] : undefined);
    const live = head.filter((item) => item.sk !== META_SK && isCommitted(meta, item.id as number));
    const deleted = options.includeDeleted ? await readDeleted(ctx, pk, meta, deadline) : undefined;
    if (readAtRevision(meta, live, deleted)) {
      const again = await readMeta(ctx, pk, deadline);
      if (again.revision === meta.revision) {
        const kept = (deleted ?? []).filter((item) => (item.seq as number) >= meta.historyFloor);
        return { revision: meta.revision, reasons: [...live.map((item) => liveReason(meta, item)), ...kept.map(toReason)] };
      }
    }
    const wait = backoffDelay(Math.min(attempt, 6), { baseMs: 10, maxMs: 250 });
    if (ctx.now() + wait >= deadline) throw busy('Writes to this account kept changing it while it was read; try again shortly.');
    await sleep(wait);
  }
}

/**
 * The account's revision alone: one consistent GetItem of `#META` (at most
 * 1 RCU: `#META` stays under 4 KB at any account size), projected to
 * `revision`. Consistent, so that a caller that was just answered a write sees
 * at least its revision. A list checks the copy it keeps against it
 * (platform/list-copies.ts): a revision names one state of the account.
 */
export async function readRevision(ctx: StoreContext, accountId: string, deadline: number): Promise<number> {
  const out = await readFailure(
    ctx.calls.send<{ Item?: Record<string, unknown> }>(
      'GetItem',
      new GetCommand({
        TableName: ctx.table,
        Key: { pk: partitionKey(accountId), sk: META_SK },
        ConsistentRead: true,
        ProjectionExpression: '#revision',
        ExpressionAttributeNames: { '#revision': 'revision' },
      }),
      deadline,
    ),
  );
  return toMeta(out.Item).revision;
}

/** The committed deleted reasons' items, those below `historyFloor` (dropped, not yet purged) included: the revision check needs every one `meta` wrote. */
async function readDeleted(ctx: StoreContext, pk: string, meta: Meta, deadline: number): Promise<Record<string, unknown>[]> {
  const deleted = await queryAll(ctx, pk, { prefix: DELETED_PREFIX }, deadline);
  return deleted.filter((item) => isCommitted(meta, item.id as number));
}

/** One reason by id, deleted or not, with the revision it was read at (a snapshot: `readStart`). */
export async function readReason(ctx: StoreContext, accountId: string, id: number, deadline: number): Promise<{ revision: number; reason: StoredReason | undefined }> {
  const read = await readFailure(readStart(ctx, partitionKey(accountId), { target: id }, deadline));
  return { revision: read.revision, reason: read.target?.reason };
}

/**
 * One TransactGetItems (a snapshot): `#META`, and, when asked, the reason
 * `target` wherever it may live, the buckets of `textKeys`, and the
 * idempotency record `key`. `attempts: 1` reads speculatively (beside the
 * lease): a conflict with a commit in flight is not waited out. `underLease`:
 * the lease's holder, whose `#META` nobody else can change, leaves `#META`
 * out, so that writers arriving (each writes `#META` once) cannot cancel it.
 */
export async function readStart(
  ctx: StoreContext,
  pk: string,
  wanted: StartKeys,
  deadline: number,
  { attempts = Infinity, underLease }: { attempts?: number; underLease?: Meta } = {},
): Promise<StartRead> {
  const keys = underLease ? startKeys(wanted) : [META_SK, ...startKeys(wanted)];
  const out = await ctx.calls.send<{ Responses?: { Item?: Record<string, unknown> }[] }>(
    'TransactGetItems',
    new TransactGetCommand({ TransactItems: keys.map((sk) => ({ Get: { TableName: ctx.table, Key: { pk, sk } } })) }),
    deadline,
    { attempts },
  );
  const items = (out.Responses ?? []).map((r) => r.Item);
  return underLease ? startFrom(ctx, items, wanted, underLease) : startFrom(ctx, items.slice(1), wanted, toMeta(items[0]));
}

const bucketsOf = (wanted: StartKeys): number[] => [...new Set((wanted.textKeys ?? []).map((k) => bucketOf(textDigest(k))))];

/** The sort keys a write reads besides #META: the reason's live and deleted items, the text buckets, the idempotency record. */
export function startKeys(wanted: StartKeys): string[] {
  const keys: string[] = [];
  if (wanted.target !== undefined) keys.push(liveKey(wanted.target), deletedKey(wanted.target));
  keys.push(...bucketsOf(wanted).map(bucketKey));
  if (wanted.key !== undefined) keys.push(recordKey(wanted.key));
  return keys;
}

/** What a write's read holds: `items` are those of `startKeys(wanted)`, in that order, read at `meta`. */
export function startFrom(ctx: StoreContext, items: ReadonlyArray<Record<string, unknown> | undefined>, wanted: StartKeys, meta: Meta): StartRead {
  const { target: id, key } = wanted;
  const target = id !== undefined ? targetOf(meta, items[0], items[1]) : undefined;
  const first = id !== undefined ? 2 : 0;
  const buckets = new Map(bucketsOf(wanted).map((b, i) => [b, bucketHolders(items[first + i])]));
  const record = key !== undefined ? freshRecord(ctx, items[items.length - 1]) : undefined;
  return { revision: meta.revision, target, record, buckets };
}

/** The reason as a read at `meta` sees it, from its live and deleted items. */
function targetOf(meta: Meta, live: Record<string, unknown> | undefined, deleted: Record<string, unknown> | undefined): Target | undefined {
  if (live && isCommitted(meta, live.id as number)) return { reason: liveReason(meta, live), where: 'live', seq: undefined, size: liveSize(meta, live) };
  if (deleted && isCommitted(meta, deleted.id as number) && (deleted.seq as number) >= meta.historyFloor) {
    return { reason: toReason(deleted), where: 'deleted', seq: deleted.seq as number, size: deleted.size as number };
  }
  return undefined;
}

/** Every live reason item of the account that a read at `meta` sees, as stored (with any `pending`). */
export async function readLiveItems(ctx: StoreContext, pk: string, meta: Meta, deadline: number): Promise<Record<string, unknown>[]> {
  // No write commits under the lease, but the last commit's items may still be
  // appearing one by one (read-committed): read until they all show `meta`'s revision.
  for (let attempt = 0; ; attempt++) {
    const items = await queryAll(ctx, pk, { between: [LIVE_PREFIX, LIVE_END] }, deadline);
    const live = items.filter((item) => isCommitted(meta, item.id as number));
    if (readAtRevision(meta, live, undefined)) return live;
    const wait = backoffDelay(Math.min(attempt, 6), { baseMs: 10, maxMs: 250 });
    if (ctx.now() + wait >= deadline) throw busy('The last write to this account was still being applied when this one read it; nothing was changed. Try again shortly.');
    await sleep(wait);
  }
}

/**
 * Whether the reason items a read found are those of `meta`'s revision, every
 * one. DynamoDB's reads are read-committed per item: while a commit applies, a
 * Query may show some of its items new and others old, `#META` included, so a
 * Query that saw `#META` at revision r may still see a reason as r-1 left it,
 * or already as r+1 writes it. `#META.wrote` names the reasons its commit wrote
 * (ids; negative: written deleted), each stamped `rev` = r: each must show that
 * stamp (deleted: no live item, and its deleted item with that stamp when the
 * read asked for deleted ones); no item may carry a later stamp; and the
 * live ones must number `meta.live` (a reason a later commit deletes, already
 * gone), and the kept deleted ones, when read, `meta.deletedKept` (one a later
 * commit restores, its deleted item already gone). Commits of one account
 * never overlap (each includes `#META`), so every item a commit before r wrote
 * is visible once r's are.
 */
export function readAtRevision(meta: Meta, live: Record<string, unknown>[], deleted: Record<string, unknown>[] | undefined): boolean {
  if (live.length !== meta.live) return false;
  if (deleted && meta.deletedKept !== undefined && deleted.filter((item) => (item.seq as number) >= meta.historyFloor).length !== meta.deletedKept) return false;
  const seen = [...live, ...(deleted ?? [])];
  if (seen.some((item) => typeof item.rev === 'number' && item.rev > meta.revision)) return false;
  const liveById = new Map(live.map((item) => [item.id as number, item]));
  const deletedById = new Map((deleted ?? []).map((item) => [item.id as number, item]));
  for (const written of meta.wrote) {
    const id = Math.abs(written);
    if (written > 0) {
      if (liveById.get(id)?.rev !== meta.revision) return false;
      if (deletedById.has(id)) return false; // restored at r: its deleted item is gone at r
    } else {
      if (liveById.has(id)) return false; // deleted at r: its live item is gone at r
      if (!deleted) continue;
      // Deleted items read too: the one r wrote is there at r (a commit may drop its own from the history, but only a later one purges it).
      if (deletedById.get(id)?.rev !== meta.revision) return false;
    }
  }
  return true;
}
