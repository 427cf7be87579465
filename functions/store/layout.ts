// How an account's data lies in DynamoDB (layout 2). One partition per account,
// `pk = ACCOUNT#<accountId>`; the sort keys:
//
//   #META           the account: revision, id allocation, what the rules need
//                   (counts, sizes, lowest order), the history's bounds, the
//                   write lease and its line (lease.ts), and the answers of the
//                   creates the last commit carried (group.ts). Its size does
//                   not grow with the account: under 1 KB, up to about 4 KB
//                   while creates that may be carried wait in the line.
//   #R#<id>         a reason that is not deleted.
//   #T#<nn>         one of 16 buckets of text digests: digest → the id of the
//                   live reason with that text (uniqueness).
//   D#<id>          a deleted reason (with `seq`, its place in the deletion log).
//   X#<seq>         the deletion log: which reason was deleted `seq`-th, and its size.
//   K#<key>         an idempotency record: the first answer to a keyed write.
//   H#<rev>, HP#<rev>#<k>  the change history: one entry per successful write (history.ts).
//
// `#META` sorts right before `#R#` (and `#T#` right after it), so one Query
// (`sk BETWEEN #META AND #R#~`) reads the account and its live reasons and
// nothing else: a list does not read deleted reasons, and no write reads any
// reason but the one it changes, nor any bucket but those of the texts it sets.
//
// Visibility. Ids are allocated to a write when it takes the lease; a create
// writes its reasons before it commits, so `committedHigh` marks which ids are
// committed: a reason is seen only when its id is below `committedHigh` and not
// in a `dirty` range (ids of writes that may have written and then failed; they
// are deleted later and the range dropped). A deleted reason is seen only while
// its `seq` is at or above `historyFloor` (the history is bounded: the
// longest-deleted reasons are dropped first).
//
// Large reorders. A reorder that moves more reasons than one transaction holds
// cannot change their `order` in its commit. It writes each moved reason
// before it commits (BatchWriteItem, as a large create writes its reasons),
// keeping the reason's current values and adding `pending` (the new order, size
// and modification stamp) marked with the write's lease token; its commit then
// sets `#META.orderGen` to that token. A read applies `pending` only when its
// mark is `#META.orderGen` (`liveReason`): before the commit no read sees any
// of the new orders, after it every read sees all of them; a reorder that
// failed left marks no commit ever names (tokens are never reused). Only the
// last large reorder's mark counts, so the next large reorder first folds the
// previous one's pending values into `order` (a rewrite that no read can tell
// apart), and every other write of a reason writes it without `pending`.
import { createHash } from 'node:crypto';
import type { ReasonState, StatusReason, StoredReason } from '../domain/status-reason.js';

export const LAYOUT = 2;
export const META_SK = '#META';
export const LIVE_PREFIX = '#R#';
export const DELETED_PREFIX = 'D#';
export const LOG_PREFIX = 'X#';
export const RECORD_PREFIX = 'K#';
export const BUCKET_PREFIX = '#T#';
/**
 * How many buckets the text digests are spread over. A one-reason write reads
 * and writes one bucket (about 60 digests, ~1 KB, at 1,000 live reasons); a
 * 100-reason create touches all 16 (32 write units in its transaction).
 */
export const TEXT_BUCKETS = 16;
/** The upper end of the live range in a Query (`~` sorts after every digit). */
export const LIVE_END = `${LIVE_PREFIX}~`;

const pad = (n: number) => String(n).padStart(16, '0');
export const partitionKey = (accountId: string) => `ACCOUNT#${accountId}`;
export const liveKey = (id: number) => `${LIVE_PREFIX}${pad(id)}`;
export const deletedKey = (id: number) => `${DELETED_PREFIX}${pad(id)}`;
export const logKey = (seq: number) => `${LOG_PREFIX}${pad(seq)}`;
export const recordKey = (key: string) => `${RECORD_PREFIX}${key}`;
export const bucketKey = (bucket: number) => `${BUCKET_PREFIX}${String(bucket).padStart(2, '0')}`;

/**
 * The digest a live text is known by in its bucket (an attribute named by the
 * digest, valued with the id that holds the text): 72 bits of SHA-256 of its
 * text key. With 1,000 live texts the chance that two differ and share a digest
 * is about 10^-16.
 */
