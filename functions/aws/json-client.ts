// Room: functions/aws/. One AWS call over a JSON protocol (DynamoDB's
// awsJson1_0, Secrets Manager's awsJson1_1): signed with SigV4, POSTed
// through a smithy HTTP handler, its answer parsed or its error named as the
// SDK names it (`name`, `$metadata`, the error's fields). The functions call
// AWS through this rather than the SDK's service clients because those cost a
// cold start most of its import time and bundle for features these calls never
// use (endpoint rulesets, credential chains, schema serde): see docs/performance.md.
// The HTTP handler is the one the SDK would use (NodeHttpHandler), so the fault
// layer of the tests wraps it as before. May import: nothing else.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest, type HttpHandler, type HttpResponse } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { transientCause } from './failures.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One call as a middleware sees it: the operation and its body, in the service's JSON. */
export interface AwsCall {
  operation: string;
  input: Record<string, unknown>;
}
export type CallHandler = (call: AwsCall, options: CallOptions) => Promise<Record<string, unknown>>;
/** Wraps every call of a client (the bench counts and times with it; the tests fail calls with it). */
export type CallMiddleware = (next: CallHandler) => CallHandler;

export interface CallOptions {
  /** Cuts the call (the request, then reading its answer); it fails as the HTTP handler fails on abort. */
  abortSignal?: AbortSignal;
}

export interface AwsJsonProtocol {
  /** The signing name and the endpoint's first label: `dynamodb`, `secretsmanager`. */
  service: string;
  /** What precedes the operation in `X-Amz-Target`: `DynamoDB_20120810`, `secretsmanager`. */
  targetPrefix: string;
  /** `1.0` (DynamoDB) or `1.1` (Secrets Manager). */
  jsonVersion: '1.0' | '1.1';
}

export interface AwsJsonClientOptions {
  region?: string;
  /** Another endpoint (DynamoDB Local); default: the service's regional endpoint. */
  endpoint?: string;
  /** Default: the environment's (`AWS_ACCESS_KEY_ID`, ...), as Lambda sets them; read on each call, so rotated keys are used. */
  credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  requestHandler?: HttpHandler;
}

/** An error answer, named and shaped as the SDK's service exceptions are (the store's error rules read these fields). */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  [field: string]: unknown;

  constructor(name: string, message: string, status: number, requestId: string | undefined, fields: Record<string, unknown>) {
    super(message);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId && { requestId }) };
  }
}

/** Node's SHA-256 in the shape SigV4 wants (a hash, or an HMAC when given a key). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const toBuffer = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

export function credentialsFromEnv(env: Record<string, string | undefined> = process.env): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS credentials are not set: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them)');
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
}

/** The service's regional endpoint (China's regions have their own domain). */
export const regionalEndpoint = (service: string, region: string): string =>
  `https://${service}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

/** The error's name from `__type` (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`) or the header. */
function errorName(body: Record<string, unknown>, header: string | undefined, status: number): string {
  const raw = typeof body.__type === 'string' ? body.__type : (header ?? '');
  const name = raw.split('#').pop()!.split(':')[0]!.trim();
  return name || (status >= 500 ? 'InternalServerError' : 'UnknownError');
}

