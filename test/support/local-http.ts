// The whole function behind the local API Gateway stand-in (JWT and SigV4
// checks included), over a store the test can swap, and a fetch helper for the
// LivePerson routes with real tokens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StatusReasonStore } from '../../functions/domain/store.js';
import { createHandler } from '../../functions/entry/http.js';
import { loadOrCreateKeys, signToken, type LocalKeys } from '../../infra/local/jwt.js';
import { startLocalServer, type LocalServer } from '../../infra/local/server.js';
import { createSigV4Verifier } from '../../infra/local/sigv4.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: any;
}

export interface HttpRequest {
  method?: string;
  /** A bearer token; none when undefined. */
  token?: string | undefined;
  /** An Authorization header as it is (instead of a bearer token). */
  authorization?: string;
  body?: unknown;
  /** A body sent as it is (bytes included). */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface LocalHttp {
  server: LocalServer;
  /** The key pair the server verifies tokens with. */
  keys: LocalKeys;
  /** Sends a request to the server (path and query). */
  http(pathAndQuery: string, request?: HttpRequest): Promise<Reply>;
  /** A token the server accepts (default scope: read and write). */
  tokenFor(account: string, scope?: string): Promise<string>;
  /** Stops the server and removes its keys. */
  close(): Promise<void>;
}

/** Starts the server over `store()`, read on every request (so a test may swap what it returns). */
export async function startLocalHttp(store: () => StatusReasonStore): Promise<LocalHttp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'local-http-keys-'));
  const keys = await loadOrCreateKeys(dir);
  const server = await startLocalServer({ handler: createHandler(() => store()), keys, verifyIam: createSigV4Verifier(), port: 0 });
  return {
    server,
    keys,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
    tokenFor: (account, scope) => signToken(keys, { account, ...(scope !== undefined && { scope }) }),
    async http(pathAndQuery, { method = 'GET', token, authorization, body, rawBody, headers = {} } = {}) {
      const text = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
      const res = await fetch(`${server.url}${pathAndQuery}`, {
        method,
        headers: {
          ...(text !== undefined && { 'content-type': 'application/json' }),
          ...(token !== undefined && { authorization: `Bearer ${token}` }),
          ...(authorization !== undefined && { authorization }),
          ...headers,
        },
        ...(text !== undefined && { body: text }),
      });
      const out = await res.text();
      let parsed: unknown;
      try {
        parsed = out ? JSON.parse(out) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text: out, body: parsed };
    },
  };
}
