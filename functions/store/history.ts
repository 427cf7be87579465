// How the change history lies in the table, and the limits it is kept to.
//
//   H#<rev>          the head of revision rev's entry: written in the write's own
//                    commit (TransactWriteItems), so it exists exactly when the
//                    write does. It holds the entry (gzip'd JSON) when that is
//                    small, else the number of parts and the writer's token.
//   HP#<rev>#<token>#<k>  part k of a large entry: written by BatchWriteItem
//                    before the commit (a transaction holds at most 4 MB, an
//                    item 400 KB), under the writer's lease token. A part counts
//                    only when its head (committed) names that token, so parts
//                    of a write that failed count for nothing, even where a
//                    later write reuses their revision, and a failed writer can
//                    delete its own parts without touching anyone else's.
//
// `#META` holds the oldest kept revision (`changesOldest`), when it was written
// (`changesOldestAt`) and the kept entries' stored bytes (`changesBytes`). Each
// write drops, in its commit, the oldest entries past the age or byte limit, at
// most PURGE_ACTIONS_MAX deletes: no write's cost grows with the history.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ChangeEntry } from '../domain/changes.js';

export const HEAD_PREFIX = 'H#';
export const PART_PREFIX = 'HP#';
const pad = (n: number) => String(n).padStart(16, '0');
export const headKey = (revision: number) => `${HEAD_PREFIX}${pad(revision)}`;
export const partKey = (revision: number, token: string, part: number) => `${PART_PREFIX}${pad(revision)}#${token}#${String(part).padStart(4, '0')}`;

/** An entry whose gzip'd JSON is at most this many bytes rides whole in its head (and keeps the purge's reads of heads small). */
export const HEAD_INLINE_MAX = 8 * 1024;
/** The data of one part item: under DynamoDB's 400 KB item limit with room for keys and token. */
export const PART_BYTES = 350_000;
/** The most deletes of old entries (heads and parts) one commit carries. */
export const PURGE_ACTIONS_MAX = 20;
/** How many of the oldest heads a purging write reads: one more than it may drop, to know the next one's age. */
export const PURGE_READ = PURGE_ACTIONS_MAX + 1;

/** Defaults of the keep-limits (HISTORY_MAX_AGE_DAYS, HISTORY_MAX_BYTES). */
export const HISTORY_MAX_AGE_DAYS_DEFAULT = 35;
export const HISTORY_MAX_BYTES_DEFAULT = 16 * 1024 * 1024;

/** The items an entry is stored as. `bytes` is what counts towards HISTORY_MAX_BYTES. */
export interface EncodedEntry {
  head: Record<string, unknown>;
  parts: Record<string, unknown>[];
  bytes: number;
}

export function encodeEntry(pk: string, entry: ChangeEntry, token: string, at: number): EncodedEntry {
  const data = gzipSync(Buffer.from(JSON.stringify(entry), 'utf8'));
  const head: Record<string, unknown> = { pk, sk: headKey(entry.revision), rev: entry.revision, at, token, bytes: data.length };
  if (data.length <= HEAD_INLINE_MAX) return { head: { ...head, parts: 0, data }, parts: [], bytes: data.length };
  const parts: Record<string, unknown>[] = [];
  for (let offset = 0, k = 0; offset < data.length; offset += PART_BYTES, k++) {
    parts.push({ pk, sk: partKey(entry.revision, token, k), token, data: data.subarray(offset, offset + PART_BYTES) });
  }
  return { head: { ...head, parts: parts.length }, parts, bytes: data.length };
}

/** The head's fields a reader and the purge use. */
export interface Head {
  rev: number;
  at: number;
  token: string;
  bytes: number;
  parts: number;
  data: Uint8Array | undefined;
}

export const toHead = (item: Record<string, unknown>): Head => ({
  rev: item.rev as number,
  at: item.at as number,
  token: item.token as string,
  bytes: item.bytes as number,
  parts: item.parts as number,
  data: item.data instanceof Uint8Array ? item.data : undefined,
});

