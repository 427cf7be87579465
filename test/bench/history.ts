// Does a create's or a list's cost grow with an account's history?
// Accounts built through the real LivePerson handler: fresh, a typical one (20
// live), 950 live, the largest a create can grow (999 live: the cap is 1,000),
// 100 live with 5,000 and with 20,000 deleted reasons (made by creates of 100
// reasons sent with `deleted: true`: 20,000 one-by-one deletes would take hours
// on a store whose writes read the whole account), and 100 live with no history
// (the baseline of those). Then rounds, each: one single-reason create per
// account, then one list of the non-deleted reasons per account, in an order that
// rotates from round to round. A create's reason is deleted again (untimed) so
// that live counts stay where they are; since that adds history, which a store
// that reads whole accounts pays for, the fresh, typical and baseline accounts
// are new every round, and the 950- and 999-live ones a pool used in turn; the
// accounts with 5,000 and 20,000 deleted reasons gain one per round.
//
// It reaches the project only through createLivePersonHandler and
// DynamoStatusReasonStore({ client, tableName, leaseMs }) (besides the test
// events, DynamoDB Local and meter/stats/machine from this folder), so that it
// runs unchanged in a checkout of an older store; run on its own it starts its
// own DynamoDB Local and prints (and with --out, writes) its result:
//   npx tsx test/bench/history.ts [--runs 200] [--warmup 20] [--deleted 5000,20000]
//     [--history-live 100] [--big 950] [--typical 20] [--largest 999] [--pool 4] [--out file.json]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { ListCopies } from '../../functions/platform/list-copies.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { localCredentials, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { ensureTable } from '../../infra/local/table.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { describeMachine, machine, type Machine } from './machine.js';
import { instrument, measure, perOp, type PerOp, type Sample } from './meter.js';
import { summarize, type Summary } from './stats.js';

const LEASE_MS = 20_000;
/** Reasons per building create (the API's limit per request). */
const CHUNK = 100;

export interface HistoryOptions {
  runs: number;
  warmup: number;
  /** Deleted reasons of each account with history (each has `historyLive` live ones). */
  deleted: number[];
  historyLive: number;
  bigLive: number;
  typicalLive: number;
  largestLive: number;
  /** How many 950- and 999-live accounts take turns (each gains one deleted reason per turn). */
  pool: number;
  log: (line: string) => void;
}

export const HISTORY_DEFAULTS: HistoryOptions = {
  runs: 200,
  warmup: 20,
  deleted: [5_000, 20_000],
  historyLive: 100,
  bigLive: 950,
  typicalLive: 20,
  largestLive: 999,
  pool: 4,
  log: () => {},
};

/** fresh: the creates' baseline; baseline: the lists' (the history accounts' live reasons, no history), and their creates' without history. */
export type AccountRole = 'fresh' | 'typical' | 'big' | 'largest' | 'history' | 'baseline';

interface AccountPlan {
  role: AccountRole;
  label: string;
  live: number;
  deleted: number;
  /** A new account every round, or this many built at the start and used in turn. */
  copies: 'per round' | number;
}

export interface OpFigures extends PerOp {
  latency: Summary;
}

export interface HistoryAccount extends AccountPlan {
  /** What a list with include_deleted=true found once the (first) account was built. */
  found: { live: number; deleted: number };
  /** Building the accounts made at the start. */
  buildSeconds: number;
  /** Single-reason creates. */
  create: OpFigures;
  /** Lists of the non-deleted reasons (fresh: the account its latest create made). */
  list: OpFigures & { reasons: number };
}

export interface HistoryResult {
  date: string;
  machine: Machine;
  /** The store measured: the last commit that changed functions/ in the checkout the bench ran in. */
  store: string;
  runs: number;
  warmup: number;
  method: string;
  accounts: HistoryAccount[];
}

const METHOD =
  'Accounts built through the LivePerson handler: deleted reasons by creates of 100 reasons sent with deleted: true, then the live ones by creates of up to 100. ' +
  'Each round: one single-reason create per account, its reason then deleted (untimed) except on fresh accounts, then one list of non-deleted reasons per account; the order rotates by round. ' +
  'Fresh, typical and baseline (100 live, no history) accounts are new every round; the large ones a pool used in turn; the accounts with history gain one deleted reason per round. ' +
  'Units: see the meter (computed by the rule for transactions).';

