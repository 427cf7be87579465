// The account's write lease (functions/store/lease.ts) on the real engine:
// writers wait in line by age, learn their turn by reading #META (never writing
// it while they wait), are handed the lease by the commit before theirs; a dead
// waiter holds the line up only until its give-up time, a waiter that gives up
// leaves, the line has a cap, a repeat of a running keyed request is told it is
// in progress, and a take whose answer was lost is recognised as the writer's
// own. The lease "holder" here is often a #META item written by the test, as a
// writer in another container (or one that crashed) would leave it.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/platform/logger.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../../functions/store/dynamo-store.js';
import { storeFromEnv } from '../../functions/entry/store-from-env.js';
import { DomainError } from '../../functions/domain/errors.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, listStatusReasons } from '../../functions/domain/status-reasons.js';
import type { StoreEvent } from '../../functions/store/events.js';
import { DEFAULT_HOLD_MS, encodePlace, keyTag, nextHoldMs, plain } from '../../functions/store/lease-line.js';
import { META_SK } from '../../functions/store/layout.js';
import { faultyClient, isLeaseTake, rules, type DynamoCall } from '../support/fault-layer.js';
import { itemBytes } from '../bench/meter.js';
import { createTestTable, dynamoEndpoint, newAccount, readMetaItem, setMetaItem, type TestTable } from '../support/dynamo.js';
import { freeLeaseItem, holdLeaseItem } from '../support/lease.js';

let table: TestTable;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  table = await createTestTable();
  doc = DynamoDBDocumentClient.from(table.sdk);
});

const reason = (text: string): NewReason[] => [{ text, state: 'Away', enabled: true, deleted: false }];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as DomainError);

const setMeta = (account: string, values: Record<string, unknown>, remove: string[] = [], names?: Record<string, string>) =>
  setMetaItem(doc, table.tableName, account, values, remove, names);

/** A place in the line as #META holds it (`encodePlace`). */
const place = (since: number, until: number) => encodePlace({ since, until, deadline: until + 1_000, ids: 1, key: '' });

const meta = (account: string) => readMetaItem(doc, table.tableName, account);

/** Another writer holds the lease until the test frees it. */
const holdLease = (account: string, extra: Record<string, unknown> = {}) => holdLeaseItem(doc, table.tableName, account, extra);
const freeLease = (account: string) => freeLeaseItem(doc, table.tableName, account);
/** The waiters' places in the line (not the test's holder's). */
const placesOf = async (account: string) => Object.keys(((await meta(account)).line ?? {}) as Record<string, unknown>).filter((t) => t !== 'another-writer');

/** A store whose calls are counted (through the fault layer, with no faults). */
function counted(options: Partial<DynamoStoreOptions> = {}) {
  const { client, faults } = faultyClient(dynamoEndpoint());
  const events: StoreEvent[] = [];
  const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, onEvent: (e) => events.push(e), ...options });
  return { store, calls: faults.tally.calls, events };
}

