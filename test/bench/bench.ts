// `npm run bench`: where a create's time and cost go.
// Starts DynamoDB Local itself, runs the suite, prints the tables and writes
// bench/results.json and bench/chart.svg.
//
// Counts come from the environment or the command line (the flag wins):
//   BENCH_RUNS / --runs             runs per size, after the warm-up (200)
//   BENCH_WARMUP / --warmup         warm-up runs per size (30)
//   BENCH_SIZES / --sizes           reasons per create, comma-separated (1,10,100)
//   BENCH_WRITERS / --writers       concurrent writers on one account (20)
//   BENCH_CREATES_PER_WRITER / --creates-per-writer   (25; total kept under the 1,000-reason cap)
//   BENCH_IMPORT_RUNS / --import-runs   fresh processes per bundle for import time (15)
//   BENCH_FIRST_RUNS / --first-runs     fresh processes for the first-create figure (5)
//   BENCH_MEMORY_RUNS / --memory-runs   fresh processes per memory figure (3)
//   BENCH_THRESHOLD_SIZES / --threshold-sizes   sizes for transactionItems 24 (every create up to 24 reasons
//                                               inside the commit) vs 0 (every create by batch) (1,10)
//   BENCH_HISTORY_RUNS / --history-runs         rounds of the account-history bench (200)
//   BENCH_HISTORY_WARMUP / --history-warmup     its warm-up rounds (20)
//   BENCH_HISTORY_DELETED / --history-deleted   deleted reasons of its accounts with history (5000,20000)
//   BENCH_HISTORY_LIVE / --history-live         their live reasons, and the lists' baseline's (100)
//   BENCH_HISTORY_BIG / --history-big           the large account's live reasons (950)
//   BENCH_HISTORY_TYPICAL / --history-typical   the typical account's (20)
//   BENCH_HISTORY_LARGEST / --history-largest   the largest account's (999: the cap is 1,000)
//   BENCH_HISTORY_POOL / --history-pool         how many of the large accounts take turns (4)
//   BENCH_HISTORY_BEFORE / --history-before     a saved history result of the store before the redesign,
//                                               shown beside this run's (bench/history-before.json when it exists)
//   BENCH_FLOOD_RATE / --flood-rate     creates/s sent to the flooded account (125)
//   BENCH_FLOOD_BLOCK / --flood-block   the other account's creates per block (40)
//   BENCH_FLOOD_BLOCKS / --flood-blocks blocks of each kind, flooded and not, alternating (5)
//   BENCH_FLOOD_WARMUP / --flood-warmup its warm-up creates each way (10)
//   BENCH_READS_RUNS / --reads-runs     rounds of the unchanged-list bench (200)
//   BENCH_READS_SIZES / --reads-sizes   its accounts' live reasons (20,999)
//   BENCH_READ_FLOOD_RATE / --read-flood-rate   lists/s sent to the flooded account (200; 0 skips the read flood)
//   BENCH_READ_FLOOD_BLOCKS / --read-flood-blocks   blocks of each kind (4), of --read-flood-block quiet lists and creates (40)
//   BENCH_SKIP / --skip             comma-separated: creates, threshold, concurrency, flood, history, reads, cold, memory
//   BENCH_OUT / --out               folder for results.json and chart.svg (bench); "-" writes nothing
// A smoke run: `BENCH_RUNS=3 BENCH_WARMUP=1 BENCH_OUT=- npm run bench`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ROOT } from './cold.js';
import { describeMachine } from './machine.js';
import type { HistoryResult } from './history.js';
import { renderSvg, renderTables } from './report.js';
import { DEFAULTS, runSuite, type SuiteOptions } from './suite.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

function setting(name: string, env: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return process.env[env];
}

