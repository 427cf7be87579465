// How a failed AWS call reads: whether it may be sent again, and why. The one
// place that knows AWS's names for throttling, server faults and answers that
// never came (Node's and the SDK's included); the store adds what only
// transactions have (functions/store/errors.ts). May import nothing.

/** Why a call that failed may be sent again: `server-error` and `no-answer` mean it may have been applied. */
export type TransientCause = 'throttled' | 'server-error' | 'no-answer';

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
  // DynamoDB: a transaction on the same items is still running: as good as throttled.
  'TransactionInProgressException',
  // DynamoDB: a PutItem/UpdateItem/DeleteItem on an item an ongoing transaction includes is
  // refused whole (HTTP 400; nothing applied): send it again once that one is done.
  'TransactionConflictException',
]);
const SERVER_ERRORS = new Set(['InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException']);
/** Node's, the SDK's and json-client.ts's names for a request that got no answer it could read: it may have been applied. */
const NO_ANSWER_NAMES = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ResponseUnreadable']);
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export const errorName = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : undefined;

/**
 * Why a failed call may be sent again, or undefined when it may not (a refusal,
 * a validation error, a fault of ours such as a TypeError). AWS documents a 500
 * as "the request may or may not have been processed".
 */
export function transientCause(error: unknown): TransientCause | undefined {
  const name = errorName(error) ?? '';
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
