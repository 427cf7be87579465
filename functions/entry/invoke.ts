// The direct-invoke function's entry point: every event is a direct `Invoke`
// payload (`{"action": ..., "accountId": ...}`), whoever sends it. An event
// shaped like API Gateway's is refused before anything is read or written: its
// `requestContext` (claims, IAM caller) would be the invoker's own invention.
import type { Context } from 'aws-lambda';
import type { StoreFactory } from '../domain/store.js';
import { createInvokeHandler } from '../adapters/invoke/invoke.js';
import type { InvokeAnswer } from '../adapters/invoke/protocol.js';
import { measureWrites } from '../platform/metrics.js';
import { defaultStore } from './store-from-env.js';

export type InvokeEntry = (event: unknown, context: Context) => Promise<InvokeAnswer>;

const API_GATEWAY_EVENT: InvokeAnswer = {
  error: {
    type: 'InvalidRequest',
    message: 'This function takes direct-invoke payloads ({"action": ..., "accountId": ...}); an API Gateway event is refused. Call the HTTP API instead.',
    errors: [{ path: 'requestContext', message: 'is not allowed in a direct invoke' }],
  },
};

const looksLikeApiGateway = (event: unknown): boolean => typeof event === 'object' && event !== null && 'requestContext' in event;

export function createInvokeEntry(store: StoreFactory): InvokeEntry {
  const invoke = createInvokeHandler({ store: measureWrites(store) });
  return async (event, context) => (looksLikeApiGateway(event) ? API_GATEWAY_EVENT : invoke(event, context));
}

export const handler = createInvokeEntry(defaultStore);