const count = (n: number) => n.toLocaleString('en-US');

function plans(o: HistoryOptions): AccountPlan[] {
  return [
    { role: 'fresh', label: 'fresh', live: 0, deleted: 0, copies: 'per round' },
    { role: 'typical', label: `${count(o.typicalLive)} live`, live: o.typicalLive, deleted: 0, copies: 'per round' },
    { role: 'big', label: `${count(o.bigLive)} live`, live: o.bigLive, deleted: 0, copies: o.pool },
    { role: 'largest', label: `${count(o.largestLive)} live (largest a create can grow)`, live: o.largestLive, deleted: 0, copies: o.pool },
    ...o.deleted.map((d): AccountPlan => ({ role: 'history', label: `${count(o.historyLive)} live + ${count(d)} deleted`, live: o.historyLive, deleted: d, copies: 1 })),
    { role: 'baseline', label: `${count(o.historyLive)} live, no history`, live: o.historyLive, deleted: 0, copies: 'per round' },
  ];
}

/** The same client for every store measured: the functions' own, with a longer time limit per call (a local run needs no other change). */
export function historyClient(endpoint: string): DynamoClient {
  return new DynamoClient({ endpoint, region: 'us-east-1', credentials: localCredentials, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 10_000 }) });
}

/** The SDK's client on the same settings: the table and the meter's sizing reads. */
const historySdkClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 10_000 }) });

type Handler = ReturnType<typeof createLivePersonHandler>;

async function answer(handler: Handler, event: ReturnType<typeof httpEvent>): Promise<any> {
  return body(event, await handler(event, lambdaContext()));
}

/** The answer's JSON; anything but a 200 fails the bench, saying which request got what. */
function body(event: ReturnType<typeof httpEvent>, result: Awaited<ReturnType<Handler>>): any {
  if (result.statusCode !== 200) throw new Error(`history bench: ${event.requestContext.http.method} ${event.rawPath} answered ${result.statusCode}: ${String(result.body).slice(0, 300)}`);
  return result.body ? JSON.parse(result.body) : undefined;
}

/**
 * `answer` for setting accounts up: a refusal that says nothing was written (503, 429) is sent
 * again after its Retry-After, as a client would; on a slow machine DynamoDB Local sometimes
 * outlasts a request's deadline, and the setup is not what is measured.
 */
async function settled(handler: Handler, event: () => ReturnType<typeof httpEvent>): Promise<any> {
  for (let tries = 1; ; tries++) {
    const request = event();
    const result = await handler(request, lambdaContext());
    if ((result.statusCode !== 503 && result.statusCode !== 429) || tries === 5) return body(request, result);
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(result.headers?.['retry-after'] ?? 1)));
  }
}

async function build(handler: Handler, accountId: string, plan: AccountPlan): Promise<void> {
  const create = (items: object[]) => settled(handler, () => httpEvent({ method: 'POST', path: BASE(accountId), body: items }));
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  for (let i = 0; i < plan.deleted; i += CHUNK) await create(range(i, Math.min(i + CHUNK, plan.deleted)).map((k) => ({ text: `Gone ${k}`, state: 'Away', deleted: true })));
  for (let i = 0; i < plan.live; i += CHUNK) await create(range(i, Math.min(i + CHUNK, plan.live)).map((k) => ({ text: `Live ${k}`, state: 'Away' })));
}

const rotate = <T>(list: T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length]!);

const figures = (samples: Sample[]): OpFigures => ({ latency: summarize(samples.map((s) => s.ms)), ...perOp(samples) });

function storeCommit(): string {
  try {
    return execFileSync('git', ['log', '-1', '--format=%h %cs %s', '--', 'functions'], { encoding: 'utf8' }).trim().slice(0, 100);
  } catch {
    return 'unknown';
  }
}

