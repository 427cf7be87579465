// A fault layer between the real AWS SDK and the real DynamoDB engine: it
// wraps the client's HTTP handler (the SDK signs and serializes as in
// production, the engine applies what reaches it), and per DynamoDB call it may
//
//   throttle      answer 400 ProvisionedThroughputExceededException, not forwarded
//   server-error  answer 500 InternalServerError, not forwarded
//   delay         wait, then forward (long enough, the store's per-call time limit cuts it)
//   lost          forward, let the engine apply it, then drop the connection (ECONNRESET):
//                 the answer is lost and the caller cannot tell whether it was applied
//   unprocessed   (BatchWriteItem) forward only `keep` of the requests and hand the rest
//                 back as UnprocessedItems, the way DynamoDB does under load
//   crash         the process dies: this call and every later one of this client fail
//                 before they are sent (nothing after it runs)
//
// What happens to each call is decided by a policy: fixed rules for the
// regression tests, a seeded schedule for the simulation (test/sim/). Nothing
// is mocked: every call that is forwarded reaches the engine.
//
// With a `documented` model (documented-dynamo.ts, shared by every layer of a
// run), what is forwarded meets DynamoDB as AWS documents it rather than as
// DynamoDB Local behaves: transactions that hold their items for a while
// (conflicts) and reads that see a transaction's items appear one by one.
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoClient } from '../../functions/aws/dynamodb.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { HttpResponse, type HttpHandler, type HttpRequest } from '@smithy/protocol-http';
import type { HttpHandlerOptions } from '@smithy/types';
import { dynamoClientFromEnv, dynamoHttpHandler } from '../../functions/entry/store-from-env.js';
import type { DocumentedDynamo, TransactionPlan } from './documented-dynamo.js';

export type FaultKind = 'throttle' | 'server-error' | 'delay' | 'lost' | 'unprocessed' | 'crash' | 'interleave';

export type Fault =
  | { kind: 'throttle' | 'server-error' | 'lost' | 'crash' }
  | { kind: 'delay'; ms: number }
  | { kind: 'unprocessed'; keep: number }
  /** Run something else first (another client's real write), then forward: a race made certain. */
  | { kind: 'interleave'; run: () => Promise<unknown> };

/** One DynamoDB call as the fault layer sees it. */
export interface DynamoCall {
  /** `UpdateItem`, `TransactWriteItems`, ... */
  operation: string;
  /** The request body (DynamoDB JSON, attribute-value form). */
  input: Record<string, any>;
}

export type FaultPolicy = (call: DynamoCall) => Fault | undefined;

export class SimulatedCrash extends Error {
  constructor(operation: string) {
    super(`simulated crash at ${operation}`);
    this.name = 'SimulatedCrash';
  }
}

/** Counts per operation and per fault kind. */
export interface FaultTally {
  calls: Record<string, number>;
  faults: Record<FaultKind, number>;
}

/** When each call started and ended (epoch ms): what was still in flight at a given moment. */
export interface CallRecord {
  operation: string;
  started: number;
  ended: number | undefined;
}

const emptyTally = (): FaultTally => ({ calls: {}, faults: { throttle: 0, 'server-error': 0, delay: 0, lost: 0, unprocessed: 0, crash: 0, interleave: 0 } });

