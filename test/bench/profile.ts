// Where the handler's own time goes: `npx tsx test/bench/profile.ts [create|import] [size] [creates]`.
//
// create: runs the same creates through the handler and through the floor,
//   each under V8's sampling profiler (node:inspector, 100 µs interval), and
//   splits the CPU time per create by source package. The difference between
//   the two columns is what the handler adds to the fewest DynamoDB calls.
// layers: the Node-side cost of one create, layer by layer, with DynamoDB
//   replaced by an instant canned answer (a stub request handler; no engine),
//   so that only CPU is timed: raw SDK calls (the floor), the same calls through
//   lib-dynamodb's document client, the domain + store (createStatusReasons on
//   parsed items), and the whole handler (event in, response out).
// deps: bundles each dependency the handler loads at import on its own (same
//   esbuild options as the Lambda bundle) and times importing each in fresh
//   processes: what each package costs the cold start.
// import: imports an unminified build of the Lambda bundle in fresh processes
//   under --cpu-prof and splits the import time by the package each bundled
//   line came from (esbuild marks every module's start with a `// path` comment).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { BatchWriteCommand, DynamoDBDocumentClient, TransactGetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { parseCreateBody } from '../../functions/domain/status-reason.js';
import { createStatusReasons } from '../../functions/domain/status-reasons.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import { lambdaContext } from '../support/events.js';
import { BUNDLE_OPTIONS } from './cold.js';
import { accounts, benchClient, benchSdkClient, createBody, createEvent, floorPlan, runFloor, subject } from './creates.js';
import { summarize } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time (ms) per key, from a V8 CPU profile. */
function selfTime(profile: Profile, keyOf: (node: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const next = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(id)!;
    const key = keyOf(node);
    out.set(key, (out.get(key) ?? 0) + next / 1000);
  });
  return out;
}

/** A package (or this project's folder) from a file URL or path. */
function packageOf(url: string): string {
  if (!url) return '';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const at = file.lastIndexOf('node_modules/');
  if (at >= 0) {
    const parts = file.slice(at + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const rel = path.relative(ROOT, file);
  if (!rel.startsWith('..')) return rel.split(path.sep).slice(0, 2).join('/');
  return file.startsWith('node:') ? 'node (built-in modules)' : file;
}

const category = (node: ProfileNode): string => {
  const { url, functionName } = node.callFrame;
  if (!url) {
    if (functionName === '(idle)') return '(idle: waiting on DynamoDB)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: V8/native, unattributed)';
    return `(native: ${functionName || 'anonymous'})`;
  }
  return packageOf(url);
};

function table(columns: Array<{ title: string; times: Map<string, number>; per: number }>, skipIdle = true): string {
  const keys = new Set<string>();
  for (const c of columns) for (const k of c.times.keys()) keys.add(k);
  const rows = [...keys]
    .filter((k) => !(skipIdle && k.startsWith('(idle')))
    .map((k) => ({ k, v: columns.map((c) => (c.times.get(k) ?? 0) / c.per) }))
    .sort((a, b) => Math.max(...b.v) - Math.max(...a.v));
  const lines = [`| source | ${columns.map((c) => c.title).join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} |`];
  for (const r of rows) if (Math.max(...r.v) >= 0.005) lines.push(`| ${r.k} | ${r.v.map((v) => v.toFixed(3)).join(' | ')} |`);
  const totals = columns.map((c) => [...c.times].filter(([k]) => !k.startsWith('(idle')).reduce((n, [, v]) => n + v, 0) / c.per);
  lines.push(`| **CPU total** | ${totals.map((v) => `**${v.toFixed(3)}**`).join(' | ')} |`);
  return lines.join('\n');
}

async function profileCreates(size: number, creates: number): Promise<void> {
  const engine = await startDynamoDbLocal();
  const client = benchClient(engine.endpoint);
  const floor = benchSdkClient(engine.endpoint);
  try {
    await ensureTable(floor, 'profile');
    const s = subject(client, floor, 'profile');
    const next = accounts('p');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });

    const runHandler = async () => {
      const result = await s.handler(createEvent(next(), size), lambdaContext());
      if (result.statusCode !== 200) throw new Error(String(result.body));
    };
    const runFloorOnce = () => runFloor(floor, floorPlan('profile', next(), size));
    // Warm both paths so the profile sees steady state, not JIT warm-up.
    for (let i = 0; i < 40; i++) {
      await runHandler();
      await runFloorOnce();
    }

    const profileOf = async (op: () => Promise<void>) => {
      await session.post('Profiler.start');
      const started = performance.now();
      for (let i = 0; i < creates; i++) await op();
      const wall = performance.now() - started;
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      return { profile, wall };
    };
    const h = await profileOf(runHandler);
    const f = await profileOf(runFloorOnce);
    session.disconnect();

    console.log(`\n### CPU per create of ${size} reason(s), ms (self time by source; ${creates} creates each, sampled every 100 µs)\n`);
    console.log(`wall per create: handler ${(h.wall / creates).toFixed(2)} ms, floor ${(f.wall / creates).toFixed(2)} ms\n`);
    console.log(
      table([
        { title: 'handler', times: selfTime(h.profile, category), per: creates },
        { title: 'floor', times: selfTime(f.profile, category), per: creates },
      ]),
    );
    // The handler's heaviest functions of its own and of the libraries the floor does not use.
    const own = (node: ProfileNode) => {
      const pkg = category(node);
      return /^(functions|zod|@middy|@aws-sdk\/lib-dynamodb|@aws-sdk\/util-dynamodb|@aws-lambda-powertools)/.test(pkg)
        ? `${pkg}: ${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`
        : '';
    };
    const top = [...selfTime(h.profile, own)].filter(([k]) => k).sort((a, b) => b[1] - a[1]).slice(0, 15);
    console.log(`\nTop handler-only functions (self ms per create):\n`);
    for (const [k, v] of top) console.log(`  ${(v / creates).toFixed(3)}  ${k}`);
  } finally {
    client.destroy();
    floor.destroy();
    await engine.stop();
  }
}

