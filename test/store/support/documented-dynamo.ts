// DynamoDB as AWS documents it, where DynamoDB Local does not behave so, for the
// store's regression tests. It sits where the fault layer does (an HTTP handler
// under the real SDK client, over the real engine) and adds:
//
//   transactions in flight  a TransactWriteItems holds its items for `holdMs(input)`
//                           before it is forwarded (and until its answer comes); meanwhile
//     - a PutItem / UpdateItem / DeleteItem on one of them is refused, 400
//       TransactionConflictException, not forwarded;
//     - another TransactWriteItems or a TransactGetItems touching one of them is
//       cancelled, 400 TransactionCanceledException, reason `TransactionConflict`
//       for that item (`None` for the others);
//   single writes in flight a PutItem / UpdateItem / DeleteItem holds its item for
//                           `writeHoldMs(input)` before it is forwarded (and until its
//                           answer comes); a TransactGetItems touching it meanwhile is
//                           cancelled the same way;
//   read-committed visibility
//                           for `staleMs(input)` after a TransactWriteItems is applied,
//                           a Query or GetItem still shows the items `staleKeys(input)`
//                           names in their old image (an item the transaction created
//                           is absent, one it deleted is still there): the items of one
//                           transaction becoming visible one by one.
//
// Everything else reaches the engine as it is. (The shared fault layer will hold
// the same emulation for the simulation; this one is small on purpose.)
import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HttpResponse, type HttpHandler, type HttpRequest } from '@smithy/protocol-http';
import type { HttpHandlerOptions } from '@smithy/types';
import { dynamoClientFromEnv, dynamoHttpHandler } from '../../../functions/entry/store-from-env.js';
import { localClient } from '../../support/dynamo.js';

type Input = Record<string, any>;
type Item = Record<string, any>;

export interface DocumentedOptions {
  /** How long a TransactWriteItems stays in flight before it is forwarded (0: only while the engine applies it). */
  holdMs?: (input: Input) => number;
  /** How long a PutItem / UpdateItem / DeleteItem stays in flight before it is forwarded. */
  writeHoldMs?: (input: Input) => number;
  /** For how long after it applied, reads show `staleKeys` of it in their old image. */
  staleMs?: (input: Input) => number;
  /** The sort keys of the transaction's items that reads keep showing old. */
  staleKeys?: (input: Input) => string[];
}

/** What the emulation did, for a test to check that the race it sets up took place. */
export interface DocumentedTally {
  /** Single-item writes refused with TransactionConflictException. */
  refusedWrites: number;
  /** Transactions (write or get) cancelled with TransactionConflict. */
  cancelled: number;
  /** Reads answered with an old image of an item. */
  staleReads: number;
}

const keyOf = (key: Item | undefined) => `${key?.pk?.S}|${key?.sk?.S}`;

/** The keys a TransactWriteItems or TransactGetItems touches, in its order. */
function transactionKeys(input: Input): string[] {
  return (input.TransactItems as Input[]).map((action) => {
    const op = action.Put ?? action.Update ?? action.Delete ?? action.ConditionCheck ?? action.Get;
    return op.Item ? keyOf({ pk: op.Item.pk, sk: op.Item.sk }) : keyOf(op.Key);
  });
}

function jsonResponse(status: number, body: unknown): HttpResponse {
  const text = JSON.stringify(body);
  return new HttpResponse({
    statusCode: status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `documented-${Date.now()}`, 'content-length': String(Buffer.byteLength(text)) },
    body: Readable.from([Buffer.from(text)]),
  });
}

const conflict = () =>
  jsonResponse(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionConflictException',
    message: 'Transaction is ongoing for the item',
  });

const cancelled = (codes: string[]) =>
  jsonResponse(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    CancellationReasons: codes.map((Code) => (Code === 'None' ? { Code } : { Code, Message: 'Transaction is ongoing for the item' })),
  });