function errorResponse(status: number, type: string, message: string): HttpResponse {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  return new HttpResponse({
    statusCode: status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${Date.now()}`, 'content-length': String(Buffer.byteLength(body)) },
    body: Readable.from([Buffer.from(body)]),
  });
}

async function readBody(response: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function abortable(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener?.(
      'abort',
      () => {
        clearTimeout(timer);
        reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      },
      { once: true },
    );
  });
}

/** The HTTP handler the SDK client would use without the layer. */
type Inner = ReturnType<typeof dynamoHttpHandler>;

/** One call as it went, for a trace: what it was, the fault it got, how it ended. */
export interface TracedCall extends DynamoCall {
  fault: FaultKind | undefined;
  started: number;
  ended: number;
  /** The HTTP status the caller saw, or the error it got instead. */
  outcome: number | string;
}

/** What `apply` tells a traced call about itself. */
interface Seen {
  input: Record<string, any>;
  fault: FaultKind | undefined;
}

export class FaultLayer implements HttpHandler<HttpHandlerOptions> {
  readonly tally: FaultTally = emptyTally();
  /** Every call, with its start and end, when `record` is on. */
  readonly log: CallRecord[] = [];
  record = false;
  /** Sees every call once it has ended (the simulation's trace). */
  onCall?: (call: TracedCall) => void;
  /** DynamoDB as AWS documents it (conflicts, read-committed transactions), shared by every layer on the engine; none: DynamoDB Local as it is. */
  documented: DocumentedDynamo | undefined;
  /** A transaction's window and reveal order (seeded in the simulation); none: the model's default window, a random order. */
  plan?: (call: DynamoCall) => TransactionPlan;
  private dead = false;

  /** Whether a `crash` fault killed this client. */
  get crashed(): boolean {
    return this.dead;
  }

  constructor(
    private readonly inner: Inner,
    public policy: FaultPolicy = () => undefined,
    documented?: DocumentedDynamo,
  ) {
    this.documented = documented;
  }

  get metadata() {
    return { handlerProtocol: 'http/1.1' };
  }

  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    if (!this.record && !this.onCall) return this.apply(operation, request, options);
    // One timing for both observers: the regression tests' log and the simulation's trace.
    const entry: CallRecord = { operation, started: Date.now(), ended: undefined };
    if (this.record) this.log.push(entry);
    const seen: Seen = { input: {}, fault: undefined };
    let outcome: number | string = 'unsettled';
    try {
      const out = await this.apply(operation, request, options, seen);
      outcome = out.response.statusCode;
      return out;
    } catch (error) {
      const { name, message } = error as Error;
      outcome = name === 'Error' ? message : name;
      throw error;
    } finally {
      entry.ended = Date.now();
      this.onCall?.({ operation, ...seen, started: entry.started, ended: entry.ended, outcome });
    }
  }

  private async apply(operation: string, request: HttpRequest, options: HttpHandlerOptions, seen?: Seen): Promise<{ response: HttpResponse }> {
    this.tally.calls[operation] = (this.tally.calls[operation] ?? 0) + 1;
    if (this.dead) throw new SimulatedCrash(operation);
    const body = request.body as unknown;
    // The SDK's JSON body is a Uint8Array (a subclass whose valueOf() is a string: hence the view, not Buffer.from(body)).
    const raw = typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : '{}';
    const input = JSON.parse(raw || '{}') as Record<string, any>;
    const fault = this.policy({ operation, input });
    if (seen) Object.assign(seen, { input, fault: fault?.kind });
    if (!fault) return this.forward(operation, input, request, options);
    this.tally.faults[fault.kind]++;
    switch (fault.kind) {
      case 'throttle':
        return { response: errorResponse(400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.') };
      case 'server-error':
        return { response: errorResponse(500, 'InternalServerError', 'Internal server error') };
      case 'crash':
        this.dead = true;
        throw new SimulatedCrash(operation);
      case 'delay':
        await abortable(fault.ms, options.abortSignal as AbortSignal | undefined);
        return this.forward(operation, input, request, options);
      case 'interleave':
        await fault.run();
        return this.forward(operation, input, request, options);
      case 'lost': {
        const { response } = await this.forward(operation, input, request, options);
        await readBody(response); // the engine has answered: it applied the call
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      case 'unprocessed': {
        if (operation !== 'BatchWriteItem' || !input.RequestItems) return this.forward(operation, input, request, options);
        const [table, requests] = Object.entries(input.RequestItems as Record<string, unknown[]>)[0]!;
        // DynamoDB processes at least one request of a batch it answers (it refuses an empty one).
        if (fault.keep < 1 || fault.keep >= requests.length) return this.forward(operation, input, request, options);
        const sent = { ...input, RequestItems: { [table]: requests.slice(0, fault.keep) } };
        const body = Buffer.from(JSON.stringify(sent));
        request.body = typeof request.body === 'string' ? body.toString('utf8') : new Uint8Array(body);
        request.headers['content-length'] = String(body.length);
        const { response } = await this.forward(operation, sent, request, options);
        const answer = JSON.parse(await readBody(response)) as { UnprocessedItems?: Record<string, unknown[]> };
        answer.UnprocessedItems = { [table]: [...(answer.UnprocessedItems?.[table] ?? []), ...requests.slice(fault.keep)] };
        const text = JSON.stringify(answer);
        response.body = Readable.from([Buffer.from(text)]);
        response.headers['content-length'] = String(Buffer.byteLength(text));
        delete response.headers['x-amz-crc32'];
        return { response };
      }
    }
  }

  /** To the engine: straight, or through the documented model. */
  private forward(operation: string, input: Record<string, any>, request: HttpRequest, options: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    if (!this.documented) return this.inner.handle(request, options);
    return this.documented.handle({
      operation,
      input,
      forward: () => this.inner.handle(request, options),
      plan: operation === 'TransactWriteItems' ? this.plan?.({ operation, input }) : undefined,
      signal: options.abortSignal as AbortSignal | undefined,
    });
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): HttpHandlerOptions {
    return this.inner.httpHandlerConfigs() as HttpHandlerOptions;
  }

  destroy(): void {
    this.inner.destroy?.();
  }
}

/**
 * A DynamoDB client configured as the function's (functions/entry/store-from-env.ts), pointed
 * at the test engine, with the fault layer under it.
 */
export function faultyClient(endpoint: string, policy?: FaultPolicy, documented?: DocumentedDynamo): { client: DynamoClient; faults: FaultLayer } {
  const faults = new FaultLayer(dynamoHttpHandler(), policy, documented);
  const client = dynamoClientFromEnv({ DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1' }, faults);
  return { client, faults };
}

/** The AWS SDK's client on the same fault layer: for the layer's own tests, which send calls the functions never make. */
export function faultySdkClient(endpoint: string, policy?: FaultPolicy, documented?: DocumentedDynamo): { client: DynamoDBClient; faults: FaultLayer } {
  const faults = new FaultLayer(dynamoHttpHandler(), policy, documented);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1, requestHandler: faults });
  return { client, faults };
}

/** A fixed rule for the regression tests: which calls, which fault, how many times. */
export interface FaultRule {
  operation: string;
  fault: Fault;
  /** Skip this many matching calls first. */
  after?: number;
  /** How many matching calls get the fault (default: every one). */
  times?: number;
  /** A further match on the request (DynamoDB JSON). */
  when?: (input: Record<string, any>) => boolean;
}

/** A policy from rules; the first rule that matches a call and still applies decides it. */
export function rules(list: FaultRule[]): FaultPolicy & { applied: () => number } {
  const state = list.map((rule) => ({ rule, seen: 0, hits: 0 }));
  let applied = 0;
  const policy = (call: DynamoCall): Fault | undefined => {
    for (const entry of state) {
      const { rule } = entry;
      if (rule.operation !== call.operation || (rule.when && !rule.when(call.input))) continue;
      entry.seen++;
      if (entry.seen <= (rule.after ?? 0) || entry.hits >= (rule.times ?? Infinity)) continue;
      entry.hits++;
      applied++;
      return rule.fault;
    }
    return undefined;
  };
  return Object.assign(policy, { applied: () => applied });
}

/** Matches the commit (the TransactWriteItems that raises the revision). */
export const isCommit = (input: Record<string, any>) =>
  Array.isArray(input.TransactItems) && input.TransactItems.some((a: any) => typeof a.Update?.UpdateExpression === 'string' && a.Update.UpdateExpression.includes('revision = :revision'));
/** Matches a take of the lease (the UpdateItem that sets lockToken). */
export const isLeaseTake = (input: Record<string, any>) => typeof input.UpdateExpression === 'string' && input.UpdateExpression.includes('lockToken = :token');
/** Matches a BatchWriteItem that puts reasons (not one that only cleans up). */
export const putsReasons = (input: Record<string, any>) =>
  Object.values(input.RequestItems ?? {}).some((requests) => (requests as any[]).some((r) => r.PutRequest));
