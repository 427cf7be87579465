// The whole benchmark against a running DynamoDB endpoint, returning one
// result object. `bench.ts` runs it on a DynamoDB Local it starts and writes
// the files; the smoke test runs it with tiny counts and writes nothing.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTable } from '../../infra/local/table.js';
import { benchFirstCreate, benchImports, benchMemory, buildBundles, type BundleInfo, type Bundles } from './cold.js';
import { benchClient, benchSdkClient, benchConcurrency, benchCreates, benchThreshold, INLINE_ALL, subject, type CreateResult } from './creates.js';
import { benchFlood, type FloodOptions } from './flood.js';
import { benchHistory, HISTORY_DEFAULTS, type HistoryOptions } from './history.js';
import { benchReads, READS_DEFAULTS, type ReadsOptions } from './reads.js';
import { machine, TARGETS, targetsMet, type BenchResults } from './report.js';

export interface SuiteOptions {
  sizes: number[];
  runs: number;
  warmup: number;
  writers: number;
  createsPerWriter: number;
  importRuns: number;
  firstCreateRuns: number;
  memoryRuns: number;
  /** Sizes for the `transactionItems` 24-vs-0 comparison (runs and warm-up as the creates'). */
  thresholdSizes: number[];
  /** The account-history bench (history.ts); its `log` is the suite's. */
  history: Omit<HistoryOptions, 'log'>;
  /** One account flooded, another written (flood.ts). */
  flood: Omit<FloodOptions, 'log'>;
  /** Lists of unchanged accounts, and one account read at full speed (reads.ts). */
  reads: Omit<ReadsOptions, 'log'>;
  /** Parts to leave out: `creates`, `threshold`, `concurrency`, `flood`, `history`, `reads`, `cold` (bundles, imports, first create), `memory`. */
  skip: string[];
  log: (line: string) => void;
}

export const DEFAULTS: SuiteOptions = {
  sizes: [1, 10, 100],
  runs: 200,
  warmup: 30,
  writers: 20,
  createsPerWriter: 25,
  importRuns: 15,
  firstCreateRuns: 5,
  memoryRuns: 3,
  thresholdSizes: [1, 10],
  history: { ...HISTORY_DEFAULTS },
  flood: { rate: 125, perBlock: 40, blocks: 5, warmup: 10 },
  reads: { ...READS_DEFAULTS },
  skip: [],
  log: () => {},
};

export const CAPACITY_METHOD =
  "A client middleware sets ReturnConsumedCapacity: 'TOTAL' on every call. Units of UpdateItem, BatchWriteItem, GetItem and Query are the ones DynamoDB Local reports " +
  '(they follow the published rules: writes 1 WCU per KB of each item, an UpdateItem the larger of the item before and after; strongly consistent reads 1 RCU per 4 KB). ' +
  'Units of TransactWriteItems and TransactGetItems are computed by the published rule, because Local reports wrong ones for them (4 units for a transaction of one small put and for one of three): ' +
  'transactional writes 2 WCU per KB of each item (an Update the larger of the item before and after, read back untimed through a second client; that time is subtracted from the latencies), ' +
  'transactional reads 2 RCU per 4 KB of each item (2 for an item not found). A refused conditional write reports nothing; it is billed 1 WCU per KB of the item it found ' +
  '(the item the refusal returned, else read back). Item sizes by the published rule (names + values; numbers 1 byte per 2 significant digits + 1; maps and lists 3 bytes + 1 per element). ' +
  "The floor's write units are also worked out by the rule on their own (items it sends, #META read back after the lease and after the commit) to check the meter. " +
  'In the concurrency run, #META is sized from the latest copy an answer carried instead of read back (a read would lengthen every lease hold).';

