// What the project costs before and around its first request: each Lambda
// function's bundle size, the time to import it in a fresh Node process (wall
// and CPU, against a process that imports only the DynamoDB client, bundled the
// same way), the first create in a fresh process through each function, and the
// memory a 100-reason create takes.
// Every figure here comes from child processes running the esbuild bundle,
// which is what Lambda runs.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { CONNECT_GRANTS_ENV, NEXT_TOKEN_SECRET_ARN_ENV } from '../../functions/adapters/connect/routes.js';
import { LAMBDA_BUNDLE, LAMBDA_BUNDLE_EXTERNALS, LAMBDA_NODE_OPTIONS } from '../../infra/bundling.js';
import { accounts, createEvent, floorPlan } from './creates.js';
import { connectEvent } from '../support/events.js';
import { median } from './stats.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// As infra/constructs/functions.ts bundles the functions (target node20 here: the local Node).
export const BUNDLE_OPTIONS = {
  ...LAMBDA_BUNDLE,
  bundle: true,
  external: [...LAMBDA_BUNDLE_EXTERNALS] as string[],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: [...LAMBDA_BUNDLE.mainFields] as string[],
  banner: { js: LAMBDA_BUNDLE.banner },
  metafile: true,
  logLevel: 'silent',
} as const;

export interface BundleInfo {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  /** The biggest contributors to the bundle, by package. */
  topPackages: Array<{ name: string; bytes: number }>;
}

export interface Bundles {
  /** The HTTP function (LivePerson and Connect routes). */
  handler: BundleInfo;
  /** The direct-invoke function. */
  invoke: BundleInfo;
  /** `export * from '@aws-sdk/client-dynamodb'`: the whole DynamoDB client package. */
  sdk: BundleInfo;
  /** Only what the floor uses: the client and four commands. */
  sdkMinimal: BundleInfo;
}

export const BUNDLE_LABELS: Record<keyof Bundles, string> = {
  handler: 'functions/entry/http.ts',
  invoke: 'functions/entry/invoke.ts',
  sdk: '@aws-sdk/client-dynamodb (export *)',
  sdkMinimal: '@aws-sdk/client-dynamodb (client + 4 commands)',
};

function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return input.startsWith('functions/') ? 'functions/ (this project)' : input;
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function describe(name: string, file: string, metafile: Metafile): BundleInfo {
  const bytes = readFileSync(file);
  // The bundle's output, not its source map's.
  const output = Object.entries(metafile.outputs).find(([out]) => !out.endsWith('.map'))![1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  const topPackages = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([n, b]) => ({ name: n, bytes: b }));
  return { name, file, bytes: bytes.length, gzipBytes: gzipSync(bytes).length, topPackages };
}

export async function buildBundles(outDir: string): Promise<Bundles> {
  mkdirSync(outDir, { recursive: true });
  type Input = { entryPoints: string[] } | { stdin: { contents: string; resolveDir: string; loader: 'ts' } };
  const one = async (name: string, options: Input) => {
    const outfile = path.join(outDir, `${name}.mjs`);
    const result = await build({ ...BUNDLE_OPTIONS, ...options, outfile });
    return describe(name, outfile, result.metafile!);
  };
  return {
    handler: await one('handler', { entryPoints: [path.join(ROOT, 'functions/entry/http.ts')] }),
    invoke: await one('invoke', { entryPoints: [path.join(ROOT, 'functions/entry/invoke.ts')] }),
    sdk: await one('sdk', { stdin: { contents: "export * from '@aws-sdk/client-dynamodb';", resolveDir: ROOT, loader: 'ts' } }),
    sdkMinimal: await one('sdk-minimal', {
      stdin: {
        contents: "export { DynamoDBClient, UpdateItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';",
        resolveDir: ROOT,
        loader: 'ts',
      },
    }),
  };
}