async function readBody(response: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function withBody(response: HttpResponse, body: unknown): HttpResponse {
  const text = JSON.stringify(body);
  response.body = Readable.from([Buffer.from(text)]);
  response.headers['content-length'] = String(Buffer.byteLength(text));
  delete response.headers['x-amz-crc32'];
  return response;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An old image shown to reads: the item before the transaction, or none (the transaction created it). */
interface Stale {
  pk: string;
  sk: string;
  old: Item | undefined;
  until: number;
}

type Inner = ReturnType<typeof dynamoHttpHandler>;

export class DocumentedDynamo implements HttpHandler<HttpHandlerOptions> {
  readonly tally: DocumentedTally = { refusedWrites: 0, cancelled: 0, staleReads: 0 };
  /** Items of transactions in flight: key → how many. */
  private readonly inFlight = new Map<string, number>();
  /** Items of single writes in flight: key → how many. */
  private readonly writing = new Map<string, number>();
  private stale: Stale[] = [];
  /** Reads the old images, beside the SDK client under test. */
  private readonly raw: DynamoDBClient = localClient();

  constructor(
    private readonly inner: Inner,
    public options: DocumentedOptions = {},
  ) {}

  get metadata() {
    return { handlerProtocol: 'http/1.1' };
  }

  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const body = request.body as unknown;
    const raw = typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') : '{}';
    const input = JSON.parse(raw || '{}') as Input;
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const key = operation === 'PutItem' ? keyOf({ pk: input.Item?.pk, sk: input.Item?.sk }) : keyOf(input.Key);
        if (this.inFlight.has(key)) {
          this.tally.refusedWrites++;
          return { response: conflict() };
        }
        add(this.writing, [key]);
        try {
          const hold = this.options.writeHoldMs?.(input) ?? 0;
          if (hold > 0) await sleep(hold);
          return await this.inner.handle(request, options);
        } finally {
          drop(this.writing, [key]);
        }
      }
      case 'TransactGetItems': {
        const codes = transactionKeys(input).map((k) => (this.inFlight.has(k) || this.writing.has(k) ? 'TransactionConflict' : 'None'));
        if (codes.includes('TransactionConflict')) {
          this.tally.cancelled++;
          return { response: cancelled(codes) };
        }
        return this.inner.handle(request, options);
      }
      case 'TransactWriteItems':
        return this.transactWrite(input, request, options);
      case 'Query':
      case 'GetItem':
        return this.read(operation, input, request, options);
      default:
        return this.inner.handle(request, options);
    }
  }

  private async transactWrite(input: Input, request: HttpRequest, options: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const keys = transactionKeys(input);
    const codes = keys.map((k) => (this.inFlight.has(k) ? 'TransactionConflict' : 'None'));
    if (codes.includes('TransactionConflict')) {
      this.tally.cancelled++;
      return { response: cancelled(codes) };
    }
    add(this.inFlight, keys);
    try {
      const staleFor = this.options.staleMs?.(input) ?? 0;
      const staleKeys = staleFor > 0 ? (this.options.staleKeys?.(input) ?? []) : [];
      const pk = keys[0]!.split('|')[0]!;
      const olds = await Promise.all(staleKeys.map((sk) => this.oldImage(tableOf(input), pk, sk)));
      const hold = this.options.holdMs?.(input) ?? 0;
      if (hold > 0) await sleep(hold);
      const out = await this.inner.handle(request, options);
      if (out.response.statusCode === 200 && staleKeys.length) {
        const until = Date.now() + staleFor;
        staleKeys.forEach((sk, i) => this.stale.push({ pk, sk, old: olds[i], until }));
      }
      return out;
    } finally {
      drop(this.inFlight, keys);
    }
  }

  private async oldImage(table: string, pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.raw.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
    return out.Item as Item | undefined;
  }

  /** A read while some items are shown old: the engine's answer with their old images put back. */
  private async read(operation: string, input: Input, request: HttpRequest, options: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const now = Date.now();
    this.stale = this.stale.filter((s) => s.until > now);
    const out = await this.inner.handle(request, options);
    if (!this.stale.length || out.response.statusCode !== 200) return out;
    const answer = JSON.parse(await readBody(out.response)) as Input;
    let changed = false;
    if (operation === 'GetItem') {
      const hit = this.stale.find((s) => keyOf(input.Key) === `${s.pk}|${s.sk}`);
      if (hit) {
        changed = true;
        if (hit.old) answer.Item = hit.old;
        else delete answer.Item;
      }
    } else {
      const pk = input.ExpressionAttributeValues?.[':pk']?.S as string | undefined;
      let items = (answer.Items ?? []) as Item[];
      for (const s of this.stale.filter((x) => x.pk === pk)) {
        const at = items.findIndex((item) => item.sk?.S === s.sk);
        if (at >= 0) {
          changed = true;
          items = s.old ? items.map((item, i) => (i === at ? s.old! : item)) : items.filter((_, i) => i !== at);
        } else if (s.old && inRange(input, s.sk)) {
          changed = true;
          items = [...items, s.old].sort((a, b) => (a.sk.S < b.sk.S ? -1 : a.sk.S > b.sk.S ? 1 : 0));
        }
      }
      answer.Items = items;
      answer.Count = items.length;
    }
    if (changed) this.tally.staleReads++;
    return { response: withBody(out.response, answer) };
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

const add = (counts: Map<string, number>, keys: string[]) => keys.forEach((k) => counts.set(k, (counts.get(k) ?? 0) + 1));
const drop = (counts: Map<string, number>, keys: string[]) =>
  keys.forEach((k) => {
    const n = (counts.get(k) ?? 1) - 1;
    if (n > 0) counts.set(k, n);
    else counts.delete(k);
  });

const tableOf = (input: Input): string => {
  const first = (input.TransactItems as Input[])[0]!;
  return (first.Put ?? first.Update ?? first.Delete ?? first.ConditionCheck).TableName as string;
};

/** Whether a Query's key condition (`sk BETWEEN :a AND :b` or `begins_with(sk, :a)`) covers `sk`. */
function inRange(input: Input, sk: string): boolean {
  const condition = String(input.KeyConditionExpression ?? '');
  const a = input.ExpressionAttributeValues?.[':a']?.S as string | undefined;
  const b = input.ExpressionAttributeValues?.[':b']?.S as string | undefined;
  if (a === undefined) return false;
  if (condition.includes('begins_with')) return sk.startsWith(a);
  return sk >= a && (b === undefined || sk <= b);
}

/** A DynamoDB client configured as the function's, pointed at the test engine, with the emulation under it. */
export function documentedClient(endpoint: string, options: DocumentedOptions = {}): { client: DynamoDBClient; dynamo: DocumentedDynamo } {
  const dynamo = new DocumentedDynamo(dynamoHttpHandler(), options);
  const client = dynamoClientFromEnv({ DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1' }, dynamo);
  return { client, dynamo };
}