async function profileImport(runs: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asr-profile-'));
  try {
    const outfile = path.join(dir, 'handler.mjs');
    await build({
      entryPoints: [path.join(ROOT, 'functions/entry/http.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: false,
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire as __asrCreateRequire } from 'node:module'; const require = __asrCreateRequire(import.meta.url);" },
      outfile,
      logLevel: 'silent',
    });
    // Line → package, from esbuild's `// node_modules/zod/v4/core/core.js` markers.
    const lines = readFileSync(outfile, 'utf8').split('\n');
    const owner: string[] = [];
    let current = '(bundle prelude)';
    for (const line of lines) {
      const marker = /^\/\/ ((?:node_modules|functions)\/\S+)$/.exec(line);
      if (marker) current = packageOf(path.join(ROOT, marker[1]!));
      owner.push(current);
    }
    const totals = new Map<string, number>();
    let importMs = 0;
    for (let i = 0; i < runs; i++) {
      const profDir = path.join(dir, `prof-${i}`);
      const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); console.log(performance.now() - t);`;
      const out = execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir, '--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      });
      importMs += Number(String(out).trim());
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
      const profile = JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as Profile;
      // Charge each sample to the bundled package whose code is nearest up the stack
      // (so Node internals a package calls count as that package's); samples with no
      // bundle code on the stack are Node's own start-up and module loading.
      const bundleUrl = pathToFileURL(outfile).href;
      const parent = new Map<number, ProfileNode>();
      for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
      const times = selfTime(profile, (node) => {
        for (let n: ProfileNode | undefined = node; n; n = parent.get(n.id)) {
          if (n.callFrame.url === bundleUrl) return owner[n.callFrame.lineNumber] ?? '(bundle)';
        }
        return `(no bundle code on the stack) ${category(node)}`;
      });
      for (const [k, v] of times) totals.set(k, (totals.get(k) ?? 0) + v);
    }
    console.log(`\n### Import of the unminified handler bundle: self time by source, ms (mean of ${runs} fresh processes; import itself ${(importMs / runs).toFixed(1)} ms)\n`);
    console.log('(Whole process: includes Node start-up before the import.)\n');
    console.log(table([{ title: 'ms', times: totals, per: runs }], false));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An HTTP handler that answers every call at once with what DynamoDB answers a create on a fresh account. */
function stubHandler() {
  const answers: Record<string, string> = {
    UpdateItem: '{}',
    Query: '{"Count":0,"Items":[],"ScannedCount":0}',
    BatchWriteItem: '{"UnprocessedItems":{}}',
  };
  return {
    async handle(request: HttpRequest) {
      const op = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const body = Buffer.from(answers[op] ?? '{}');
      return {
        response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(body.length) }, body: Readable.from([body]) }),
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  } as never;
}

const stubbed = { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: localCredentials };

async function profileLayers(sizes: number[], iterations: number): Promise<void> {
  // The floor and the lib-dynamodb layer on the SDK's client; the store on the functions' own (functions/aws/).
  const client = new DynamoDBClient({ ...stubbed, requestHandler: stubHandler() });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const store = new DynamoStatusReasonStore({ client: new DynamoClient({ ...stubbed, requestHandler: stubHandler() }), tableName: 'stub' });
  const handler = createLivePersonHandler({ store: () => store });
  const next = accounts('l');
  console.log(`\n### Node-side cost of one create, by layer (DynamoDB answered instantly by a stub; median of ${iterations} runs, µs)\n`);
  console.log('| reasons | raw SDK calls (floor) | same calls via lib-dynamodb | + store + domain | whole handler | handler − floor |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  type Make = () => () => Promise<unknown>;
  const layers = (size: number): Make[] => [
    () => {
      const plan = floorPlan('stub', next(), size);
      return () => runFloor(client, plan);
    },
    () => {
      // The floor's inputs, unmarshalled, sent through the document client the store uses.
      const plan = floorPlan('stub', next(), size);
      const items = plan.batches.map((b) => b.input.RequestItems!.stub!.map((r) => ({ PutRequest: { Item: unmarshallItem(r.PutRequest!.Item!) } })));
      const acquire = unmarshallInput(plan.acquire.input);
      const commit = {
        ClientRequestToken: plan.commit.input.ClientRequestToken,
        TransactItems: plan.commit.input.TransactItems!.map((a) =>
          a.Update ? { Update: unmarshallInput(a.Update) } : { Put: { TableName: 'stub', Item: unmarshallItem(a.Put!.Item!) } },
        ),
      };
      const read = { TransactItems: plan.read.input.TransactItems!.map((g) => ({ Get: { TableName: 'stub', Key: unmarshallItem(g.Get!.Key!) } })) };
      return async () => {
        await Promise.all([doc.send(new UpdateCommand(acquire)), doc.send(new TransactGetCommand(read))]);
        await Promise.all(items.map((chunk) => doc.send(new BatchWriteCommand({ RequestItems: { stub: chunk } }))));
        await doc.send(new TransactWriteCommand(commit as never));
      };
    },
    () => {
      const { items, single } = parseCreateBody(createBody(size));
      const account = next();
      return () => createStatusReasons(store, account, items, { single });
    },
    () => {
      const event = createEvent(next(), size);
      const context = lambdaContext();
      return () => handler(event, context);
    },
  ];
  // Warm every path at every size first, then measure the layers interleaved.
  for (const size of sizes) for (let i = 0; i < 300; i++) for (const make of layers(size)) await make()();
  for (const size of sizes) {
    const samples: number[][] = [[], [], [], []];
    for (let i = 0; i < iterations; i++) {
      const makes = layers(size);
      for (let j = 0; j < makes.length; j++) {
        const op = makes[j]!();
        const t = performance.now();
        await op();
        samples[j]!.push((performance.now() - t) * 1000);
      }
    }
    const [floor, viaDoc, domain, whole] = samples.map((s) => summarize(s).p50) as [number, number, number, number];
    console.log(`| ${size} | ${floor.toFixed(0)} | ${viaDoc.toFixed(0)} | ${domain.toFixed(0)} | ${whole.toFixed(0)} | ${(whole - floor).toFixed(0)} |`);
  }
  client.destroy();
}

type Attr = { S?: string; N?: string; BOOL?: boolean };
function unmarshallItem(item: Record<string, Attr>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.S ?? (v.N !== undefined ? Number(v.N) : v.BOOL)]));
}
function unmarshallInput<T extends { Key?: unknown; ExpressionAttributeValues?: unknown }>(input: T): never {
  const out: Record<string, unknown> = { ...input };
  if (input.Key) out.Key = unmarshallItem(input.Key as Record<string, Attr>);
  if (input.ExpressionAttributeValues) out.ExpressionAttributeValues = unmarshallItem(input.ExpressionAttributeValues as Record<string, Attr>);
  return out as never;
}

