// What a write's commit writes, planned from the domain's decision: the
// reasons (their old versions stop counting where they counted), the text
// buckets' digests (set and removed by attribute, so no bucket is read to be
// written), a reorder's moved reasons (in the commit, or as pending values
// before it), and the update of `#META` (revision, counts, `wrote`, the
// housekeeping of purge.ts, the lease handed on). Nothing here sends a write;
// it reads only what the housekeeping needs. May import the domain's types,
// and the store's batch types, context, history, layout, lease (`endLease`),
// purge and read path (types) only.
import { textKey, wireSize, type StatusReason, type StoredReason } from '../domain/status-reason.js';
import type { OrderChange } from '../domain/store.js';
import type { TransactItem, WriteRequestItem } from './batch.js';
import type { StoreContext, WriteSettings } from './context.js';
import { PURGE_ACTIONS_MAX } from './history.js';
import {
  bucketKey,
  bucketOf,
  committedPending,
  deletedKey,
  liveKey,
  liveReason,
  liveSize,
  logItem,
  logKey,
  META_SK,
  metaAssignments,
  reasonItem,
  textDigest,
  type Meta,
  type PendingOrder,
} from './layout.js';
import { endLease, nextHoldMs, type Lease } from './lease.js';
import { cleanDirty, dropOldest, purgeDropped } from './purge.js';
import type { Target } from './read-path.js';

/** TransactWriteItems takes at most 100 actions. */
export const TRANSACTION_MAX = 100;
/** What a commit has left for reasons: besides them it holds #META, the history head and purge, and maybe an idempotency record. */
export const COMMIT_ROOM = TRANSACTION_MAX - 3 - PURGE_ACTIONS_MAX;

/** A commit as planned: the update of `#META`, the buckets' updates, the items, and the cleanup deletes sent before it. */
export interface CommitPlan {
  metaUpdate: NonNullable<TransactItem['Update']>;
  buckets: TransactItem[];
  items: TransactItem[];
  cleanup: WriteRequestItem[];
}