export async function benchHistory(endpoint: string, partial: Partial<HistoryOptions> = {}): Promise<HistoryResult> {
  const o: HistoryOptions = { ...HISTORY_DEFAULTS, ...partial };
  const loadAtStart = os.loadavg()[0]!;
  const client = historyClient(endpoint);
  const sizer = historySdkClient(endpoint);
  const meter = instrument(client, sizer);
  const tableName = `bench-history-${randomUUID().slice(0, 8)}`;
  try {
    await ensureTable(sizer, tableName);
    const store = new DynamoStatusReasonStore({ client, tableName, leaseMs: LEASE_MS });
    // No copies of lists: every list here reads the reasons, which is what this bench weighs against the history (reads.ts measures the copy).
    const handler = createLivePersonHandler({ store: () => store, listCopies: new ListCopies<string>(0) });
    const run = randomUUID().slice(0, 6);
    let made = 0;
    const newAccount = () => `h-${run}-${made++}`;
    const countReasons = async (accountId: string) => {
      const all = (await answer(handler, httpEvent({ method: 'GET', path: BASE(accountId), query: { include_deleted: 'true' } }))) as Array<{ deleted: boolean }>;
      return { live: all.filter((r) => !r.deleted).length, deleted: all.filter((r) => r.deleted).length };
    };
    const accounts = plans(o).map((plan) => ({ plan, ids: [] as string[], current: '', creates: [] as Sample[], lists: [] as Sample[], reasons: 0, found: { live: 0, deleted: 0 }, buildSeconds: 0 }));

    for (const a of accounts) {
      if (a.plan.copies === 'per round') continue;
      o.log(`  building ${a.plan.copies} × ${a.plan.label} ...`);
      const started = Date.now();
      for (let i = 0; i < a.plan.copies; i++) {
        a.ids.push(newAccount());
        await build(handler, a.ids[i]!, a.plan);
      }
      a.buildSeconds = (Date.now() - started) / 1000;
      a.found = await countReasons(a.ids[0]!);
    }

    o.log(`  ${o.warmup} + ${o.runs} rounds of ${accounts.length} creates and ${accounts.length} lists ...`);
    for (let round = 0; round < o.warmup + o.runs; round++) {
      const kept = round >= o.warmup;
      if (round > 0 && round % 50 === 0) o.log(`  round ${round} of ${o.warmup + o.runs} ...`);
      // This round's account of each kind.
      for (const a of accounts) {
        if (a.plan.copies !== 'per round') a.current = a.ids[round % a.ids.length]!;
        else {
          a.current = newAccount();
          await build(handler, a.current, a.plan);
          if (round === 0) a.found = await countReasons(a.current);
        }
      }
      for (const a of rotate(accounts, round)) {
        const event = httpEvent({ method: 'POST', path: BASE(a.current), body: { text: `Bench create ${round}`, state: 'Online' } });
        const sample = await measure(meter, () => answer(handler, event));
        if (kept) a.creates.push(sample);
        if (a.plan.role !== 'fresh') await answer(handler, httpEvent({ method: 'DELETE', path: `${BASE(a.current)}/${(sample.value as { id: number }).id}` }));
      }
      for (const a of rotate(accounts, round)) {
        const sample = await measure(meter, () => answer(handler, httpEvent({ method: 'GET', path: BASE(a.current) })));
        a.reasons = (sample.value as unknown[]).length;
        if (kept) a.lists.push(sample);
      }
    }

    return {
      date: new Date().toISOString(),
      machine: machine(loadAtStart),
      store: storeCommit(),
      runs: o.runs,
      warmup: o.warmup,
      method: METHOD,
      accounts: accounts.map((a) => ({
        ...a.plan,
        found: a.found,
        buildSeconds: a.buildSeconds,
        create: figures(a.creates),
        list: { ...figures(a.lists), reasons: a.reasons },
      })),
    };
  } finally {
    client.destroy();
    sizer.destroy();
  }
}

// ------------------------------------------------------------------ figures

/** DynamoDB on-demand prices, us-east-1, standard table class (USD per million request units). */
export const PRICES = {
  writePerMillion: 0.625,
  readPerMillion: 0.125,
  source:
    'us-east-1 on-demand: $0.625 per million write request units, $0.125 per million read request units (after AWS\'s November 2024 reduction), ' +
    'as quoted by airbyte.com/data-engineering-resources/dynamodb-pricing (page dated 2025-07-21 in the stored copy); ' +
    "the stored copy of aws.amazon.com/dynamodb/pricing/on-demand/ defines the units but carries no figures",
} as const;

/** USD for a million creates at the measured units per create. */
export const usdPerMillion = (op: { wcu: number; rcu: number }) => op.wcu * PRICES.writePerMillion + op.rcu * PRICES.readPerMillion;

