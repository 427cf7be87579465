// The documented model of the fault layer (documented-dynamo.ts) held to what
// AWS documents, on the real engine: each rule it emulates has its test here, so
// that the simulation's findings rest on an emulation that is checked, not assumed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactGetCommand, TransactWriteCommand, UpdateCommand, DeleteCommand, BatchGetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DocumentedDynamo } from './documented-dynamo.js';
import { faultySdkClient, type FaultLayer } from './fault-layer.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from './dynamo.js';

let table: TestTable;
let model: DocumentedDynamo;
let writer: { doc: DynamoDBDocumentClient; faults: FaultLayer };
let other: { doc: DynamoDBDocumentClient; faults: FaultLayer };

const WINDOW_MS = 800;

beforeAll(async () => {
  table = await createTestTable();
  model = new DocumentedDynamo({ endpoint: dynamoEndpoint() });
  const open = () => {
    const { client, faults } = faultySdkClient(dynamoEndpoint(), undefined, model);
    return { doc: DynamoDBDocumentClient.from(client), faults };
  };
  writer = open();
  other = open();
  writer.faults.plan = () => ({ windowMs: WINDOW_MS, seed: 42 });
});
afterAll(() => {
  writer?.doc.destroy();
  other?.doc.destroy();
  model?.destroy();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: any) => e,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codes = (error: any) => (error.CancellationReasons as { Code: string }[]).map((r) => r.Code);

/** Seeds `n` items `#I#0..n-1` with v: 'old', and starts a transaction that sets them to 'new' (not awaited). */
async function startTransaction(pk: string, n: number, extra: Record<string, any>[] = []) {
  for (let i = 0; i < n; i++) await table.sdk.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: `#I#${i}`, v: 'old', i } }) as never);
  const started = Date.now();
  const done = writer.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        ...Array.from({ length: n }, (_, i) => ({ Update: { TableName: table.tableName, Key: { pk, sk: `#I#${i}` }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 'new' } } })),
        ...extra,
      ],
    }),
  );
  // The transaction holds its items once its old images are read: wait until the model shows it in flight.
  while (model.idle) await sleep(2);
  return { done, started };
}

