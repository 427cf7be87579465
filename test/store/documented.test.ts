// The store on DynamoDB as AWS documents it (the fault layer's documented model,
// test/support/documented-dynamo.ts, over the real engine): writes to an item of
// a transaction in flight are refused with TransactionConflictException,
// transactions touching such an item are cancelled (TransactionConflict), and
// reads are read-committed per item, so a commit's items may become visible one
// by one. DynamoDB Local shows none of it.
import { DocumentClient, UpdateCommand as LeanUpdateCommand } from '../../functions/aws/dynamodb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../functions/domain/errors.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, deleteStatusReason, getStatusReason, listStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../../functions/store/dynamo-store.js';
import { deletedKey, liveKey, META_SK, partitionKey } from '../../functions/store/layout.js';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DocumentedDynamo, type DocumentedOptions, type TransactionPlan } from '../support/documented-dynamo.js';
import { faultyClient, isCommit, rules } from '../support/fault-layer.js';
import { lineOf } from '../../functions/store/lease-line.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
const models: DocumentedDynamo[] = [];
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => models.forEach((model) => model.destroy()));

const reason = (text: string): NewReason[] => [{ text, state: 'Away', enabled: true, deleted: false }];
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stores over one documented model (each like its own Lambda container), each
 * TransactWriteItems planned by `plan` (its window, and which items appear late).
 */
function documented(
  plan: (input: Record<string, any>) => Omit<TransactionPlan, 'seed'>,
  storeOptions: Partial<DynamoStoreOptions> = {},
  modelOptions: Omit<DocumentedOptions, 'endpoint'> = {},
) {
  const model = new DocumentedDynamo({ endpoint: dynamoEndpoint(), ...modelOptions });
  models.push(model);
  const { client, faults } = faultyClient(dynamoEndpoint(), undefined, model);
  faults.plan = (call) => ({ seed: 1, ...plan(call.input) });
  const store = (more: Partial<DynamoStoreOptions> = {}) => new DynamoStatusReasonStore({ client, tableName: table.tableName, ...storeOptions, ...more });
  return { client, model, store };
}

/** Waits until the engine itself (read past the model) holds `revision` for the account: its commit is applied, its window open. */
async function applied(account: string, revision: number): Promise<void> {
  const doc = DynamoDBDocumentClient.from(table.sdk);
  for (;;) {
    const out = await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: META_SK }, ConsistentRead: true }));
    if (out.Item?.revision === revision) return;
    await sleep(5);
  }
}

describe('conflicts with a transaction in flight are retried, never a 500', () => {
  it('8 writers x 8 keyed creates on one account, each commit in flight 15 ms: every create applies once, each answer 200 or a retryable refusal', async () => {
    const account = newAccount();
    const { model, store } = documented((input) => ({ windowMs: isCommit(input) ? 15 : 0 }), { requestMs: 20_000, leaseWaitMs: 20_000, leaseQueueMax: 100 });
    const answers: Record<string, number> = {};
    const unexpected: unknown[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const writer = store();
        for (let k = 0; k < 8; k++) {
          const idempotency = { key: `lp:w${w}-k${k}`, fingerprint: `f${w}-${k}` };
          // As a client would: a retryable refusal (nothing written) is sent again with the same key.
          for (;;) {
            const outcome = await createStatusReasons(writer, account, reason(`Writer ${w} create ${k}`), { idempotency }).then(
              () => 'ok',
              (e: unknown) => (e instanceof DomainError ? e.kind : (unexpected.push(e), 'unexpected')),
            );
            answers[outcome] = (answers[outcome] ?? 0) + 1;
            if (outcome !== 'busy' && outcome !== 'overloaded' && outcome !== 'in_progress') break;
            await sleep(50);
          }
        }
      }),
    );
    expect(unexpected).toEqual([]);
    expect(answers.ok).toBe(64);
    // The race took place: single writes and transactions met a commit in flight.
    expect(model.tally.writesRefused + model.tally.transactionsCancelled + model.tally.transactGetsCancelled).toBeGreaterThan(0);
    const listed = await listStatusReasons(table.store(), account);
    expect(listed.revision).toBe(64);
    expect(listed.items).toHaveLength(64);
  });
});