describe('waiting for the lease', () => {
  it('the writer that has waited longest goes next, even when a later one reads far more often', async () => {
    const account = newAccount();
    await holdLease(account);
    // The early writer reads #META slowly; the late one very often. Without the
    // line, the fast one would take the freed lease first.
    const slowEvents: StoreEvent[] = [];
    const slow = table.store({ leasePoll: { minMs: 150, maxMs: 150 }, onEvent: (e) => slowEvents.push(e) });
    const fast = table.store({ leasePoll: { minMs: 1, maxMs: 2 } });

    const early = createStatusReasons(slow, account, reason('Early'));
    await delay(400);
    const late = createStatusReasons(fast, account, reason('Late'));
    // Both wait in line (on a loaded machine the late one's arrival may take a while).
    for (let i = 0; i < 60 && (await placesOf(account)).length < 2; i++) await delay(50);
    expect(await placesOf(account)).toHaveLength(2);
    await freeLease(account);

    const [first, second] = await Promise.all([early, late]);
    expect(first.revision).toBe(1);
    expect(second.revision).toBe(2);
    expect(slowEvents.some((e) => e.type === 'lease-wait' && e.taken && e.waitedMs >= 300)).toBe(true);
    const after = await meta(account);
    expect(after.lockToken).toBeUndefined();
    expect(after.line).toEqual({}); // each left the line with its commit
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text).sort()).toEqual(['Early', 'Late']);
  });

  it('a waiter writes #META once, when it arrives, and only reads it while it waits; the commit before it hands it the lease', async () => {
    const account = newAccount();
    await holdLease(account);
    const first = counted();
    const second = counted();
    // Keyed, so that neither is carried by the other's commit (group commit takes creates without a key).
    const one = createStatusReasons(first.store, account, reason('One'), { idempotency: { key: 'one', fingerprint: 'f' } });
    await delay(200);
    const two = createStatusReasons(second.store, account, reason('Two'), { idempotency: { key: 'two', fingerprint: 'f' } });
    await delay(800);
    // Waiting for a second: each wrote #META only to arrive (a take that expected to be alone, refused, then its place).
    expect(first.calls.UpdateItem).toBe(2);
    expect(second.calls.UpdateItem).toBe(2);
    expect(second.calls.GetItem).toBeGreaterThan(0);
    await freeLease(account);
    expect((await one).revision).toBe(1);
    expect((await two).revision).toBe(2);
    // The first took the freed lease (one more write) and handed it on in its commit: the second never wrote #META again.
    expect(first.calls.UpdateItem).toBe(3);
    expect(second.calls.UpdateItem).toBe(2);
    expect(second.calls.TransactWriteItems).toBe(1);
    expect(second.events).toContainEqual(expect.objectContaining({ type: 'lease-wait', taken: true }));
    expect((await meta(account)).lockToken).toBeUndefined();
  });

  it('a place left by a writer that died holds the line up only until that writer would have given up', async () => {
    const account = newAccount();
    // The oldest possible waiter took a place and died; the lease is free.
    await holdLease(account, { line: { 'dead-writer': place(0, Date.now() + 700) } });
    await freeLease(account);
    const started = Date.now();
    const result = await createStatusReasons(table.store(), account, reason('After the dead one'));
    expect(result.revision).toBe(1);
    // It arrived while the lease was free, so it held it at once: a dead waiter is never handed what nobody holds.
    expect(Date.now() - started).toBeLessThan(700);

    // Held, and freed with the dead writer first in line: the live waiter takes it once the dead one's time is up.
    const other = newAccount();
    await holdLease(other, { line: { 'dead-writer': place(0, Date.now() + 800) } });
    const waiting = createStatusReasons(table.store(), other, reason('Behind the dead one'));
    await delay(200);
    await freeLease(other);
    const t = Date.now();
    expect((await waiting).revision).toBe(1);
    expect(Date.now() - t).toBeGreaterThanOrEqual(300);
  });

  it('a writer that gives up answers busy, writes nothing and leaves the line', async () => {
    const account = newAccount();
    await holdLease(account);
    const impatient = table.store({ leaseWaitMs: 300 });
    const error = await failure(createStatusReasons(impatient, account, reason('Impatient')));
    expect(error).toBeInstanceOf(DomainError);
    expect(error!.kind).toBe('busy');
    expect(error!.message).toMatch(/nothing was changed/);
    const after = await meta(account);
    expect(Object.keys(after.line as object)).toEqual(['another-writer']); // the waiter left
    expect(after.lockToken).toBe('another-writer');
    await freeLease(account);
    expect((await listStatusReasons(table.store(), account)).items).toEqual([]);
  });
});