export const textDigest = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 12);

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The bucket a digest lives in: its first character, 64 values, spread over TEXT_BUCKETS. */
export const bucketOf = (digest: string) => BASE64URL.indexOf(digest[0]!) % TEXT_BUCKETS;

/** A bucket item's digests (every attribute but the keys). */
export function bucketHolders(item: Record<string, unknown> | undefined): Record<string, number> {
  const holders: Record<string, number> = {};
  for (const [name, value] of Object.entries(item ?? {})) if (name !== 'pk' && name !== 'sk' && typeof value === 'number') holders[name] = value;
  return holders;
}

/** A range of ids that may hold items of a write that never committed. */
export interface DirtyRange {
  from: number;
  to: number;
  /** When it was marked (epoch ms): it is cleaned only once no write of it can still land. */
  since: number;
}

/** `#META` as the store reads it. A missing item is a new account. */
export interface Meta {
  revision: number;
  /** The next id to allocate. */
  nextId: number;
  /** Ids below it are committed, or in a dirty range. */
  committedHigh: number;
  dirty: DirtyRange[];
  live: number;
  liveBytes: number;
  historyBytes: number;
  lowestOrder: number | undefined;
  /** The next place in the deletion log. */
  deleteSeq: number;
  /** Deleted reasons whose `seq` is below it are no longer kept. */
  historyFloor: number;
  /** Log entries below it have been removed for good (with their reasons). */
  purgedTo: number;
  /**
   * How many deleted reasons are kept (`seq` at or above `historyFloor`): what a
   * list of deleted reasons at this revision must find, since a later commit can
   * take a deleted item away (a restore) while the list reads. Undefined on an
   * account whose `#META` predates the count (its lists skip that check).
   */
  deletedKept: number | undefined;
  /** The reasons the latest commit wrote, each stamped with its revision (negative: written deleted). */
  wrote: number[];
  /** The lease token of the last large reorder that committed: the mark of the `pending` values that count. */
  orderGen: string | undefined;
  /** The change history's bounds (history.ts): the oldest kept revision, when it was written, the kept entries' bytes. */
  changesOldest: number | undefined;
  changesOldestAt: number | undefined;
  changesBytes: number;
}

const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

export function toMeta(item: Record<string, unknown> | undefined): Meta {
  const dirty = Array.isArray(item?.dirty) ? (item!.dirty as number[]) : [];
  const ranges: DirtyRange[] = [];
  for (let i = 0; i + 2 < dirty.length; i += 3) {
    ranges.push({ from: dirty[i]!, to: dirty[i + 1]!, since: dirty[i + 2]! });
  }
  return {
    revision: num(item?.revision, 0),
    nextId: num(item?.nextId, 1),
    committedHigh: num(item?.committedHigh, 1),
    dirty: ranges,
    live: num(item?.live, 0),
    liveBytes: num(item?.liveBytes, 0),
    historyBytes: num(item?.historyBytes, 0),
    lowestOrder: typeof item?.lowestOrder === 'number' ? item.lowestOrder : undefined,
    deleteSeq: num(item?.deleteSeq, 1),
    historyFloor: num(item?.historyFloor, 1),
    purgedTo: num(item?.purgedTo, 1),
    // An account never committed to (no #META, or only a lease's) has none; an older one that never counted stays uncounted.
    deletedKept: typeof item?.deletedKept === 'number' ? item.deletedKept : typeof item?.revision === 'number' ? undefined : 0,
    wrote: Array.isArray(item?.wrote) ? (item!.wrote as unknown[]).map(Number) : [],
    orderGen: typeof item?.orderGen === 'string' ? item.orderGen : undefined,
    changesOldest: typeof item?.changesOldest === 'number' ? item.changesOldest : undefined,
    changesOldestAt: typeof item?.changesOldestAt === 'number' ? item.changesOldestAt : undefined,
    changesBytes: num(item?.changesBytes, 0),
  };
}

export const flattenDirty = (ranges: DirtyRange[]): number[] => ranges.flatMap((r) => [r.from, r.to, r.since]);

/**
 * The part of an update of `#META` that writes what a commit decided: ids, counts, sizes, the history's bounds. `lowestOrder` is
 * left alone while undefined (an account with no reasons yet).
 */