describe('the owner of the lease reads without #META', () => {
  it('a write under the lease is not held up by single writes of #META in flight (arrivals taking a place), which cancel any TransactGetItems that includes it', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('First'));
    const metaKey = { pk: partitionKey(account), sk: META_SK };
    const { client, model, store } = documented(
      () => ({ windowMs: 0 }),
      { requestMs: 1_500 },
      // Each UpdateItem of #META by the prober stays in flight 40 ms.
      { writeHoldMs: ({ input }) => (String(input.UpdateExpression ?? '').includes('probe') ? 40 : 0) },
    );
    const doc = new DocumentClient(client);
    let probing = true;
    // Two probers back to back: some write of #META is always in flight.
    const probe = async () => {
      while (probing) {
        // Refused while the commit is in flight (TransactionConflict): it writes again, as an arrival would.
        await doc.send(new LeanUpdateCommand({ TableName: table.tableName, Key: metaKey, UpdateExpression: 'SET probe = :p', ExpressionAttributeValues: { ':p': Date.now() } })).catch(() => sleep(5));
      }
    };
    const probers = [probe(), sleep(20).then(probe)];
    try {
      await sleep(60);
      const write = await failure(replaceStatusReason(store(), account, 1, { text: 'Renamed', state: 'Online' }));
      expect(write).toBeUndefined();
    } finally {
      probing = false;
      await Promise.all(probers);
    }
    expect((await listStatusReasons(table.store(), account)).items.map((r) => r.text)).toEqual(['Renamed']);
    // The race took place: the read beside the lease, which includes #META, was cancelled.
    expect(model.tally.transactGetsCancelled).toBeGreaterThan(0);
  });
});

describe('the next in line reads #META with its items in one snapshot, which a commit in flight cancels', () => {
  it('two writers of one text, each commit in flight 300 ms: the second, whose snapshot reads meet the first commit, is refused for the text, never both applied', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Before'));
    const { model, store } = documented((input) => ({ windowMs: isCommit(input) ? 300 : 0 }), { requestMs: 8_000 });
    // Separate stores, as two Lambda containers: each tries the lease alone first.
    const writes = [createStatusReasons(store(), account, reason('Same')), sleep(5).then(() => createStatusReasons(store(), account, reason('same ')))];
    const outcomes = await Promise.all(writes.map((w) => w.then((r) => r.revision, (e: unknown) => (e as DomainError).kind)));
    expect(outcomes.sort()).toEqual([2, 'duplicate']);
    // The race took place: a read of the waiter (or beside the lease) met the commit in flight.
    expect(model.tally.transactGetsCancelled + model.tally.transactionsCancelled + model.tally.writesRefused).toBeGreaterThan(0);
    const listed = await listStatusReasons(table.store(), account);
    expect(listed.revision).toBe(2);
    // Whichever took the lease first wins (under load the later arrival can): exactly one of the two texts.
    const texts = listed.items.map((r) => r.text);
    expect(texts).toHaveLength(2);
    expect(texts).toContain('Before');
    expect(['Same', 'same ']).toContain(texts.find((t) => t !== 'Before'));
  });
});

