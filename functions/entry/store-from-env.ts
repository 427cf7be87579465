// The store the deployed function (and the local server) uses, built once per
// container from the environment.
import { DynamoClient } from '../aws/dynamodb.js';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandler } from '@smithy/protocol-http';
import type { StoreFactory } from '../domain/store.js';
import { recordStoreEvent } from '../platform/metrics.js';
import { logger } from '../platform/logger.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../store/dynamo-store.js';
import type { StoreEvent } from '../store/events.js';

export interface StoreEnvironment {
  TABLE_NAME?: string;
  /** A local DynamoDB endpoint (DynamoDB Local); unset in AWS. */
  DYNAMODB_ENDPOINT?: string;
  /** The write lease, in ms; must exceed the function's timeout. */
  LEASE_MS?: string;
  /** How long a write waits for another writer's lease, in ms; must fit in the function's timeout. */
  LEASE_WAIT_MS?: string;
  /** How many writers may wait for one account's lease at once. */
  LEASE_QUEUE_MAX?: string;
  AWS_REGION?: string;
}

/** The HTTP layer under the DynamoDB client: the fault simulation wraps it, nothing else changes. */
export const dynamoHttpHandler = () => new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 2_500 });

/**
 * The functions' DynamoDB client. It does not retry: the store retries every
 * call itself, within the request's deadline (store/retry.ts), since only the
 * store knows how to recognise a conditional write's own lost-but-applied effect.
 */
export function dynamoClientFromEnv(env: StoreEnvironment = process.env, requestHandler: HttpHandler = dynamoHttpHandler()): DynamoClient {
  return new DynamoClient({
    ...(env.DYNAMODB_ENDPOINT && { endpoint: env.DYNAMODB_ENDPOINT }),
    region: env.AWS_REGION ?? 'us-east-1',
    requestHandler,
  });
}

export function storeFromEnv(env: StoreEnvironment = process.env, overrides: Partial<DynamoStoreOptions> = {}): DynamoStatusReasonStore {
  if (!env.TABLE_NAME) throw new Error('TABLE_NAME is not set');
  const leaseMs = positive(env.LEASE_MS);
  const leaseWaitMs = positive(env.LEASE_WAIT_MS);
  const leaseQueueMax = positive(env.LEASE_QUEUE_MAX);
  return new DynamoStatusReasonStore({
    client: dynamoClientFromEnv(env),
    tableName: env.TABLE_NAME,
    ...(leaseMs && { leaseMs }),
    ...(leaseWaitMs && { leaseWaitMs }),
    ...(leaseQueueMax && { leaseQueueMax }),
    onEvent: (event) => {
      logStoreEvent(event);
      recordStoreEvent(event);
    },
    ...overrides,
  });
}

/** Takeovers and unknown outcomes are worth a warning; retries and waits are routine. */
export function logStoreEvent(event: StoreEvent): void {
  if (event.type === 'lease-taken-over') logger.warn('took over an expired write lease: an earlier writer died or overran it', { accountId: event.accountId });
  else if (event.type === 'outcome-unknown') logger.error('a write ended with its outcome unknown', { ...event });
  else if (event.type === 'retry') logger.debug('retrying a DynamoDB call', { ...event });
}

const positive = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
};

let cached: DynamoStatusReasonStore | undefined;
/** The container's store, made on first use (not at import, to keep cold starts short), scoped to each request. */
export const defaultStore: StoreFactory = (scope) => (cached ??= storeFromEnv()).scoped(scope);
