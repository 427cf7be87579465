// Faults on the real engine: throttling, partially processed batches, failures
// that outlast every retry, and a crash between steps. After each, a read shows
// nothing half-written and a retry succeeds.
import { beforeAll, describe, expect, it } from 'vitest';
import { createStatusReasons, listStatusReasons } from '../../functions/domain/status-reasons.js';
import { DynamoStatusReasonStore, type StoreEvent } from '../../functions/store/dynamo-store.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createTestTable, localClient, newAccount, type TestTable } from '../support/dynamo.js';
import { injectFaults, isCommit, isRelease, SimulatedCrash, type FaultInjector } from '../support/faults.js';
import { DomainError } from '../../functions/domain/errors.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

const reasons = (n: number, prefix: string): NewReason[] =>
  Array.from({ length: n }, (_, i) => ({ text: `${prefix} ${i}`, state: 'Away', enabled: true, deleted: false }));

/** A store over the real engine through a faulty client, with fast backoffs. */
function faultyStore(options: { leaseMs?: number } = {}): { store: DynamoStatusReasonStore; faults: FaultInjector; events: StoreEvent[] } {
  const client = localClient();
  const faults = injectFaults(client);
  const events: StoreEvent[] = [];
  const store = new DynamoStatusReasonStore({
    client,
    tableName: table.tableName,
    batchBackoff: { baseMs: 2, maxMs: 20 },
    leaseBackoff: { baseMs: 2, maxMs: 20 },
    leaseWaitMs: 3_000,
    onEvent: (event) => events.push(event),
    ...(options.leaseMs && { leaseMs: options.leaseMs }),
  });
  return { store, faults, events };
}

/** What any later reader sees, through a clean store. */
const readBack = (account: string) => listStatusReasons(table.store(), account, { includeDeleted: true });

describe('transient faults are retried', () => {
  it('a batch that comes back partly unprocessed, several times, is retried until whole', async () => {
    const { store, faults, events } = faultyStore();
    // keep: 1, so each of the 6 faults hands items back whichever of the three
    // parallel batches (25, 25, 10) it lands on: each costs exactly one retry.
    faults.set([{ operation: 'BatchWriteItem', fault: { kind: 'unprocessed', keep: 1 }, times: 6 }]);
    const account = newAccount();
    const result = await createStatusReasons(store, account, reasons(60, 'unprocessed'));
    expect(result.items).toHaveLength(60);
    expect(faults.applied).toBe(6);
    expect(events.filter((e) => e.type === 'batch-retry').length).toBe(6);
    const seen = await readBack(account);
    expect(seen.revision).toBe(1);
    expect(seen.items.map((r) => r.text).sort()).toEqual(reasons(60, 'unprocessed').map((r) => r.text).sort());
  });

  it('throttled batch calls, the lease and the read are retried with backoff', async () => {
    const { store, faults } = faultyStore();
    faults.set([
      { operation: 'BatchWriteItem', fault: { kind: 'throttle' }, times: 3 },
      { operation: 'UpdateItem', fault: { kind: 'throttle' }, times: 2 },
      { operation: 'Query', fault: { kind: 'throttle' }, times: 1 },
    ]);
    const account = newAccount();
    const result = await createStatusReasons(store, account, reasons(30, 'throttled'));
    expect(result.revision).toBe(1);
    expect(faults.applied).toBe(6);
    expect((await readBack(account)).items).toHaveLength(30);
  });
});