describe('a keyed repeat of an applied write answers as the first did', () => {
  it('a repeated keyed create whose reads are throttled (one, then every one after the second) answers the first answer (or 503), never "text already used"', async () => {
    const account = newAccount();
    const idempotency = { key: 'lp:repeat-create', fingerprint: 'f-create' };
    const first = await createStatusReasons(table.store(), account, reason('Lunch'), { idempotency });
    // One read throttled; the second answers; any read after it stays throttled.
    const policy = rules([
      { operation: 'TransactGetItems', fault: { kind: 'throttle' }, times: 1 },
      { operation: 'TransactGetItems', after: 1, fault: { kind: 'throttle' } },
    ]);
    const { client } = faultyClient(dynamoEndpoint(), policy);
    const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, requestMs: 1_500, throttleBackoff: { baseMs: 5, maxMs: 20 } });
    const repeat = await createStatusReasons(store, account, reason('Lunch'), { idempotency }).catch((e: unknown) => e);
    expect(policy.applied()).toBeGreaterThan(0);
    if (repeat instanceof DomainError) expect(repeat.kind).toBe('busy');
    else expect(repeat).toEqual({ ...first, replayed: true });
  });

  it('a repeated keyed delete whose reads are throttled (one, then every one after the second) answers the first answer (or 503), never 404', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Gone soon'));
    const idempotency = { key: 'lp:repeat-delete', fingerprint: 'f-delete' };
    const first = await deleteStatusReason(table.store(), account, 1, { idempotency });
    // One read throttled; the second answers; any read after it stays throttled.
    const policy = rules([
      { operation: 'TransactGetItems', fault: { kind: 'throttle' }, times: 1 },
      { operation: 'TransactGetItems', after: 1, fault: { kind: 'throttle' } },
    ]);
    const { client } = faultyClient(dynamoEndpoint(), policy);
    const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, requestMs: 1_500, throttleBackoff: { baseMs: 5, maxMs: 20 } });
    const repeat = await deleteStatusReason(store, account, 1, { idempotency }).catch((e: unknown) => e);
    expect(policy.applied()).toBeGreaterThan(0);
    if (repeat instanceof DomainError) expect(repeat.kind).toBe('busy');
    else expect(repeat).toEqual({ ...first, replayed: true });
  });
});

