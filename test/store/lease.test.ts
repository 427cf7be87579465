// The account's write lease (functions/store/lease.ts) on the real engine:
// writers queue by age through the `turn` claim, a dead waiter's claim lapses,
// a waiter that gives up hands its claim back, the line has a cap, a repeat of
// a running keyed request is told it is in progress, and a take whose answer
// was lost is recognised as the writer's own. The lease "holder" here is a
// #META item written by the test, as a writer in another container (or one that
// crashed) would leave it.
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/observability.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { storeFromEnv } from '../../functions/store/from-env.js';
import { DomainError } from '../../functions/domain/errors.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, listStatusReasons } from '../../functions/domain/status-reasons.js';
import type { StoreEvent } from '../../functions/store/events.js';
import { plain } from '../../functions/store/lease.js';
import { META_SK, partitionKey } from '../../functions/store/layout.js';
import { faultyClient, isLeaseTake, rules } from '../support/fault-layer.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  table = await createTestTable();
  doc = DynamoDBDocumentClient.from(table.client);
});

const reason = (text: string): NewReason[] => [{ text, state: 'Away', enabled: true, deleted: false }];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as DomainError);

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
const holdLease = (account: string, extra: Record<string, unknown> = {}) =>
  setMeta(account, { lockToken: 'another-writer', lockExpires: Date.now() + 60_000, waiting: {}, ...extra });
const freeLease = (account: string) => setMeta(account, {}, ['lockToken', 'lockExpires', 'lockKey']);

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
    expect((await meta(account)).turn).toEqual(expect.any(String)); // the early writer claimed the next turn
    const late = createStatusReasons(fast, account, reason('Late'));
    await delay(300);
    await freeLease(account);

    const [first, second] = await Promise.all([early, late]);
    expect(first.revision).toBe(1);
    expect(second.revision).toBe(2);
    expect(slowEvents.some((e) => e.type === 'lease-wait' && e.taken && e.waitedMs >= 600)).toBe(true);
    const after = await meta(account);
    expect(after.turn).toBeUndefined();
    expect(after.lockToken).toBeUndefined();
    expect(after.waiting).toEqual({}); // both took their place in line and gave it up with the lease
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text).sort()).toEqual(['Early', 'Late']);
  });

  it('an older waiter takes the next turn from a younger one that claimed it first', async () => {
    const account = newAccount();
    // A claim left by a writer that started waiting later than ours.
    await holdLease(account, { turn: 'younger-writer', turnSince: Date.now() + 60_000, turnExpires: Date.now() + 60_000 });
    const write = createStatusReasons(table.store(), account, reason('Older'));
    await delay(300);
    expect((await meta(account)).turn).not.toBe('younger-writer');
    await freeLease(account);
    expect((await write).revision).toBe(1);
  });

  it('a claim left by a writer that died lapses after claimMs, and the line moves on', async () => {
    const account = newAccount();
    // The oldest possible waiter claimed the next turn and died: nobody can take it over before it lapses.
    await setMeta(account, { turn: 'dead-writer', turnSince: 0, turnExpires: Date.now() + 600, waiting: {} });
    const started = Date.now();
    const result = await createStatusReasons(table.store(), account, reason('After the dead one'));
    expect(result.revision).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect((await meta(account)).turn).toBeUndefined();
  });

  it('a writer that gives up answers busy, writes nothing and hands its claim and its place back', async () => {
    const account = newAccount();
    await holdLease(account);
    const impatient = table.store({ leaseWaitMs: 300, leaseBackoff: { baseMs: 5, maxMs: 20 } });
    const error = await failure(createStatusReasons(impatient, account, reason('Impatient')));
    expect(error).toBeInstanceOf(DomainError);
    expect(error!.kind).toBe('busy');
    expect(error!.message).toMatch(/nothing was changed/);
    const after = await meta(account);
    expect(after.turn).toBeUndefined();
    expect(after.waiting).toEqual({});
    expect(after.lockToken).toBe('another-writer');
    await freeLease(account);
    expect((await listStatusReasons(table.store(), account)).items).toEqual([]);
  });
});