async function readText(response: HttpResponse): Promise<string> {
  const body = response.body as AsyncIterable<Uint8Array | string> | string | Uint8Array | undefined;
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON protocols carry blobs as base64 (`this[key]`: the value before Buffer's own toJSON). */
function blobsAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value;
}

const header = (response: HttpResponse, name: string): string | undefined => {
  const found = Object.entries(response.headers).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
};

export class AwsJsonClient {
  private readonly url: URL;
  private readonly region: string;
  private readonly handler: HttpHandler;
  private readonly credentials: () => Promise<AwsCredentials>;
  /** The signer for the credentials last used, and their key set: it caches its derived signing keys per day. */
  private signing: { key: string; signer: SignatureV4 } | undefined;
  private readonly middlewares: CallMiddleware[] = [];
  private chain: CallHandler | undefined;

  constructor(
    readonly protocol: AwsJsonProtocol,
    options: AwsJsonClientOptions = {},
  ) {
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.url = new URL(options.endpoint ?? regionalEndpoint(protocol.service, this.region));
    this.handler = options.requestHandler ?? new NodeHttpHandler();
    const given = options.credentials;
    this.credentials = typeof given === 'function' ? given : given ? async () => given : async () => credentialsFromEnv();
  }

  /** Closes the HTTP handler's sockets (tests, scripts); a Lambda container never needs it. */
  destroy(): void {
    this.handler.destroy?.();
  }

  /** Adds a middleware around every later call; the last added runs outermost. */
  use(middleware: CallMiddleware): this {
    this.middlewares.push(middleware);
    this.chain = undefined;
    return this;
  }

  /** Sends one call; answers its JSON body, or throws an AwsServiceError (or the handler's network error). */
  call<T = Record<string, unknown>>(operation: string, input: object, options: CallOptions = {}): Promise<T> {
    this.chain ??= this.middlewares.reduce<CallHandler>((next, middleware) => middleware(next), (call, opts) => this.post(call, opts));
    return this.chain({ operation, input: input as Record<string, unknown> }, options) as Promise<T>;
  }

  private signer(credentials: AwsCredentials): SignatureV4 {
    const key = `${credentials.accessKeyId}\n${credentials.secretAccessKey}\n${credentials.sessionToken ?? ''}`;
    if (this.signing?.key !== key) {
      this.signing = { key, signer: new SignatureV4({ service: this.protocol.service, region: this.region, credentials, sha256: Sha256, uriEscapePath: true }) };
    }
    return this.signing.signer;
  }

  private async post({ operation, input }: AwsCall, { abortSignal }: CallOptions): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input, blobsAsBase64);
    const { hostname, port, protocol, pathname } = this.url;
    const request = new HttpRequest({
      method: 'POST',
      protocol,
      hostname,
      ...(port && { port: Number(port) }),
      path: pathname || '/',
      headers: {
        host: port ? `${hostname}:${port}` : hostname,
        'content-type': `application/x-amz-json-${this.protocol.jsonVersion}`,
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': `${this.protocol.targetPrefix}.${operation}`,
      },
      body,
    });
    const signed = (await this.signer(await this.credentials()).sign(request)) as HttpRequest;
    const { response } = await this.handler.handle(signed, { ...(abortSignal && { abortSignal }) });
    const text = await readText(response);
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // A success we cannot read is an answer lost: the call may have been applied.
      if (response.statusCode < 300) throw new AwsServiceError('ResponseUnreadable', `${operation}: the answer is not JSON`, response.statusCode, header(response, 'x-amzn-requestid'), {});
    }
    if (response.statusCode >= 300) {
      const name = errorName(parsed, header(response, 'x-amzn-errortype'), response.statusCode);
      const { __type: _type, message, Message, ...fields } = parsed;
      const text = typeof message === 'string' ? message : typeof Message === 'string' ? Message : `${name} (HTTP ${response.statusCode})`;
      throw new AwsServiceError(name, text, response.statusCode, header(response, 'x-amzn-requestid'), fields);
    }
    return parsed;
  }
}

/**
 * Retries a call that failed without a definite answer (throttled, a 5xx, no
 * answer) up to `attempts` times in all, with full-jitter backoff, as the SDK's
 * standard mode does. Only for calls that are safe to send again (reads); the
 * store retries its own calls (functions/store/retry.ts).
 */
export const retryingReads =
  (attempts = 3, baseMs = 50): CallMiddleware =>
  (next) =>
  async (call, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(call, options);
      } catch (error) {
        if (!transientCause(error) || attempt >= attempts || options.abortSignal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * baseMs * 2 ** attempt));
      }
    }
  };
