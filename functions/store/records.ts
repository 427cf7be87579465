// Idempotency records (`K#<key>`, layout.ts): which record still counts, the
// commit's conditional put of a new one (on condition that the key is unused),
// and the first answer a repeat of a keyed write gets back. A record is written
// only in its write's commit, so it exists exactly when that write does. May
// import the domain's errors and idempotency, and the store's batch types,
// context and layout only.
import { DomainError } from '../domain/errors.js';
import { IDEMPOTENCY_TTL_MS } from '../domain/idempotency.js';
import type { IdempotencyKey, WriteOutcome } from '../domain/store.js';
import type { TransactItem } from './batch.js';
import type { StoreContext } from './context.js';
import { recordKey, type RecordItem } from './layout.js';

/** The record an item holds, unless it has none or it expired (DynamoDB's TTL removes expired ones late). */
export function freshRecord(ctx: StoreContext, item: Record<string, unknown> | undefined): RecordItem | undefined {
  if (!item || typeof item.expiresAt !== 'number' || item.expiresAt <= ctx.now()) return undefined;
  return item as unknown as RecordItem;
}

/**
 * The first answer to a keyed write, for its repeat; the same key with another
 * request is refused (with `revision`, the account's as read with the record).
 * Async on purpose: a caller that returns it from inside a `try` does not
 * catch that refusal (it is not the write's failure).
 */
export async function replay(ctx: StoreContext, accountId: string, record: RecordItem, key: IdempotencyKey, revision?: number): Promise<WriteOutcome> {
  if (record.fingerprint !== key.fingerprint) {
    const error = new DomainError(
      'idempotency_mismatch',
      'This idempotency key was used in the last 24 hours for a different request; use a new key for a new request.',
    );
    // The account's revision as read with the record, when it was (SPEC §1: ac-revision).
    error.revision = revision;
    throw error;
  }
  ctx.onEvent({ type: 'idempotent-replay', accountId });
  return { revision: record.revision, answer: JSON.parse(record.answer) as unknown, replayed: true };
}

/** The commit's put of the key's record, with the write's answer. */
export function recordPut(ctx: StoreContext, pk: string, key: IdempotencyKey, answer: unknown, revision: number): TransactItem {
  const now = ctx.now();
  const item: RecordItem = {
    pk,
    sk: recordKey(key.key),
    fingerprint: key.fingerprint,
    answer: JSON.stringify(answer),
    revision,
    expiresAt: now + IDEMPOTENCY_TTL_MS,
    ttl: Math.ceil((now + IDEMPOTENCY_TTL_MS) / 1000) + 3600,
  };
  return {
    Put: {
      TableName: ctx.table,
      Item: item,
      // Unused, or used longer ago than it is remembered.
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': now },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}