function count(name: string, env: string, fallback: number): number {
  const raw = setting(name, env);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} / ${env} must be a whole number (got ${raw})`);
  return value;
}

const list = (raw: string | undefined) => (raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function counts(name: string, env: string, fallback: number[]): number[] {
  const values = list(setting(name, env))?.map(Number) ?? fallback;
  if (values.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`--${name} / ${env} must be whole numbers, comma-separated`);
  return values;
}

async function main(): Promise<void> {
  const sizes = list(setting('sizes', 'BENCH_SIZES'))?.map(Number) ?? DEFAULTS.sizes;
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100)) throw new Error('sizes must be whole numbers from 1 to 100');
  const options: Partial<SuiteOptions> = {
    sizes,
    runs: Math.max(1, count('runs', 'BENCH_RUNS', DEFAULTS.runs)),
    warmup: count('warmup', 'BENCH_WARMUP', DEFAULTS.warmup),
    writers: Math.max(1, count('writers', 'BENCH_WRITERS', DEFAULTS.writers)),
    createsPerWriter: Math.max(1, count('creates-per-writer', 'BENCH_CREATES_PER_WRITER', DEFAULTS.createsPerWriter)),
    importRuns: Math.max(1, count('import-runs', 'BENCH_IMPORT_RUNS', DEFAULTS.importRuns)),
    firstCreateRuns: Math.max(1, count('first-runs', 'BENCH_FIRST_RUNS', DEFAULTS.firstCreateRuns)),
    memoryRuns: Math.max(1, count('memory-runs', 'BENCH_MEMORY_RUNS', DEFAULTS.memoryRuns)),
    thresholdSizes: counts('threshold-sizes', 'BENCH_THRESHOLD_SIZES', DEFAULTS.thresholdSizes),
    history: {
      runs: Math.max(1, count('history-runs', 'BENCH_HISTORY_RUNS', DEFAULTS.history.runs)),
      warmup: count('history-warmup', 'BENCH_HISTORY_WARMUP', DEFAULTS.history.warmup),
      deleted: counts('history-deleted', 'BENCH_HISTORY_DELETED', DEFAULTS.history.deleted),
      historyLive: count('history-live', 'BENCH_HISTORY_LIVE', DEFAULTS.history.historyLive),
      bigLive: count('history-big', 'BENCH_HISTORY_BIG', DEFAULTS.history.bigLive),
      typicalLive: count('history-typical', 'BENCH_HISTORY_TYPICAL', DEFAULTS.history.typicalLive),
      largestLive: count('history-largest', 'BENCH_HISTORY_LARGEST', DEFAULTS.history.largestLive),
      pool: Math.max(1, count('history-pool', 'BENCH_HISTORY_POOL', DEFAULTS.history.pool)),
    },
    flood: {
      rate: Math.max(1, count('flood-rate', 'BENCH_FLOOD_RATE', DEFAULTS.flood.rate)),
      perBlock: Math.max(1, count('flood-block', 'BENCH_FLOOD_BLOCK', DEFAULTS.flood.perBlock)),
      blocks: Math.max(1, count('flood-blocks', 'BENCH_FLOOD_BLOCKS', DEFAULTS.flood.blocks)),
      warmup: count('flood-warmup', 'BENCH_FLOOD_WARMUP', DEFAULTS.flood.warmup),
    },
    reads: {
      ...DEFAULTS.reads,
      runs: Math.max(1, count('reads-runs', 'BENCH_READS_RUNS', DEFAULTS.reads.runs)),
      warmup: Math.min(count('reads-runs', 'BENCH_READS_RUNS', DEFAULTS.reads.runs), DEFAULTS.reads.warmup),
      sizes: counts('reads-sizes', 'BENCH_READS_SIZES', DEFAULTS.reads.sizes),
      floodRate: count('read-flood-rate', 'BENCH_READ_FLOOD_RATE', DEFAULTS.reads.floodRate),
      blocks: Math.max(1, count('read-flood-blocks', 'BENCH_READ_FLOOD_BLOCKS', DEFAULTS.reads.blocks)),
      perBlock: Math.max(1, count('read-flood-block', 'BENCH_READ_FLOOD_BLOCK', DEFAULTS.reads.perBlock)),
    },
    skip: list(setting('skip', 'BENCH_SKIP')) ?? [],
    log: (line) => console.error(line),
  };
  const out = setting('out', 'BENCH_OUT') ?? 'bench';
  const beforeFile = path.resolve(ROOT, setting('history-before', 'BENCH_HISTORY_BEFORE') ?? 'bench/history-before.json');

  console.error('starting DynamoDB Local ...');
  const engine = await startDynamoDbLocal();
  let results;
  try {
    results = await runSuite(engine.endpoint, options);
  } finally {
    await engine.stop();
  }

  if (results.history && existsSync(beforeFile)) results.historyBefore = JSON.parse(readFileSync(beforeFile, 'utf8')) as HistoryResult;

  console.log(`\n## Benchmark ${results.date}`);
  console.log(describeMachine(results.machine));
  console.log('');
  console.log(renderTables(results));

  if (out !== '-') {
    const dir = path.resolve(ROOT, out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    // The chart draws the creates; a run without them (--skip creates) writes none.
    if (results.creates.length) writeFileSync(path.join(dir, 'chart.svg'), renderSvg(results));
    console.log(`\nwrote ${path.relative(process.cwd(), dir)}/results.json${results.creates.length ? ' and chart.svg' : ''}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