describe('a read answers only a state whose every item it read at that revision', () => {
  /** The account's commits stay in flight `ms` after the engine applied them, reason `id` showing old all along, the rest new at once. */
  /** Time enough for a commit held a window long to answer in one attempt. */
  const SLOW_COMMIT: Partial<DynamoStoreOptions> = { requestMs: 6_000, attemptMs: 4_000 };
  const lateItem = (account: string, sk: string, ms: number) => (input: Record<string, any>) =>
    isCommit(input) && JSON.stringify(input).includes(partitionKey(account)) ? { windowMs: ms, late: (key: Record<string, any>) => key.sk?.S === sk } : { windowMs: 0 };
  const lateReason = (account: string, id: number, ms: number) => lateItem(account, liveKey(id), ms);

  it('a list while a rename shows #META new and the reason old: reads again, answers the renamed state', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Before'));
    const { model, store } = documented(lateReason(account, 1, 1_000), SLOW_COMMIT);
    const rename = replaceStatusReason(store(), account, 1, { text: 'After', state: 'Away' });
    await applied(account, 2);
    const listed = await listStatusReasons(store(), account);
    await rename;
    expect(model.tally.readsMasked).toBeGreaterThan(0); // the torn read took place
    expect({ revision: listed.revision, texts: listed.items.map((r) => r.text) }).toEqual({ revision: 2, texts: ['After'] });
  });

  it('a list torn on every try answers 503, never revision 2 with revision 1’s reason', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Before'));
    const { model, store } = documented(lateReason(account, 1, 1_800), SLOW_COMMIT);
    const rename = replaceStatusReason(store(), account, 1, { text: 'After', state: 'Away' });
    await applied(account, 2);
    const listed = await listStatusReasons(store({ requestMs: 400 }), account).then(
      (l) => ({ revision: l.revision, texts: l.items.map((r) => r.text) }),
      (e: unknown) => (e instanceof DomainError ? e.kind : e),
    );
    await rename;
    expect(model.tally.readsMasked).toBeGreaterThan(0);
    expect(listed).toBe('busy');
  });

  it('a list while a delete shows the reason still live answers the state after the delete', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Keep'));
    await createStatusReasons(table.store(), account, reason('Drop'));
    const { model, store } = documented(lateReason(account, 2, 1_000), SLOW_COMMIT);
    const deletion = deleteStatusReason(store(), account, 2);
    await applied(account, 3);
    const listed = await listStatusReasons(store(), account);
    await deletion;
    expect(model.tally.readsMasked).toBeGreaterThan(0);
    expect({ revision: listed.revision, texts: listed.items.map((r) => r.text) }).toEqual({ revision: 3, texts: ['Keep'] });
  });

  it('a list with the deleted ones while a delete shows its deleted item not yet there answers the deleted reason too', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Keep'));
    await createStatusReasons(table.store(), account, reason('Drop'));
    const { model, store } = documented(lateItem(account, deletedKey(2), 1_000), SLOW_COMMIT);
    const deletion = deleteStatusReason(store(), account, 2);
    await applied(account, 3);
    const listed = await listStatusReasons(store(), account, { includeDeleted: true });
    await deletion;
    expect(model.tally.readsMasked).toBeGreaterThan(0);
    expect({ revision: listed.revision, reasons: listed.items.map((r) => [r.text, r.deleted]) }).toEqual({ revision: 3, reasons: [['Drop', true], ['Keep', false]] });
  });

  it('a list with the deleted ones while a restore shows its deleted item gone but #META and the live item not yet answers the restored reason, never a state without it', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Keep'));
    await createStatusReasons(table.store(), account, reason('Back'));
    await deleteStatusReason(table.store(), account, 2);
    // A later write, so that #META's latest commit no longer names the deleted reason.
    await createStatusReasons(table.store(), account, reason('Other'));
    // The restore's deletion of the deleted item shows at once; #META and the live item only when its window ends.
    const late = (key: Record<string, any>) => key.sk?.S === META_SK || key.sk?.S === liveKey(2);
    const { model, store } = documented((input) => (isCommit(input) && JSON.stringify(input).includes(partitionKey(account)) ? { windowMs: 1_000, late } : { windowMs: 0 }), SLOW_COMMIT);
    const restore = replaceStatusReason(store(), account, 2, { text: 'Back', state: 'Away', deleted: false });
    await applied(account, 5);
    const listed = await listStatusReasons(store(), account, { includeDeleted: true });
    await restore;
    expect(model.tally.readsMasked).toBeGreaterThan(0);
    expect({ revision: listed.revision, reasons: listed.items.map((r) => [r.text, r.deleted]) }).toEqual({ revision: 5, reasons: [['Other', false], ['Back', false], ['Keep', false]] });
  });

  it('get by id while a rename shows the reason old answers the renamed reason', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reason('Before'));
    const { model, store } = documented(lateReason(account, 1, 1_000), SLOW_COMMIT);
    const rename = replaceStatusReason(store(), account, 1, { text: 'After', state: 'Away' });
    await applied(account, 2);
    const got = await getStatusReason(store(), account, 1);
    await rename;
    // A TransactGetItems is isolated from the transaction: cancelled while it is in flight, never shown it in part.
    expect(model.tally.transactGetsCancelled).toBeGreaterThan(0);
    expect({ revision: got.revision, text: got.item.text }).toEqual({ revision: 2, text: 'After' });
  });
});