describe('conflicts with a transaction in flight', () => {
  it('refuses an UpdateItem, PutItem and DeleteItem on its items with TransactionConflictException (400), and lets them through after its window', async () => {
    const pk = newAccount();
    const { done } = await startTransaction(pk, 3);
    const update = await failure(other.doc.send(new UpdateCommand({ TableName: table.tableName, Key: { pk, sk: '#I#1' }, UpdateExpression: 'SET w = :w', ExpressionAttributeValues: { ':w': 1 } })));
    expect(update.name).toBe('TransactionConflictException');
    expect(update.$metadata.httpStatusCode).toBe(400);
    expect((await failure(other.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: '#I#0', v: 'other' } })))).name).toBe('TransactionConflictException');
    expect((await failure(other.doc.send(new DeleteCommand({ TableName: table.tableName, Key: { pk, sk: '#I#2' } })))).name).toBe('TransactionConflictException');
    // An item the transaction does not include is free.
    await other.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: '#I#9', v: 'free' } }));
    await done;
    // The window is over: the conflicts are gone, and the refused writes changed nothing.
    await other.doc.send(new UpdateCommand({ TableName: table.tableName, Key: { pk, sk: '#I#1' }, UpdateExpression: 'SET w = :w', ExpressionAttributeValues: { ':w': 1 } }));
    const got = await other.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: '#I#0' }, ConsistentRead: true }));
    expect(got.Item).toEqual({ pk, sk: '#I#0', v: 'new', i: 0 });
  });

  it('cancels another TransactWriteItems with TransactionConflict for the shared item and None for the others', async () => {
    const pk = newAccount();
    const { done } = await startTransaction(pk, 2);
    const error = await failure(
      other.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table.tableName, Item: { pk, sk: '#X#0', v: 'x' } } },
            // A ConditionCheck counts as an item of its transaction too.
            { ConditionCheck: { TableName: table.tableName, Key: { pk, sk: '#I#1' }, ConditionExpression: 'attribute_exists(pk)' } },
          ],
        }),
      ),
    );
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(codes(error)).toEqual(['None', 'TransactionConflict']);
    await done;
    expect((await other.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: '#X#0' }, ConsistentRead: true }))).Item).toBeUndefined();
  });

  it("counts a transaction's ConditionCheck items as held: an UpdateItem on one is refused", async () => {
    const pk = newAccount();
    await table.sdk.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: '#C', v: 1 } }) as never);
    const { done } = await startTransaction(pk, 1, [{ ConditionCheck: { TableName: table.tableName, Key: { pk, sk: '#C' }, ConditionExpression: 'attribute_exists(pk)' } }]);
    const error = await failure(other.doc.send(new UpdateCommand({ TableName: table.tableName, Key: { pk, sk: '#C' }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 2 } })));
    expect(error.name).toBe('TransactionConflictException');
    await done;
  });

  it('cancels a TransactGetItems that reads one of its items with TransactionConflict', async () => {
    const pk = newAccount();
    const { done } = await startTransaction(pk, 2);
    const error = await failure(
      other.doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: table.tableName, Key: { pk, sk: '#I#9' } } }, { Get: { TableName: table.tableName, Key: { pk, sk: '#I#0' } } }] })),
    );
    expect(error.name).toBe('TransactionCanceledException');
    expect(codes(error)).toEqual(['None', 'TransactionConflict']);
    await done;
    const after = await other.doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: table.tableName, Key: { pk, sk: '#I#0' } } }] }));
    expect(after.Responses?.[0]?.Item?.v).toBe('new');
  });

  it('with writeHoldMs, keeps a single write in flight that long: a TransactGetItems of its item meanwhile is cancelled, and answers once it landed', async () => {
    const pk = newAccount();
    const holding = new DocumentedDynamo({ endpoint: dynamoEndpoint(), writeHoldMs: ({ operation, input }) => (operation === 'UpdateItem' && input.Key?.sk?.S === '#W' ? 400 : 0) });
    const { client } = faultySdkClient(dynamoEndpoint(), undefined, holding);
    const doc = DynamoDBDocumentClient.from(client);
    try {
      await table.sdk.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: '#W', v: 'old' } }) as never);
      const started = Date.now();
      const write = doc.send(new UpdateCommand({ TableName: table.tableName, Key: { pk, sk: '#W' }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 'new' } }));
      await sleep(50);
      const read = () => doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: table.tableName, Key: { pk, sk: '#W' } } }] }));
      const error = await failure(read());
      expect(error.name).toBe('TransactionCanceledException');
      expect(codes(error)).toEqual(['TransactionConflict']);
      expect(holding.tally.transactGetsCancelled).toBe(1);
      await write;
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect((await read()).Responses?.[0]?.Item?.v).toBe('new');
    } finally {
      doc.destroy();
      holding.destroy();
    }
  });

  it('answers a resend of the same ClientRequestToken while the first still runs with TransactionInProgressException', async () => {
    const pk = newAccount();
    const input = { TransactItems: [{ Put: { TableName: table.tableName, Item: { pk, sk: '#T', v: 1 } } }], ClientRequestToken: `token-${pk}` };
    const first = writer.doc.send(new TransactWriteCommand(input));
    while (model.idle) await sleep(2);
    expect((await failure(other.doc.send(new TransactWriteCommand(input)))).name).toBe('TransactionInProgressException');
    await first;
    // Once it is over, the engine answers the resend as the first (idempotent).
    await other.doc.send(new TransactWriteCommand(input));
  });
});