export interface HistoryRatios {
  /** Create p50 on the account with the most history over fresh (target ≤ 1.2). */
  createHistoryOverFresh: number;
  /** List p50 on that account over the list of the same live reasons without history (≤ 1.2). */
  listHistoryOverBaseline: number;
  /** Create p50 at `bigLive` over fresh (≤ 1.5). */
  createBigOverFresh: number;
  /** Create p50 on the account with the most history over one with the same live reasons and none: what the history itself costs (no target). */
  createHistoryOverBaseline: number;
  labels: { history: string; baseline: string; big: string };
}

export const HISTORY_TARGETS = { createHistoryOverFresh: 1.2, listHistoryOverBaseline: 1.2, createBigOverFresh: 1.5 } as const;

const byRole = (r: HistoryResult, role: AccountRole) => r.accounts.filter((a) => a.role === role);

export function historyRatios(r: HistoryResult): HistoryRatios {
  const fresh = byRole(r, 'fresh')[0]!;
  const history = byRole(r, 'history').sort((a, b) => b.deleted - a.deleted)[0]!;
  const baseline = byRole(r, 'baseline')[0]!;
  const big = byRole(r, 'big')[0]!;
  return {
    createHistoryOverFresh: history.create.latency.p50 / fresh.create.latency.p50,
    listHistoryOverBaseline: history.list.latency.p50 / baseline.list.latency.p50,
    createBigOverFresh: big.create.latency.p50 / fresh.create.latency.p50,
    createHistoryOverBaseline: history.create.latency.p50 / baseline.create.latency.p50,
    labels: { history: history.label, baseline: baseline.label, big: big.label },
  };
}

