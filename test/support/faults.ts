// Fault injection around the REAL DynamoDB client: a middleware that can fail
// a call before it is sent, or send only part of a batch and hand the rest back
// as UnprocessedItems, the way DynamoDB does under load. Nothing is faked: every
// call that goes through reaches the engine.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { localClient } from './dynamo.js';

export type Operation = 'UpdateItem' | 'Query' | 'BatchWriteItem' | 'BatchGetItem' | 'TransactWriteItems' | 'GetItem' | 'PutItem';

export type Fault =
  /** Fail the call as DynamoDB does when it throttles (after the SDK's own retries). */
  | { kind: 'throttle' }
  /** Send only `keep` write requests of the batch; DynamoDB hands the rest back unprocessed. */
  | { kind: 'unprocessed'; keep: number }
  /** The process dies here: the call is never sent, and nothing after it runs (the error is not one the store knows). */
  | { kind: 'crash' };

export interface FaultRule {
  operation: Operation;
  fault: Fault;
  /** Skip this many matching calls before the fault applies. */
  after?: number;
  /** How many matching calls get the fault; default every one. */
  times?: number;
  /** Extra match on the (marshalled) input, e.g. only the commit UpdateItem. */
  when?: (input: Record<string, any>) => boolean;
}

export class SimulatedCrash extends Error {
  constructor(operation: string) {
    super(`simulated crash before ${operation}`);
    this.name = 'SimulatedCrash';
  }
}

export interface FaultInjector {
  /** Calls seen per operation (faulted ones included). */
  calls: Record<string, number>;
  /** Faults applied so far. */
  applied: number;
  set(rules: FaultRule[]): void;
  clear(): void;
}

/** Adds the fault middleware to `client` (and so to every document client built from it). */
export function injectFaults(client: DynamoDBClient, rules: FaultRule[] = []): FaultInjector {
  let active = rules.map((rule) => ({ ...rule, seen: 0, hits: 0 }));
  const injector: FaultInjector = {
    calls: {},
    applied: 0,
    set(next) {
      active = next.map((rule) => ({ ...rule, seen: 0, hits: 0 }));
    },
    clear() {
      active = [];
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      injector.calls[operation] = (injector.calls[operation] ?? 0) + 1;
      const input = args.input as Record<string, any>;
      const rule = active.find((r) => r.operation === operation && (!r.when || r.when(input)));
      if (!rule) return next(args);
      rule.seen++;
      if (rule.seen <= (rule.after ?? 0) || rule.hits >= (rule.times ?? Infinity)) return next(args);
      rule.hits++;
      injector.applied++;
      switch (rule.fault.kind) {
        case 'throttle':
          throw throttlingError();
        case 'crash':
          throw new SimulatedCrash(operation);
        case 'unprocessed': {
          const [table, requests] = Object.entries(input.RequestItems as Record<string, unknown[]>)[0]!;
          const keep = rule.fault.keep;
          args.input = { ...input, RequestItems: { [table]: requests.slice(0, keep) } };
          const result = (await next(args)) as { output: { UnprocessedItems?: Record<string, unknown[]> } };
          const already = result.output.UnprocessedItems?.[table] ?? [];
          result.output.UnprocessedItems = { [table]: [...already, ...requests.slice(keep)] };
          return result as never;
        }
      }
    },
    { step: 'serialize', priority: 'high', name: 'faultInjection' },
  );
  return injector;
}

/** Matches the commit UpdateItem (the one that raises the revision). */
export const isCommit = (input: Record<string, any>) => typeof input.UpdateExpression === 'string' && input.UpdateExpression.includes('revision = :revision');
/** Matches the lease release UpdateItem. */
export const isRelease = (input: Record<string, any>) =>
  typeof input.UpdateExpression === 'string' && input.UpdateExpression.includes('REMOVE lockToken') && !input.UpdateExpression.includes('revision');

/** DynamoDB's throttling error, as the SDK raises it once its own retries are spent. */
export const throttlingError = () =>
  Object.assign(new Error('The level of configured provisioned throughput for the table was exceeded.'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

/**
 * A store on the real table whose every DynamoDB call fails with `error()`
 * before it is sent, with waits and retries short enough for a test.
 */
export function failingStore(tableName: string, error: () => Error): DynamoStatusReasonStore {
  const client = localClient();
  client.middlewareStack.add(
    () => async () => {
      throw error();
    },
    { step: 'initialize', name: 'injectFailure' },
  );
  return new DynamoStatusReasonStore({
    client,
    tableName,
    leaseWaitMs: 50,
    leaseBackoff: { baseMs: 1, maxMs: 5 },
    batchAttempts: 2,
    batchBackoff: { baseMs: 1, maxMs: 5 },
  });
}