describe('the turn estimate waiters sleep by (holdMs)', () => {
  it('moves a fifth of the way to each turn, a slow one counting as at most twice the estimate', () => {
    expect(nextHoldMs(30, 10)).toBe(26);
    expect(nextHoldMs(30, 45)).toBe(33);
    expect(nextHoldMs(30, 5_000)).toBe(36);
    // An account's first turn too: a cold start's 5 s must not set it (waiters would sleep past their turns).
    expect(nextHoldMs(undefined, 5_000)).toBe(Math.round(DEFAULT_HOLD_MS * 1.2));
    expect(nextHoldMs(undefined, 0)).toBe(Math.round(DEFAULT_HOLD_MS * 0.8));
  });

  it("an account's first write, slow under its lease, leaves an estimate near the first guess", async () => {
    const account = newAccount();
    // The read beside the lease takes 400 ms: the write commits that long after it took the lease.
    const { client } = faultyClient(dynamoEndpoint(), rules([{ operation: 'TransactGetItems', fault: { kind: 'delay', ms: 400 }, times: 1 }]));
    await createStatusReasons(new DynamoStatusReasonStore({ client, tableName: table.tableName }), account, reason('Slow'));
    // Before, the first turn was kept as it was (about 400), and 20 writers arriving next slept 8 s at 4 creates/s.
    expect((await meta(account)).holdMs).toBeLessThanOrEqual(DEFAULT_HOLD_MS * 1.2);
  });
});

describe('what a waiter costs', () => {
  /** A store whose every DynamoDB call is kept, in order (through the fault layer, with no faults). */
  function recorded() {
    const log: DynamoCall[] = [];
    const { client } = faultyClient(dynamoEndpoint(), (call) => void log.push(call));
    return { store: new DynamoStatusReasonStore({ client, tableName: table.tableName }), log };
  }
  const sortKeys = (call: DynamoCall) => (call.input.TransactItems as { Get: { Key: { sk: { S: string } } } }[]).map((g) => g.Get.Key.sk.S);

  it('sleeps until its turn should come, then learns it holds the lease and reads what its write needs in one snapshot', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Same'));
    // Another writer holds the lease; its turns take a second.
    await holdLease(account, { holdMs: 1_000, nextId: 2 });
    const waiter = recorded();
    const started = Date.now();
    const write = failure(createStatusReasons(waiter.store, account, reason('same')));
    for (let i = 0; i < 40 && (await placesOf(account)).length < 1; i++) await delay(25);
    // The holder commits and hands the lease to the waiter, as a commit does (endLease).
    const [token] = await placesOf(account);
    expect(token).toBeDefined();
    await setMeta(
      account,
      { lockToken: token, lockFrom: 2, lockN: 1, lockKey: '', lockSince: Date.now(), lockExpires: Date.now() + 20_000 },
      ['line.#another'],
      { '#another': 'another-writer' },
    );
    const error = await write;
    // Judged on the state its one read showed: the text is taken (the bucket came with #META).
    expect(error?.kind).toBe('duplicate');
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    // Its calls: the read beside the lease (a first write here expects to be alone), the take refused,
    // the arrival; then what it read while it waited, and the release after its refusal.
    const arrived = waiter.log.map((c) => c.operation).lastIndexOf('UpdateItem', waiter.log.length - 2);
    // The first two are sent together, in either order.
    const operations = waiter.log.map((c) => c.operation);
    expect(operations.slice(0, 2).sort()).toEqual(['TransactGetItems', 'UpdateItem']);
    expect(operations.slice(2)).toEqual(['UpdateItem', ...operations.slice(3, -1), 'UpdateItem']);
    const reads = waiter.log.slice(arrived + 1, -1);
    // No read before its turn was due (a waiter used to read every 25 ms); one read, #META with the text's bucket.
    expect(reads).toHaveLength(1);
    expect(reads[0]!.operation).toBe('TransactGetItems');
    expect(sortKeys(reads[0]!)[0]).toBe(META_SK);
    expect(sortKeys(reads[0]!)).toHaveLength(2);
    expect((await meta(account)).lockToken).toBeUndefined(); // the refusal freed the lease
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text)).toEqual(['Same']);
  });

  it('#META stays under 1 KB (one write unit, two in a commit) with a full line of waiters whose keys are 128 characters long', async () => {
    const account = newAccount();
    // Another writer holds the lease (with its own place, as every holder keeps one until it commits).
    await holdLease(account);
    const store = table.store({ leaseWaitMs: 20_000, requestMs: 30_000 });
    const writes = Array.from({ length: 16 }, (_, i) =>
      createStatusReasons(store, account, reason(`Waiter ${i}`), { idempotency: { key: `k${i}-`.padEnd(128, 'x'), fingerprint: 'f' } }),
    );
    for (let i = 0; i < 100 && (await placesOf(account)).length < 16; i++) await delay(50);
    const full = await meta(account);
    expect(Object.keys(full.line as object)).toHaveLength(17); // 16 waiters and the holder
    expect(itemBytes(full)).toBeLessThan(1024);
    await freeLease(account);
    expect((await Promise.all(writes)).map((w) => w.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });
});

