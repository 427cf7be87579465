// How DynamoDB's failures read, in one place.

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

const nameOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : undefined;

const cancellationCodes = (error: unknown): string[] => {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] } | undefined)?.CancellationReasons;
  return Array.isArray(reasons) ? reasons.map((r) => r.Code ?? 'None') : [];
};

export const isConditionFailure = (error: unknown): boolean =>
  nameOf(error) === 'ConditionalCheckFailedException' ||
  (nameOf(error) === 'TransactionCanceledException' && cancellationCodes(error).includes('ConditionalCheckFailed'));

export const isThrottle = (error: unknown): boolean =>
  THROTTLES.has(nameOf(error) ?? '') ||
  (nameOf(error) === 'TransactionCanceledException' && cancellationCodes(error).includes('ThrottlingError'));
