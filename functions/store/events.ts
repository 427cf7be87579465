// What the store reports as it works, for metrics, logs and the benchmark.
// `storeFromEnv` hands these to the function's metrics; tests count them.

/** Why a DynamoDB call was sent again. */
export type RetryCause =
  /** Throttled (ProvisionedThroughputExceeded, ThrottlingException, RequestLimitExceeded). */
  | 'throttled'
  /** A batch came back with unprocessed items. */
  | 'unprocessed'
  /** DynamoDB answered 5xx (InternalServerError, ServiceUnavailable). */
  | 'server-error'
  /** No answer in time, or the connection dropped: the call may or may not have been applied. */
  | 'no-answer';

export type StoreEvent =
  /** A write got the account's lease (`waitedMs` 0 when it was free) or gave up waiting (`taken: false`). */
  | { type: 'lease-wait'; accountId: string; waitedMs: number; taken: boolean }
  /** A write took over a lease whose holder had let it expire (died, or overran it). Worth an alarm. */
  | { type: 'lease-taken-over'; accountId: string }
  /** A write was refused at once because too many writers already wait for the account. */
  | { type: 'lease-queue-full'; accountId: string; waiting: number }
  /** A DynamoDB call is sent again. */
  | { type: 'retry'; operation: string; cause: RetryCause; attempt: number }
  /** A call whose answer was lost had in fact been applied, and the store found out (no unknown outcome). */
  | { type: 'lost-answer-recovered'; operation: string }
  /** A commit carried the creates of `members` waiters besides its own write (group commit). */
  | { type: 'write-grouped'; accountId: string; members: number }
  /** A repeated idempotency key answered the first answer without writing. */
  | { type: 'idempotent-replay'; accountId: string }
  /** A write ended with its outcome unknown (answered 500). Worth an alarm. */
  | { type: 'outcome-unknown'; accountId: string; operation: string };

export type StoreEventListener = (event: StoreEvent) => void;