export async function runSuite(endpoint: string, partial: Partial<SuiteOptions> = {}): Promise<BenchResults> {
  const o: SuiteOptions = { ...DEFAULTS, ...partial };
  const loadAtStart = os.loadavg()[0]!;
  const client = benchClient(endpoint);
  const floor = benchSdkClient(endpoint);
  // Uninstrumented: the meter's sizing reads of transaction items.
  const sizer = benchSdkClient(endpoint);
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const tmp = path.join(os.tmpdir(), `asr-bench-${process.pid}-${randomUUID().slice(0, 6)}`);
  try {
    await ensureTable(floor, tableName);
    const s = subject(client, floor, tableName, {}, sizer);

    let creates: CreateResult[] = [];
    if (!o.skip.includes('creates')) {
      o.log(`creates (${o.runs} runs, ${o.warmup} warm-up) ...`);
      creates = await benchCreates(s, { sizes: o.sizes, runs: o.runs, warmup: o.warmup, log: o.log });
    }

    let threshold;
    if (!o.skip.includes('threshold')) {
      o.log(`transactionItems ${INLINE_ALL} vs 0 (${o.runs} runs, ${o.warmup} warm-up) ...`);
      const batchOnly = subject(client, floor, tableName, { transactionItems: 0 });
      const inlineAll = subject(client, floor, tableName, { transactionItems: INLINE_ALL });
      threshold = await benchThreshold(inlineAll, batchOnly, { sizes: o.thresholdSizes, runs: o.runs, warmup: o.warmup, log: o.log });
    }

    let concurrency;
    if (!o.skip.includes('concurrency')) {
      // The account cap is 1,000 reasons: keep the run under it.
      const perWriter = Math.max(1, Math.min(o.createsPerWriter, Math.floor(1000 / o.writers)));
      o.log(`${o.writers} concurrent writers x ${perWriter} creates ...`);
      concurrency = await benchConcurrency(s, { writers: o.writers, createsPerWriter: perWriter, reasonsPerCreate: 1 });
    }

    let flood;
    if (!o.skip.includes('flood')) {
      o.log(`one account flooded at ${o.flood.rate} creates/s, another written (${o.flood.blocks} x ${o.flood.perBlock} creates each way) ...`);
      flood = await benchFlood(endpoint, tableName, { ...o.flood, log: o.log });
    }

    let history;
    if (!o.skip.includes('history')) {
      o.log(`account history (${o.history.runs} rounds, ${o.history.warmup} warm-up) ...`);
      history = await benchHistory(endpoint, { ...o.history, log: o.log });
    }

    let reads;
    if (!o.skip.includes('reads')) {
      o.log(`reads: unchanged lists (${o.reads.runs} runs), a read flood at ${o.reads.floodRate}/s ...`);
      reads = await benchReads(endpoint, tableName, { ...o.reads, log: o.log });
    }

    let bundles, imports, firstCreate, memory;
    const env = { endpoint, tableName };
    if (!o.skip.includes('cold') || !o.skip.includes('memory')) {
      o.log('bundling ...');
      bundles = await buildBundles(tmp);
    }
    if (bundles && !o.skip.includes('cold')) {
      o.log(`imports (${o.importRuns} fresh processes each) ...`);
      imports = await benchImports(bundles, tmp, o.importRuns);
      o.log(`first creates (${o.firstCreateRuns} fresh processes each) ...`);
      firstCreate = await benchFirstCreate(bundles, tmp, env, o.firstCreateRuns);
    }
    if (bundles && !o.skip.includes('memory')) {
      o.log(`memory (${o.memoryRuns} x 3 fresh processes) ...`);
      memory = await benchMemory(bundles, tmp, env, o.memoryRuns);
    }

    const partialResults = {
      date: new Date().toISOString(),
      machine: machine(loadAtStart),
      capacityMethod: CAPACITY_METHOD,
      engine: 'DynamoDB Local (in memory), started by the benchmark on this machine',
      config: { runs: o.runs, warmup: o.warmup, sizes: o.sizes },
      creates,
      ...(threshold && { threshold }),
      ...(concurrency && { concurrency }),
      ...(flood && { flood }),
      ...(history && { history }),
      ...(reads && { reads }),
      ...(bundles && { bundles: stripFiles(bundles) }),
      ...(imports && { imports }),
      ...(firstCreate && { firstCreate }),
      ...(memory && { memory }),
    };
    return { ...partialResults, targets: { ...TARGETS, met: targetsMet(partialResults) } };
  } finally {
    client.destroy();
    floor.destroy();
    sizer.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Bundle paths point into a temporary folder: keep only the file names. */
function stripFiles(bundles: Bundles): Bundles {
  return Object.fromEntries(Object.entries(bundles).map(([k, v]: [string, BundleInfo]) => [k, { ...v, file: path.basename(v.file) }])) as unknown as Bundles;
}
