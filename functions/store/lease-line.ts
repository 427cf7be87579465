// What the account's write lease and its line of waiters look like in `#META`,
// and the small pieces every part of the lease shares: the writer's token, the
// compact form of a place in the line, the tag an idempotency key is known by
// there, one conditional update of `#META`, and the reading of the items a
// refused condition hands back. The attributes:
//
//   lockToken, lockExpires   who holds the lease, until when (it must outlast the holder's
//                            every call: a request's deadline is well inside it)
//   lockFrom, lockN          the holder's ids: lockFrom … lockFrom + lockN - 1 (`nextId`
//                            stays at lockFrom until the holder commits or gives them up)
//   lockKey                  the tag of the holder's idempotency key ('' for none): a repeat
//                            of it is told "in progress"
//   lockSince                when the holder was given it (handed, or took it), and
//                            `holdMs` how long a turn takes, from that moment to the
//                            commit (kept by the commits): waiters time their reads by them
//   line                     token → place: the writers that wait, each written once, when
//                            it arrives (see `encodePlace`)
//   fenced                   token → when: the writers that fenced their own lease (kept a
//                            minute), so that a fence whose answer was lost knows itself
//
// `#META` is in every commit and a transaction bills each item 2 units per KB:
// a full line (16 waiters and the holder) must leave `#META` under 1 KB, so a
// place is one short string and a key is known by an 8-character tag.
import { createHash, randomBytes } from 'node:crypto';
import { UpdateCommand } from '../aws/dynamodb.js';
import { isConditionFailure, refusedItem } from './errors.js';
import type { Meta } from './layout.js';
import { META_SK, partitionKey } from './layout.js';
import type { Calls } from './retry.js';

/** What a conditional update of `#META` sets, removes and requires. */
export interface MetaUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** How a conditional update of `#META` ended: applied, or refused by its condition, which saw `seen`. */
export type MetaUpdateResult = { applied: true } | { applied: false; seen: Record<string, unknown> };