describe('failures that outlast the retries leave nothing half-written', () => {
  it('throttling on every batch call: the create fails as busy, nothing is visible, a retry succeeds', async () => {
    const { store, faults } = faultyStore();
    const account = newAccount();
    await createStatusReasons(store, account, reasons(2, 'before'));
    // The first chunk lands, every call for the second chunk is throttled.
    faults.set([{ operation: 'BatchWriteItem', fault: { kind: 'throttle' }, after: 1 }]);
    const error = await createStatusReasons(store, account, reasons(40, 'doomed')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe('busy');

    const seen = await readBack(account);
    expect(seen.revision).toBe(1);
    expect(seen.items.map((r) => r.text).sort()).toEqual(['before 0', 'before 1']);

    faults.clear();
    const retry = await createStatusReasons(store, account, reasons(40, 'doomed'));
    expect(retry.revision).toBe(2);
    const after = await readBack(account);
    expect(after.items).toHaveLength(42);
    // The retry's ids are new: ids are never reused, even those of the failed attempt.
    expect(Math.min(...retry.items.map((r) => r.id))).toBeGreaterThan(2 + 40);
  });

  it('a commit that is throttled past every retry: nothing visible, and the next create cleans up the leftovers', async () => {
    const { store, faults } = faultyStore();
    const account = newAccount();
    faults.set([{ operation: 'UpdateItem', fault: { kind: 'throttle' }, when: isCommit }]);
    const error = await createStatusReasons(store, account, reasons(5, 'uncommitted')).catch((e: unknown) => e);
    expect((error as DomainError).kind).toBe('busy');
    expect(await readBack(account)).toEqual({ revision: 0, items: [] });

    faults.clear();
    await createStatusReasons(store, account, reasons(1, 'next'));
    const seen = await readBack(account);
    expect(seen.items.map((r) => r.text)).toEqual(['next 0']);
    // The leftover items of the failed write were deleted, not merely hidden.
    const raw = await table.client.send(
      new (await import('@aws-sdk/client-dynamodb')).QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `ACCOUNT#${account}` } },
      }),
    );
    expect(raw.Items?.length).toBe(2); // #META and the one reason
  });
});

describe('a crash between steps', () => {
  it('crash after the batch write, before the commit: nothing visible; after the lease expires a retry succeeds', async () => {
    const leaseMs = 600;
    const { store, faults } = faultyStore({ leaseMs });
    const account = newAccount();
    await createStatusReasons(store, account, reasons(1, 'kept'));
    // The process dies before the commit: neither the commit nor the release is ever sent.
    faults.set([
      { operation: 'UpdateItem', fault: { kind: 'crash' }, when: isCommit },
      { operation: 'UpdateItem', fault: { kind: 'crash' }, when: isRelease },
    ]);
    const crash = await createStatusReasons(store, account, reasons(30, 'lost')).catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(SimulatedCrash);
    faults.clear();

    // Another container reads: only the committed write is there.
    const seen = await readBack(account);
    expect(seen).toEqual({ revision: 1, items: [expect.objectContaining({ text: 'kept 0' })] });

    // Another container retries the same request; it waits out the dead writer's lease, then succeeds.
    const other = new DynamoStatusReasonStore({ client: localClient(), tableName: table.tableName, leaseMs, leaseWaitMs: 5_000 });
    const started = Date.now();
    const retry = await createStatusReasons(other, account, reasons(30, 'lost'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(retry.revision).toBe(2);
    const after = await readBack(account);
    expect(after.items).toHaveLength(31);
    expect(new Set(after.items.map((r) => r.id)).size).toBe(31);
  });

  it('crash right after taking the lease: reads are unaffected and the next writer takes over after expiry', async () => {
    const leaseMs = 400;
    const { store, faults } = faultyStore({ leaseMs });
    const account = newAccount();
    faults.set([
      { operation: 'BatchWriteItem', fault: { kind: 'crash' } },
      { operation: 'UpdateItem', fault: { kind: 'crash' }, when: isRelease },
    ]);
    await expect(createStatusReasons(store, account, reasons(3, 'x'))).rejects.toBeInstanceOf(SimulatedCrash);
    faults.clear();
    expect(await readBack(account)).toEqual({ revision: 0, items: [] });
    const retry = await createStatusReasons(store, account, reasons(3, 'x'));
    expect(retry.revision).toBe(1);
  });

  it('a writer whose lease ran out before its commit fails cleanly instead of overwriting the next writer', async () => {
    const leaseMs = 300;
    const account = newAccount();
    let clock = Date.now();
    const slow = new DynamoStatusReasonStore({ client: localClient(), tableName: table.tableName, leaseMs, now: () => clock });
    // The slow writer's clock jumps past its safe window between taking the lease and writing.
    const pending = createStatusReasons(slow, account, reasons(2, 'slow'));
    clock += leaseMs;
    const error = await pending.catch((e: unknown) => e);
    expect((error as DomainError).kind).toBe('busy');
    expect(await readBack(account)).toEqual({ revision: 0, items: [] });
  });
});
