// A real DynamoDB (the engine global-setup started) for a test: a fresh table
// and a store over it. Fault injection wraps this real client; it never replaces it.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { beforeAll, inject } from 'vitest';
import { ensureTable } from '../../infra/local/table.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../../functions/store/dynamo-store.js';

export const dynamoEndpoint = () => inject('dynamoEndpoint');

/** The functions' own DynamoDB client (functions/aws/), on the test engine. */
export function localClient(): DynamoClient {
  return new DynamoClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: localCredentials });
}

/** The AWS SDK's client on the test engine: for a test's own reads and writes of items (and creating tables). */
export function localSdkClient(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: dynamoEndpoint(), region: 'us-east-1', credentials: localCredentials });
}

/**
 * Store budgets for tests of correctness under contention (dozens of writers on
 * one account), not of latency: in the full suite every test file's requests
 * share the one DynamoDB Local, and a write that is 40th in an account's line
 * can wait most of a minute there. The lease outlasts the longest request, as
 * the store requires; one call may take 20 s before it is sent again.
 */
export const CONTENDED_BUDGETS = {
  leaseWaitMs: 150_000,
  leaseQueueMax: 100,
  requestMs: 150_000,
  leaseMs: 180_000,
  attemptMs: 20_000,
} satisfies Partial<DynamoStoreOptions>;

export interface TestTable {
  /** The functions' client, for stores and the functions' table readers. */
  client: DynamoClient;
  /** The SDK's client, for the test's own look at the items. */
  sdk: DynamoDBClient;
  tableName: string;
  store(options?: Partial<DynamoStoreOptions>): DynamoStatusReasonStore;
}

export async function createTestTable(): Promise<TestTable> {
  const client = localClient();
  const sdk = localSdkClient();
  const tableName = `test-${randomUUID()}`;
  await ensureTable(sdk, tableName);
  return {
    client,
    sdk,
    tableName,
    store: (options = {}) => new DynamoStatusReasonStore({ client, tableName, ...options }),
  };
}

/**
 * Registers a beforeAll that makes a fresh table for this test file and a
 * document client on it (to read the items as DynamoDB holds them); the getters
 * answer them once it has run.
 */
export function testTableWithDocuments(): { table: () => TestTable; doc: () => DynamoDBDocumentClient } {
  let table: TestTable | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  beforeAll(async () => {
    table = await createTestTable();
    doc = DynamoDBDocumentClient.from(table.sdk);
  });
  return { table: () => table!, doc: () => doc! };
}

/** An account's `#META` as the table holds it (the tests of the lease and of group commit look at it directly). */
export async function readMetaItem(doc: DynamoDBDocumentClient, tableName: string, account: string): Promise<Record<string, unknown>> {
  const out = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: `ACCOUNT#${account}`, sk: '#META' }, ConsistentRead: true }));
  return out.Item!;
}

/** Sets (and removes) attributes of an account's `#META` directly: another writer's lease, a place in the line. */
export async function setMetaItem(
  doc: DynamoDBDocumentClient,
  tableName: string,
  account: string,
  values: Record<string, unknown>,
  remove: string[] = [],
  names?: Record<string, string>,
): Promise<void> {
  const keys = Object.keys(values);
  const set = keys.length ? `SET ${keys.map((n) => `${n} = :${n}`).join(', ')}` : '';
  await doc.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: `ACCOUNT#${account}`, sk: '#META' },
      UpdateExpression: [set, remove.length ? `REMOVE ${remove.join(', ')}` : ''].join(' ').trim(),
      ...(keys.length && { ExpressionAttributeValues: Object.fromEntries(keys.map((n) => [`:${n}`, values[n]])) }),
      ...(names && { ExpressionAttributeNames: names }),
    }),
  );
}

/** A fresh account id, so tests sharing a table never see each other's data. */
export const newAccount = () => `acct-${randomUUID().slice(0, 8)}`;