// The child: `node child.mjs <mode> <args.json>`; prints one JSON line.
const CHILD = String.raw`
import { readFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
const [mode, argsFile] = process.argv.slice(2);
const args = JSON.parse(readFileSync(argsFile, 'utf8'));
const context = { callbackWaitsForEmptyEventLoop: false, functionName: 'bench', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '512', awsRequestId: 'bench', logGroupName: 'bench', logStreamName: 'bench', getRemainingTimeInMillis: () => 10000, done() {}, fail() {}, succeed() {} };
const out = {};
const invoke = async (handler, event) => {
  const result = await handler(event, context);
  if (result.statusCode !== undefined ? result.statusCode !== 200 : 'error' in result) throw new Error('handler answered ' + JSON.stringify(result).slice(0, 500));
};
let t = performance.now();
const cpu = process.cpuUsage();
const mod = await import(args.bundle);
out.importMs = performance.now() - t;
const used = process.cpuUsage(cpu);
out.importCpuMs = (used.user + used.system) / 1000;
if (mode === 'handler-first') {
  t = performance.now(); await invoke(mod.handler, args.events[0]); out.firstMs = performance.now() - t;
  t = performance.now(); await invoke(mod.handler, args.events[1]); out.secondMs = performance.now() - t;
} else if (mode === 'floor-first') {
  const { DynamoDBClient, UpdateItemCommand, TransactGetItemsCommand, TransactWriteItemsCommand, BatchWriteItemCommand } = mod;
  const floor = async (plan) => {
    await Promise.all([client.send(new UpdateItemCommand(plan.acquire)), client.send(new TransactGetItemsCommand(plan.read))]);
    await Promise.all(plan.batches.map((b) => client.send(new BatchWriteItemCommand(b))));
    await client.send(new TransactWriteItemsCommand(plan.commit));
  };
  t = performance.now();
  const client = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'us-east-1', maxAttempts: 1 });
  await floor(args.plans[0]); out.firstMs = performance.now() - t;
  t = performance.now(); await floor(args.plans[1]); out.secondMs = performance.now() - t;
} else if (mode === 'memory') {
  // Warm: the first create loads the SDK's lazy parts and makes the client.
  await invoke(mod.handler, args.warm);
  out.rssBeforeKb = Math.round(process.memoryUsage().rss / 1024);
  out.maxRssBeforeKb = process.resourceUsage().maxRSS;
  if (args.measured) await invoke(mod.handler, args.measured);
  out.maxRssKb = process.resourceUsage().maxRSS;
} else if (mode === 'alloc') {
  // Run with --expose-gc and a young generation big enough that one create triggers no GC:
  // then the heap's growth during the create is what it allocated.
  for (const event of args.warm) await invoke(mod.handler, event);
  let gcs = 0;
  const observer = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 20));
  gcs = 0;
  const before = process.memoryUsage();
  await invoke(mod.handler, args.measured);
  const after = process.memoryUsage();
  await new Promise((r) => setTimeout(r, 20));
  out.gcsDuringCreate = gcs;
  out.allocatedBytes = after.heapUsed - before.heapUsed + (after.external - before.external);
  globalThis.gc();
  out.retainedBytes = process.memoryUsage().heapUsed - before.heapUsed;
  observer.disconnect();
}
console.log(JSON.stringify(out));
process.exit(0);
`;

interface ChildOut {
  importMs: number;
  importCpuMs: number;
  firstMs?: number;
  secondMs?: number;
  maxRssKb?: number;
  maxRssBeforeKb?: number;
  rssBeforeKb?: number;
  allocatedBytes?: number;
  retainedBytes?: number;
  gcsDuringCreate?: number;
}

export interface ChildEnv {
  endpoint: string;
  tableName: string;
}

const DEPLOYED_CONNECT_ENV = {
  TABLE_NAME: 'bench-import-only',
  [CONNECT_GRANTS_ENV]: 'table',
  [NEXT_TOKEN_SECRET_ARN_ENV]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-import-only',
};

