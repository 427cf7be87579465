// How DynamoDB's failures read to the store: AWS's transient failures
// (functions/aws/failures.ts) and what only transactions have (cancellation
// reasons, refused conditions and the item they saw).
import { errorName, transientCause } from '../aws/failures.js';
import type { RetryCause } from './events.js';


export const cancellationCodes = (error: unknown): string[] => {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] } | undefined)?.CancellationReasons;
  return Array.isArray(reasons) ? reasons.map((r) => r.Code ?? 'None') : [];
};

/** The item a refused condition saw (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), for action `index` of a transaction. */
export function refusedItem(error: unknown, index = 0): Record<string, unknown> | undefined {
  const direct = (error as { Item?: Record<string, unknown> } | undefined)?.Item;
  if (direct) return direct;
  const reasons = (error as { CancellationReasons?: { Item?: Record<string, unknown> }[] } | undefined)?.CancellationReasons;
  return Array.isArray(reasons) ? reasons[index]?.Item : undefined;
}

export const isConditionFailure = (error: unknown): boolean =>
  errorName(error) === 'ConditionalCheckFailedException' ||
  (errorName(error) === 'TransactionCanceledException' && cancellationCodes(error).includes('ConditionalCheckFailed'));

/**
 * Why a failed call may be sent again, or undefined when it may not (a refused
 * condition, a validation error, a fault of ours): a cancelled transaction by
 * its reasons, anything else as functions/aws/failures.ts reads it.
 */
export function retryCause(error: unknown): RetryCause | undefined {
  const name = errorName(error) ?? '';
  if (name === 'TransactionCanceledException') {
    const codes = cancellationCodes(error);
    if (codes.includes('ConditionalCheckFailed')) return undefined;
    if (codes.some((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded' || c === 'RequestLimitExceeded')) return 'throttled';
    // Another transaction touched the same items at the same time.
    if (codes.includes('TransactionConflict')) return 'throttled';
    return undefined;
  }
  return transientCause(error);
}

/** What a write whose outcome could not be found out answers (500). */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The write may or may not have been applied: DynamoDB did not answer in time. Send it again with the same idempotency key to find out, or read the status reasons.';

/** What a caller is told when the store ran out of time before it wrote anything. */
export function nothingChanged(error: DeadlineExceeded): string {
  return error.lastFailure === 'throttled'
    ? 'DynamoDB stayed throttled; nothing was changed. Try again shortly.'
    : 'DynamoDB did not answer in time; nothing was changed. Try again shortly.';
}

/** The store ran out of time with this call unfinished; `lastFailure` says how the last attempt failed. */
export class DeadlineExceeded extends Error {
  constructor(
    readonly operation: string,
    readonly lastFailure: RetryCause | 'not-sent',
    /** Whether any attempt may have been applied (no answer, or a 5xx). */
    readonly mayHaveApplied: boolean,
  ) {
    super(`${operation}: no definite answer before the request's deadline (last attempt: ${lastFailure})`);
    this.name = 'DeadlineExceeded';
  }
}
