// How DynamoDB's failures read, in one place.
import type { RetryCause } from './events.js';

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  // A transaction on the same items is still running: as good as throttled.
  'TransactionInProgressException',
  // A PutItem/UpdateItem/DeleteItem on an item an ongoing transaction includes is
  // refused whole (HTTP 400; nothing applied): send it again once that one is done.
  'TransactionConflictException',
]);
const SERVER_ERRORS = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);
/** Node's, the SDK's and functions/aws/'s names for a request that got no answer it could read: it may have been applied. */
const NO_ANSWER_NAMES = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ResponseUnreadable']);
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

const nameOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : undefined;

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
  nameOf(error) === 'ConditionalCheckFailedException' ||
  (nameOf(error) === 'TransactionCanceledException' && cancellationCodes(error).includes('ConditionalCheckFailed'));

/**
 * Why a failed call may be sent again, or undefined when it may not (a refused
 * condition, a validation error, a fault of ours). `no-answer` and
 * `server-error` mean the call may have been applied: DynamoDB documents a 500
 * as "the request may or may not have been processed".
 */
export function retryCause(error: unknown): RetryCause | undefined {
  const name = nameOf(error) ?? '';
  if (name === 'TransactionCanceledException') {
    const codes = cancellationCodes(error);
    if (codes.includes('ConditionalCheckFailed')) return undefined;
    if (codes.some((c) => c === 'ThrottlingError' || c === 'ProvisionedThroughputExceeded' || c === 'RequestLimitExceeded')) return 'throttled';
    // Another transaction touched the same items at the same time.
    if (codes.includes('TransactionConflict')) return 'throttled';
    return undefined;
  }
  if (THROTTLES.has(name)) return 'throttled';
  if (SERVER_ERRORS.has(name)) return 'server-error';
  if (NO_ANSWER_NAMES.has(name)) return 'no-answer';
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NO_ANSWER_CODES.has(code)) return 'no-answer';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return 'server-error';
  if (/socket hang up|ECONNRESET|network/i.test((error as Error | undefined)?.message ?? '')) return 'no-answer';
  return undefined;
}

/** What a caller is told when the store ran out of time before it wrote anything. */
/** What a write whose outcome could not be found out answers (500). */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The write may or may not have been applied: DynamoDB did not answer in time. Send it again with the same idempotency key to find out, or read the status reasons.';

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
