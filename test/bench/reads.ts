// What a list costs when the account has not changed, and what one account read
// at full speed costs the others.
//
// Unchanged lists: accounts of a few sizes, built through the handler; then, in
// rounds, interleaved: a list answered from the container's copy (one GetItem
// of #META, platform/list-copies.ts), a list with the current revision in
// If-None-Match (304, the same GetItem), and a list through a handler that keeps
// no copy (a Query of every reason and #META read again: every list before the
// copy). Latency, requests and read units of each.
//
// Read flood: as flood.ts does for writes. Another process sends `rate` lists a
// second, open loop, to one account (each request its own, as separate Lambdas
// would); meanwhile a quiet account is listed and written, one request at a
// time, in blocks alternating with the control, where the same rate is spread
// over many accounts. The flooding process is one container: its lists come from
// its copy, as each Lambda's would after its first. Locally the flood, the quiet
// client and DynamoDB Local share the machine's cores; DynamoDB's per-partition
// limits are not emulated.
import { FloodTally, takingTurns, type FloodReport } from './open-loop.js';
import { fileURLToPath } from 'node:url';
import type { DynamoClient } from '../../functions/aws/dynamodb.js';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { ListCopies } from '../../functions/platform/list-copies.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';
import { accounts, benchClient } from './creates.js';
import { instrument } from './meter.js';
import { summarize, type Summary } from './stats.js';

export interface ReadsOptions {
  /** Live reasons of the accounts listed unchanged. */
  sizes: number[];
  runs: number;
  warmup: number;
  /** Lists per second sent to the flooded account (0 skips the flood). */
  floodRate: number;
  /** Quiet lists and creates per block, and blocks of each kind. */
  perBlock: number;
  blocks: number;
  /** Accounts the control spreads the flood over, and the reasons of every flooded account. */
  spreadAccounts: number;
  floodReasons: number;
  log?: (line: string) => void;
}

export const READS_DEFAULTS: Omit<ReadsOptions, 'log'> = { sizes: [20, 999], runs: 200, warmup: 20, floodRate: 200, perBlock: 40, blocks: 4, spreadAccounts: 50, floodReasons: 100 };

export interface ListFigures {
  latency: Summary;
  requests: number;
  rcu: number;
}

export interface UnchangedResult {
  reasons: number;
  /** Bytes of the list's answer. */
  bodyBytes: number;
  copy: ListFigures;
  notModified: ListFigures;
  noCopy: ListFigures;
  /** copy p50 / 304 p50 (target ≤ 1.2). */
  ratio: number;
}

export interface ReadFloodResult {
  rate: number;
  quiet: Record<'unloaded' | 'flooded' | 'control', { list: Summary; create: Summary }>;
  /** Flooded over control, p50, for the quiet account's lists and creates (target ≤ 1.1 each). */
  listRatio: number;
  createRatio: number;
  flood: { sent: number; statuses: Record<string, number>; perSecond: number };
  control: { sent: number; statuses: Record<string, number>; perSecond: number };
  quietAllAnswered: boolean;
}

export interface ReadsResult {
  unchanged: UnchangedResult[];
  flood?: ReadFloodResult;
}

export const READS_TARGETS = { copyOver304Max: 1.2, copyRcuMax: 1, floodRatioMax: 1.1 } as const;

type Handler = ReturnType<typeof createLivePersonHandler>;

/** A LivePerson handler with store defaults over `client`; `copies: false` keeps no copy. */
export function livePerson(client: DynamoClient, tableName: string, copies = true): Handler {
  const store = new DynamoStatusReasonStore({ client, tableName });
  return createLivePersonHandler({ store: (scope) => store.scoped(scope), ...(!copies && { listCopies: new ListCopies<string>(0) }) });
}

const listEvent = (account: string, headers: Record<string, string> = {}) => httpEvent({ method: 'GET', path: BASE(account), headers });

/** An account with `n` live reasons, made through the handler 100 at a time. */
export async function build(handler: Handler, account: string, n: number): Promise<void> {
  for (let made = 0; made < n; made += 100) {
    const body = Array.from({ length: Math.min(100, n - made) }, (_, i) => ({ text: `Reason ${made + i} of ${account}`, state: 'Away', order: made + i }));
    const result = await handler(httpEvent({ method: 'POST', path: BASE(account), body }), lambdaContext());
    if (result.statusCode !== 200) throw new Error(`building ${account}: ${result.statusCode} ${result.body}`);
  }
}