function runChild(outDir: string, mode: string, args: Record<string, unknown>, env: ChildEnv | undefined, nodeFlags: string[] = []): Promise<ChildOut & { wallMs: number }> {
  const script = path.join(outDir, 'child.mjs');
  writeFileSync(script, CHILD);
  const argsFile = path.join(outDir, `args-${mode}.json`);
  writeFileSync(argsFile, JSON.stringify(args));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeFlags, script, mode, argsFile],
      {
        cwd: outDir,
        maxBuffer: 1 << 20,
        env: {
          PATH: process.env.PATH,
          // As the deployed functions run: Node then loads each bundle's source map.
          NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          // The Connect settings the stack gives the HTTP function, so that an import costs what it costs
          // deployed (the bench's requests read no grant and page no list, so the first creates run without them).
          ...(env ? { DYNAMODB_ENDPOINT: env.endpoint, TABLE_NAME: env.tableName } : DEPLOYED_CONNECT_ENV),
        },
      },
      (error, stdout, stderr) => {
        const wallMs = performance.now() - started;
        if (error) return reject(new Error(`child ${mode} failed: ${error.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ ...(JSON.parse(line) as ChildOut), wallMs });
        } catch {
          reject(new Error(`child ${mode} printed no result: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const url = (file: string) => pathToFileURL(file).href;

export interface ImportResult {
  runs: number;
  /** Median time of `await import(bundle)` in a fresh process, ms, per bundle. */
  importMs: Record<keyof Bundles, number>;
  /** Median CPU time (user + system) the process spent in that import, ms: less sensitive than the wall time to other work on the machine. */
  importCpuMs: Record<keyof Bundles, number>;
  /** Median wall time of the whole process (Node start, import, exit), ms, per bundle. */
  processMs: Record<keyof Bundles, number>;
  /** The same for a module that exports nothing: Node's own start-up. */
  bareNodeProcessMs: number;
  handlerMs: number;
  sdkMs: number;
  /** handler / sdk (wall): the target is ≤ 1.15. */
  ratio: number;
  /** The same by CPU time. */
  cpuRatio: number;
  /** invoke / sdk (wall). */
  invokeRatio: number;
  /** The median of the per-round ratios (handler and SDK imported back to back): less sensitive to load drifting during the run. */
  pairedRatio: number;
  ratioVsMinimal: number;
}

/** Imports each bundle in fresh processes, interleaved, and takes medians. */
export async function benchImports(bundles: Bundles, outDir: string, runs: number): Promise<ImportResult> {
  const names = Object.keys(bundles) as Array<keyof Bundles>;
  const times = new Map(names.map((n) => [n, [] as number[]]));
  const cpus = new Map(names.map((n) => [n, [] as number[]]));
  const walls = new Map(names.map((n) => [n, [] as number[]]));
  const bare: number[] = [];
  const empty = path.join(outDir, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  for (let i = 0; i < runs + 1; i++) {
    // The first round warms the OS file cache and is dropped.
    for (const name of names) {
      const out = await runChild(outDir, 'import', { bundle: url(bundles[name].file) }, undefined);
      if (i === 0) continue;
      times.get(name)!.push(out.importMs);
      cpus.get(name)!.push(out.importCpuMs);
      walls.get(name)!.push(out.wallMs);
    }
    const b = await runChild(outDir, 'import', { bundle: url(empty) }, undefined);
    if (i > 0) bare.push(b.wallMs);
  }
  const importMs = Object.fromEntries(names.map((n) => [n, median(times.get(n)!)])) as ImportResult['importMs'];
  const importCpuMs = Object.fromEntries(names.map((n) => [n, median(cpus.get(n)!)])) as ImportResult['importCpuMs'];
  const processMs = Object.fromEntries(names.map((n) => [n, median(walls.get(n)!)])) as ImportResult['processMs'];
  const handlerMs = importMs.handler;
  const sdkMs = importMs.sdk;
  return {
    runs,
    importMs,
    importCpuMs,
    processMs,
    bareNodeProcessMs: median(bare),
    handlerMs,
    sdkMs,
    ratio: handlerMs / sdkMs,
    cpuRatio: importCpuMs.handler / importCpuMs.sdk,
    invokeRatio: importMs.invoke / sdkMs,
    pairedRatio: median(times.get('handler')!.map((t, i) => t / times.get('sdk')![i]!)),
    ratioVsMinimal: handlerMs / importMs.sdkMinimal,
  };
}

export interface FirstCreateResult {
  runs: number;
  /** Median over fresh processes: import, then the first 1-reason create, then a second one. */
  handler: { importMs: number; firstMs: number; secondMs: number };
  /** The same through the HTTP function's Connect routes (CreateAgentStatus, IAM-signed). */
  connect: { importMs: number; firstMs: number; secondMs: number };
  /** The same through the direct-invoke function (`createStatusReasons`). */
  invoke: { importMs: number; firstMs: number; secondMs: number };
  /** The same with the floor's calls on a DynamoDB-client-only bundle (client made on the first call). */
  floor: { importMs: number; firstMs: number; secondMs: number };
}

export async function benchFirstCreate(bundles: Bundles, outDir: string, env: ChildEnv, runs: number): Promise<FirstCreateResult> {
  const next = accounts('f');
  const h: ChildOut[] = [];
  const v: ChildOut[] = [];
  const f: ChildOut[] = [];
  const c: ChildOut[] = [];
  const invokeEvent = (accountId: string) => ({ action: 'createStatusReasons', accountId, items: [{ text: 'first', state: 'Away' }] });
  // As API Gateway hands a SigV4-signed CreateAgentStatus to the function (the IAM authorizer's caller in requestContext).
  const createAgentStatus = (instanceId: string) => connectEvent({ path: `/agent-status/${instanceId}`, body: { Name: 'first', State: 'ENABLED' } });
  for (let i = 0; i < runs; i++) {
    h.push(await runChild(outDir, 'handler-first', { bundle: url(bundles.handler.file), events: [createEvent(next(), 1), createEvent(next(), 1)] }, env));
    c.push(await runChild(outDir, 'handler-first', { bundle: url(bundles.handler.file), events: [createAgentStatus(next()), createAgentStatus(next())] }, env));
    v.push(await runChild(outDir, 'handler-first', { bundle: url(bundles.invoke.file), events: [invokeEvent(next()), invokeEvent(next())] }, env));
    const plans = [floorPlan(env.tableName, next(), 1), floorPlan(env.tableName, next(), 1)].map((p) => ({
      acquire: p.acquire.input,
      read: p.read.input,
      batches: p.batches.map((b) => b.input),
      commit: p.commit.input,
    }));
    f.push(await runChild(outDir, 'floor-first', { bundle: url(bundles.sdk.file), plans }, env));
  }
  const med = (list: ChildOut[]) => ({
    importMs: median(list.map((o) => o.importMs)),
    firstMs: median(list.map((o) => o.firstMs!)),
    secondMs: median(list.map((o) => o.secondMs!)),
  });
  return { runs, handler: med(h), connect: med(c), invoke: med(v), floor: med(f) };
}

export interface MemoryResult {
  runs: number;
  /** Peak RSS of a fresh process that loaded the bundle and made one 1-reason create (median, MB). */
  baselineMaxRssMb: number;
  /** Peak RSS of the same process after one more create of 100 reasons (median, MB). */
  createMaxRssMb: number;
  /** What the 100-reason create added to the peak RSS (median of the per-process differences, MB). */
  createAddsMb: number;
  /** Bytes the JS heap grew by during one (warm) 100-reason create, with no GC in between: its allocation volume (median, MB). */
  allocatedMb: number;
  /** Heap still held after a full GC (median, MB): ~0 means nothing leaks per request. */
  retainedMb: number;
  /** Runs of the allocation probe in which a GC happened anyway (their allocation figure is a lower bound). */
  allocRunsWithGc: number;
}

export async function benchMemory(bundles: Bundles, outDir: string, env: ChildEnv, runs: number): Promise<MemoryResult> {
  const next = accounts('m');
  const base: ChildOut[] = [];
  const create: ChildOut[] = [];
  const alloc: ChildOut[] = [];
  const bundle = url(bundles.handler.file);
  for (let i = 0; i < runs; i++) {
    base.push(await runChild(outDir, 'memory', { bundle, warm: createEvent(next(), 1) }, env));
    create.push(await runChild(outDir, 'memory', { bundle, warm: createEvent(next(), 1), measured: createEvent(next(), 100) }, env));
    alloc.push(
      await runChild(outDir, 'alloc', { bundle, warm: [createEvent(next(), 1), createEvent(next(), 100)], measured: createEvent(next(), 100) }, env, [
        '--expose-gc',
        '--max-semi-space-size=64',
      ]),
    );
  }
  const mb = (kb: number) => kb / 1024;
  return {
    runs,
    baselineMaxRssMb: mb(median(base.map((o) => o.maxRssKb!))),
    createMaxRssMb: mb(median(create.map((o) => o.maxRssKb!))),
    createAddsMb: mb(median(create.map((o) => o.maxRssKb! - o.maxRssBeforeKb!))),
    allocatedMb: median(alloc.map((o) => o.allocatedBytes!)) / 2 ** 20,
    retainedMb: median(alloc.map((o) => o.retainedBytes!)) / 2 ** 20,
    allocRunsWithGc: alloc.filter((o) => (o.gcsDuringCreate ?? 0) > 0).length,
  };
}
