// What the store's modules share: the table and the one place every DynamoDB
// call goes through (`Calls`), the clock and the event listener, the write
// path's settings, and the answer a store gives when it ran out of time having
// changed nothing. The facade (dynamo-store.ts) builds them once per store and
// hands them to the read path, the write path and their helpers. May import the
// domain's errors and, for types, the store's own retry, events and history.
import { DomainError } from '../domain/errors.js';
import type { StoreEventListener } from './events.js';
import type { KeepLimits } from './history.js';
import type { Calls } from './retry.js';

export interface StoreContext {
  readonly table: string;
  /** Every DynamoDB call goes through it. */
  readonly calls: Calls;
  readonly now: () => number;
  readonly onEvent: StoreEventListener;
  /** How many BatchWriteItem calls one write runs at once. */
  readonly batchConcurrency: number;
}

/** How the write path plans and cleans up (DynamoStoreOptions, defaults applied). */
export interface WriteSettings {
  readonly leaseMs: number;
  /** Creates whose commit fits in this many transaction actions write their reasons inside the commit. */
  readonly transactionItems: number;
  /** Reorders that move at most this many reasons change them in the commit itself. */
  readonly reorderInlineMax: number;
  /** How long after a failed write its ids are cleaned up. */
  readonly dirtyGraceMs: number;
  /** The most leftover or dropped items one write removes. */
  readonly cleanupMax: number;
  /** The deleted reasons' budget (wire bytes) beyond which the longest-deleted ones are dropped. */
  readonly historyBytesMax: number;
  /** How long and how much change history an account keeps. */
  readonly keepLimits: KeepLimits;
  /** The region stamped on every reason written. */
  readonly region: string;
}

/** Nothing was changed and the caller may try again shortly (503). */
export const busy = (message: string) => new DomainError('busy', message);
