// Creates through the real handler, and the same create's DynamoDB floor: the
// fewest calls the design needs, issued directly with the SDK from pre-built
// inputs (no validation, no marshalling, no domain logic).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createLivePersonHandler } from '../../functions/http/liveperson.js';
import type { HttpEvent, HttpHandler } from '../../functions/http/types.js';
import { COMMIT_CREATE, DynamoStatusReasonStore, META_SK, TAKE_LEASE, partitionKey, reasonSortKey, type DynamoStoreOptions, type StoreEvent } from '../../functions/store/dynamo-store.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { instrument, unionLength, type Meter, type MeterSnapshot } from './meter.js';
import { summarize, type Summary } from './stats.js';

const BATCH_SIZE = 25;
const LEASE_MS = 20_000;

/** A client configured like the deployed one (functions/store/from-env.ts), pointed at DynamoDB Local. */
export function benchClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: localCredentials,
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000 }),
  });
}

export interface Subject {
  client: DynamoDBClient;
  tableName: string;
  meter: Meter;
  /** Counts the store's events (lease-busy = an optimistic-concurrency retry). */
  events: Record<StoreEvent['type'], number>;
  handler: HttpHandler;
}

export function subject(client: DynamoDBClient, tableName: string, storeOptions: Partial<DynamoStoreOptions> = {}): Subject {
  const meter = instrument(client);
  const events: Subject['events'] = { 'lease-busy': 0, 'lease-taken-over': 0, 'batch-retry': 0 };
  const store = new DynamoStatusReasonStore({ client, tableName, leaseMs: LEASE_MS, ...storeOptions, onEvent: (e) => void events[e.type]++ });
  const handler = createLivePersonHandler({ store: () => store });
  return { client, tableName, meter, events, handler };
}

const reasonText = (i: number) => `Reason ${i} of the benchmark`;

/** The body a caller sends: one object for a single reason, else an array. */
export function createBody(size: number): unknown {
  const items = Array.from({ length: size }, (_, i) => ({ text: reasonText(i + 1), state: 'Away' }));
  return size === 1 ? items[0] : items;
}

export const createEvent = (accountId: string, size: number): HttpEvent =>
  httpEvent({ method: 'POST', path: BASE(accountId), body: createBody(size) });

/** Fresh account ids: `b-<run>-<n>`. */
export function accounts(prefix: string): () => string {
  const run = randomUUID().slice(0, 8);
  let n = 0;
  return () => `${prefix}-${run}-${n++}`;
}

/** The pre-built calls of one create on a fresh account, exactly the ones the store makes. */
export interface FloorPlan {
  acquire: UpdateItemCommand;
  query: QueryCommand;
  batches: BatchWriteItemCommand[];
  commit: UpdateItemCommand;
}

/** The design's minimum number of DynamoDB requests for a create of `size` reasons. */
export const minimumRequests = (size: number) => 2 + Math.ceil(size / BATCH_SIZE) + 1;