describe('read-committed reads while a transaction applies', () => {
  /** v of each item #I#0..n-1 as a Query shows it (absent: '-'). */
  const queryValues = async (pk: string, n: number, extra: Partial<ConstructorParameters<typeof QueryCommand>[0]> = {}) => {
    const items: Record<string, any>[] = [];
    let start: Record<string, any> | undefined;
    do {
      const out = await other.doc.send(
        new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': '#I#' }, ConsistentRead: true, ExclusiveStartKey: start, ...extra }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return { items, values: Array.from({ length: n }, (_, i) => items.find((item) => item.sk === `#I#${i}`)?.v ?? '-') as string[] };
  };

  it('a Query during the window sees a prefix of the items new and the rest old; each later Query a longer prefix; after the answer all new', async () => {
    const pk = newAccount();
    const n = 6;
    const { done } = await startTransaction(pk, n);
    let answered = false;
    void done.then(() => (answered = true));
    const seen: string[][] = [];
    while (!answered) {
      seen.push((await queryValues(pk, n)).values);
      await sleep(15);
    }
    await done;
    // Some answer mixed the two states: the emulation showed what Local never does.
    expect(seen.some((values) => values.includes('new') && values.includes('old'))).toBe(true);
    // Every answer is a prefix of one order: the set of new items only grows.
    for (let k = 1; k < seen.length; k++) {
      for (let i = 0; i < n; i++) if (seen[k - 1]![i] === 'new') expect(seen[k]![i]).toBe('new');
    }
    expect((await queryValues(pk, n)).values).toEqual(Array(n).fill('new'));
  });

  it('with a plan that names late items, shows the others new as soon as the engine applied it and the late ones old until the window ends', async () => {
    const pk = newAccount();
    writer.faults.plan = () => ({ windowMs: 1_500, seed: 42, late: (key) => key.sk?.S === '#I#1' });
    try {
      const { done } = await startTransaction(pk, 3);
      let answered = false;
      void done.then(() => (answered = true));
      // Once the engine has applied it (read past the model), the half-applied state shows, and stays until the answer.
      const engine = async () => (await table.sdk.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: '#I#0' }, ConsistentRead: true }) as never) as { Item?: Record<string, any> }).Item?.v;
      while ((await engine()) !== 'new') await sleep(5);
      const during = (await queryValues(pk, 3)).values;
      expect(answered).toBe(false);
      expect(during).toEqual(['new', 'old', 'new']);
      await done;
      expect((await queryValues(pk, 3)).values).toEqual(['new', 'new', 'new']);
    } finally {
      writer.faults.plan = () => ({ windowMs: WINDOW_MS, seed: 42 });
    }
  });

  it('shows an item the transaction deletes as it was, and leaves out one it creates, until each is revealed; also through Limit pages, backwards, projected', async () => {
    const pk = newAccount();
    const n = 4;
    // A long window: the first of its 6 items appears ~430 ms after the engine applied it.
    writer.faults.plan = () => ({ windowMs: 3_000, seed: 42 });
    await table.sdk.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: '#I#4', v: 'doomed', i: 4 } }) as never);
    const { done } = await startTransaction(pk, n, [
      { Delete: { TableName: table.tableName, Key: { pk, sk: '#I#4' } } },
      { Put: { TableName: table.tableName, Item: { pk, sk: '#I#5', v: 'born', i: 5 } } },
    ]);
    // Straight after the engine applied it, nothing is revealed yet: the old state, whole.
    const first = await queryValues(pk, 6, { Limit: 2 });
    expect(first.values).toEqual(['old', 'old', 'old', 'old', 'doomed', '-']);
    const backwards = await queryValues(pk, 6, { ScanIndexForward: false, Limit: 3 });
    expect(backwards.items.map((i) => i.sk)).toEqual(['#I#4', '#I#3', '#I#2', '#I#1', '#I#0']);
    const projected = await queryValues(pk, 6, { ProjectionExpression: 'sk, #v', ExpressionAttributeNames: { '#v': 'v' } });
    expect(projected.items.find((i) => i.sk === '#I#4')).toEqual({ sk: '#I#4', v: 'doomed' });
    const got = await other.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: '#I#4' }, ConsistentRead: true, ProjectionExpression: 'v' }));
    expect(got.Item).toEqual({ v: 'doomed' });
    expect((await other.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: '#I#5' }, ConsistentRead: true }))).Item).toBeUndefined();
    const batch = await other.doc.send(new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: [{ pk, sk: '#I#4' }, { pk, sk: '#I#5' }, { pk, sk: '#I#0' }] } } }));
    expect(batch.Responses?.[table.tableName]?.map((i) => `${i.sk}=${i.v}`).sort()).toEqual(['#I#0=old', '#I#4=doomed']);
    await done;
    writer.faults.plan = () => ({ windowMs: WINDOW_MS, seed: 42 });
    expect((await queryValues(pk, 6, { Limit: 2 })).values).toEqual(['new', 'new', 'new', 'new', '-', 'born']);
    const scanned = await other.doc.send(new ScanCommand({ TableName: table.tableName, ConsistentRead: true }));
    expect(scanned.Items?.filter((i) => i.pk === pk && i.sk === '#I#4')).toEqual([]);
  });
});