describe('the cap on waiting writers', () => {
  it('refuses a writer at once (overloaded) when leaseQueueMax writers already wait, writing nothing; lapsed places do not count', async () => {
    const account = newAccount();
    const soon = Date.now() + 60_000;
    // Three live places (the cap) and two lapsed ones.
    await holdLease(account, { revision: 7, line: { a: place(1, soon), b: place(2, soon), c: place(3, soon), dead1: place(0, 1), dead2: place(0, 2) } });
    const events: StoreEvent[] = [];
    const store = table.store({ leaseQueueMax: 3, leaseWaitMs: 5_000, onEvent: (e) => events.push(e) });
    const started = Date.now();
    const error = await failure(createStatusReasons(store, account, reason('One too many')));
    expect(error?.kind).toBe('overloaded');
    expect(error?.retryAfterSeconds).toBe(1);
    expect(error?.revision).toBe(7); // as #META showed it: the answer's ac-revision (SPEC §1)
    expect(Date.now() - started).toBeLessThan(2_000); // refused at once, not after the 5 s wait
    expect(events).toContainEqual({ type: 'lease-queue-full', accountId: account, waiting: 3 });
    expect((await placesOf(account)).sort()).toEqual(['a', 'b', 'c', 'dead1', 'dead2']); // nothing written

    // One live place frees up: the next writer takes a place (and removes the lapsed ones) and waits its turn.
    await setMeta(account, {}, ['line.c']);
    const waiting = createStatusReasons(store, account, reason('Fits'));
    await delay(300);
    const places = await placesOf(account);
    expect(places).toHaveLength(3); // a, b and the new writer's; the lapsed ones removed
    expect(places).toEqual(expect.arrayContaining(['a', 'b']));
    // The older live waiters a and b never come for the lease: they are gone as far as this test goes.
    await setMeta(account, {}, ['line.a', 'line.b']);
    await freeLease(account);
    expect((await waiting).revision).toBe(8);
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text)).toEqual(['Fits']);
  });
});

describe('a repeat of a keyed request while the first still runs', () => {
  it('is told it is in progress (retryable, nothing written) instead of waiting for the lease', async () => {
    const account = newAccount();
    await holdLease(account, { lockKey: keyTag('lp:k-1') });
    const store = table.store({ leaseWaitMs: 5_000 });
    const idempotency = { key: 'lp:k-1', fingerprint: 'f' };
    const error = await failure(createStatusReasons(store, account, reason('Again'), { idempotency }));
    expect(error?.kind).toBe('in_progress');
    expect(error?.retryAfterSeconds).toBe(1);
    expect(await placesOf(account)).toEqual([]); // nothing written
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
    // The dead writer's ids are 1–3 (`nextId` stays at its `lockFrom` while it holds the lease).
    await setMeta(account, { lockToken: 'dead-writer', lockExpires: Date.now() - 1, lockFrom: 1, lockN: 3, lockKey: '', nextId: 1, line: { 'dead-writer': place(0, 1) } });
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
    expect(plain({ lockToken: { S: 't' }, lockN: { N: '5' }, line: { M: { a: { L: [{ N: '9' }, { S: '' }] } } }, dirty: { L: [{ N: '1' }] } })).toEqual({
      lockToken: 't',
      lockN: 5,
      line: { a: [9, ''] },
      dirty: [1],
    });
    expect(plain({ lockToken: 't', lockN: 5 })).toEqual({ lockToken: 't', lockN: 5 });
    expect(plain(undefined)).toBeUndefined();
  });
});