describe('the cap on waiting writers', () => {
  it('refuses a writer at once (overloaded) when leaseQueueMax writers already wait, writing nothing; lapsed places do not count', async () => {
    const account = newAccount();
    const soon = Date.now() + 60_000;
    // Three live places (the cap) and two lapsed ones.
    await holdLease(account, { waiting: { a: soon, b: soon, c: soon, dead1: 1, dead2: 2 } });
    const events: StoreEvent[] = [];
    const store = table.store({ leaseQueueMax: 3, leaseWaitMs: 5_000, onEvent: (e) => events.push(e) });
    const started = Date.now();
    const error = await failure(createStatusReasons(store, account, reason('One too many')));
    expect(error?.kind).toBe('overloaded');
    expect(error?.retryAfterSeconds).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000); // refused at once, not after the 5 s wait
    expect(events).toContainEqual({ type: 'lease-queue-full', accountId: account, waiting: 3 });

    // One live place frees up: the next writer takes a place (and removes the lapsed ones) and waits its turn.
    await setMeta(account, {}, ['waiting.c']);
    const waiting = createStatusReasons(store, account, reason('Fits'));
    await delay(300);
    const line = (await meta(account)).waiting as Record<string, number>;
    const places = Object.keys(line);
    expect(places).toHaveLength(3); // a, b and the new writer's; the lapsed ones removed
    expect(places).toEqual(expect.arrayContaining(['a', 'b']));
    expect(line.dead1).toBeUndefined();
    await freeLease(account);
    expect((await waiting).revision).toBe(1);
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text)).toEqual(['Fits']);
  });
});

describe('a repeat of a keyed request while the first still runs', () => {
  it('is told it is in progress (retryable, nothing written) instead of waiting for the lease', async () => {
    const account = newAccount();
    await holdLease(account, { lockKey: 'lp:k-1' });
    const store = table.store({ leaseWaitMs: 5_000 });
    const idempotency = { key: 'lp:k-1', fingerprint: 'f' };
    const error = await failure(createStatusReasons(store, account, reason('Again'), { idempotency }));
    expect(error?.kind).toBe('in_progress');
    expect(error?.retryAfterSeconds).toBe(1);
    // Another key waits as usual.
    const other = createStatusReasons(store, account, reason('Other'), { idempotency: { key: 'lp:k-2', fingerprint: 'f' } });
    await delay(200);
    await freeLease(account);
    expect((await other).revision).toBe(1);
  });
});

describe('a take whose answer was lost', () => {
  it('is recognised as the writer’s own lease: the write goes on at once and the next writer is not held up', async () => {
    const account = newAccount();
    const policy = rules([{ operation: 'UpdateItem', when: isLeaseTake, fault: { kind: 'lost' }, times: 1 }]);
    const { client } = faultyClient(dynamoEndpoint(), policy);
    const events: StoreEvent[] = [];
    // A long lease and a short wait: without recognising its own take, the writer would wait out its wait
    // (busy), and the next writer would wait for the whole lease.
    const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, leaseMs: 60_000, leaseWaitMs: 1_000, onEvent: (e) => events.push(e) });
    const first = await createStatusReasons(store, account, reason('First'));
    expect(policy.applied()).toBe(1);
    expect(first.revision).toBe(1);
    expect(events).toContainEqual({ type: 'lost-answer-recovered', operation: 'UpdateItem' });
    const second = await createStatusReasons(table.store({ leaseWaitMs: 1_000 }), account, reason('Second'));
    expect(second.revision).toBe(2);
  });
});

describe('the deployed store (storeFromEnv)', () => {
  it('warns when it takes over a lease that a dead writer left to expire', async () => {
    const account = newAccount();
    await setMeta(account, { lockToken: 'dead-writer', lockExpires: Date.now() - 1, lockFrom: 1, nextId: 4, waiting: {} });
    const warn = vi.spyOn(logger, 'warn');
    try {
      const store = storeFromEnv({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: dynamoEndpoint(), AWS_REGION: 'us-east-1' });
      const result = await createStatusReasons(store, account, reason('After a crash'));
      expect(result.revision).toBe(1);
      // The dead writer's ids (1–3) may hold its items: they are skipped, and marked for cleanup.
      expect(result.items[0]!.id).toBe(4);
      expect((await meta(account)).dirty).toEqual([1, 4, expect.any(Number)]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('took over an expired write lease'), { accountId: account });
    } finally {
      warn.mockRestore();
    }
  });
});

describe('reading the item a refused condition returns', () => {
  it('reads the attribute-value form the document client hands back, and plain values', () => {
    expect(plain({ turn: { S: 't' }, turnSince: { N: '5' }, waiting: { M: { a: { N: '9' } } }, dirty: { L: [{ N: '1' }] } })).toEqual({ turn: 't', turnSince: 5, waiting: { a: 9 }, dirty: [1] });
    expect(plain({ turn: 't', turnSince: 5 })).toEqual({ turn: 't', turnSince: 5 });
    expect(plain(undefined)).toBeUndefined();
  });
});