/** What a plan writes, and the housekeeping that rides along with it. */
export async function planCommit(
  ctx: StoreContext,
  settings: WriteSettings,
  pk: string,
  lease: Lease,
  meta: Meta,
  reasons: StatusReason[],
  target: Target | undefined,
  revision: number,
  deadline: number,
  /** Live reasons the commit also updates in place (an inline reorder), for `wrote`. */
  updatedIds: readonly number[] = [],
  /** Waiters whose creates the commit carries (group.ts): their places go, on condition that they are still there, and their answers are written. */
  group?: { tokens: readonly string[]; answered: Record<string, unknown> },
): Promise<CommitPlan> {
  const now = ctx.now();
  const texts = new BucketChanges();
  let { live, liveBytes, historyBytes, lowestOrder, deleteSeq, deletedKept } = meta;
  const countKept = (delta: number) => (deletedKept = deletedKept === undefined ? undefined : deletedKept + delta);
  const items: TransactItem[] = [];
  const put = (item: object) => items.push({ Put: { TableName: ctx.table, Item: item as Record<string, unknown> } });
  const remove = (sk: string) => items.push({ Delete: { TableName: ctx.table, Key: { pk, sk } } });

  for (const plain of reasons) {
    const reason: StoredReason = { ...plain, modifiedAt: now, modifiedRegion: settings.region };
    const size = wireSize(reason);
    // What it replaces: its old version stops counting where it counted.
    if (target && target.reason.id === reason.id) {
      if (target.where === 'live') {
        live--;
        liveBytes -= target.size;
        texts.remove(textKey(target.reason.text));
        if (reason.deleted) remove(liveKey(reason.id));
      } else {
        historyBytes -= target.size;
        if (!reason.deleted) {
          remove(deletedKey(reason.id));
          remove(logKey(target.seq!));
          countKept(-1);
        }
      }
    }
    if (reason.deleted) {
      // Kept in the deletion log; a deleted reason edited in place keeps its place.
      const inPlace = target?.where === 'deleted' && target.reason.id === reason.id;
      const seq = inPlace ? target.seq! : deleteSeq++;
      if (!inPlace) countKept(1);
      put(reasonItem(pk, reason, revision, size, seq));
      put(logItem(pk, seq, reason.id, size));
      historyBytes += size;
    } else {
      put(reasonItem(pk, reason, revision, size));
      texts.set(textKey(reason.text), reason.id);
      live++;
      liveBytes += size;
    }
    if (lowestOrder === undefined || reason.order < lowestOrder) lowestOrder = reason.order;
  }

  // Ids of failed writes: those of earlier writers that never committed become a dirty range.
  const { dirty, cleanup, budget } = cleanDirty(pk, meta, lease.firstId, now, settings);
  // The history's budget: drop the longest-deleted reasons.
  let { historyFloor } = meta;
  if (historyBytes > settings.historyBytesMax) {
    let dropped: number;
    ({ historyFloor, historyBytes, dropped } = await dropOldest(ctx, pk, meta, historyBytes, items, settings.historyBytesMax, deadline));
    countKept(-dropped);
  }
  // Dropped reasons go for good a few at a time (they are no longer seen).
  const purged = await purgeDropped(ctx, pk, meta, budget, deadline);
  cleanup.push(...purged.cleanup);

  const { set, values } = metaAssignments({
    ...meta,
    committedHigh: meta.nextId,
    dirty,
    live,
    liveBytes,
    historyBytes,
    lowestOrder,
    deleteSeq,
    historyFloor,
    deletedKept,
    purgedTo: purged.purgedTo,
  });
  set.unshift('revision = :revision', 'wrote = :wrote');
  values[':revision'] = revision;
  // What this commit wrote, for reads to check each item at this revision (readAtRevision).
  values[':wrote'] = [...reasons.map((r) => (r.deleted ? -r.id : r.id)), ...updatedIds];
  values[':token'] = lease.token;
  // How long a turn takes (from being given the lease to this commit), for the waiters' timing.
  set.push('holdMs = :holdMs');
  values[':holdMs'] = nextHoldMs(lease.holdMs, now - lease.since);
  // The lease goes to the oldest waiter this writer knows of, its ids after this write's.
  const end = endLease(lease, meta.nextId, now, settings.leaseMs);
  // The answers of the waiters this commit carries; a commit that carries none clears the last ones (group.ts: answerFromHistory).
  const conditions = ['lockToken = :token'];
  if (group?.tokens.length) {
    set.push('answered = :answered');
    values[':answered'] = group.answered;
    group.tokens.forEach((token, i) => {
      end.names[`#gm${i}`] = token;
      end.remove.push(`line.#gm${i}`);
      conditions.push(`attribute_exists(line.#gm${i})`);
    });
  } else {
    end.remove.push('answered');
  }
  const metaUpdate = {
    TableName: ctx.table,
    Key: { pk, sk: META_SK },
    UpdateExpression: `SET ${[...set, ...end.set].join(', ')} REMOVE ${end.remove.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: end.names,
    ExpressionAttributeValues: { ...values, ...end.values },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
  return { metaUpdate, buckets: texts.updates(ctx.table, pk), items, cleanup };
}

/**
 * A reorder's writes: the moved reasons' new order, size and modification
 * stamp, and `meta` as the commit leaves it (live size, lowest order). Up to
 * `reorderInlineMax` moves ride in the commit as UpdateItems. More cannot, so
 * they become pending values (layout.ts, "Large reorders"): the moved reasons,
 * and the previous large reorder's reasons that still carry its pending values,
 * are put whole before the commit (BatchWriteItem takes `Put`s, not `Update`s),
 * and the commit names this write's token in `#META.orderGen`, which makes all
 * of the new values count at once.
 */
export function planReorder(
  ctx: StoreContext,
  settings: WriteSettings,
  pk: string,
  lease: Lease,
  meta: Meta,
  changes: readonly OrderChange[],
  liveItems: readonly Record<string, unknown>[],
  revision: number,
): { items: TransactItem[]; meta: Meta; large: boolean } {
  const now = ctx.now();
  const byId = new Map(liveItems.map((item) => [item.id as number, item]));
  const large = changes.length > settings.reorderInlineMax;
  const items: TransactItem[] = [];
  const put = (item: Record<string, unknown>) => items.push({ Put: { TableName: ctx.table, Item: item } });
  let { liveBytes, lowestOrder } = meta;
  const moved = new Set<number>();
  for (const { id, order } of changes) {
    const item = byId.get(id);
    if (!item) throw new Error(`planReorder: reason ${id} is not live`); // the decision saw only live reasons
    moved.add(id);
    const current = liveReason(meta, item);
    const currentSize = liveSize(meta, item);
    const size = wireSize({ ...current, order });
    liveBytes += size - currentSize;
    if (lowestOrder === undefined || order < lowestOrder) lowestOrder = order;
    if (!large) {
      items.push({
        Update: {
          TableName: ctx.table,
          Key: { pk, sk: liveKey(id) },
          UpdateExpression: 'SET #order = :order, #size = :size, modifiedAt = :at, modifiedRegion = :region, rev = :rev REMOVE pending',
          ExpressionAttributeNames: { '#order': 'order', '#size': 'size' },
          ExpressionAttributeValues: { ':order': order, ':size': size, ':at': now, ':region': settings.region, ':rev': revision },
        },
      });
      continue;
    }
    // The reason as reads see it now, and the values that count once the commit names this token.
    const pending: PendingOrder = { gen: lease.token, order, size, modifiedAt: now, modifiedRegion: settings.region };
    const { pending: _replaced, ...stored } = item;
    put({ ...stored, order: current.order, size: currentSize, modifiedAt: current.modifiedAt, modifiedRegion: current.modifiedRegion, pending });
  }
  if (large) {
    // The previous large reorder's values stop counting once #META names this one: make them plain values first.
    for (const item of liveItems) {
      const pending = committedPending(meta, item);
      if (!pending || moved.has(item.id as number)) continue;
      const { pending: _folded, ...stored } = item;
      put({ ...stored, order: pending.order, size: pending.size, modifiedAt: pending.modifiedAt, modifiedRegion: pending.modifiedRegion });
    }
  }
  return { items, meta: { ...meta, liveBytes, lowestOrder, orderGen: large ? lease.token : meta.orderGen }, large };
}

/**
 * The changes a commit makes to the text buckets: digests set (a live reason
 * takes a text) and removed (it gives one up), as one UpdateItem per bucket,
 * by attribute path, so that no bucket needs reading to be changed.
 */
class BucketChanges {
  private readonly byBucket = new Map<number, { set: Map<string, number>; remove: Set<string> }>();

  private of(digest: string) {
    const bucket = bucketOf(digest);
    let changes = this.byBucket.get(bucket);
    if (!changes) this.byBucket.set(bucket, (changes = { set: new Map(), remove: new Set() }));
    return changes;
  }

  set(key: string, id: number): void {
    const digest = textDigest(key);
    const changes = this.of(digest);
    changes.remove.delete(digest);
    changes.set.set(digest, id);
  }

  remove(key: string): void {
    const digest = textDigest(key);
    this.of(digest).remove.add(digest);
  }

  updates(table: string, pk: string): TransactItem[] {
    const actions: TransactItem[] = [];
    for (const [bucket, { set, remove }] of this.byBucket) {
      for (const digest of set.keys()) remove.delete(digest); // taken again in the same write: set wins
      if (!set.size && !remove.size) continue;
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      const sets = [...set].map(([digest, id], i) => ((names[`#s${i}`] = digest), (values[`:s${i}`] = id), `#s${i} = :s${i}`));
      const removes = [...remove].map((digest, i) => ((names[`#r${i}`] = digest), `#r${i}`));
      actions.push({
        Update: {
          TableName: table,
          Key: { pk, sk: bucketKey(bucket) },
          UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
          ExpressionAttributeNames: names,
          ...(sets.length && { ExpressionAttributeValues: values }),
        },
      });
    }
    return actions;
  }
}
