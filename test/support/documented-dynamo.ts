// DynamoDB as AWS documents it, in front of DynamoDB Local, which shows none
// of this (developer guide, "Amazon DynamoDB Transactions: How it works",
// isolation levels and transaction conflict handling):
//
//  - a PutItem, UpdateItem or DeleteItem on an item that an ongoing
//    TransactWriteItems includes is refused: 400 TransactionConflictException;
//  - a TransactWriteItems with an item in another ongoing transaction is
//    cancelled: TransactionCanceledException, reason `TransactionConflict` for
//    that item and `None` for the others (the same ClientRequestToken while its
//    first call is still running: TransactionInProgressException);
//  - a TransactGetItems with an item that an ongoing TransactWriteItems,
//    BatchWriteItem, PutItem, UpdateItem or DeleteItem is writing is cancelled
//    the same way;
//  - GetItem, Query, Scan and BatchGetItem are read-committed per item: while a
//    transaction applies, a read may see some of its items new and others old.
//
// How: every layer of one simulation shares one model. A TransactWriteItems
// holds its items (ConditionCheck ones too) from the moment it arrives: the
// layer reads their old images straight from the engine (consistent GetItem,
// past the faults), forwards the transaction (DynamoDB Local applies it at
// once), then reveals its written items one at a time, in a seeded order, over
// a seeded window; its answer comes back at the end of the window, when the
// items are let go. Until an item is revealed, every read's answer shows its old
// image (projected as the read asked) or, if it did not exist, leaves it out.
import { BatchGetItemCommand, DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HttpResponse } from '@smithy/protocol-http';
import { Readable } from 'node:stream';

type Value = Record<string, any>;
/** An item in DynamoDB JSON (attribute name -> attribute value), as on the wire. */
export type WireItem = Record<string, Value>;

/** How one transaction applies: how long its items stay in flight after the engine applied it, and the order they appear in. */
export interface TransactionPlan {
  windowMs: number;
  /** A seed for the order the written items become visible in. */
  seed: number;
  /**
   * The written items that become visible only at the end of the window; with
   * it, the others are visible as soon as the engine applied the transaction
   * (instead of one at a time in the seeded order): a read in between sees
   * exactly these items as they were. For a regression test that needs one
   * particular half-applied state.
   */
  late?: (key: WireItem) => boolean;
}

export interface DocumentedOptions {
  /** The engine, for the old images (read past the faults). */
  endpoint: string;
  /** The plan of a transaction that brings none. */
  defaultWindowMs?: number;
  /**
   * How long a PutItem, UpdateItem or DeleteItem stays in flight before it is
   * forwarded (a TransactGetItems of its item is cancelled meanwhile); none: as
   * long as the engine takes. For a regression test that needs a single write
   * always in flight.
   */
  writeHoldMs?: (call: { operation: string; input: Record<string, any> }) => number;
}

/** What the model did, for a report. */
export interface DocumentedTally {
  transactions: number;
  /** Put/Update/Delete/BatchWrite refused with TransactionConflictException. */
  writesRefused: number;
  /** TransactWriteItems cancelled with TransactionConflict (or TransactionInProgress). */
  transactionsCancelled: number;
  /** TransactGetItems cancelled with TransactionConflict. */
  transactGetsCancelled: number;
  /** Reads whose answer showed an item of an in-flight transaction as it was before. */
  readsMasked: number;
  /** Reads of items in flight that the model could not mask (an index, a filter, COUNT). */
  readsNotMasked: number;
}

interface HeldItem {
  table: string;
  key: WireItem;
  id: string;
  /** Whether the transaction writes it (not a ConditionCheck). */
  writes: boolean;
  /** The item before the transaction (undefined: there was none). */
  old: WireItem | undefined;
  /** When it becomes visible (epoch ms); Infinity until the engine applied the transaction. */
  revealAt: number;
}

