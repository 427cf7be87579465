// Creates through the real handler, and the same create's DynamoDB floor: the
// fewest calls the design needs, issued directly with the SDK from pre-built
// inputs (no validation, no marshalling, no domain logic).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import type { HttpEvent, HttpHandler } from '../../functions/platform/http/types.js';
import { textKey, wireSize, type StatusReason } from '../../functions/domain/status-reason.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions, type StoreEvent } from '../../functions/store/dynamo-store.js';
import { dynamoClientFromEnv, dynamoHttpHandler } from '../../functions/entry/store-from-env.js';
import type { DynamoClient } from '../../functions/aws/dynamodb.js';
import { newToken } from '../../functions/store/lease.js';
import { encodeEntry } from '../../functions/store/history.js';
import { createdChange, type ChangeEntry } from '../../functions/domain/changes.js';
import { bucketKey, bucketOf, liveKey, META_SK, partitionKey, textDigest } from '../../functions/store/layout.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { instrument, itemBytes, measure, perOp, type MeterSnapshot, type Meter, type PerOp, type Sample } from './meter.js';
import { summarize, type Summary } from './stats.js';

const BATCH_SIZE = 25;
const LEASE_MS = 20_000;
/** Creates of up to this many reasons put them in the commit transaction (the store's default `transactionItems`). */
export const TRANSACTION_ITEMS = 4;
/** The threshold comparison's other side: every create it runs (up to 24 reasons) inside the commit. */
export const INLINE_ALL = 24;

/** The functions' client configured like the deployed one (functions/entry/store-from-env.ts), pointed at DynamoDB Local. */
export function benchClient(endpoint: string): DynamoClient {
  process.env.AWS_ACCESS_KEY_ID ??= localCredentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= localCredentials.secretAccessKey;
  return dynamoClientFromEnv({ DYNAMODB_ENDPOINT: endpoint, AWS_REGION: 'us-east-1' });
}

/** The AWS SDK's client, on the same HTTP settings, pointed at DynamoDB Local: the floor's calls, the meter's sizing reads, tables. */
export function benchSdkClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1, requestHandler: dynamoHttpHandler() });
}

export interface Subject {
  /** The store's client (the functions'). */
  client: DynamoClient;
  /** The SDK's client for the floor's calls, counted by the same meter. */
  floor: DynamoDBClient;
  tableName: string;
  meter: Meter;
  /** Counts the store's events. */
  events: Record<StoreEvent['type'], number>;
  handler: HttpHandler;
}

/**
 * The handler on a store over `client` (instrumented on first use; `sizer`, an
 * uninstrumented client on the same endpoint, lets the meter size transaction items).
 */
export function subject(client: DynamoClient, floor: DynamoDBClient, tableName: string, storeOptions: Partial<DynamoStoreOptions> = {}, sizer?: DynamoDBClient): Subject {
  const meter = instrument(client, sizer);
  meter.attach(floor);
  const events: Subject['events'] = {
    'lease-wait': 0,
    'lease-taken-over': 0,
    'lease-queue-full': 0,
    retry: 0,
    'lost-answer-recovered': 0,
    'write-grouped': 0,
    'idempotent-replay': 0,
    'outcome-unknown': 0,
  };
  const store = new DynamoStatusReasonStore({ client, tableName, leaseMs: LEASE_MS, ...storeOptions, onEvent: (e) => void events[e.type]++ });
  const handler = createLivePersonHandler({ store: () => store });
  return { client, floor, tableName, meter, events, handler };
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
  /** Beside the lease: #META and the text buckets of the reasons, in one snapshot. */
  read: TransactGetItemsCommand;
  batches: BatchWriteItemCommand[];
  commit: TransactWriteItemsCommand;
}

/** The design's minimum number of DynamoDB requests for a create of `size` reasons: the lease and the read beside it, (batches,) the commit. */
export const minimumRequests = (size: number, inlineMax = TRANSACTION_ITEMS) => (size <= inlineMax ? 3 : 3 + Math.ceil(size / BATCH_SIZE));

const n = (value: number): AttributeValue => ({ N: String(value) });
const s_ = (value: string): AttributeValue => ({ S: value });

