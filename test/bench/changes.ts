// What the change history and its events cost, on DynamoDB Local:
// 1. `GET base/changes?since=<current>` through the LivePerson handler against
//    the floor it is built on, one GetItem of the account's #META on the same
//    client (p50 ms, read units);
// 2. creates of 1, 10 and 100 reasons (p50 ms, write units), and what the
//    history's head adds to them (2 write units per KB of the head, which rides
//    in the create's transaction; computed from its stored size); then what the
//    history adds, measured: the bench's floor create (the store's requests and
//    items, nothing else) with its entry against the same create without it,
//    interleaved on fresh accounts;
// 3. change events' publish lag, from the entry's `at` (stamped just before the
//    commit is sent) to the local sink of `npm start`'s poller, under 20
//    writers each creating on its own account.
// Run alone: `npx tsx test/bench/changes.ts [--runs 100] [--writers 20] [--writes 25] [--out file.json]`.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { encodeEntry } from '../../functions/store/history.js';
import { partitionKey, META_SK } from '../../functions/store/layout.js';
import { LocalEventSink, startChangeStream } from '../../infra/local/change-stream.js';
import { localCredentials, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { describeMachine, machine } from './machine.js';
import { accounts, floorPlan, interleave, runFloor, TRANSACTION_ITEMS } from './creates.js';
import { instrument, itemBytes, measure, type Sample } from './meter.js';
import { summarize } from './stats.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' }, writers: { type: 'string', default: '20' }, writes: { type: 'string', default: '25' }, out: { type: 'string' } } });
const runs = Number(values.runs);
const loadAtStart = os.loadavg()[0]!;
const engine = process.env.DYNAMODB_ENDPOINT ? undefined : await startDynamoDbLocal();
const endpoint = process.env.DYNAMODB_ENDPOINT ?? engine!.endpoint;
const client = new DynamoClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
/** The SDK's client: the table, the test's own reads, the floor's calls (counted by the same meter). */
const sdk = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
const tableName = `bench-changes-${randomUUID().slice(0, 8)}`;
await ensureTable(sdk, tableName);
const meter = instrument(client);
meter.attach(sdk);
const store = new DynamoStatusReasonStore({ client, tableName, leaseMs: 20_000 });
const handler = createLivePersonHandler({ store: (scope) => store.scoped(scope) });
const doc = DynamoDBDocumentClient.from(sdk);
const send = async (options: Parameters<typeof httpEvent>[0]) => {
  const result = await handler(httpEvent(options), lambdaContext());
  if ((result.statusCode ?? 200) !== 200) throw new Error(`${options.method} ${options.path} answered ${result.statusCode}: ${result.body}`);
  return result;
};
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const p50 = (samples: Sample[]) => round(summarize(samples.map((s) => s.ms)).p50);
const meanOf = (samples: Sample[], f: (s: Sample) => number) => round(samples.reduce((n, s) => n + f(s), 0) / samples.length, 3);
const result: Record<string, unknown> = {};