interface Transaction {
  token: string | undefined;
  items: HeldItem[];
  /** undefined while the engine has not answered; false when it refused the transaction (nothing to hide). */
  applied: boolean | undefined;
  /** Whether its old images are read (before that, it has not been forwarded: the engine shows the old state itself). */
  forwarding: boolean;
}

export interface Forwarded {
  operation: string;
  input: Record<string, any>;
  /** Sends the request, unchanged, to the engine. */
  forward: () => Promise<{ response: HttpResponse }>;
  plan: TransactionPlan | undefined;
  signal: AbortSignal | undefined;
}

const PREFIX = 'com.amazonaws.dynamodb.v20120810#';

function answer(status: number, body: unknown): { response: HttpResponse } {
  const text = JSON.stringify(body);
  return {
    response: new HttpResponse({
      statusCode: status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `documented-${Date.now()}`, 'content-length': String(Buffer.byteLength(text)) },
      body: Readable.from([Buffer.from(text)]),
    }),
  };
}

const ONGOING = 'Transaction is ongoing for the item';
const conflictAnswer = () => answer(400, { __type: `${PREFIX}TransactionConflictException`, message: ONGOING });
function cancelledAnswer(codes: string[]) {
  return answer(400, {
    __type: `${PREFIX}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    CancellationReasons: codes.map((Code) => (Code === 'None' ? { Code } : { Code, Message: ONGOING })),
  });
}

async function bodyText(response: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function withBody(response: HttpResponse, text: string): { response: HttpResponse } {
  response.body = Readable.from([Buffer.from(text)]);
  response.headers['content-length'] = String(Buffer.byteLength(text));
  // The SDK checks the body's CRC32 when the header is there; the body is no longer the engine's.
  delete response.headers['x-amz-crc32'];
  return { response };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with `work`, or rejects as the SDK's aborted request does when `signal` fires first (the work goes on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    if (signal.aborted) return abort();
    signal.addEventListener?.('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener?.('abort', abort));
  });
}

/** The SDK's attribute value (Uint8Array for binary) back in wire form (base64). */
function toWire(value: any): any {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toWire(v)]));
  return value;
}

/** Orders two key attribute values as DynamoDB does: numbers by value, strings by UTF-8 bytes, binary by bytes. */
export function compareKeyValues(a: Value, b: Value): number {
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return Buffer.compare(Buffer.from(a.S, 'utf8'), Buffer.from(b.S, 'utf8'));
  if (a.B !== undefined && b.B !== undefined) return Buffer.compare(Buffer.from(a.B, 'base64'), Buffer.from(b.B, 'base64'));
  throw new Error(`documented layer: cannot compare key values ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
}

const sameValue = (a: Value | undefined, b: Value | undefined) => a !== undefined && b !== undefined && compareKeyValues(a, b) === 0;

/** A mulberry32 order of 0..n-1 (seeded: a replay reveals in the same order). */
function seededOrder(n: number, seed: number): number[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

// ------------------------------------------------------------ expressions

const nameOf = (token: string, names: Record<string, string> | undefined): string => {
  if (!token.startsWith('#')) return token;
  const name = names?.[token];
  if (name === undefined) throw new Error(`documented layer: ${token} is not in ExpressionAttributeNames`);
  return name;
};

type Path = (string | number)[];

/** A ProjectionExpression's paths (`a, #b.c, d[2]`), or the legacy AttributesToGet. */
function projectionPaths(input: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string>; AttributesToGet?: string[] }): Path[] | undefined {
  if (input.AttributesToGet) return input.AttributesToGet.map((name) => [name]);
  if (!input.ProjectionExpression) return undefined;
  return input.ProjectionExpression.split(',').map((raw) => {
    const path: Path = [];
    for (const part of raw.trim().split('.')) {
      const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part.trim());
      if (!match) throw new Error(`documented layer: cannot read the projection path ${raw.trim()}`);
      path.push(nameOf(match[1]!, input.ExpressionAttributeNames));
      for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
    }
    return path;
  });
}

/** The item as a read with this projection returns it. */
export function project(item: WireItem, paths: Path[] | undefined): WireItem {
  if (!paths) return item;
  const out: WireItem = {};
  for (const path of paths) {
    // Walk the source along the path; copy what exists into `out`, building maps and lists on the way.
    let source: any = { M: item };
    let target: any = { M: out };
    for (let i = 0; i < path.length; i++) {
      const step = path[i]!;
      const last = i === path.length - 1;
      if (typeof step === 'string') {
        if (!source.M || source.M[step] === undefined) break;
        source = source.M[step];
        if (last) target.M[step] = source;
        else target = target.M[step] ??= source.M ? { M: {} } : { L: [] };
      } else {
        if (!source.L || source.L[step] === undefined) break;
        source = source.L[step];
        // A projected list keeps the elements asked for, in their order.
        if (last) target.L.push(source);
        else target.L.push((target = source.M ? { M: {} } : { L: [] }));
      }
    }
  }
  return out;
}

interface KeyCondition {
  hash: { name: string; value: Value };
  range?: (value: Value | undefined) => boolean;
}

/** A Query's KeyConditionExpression: `h = :v` and at most one condition on the range key. */
function keyCondition(input: Record<string, any>): KeyCondition {
  const names = input.ExpressionAttributeNames as Record<string, string> | undefined;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, Value>;
  const valueOf = (token: string) => {
    const value = values[token];
    if (!value) throw new Error(`documented layer: ${token} is not in ExpressionAttributeValues`);
    return value;
  };
  const parts: string[] = [];
  for (const piece of String(input.KeyConditionExpression).split(/\s+AND\s+/i)) {
    // BETWEEN's own AND joins the two pieces it split.
    if (parts.length && /\sBETWEEN\s+\S+$/i.test(parts[parts.length - 1]!)) parts[parts.length - 1] += ` AND ${piece}`;
    else parts.push(piece);
  }
  let hash: KeyCondition['hash'] | undefined;
  let range: KeyCondition['range'];
  for (const raw of parts) {
    const part = raw.trim().replace(/^\((.*)\)$/, '$1').trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s*=\s*(:\w+)$/.exec(part))) {
      const name = nameOf(m[1]!, names);
      if (!hash) hash = { name, value: valueOf(m[2]!) };
      else {
        const v = valueOf(m[2]!);
        range = (x) => x !== undefined && compareKeyValues(x, v) === 0;
      }
    } else if ((m = /^(\S+)\s*(<=|>=|<|>)\s*(:\w+)$/.exec(part))) {
      const v = valueOf(m[3]!);
      const op = m[2]!;
      range = (x) => x !== undefined && ({ '<': (c: number) => c < 0, '<=': (c: number) => c <= 0, '>': (c: number) => c > 0, '>=': (c: number) => c >= 0 } as const)[op as '<'](compareKeyValues(x, v));
    } else if ((m = /^(\S+)\s+BETWEEN\s+(:\w+)\s+AND\s+(:\w+)$/i.exec(part))) {
      const [low, high] = [valueOf(m[2]!), valueOf(m[3]!)];
      range = (x) => x !== undefined && compareKeyValues(x, low) >= 0 && compareKeyValues(x, high) <= 0;
    } else if ((m = /^begins_with\s*\(\s*([^,\s]+)\s*,\s*(:\w+)\s*\)$/i.exec(part))) {
      const prefix = valueOf(m[2]!);
      range = (x) => (x?.S !== undefined && prefix.S !== undefined ? x.S.startsWith(prefix.S) : x?.B !== undefined && prefix.B !== undefined ? Buffer.from(x.B, 'base64').subarray(0, Buffer.from(prefix.B, 'base64').length).equals(Buffer.from(prefix.B, 'base64')) : false);
    } else {
      throw new Error(`documented layer: cannot read the key condition ${part}`);
    }
  }
  if (!hash) throw new Error(`documented layer: no partition key equality in ${input.KeyConditionExpression}`);
  return { hash, ...(range && { range }) };
}