export function floorPlan(tableName: string, accountId: string, size: number): FloorPlan {
  const pk: AttributeValue = { S: partitionKey(accountId) };
  const metaKey = { pk, sk: { S: META_SK } };
  const token = randomUUID();
  const now = Date.now();
  const n = (value: number): AttributeValue => ({ N: String(value) });
  const acquire = new UpdateItemCommand({
    TableName: tableName,
    Key: metaKey,
    UpdateExpression: TAKE_LEASE.update,
    ConditionExpression: TAKE_LEASE.condition,
    ExpressionAttributeValues: { ':token': { S: token }, ':expires': n(now + LEASE_MS), ':one': n(1), ':zero': n(0), ':n': n(size), ':now': n(now) },
    ReturnValues: 'ALL_OLD',
  });
  const query = new QueryCommand({
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  });
  // A fresh account: ids 1..size, and (no order sent) orders 1..size, revision 1 — what the store writes.
  const requests: WriteRequest[] = Array.from({ length: size }, (_, i) => ({
    PutRequest: {
      Item: {
        pk,
        sk: { S: reasonSortKey(i + 1) },
        rev: n(1),
        id: n(i + 1),
        text: { S: reasonText(i + 1) },
        state: { S: 'Away' },
        enabled: { BOOL: true },
        deleted: { BOOL: false },
        order: n(i + 1),
      },
    },
  }));
  const batches: BatchWriteItemCommand[] = [];
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    batches.push(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests.slice(i, i + BATCH_SIZE) } }));
  }
  const commit = new UpdateItemCommand({
    TableName: tableName,
    Key: metaKey,
    UpdateExpression: COMMIT_CREATE.update,
    ConditionExpression: COMMIT_CREATE.condition,
    ExpressionAttributeValues: { ':revision': n(1), ':high': n(1 + size), ':token': { S: token } },
  });
  return { acquire, query, batches, commit };
}

/** An item's size by DynamoDB's rule: attribute names plus values (S: UTF-8 bytes; N: ~1 byte per 2 significant digits + 1; BOOL: 1). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    else if (value.BOOL !== undefined) bytes += 1;
    else throw new Error(`itemBytes: unsupported attribute type in ${name}`);
  }
  return bytes;
}

/** Write units of the floor's create computed from item sizes (1 per KB, rounded up, per item; UpdateItem: the larger of before and after). */
export function computedWcu(plan: FloorPlan): { wcu: number; largestItemBytes: number } {
  const values = plan.acquire.input.ExpressionAttributeValues!;
  const now = Number(values[':now']!.N);
  const size = Number(values[':n']!.N);
  const meta = (locked: boolean): Record<string, AttributeValue> => ({
    ...plan.acquire.input.Key!,
    ...(locked && { lockToken: values[':token']!, lockExpires: { N: String(now + LEASE_MS) } }),
    nextId: { N: String(1 + size) },
    committedHigh: { N: String(locked ? 1 : 1 + size) },
    revision: { N: locked ? '0' : '1' },
  });
  const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
  const items = plan.batches.flatMap((b) => Object.values(b.input.RequestItems!).flat().map((r) => r.PutRequest!.Item!));
  const sizes = items.map(itemBytes);
  const acquire = kb(itemBytes(meta(true))); // a new item: the larger of nothing and the item after
  const commit = kb(Math.max(itemBytes(meta(true)), itemBytes(meta(false))));
  return { wcu: acquire + sizes.reduce((n, b) => n + kb(b), 0) + commit, largestItemBytes: Math.max(...sizes) };
}

export async function runFloor(client: DynamoDBClient, plan: FloorPlan): Promise<void> {
  await Promise.all([client.send(plan.acquire), client.send(plan.query)]);
  const outs = await Promise.all(plan.batches.map((batch) => client.send(batch)));
  for (const out of outs) {
    if (Object.values(out.UnprocessedItems ?? {}).some((items) => items.length)) throw new Error('floor: unprocessed items (not expected on DynamoDB Local)');
  }
  await client.send(plan.commit);
}

export async function runHandler(handler: HttpHandler, event: HttpEvent, context = lambdaContext()): Promise<void> {
  const result = await handler(event, context);
  if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
}

interface Sample {
  ms: number;
  meter: MeterSnapshot;
  /** Time with no DynamoDB call on the wire. */
  outsideMs: number;
}

async function timed(meter: Meter, op: () => Promise<void>): Promise<Sample> {
  meter.reset();
  const start = performance.now();
  await op();
  const ms = performance.now() - start;
  const snap = meter.snapshot();
  return { ms, meter: snap, outsideMs: ms - unionLength(snap.wire) };
}