describe('the deletion log as the commit before wrote it', () => {
  // "Cccc…" is 40 characters longer than "a": the history's budget is set so that the second write below must drop.
  const long = `C${'c'.repeat(40)}`;

  /**
   * Reasons "a", "b" and "Cccc…" (ids 1-3), `deleted` deleted, and a history budget of
   * what they take plus `slack` bytes. Then, with every commit of the account in flight
   * 1 s and its deletion-log changes showing only at its end: `first` and `second` wait
   * in line behind a third write, so that `first`'s commit hands `second` the lease while
   * the log does not show that commit's change yet. Answers the account's #META and its
   * list with the deleted reasons, read afterwards.
   */
  async function handedOnWhileTheLogApplies(deleted: number[], slack: number, first: (store: DynamoStatusReasonStore, account: string) => Promise<unknown>, second: (store: DynamoStatusReasonStore, account: string) => Promise<unknown>) {
    const account = newAccount();
    const doc = DynamoDBDocumentClient.from(table.sdk);
    const meta = async () => (await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: META_SK }, ConsistentRead: true }))).Item!;
    const plain = table.store();
    await createStatusReasons(plain, account, [...reason('a'), ...reason('b'), ...reason(long)]);
    for (const id of deleted) await deleteStatusReason(plain, account, id);
    const historyBytesMax = ((await meta()).historyBytes as number) + slack;

    const model = new DocumentedDynamo({ endpoint: dynamoEndpoint() });
    models.push(model);
    const plan = ({ input }: { input: Record<string, any> }) =>
      isCommit(input) && JSON.stringify(input).includes(partitionKey(account)) ? { seed: 1, windowMs: 1_000, late: (key: Record<string, any>) => String(key.sk?.S).startsWith('X#') } : { seed: 1, windowMs: 0 };
    const client = () => {
      const { client, faults } = faultyClient(dynamoEndpoint(), undefined, model);
      faults.plan = plan;
      return client;
    };
    const store = (c = client()) => new DynamoStatusReasonStore({ client: c, tableName: table.tableName, historyBytesMax, requestMs: 8_000, attemptMs: 4_000, leaseWaitMs: 8_000 });
    const waiting = async (n: number) => {
      while (lineOf(await meta()).length < n) await sleep(5);
    };
    // The third write holds the lease while `first`, then `second`, take their places in line:
    // `first`'s view of the line names `second`, so its commit hands the lease on.
    let writes: Promise<unknown>[] = [];
    const { client: holder } = faultyClient(
      dynamoEndpoint(),
      rules([
        {
          operation: 'TransactWriteItems',
          when: isCommit,
          times: 1,
          fault: {
            kind: 'interleave',
            run: async () => {
              writes.push(first(store(), account));
              await waiting(1);
              writes.push(second(store(), account));
              await waiting(2);
            },
          },
        },
      ]),
    );
    await createStatusReasons(store(holder), account, reason('x'));
    await Promise.all(writes);
    expect(model.tally.readsMasked).toBeGreaterThan(0); // `second` read the log before `first`'s change to it showed
    const listed = await listStatusReasons(table.store({ requestMs: 3_000 }), account, { includeDeleted: true });
    return { meta: await meta(), listed: { revision: listed.revision, reasons: listed.items.map((r) => [r.text, r.deleted]).sort() }, deletedSize: async (id: number) => (await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: deletedKey(id) }, ConsistentRead: true }))).Item!.size };
  }

  it('a write that drops while the restore before it still shows the restored reason in the log: the kept count stays true, lists with the deleted ones still answer', async () => {
    // "a" and "b" deleted; "a" restored, then "Cccc…" deleted: {b, Cccc…} is over budget, "b" goes.
    const { meta, listed, deletedSize } = await handedOnWhileTheLogApplies(
      [1, 2],
      5,
      (store, account) => replaceStatusReason(store, account, 1, { text: 'a', state: 'Away', deleted: false }),
      (store, account) => deleteStatusReason(store, account, 3),
    );
    expect(listed).toEqual({ revision: 6, reasons: [[long, true], ['a', false], ['x', false]] });
    expect({ deletedKept: meta.deletedKept, historyBytes: meta.historyBytes }).toEqual({ deletedKept: 1, historyBytes: await deletedSize(3) });
  }, 30_000);

  it('a write that drops to the log’s end while the delete before it does not show its entry yet: the kept count stays true, lists with the deleted ones still answer', async () => {
    // "a" deleted; "b" deleted (over budget: "a" goes), then "Cccc…" deleted: {b, Cccc…} is over budget, and
    // so is "Cccc…" alone: both go, the walk reaching the log's end.
    const { meta, listed } = await handedOnWhileTheLogApplies(
      [1],
      5,
      (store, account) => deleteStatusReason(store, account, 2),
      (store, account) => deleteStatusReason(store, account, 3),
    );
    expect(listed).toEqual({ revision: 5, reasons: [['x', false]] });
    expect({ deletedKept: meta.deletedKept, historyBytes: meta.historyBytes }).toEqual({ deletedKept: 0, historyBytes: 0 });
  }, 30_000);
});