// ------------------------------------------------------------------ model

export class DocumentedDynamo {
  readonly tally: DocumentedTally = { transactions: 0, writesRefused: 0, transactionsCancelled: 0, transactGetsCancelled: 0, readsMasked: 0, readsNotMasked: 0 };
  private readonly engine: DynamoDBClient;
  private readonly schemas = new Map<string, Promise<string[]>>();
  /** Item id -> the transaction holding it. */
  private readonly held = new Map<string, Transaction>();
  /** Item id -> single writes and transactional reads of it now at the engine (a transaction waits for them before it reads old images). */
  private readonly busy = new Map<string, number>();
  private readonly defaultWindowMs: number;
  private readonly writeHoldMs: DocumentedOptions['writeHoldMs'];

  constructor(options: DocumentedOptions) {
    this.engine = new DynamoDBClient({ endpoint: options.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    this.defaultWindowMs = options.defaultWindowMs ?? 50;
    this.writeHoldMs = options.writeHoldMs;
  }

  destroy(): void {
    this.engine.destroy();
  }

  /** Whether any transaction holds items now. */
  get idle(): boolean {
    return this.held.size === 0;
  }

  /** The table's key attributes: [partition, sort?]. */
  private keyNames(table: string): Promise<string[]> {
    let names = this.schemas.get(table);
    if (!names) {
      names = this.engine.send(new DescribeTableCommand({ TableName: table })).then((out) => {
        const schema = out.Table?.KeySchema ?? [];
        return [...schema].sort((a) => (a.KeyType === 'HASH' ? -1 : 1)).map((k) => k.AttributeName!);
      });
      names.catch(() => this.schemas.delete(table));
      this.schemas.set(table, names);
    }
    return names;
  }

  private async keyOf(table: string, item: WireItem): Promise<{ key: WireItem; id: string }> {
    const names = await this.keyNames(table);
    const key = Object.fromEntries(names.map((n) => [n, item[n]])) as WireItem;
    return { key, id: `${table}\u0000${JSON.stringify(names.map((n) => item[n]))}` };
  }

  async handle(call: Forwarded): Promise<{ response: HttpResponse }> {
    const { operation, input } = call;
    switch (operation) {
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem': {
        const { id } = await this.keyOf(input.TableName, input.Item ?? input.Key);
        if (this.held.has(id)) {
          this.tally.writesRefused++;
          return conflictAnswer();
        }
        const hold = this.writeHoldMs?.(call) ?? 0;
        return this.whileBusy([id], hold > 0 ? () => sleep(hold).then(call.forward) : call.forward);
      }
      case 'BatchWriteItem': {
        // AWS documents no per-item outcome for a batch write on an item in a transaction; the layer refuses the call as it does a PutItem.
        const ids: string[] = [];
        for (const [table, requests] of Object.entries(input.RequestItems ?? {}) as [string, any[]][]) {
          for (const r of requests) ids.push((await this.keyOf(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key)).id);
        }
        if (ids.some((id) => this.held.has(id))) {
          this.tally.writesRefused++;
          return conflictAnswer();
        }
        return this.whileBusy(ids, call.forward);
      }
      case 'TransactGetItems': {
        const ids = await Promise.all((input.TransactItems as any[]).map(async (t) => (await this.keyOf(t.Get.TableName, t.Get.Key)).id));
        const codes = ids.map((id) => (this.held.has(id) || (this.busy.get(id) ?? 0) > 0 ? 'TransactionConflict' : 'None'));
        if (codes.includes('TransactionConflict')) {
          this.tally.transactGetsCancelled++;
          return cancelledAnswer(codes);
        }
        return this.whileBusy(ids, call.forward);
      }
      case 'TransactWriteItems':
        return this.transact(call);
      case 'GetItem':
        return this.masked(call, (body, now) => this.maskGet(input, body, now));
      case 'Query':
        return this.masked(call, (body, now) => this.maskQuery(input, body, now));
      case 'Scan':
        return this.masked(call, (body, now) => this.maskScan(input, body, now));
      case 'BatchGetItem':
        return this.masked(call, (body, now) => this.maskBatchGet(input, body, now));
      default:
        return call.forward();
    }
  }

  private async whileBusy(ids: string[], forward: () => Promise<{ response: HttpResponse }>): Promise<{ response: HttpResponse }> {
    for (const id of ids) this.busy.set(id, (this.busy.get(id) ?? 0) + 1);
    try {
      return await forward();
    } finally {
      for (const id of ids) {
        const left = this.busy.get(id)! - 1;
        if (left > 0) this.busy.set(id, left);
        else this.busy.delete(id);
      }
    }
  }

  private async transact(call: Forwarded): Promise<{ response: HttpResponse }> {
    const { input } = call;
    const actions = input.TransactItems as Record<string, any>[];
    const items: HeldItem[] = [];
    for (const action of actions) {
      const [kind, body] = Object.entries(action)[0] as [string, any];
      const { key, id } = await this.keyOf(body.TableName, body.Item ?? body.Key);
      items.push({ table: body.TableName, key, id, writes: kind !== 'ConditionCheck', old: undefined, revealAt: Infinity });
    }
    const token = input.ClientRequestToken as string | undefined;
    if (token !== undefined && [...new Set(this.held.values())].some((t) => t.token === token)) {
      this.tally.transactionsCancelled++;
      return answer(400, { __type: `${PREFIX}TransactionInProgressException`, message: 'Transaction with the given request token is already in progress' });
    }
    const codes = items.map((item) => (this.held.has(item.id) ? 'TransactionConflict' : 'None'));
    if (codes.includes('TransactionConflict')) {
      this.tally.transactionsCancelled++;
      return cancelledAnswer(codes);
    }
    // Held from here: writes to these items are refused, transactional reads cancelled, and reads mask them.
    const txn: Transaction = { token, items, applied: undefined, forwarding: false };
    for (const item of items) this.held.set(item.id, txn);
    this.tally.transactions++;
    const release = () => {
      for (const item of items) if (this.held.get(item.id) === txn) this.held.delete(item.id);
    };
    let out: { response: HttpResponse };
    let text: string;
    try {
      // Writes that were already at the engine when it arrived land before it.
      for (let waited = 0; items.some((item) => this.busy.has(item.id)) && waited < 5_000; waited += 2) await sleep(2);
      await this.readOldImages(items.filter((item) => item.writes));
      txn.forwarding = true;
      out = await call.forward();
      text = await bodyText(out.response);
    } catch (error) {
      release();
      throw error;
    }
    if (out.response.statusCode !== 200) {
      // Refused by the engine: nothing of it to hide.
      txn.applied = false;
      release();
      return withBody(out.response, text);
    }
    const windowMs = Math.max(0, call.plan?.windowMs ?? this.defaultWindowMs);
    const written = items.filter((item) => item.writes);
    const appliedAt = Date.now();
    const late = call.plan?.late;
    if (late) for (const item of written) item.revealAt = late(item.key) ? appliedAt + windowMs : appliedAt;
    else {
      const order = seededOrder(written.length, call.plan?.seed ?? Math.floor(Math.random() * 2 ** 32));
      order.forEach((index, place) => (written[index]!.revealAt = appliedAt + (windowMs * (place + 1)) / (written.length + 1)));
    }
    txn.applied = true;
    // The answer comes when every item is visible and let go; a caller that gives up earlier does not end the window.
    const settled = sleep(windowMs).then(release);
    await abortable(settled, call.signal);
    return withBody(out.response, text);
  }

  /**
   * The items' images before the transaction, read consistently straight from
   * the engine in as few calls as DynamoDB allows (BatchGetItem, 100 keys), so
   * that the emulation adds little to the transaction's own time.
   */
  private async readOldImages(items: HeldItem[]): Promise<void> {
    const byId = new Map(items.map((item) => [item.id, item]));
    for (let from = 0; from < items.length; from += 100) {
      let pending: Record<string, { Keys: WireItem[]; ConsistentRead: true }> = {};
      for (const item of items.slice(from, from + 100)) (pending[item.table] ??= { Keys: [], ConsistentRead: true }).Keys.push(item.key);
      for (let round = 0; Object.keys(pending).length; round++) {
        if (round > 20) throw new Error('documented layer: the old images stayed unprocessed');
        const out = await this.engine.send(new BatchGetItemCommand({ RequestItems: pending as never }));
        for (const [table, rows] of Object.entries(out.Responses ?? {})) {
          for (const row of rows) {
            const wire = toWire(row) as WireItem;
            const held = byId.get((await this.keyOf(table, wire)).id);
            if (held) held.old = wire;
          }
        }
        pending = toWire(out.UnprocessedKeys ?? {}) as typeof pending;
        for (const table of Object.keys(pending)) pending[table]!.ConsistentRead = true;
      }
    }
  }

  /** The transaction item `id` as a read now sees it: undefined when it is visible as the engine holds it. */
  private hidden(id: string, now: number): HeldItem | undefined {
    const txn = this.held.get(id);
    if (!txn || !txn.forwarding || txn.applied === false) return undefined;
    const item = txn.items.find((i) => i.id === id)!;
    return item.writes && now < item.revealAt ? item : undefined;
  }

  private async masked(call: Forwarded, mask: (body: any, now: number) => Promise<boolean>): Promise<{ response: HttpResponse }> {
    const out = await call.forward();
    if (out.response.statusCode !== 200 || this.held.size === 0) return out;
    const text = await bodyText(out.response);
    const body = JSON.parse(text);
    // What the read shows is decided when its answer arrives: a prefix of each transaction's reveal order.
    const changed = await mask(body, Date.now());
    if (changed) this.tally.readsMasked++;
    return withBody(out.response, changed ? JSON.stringify(body) : text);
  }

  private async maskGet(input: Record<string, any>, body: any, now: number): Promise<boolean> {
    const { id } = await this.keyOf(input.TableName, input.Key);
    const item = this.hidden(id, now);
    if (!item) return false;
    if (item.old) body.Item = project(item.old, projectionPaths(input));
    else delete body.Item;
    return true;
  }

  /** In-flight items the read cannot show as they are: what the model cannot emulate is counted and left as the engine answered. */
  private unmaskable(input: Record<string, any>): boolean {
    return input.IndexName !== undefined || input.FilterExpression !== undefined || input.ScanFilter !== undefined || input.QueryFilter !== undefined || input.Select === 'COUNT';
  }

  private async maskQuery(input: Record<string, any>, body: any, now: number): Promise<boolean> {
    const table = input.TableName as string;
    const names = await this.keyNames(table);
    const [hashName, rangeName] = names as [string, string | undefined];
    const condition = keyCondition(input);
    const candidates = [...this.held.keys()]
      .map((id) => this.hidden(id, now))
      .filter((item): item is HeldItem => item !== undefined && item.table === table && sameValue(item.key[hashName], condition.hash.value))
      .filter((item) => !rangeName || !condition.range || condition.range(item.key[rangeName]));
    if (!candidates.length) return false;
    if (this.unmaskable(input)) {
      this.tally.readsNotMasked++;
      return false;
    }
    const forward = input.ScanIndexForward !== false;
    const paths = projectionPaths(input);
    const start = input.ExclusiveStartKey?.[rangeName ?? ''] as Value | undefined;
    const end = body.LastEvaluatedKey?.[rangeName ?? ''] as Value | undefined;
    const direction = (a: Value, b: Value) => (forward ? compareKeyValues(a, b) : compareKeyValues(b, a));
    const inPage = (v: Value | undefined) => !rangeName || (v !== undefined && (!start || direction(v, start) > 0) && (!end || direction(v, end) <= 0));

    // The page's items with their full keys (a projection may leave keys out: then the engine's rows are matched by the keys they show).
    type Row = { key: Value | undefined; item: WireItem };
    const rows: Row[] = (body.Items as WireItem[] | undefined ?? []).map((item) => ({ key: rangeName ? item[rangeName] : undefined, item }));
    let changed = false;
    for (const held of candidates) {
      const rangeValue = rangeName ? held.key[rangeName] : undefined;
      if (!inPage(rangeValue)) continue;
      const at = rows.findIndex((row) => (rangeName ? sameValue(row.key, rangeValue) : true) && (!row.item[hashName] || sameValue(row.item[hashName], held.key[hashName])));
      if (at >= 0) {
        if (held.old) rows[at] = { key: rangeValue, item: project(held.old, paths) };
        else rows.splice(at, 1);
        changed = true;
      } else if (held.old) {
        rows.push({ key: rangeValue, item: project(held.old, paths) });
        changed = true;
      }
    }
    if (!changed) return false;
    if (rangeName) rows.sort((a, b) => direction(a.key!, b.key!));
    if (typeof input.Limit === 'number' && rows.length > input.Limit) {
      // The page keeps its Limit: what falls off comes with the next page.
      rows.length = input.Limit;
      const last = rows[rows.length - 1]!;
      body.LastEvaluatedKey = { [hashName]: condition.hash.value, ...(rangeName && { [rangeName]: last.key }) };
    }
    body.Items = rows.map((row) => row.item);
    body.Count = rows.length;
    return true;
  }

  private async maskScan(input: Record<string, any>, body: any, now: number): Promise<boolean> {
    const table = input.TableName as string;
    const candidates = [...this.held.keys()].map((id) => this.hidden(id, now)).filter((item): item is HeldItem => item !== undefined && item.table === table);
    if (!candidates.length) return false;
    if (this.unmaskable(input) || input.Segment !== undefined) {
      this.tally.readsNotMasked++;
      return false;
    }
    const paths = projectionPaths(input);
    const names = await this.keyNames(table);
    const rows = (body.Items ?? []) as WireItem[];
    let changed = false;
    for (const held of candidates) {
      const at = rows.findIndex((row) => names.every((n) => sameValue(row[n], held.key[n])));
      if (at >= 0) {
        if (held.old) rows[at] = project(held.old, paths);
        else rows.splice(at, 1);
        changed = true;
      } else if (held.old && !body.LastEvaluatedKey) {
        // A scan's order is the engine's; an item the transaction deleted shows up again on the last page.
        rows.push(project(held.old, paths));
        changed = true;
      }
    }
    body.Items = rows;
    body.Count = rows.length;
    return changed;
  }

  private async maskBatchGet(input: Record<string, any>, body: any, now: number): Promise<boolean> {
    let changed = false;
    for (const [table, request] of Object.entries(input.RequestItems ?? {}) as [string, any][]) {
      const names = await this.keyNames(table);
      const paths = projectionPaths(request);
      const rows = (body.Responses?.[table] ?? []) as WireItem[];
      const unprocessed = (body.UnprocessedKeys?.[table]?.Keys ?? []) as WireItem[];
      for (const key of request.Keys as WireItem[]) {
        const held = this.hidden((await this.keyOf(table, key)).id, now);
        if (!held || unprocessed.some((k) => names.every((n) => sameValue(k[n], key[n])))) continue;
        const at = rows.findIndex((row) => names.every((n) => sameValue(row[n], key[n])));
        if (at < 0 && rows.some((row) => names.some((n) => row[n] === undefined))) {
          // The projection left the keys out: which row is which cannot be told.
          this.tally.readsNotMasked++;
          continue;
        }
        if (at >= 0) {
          if (held.old) rows[at] = project(held.old, paths);
          else rows.splice(at, 1);
        } else if (held.old) rows.push(project(held.old, paths));
        else continue;
        changed = true;
      }
      if (changed) (body.Responses ??= {})[table] = rows;
    }
    return changed;
  }
}