/** `inlineMax`: the store's `transactionItems` (0: the reasons always go by BatchWriteItem before the commit). */
/** `history: false`: the same create without its change-history entry (the head put and #META's bounds of the history), to weigh what the history adds. */
export function floorPlan(tableName: string, accountId: string, size: number, inlineMax = TRANSACTION_ITEMS, { history: withHistory = true } = {}): FloorPlan {
  const pk = s_(partitionKey(accountId));
  const metaKey = { pk, sk: s_(META_SK) };
  const token = newToken();
  const now = Date.now();
  const acquire = new UpdateItemCommand({
    TableName: tableName,
    Key: metaKey,
    // As the store takes a lease nobody holds (with nobody in line): its ids from `nextId` on.
    UpdateExpression:
      'SET lockToken = :token, lockExpires = :expires, lockFrom = if_not_exists(nextId, :one), nextId = if_not_exists(nextId, :one), ' +
      'lockN = :n, lockKey = :key, lockSince = :now, line = if_not_exists(line, :empty)',
    ConditionExpression: 'attribute_not_exists(lockToken) AND (attribute_not_exists(line) OR size(line) = :zero)',
    ExpressionAttributeValues: {
      ':token': s_(token),
      ':expires': n(now + LEASE_MS),
      ':one': n(1),
      ':n': n(size),
      ':key': s_(''),
      ':now': n(now),
      ':empty': { M: {} },
      ':zero': n(0),
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
  // A fresh account: ids 1..size, and (no order sent) orders 1..size, revision 1 — what the store writes.
  const reasons: StatusReason[] = Array.from({ length: size }, (_, i) => ({ id: i + 1, text: reasonText(i + 1), state: 'Away', enabled: true, deleted: false, order: i + 1 }));
  const buckets = new Map<number, Record<string, number>>();
  let liveBytes = 0;
  const items = reasons.map((reason) => {
    const bytes = wireSize(reason);
    liveBytes += bytes;
    const digest = textDigest(textKey(reason.text));
    const bucket = buckets.get(bucketOf(digest)) ?? {};
    buckets.set(bucketOf(digest), { ...bucket, [digest]: reason.id });
    return {
      pk,
      sk: s_(liveKey(reason.id)),
      rev: n(1),
      size: n(bytes),
      id: n(reason.id),
      text: s_(reason.text),
      state: s_(reason.state),
      enabled: { BOOL: true },
      deleted: { BOOL: false },
      order: n(reason.order),
      modifiedAt: n(now),
      modifiedRegion: s_('us-east-1'),
    } as Record<string, AttributeValue>;
  });
  const inline = size <= inlineMax;
  const batches: BatchWriteItemCommand[] = [];
  if (!inline) {
    const requests: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
    for (let i = 0; i < requests.length; i += BATCH_SIZE) batches.push(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests.slice(i, i + BATCH_SIZE) } }));
  }
  const read = new TransactGetItemsCommand({
    TransactItems: [META_SK, ...[...buckets.keys()].map(bucketKey)].map((sk) => ({ Get: { TableName: tableName, Key: { pk, sk: s_(sk) } } })),
  });
  const bucketUpdates = [...buckets].map(([bucket, holders]) => {
    const digests = Object.entries(holders);
    return {
      Update: {
        TableName: tableName,
        Key: { pk, sk: s_(bucketKey(bucket)) },
        UpdateExpression: `SET ${digests.map((_, i) => `#s${i} = :s${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(digests.map(([digest], i) => [`#s${i}`, digest])),
        ExpressionAttributeValues: Object.fromEntries(digests.map(([, id], i) => [`:s${i}`, n(id)])),
      },
    };
  });
  // The write's history entry, as the store encodes it: small ones ride whole in their head (history.ts).
  const entry: ChangeEntry = { revision: 1, at: new Date(now).toISOString(), via: 'liveperson', actor: {}, changes: reasons.map(createdChange) };
  const history = encodeEntry(partitionKey(accountId), entry, token, now);
  if (history.parts.length) throw new Error('floor: a create entry in parts is not modelled');
  const commit = new TransactWriteItemsCommand({
    ClientRequestToken: token,
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: metaKey,
          UpdateExpression:
            'SET revision = :revision, layout = :layout, committedHigh = :high, dirty = :dirty, live = :live, liveBytes = :liveBytes, historyBytes = :zero, ' +
            'deleteSeq = :one, historyFloor = :one, purgedTo = :one, deletedKept = :zero, lowestOrder = :one, holdMs = :zero, nextId = :high, wrote = :wrote' +
            (withHistory ? ', changesOldest = :revision, changesOldestAt = :now, changesBytes = :changesBytes' : '') +
            ' REMOVE lockToken, lockExpires, lockFrom, lockN, lockKey, lockSince, line.#me',
          ExpressionAttributeNames: { '#me': token },
          ConditionExpression: 'lockToken = :token',
          ExpressionAttributeValues: {
            ':token': s_(token),
            ':revision': n(1),
            ':high': n(1 + size),
            ':dirty': { L: [] },
            ':live': n(size),
            ':liveBytes': n(liveBytes),
            ':zero': n(0),
            ':one': n(1),
            ':layout': n(2),
            ':wrote': { L: reasons.map((reason) => n(reason.id)) },
            ...(withHistory && { ':now': n(now), ':changesBytes': n(history.bytes) }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...bucketUpdates,
      ...(inline ? items.map((Item) => ({ Put: { TableName: tableName, Item } })) : []),
      ...(withHistory ? [
        {
          Put: {
            TableName: tableName,
            Item: {
              pk,
              sk: s_(history.head.sk as string),
              rev: n(1),
              at: n(now),
              token: s_(token),
              bytes: n(history.bytes),
              parts: n(0),
              data: { B: history.head.data as Uint8Array },
            },
          },
        },
      ] : []),
    ],
  });
  return { acquire, read, batches, commit };
}

export async function runFloor(client: DynamoDBClient, plan: FloorPlan): Promise<void> {
  await Promise.all([client.send(plan.acquire), client.send(plan.read)]);
  const outs = await Promise.all(plan.batches.map((batch) => client.send(batch)));
  for (const out of outs) {
    if (Object.values(out.UnprocessedItems ?? {}).some((items) => items.length)) throw new Error('floor: unprocessed items (not expected on DynamoDB Local)');
  }
  await client.send(plan.commit);
}

/** The floor's units by the published rule, worked out here on their own (not by the meter), to check the meter's figures. */
export interface FloorRule {
  wcu: number;
  /** #META after the lease, and after the commit (bytes). */
  metaBytes: { leased: number; committed: number };
  /** The largest reason item written (bytes). */
  reasonItemBytes: number;
}

/**
 * Runs one floor create step by step, untimed, reading `#META` back after the
 * lease and after the commit, and adds up its write units by the rule: the lease
 * is a plain UpdateItem of a new item (1 unit per KB of the item after); batch
 * puts 1 unit per KB; the commit 2 per KB of `#META`'s larger version, of each
 * text bucket it writes and of each reason it puts.
 */
export async function floorByRule(client: DynamoDBClient, plan: FloorPlan): Promise<FloorRule> {
  const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
  const meta = async () => {
    const out = await client.send(new GetItemCommand({ TableName: plan.acquire.input.TableName, Key: plan.acquire.input.Key, ConsistentRead: true }));
    return itemBytes(out.Item ?? {});
  };
  await client.send(plan.acquire);
  const leased = await meta();
  for (const batch of plan.batches) await client.send(batch);
  await client.send(plan.commit);
  const committed = await meta();
  const batchItems = plan.batches.flatMap((b) => Object.values(b.input.RequestItems!).flat().map((r) => r.PutRequest!.Item!));
  const inlineItems = plan.commit.input.TransactItems!.flatMap((a) => (a.Put ? [a.Put.Item!] : []));
  // A fresh account's buckets are new: each is billed by its size after the commit (its key plus the digests set).
  const bucketBytes = plan.commit.input.TransactItems!.flatMap((a) =>
    a.Update && a.Update.Key!.sk!.S !== META_SK
      ? [itemBytes({ ...a.Update.Key!, ...Object.fromEntries(Object.entries(a.Update.ExpressionAttributeNames!).map(([k, digest]) => [digest, a.Update!.ExpressionAttributeValues![`:${k.slice(1)}`]!])) })]
      : [],
  );
  const wcu =
    kb(leased) +
    batchItems.reduce((sum, item) => sum + kb(itemBytes(item)), 0) +
    2 * kb(Math.max(leased, committed)) +
    bucketBytes.reduce((sum, bytes) => sum + 2 * kb(bytes), 0) +
    inlineItems.reduce((sum, item) => sum + 2 * kb(itemBytes(item)), 0);
  return { wcu, metaBytes: { leased, committed }, reasonItemBytes: Math.max(...[...batchItems, ...inlineItems].map(itemBytes)) };
}

export async function runHandler(handler: HttpHandler, event: HttpEvent, context = lambdaContext()): Promise<void> {
  const result = await handler(event, context);
  if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
}

export interface SideResult extends PerOp {
  latency: Summary;
  /** p50 of the time with no DynamoDB call on the wire (Node-side work). */
  outsideP50: number;
  /** p50 of the time with a DynamoDB call on the wire. */
  wireP50: number;
  wcuPerReason: number;
}

function side(samples: Sample[], size: number): SideResult {
  const per = perOp(samples);
  return {
    latency: summarize(samples.map((s) => s.ms)),
    outsideP50: summarize(samples.map((s) => s.outsideMs)).p50,
    wireP50: summarize(samples.map((s) => s.ms - s.outsideMs)).p50,
    ...per,
    wcuPerReason: per.wcu / size,
  };
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
  /** The floor's write units worked out by the rule on their own (floorByRule), to check the meter. */
  floorRule: FloorRule;
}

export interface CreateBenchOptions {
  sizes: number[];
  runs: number;
  warmup: number;
  log?: (line: string) => void;
}

/**
 * `warmup + runs` pairs of operations, each pair timed one after the other
 * (alternating which goes first); the warm-up pairs are dropped.
 */
export async function interleave(meter: Meter, runs: number, warmup: number, nextPair: () => [() => Promise<void>, () => Promise<void>]): Promise<[Sample[], Sample[]]> {
  const first: Sample[] = [];
  const second: Sample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const [a, b] = nextPair();
    let x: Sample;
    let y: Sample;
    if (i % 2 === 0) {
      x = await measure(meter, a);
      y = await measure(meter, b);
    } else {
      y = await measure(meter, b);
      x = await measure(meter, a);
    }
    if (i >= warmup) {
      first.push(x);
      second.push(y);
    }
  }
  return [first, second];
}

