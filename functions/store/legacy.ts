// Layout 1, the one before layout.ts: every reason, deleted or not, as
// `REASON#<id>` beside a `#META` of { revision, nextId, committedHigh, lock }.
// Accounts written by it keep working: reads read it as it is, and the first
// write under the new code migrates it, under its lease, before it decides:
//
//  - live reasons are copied to `#R#<id>` (at most 1,000 puts), their text
//    digests to the 16 buckets, and `#META` gets what the rules need (counts,
//    sizes, lowest order);
//  - deleted reasons stay where they are, as the oldest part of the history
//    (`legacyHigh`/`legacyFloor` say which are still kept): moving them would
//    cost a write per deleted reason, unbounded, in one request;
//  - the ids layout 1 allocated but never committed are skipped;
//  - `#META` gets the fence (lease.ts LEGACY_FENCE) that keeps any layout-1
//    writer still running during a deployment from taking the lease again.
//
// The migration reads the whole partition once; after it, nothing reads more
// than the live reasons and the one a write changes.
import { DomainError } from '../domain/errors.js';
import { textKey, wireSize, type StoredReason } from '../domain/status-reason.js';
import type { DynamoStatusReasonStore } from './dynamo-store.js';
import { LEGACY_FENCE, updateMeta, type Lease } from './lease.js';
import { bucketKey, bucketOf, LAYOUT, LEGACY_PREFIX, metaAssignments, partitionKey, reasonItem, textDigest, toReason, type Meta } from './layout.js';

/** A layout-1 item that a layout-2 account still shows, as a deleted reason of its history. */
export const isLegacyVisible = (meta: Meta, item: Record<string, unknown>): boolean =>
  item.deleted === true && (item.id as number) < meta.legacyHigh && (item.id as number) >= meta.legacyFloor;

/** An account not yet migrated, read as layout 1 read it: the ids below `committedHigh`. */
export async function readLegacyAccount(store: DynamoStatusReasonStore, pk: string, meta: Meta, includeDeleted: boolean, deadline: number): Promise<StoredReason[]> {
  const items = await store.queryAll(pk, { prefix: LEGACY_PREFIX }, deadline);
  return items.filter((item) => (item.id as number) < meta.committedHigh && (includeDeleted || item.deleted !== true)).map(toReason);
}

/** Migrates a layout-1 account to layout 2 under the write's lease; the revision does not move. */
export async function migrateLegacy(store: DynamoStatusReasonStore, accountId: string, lease: Lease, deadline: number): Promise<Meta> {
  const pk = partitionKey(accountId);
  const old = lease.meta;
  const items = await store.queryAll(pk, { prefix: LEGACY_PREFIX }, deadline);
  // The text buckets, built whole: digest → id, per bucket.
  const buckets = new Map<number, Record<string, unknown>>();
  let live = 0;
  let liveBytes = 0;
  let historyBytes = 0;
  let lowestOrder: number | undefined;
  const copies: Record<string, unknown>[] = [];
  for (const item of items) {
    if ((item.id as number) >= old.committedHigh) continue; // never committed
    const reason = toReason(item);
    if (lowestOrder === undefined || reason.order < lowestOrder) lowestOrder = reason.order;
    const size = wireSize(reason);
    if (reason.deleted) {
      historyBytes += size;
      continue;
    }
    live++;
    liveBytes += size;
    const digest = textDigest(textKey(reason.text));
    const bucket = bucketOf(digest);
    if (!buckets.has(bucket)) buckets.set(bucket, { pk, sk: bucketKey(bucket) });
    buckets.get(bucket)![digest] = reason.id;
    copies.push({ ...reasonItem(pk, reason, typeof item.rev === 'number' ? item.rev : old.revision, size) });
  }
  const puts = [...copies, ...buckets.values()];
  if (puts.length) await store.batchWrite(puts.map((item) => ({ PutRequest: { Item: item } })), deadline);

  const meta: Meta = {
    ...old,
    layout: LAYOUT,
    // Ids layout 1 allocated but never committed hold no layout-2 items: skip them.
    committedHigh: lease.firstId,
    dirty: [],
    live,
    liveBytes,
    historyBytes,
    lowestOrder,
    deleteSeq: 1,
    historyFloor: 1,
    purgedTo: 1,
    legacyHigh: old.committedHigh,
    legacyFloor: 0,
  };
  const { set, values } = metaAssignments(meta);
  const migrated = await updateMeta(
    store.calls,
    store.table,
    accountId,
    {
      UpdateExpression: `SET ${set.join(', ')}, nextUp = :fence, nextUpSince = :zero, nextUpExpires = :forever`,
      ConditionExpression: 'lockToken = :token',
      ExpressionAttributeValues: { ...values, ':fence': LEGACY_FENCE.nextUp, ':zero': LEGACY_FENCE.nextUpSince, ':forever': LEGACY_FENCE.nextUpExpires, ':token': lease.token },
    },
    deadline,
  );
  if (!migrated) throw new DomainError('busy', 'The write took too long and lost its turn; nothing was changed. Try again.');
  return meta;
}
