// Local stand-in for API Gateway's HTTP API: matches the same routes, checks
// the same authorization (for the LivePerson routes the stack's Lambda
// authorizer, functions/entry/authorizer.ts, run here against the local issuer
// and key; SigV4 for the Connect routes), and hands the Lambda handler the same
// payload-2.0 event.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopback, serveConsole, signInDev } from '../../web/server/serve.js';
import type { Context } from 'aws-lambda';
import { CONNECT_CATCH_ALL_ROUTES, CONNECT_ROUTES, routePattern } from '../../functions/adapters/connect/routes.js';
import type { HttpEvent, HttpResult } from '../../functions/platform/http/types.js';
import { createAuthorizer, simpleResponse, type Authorization as AuthorizerDecision } from '../../functions/entry/authorizer.js';
import { tokenRulesFromEnv } from '../../functions/platform/http/middlewares/jwt-claims.js';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, localKeyResolver, type LocalKeys } from './jwt.js';

export type Authorization = 'jwt' | 'iam';

export interface RouteDefinition {
  method: string;
  path: string;
  authorization: Authorization;
}

const LIVEPERSON = '/api/account/{accountId}/configuration/le-agents/status-reasons';

/** The API's routes, as the CDK stack declares them; a route with the request's method before an `ANY` one, as API Gateway prefers it. */
export const ROUTES: readonly RouteDefinition[] = [
  { method: 'POST', path: LIVEPERSON, authorization: 'jwt' },
  { method: 'GET', path: LIVEPERSON, authorization: 'jwt' },
  ...['GET', 'PUT', 'DELETE', 'POST'].map((method) => ({ method, path: `${LIVEPERSON}/{statusReasonId}`, authorization: 'jwt' as const })),
  ...CONNECT_ROUTES.map(({ method, path }) => ({ method, path, authorization: 'iam' as const })),
  ...CONNECT_CATCH_ALL_ROUTES.map(({ method, path }) => ({ method, path, authorization: 'iam' as const })),
];

/** A request as the IAM check sees it: what SigV4 signs. */
export interface SignedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

/** The caller's identity when the signature holds, undefined when it does not. */
export type IamVerifier = (request: SignedRequest) => Promise<{ accessKey: string; accountId: string } | undefined>;

export interface LocalServerOptions {
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>;
  keys: LocalKeys;
  /** A machine client's account (the table's CLIENT# items), for tokens that carry a `client_id` and no user; without it such tokens are refused. */
  accountOfClient?: (clientId: string) => Promise<string | undefined>;
  /** Checks SigV4 on IAM routes; without it those routes answer 403. */
  verifyIam?: IamVerifier;
  host?: string;
  port?: number;
  /** API Gateway's payload limit. */
  maxBodyBytes?: number;
  functionName?: string;
  /** JSON documents served on GET without authorization, by path (e.g. `/openapi.json`). */
  documents?: Record<string, unknown>;
  /** The admin console's built files (web/dist), served at `/` on paths no API route uses. */
  consoleDir?: string;
  /** Origins besides its own that the console may fetch from (an OIDC issuer's); default: none. */
  consoleConnectSources?: readonly string[];
  /** Mints tokens for the console's dev sign-in (`POST /dev/sign-in`), answered to loopback callers only. */
  devSignIn?: (account: string, scope: string) => Promise<string>;
  /** The change events published so far (infra/local/change-stream.ts), answered at `GET /dev/events[?account=]` to loopback callers only. */
  devEvents?: () => readonly { accountId: string }[];
}

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const compiled = ROUTES.map((route) => ({ ...route, routeKey: `${route.method} ${route.path}`, ...routePattern(route.path) }));

const TEXT_TYPES = /^(application\/(?:[\w.+-]+\+)?(?:json|xml|x-www-form-urlencoded)|text\/)/i;

const gatewayError = (res: ServerResponse, statusCode: number, message: string, headers: Record<string, string> = {}) => {
  res.writeHead(statusCode, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ message }));
};