try {
  // 1. changes?since=<current> against one GetItem of #META.
  const account = `poll-${randomUUID().slice(0, 8)}`;
  const created = await send({ method: 'POST', path: BASE(account), body: Array.from({ length: 10 }, (_, i) => ({ text: `Reason ${i}`, state: 'Away' })) });
  const current = created.headers!['ac-revision'];
  const changes: Sample[] = [];
  const getItem: Sample[] = [];
  for (let i = 0; i < runs + 10; i++) {
    // Alternating, so that both see the same machine.
    const a = await measure(meter, () => send({ method: 'GET', path: `${BASE(account)}/changes`, query: { since: String(current) } }));
    const b = await measure(meter, () => doc.send(new GetCommand({ TableName: tableName, Key: { pk: partitionKey(account), sk: META_SK } })));
    if (i >= 10) {
      changes.push(a);
      getItem.push(b);
    }
  }
  result.poll = {
    changesAtCurrent: { p50Ms: p50(changes), rcu: meanOf(changes, (s) => s.meter.rcu), requests: meanOf(changes, (s) => s.meter.requests) },
    getItemFloor: { p50Ms: p50(getItem), rcu: meanOf(getItem, (s) => s.meter.rcu) },
    ratio: round(p50(changes) / p50(getItem)),
  };
  console.log('poll', JSON.stringify(result.poll));

  // 2. Creates of 1, 10, 100 reasons: latency, units, and the history head's share.
  const creates: Record<string, unknown> = {};
  for (const size of [1, 10, 100]) {
    const samples: Sample[] = [];
    const n = size === 100 ? Math.max(10, Math.round(runs / 5)) : Math.max(20, Math.round(runs / 2));
    const createAccount = accounts(`create-${size}`);
    for (let i = 0; i < n + 3; i++) {
      const target = createAccount();
      const body = Array.from({ length: size }, (_, k) => ({ text: `Lunch break ${i}.${k}`, state: 'Away' }));
      const sample = await measure(meter, () => send({ method: 'POST', path: BASE(target), body }));
      if (i >= 3) samples.push(sample);
    }
    const reasons = JSON.parse((samples[0]!.value as { body: string }).body);
    const entry = { revision: 1, at: new Date().toISOString(), via: 'liveperson' as const, actor: { sub: 'bench', client_id: 'bench' }, changes: (Array.isArray(reasons) ? reasons : [reasons]).map((r: { id: number }) => ({ id: r.id, op: 'created' as const, reason: r as never })) };
    const head = encodeEntry(partitionKey('bench-account'), entry, randomUUID(), Date.now()).head;
    const headBytes = itemBytes(head);
    // The floor with and without the entry, pairs alternating which goes first.
    const floorAccount = accounts(`floor-${size}`);
    const [withEntry, withoutEntry] = await interleave(meter, n, 3, () => {
      const a = floorPlan(tableName, floorAccount(), size);
      const b = floorPlan(tableName, floorAccount(), size, TRANSACTION_ITEMS, { history: false });
      return [() => runFloor(sdk, a), () => runFloor(sdk, b)];
    });
    const floorSide = (s: Sample[]) => ({ p50Ms: p50(s), p99Ms: round(summarize(s.map((x) => x.ms)).p99), wcu: meanOf(s, (x) => x.meter.wcu), requests: meanOf(s, (x) => x.meter.requests) });
    const floor = { withHistory: floorSide(withEntry), withoutHistory: floorSide(withoutEntry), pairedP50Ratio: round(summarize(withEntry.map((x, i) => x.ms / withoutEntry[i]!.ms)).p50, 3) };
    creates[size] = { p50Ms: p50(samples), wcu: meanOf(samples, (s) => s.meter.wcu), rcu: meanOf(samples, (s) => s.meter.rcu), historyHeadBytes: headBytes, historyWcu: 2 * Math.ceil(headBytes / 1024), floor };
    console.log(`create ${size}`, JSON.stringify(creates[size]));
  }
  result.creates = creates;

  // 3. Publish lag under 20 writers.
  const sink = new LocalEventSink();
  const stream = await startChangeStream({ endpoint, credentials: localCredentials, tableName, bus: sink, from: 'LATEST' });
  const writers = Number(values.writers);
  const writes = Number(values.writes);
  const writerAccounts = Array.from({ length: writers }, accounts('lag'));
  const started = Date.now();
  await Promise.all(writerAccounts.map(async (a) => {
    for (let i = 0; i < writes; i++) await send({ method: 'POST', path: BASE(a), body: { text: `Lag ${i}`, state: 'Away' } });
  }));
  const wrote = Date.now() - started;
  await stream.drain();
  await stream.stop();
  const mine = sink.events.filter((e) => writerAccounts.includes(e.accountId));
  const lags = mine.map((e) => e.publishedAt - Date.parse(String(e.detail.at)));
  const lag = summarize(lags);
  result.events = { writers, writes: writers * writes, events: mine.length, writesPerSecond: round((writers * writes) / (wrote / 1000), 1), lagMs: { p50: lag.p50, p99: lag.p99, max: lag.max } };
  console.log('events', JSON.stringify(result.events));
} finally {
  client.destroy();
  sdk.destroy();
  await engine?.stop();
}
result.machine = machine(loadAtStart);
result.date = new Date().toISOString();
console.log(describeMachine(result.machine as ReturnType<typeof machine>));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