export function metaAssignments(meta: Meta): { set: string[]; values: Record<string, unknown> } {
  const fields: Record<string, unknown> = {
    layout: LAYOUT,
    committedHigh: meta.committedHigh,
    dirty: flattenDirty(meta.dirty),
    live: meta.live,
    liveBytes: meta.liveBytes,
    historyBytes: meta.historyBytes,
    deleteSeq: meta.deleteSeq,
    historyFloor: meta.historyFloor,
    purgedTo: meta.purgedTo,
    ...(meta.deletedKept !== undefined && { deletedKept: meta.deletedKept }),
    ...(meta.lowestOrder !== undefined && { lowestOrder: meta.lowestOrder }),
    ...(meta.orderGen !== undefined && { orderGen: meta.orderGen }),
    ...(meta.changesOldest !== undefined && { changesOldest: meta.changesOldest, changesOldestAt: meta.changesOldestAt, changesBytes: meta.changesBytes }),
  };
  return {
    set: Object.keys(fields).map((name) => `${name} = :${name}`),
    values: Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value])),
  };
}

/** Whether an id belongs to a committed write. */
export const isCommitted = (meta: Meta, id: number): boolean => id < meta.committedHigh && !meta.dirty.some((r) => id >= r.from && id < r.to);

/** A reason item (live or deleted): the reason's fields, and what the store keeps beside them. */
export interface ReasonItem extends StoredReason {
  pk: string;
  sk: string;
  /** The revision that last wrote it. */
  rev: number;
  /** `wireSize` of the reason. */
  size: number;
  /** Deleted reasons: the place in the deletion log. */
  seq?: number;
  /** Live reasons: a large reorder's values, which count once `#META.orderGen` is `gen` (see the top of this file). */
  pending?: PendingOrder;
}

/** What a large reorder changes of a live reason, marked with its lease token. */
export interface PendingOrder {
  gen: string;
  order: number;
  size: number;
  modifiedAt: number;
  modifiedRegion: string;
}

/** The pending values of a live reason item, if a committed large reorder made them its values. */
export function committedPending(meta: Meta, item: Record<string, unknown>): PendingOrder | undefined {
  const pending = item.pending as PendingOrder | undefined;
  return pending && meta.orderGen !== undefined && pending.gen === meta.orderGen ? pending : undefined;
}

/** A live reason item as a read at `meta` sees it: with a committed large reorder's values. */
export function liveReason(meta: Meta, item: Record<string, unknown>): StoredReason {
  const reason = toReason(item);
  const pending = committedPending(meta, item);
  if (pending) Object.assign(reason, { order: pending.order, modifiedAt: pending.modifiedAt, modifiedRegion: pending.modifiedRegion });
  return reason;
}

/** Its `size` (`wireSize`) as a read at `meta` sees it. */
export const liveSize = (meta: Meta, item: Record<string, unknown>): number => committedPending(meta, item)?.size ?? (item.size as number);

export function toReason(item: Record<string, unknown>): StoredReason {
  const reason: StoredReason = {
    id: item.id as number,
    text: item.text as string,
    state: item.state as ReasonState,
    enabled: item.enabled as boolean,
    deleted: item.deleted as boolean,
    order: item.order as number,
  };
  if (item.description !== undefined) reason.description = item.description as string;
  if (item.tags !== undefined) reason.tags = item.tags as Record<string, string>;
  if (typeof item.modifiedAt === 'number') reason.modifiedAt = item.modifiedAt;
  if (typeof item.modifiedRegion === 'string') reason.modifiedRegion = item.modifiedRegion;
  return reason;
}

export function reasonItem(pk: string, reason: StoredReason, rev: number, size: number, seq?: number): ReasonItem {
  const item: ReasonItem = { pk, sk: reason.deleted ? deletedKey(reason.id) : liveKey(reason.id), rev, size, ...reason };
  if (reason.deleted) item.seq = seq;
  return item;
}

/** A deletion log entry (`reasonId`, not `id`: only reason items carry an `id`). */
export interface LogItem {
  pk: string;
  sk: string;
  seq: number;
  reasonId: number;
  size: number;
}

export const logItem = (pk: string, seq: number, reasonId: number, size: number): LogItem => ({ pk, sk: logKey(seq), seq, reasonId, size });

/** An idempotency record. */
export interface RecordItem {
  pk: string;
  sk: string;
  fingerprint: string;
  /** The domain's answer, as JSON. */
  answer: string;
  revision: number;
  /** Epoch ms after which the record no longer counts. */
  expiresAt: number;
  /** Epoch seconds: DynamoDB's time-to-live attribute, so expired records go away by themselves. */
  ttl: number;
}

export type { StatusReason };
