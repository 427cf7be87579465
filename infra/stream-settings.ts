// How the table's stream feeds the change-event publisher: the deployed event
// source mapping (infra/constructs/events.ts) and the local poller that stands
// in for it (infra/local/change-stream.ts) read these alike. No CDK here: the
// local server imports it.

/**
 * How the stream feeds the publisher, and why:
 * - `batchSize` 100: a batch becomes at most 10 PutEvents calls (10 entries
 *   each), a few hundred ms; with no batching window a record is handed over as
 *   soon as it is read, so a large batch costs no lag, only fewer invocations
 *   under load.
 * - `bisectBatchOnError`: when the function itself fails (a timeout, a crash,
 *   memory) rather than reporting an entry, the batch is halved and retried, so
 *   one record that kills the function is cornered and only it reaches the
 *   dead-letter queue. Records the publisher cannot publish (an entry
 *   EventBridge refuses, one it cannot read) are reported as batch item
 *   failures instead (Lambda resumes from the first one: order is kept).
 * - `retryAttempts` 10, `maxRecordAge` 1 day (the stream's retention): a record
 *   still failing after that goes to the dead-letter queue (its shard and
 *   sequence numbers, which the alarm reports) and the shard moves on; a
 *   consumer that missed it reads it from `changes?since=`.
 * - `parallelizationFactor` 1: one batch per shard at a time, the order of
 *   each account's entries as committed.
 */
export const STREAM_SETTINGS = {
  batchSize: 100,
  bisectBatchOnError: true,
  retryAttempts: 10,
  maxRecordAgeSeconds: 86_400,
  parallelizationFactor: 1,
} as const;
