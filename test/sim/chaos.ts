// `npm run chaos -- [--seed N | --seeds A..B] [--ops 320] [--workers 8] [--accounts 2]
//   [--lost 0.03] [--throttle 0.04] [--server-error 0.02] [--delay 0.1] [--unprocessed 0.03] [--crash 0.001]
//   [--client-lost 0.03] [--keyed 0.8] [--lambda-ms 3000] [--lease-ms 6000] [--max-items 60]
//   [--documented 1] [--txn-window-ms 150] [--connect 0.25] [--invoke 0.25]
//   [--trace DIR] [--json]`
// Runs the fault-injection simulation (simulate.ts) on its own DynamoDB Local
// (or DYNAMODB_ENDPOINT) and prints, per seed and in all: operations (by API),
// faults by kind, what the documented model did (transaction conflicts, reads
// that saw a transaction half applied), anomalies and the share of 200 / 4xx /
// 503 / 500 answers. `--documented 0` runs on DynamoDB Local as it behaves
// (no conflicts, transactions seen whole). Exits 1 on an
// anomaly, after printing the command that replays it. With --trace, a seed with
// an anomaly leaves DIR/seed-N.jsonl: every DynamoDB call (its fault and
// outcome), store event and answer, in order of time (timing is not seeded, so
// a replay may not meet the same race; the trace is what happened).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localCredentials, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import type { SimulationReport } from './simulate.js';

process.env.AWS_ACCESS_KEY_ID ??= localCredentials.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY ??= localCredentials.secretAccessKey;
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Imported once the environment above is set: the function's logger reads its level when its module loads.
const { DEFAULT_RATES, DEFAULT_SHARES, DEFAULT_TXN_WINDOW_MS, simulate } = await import('./simulate.js');

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    ops: { type: 'string', default: '320' },
    workers: { type: 'string', default: '8' },
    accounts: { type: 'string', default: '2' },
    lost: { type: 'string', default: String(DEFAULT_RATES.lost) },
    throttle: { type: 'string', default: String(DEFAULT_RATES.throttle) },
    'server-error': { type: 'string', default: String(DEFAULT_RATES.serverError) },
    delay: { type: 'string', default: String(DEFAULT_RATES.delay) },
    unprocessed: { type: 'string', default: String(DEFAULT_RATES.unprocessed) },
    crash: { type: 'string', default: String(DEFAULT_RATES.crash) },
    'client-lost': { type: 'string', default: '0.03' },
    keyed: { type: 'string', default: '0.8' },
    'lambda-ms': { type: 'string', default: '3000' },
    'lease-ms': { type: 'string', default: '6000' },
    'max-items': { type: 'string', default: '60' },
    documented: { type: 'string', default: '1' },
    'txn-window-ms': { type: 'string', default: String(DEFAULT_TXN_WINDOW_MS) },
    connect: { type: 'string', default: String(DEFAULT_SHARES.connect) },
    invoke: { type: 'string', default: String(DEFAULT_SHARES.invoke) },
    json: { type: 'boolean', default: false },
    trace: { type: 'string' },
  },
  strict: true,
});

function seedsOf(): number[] {
  if (values.seeds) {
    const [a, b] = values.seeds.split('..').map(Number);
    return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
  }
  return [Number(values.seed ?? 1)];
}

const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
function line(r: SimulationReport): string {
  const a = r.answers;
  return (
    `seed ${r.seed}: ${r.operations} operations, ${r.attempts} answers (200 ${pct(a['200'], r.attempts)}, 4xx ${pct(a['4xx'] + a['409'] + a['429'], r.attempts)}, ` +
    `503 ${pct(a['503'], r.attempts)}, 500 ${pct(a['500'], r.attempts)}, of which ${r.crashAnswers} crashes), ${r.dynamoCalls} DynamoDB calls, faults ${JSON.stringify(r.faults)}, ` +
    `${r.unknownWrites} unknown outcomes, ${r.history.entries} history entries, ${r.history.events ?? 'no'} change events, ${r.anomalies.length} anomalies, ${(r.durationMs / 1000).toFixed(1)} s\n` +
    `  by API ${JSON.stringify(r.apis)}; by kind (sent/applied) ${Object.entries(r.kinds).map(([k, v]) => `${k} ${v!.sent}/${v!.applied}`).join(', ')}; ${r.listsFromCopy} lists answered from a container's copy; ${r.carried.creates} creates carried by ${r.carried.commits} group commits; documented model ${r.documented ? JSON.stringify(r.documented) : 'off'}`
  );
}