/** Handler and floor creates, interleaved (alternating which goes first) on fresh accounts. */
export async function benchCreates(s: Subject, { sizes, runs, warmup, log = () => {} }: CreateBenchOptions): Promise<CreateResult[]> {
  const results: CreateResult[] = [];
  const nextAccount = accounts('b');
  for (const size of sizes) {
    const [handlerSamples, floorSamples] = await interleave(s.meter, runs, warmup, () => {
      const event = createEvent(nextAccount(), size);
      const context = lambdaContext();
      const plan = floorPlan(s.tableName, nextAccount(), size);
      return [() => runHandler(s.handler, event, context), () => runFloor(s.floor, plan)];
    });
    const handler = side(handlerSamples, size);
    const floor = side(floorSamples, size);
    const paired = summarize(handlerSamples.map((h, i) => h.ms / floorSamples[i]!.ms)).p50;
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
      floorRule: await floorByRule(s.floor, floorPlan(s.tableName, nextAccount(), size)),
    };
    log(`  ${size} reasons: handler p50 ${handler.latency.p50.toFixed(2)} ms, floor p50 ${floor.latency.p50.toFixed(2)} ms, ratio ${result.ratioP50.toFixed(2)}; WCU handler ${handler.wcu.toFixed(2)}, floor ${floor.wcu.toFixed(2)}, floor by rule ${result.floorRule.wcu}`);
    results.push(result);
  }
  return results;
}

