// A store whose every DynamoDB call fails before it is sent, for the adapters'
// tests of how a failing store is answered. (Faults between the SDK and the real
// engine, for the store's own tests and the simulation: fault-layer.ts.)
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { localClient } from './dynamo.js';

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
  client.use(() => async () => {
    throw error();
  });
  return new DynamoStatusReasonStore({
    client,
    tableName,
    requestMs: 300,
    leaseWaitMs: 50,
    leasePoll: { minMs: 1, maxMs: 5 },
    callBackoff: { baseMs: 1, maxMs: 5 },
    throttleBackoff: { baseMs: 1, maxMs: 5 },
  });
}
