// Room: functions/entry/. One file per deployed function (HTTP, direct invoke,
// Cognito trigger): each builds what its function needs from the environment
// (the store, metrics, grants), wires the store's events to the logger and
// metrics, and hands events to an adapter. Nothing imports an entry point. May
// import: adapters/liveperson, adapters/connect, adapters/invoke, domain, store,
// platform, aws.
//
// The HTTP function's entry point: events from API Gateway only, the LivePerson
// routes (JWT) and the Connect routes (IAM). It trusts what API Gateway put in
// `requestContext` (the verified claims or caller), which is why nothing else
// may invoke it: its resource policy allows only this stack's API (infra/stack.ts).
// Direct invokes go to the other function, functions/entry/invoke.ts.
import type { Context } from 'aws-lambda';
import { CONNECT_PATH_PREFIX, createConnectHandler } from '../adapters/connect/connect.js';
import { retryingReads } from '../aws/json-client.js';
import { cachedGrants, grantsCheckedFromEnv, refuseUngranted, type ConnectGrants } from '../adapters/connect/grants.js';
import type { StoreFactory } from '../domain/store.js';
import { createLivePersonHandler } from '../adapters/liveperson/liveperson.js';
import { routedPath } from '../platform/http/routed-path.js';
import type { HttpEvent, HttpResult } from '../platform/http/types.js';
import { measureWrites } from '../platform/metrics.js';
import { grantReadsInTable } from '../store/connect-grants.js';
import { defaultStore, dynamoClientFromEnv } from './store-from-env.js';

export type Handler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export interface HttpHandlerOptions {
  /** Who may use which Connect instance; undefined checks nothing. When absent: the table's, if CONNECT_INSTANCE_GRANTS=table. */
  connectGrants?: ConnectGrants | undefined;
}

/** The table's grants, cached, when the environment asks for the check (the stack always does). */
export function connectGrantsFromEnv(env: Record<string, string | undefined> = process.env): ConnectGrants | undefined {
  if (!grantsCheckedFromEnv(env)) return undefined;
  if (!env.TABLE_NAME) throw new Error('TABLE_NAME is not set');
  const tableName = env.TABLE_NAME;
  // Its client is made on the first Connect request: a container that answers only LivePerson never needs it.
  let grants: ConnectGrants | undefined;
  const table = () =>
    (grants ??= cachedGrants(
      // Retried here as the SDK would (unlike the store's calls): a grant read is a plain read.
      grantReadsInTable(dynamoClientFromEnv(env).use(retryingReads()), tableName),
    ));
  return { anyGranted: (principal) => table().anyGranted(principal), isGranted: (principal, instanceId) => table().isGranted(principal, instanceId) };
}

export function createHandler(store: StoreFactory, options: HttpHandlerOptions = {}): Handler {
  const connectGrants = 'connectGrants' in options ? options.connectGrants : connectGrantsFromEnv();
  const measured = measureWrites(store);
  const livePerson = createLivePersonHandler({ store: measured });
  const connect = createConnectHandler({ store: measured });
  return async (event, context) => {
    if (!CONNECT_PATH_PREFIX.test(routedPath(event))) return livePerson(event, context);
    return (await refuseUngranted(event, context, connectGrants)) ?? connect(event, context);
  };
}

export const handler = createHandler(defaultStore);