/** The store's `transactionItems` at its default and at 0 (the batch path for every create), through the handler. */
export interface ThresholdResult {
  size: number;
  runs: number;
  warmup: number;
  /** `transactionItems` 24: reasons inside the commit transaction (up to 24). */
  inline: SideResult;
  /** `transactionItems` 0: reasons by BatchWriteItem, then the commit. */
  batch: SideResult;
  /** batch p50 / inline p50. */
  ratioP50: number;
}

/** Creates through two stores that differ only in `transactionItems` (default vs 0), interleaved on fresh accounts. */
export async function benchThreshold(inline: Subject, batch: Subject, { sizes, runs, warmup, log = () => {} }: CreateBenchOptions): Promise<ThresholdResult[]> {
  const results: ThresholdResult[] = [];
  const nextAccount = accounts('t');
  for (const size of sizes) {
    const [inlineSamples, batchSamples] = await interleave(inline.meter, runs, warmup, () => {
      const a = createEvent(nextAccount(), size);
      const b = createEvent(nextAccount(), size);
      return [() => runHandler(inline.handler, a), () => runHandler(batch.handler, b)];
    });
    const result: ThresholdResult = { size, runs, warmup, inline: side(inlineSamples, size), batch: side(batchSamples, size), ratioP50: 0 };
    result.ratioP50 = result.batch.latency.p50 / result.inline.latency.p50;
    log(`  ${size} reasons: transactionItems ${INLINE_ALL} p50 ${result.inline.latency.p50.toFixed(2)} ms, ${result.inline.wcu.toFixed(2)} WCU; 0: ${result.batch.latency.p50.toFixed(2)} ms, ${result.batch.wcu.toFixed(2)} WCU`);
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
  /** Answers other than 200 (refusals, each sent again after its Retry-After until it went through). */
  failed: number;
  /** Answers by HTTP status (429: the line of waiters was full; 503: the wait ran out). */
  statuses: Record<string, number>;
  seconds: number;
  throughput: number;
  latency: Summary;
  /** Refused lease attempts (conditional UpdateItems that found the lease taken). */
  retries: number;
  retriesPerCreate: number;
  leaseTakenOver: number;
  requestsPerCreate: number;
  conditionFailuresPerCreate: number;
  /**
   * Write units: reported for plain writes; by the rule for the commits and the
   * refused conditional writes (billed by the size of `#META` as they found it),
   * with `#META`'s size taken from the latest copy an answer carried ("cache"
   * sizing: reads of it would lengthen every lease hold).
   */
  wcuPerCreate: number;
  rcuPerCreate: number;
  commands: Record<string, number>;
  /** The time between one commit's answer and the next's, ms: p50 and p90 (a turn of the line). */
  turnP50: number;
  turnP90: number;
}

/**
 * The time from each commit's answer to the next one's: a turn of the line,
 * the next writer's learning that the lease is its own included (a lease is
 * handed on in the commit, so the line has no acquire call to time it by).
 */
function turnsBetweenCommits(calls: MeterSnapshot['calls']): number[] {
  const commits = calls.filter((c) => c.ok && c.name === 'TransactWriteItemsCommand').map((c) => c.end).sort((a, b) => a - b);
  return commits.slice(1).map((end, i) => end - commits[i]!);
}

/** N writers creating on one account at once, through the handler. */
export async function benchConcurrency(s: Subject, { writers, createsPerWriter, reasonsPerCreate }: ConcurrencyOptions): Promise<ConcurrencyResult> {
  const account = accounts('c')();
  const body = (w: number, k: number) => {
    const items = Array.from({ length: reasonsPerCreate }, (_, i) => ({ text: `Writer ${w} create ${k} item ${i}`, state: 'Online' }));
    return reasonsPerCreate === 1 ? items[0] : items;
  };
  const before = { ...s.events };
  const sizing = s.meter.sizing;
  s.meter.sizing = 'cache';
  s.meter.reset();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < createsPerWriter; k++) {
        // As a client would: a refusal that says "nothing was written, try again" (429, 503) is sent
        // again after its Retry-After; the create's latency includes the waits.
        const t = performance.now();
        for (;;) {
          const result = await s.handler(httpEvent({ method: 'POST', path: BASE(account), body: body(w, k) }), lambdaContext());
          const status = String(result.statusCode ?? 200);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== '429' && status !== '503') break;
          await new Promise((resolve) => setTimeout(resolve, 1000 * Number(result.headers?.['retry-after'] ?? 1)));
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const snap = s.meter.snapshot();
  s.meter.sizing = sizing;
  const creates = writers * createsPerWriter;
  const ok = statuses[200] ?? 0;
  // Answers other than 200, the refusals that were sent again included.
  const failed = Object.entries(statuses).reduce((n, [status, count]) => (status === '200' ? n : n + count), 0);
  const retries = snap.calls.filter((c) => !c.ok && c.update?.startsWith('SET lockToken')).length;
  const turns = summarize(turnsBetweenCommits(snap.calls));
  return {
    writers,
    createsPerWriter,
    reasonsPerCreate,
    creates,
    failed,
    statuses,
    seconds,
    throughput: ok / seconds,
    latency: summarize(latencies),
    retries,
    retriesPerCreate: retries / creates,
    leaseTakenOver: s.events['lease-taken-over'] - before['lease-taken-over'],
    requestsPerCreate: snap.requests / creates,
    conditionFailuresPerCreate: snap.conditionFailures / creates,
    wcuPerCreate: snap.wcu / creates,
    rcuPerCreate: snap.rcu / creates,
    commands: Object.fromEntries(Object.entries(snap.commands).map(([k, v]) => [k, v / creates])),
    turnP50: turns.p50,
    turnP90: turns.p90,
  };
}