/** API Gateway passes a segment it cannot decode through as it is; the handler then refuses it. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { handler, keys, verifyIam, host = '127.0.0.1', maxBodyBytes = 10 * 1024 * 1024, functionName = 'agent-status-reasons' } = options;

  // The deployed authorizer's code, with the local issuer, audience and key in place of the pool's.
  const authorize: (authorization: string | undefined) => Promise<AuthorizerDecision> = createAuthorizer({
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    key: localKeyResolver(keys),
    accountOfClient: options.accountOfClient ?? (async () => undefined),
    rules: tokenRulesFromEnv(),
  });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      const document = method === 'GET' ? options.documents?.[url.pathname] : undefined;
      if (document !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(document, null, 2));
      }
      if (options.devSignIn && url.pathname === '/dev/sign-in' && isLoopback(req.socket.remoteAddress)) {
        return await signInDev(req, res, options.devSignIn);
      }
      if (options.devEvents && method === 'GET' && url.pathname === '/dev/events' && isLoopback(req.socket.remoteAddress)) {
        const account = url.searchParams.get('account');
        const events = options.devEvents().filter((event) => account === null || event.accountId === account);
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return res.end(JSON.stringify(events));
      }
      const route = compiled.find((r) => (r.method === method || r.method === 'ANY') && r.regex.test(url.pathname));
      if (!route && options.consoleDir && (method === 'GET' || method === 'HEAD') && serveConsole(options.consoleDir, url.pathname, method, res, options.consoleConnectSources)) return;
      if (!route) return gatewayError(res, 404, 'Not Found');
      const body = await readBody(req, maxBodyBytes);
      if (!body) return gatewayError(res, 413, 'Request Entity Too Large');

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
      }
      const match = route.regex.exec(url.pathname)!;
      const pathParameters = Object.fromEntries(route.names.map((name, i) => [name, safeDecode(match[i + 1]!)]));

      let authorizer: HttpEvent['requestContext']['authorizer'];
      if (route.authorization === 'jwt') {
        // API Gateway answers a request without the identity source itself, and a refusal with 403.
        if (!headers.authorization) return gatewayError(res, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
        const answer = simpleResponse(await authorize(headers.authorization));
        if (!answer.isAuthorized) return gatewayError(res, 403, 'Forbidden');
        authorizer = { lambda: answer.context };
      } else {
        const identity = verifyIam ? await verifyIam({ method, path: url.pathname, query: url.searchParams, headers, body }) : undefined;
        if (!identity) return gatewayError(res, 403, 'Forbidden');
        authorizer = { iam: { accessKey: identity.accessKey, accountId: identity.accountId, callerId: identity.accessKey, userArn: `arn:aws:iam::${identity.accountId}:user/local`, userId: identity.accessKey } } as unknown as HttpEvent['requestContext']['authorizer'];
      }

      const query: Record<string, string> = {};
      for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
      // A body that is not UTF-8 goes base64-encoded, as a binary one does: decoded here it would reach the handler with U+FFFD in place of its bad bytes.
      const isText = body.length === 0 || (TEXT_TYPES.test(headers['content-type'] ?? '') && isUtf8(body));
      const now = new Date();
      const event: HttpEvent = {
        version: '2.0',
        routeKey: route.routeKey,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length && { queryStringParameters: query }),
        pathParameters,
        ...(body.length && { body: isText ? body.toString('utf8') : body.toString('base64') }),
        isBase64Encoded: !isText,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: headers.host ?? host,
          domainPrefix: 'local',
          http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
          requestId: randomUUID(),
          routeKey: route.routeKey,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
          authorizer,
        },
      };

      const result = await handler(event, lambdaContext(functionName));
      const responseHeaders: Record<string, string> = { ...(result.headers as Record<string, string> | undefined) };
      const payload = result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body);
      res.writeHead(result.statusCode ?? 200, responseHeaders);
      res.end(payload);
    } catch (error) {
      // What API Gateway answers when the integration fails.
      console.error(error);
      if (!res.headersSent) gatewayError(res, 500, 'Internal Server Error');
      else res.end();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