export async function benchUnchangedLists(endpoint: string, tableName: string, o: ReadsOptions): Promise<UnchangedResult[]> {
  const client = benchClient(endpoint);
  const meter = instrument(client);
  const withCopy = livePerson(client, tableName);
  const withoutCopy = livePerson(client, tableName, false);
  const next = accounts('r');
  const out: UnchangedResult[] = [];
  try {
    for (const size of o.sizes) {
      o.log?.(`  unchanged lists: an account of ${size} reasons ...`);
      const account = next();
      await build(withCopy, account, size);
      const first = await withCopy(listEvent(account), lambdaContext());
      const revision = String(first.headers?.['ac-revision']);
      const samples = { copy: [] as number[], notModified: [] as number[], noCopy: [] as number[] };
      const units = { copy: { requests: 0, rcu: 0 }, notModified: { requests: 0, rcu: 0 }, noCopy: { requests: 0, rcu: 0 } };
      const kinds: Array<[keyof typeof samples, Handler, Record<string, string>, number]> = [
        ['copy', withCopy, {}, 200],
        ['notModified', withCopy, { 'if-none-match': revision }, 304],
        ['noCopy', withoutCopy, {}, 200],
      ];
      for (let i = 0; i < o.warmup + o.runs; i++) {
        for (const [kind, handler, headers, status] of i % 2 ? kinds : [...kinds].reverse()) {
          meter.reset();
          const t = performance.now();
          const result = await handler(listEvent(account, headers), lambdaContext());
          const ms = performance.now() - t;
          if ((result.statusCode ?? 200) !== status) throw new Error(`${kind} list answered ${result.statusCode}`);
          if (i < o.warmup) continue;
          const snap = meter.snapshot();
          samples[kind].push(ms);
          units[kind].requests += snap.requests;
          units[kind].rcu += snap.rcu;
        }
      }
      const figures = (kind: keyof typeof samples): ListFigures => ({ latency: summarize(samples[kind]), requests: units[kind].requests / o.runs, rcu: units[kind].rcu / o.runs });
      const copy = figures('copy');
      const notModified = figures('notModified');
      out.push({ reasons: size, bodyBytes: Buffer.byteLength(first.body ?? ''), copy, notModified, noCopy: figures('noCopy'), ratio: copy.latency.p50 / notModified.latency.p50 });
    }
  } finally {
    client.destroy();
  }
  return out;
}

const FLOOD_PROCESS = fileURLToPath(new URL('./reads-flood-process.ts', import.meta.url));

export async function benchReadFlood(endpoint: string, tableName: string, o: ReadsOptions): Promise<ReadFloodResult> {
  const client = benchClient(endpoint);
  const handler = livePerson(client, tableName);
  const next = accounts('q');
  const flooded = next();
  const spread = Array.from({ length: o.spreadAccounts }, () => next());
  o.log?.(`  read flood: building ${1 + spread.length} accounts of ${o.floodReasons} reasons ...`);
  for (const account of [flooded, ...spread]) await build(handler, account, o.floodReasons);
  const quiet = next();
  await build(handler, quiet, 20);
  let failed = 0;
  const samples = { unloaded: { list: [] as number[], create: [] as number[] }, flooded: { list: [] as number[], create: [] as number[] }, control: { list: [] as number[], create: [] as number[] } };
  let created = 0;
  const quietBlock = async (into: { list: number[]; create: number[] }) => {
    for (let i = 0; i < o.perBlock; i++) {
      let t = performance.now();
      const listed = await handler(listEvent(quiet), lambdaContext());
      into.list.push(performance.now() - t);
      t = performance.now();
      const made = await handler(httpEvent({ method: 'POST', path: BASE(quiet), body: { text: `quiet ${created++}`, state: 'Away' } }), lambdaContext());
      into.create.push(performance.now() - t);
      if (listed.statusCode !== 200 || made.statusCode !== 200) failed++;
      // Keep the quiet account's size put: delete what was made (untimed).
      const id = JSON.parse(made.body ?? '{}').id;
      if (id !== undefined) await handler(httpEvent({ method: 'DELETE', path: `${BASE(quiet)}/${id}` }), lambdaContext());
    }
  };
  const floods = new FloodTally(['one', 'spread'] as const);
  const withFlood = (mode: 'one' | 'spread', work: () => Promise<void>) =>
    floods.during(mode, FLOOD_PROCESS, [endpoint, tableName, JSON.stringify(mode === 'one' ? [flooded] : spread), String(o.floodRate)], work);
  try {
    await quietBlock({ list: [], create: [] });
    for (let b = 0; b < o.blocks; b++) {
      o.log?.(`  read flood block ${b + 1}/${o.blocks}`);
      await quietBlock(samples.unloaded);
      await takingTurns(
        b,
        () => withFlood('one', () => quietBlock(samples.flooded)),
        () => withFlood('spread', () => quietBlock(samples.control)),
      );
    }
  } finally {
    client.destroy();
  }
  const both = (s: { list: number[]; create: number[] }) => ({ list: summarize(s.list), create: summarize(s.create) });
  const quietFigures = { unloaded: both(samples.unloaded), flooded: both(samples.flooded), control: both(samples.control) };
  const side = ({ sent, statuses, seconds }: FloodReport) => ({ sent, statuses, perSecond: sent / Math.max(seconds, 1e-9) });
  return {
    rate: o.floodRate,
    quiet: quietFigures,
    listRatio: quietFigures.flooded.list.p50 / quietFigures.control.list.p50,
    createRatio: quietFigures.flooded.create.p50 / quietFigures.control.create.p50,
    flood: side(floods.sides.one),
    control: side(floods.sides.spread),
    quietAllAnswered: failed === 0,
  };
}

