// The Lambda entry point: one function serves every API shape. Each shape is an
// adapter over the same domain; this file only picks the adapter.
import type { Context } from 'aws-lambda';
import { CONNECT_PATH_PREFIX, createConnectHandler } from './connect/connect.js';
import type { StoreFactory } from './domain/store.js';
import { createLivePersonHandler, routedPath } from './http/liveperson.js';
import type { HttpEvent, HttpResult } from './http/types.js';
import { createInvokeHandler, isDirectInvoke } from './invoke/invoke.js';
import type { InvokeAnswer } from './invoke/protocol.js';
import { defaultStore } from './store/from-env.js';

export interface Handler {
  /** API Gateway events (the LivePerson and Connect routes) answer HTTP. */
  (event: HttpEvent, context: Context): Promise<HttpResult>;
  /** A direct invoke (no `requestContext`) answers its own payload. */
  (event: unknown, context: Context): Promise<HttpResult | InvokeAnswer>;
}

export function createHandler(store: StoreFactory): Handler {
  const livePerson = createLivePersonHandler({ store });
  const connect = createConnectHandler({ store });
  const invoke = createInvokeHandler({ store });
  return (async (event: unknown, context: Context) => {
    if (isDirectInvoke(event)) return invoke(event, context);
    const http = event as HttpEvent;
    return CONNECT_PATH_PREFIX.test(routedPath(http)) ? connect(http, context) : livePerson(http, context);
  }) as Handler;
}

export const handler = createHandler(defaultStore);