/** The entry from its head and (for a large one) its parts in order; undefined when a part is missing or not the head's. */
export function decodeEntry(head: Head, parts: readonly Record<string, unknown>[]): ChangeEntry | undefined {
  let data: Uint8Array;
  if (head.parts === 0) {
    if (!head.data) return undefined;
    data = head.data;
  } else {
    const mine = parts.filter((part) => part.token === head.token);
    if (mine.length !== head.parts) return undefined;
    data = Buffer.concat(mine.map((part) => part.data as Uint8Array));
  }
  return JSON.parse(gunzipSync(data).toString('utf8')) as ChangeEntry;
}

/** The keys of an entry's items, for dropping it. */
export const entryKeys = (head: Head): string[] => [headKey(head.rev), ...Array.from({ length: head.parts }, (_, k) => partKey(head.rev, head.token, k))];

export interface KeepLimits {
  maxAgeMs: number;
  maxBytes: number;
}

/** The history's bounds as `#META` keeps them. */
export interface HistoryBounds {
  /** The oldest revision whose entry is kept; undefined before the first entry. */
  changesOldest: number | undefined;
  /** When that entry was written (epoch ms). */
  changesOldestAt: number | undefined;
  /** Stored bytes of the kept entries. */
  changesBytes: number;
}

/**
 * Which of the oldest entries (`heads`, oldest first, as read from
 * `changesOldest`) a write drops, given its own entry's bytes: while the kept
 * entries are past either limit, the oldest goes, at most `actionsMax` deletes
 * in all; the writer's own entry is always kept.
 */
export function planPurge(
  bounds: HistoryBounds,
  heads: readonly Head[],
  added: { revision: number; bytes: number; at: number },
  limits: KeepLimits,
  actionsMax = PURGE_ACTIONS_MAX,
): { drop: Head[]; bounds: HistoryBounds } {
  let bytes = bounds.changesBytes + added.bytes;
  let oldest = bounds.changesOldest ?? added.revision;
  let oldestAt = bounds.changesOldest === undefined ? added.at : (bounds.changesOldestAt ?? added.at);
  const drop: Head[] = [];
  let actions = 0;
  const over = () => bytes > limits.maxBytes || oldestAt < added.at - limits.maxAgeMs;
  for (let i = 0; i < heads.length && over(); i++) {
    const head = heads[i]!;
    if (head.rev >= added.revision) break;
    const cost = 1 + head.parts;
    if (actions + cost > actionsMax) break;
    actions += cost;
    drop.push(head);
    bytes -= head.bytes;
    oldest = head.rev + 1;
    const next = heads[i + 1];
    oldestAt = next && next.rev < added.revision ? next.at : added.at;
    if (next && next.rev > oldest) oldest = Math.min(next.rev, added.revision);
  }
  return { drop, bounds: { changesOldest: oldest, changesOldestAt: oldestAt, changesBytes: Math.max(0, bytes) } };
}

/** Whether a write must look at its oldest entries: the history with its own entry is past a limit. */
export const mustPurge = (bounds: HistoryBounds, addedBytes: number, at: number, limits: KeepLimits): boolean =>
  bounds.changesOldest !== undefined && (bounds.changesBytes + addedBytes > limits.maxBytes || (bounds.changesOldestAt ?? at) < at - limits.maxAgeMs);

/** The keep-limits from the environment (HISTORY_MAX_AGE_DAYS, HISTORY_MAX_BYTES), defaults where unset or invalid. */
export function keepLimitsFromEnv(env: Record<string, string | undefined>): KeepLimits {
  const days = Number(env.HISTORY_MAX_AGE_DAYS);
  const bytes = Number(env.HISTORY_MAX_BYTES);
  return {
    maxAgeMs: (env.HISTORY_MAX_AGE_DAYS && Number.isFinite(days) && days > 0 ? days : HISTORY_MAX_AGE_DAYS_DEFAULT) * 86_400_000,
    maxBytes: env.HISTORY_MAX_BYTES && Number.isFinite(bytes) && bytes > 0 ? bytes : HISTORY_MAX_BYTES_DEFAULT,
  };
}

/** A page of entries is cut off at about this many bytes of answer (JSON inside a Lambda result), well under Lambda's 6 MB. */
export const CHANGES_PAGE_BYTES = 4_000_000;
