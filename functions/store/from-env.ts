// The store the deployed function (and the local server) uses, built once per
// container from the environment.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { logger } from '../observability.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions, type StoreEvent } from './dynamo-store.js';

export interface StoreEnvironment {
  TABLE_NAME?: string;
  /** A local DynamoDB endpoint (DynamoDB Local); unset in AWS. */
  DYNAMODB_ENDPOINT?: string;
  /** The write lease, in ms; must exceed the function's timeout. */
  LEASE_MS?: string;
  /** How long a write waits for another writer's lease, in ms; must fit in the function's timeout. */
  LEASE_WAIT_MS?: string;
  AWS_REGION?: string;
}

export function dynamoClientFromEnv(env: StoreEnvironment = process.env): DynamoDBClient {
  return new DynamoDBClient({
    ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT }),
    region: env.AWS_REGION ?? 'us-east-1',
    // Fail fast and let the store's own bounded retries decide.
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }),
  });
}

export function storeFromEnv(env: StoreEnvironment = process.env, overrides: Partial<DynamoStoreOptions> = {}): DynamoStatusReasonStore {
  if (!env.TABLE_NAME) throw new Error('TABLE_NAME is not set');
  const leaseMs = positive(env.LEASE_MS);
  const leaseWaitMs = positive(env.LEASE_WAIT_MS);
  return new DynamoStatusReasonStore({
    client: dynamoClientFromEnv(env),
    tableName: env.TABLE_NAME,
    ...(leaseMs && { leaseMs }),
    ...(leaseWaitMs && { leaseWaitMs }),
    onEvent: logStoreEvent,
    ...overrides,
  });
}

/** A taken-over lease means a writer died or overran its lease: worth a warning. Retries are routine. */
export function logStoreEvent(event: StoreEvent): void {
  if (event.type === 'lease-taken-over') logger.warn('took over an expired write lease: an earlier writer died or overran it', { accountId: event.accountId });
  else if (event.type === 'batch-retry') logger.debug('retrying a batch write', { ...event });
}

const positive = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
};

let cached: DynamoStatusReasonStore | undefined;
/** The container's store, made on first use (not at import, to keep cold starts short). */
export const defaultStore = (): DynamoStatusReasonStore => (cached ??= storeFromEnv());