const engine = process.env.DYNAMODB_ENDPOINT ? undefined : await startDynamoDbLocal();
// Ctrl-C or a kill: exit (which stops the engine too) instead of leaving it running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const endpoint = process.env.DYNAMODB_ENDPOINT ?? engine!.endpoint;
const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
const tableName = `chaos-${randomUUID().slice(0, 8)}`;
await ensureTable(admin, tableName);
admin.destroy();

const reports: SimulationReport[] = [];
const traceLines: Record<string, unknown>[] | undefined = values.trace ? [] : undefined;
try {
  for (const seed of seedsOf()) {
    const report = await simulate({
      endpoint,
      tableName,
      seed,
      ops: Number(values.ops),
      workers: Number(values.workers),
      accounts: Number(values.accounts),
      rates: {
        lost: Number(values.lost),
        throttle: Number(values.throttle),
        serverError: Number(values['server-error']),
        delay: Number(values.delay),
        unprocessed: Number(values.unprocessed),
        crash: Number(values.crash),
      },
      delayMs: [20, 1_200],
      clientLost: Number(values['client-lost']),
      keyed: Number(values.keyed),
      lambdaMs: Number(values['lambda-ms']),
      leaseMs: Number(values['lease-ms']),
      maxItems: Number(values['max-items']),
      documented: values.documented !== '0',
      txnWindowMs: Number(values['txn-window-ms']),
      connectShare: Number(values.connect),
      invokeShare: Number(values.invoke),
      ...(traceLines && { trace: (l: Record<string, unknown>) => traceLines.push(l) }),
    });
    if (traceLines) {
      // Kept only for a seed with anomalies: every call, store event and answer, in order of time.
      if (report.anomalies.length) {
        mkdirSync(values.trace!, { recursive: true });
        const file = path.join(values.trace!, `seed-${seed}.jsonl`);
        writeFileSync(file, traceLines.sort((a, b) => Number(a.t) - Number(b.t)).map((l) => JSON.stringify(l)).join('\n') + '\n');
        console.log(`  trace: ${file}`);
      }
      traceLines.length = 0;
    }
    reports.push(report);
    console.log(line(report));
    for (const anomaly of report.anomalies) console.log(`  anomaly: ${anomaly}`);
    if (report.anomalies.length) console.log(`  replay: ${report.replay}`);
  }
} finally {
  await engine?.stop();
}

const total = reports.reduce(
  (t, r) => {
    t.operations += r.operations;
    t.attempts += r.attempts;
    t.anomalies += r.anomalies.length;
    t.unknown += r.unknownWrites;
    t.crashAnswers += r.crashAnswers;
    t.carried += r.carried.creates;
    for (const [k, v] of Object.entries(r.answers)) t.answers[k] = (t.answers[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.faults)) t.faults[k] = (t.faults[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.documented ?? {})) t.documented[k] = (t.documented[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.apis)) t.apis[k] = (t.apis[k] ?? 0) + v;
    return t;
  },
  {
    operations: 0,
    attempts: 0,
    anomalies: 0,
    unknown: 0,
    crashAnswers: 0,
    carried: 0,
    answers: {} as Record<string, number>,
    faults: {} as Record<string, number>,
    documented: {} as Record<string, number>,
    apis: {} as Record<string, number>,
  },
);
if (reports.length > 1) {
  const a = total.answers;
  console.log(
    `\nall ${reports.length} seeds: ${total.operations} operations, ${total.attempts} answers: 200 ${pct(a['200']!, total.attempts)}, ` +
      `4xx ${pct(a['4xx']! + a['409']! + a['429']!, total.attempts)} (409 ${a['409']}, 429 ${a['429']}), 503 ${pct(a['503']!, total.attempts)}, ` +
      `500 ${pct(a['500']!, total.attempts)} (${a['500']}, of which ${total.crashAnswers} crashes); faults ${JSON.stringify(total.faults)}; by API ${JSON.stringify(total.apis)}; ` +
      `documented model ${values.documented !== '0' ? JSON.stringify(total.documented) : 'off'}; ${total.carried} creates carried by group commits; ${total.unknown} unknown outcomes; ${total.anomalies} anomalies`,
  );
}
if (values.json) console.log(JSON.stringify({ total, reports }, null, 2));
process.exit(total.anomalies ? 1 : 0);