export interface SideResult {
  latency: Summary;
  /** p50 of the time with no DynamoDB call on the wire (Node-side work). */
  outsideP50: number;
  /** p50 of the time with a DynamoDB call on the wire. */
  wireP50: number;
  requestsPerCreate: number;
  commands: Record<string, number>;
  wcuPerCreate: number;
  wcuPerReason: number;
  rcuPerCreate: number;
  /** Calls that reported no ConsumedCapacity. */
  unreportedPerCreate: number;
}

export interface CreateResult {
  size: number;
  runs: number;
  warmup: number;
  handler: SideResult;
  floor: SideResult;
  /** handler p50 / floor p50, and the same at p99, from the same interleaved run. */
  ratioP50: number;
  ratioP99: number;
  /** The median of the per-pair ratios (each handler run over the floor run next to it). */
  pairedRatioMedian: number;
  minimumRequests: number;
  /** The floor's write units computed from its item sizes, to check what DynamoDB Local reports. */
  computedWcuPerCreate: number;
  /** The largest reason item written, in bytes (DynamoDB's size rule). */
  reasonItemBytes: number;
}

function side(samples: Sample[], size: number): SideResult {
  const mean = (f: (s: Sample) => number) => samples.reduce((n, s) => n + f(s), 0) / samples.length;
  const totals: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.meter.commands)) totals[k] = (totals[k] ?? 0) + v;
  const commands = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / samples.length]));
  const wcu = mean((s) => s.meter.wcu);
  return {
    latency: summarize(samples.map((s) => s.ms)),
    outsideP50: summarize(samples.map((s) => s.outsideMs)).p50,
    wireP50: summarize(samples.map((s) => s.ms - s.outsideMs)).p50,
    requestsPerCreate: mean((s) => s.meter.requests),
    commands,
    wcuPerCreate: wcu,
    wcuPerReason: wcu / size,
    rcuPerCreate: mean((s) => s.meter.rcu),
    unreportedPerCreate: mean((s) => s.meter.unreported),
  };
}

export interface CreateBenchOptions {
  sizes: number[];
  runs: number;
  warmup: number;
  log?: (line: string) => void;
}

/** Handler and floor creates, interleaved (alternating which goes first) on fresh accounts. */
export async function benchCreates(s: Subject, { sizes, runs, warmup, log = () => {} }: CreateBenchOptions): Promise<CreateResult[]> {
  const results: CreateResult[] = [];
  const nextAccount = accounts('b');
  for (const size of sizes) {
    const handlerSamples: Sample[] = [];
    const floorSamples: Sample[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const event = createEvent(nextAccount(), size);
      const context = lambdaContext();
      const plan = floorPlan(s.tableName, nextAccount(), size);
      const doHandler = () => timed(s.meter, () => runHandler(s.handler, event, context));
      const doFloor = () => timed(s.meter, () => runFloor(s.client, plan));
      let h: Sample;
      let f: Sample;
      if (i % 2 === 0) {
        h = await doHandler();
        f = await doFloor();
      } else {
        f = await doFloor();
        h = await doHandler();
      }
      if (i >= warmup) {
        handlerSamples.push(h);
        floorSamples.push(f);
      }
    }
    const handler = side(handlerSamples, size);
    const floor = side(floorSamples, size);
    const paired = summarize(handlerSamples.map((h, i) => h.ms / floorSamples[i]!.ms)).p50;
    const computed = computedWcu(floorPlan(s.tableName, nextAccount(), size));
    const result: CreateResult = {
      size,
      runs,
      warmup,
      handler,
      floor,
      ratioP50: handler.latency.p50 / floor.latency.p50,
      ratioP99: handler.latency.p99 / floor.latency.p99,
      pairedRatioMedian: paired,
      minimumRequests: minimumRequests(size),
      computedWcuPerCreate: computed.wcu,
      reasonItemBytes: computed.largestItemBytes,
    };
    log(`  ${size} reasons: handler p50 ${handler.latency.p50.toFixed(2)} ms, floor p50 ${floor.latency.p50.toFixed(2)} ms, ratio ${result.ratioP50.toFixed(2)}`);
    results.push(result);
  }
  return results;
}

