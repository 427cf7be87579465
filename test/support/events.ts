// API Gateway HTTP API (payload 2.0) events as API Gateway builds them, for handler tests.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../functions/platform/http/types.js';

export const BASE = (account: string) => `/api/account/${account}/configuration/le-agents/status-reasons`;
export const ALL_SCOPES = 'status-reasons:read status-reasons:write';

export interface EventOptions {
  method: string;
  path: string;
  body?: unknown;
  /** A raw body string, sent as is. */
  rawBody?: string;
  /** A body of raw bytes, delivered base64-encoded (`isBase64Encoded`), as API Gateway delivers a body it does not take for text. */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** JWT claims the authorizer verified; `null` for none (an unauthenticated event). */
  claims?: Record<string, string> | null;
}

export function httpEvent({ method, path, body, rawBody, bytes, headers = {}, query, claims }: EventOptions): HttpEvent {
  const account = /\/api\/account\/([^/]+)\//.exec(path)?.[1] ?? 'none';
  const text = bytes ? Buffer.from(bytes).toString('base64') : (rawBody ?? (body === undefined ? undefined : JSON.stringify(body)));
  const verified = claims === undefined ? { account, scope: ALL_SCOPES } : claims;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: { ...(text !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(query && { queryStringParameters: query }),
    ...(text !== undefined && { body: text }),
    isBase64Encoded: bytes !== undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(verified && { authorizer: { jwt: { claims: verified, scopes: [] }, principalId: '', integrationLatency: 0 } }),
    },
  };
}

/** The caller API Gateway's IAM authorizer puts in a signed request's context. */
const IAM = { iam: { accessKey: 'local', accountId: '000000000000', callerId: 'local', userArn: 'arn:aws:iam::000000000000:user/local', userId: 'local' } };

export interface ConnectEventOptions {
  method?: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  /** Whether API Gateway's IAM authorizer verified the request. */
  signed?: boolean;
  stage?: string;
}

/** An API Gateway event for the Connect route, as the IAM-authorized route delivers it. */
export function connectEvent({ method = 'PUT', path, body, rawBody, bytes, headers, signed = true, stage }: ConnectEventOptions): HttpEvent {
  const event = httpEvent({ method, path, body, rawBody, bytes, headers, claims: null });
  if (signed) event.requestContext.authorizer = IAM as unknown as HttpEvent['requestContext']['authorizer'];
  if (stage) event.requestContext.stage = stage;
  return event;
}

export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'agent-status-reasons',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:agent-status-reasons',
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/agent-status-reasons',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

/** The response with its body parsed. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** The answers that are not 200, each with its status and body: empty when all are (and a failure says which and why). */
export const notOk = (answers: readonly Answer[]): string[] =>
  answers.flatMap((a, i) => (a.status === 200 ? [] : [`#${i}: ${a.status} ${JSON.stringify(a.body)}`]));

export async function call(handler: (event: HttpEvent, context: Context) => Promise<HttpResult>, options: EventOptions): Promise<Answer> {
  const result = await handler(httpEvent(options), lambdaContext());
  return {
    status: result.statusCode ?? 200,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}