/** One conditional UpdateItem of an account's `#META` (any failure but a refused condition is thrown). */
export async function conditionalMetaUpdate(calls: Calls, table: string, accountId: string, update: MetaUpdate, deadline: number): Promise<MetaUpdateResult> {
  try {
    const command = new UpdateCommand({
      TableName: table,
      Key: { pk: partitionKey(accountId), sk: META_SK },
      ...update,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await calls.send('UpdateItem', command, deadline);
    return { applied: true };
  } catch (error) {
    if (isConditionFailure(error)) return { applied: false, seen: plain(refusedItem(error)) ?? {} };
    throw error;
  }
}

/** One conditional UpdateItem of an account's `#META`: true when applied, false when its condition refused it. */
export const updateMeta = async (calls: Calls, table: string, accountId: string, update: MetaUpdate, deadline: number): Promise<boolean> =>
  (await conditionalMetaUpdate(calls, table, accountId, update, deadline)).applied;

/**
 * A write's token: 72 random bits, 12 characters (`#META` holds up to 17 of
 * them). It is also the commit's ClientRequestToken, which DynamoDB remembers
 * for 10 minutes: even at a million commits in that time two would share one
 * with a chance of about 10^-10.
 */
export const newToken = () => randomBytes(9).toString('base64url');

/**
 * The tag an idempotency key is known by in the line and in `lockKey`: 48 bits
 * of its SHA-256 ('' for none). It only tells a repeat that its first request
 * still runs; two keys sharing a tag would make one of them wait (409) once.
 */
export const keyTag = (key: string | undefined): string => (key ? createHash('sha256').update(key).digest('base64url').slice(0, 8) : '');

export interface LeaseOptions {
  /** How long a lease lasts; must exceed the longest request (the Lambda timeout). */
  leaseMs: number;
  /** How long a writer waits for another writer's lease before answering busy. */
  waitMs: number;
  /** How many writers may wait for one account at once; one more is refused at once (overloaded). */
  queueMax: number;
  /** The shortest and longest pause between a waiter's reads of `#META`. */
  pollMinMs: number;
  pollMaxMs: number;
  /** The longest pause between reads of the waiter next in line once its turn is due. */
  pollNextMaxMs: number;
}

/** A first guess at how long a turn takes, before any commit measured one. */
export const DEFAULT_HOLD_MS = 30;

/**
 * The turn estimate a commit keeps (`holdMs`), from the one it found and how
 * long this turn took (`held`): a moving average in which one slow turn (a
 * large write, a retried call, a cold start) counts as at most twice the
 * estimate, an account's first one too. Waiters sleep by it: an estimate too
 * long leaves a lease handed to a sleeping waiter idle, and that idle time is
 * measured as a long turn again; one too short costs a waiter one more read.
 */
export function nextHoldMs(previous: number | undefined, held: number): number {
  const estimate = previous ?? DEFAULT_HOLD_MS;
  return Math.round(estimate * 0.8 + Math.min(Math.max(held, 0), 2 * estimate) * 0.2);
}

/** A writer in the line, as `#META.line` holds it. */
export interface Waiter {
  token: string;
  /** When it arrived (epoch ms): the line's order. */
  since: number;
  /** When it gives up waiting: it is not handed the lease after that. */
  until: number;
  /** Its request's deadline: a lease handed to it lapses soon after. */
  deadline: number;
  /** How many ids it needs. */
  ids: number;
  /** Its idempotency key's tag (`keyTag`), '' for none. */
  key: string;
  /**
   * A create another writer may judge while it waits (group commit, group.ts):
   * the text buckets its decision reads, and the create as data (JSON of a
   * `CreateCommand`). Undefined for any other write.
   */
  group?: number[];
  command?: string;
}

export interface Lease {
  token: string;
  /** The account as the lease found it, `nextId` already past this write's ids. */
  meta: Meta;
  /** This write's ids are `firstId` … `firstId + n - 1`. */
  firstId: number;
  /** When the lease lapses (epoch ms): nothing of this write may be sent after it. */
  expires: number;
  /** `#META`'s `fenced` marks as the take found them (token → when), to prune old ones. */
  fenceMarks: Record<string, number> | undefined;
  /** The line as this writer last read it: whom its commit hands the lease to. */
  line: Waiter[];
  /** When this writer was given the lease (epoch ms), and how long turns took until then: for `holdMs`. */
  since: number;
  holdMs: number | undefined;
  /** Whether the writer had to wait for it. */
  waited: boolean;
  /**
   * The items the writer asked to read along (`acquire`'s `along`), when the
   * read that showed it the lease was one snapshot of `#META` and them: they
   * are as of `meta`'s revision, and no other write can change them while the
   * lease is held. Undefined when the lease was learned otherwise.
   */
  along?: Array<Record<string, unknown> | undefined>;
}

/**
 * A place in the line as one string, base 36: `since.untilAfter.deadlineAfter.ids.keyTag`
 * (the give-up time and the deadline as ms after arriving). About 20 bytes, 28
 * with a key, against some 50 for a list of numbers: 17 places fit in `#META`'s KB.
 * A create that may be carried adds `.g` and its buckets in hex, then `|` and
 * its request (at most GROUP_COMMAND_MAX bytes, group.ts).
 */
export const encodePlace = (w: Omit<Waiter, 'token'>): string =>
  [w.since, Math.max(0, w.until - w.since), Math.max(0, w.deadline - w.until), w.ids].map((n) => Math.round(n).toString(36)).join('.') +
  `.${w.key}` +
  (w.group && w.command !== undefined ? `.g${w.group.map((b) => b.toString(16)).join('')}|${w.command}` : '');

function decodePlace(token: string, value: unknown): Waiter | undefined {
  if (typeof value !== 'string') return undefined;
  const bar = value.indexOf('|');
  const fields = bar < 0 ? value : value.slice(0, bar);
  const [since, untilAfter, deadlineAfter, ids, key = '', group] = fields.split('.');
  const n = [since, untilAfter, deadlineAfter, ids].map((part) => parseInt(part ?? '', 36));
  if (n.some((x) => !Number.isFinite(x))) return undefined;
  const [s, u, d, i] = n as [number, number, number, number];
  const waiter: Waiter = { token, since: s, until: s + u, deadline: s + u + d, ids: i, key };
  if (group?.startsWith('g') && bar >= 0) {
    waiter.group = [...group.slice(1)].map((c) => parseInt(c, 16)).filter((b) => Number.isFinite(b));
    waiter.command = value.slice(bar + 1);
  }
  return waiter;
}

/** The line as `#META` holds it, oldest first. */
export function lineOf(item: Record<string, unknown> | undefined): Waiter[] {
  const line = item?.line;
  if (line === null || typeof line !== 'object') return [];
  const waiters: Waiter[] = [];
  for (const [token, value] of Object.entries(line as Record<string, unknown>)) {
    const waiter = decodePlace(token, value);
    if (waiter) waiters.push(waiter);
  }
  return waiters.sort((a, b) => a.since - b.since || (a.token < b.token ? -1 : 1));
}

export const marksOf = (item: Record<string, unknown> | undefined): Record<string, number> | undefined =>
  item?.fenced !== null && typeof item?.fenced === 'object' ? (item.fenced as Record<string, number>) : undefined;

export const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Whether the lease was handed to a writer that had already left the line (a
 * holder keeps its place until it commits; one that leaves is never the holder
 * then): nobody will use it, so the oldest live waiter may take it at once.
 */
export const orphaned = (view: Record<string, unknown>): boolean =>
  typeof view.lockToken === 'string' && !lineOf(view).some((w) => w.token === view.lockToken);

/**
 * An item a refused condition returned. The document client leaves it in
 * DynamoDB's attribute-value form (aws-sdk-js-v3 #6723); plain values are kept
 * as they are, should a later version unmarshall it.
 */
export function plain(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!item) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) out[name] = fromAttribute(value);
  return out;
}

function fromAttribute(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length !== 1) return value;
  const [type] = keys as [string];
  const inner = v[type];
  switch (type) {
    case 'S':
      return inner;
    case 'N':
      return Number(inner);
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'M':
      return plain(inner as Record<string, unknown>);
    case 'L':
      return (inner as unknown[]).map(fromAttribute);
    case 'SS':
      return new Set(inner as string[]);
    case 'NS':
      return new Set((inner as string[]).map(Number));
    default:
      return value;
  }
}