export function historyTargetsMet(r: HistoryResult): Record<string, boolean> {
  const x = historyRatios(r);
  return {
    [`history: create p50, ${x.labels.history} ≤ ${HISTORY_TARGETS.createHistoryOverFresh}× fresh`]: x.createHistoryOverFresh <= HISTORY_TARGETS.createHistoryOverFresh,
    [`history: list p50, ${x.labels.history} ≤ ${HISTORY_TARGETS.listHistoryOverBaseline}× ${x.labels.baseline}`]: x.listHistoryOverBaseline <= HISTORY_TARGETS.listHistoryOverBaseline,
    [`history: create p50, ${x.labels.big} ≤ ${HISTORY_TARGETS.createBigOverFresh}× fresh`]: x.createBigOverFresh <= HISTORY_TARGETS.createBigOverFresh,
  };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const units = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const mark = (ok: boolean) => (ok ? '✅' : '❌');

/**
 * The history tables: one store's, or two side by side (`before` first). Rows
 * are matched by label, so both runs must have used the same account sizes.
 */
export function renderHistory(after: HistoryResult, before?: HistoryResult): string {
  const out: string[] = [];
  const stores = before ? [before, after] : [after];
  const name = (r: HistoryResult) => (before ? (r === before ? 'before' : 'after') : '');
  const pair = (f: (r: HistoryResult, a: HistoryAccount) => string, label: string) =>
    stores.map((r) => {
      const a = r.accounts.find((x) => x.label === label);
      return a ? f(r, a) : '–';
    });
  const heads = (what: string) => stores.map((r) => `${what}${before ? ` ${name(r)}` : ''}`);
  for (const r of stores) out.push(`${before ? `${name(r)}: ` : ''}store ${r.store}; ${r.date}; ${describeMachine(r.machine)}; ${r.runs} rounds after ${r.warmup} warm-up.`);
  out.push('');
  out.push('Single-reason creates, interleaved across the accounts (ms; requests, units per create):');
  out.push('');
  out.push(row(['account', 'found (live / deleted)', ...heads('p50'), ...heads('p99'), ...heads('p50 / fresh'), ...heads('requests'), ...heads('RCU'), ...heads('WCU')]));
  out.push(row(['---', '---:', ...Array.from({ length: stores.length * 6 }, () => '---:')]));
  for (const a of after.accounts) {
    const freshP50 = (r: HistoryResult) => byRole(r, 'fresh')[0]!.create.latency.p50;
    out.push(
      row([
        a.label,
        `${count(a.found.live)} / ${count(a.found.deleted)}`,
        ...pair((_, x) => ms(x.create.latency.p50), a.label),
        ...pair((_, x) => ms(x.create.latency.p99), a.label),
        ...pair((r, x) => (x.create.latency.p50 / freshP50(r)).toFixed(2), a.label),
        ...pair((_, x) => units(x.create.requests), a.label),
        ...pair((_, x) => units(x.create.rcu), a.label),
        ...pair((_, x) => units(x.create.wcu), a.label),
      ]),
    );
  }
  out.push('');
  out.push('Lists of the non-deleted reasons (ms; requests, read units per list):');
  out.push('');
  out.push(row(['account', 'reasons listed', ...heads('p50'), ...heads('p99'), ...heads('requests'), ...heads('RCU')]));
  out.push(row(['---', '---:', ...Array.from({ length: stores.length * 4 }, () => '---:')]));
  for (const a of after.accounts) {
    out.push(
      row([
        a.label,
        count(a.list.reasons),
        ...pair((_, x) => ms(x.list.latency.p50), a.label),
        ...pair((_, x) => ms(x.list.latency.p99), a.label),
        ...pair((_, x) => units(x.list.requests), a.label),
        ...pair((_, x) => units(x.list.rcu), a.label),
      ]),
    );
  }
  out.push('');
  for (const r of stores) {
    const x = historyRatios(r);
    const t = HISTORY_TARGETS;
    out.push(
      `${before ? `${name(r)}: ` : ''}create p50 ${x.labels.history} / fresh ${x.createHistoryOverFresh.toFixed(2)} ${mark(x.createHistoryOverFresh <= t.createHistoryOverFresh)} (≤ ${t.createHistoryOverFresh}); ` +
        `list p50 ${x.labels.history} / ${x.labels.baseline} ${x.listHistoryOverBaseline.toFixed(2)} ${mark(x.listHistoryOverBaseline <= t.listHistoryOverBaseline)} (≤ ${t.listHistoryOverBaseline}); ` +
        `create p50 ${x.labels.big} / fresh ${x.createBigOverFresh.toFixed(2)} ${mark(x.createBigOverFresh <= t.createBigOverFresh)} (≤ ${t.createBigOverFresh}); ` +
        `create p50 ${x.labels.history} / ${x.labels.baseline} ${x.createHistoryOverBaseline.toFixed(2)} (what the history itself costs; no target).`,
    );
  }
  out.push('');
  out.push('A million single-reason creates at on-demand prices (USD, from the units measured per create):');
  out.push('');
  out.push(row(['account', ...heads('WCU + RCU per create'), ...heads('USD per million creates')]));
  out.push(row(['---', ...Array.from({ length: stores.length * 2 }, () => '---:')]));
  for (const a of after.accounts.filter((x) => x.role === 'typical' || x.role === 'largest' || x.role === 'fresh')) {
    out.push(
      row([
        a.label,
        ...pair((_, x) => `${units(x.create.wcu)} + ${units(x.create.rcu)}`, a.label),
        ...pair((_, x) => `$${usdPerMillion(x.create).toFixed(2)}`, a.label),
      ]),
    );
  }
  out.push('');
  out.push(`Prices: ${PRICES.source}.`);
  return out.join('\n');
}

// ------------------------------------------------------------------ on its own

function argument(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice(name.length + 3) : argv[at + 1];
}

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const whole = (name: string, fallback: number) => {
    const raw = argument(name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number (got ${raw})`);
    return n;
  };
  const options: Partial<HistoryOptions> = {
    runs: Math.max(1, whole('runs', HISTORY_DEFAULTS.runs)),
    warmup: whole('warmup', HISTORY_DEFAULTS.warmup),
    deleted: argument('deleted')?.split(',').map(Number) ?? HISTORY_DEFAULTS.deleted,
    historyLive: whole('history-live', HISTORY_DEFAULTS.historyLive),
    pool: Math.max(1, whole('pool', HISTORY_DEFAULTS.pool)),
    bigLive: whole('big', HISTORY_DEFAULTS.bigLive),
    typicalLive: whole('typical', HISTORY_DEFAULTS.typicalLive),
    largestLive: whole('largest', HISTORY_DEFAULTS.largestLive),
    log: (line) => console.error(line),
  };
  console.error('starting DynamoDB Local ...');
  const engine = await startDynamoDbLocal();
  let result: HistoryResult;
  try {
    result = await benchHistory(engine.endpoint, options);
  } finally {
    await engine.stop();
  }
  console.log(`\n## History bench ${result.date}\n`);
  console.log(renderHistory(result));
  const out = argument('out');
  if (out) {
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`\nwrote ${out}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