export async function benchReads(endpoint: string, tableName: string, o: ReadsOptions): Promise<ReadsResult> {
  const unchanged = await benchUnchangedLists(endpoint, tableName, o);
  const flood = o.floodRate > 0 ? await benchReadFlood(endpoint, tableName, o) : undefined;
  return { unchanged, ...(flood && { flood }) };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mark = (ok: boolean) => (ok ? '✅' : '❌');

export function renderReads(r: ReadsResult): string {
  const out: string[] = [];
  out.push('Lists of an unchanged account (LivePerson GET list; ms; requests and read units per list):');
  out.push('');
  out.push('| reasons | answer | from the copy p50 | 304 p50 | no copy p50 | copy / 304 (≤ 1.2) | p99 copy / 304 / no copy | requests copy / 304 / no copy | RCU copy / 304 / no copy |');
  out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const u of r.unchanged) {
    out.push(
      `| ${u.reasons} | ${(u.bodyBytes / 1024).toFixed(0)} KB | ${ms(u.copy.latency.p50)} | ${ms(u.notModified.latency.p50)} | ${ms(u.noCopy.latency.p50)} | ${u.ratio.toFixed(2)} ${mark(u.ratio <= READS_TARGETS.copyOver304Max)} | ` +
        `${ms(u.copy.latency.p99)} / ${ms(u.notModified.latency.p99)} / ${ms(u.noCopy.latency.p99)} | ${u.copy.requests} / ${u.notModified.requests} / ${u.noCopy.requests} | ${u.copy.rcu} / ${u.notModified.rcu} / ${u.noCopy.rcu} |`,
    );
  }
  const f = r.flood;
  if (f) {
    out.push('');
    out.push(`A quiet account's list and create, one at a time, while another process lists at ${f.rate}/s (ms):`);
    out.push('');
    out.push('| condition | list p50 | list p99 | create p50 | create p99 | the flood: sent, answers |');
    out.push('| --- | ---: | ---: | ---: | ---: | --- |');
    const row = (label: string, q: { list: Summary; create: Summary }, extra = '') => out.push(`| ${label} | ${ms(q.list.p50)} | ${ms(q.list.p99)} | ${ms(q.create.p50)} | ${ms(q.create.p99)} | ${extra} |`);
    const answers = (s: ReadFloodResult['flood']) => `${s.sent} sent (${s.perSecond.toFixed(0)}/s): ${Object.entries(s.statuses).map(([k, n]) => `${n} × ${k}`).join(', ')}`;
    row('unloaded', f.quiet.unloaded);
    row('one account flooded', f.quiet.flooded, answers(f.flood));
    row('control: the same rate over many accounts', f.quiet.control, answers(f.control));
    out.push('');
    out.push(
      `Flooded / control p50: list ${f.listRatio.toFixed(2)} ${mark(f.listRatio <= READS_TARGETS.floodRatioMax)}, create ${f.createRatio.toFixed(2)} ${mark(f.createRatio <= READS_TARGETS.floodRatioMax)} (targets ≤ ${READS_TARGETS.floodRatioMax}); every quiet request answered 200: ${f.quietAllAnswered ? 'yes' : 'no'}.`,
    );
  }
  return out.join('\n');
}
