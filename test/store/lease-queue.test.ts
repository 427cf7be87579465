// Waiting for an account's write lease: writers queue by age through the
// `nextUp` claim on #META, a dead waiter's claim lapses, and a waiter that
// gives up hands its claim back. On the real engine; the lease "holder" here
// is a #META item written by the test, as a writer in another container (or
// one that crashed) would leave it.
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/observability.js';
import { storeFromEnv } from '../../functions/store/from-env.js';
import { DomainError } from '../../functions/domain/errors.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, listStatusReasons } from '../../functions/domain/status-reasons.js';
import { META_SK, nextUpOf, partitionKey, type StoreEvent } from '../../functions/store/dynamo-store.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  table = await createTestTable();
  doc = DynamoDBDocumentClient.from(table.client);
});

const reason = (text: string): NewReason[] => [{ text, state: 'Away', enabled: true, deleted: false }];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sets attributes of the account's #META item directly. */
async function setMeta(account: string, values: Record<string, unknown>, remove: string[] = []): Promise<void> {
  const names = Object.keys(values);
  const set = names.length ? `SET ${names.map((n) => `${n} = :${n}`).join(', ')}` : '';
  await doc.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { pk: partitionKey(account), sk: META_SK },
      UpdateExpression: [set, remove.length ? `REMOVE ${remove.join(', ')}` : ''].join(' ').trim(),
      ...(names.length && { ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, values[n]])) }),
    }),
  );
}

const meta = async (account: string) =>
  (await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: META_SK }, ConsistentRead: true }))).Item!;

/** Another writer holds the lease until the test frees it. */
const holdLease = (account: string) => setMeta(account, { lockToken: 'another-writer', lockExpires: Date.now() + 60_000 });
const freeLease = (account: string) => setMeta(account, {}, ['lockToken', 'lockExpires']);

describe('waiting for the lease', () => {
  it('the writer that has waited longest goes next, even when a later one retries far more often', async () => {
    const account = newAccount();
    await holdLease(account);
    // The early writer retries slowly; the late one very fast. Without the
    // line, the fast one would take the freed lease first.
    const slowEvents: StoreEvent[] = [];
    const slow = table.store({ leaseBackoff: { baseMs: 150, maxMs: 150 }, queueBackoff: { baseMs: 150, maxMs: 150 }, onEvent: (e) => slowEvents.push(e) });
    const fast = table.store({ leaseBackoff: { baseMs: 1, maxMs: 2 }, queueBackoff: { baseMs: 1, maxMs: 2 } });

    const early = createStatusReasons(slow, account, reason('Early'));
    await delay(400);
    expect((await meta(account)).nextUp).toEqual(expect.any(String)); // the early writer claimed the next turn
    const late = createStatusReasons(fast, account, reason('Late'));
    await delay(300);
    await freeLease(account);

    const [first, second] = await Promise.all([early, late]);
    expect(first.revision).toBe(1);
    expect(second.revision).toBe(2);
    expect(slowEvents.some((e) => e.type === 'lease-busy' && e.nextUp)).toBe(true);
    const after = await meta(account);
    expect(after.nextUp).toBeUndefined();
    expect(after.lockToken).toBeUndefined();
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text).sort()).toEqual(['Early', 'Late']);
  });

  it('an older waiter takes the next turn from a younger one that claimed it first', async () => {
    const account = newAccount();
    await holdLease(account);
    // A claim left by a writer that started waiting later than ours.
    await setMeta(account, { nextUp: 'younger-writer', nextUpSince: Date.now() + 60_000, nextUpExpires: Date.now() + 60_000 });
    const write = createStatusReasons(table.store(), account, reason('Older'));
    await delay(300);
    expect((await meta(account)).nextUp).not.toBe('younger-writer');
    await freeLease(account);
    expect((await write).revision).toBe(1);
  });

  it("a claim left by a writer that died lapses after claimMs, and the line moves on", async () => {
    const account = newAccount();
    // The oldest possible waiter claimed the next turn and died: nobody can take it over before it lapses.
    await setMeta(account, { nextUp: 'dead-writer', nextUpSince: 0, nextUpExpires: Date.now() + 600 });
    const started = Date.now();
    const result = await createStatusReasons(table.store(), account, reason('After the dead one'));
    expect(result.revision).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect((await meta(account)).nextUp).toBeUndefined();
  });

  it('a writer that gives up answers busy, writes nothing and hands its claim back', async () => {
    const account = newAccount();
    await holdLease(account);
    const impatient = table.store({ leaseWaitMs: 300, leaseBackoff: { baseMs: 5, maxMs: 20 } });
    const error = await createStatusReasons(impatient, account, reason('Impatient')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe('busy');
    const after = await meta(account);
    expect(after.nextUp).toBeUndefined();
    expect(after.lockToken).toBe('another-writer');
    await freeLease(account);
    expect((await listStatusReasons(table.store(), account)).items).toEqual([]);
  });
});

describe('the deployed store (storeFromEnv)', () => {
  it('warns when it takes over a lease that a dead writer left to expire', async () => {
    const account = newAccount();
    await setMeta(account, { lockToken: 'dead-writer', lockExpires: Date.now() - 1 });
    const warn = vi.spyOn(logger, 'warn');
    try {
      const store = storeFromEnv({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), AWS_REGION: 'us-east-1' });
      expect((await createStatusReasons(store, account, reason('After a crash'))).revision).toBe(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('took over an expired write lease'), { accountId: account });
    } finally {
      warn.mockRestore();
    }
  });
});

describe('reading the claim from a refused condition', () => {
  it('reads the attribute-value form the document client hands back, and plain values', () => {
    const expected = { token: 't', since: 5, expires: 9 };
    expect(nextUpOf({ nextUp: { S: 't' }, nextUpSince: { N: '5' }, nextUpExpires: { N: '9' }, lockToken: { S: 'x' } })).toEqual(expected);
    expect(nextUpOf({ nextUp: 't', nextUpSince: 5, nextUpExpires: 9 })).toEqual(expected);
    expect(nextUpOf({ lockToken: { S: 'x' } })).toBeUndefined();
    expect(nextUpOf(undefined)).toBeUndefined();
  });
});