async function profileDeps(runs: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asr-deps-'));
  const entries: Array<[string, string]> = [
    ['nothing (an empty module)', 'export {};'],
    ["zod, as the project first imported it (import { z } from 'zod')", "import { z } from 'zod'; export const s = z.strictObject({ a: z.string().max(3) });"],
    ["zod, as the project imports it (import * as z from 'zod')", "import * as z from 'zod'; export const s = z.strictObject({ a: z.string().max(3) });"],
    ['@middy/core + http-header-normalizer', "import middy from '@middy/core'; import h from '@middy/http-header-normalizer'; export const m = middy().use(h());"],
    ['@aws-lambda-powertools/logger (one Logger made)', "import { Logger } from '@aws-lambda-powertools/logger'; export const l = new Logger({ serviceName: 'x' });"],
    ['DynamoDB client + 4 commands', "export { DynamoDBClient, UpdateItemCommand, QueryCommand, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';"],
    [
      'what the store used to load (the SDK: client, lib-dynamodb, node-http-handler)',
      "export { DynamoDBDocumentClient, UpdateCommand, QueryCommand, BatchWriteCommand, BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb'; export { DynamoDBClient } from '@aws-sdk/client-dynamodb'; export { NodeHttpHandler } from '@smithy/node-http-handler';",
    ],
    [
      "what the store loads (functions/aws/: SigV4, util-dynamodb, node-http-handler)",
      "export { DocumentClient, DynamoClient, UpdateCommand, QueryCommand, BatchWriteCommand, TransactWriteCommand } from './functions/aws/dynamodb.js'; export { NodeHttpHandler } from '@smithy/node-http-handler';",
    ],
    ['@aws-sdk/client-dynamodb (export *)', "export * from '@aws-sdk/client-dynamodb';"],
  ];
  const files: string[] = [];
  for (const [i, [, contents]] of entries.entries()) {
    const outfile = path.join(dir, `dep-${i}.mjs`);
    await build({ ...BUNDLE_OPTIONS, metafile: false, stdin: { contents, resolveDir: ROOT, loader: 'ts' }, outfile });
    files.push(outfile);
  }
  const times: number[][] = entries.map(() => []);
  for (let r = 0; r < runs + 1; r++) {
    files.forEach((file, i) => {
      const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH } });
      if (r > 0) times[i]!.push(Number(String(out).trim()));
    });
  }
  console.log(`\n### Import time of each dependency bundled alone (median of ${runs} fresh processes)\n`);
  console.log('| bundle | size | import (ms) |');
  console.log('| --- | ---: | ---: |');
  entries.forEach(([name], i) => {
    console.log(`| ${name} | ${(readFileSync(files[i]!).length / 1024).toFixed(0)} KB | ${summarize(times[i]!).p50.toFixed(1)} |`);
  });
  rmSync(dir, { recursive: true, force: true });
}

const [mode = 'create', a, b] = process.argv.slice(2);
if (mode === 'deps') await profileDeps(Number(a ?? 15));
else if (mode === 'import') await profileImport(Number(a ?? 10));
else if (mode === 'layers') await profileLayers((a ?? '1,10,100').split(',').map(Number), Number(b ?? 1000));
else await profileCreates(Number(a ?? 100), Number(b ?? 200));
