// The whole benchmark against a running DynamoDB endpoint, returning one
// result object. `bench.ts` runs it on a DynamoDB Local it starts and writes
// the files; the smoke test runs it with tiny counts and writes nothing.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTable } from '../../infra/local/table.js';
import { benchFirstCreate, benchImports, benchMemory, buildBundles, type BundleInfo, type Bundles } from './cold.js';
import { benchClient, benchConcurrency, benchCreates, subject } from './creates.js';
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
  /** Parts to leave out: `concurrency`, `cold` (bundles, imports, first create), `memory`. */
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
  skip: [],
  log: () => {},
};

export const CAPACITY_METHOD =
  "Reported by DynamoDB Local: a client middleware sets ReturnConsumedCapacity: 'TOTAL' on every call and sums ConsumedCapacity " +
  '(Local reports it for UpdateItem, BatchWriteItem and Query, sized by the published rule: 1 WCU per KB of item, rounded up, per item; ' +
  'an UpdateItem charges the larger of the item before and after); checked against the floor\'s write units computed from its item sizes by that rule. Failed conditional writes report nothing; DynamoDB bills them 1 WCU each ' +
  '(the #META item is under 1 KB), which the concurrency figures add.';

export async function runSuite(endpoint: string, partial: Partial<SuiteOptions> = {}): Promise<BenchResults> {
  const o: SuiteOptions = { ...DEFAULTS, ...partial };
  const loadAtStart = os.loadavg()[0]!;
  const client = benchClient(endpoint);
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const tmp = path.join(os.tmpdir(), `asr-bench-${process.pid}-${randomUUID().slice(0, 6)}`);
  try {
    await ensureTable(client, tableName);
    const s = subject(client, tableName);

    o.log(`creates (${o.runs} runs, ${o.warmup} warm-up) ...`);
    const creates = await benchCreates(s, { sizes: o.sizes, runs: o.runs, warmup: o.warmup, log: o.log });

    let concurrency;
    if (!o.skip.includes('concurrency')) {
      // The account cap is 1,000 reasons: keep the run under it.
      const perWriter = Math.max(1, Math.min(o.createsPerWriter, Math.floor(1000 / o.writers)));
      o.log(`${o.writers} concurrent writers x ${perWriter} creates ...`);
      concurrency = await benchConcurrency(s, { writers: o.writers, createsPerWriter: perWriter, reasonsPerCreate: 1 });
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
      ...(concurrency && { concurrency }),
      ...(bundles && { bundles: stripFiles(bundles) }),
      ...(imports && { imports }),
      ...(firstCreate && { firstCreate }),
      ...(memory && { memory }),
    };
    return { ...partialResults, targets: { ...TARGETS, met: targetsMet(partialResults) } };
  } finally {
    client.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Bundle paths point into a temporary folder: keep only the file names. */
function stripFiles(bundles: Bundles): Bundles {
  return Object.fromEntries(Object.entries(bundles).map(([k, v]: [string, BundleInfo]) => [k, { ...v, file: path.basename(v.file) }])) as unknown as Bundles;
}