export interface ConcurrencyOptions {
  writers: number;
  createsPerWriter: number;
  reasonsPerCreate: number;
}

export interface ConcurrencyResult extends ConcurrencyOptions {
  creates: number;
  failed: number;
  seconds: number;
  throughput: number;
  latency: Summary;
  /** lease-busy events: a writer found the lease taken and tried again. */
  retries: number;
  retriesPerCreate: number;
  leaseTakenOver: number;
  requestsPerCreate: number;
  conditionFailuresPerCreate: number;
  /** Reported write units plus failed conditional writes (DynamoDB bills those, 1 unit each here; Local does not report them). */
  wcuPerCreate: number;
  rcuPerCreate: number;
  commands: Record<string, number>;
  /** Share of the run's time during which some writer held the lease (from its acquire's answer to its commit's answer). */
  leaseHeldShare: number;
  /** Median time a writer held the lease, ms. */
  leaseHoldP50: number;
}

/** The lease's busy intervals, from the calls: a successful acquire's answer to the next commit's (or release's) answer. */
function leaseIntervals(calls: MeterSnapshot['calls']): Array<[number, number]> {
  const acquires = calls.filter((c) => c.ok && c.update?.startsWith('SET lockToken')).map((c) => c.end).sort((a, b) => a - b);
  // A commit, or the release of a write that did not commit.
  const ends = (u: string | undefined) => !!u && (u.startsWith('SET revision') || u.startsWith('REMOVE lockToken') || u.startsWith('SET committedHigh'));
  const commits = calls.filter((c) => c.ok && ends(c.update)).map((c) => c.end).sort((a, b) => a - b);
  // One writer at a time: the k-th acquire pairs with the k-th commit.
  return acquires.slice(0, commits.length).map((start, i) => [start, commits[i]!] as [number, number]);
}

/** N writers creating on one account at once, through the handler. */
export async function benchConcurrency(s: Subject, { writers, createsPerWriter, reasonsPerCreate }: ConcurrencyOptions): Promise<ConcurrencyResult> {
  const account = accounts('c')();
  const body = (w: number, k: number) => {
    const items = Array.from({ length: reasonsPerCreate }, (_, i) => ({ text: `Writer ${w} create ${k} item ${i}`, state: 'Online' }));
    return reasonsPerCreate === 1 ? items[0] : items;
  };
  const before = { ...s.events };
  s.meter.reset();
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < createsPerWriter; k++) {
        const event = httpEvent({ method: 'POST', path: BASE(account), body: body(w, k) });
        const t = performance.now();
        const result = await s.handler(event, lambdaContext());
        latencies.push(performance.now() - t);
        if (result.statusCode !== 200) failed++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const snap = s.meter.snapshot();
  const creates = writers * createsPerWriter;
  const ok = creates - failed;
  const retries = s.events['lease-busy'] - before['lease-busy'];
  const held = leaseIntervals(snap.calls);
  return {
    writers,
    createsPerWriter,
    reasonsPerCreate,
    creates,
    failed,
    seconds,
    throughput: ok / seconds,
    latency: summarize(latencies),
    retries,
    retriesPerCreate: retries / creates,
    leaseTakenOver: s.events['lease-taken-over'] - before['lease-taken-over'],
    requestsPerCreate: snap.requests / creates,
    conditionFailuresPerCreate: snap.conditionFailures / creates,
    wcuPerCreate: (snap.wcu + snap.conditionFailures) / creates,
    rcuPerCreate: snap.rcu / creates,
    commands: Object.fromEntries(Object.entries(snap.commands).map(([k, v]) => [k, v / creates])),
    leaseHeldShare: unionLength(held) / (seconds * 1000),
    leaseHoldP50: summarize(held.map(([a, b]) => b - a)).p50,
  };
}
