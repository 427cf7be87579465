// A local server (the API Gateway stand-in with the SigV4 check) over a test
// table, and raw SigV4-signed requests for what the SDK will not send.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { ConnectClient, type ConnectClientConfig, type ConnectServiceException } from '@aws-sdk/client-connect';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, expect } from 'vitest';
import { CONNECT_ERRORS, type ConnectErrorType } from '../../../functions/adapters/connect/connect.js';
import { createHandler } from '../../../functions/entry/http.js';
import type { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import type { StatusReasonStore } from '../../../functions/domain/store.js';
import { loadOrCreateKeys } from '../../../infra/local/jwt.js';
import { startLocalServer, type LocalServer } from '../../../infra/local/server.js';
import { createSigV4Verifier } from '../../../infra/local/sigv4.js';
import { createTestTable, type TestTable } from '../../support/dynamo.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The local server running the function's handler over `store`. */
export async function startServer(store: () => StatusReasonStore): Promise<LocalServer> {
  const keys = await loadOrCreateKeys(mkdtempSync(path.join(tmpdir(), 'connect-keys-')));
  return startLocalServer({ handler: createHandler(store), keys, verifyIam: createSigV4Verifier(), port: 0 });
}

export function connectClient(server: LocalServer, config: Partial<ConnectClientConfig> = {}): ConnectClient {
  return new ConnectClient({ endpoint: server.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, ...config });
}

/**
 * Registers a beforeAll that makes a fresh table for this test file, a store on
 * it, the local server over that store and an SDK client to the server (with
 * `clientConfig`), and an afterAll that closes the client and the server.
 * The getters answer them once the beforeAll has run.
 */
export function connectOnTestTable(clientConfig: Partial<ConnectClientConfig> = {}) {
  let table: TestTable | undefined;
  let store: DynamoStatusReasonStore | undefined;
  let server: LocalServer | undefined;
  let client: ConnectClient | undefined;
  beforeAll(async () => {
    table = await createTestTable();
    store = table.store();
    server = await startServer(() => store!);
    client = connectClient(server, clientConfig);
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });
  return { table: () => table!, store: () => store!, server: () => server!, client: () => client! };
}

/** The SDK's error, for assertions on class, name, message and status. */
export async function failure(promise: Promise<unknown>): Promise<ConnectServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as ConnectServiceException;
  }
  throw new Error('expected the request to fail');
}

export interface RawRequest {
  method?: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Signing: credentials, service and date; `false` sends it unsigned. */
  sign?: false | { accessKeyId?: string; secretAccessKey?: string; service?: string; date?: Date };
  /** Changes the request after it was signed. */
  tamper?: (request: { path: string; body: string | Uint8Array; headers: Record<string, string> }) => void;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** A request signed (or not) the way the SDK signs, sent with fetch. */
export async function rawRequest(server: LocalServer, { method = 'PUT', path: requestPath, body = '', headers = {}, sign = {}, tamper }: RawRequest): Promise<RawAnswer> {
  const url = new URL(server.url);
  let request: { path: string; body: string | Uint8Array; headers: Record<string, string> } = { path: requestPath, body, headers: { host: url.host, 'content-type': 'application/json', ...headers } };
  if (sign) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: sign.accessKeyId ?? 'local', secretAccessKey: sign.secretAccessKey ?? 'local' },
      region: 'us-east-1',
      service: sign.service ?? 'connect',
      sha256: Sha256,
    });
    const [pathOnly, search = ''] = requestPath.split('?') as [string, string?];
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(search)) query[name] = name in query ? [query[name]!, value].flat() : value;
    const signed = await signer.sign(new HttpRequest({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: pathOnly, query, headers: request.headers, body }), {
      ...(sign.date && { signingDate: sign.date }),
    });
    request = { path: requestPath, body, headers: signed.headers as Record<string, string> };
  }
  tamper?.(request);
  const { host: _host, ...sent } = request.headers;
  const response = await fetch(`${server.url}${request.path}`, { method, headers: sent, ...(method !== 'GET' && { body: request.body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

// The Connect route's events are built in test/support/events.ts (the bench builds them too).
export { connectEvent, type ConnectEventOptions } from '../../support/events.js';

/** A refusal in Connect's shape: a known error type in `x-amzn-ErrorType` with its status, `{"Message": "..."}`, no stack trace. */
export function expectConnectError(res: { status: number; headers: Record<string, string>; body: string | undefined }): void {
  const type = res.headers['x-amzn-ErrorType'] as ConnectErrorType;
  expect(Object.keys(CONNECT_ERRORS)).toContain(type);
  expect(CONNECT_ERRORS[type]).toBe(res.status);
  const body = JSON.parse(res.body ?? 'null');
  expect(body).toEqual({ Message: expect.any(String) });
  expect(body.Message).not.toMatch(/\bat .*\.(?:ts|js):\d+/);
}
