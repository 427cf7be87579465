// The benchmark's results: one object, printed as Markdown tables, saved as
// JSON and drawn as an SVG bar chart.
import { BUNDLE_LABELS, type Bundles, type FirstCreateResult, type ImportResult, type MemoryResult } from './cold.js';
import { INLINE_ALL, TRANSACTION_ITEMS, type ConcurrencyResult, type CreateResult, type ThresholdResult } from './creates.js';
import type { FloodResult } from './flood.js';
import { READS_TARGETS, renderReads, type ReadsResult } from './reads.js';
import { historyTargetsMet, renderHistory, usdPerMillion, type HistoryResult } from './history.js';
import type { Units } from './meter.js';
import type { Machine } from './machine.js';

export { machine, type Machine } from './machine.js';

export interface Targets {
  p50RatioMax: number;
  wcuPerReasonAt100Max: number;
  importRatioMax: number;
  /** Another account's create p50 while one account is flooded, over its p50 unloaded. */
  floodRatioMax: number;
}

export const TARGETS: Targets = { p50RatioMax: 1.2, wcuPerReasonAt100Max: 1.5, importRatioMax: 1.15, floodRatioMax: 1.5 };

export interface BenchResults {
  date: string;
  machine: Machine;
  /** How write units were counted. */
  capacityMethod: string;
  engine: string;
  config: { runs: number; warmup: number; sizes: number[] };
  creates: CreateResult[];
  /** The store's `transactionItems` at 24 and at 0. */
  threshold?: ThresholdResult[];
  history?: HistoryResult;
  /** The same history bench run against the store before the redesign (a saved result), for the side-by-side table. */
  historyBefore?: HistoryResult;
  concurrency?: ConcurrencyResult;
  flood?: FloodResult;
  reads?: ReadsResult;
  bundles?: Bundles;
  imports?: ImportResult;
  firstCreate?: FirstCreateResult;
  memory?: MemoryResult;
  targets: Targets & { met: Record<string, boolean> };
}

export function targetsMet(r: Omit<BenchResults, 'targets'>): Record<string, boolean> {
  const met: Record<string, boolean> = {};
  for (const c of r.creates) met[`p50 ratio, ${c.size} reasons`] = c.ratioP50 <= TARGETS.p50RatioMax;
  const at100 = r.creates.find((c) => c.size === 100);
  if (at100) met['write units per reason at 100'] = at100.handler.wcuPerReason <= TARGETS.wcuPerReasonAt100Max;
  if (r.imports) met['import-time ratio'] = r.imports.ratio <= TARGETS.importRatioMax;
  if (r.flood) met['another account while one is flooded'] = r.flood.ratio <= TARGETS.floodRatioMax && r.flood.quietAllApplied;
  if (r.history) Object.assign(met, historyTargetsMet(r.history));
  for (const u of r.reads?.unchanged ?? []) {
    met[`list of an unchanged account (${u.reasons} reasons) ≤ ${READS_TARGETS.copyOver304Max}× a 304`] = u.ratio <= READS_TARGETS.copyOver304Max;
    met[`list of an unchanged account (${u.reasons} reasons) ≤ ${READS_TARGETS.copyRcuMax} RCU`] = u.copy.rcu <= READS_TARGETS.copyRcuMax;
  }
  if (r.reads?.flood) {
    met['quiet list under a read flood ≤ 1.1× spread'] = r.reads.flood.listRatio <= READS_TARGETS.floodRatioMax;
    met['quiet create under a read flood ≤ 1.1× spread'] = r.reads.flood.createRatio <= READS_TARGETS.floodRatioMax;
  }
  return met;
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const x2 = (v: number) => v.toFixed(2);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const mark = (ok: boolean) => (ok ? '✅' : '❌');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

function row(cells: Array<string | number>): string {
  return `| ${cells.join(' | ')} |`;
}

const SHORT_NAMES: Record<string, string> = {
  UpdateItemCommand: 'lease UpdateItem',
  TransactWriteItemsCommand: 'commit TransactWriteItems',
  BatchWriteItemCommand: 'BatchWriteItem',
};

/** "lease UpdateItem 1, commit TransactWriteItems 4" (write units per create by call). */
const unitsByCall = (units: Record<string, Units>) =>
  Object.entries(units)
    .filter(([, u]) => u.wcu > 0)
    .map(([name, u]) => `${SHORT_NAMES[name] ?? name.replace(/Command/, '')} ${num(u.wcu)}`)
    .join(', ');

export function renderTables(r: BenchResults): string {
  const out: string[] = [];
  const { runs, warmup } = r.config;
  out.push(`Creates on fresh accounts: ${runs} runs per size after ${warmup} warm-up runs, handler and floor interleaved. Latency in ms.`);
  out.push('');
  out.push(
    row([
      'reasons',
      'handler p50',
      'handler p99',
      'floor p50',
      'floor p99',
      `p50 ratio (≤ ${TARGETS.p50RatioMax})`,
      'p99 ratio',
      'Node-side p50 handler / floor',
      'requests / HTTP attempts per create (minimum)',
      'RCU per create',
      'WCU per create: handler / floor / floor by rule',
      `WCU per reason (≤ ${TARGETS.wcuPerReasonAt100Max} at 100)`,
    ]),
  );
  out.push(row(Array.from({ length: 12 }, (_, i) => (i === 0 ? '---' : '---:'))));
  for (const c of r.creates) {
    out.push(
      row([
        c.size,
        ms(c.handler.latency.p50),
        ms(c.handler.latency.p99),
        ms(c.floor.latency.p50),
        ms(c.floor.latency.p99),
        `${x2(c.ratioP50)} ${mark(c.ratioP50 <= TARGETS.p50RatioMax)}`,
        x2(c.ratioP99),
        `${ms(c.handler.outsideP50)} / ${ms(c.floor.outsideP50)}`,
        `${num(c.handler.requests)} / ${num(c.handler.attempts)} (${c.minimumRequests})`,
        num(c.handler.rcu),
        `${num(c.handler.wcu)} / ${num(c.floor.wcu)} / ${c.floorRule.wcu}`,
        `${x2(c.handler.wcuPerReason)}${c.size === 100 ? ` ${mark(c.handler.wcuPerReason <= TARGETS.wcuPerReasonAt100Max)}` : ''}`,
      ]),
    );
  }
  out.push('');
  out.push('Write units per create by call (handler): ' + r.creates.map((c) => `${c.size} reasons: ${unitsByCall(c.handler.units)}`).join('; ') + '.');
  const mismatches = r.creates.filter((c) => c.floor.wcu !== c.floorRule.wcu || c.handler.wcu !== c.floor.wcu);
  out.push(
    mismatches.length
      ? `Units check: ${mismatches.map((c) => `${c.size} reasons: handler ${num(c.handler.wcu)}, floor ${num(c.floor.wcu)}, floor by rule ${c.floorRule.wcu}`).join('; ')} differ.`
      : 'Units check: the handler\'s metered write units equal the floor\'s, and the floor\'s equal those worked out by the rule from the items it wrote and #META read back.',
  );
  if (r.threshold?.length) {
    out.push('');
    out.push(`The store's transactionItems at ${INLINE_ALL} (these creates put their reasons inside the commit transaction) against 0 (every create writes its reasons by BatchWriteItem, then commits), through the handler on fresh accounts, interleaved; the default is ${TRANSACTION_ITEMS}.`);
    out.push('');
    out.push(row(['reasons', `p50 (${INLINE_ALL})`, 'p50 (0)', `p99 (${INLINE_ALL})`, 'p99 (0)', `p50 0 / ${INLINE_ALL}`, `requests (${INLINE_ALL} / 0)`, `WCU per create (${INLINE_ALL} / 0)`, `USD per million creates (${INLINE_ALL} / 0)`]));
    out.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const t of r.threshold) {
      out.push(
        row([
          t.size,
          ms(t.inline.latency.p50),
          ms(t.batch.latency.p50),
          ms(t.inline.latency.p99),
          ms(t.batch.latency.p99),
          x2(t.ratioP50),
          `${num(t.inline.requests)} / ${num(t.batch.requests)}`,
          `${num(t.inline.wcu)} / ${num(t.batch.wcu)}`,
          `$${usdPerMillion(t.inline).toFixed(2)} / $${usdPerMillion(t.batch).toFixed(2)}`,
        ]),
      );
    }
  }
  if (r.concurrency) {
    const c = r.concurrency;
    out.push('');
    out.push(`${c.writers} concurrent writers on one account, ${c.createsPerWriter} creates of ${c.reasonsPerCreate} reason(s) each, through the handler.`);
    out.push('');
    out.push(row(['creates', 'throughput (creates/s)', 'p50 (ms)', 'p99 (ms)', 'retries (lease-busy)', 'retries per create', 'refused (by status)', 'requests per create', 'WCU per create', 'between commits p50 / p90 (ms)']));
    out.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    out.push(
      row([
        c.creates,
        c.throughput.toFixed(1),
        ms(c.latency.p50),
        ms(c.latency.p99),
        c.retries,
        x2(c.retriesPerCreate),
        c.failed ? `${c.failed} (${Object.entries(c.statuses).filter(([k]) => k !== '200').map(([k, v]) => `${v} × ${k}`).join(', ')})` : '0',
        x2(c.requestsPerCreate),
        x2(c.wcuPerCreate),
        `${ms(c.turnP50)} / ${ms(c.turnP90)}`,
      ]),
    );
    const one = r.creates.find((x) => x.size === c.reasonsPerCreate);
    if (one) {
      const ceiling = 1000 / one.handler.latency.p50;
      out.push('');
      out.push(
        `One commit of an account runs at a time; a lone create's p50 allows ~1000 / p50 = ${ceiling.toFixed(0)} commits/s here, and ${c.writers} writers reached ${((c.throughput / ceiling) * 100).toFixed(0)}% of that in creates/s (a holder's commit also carries the small creates waiting behind it: group commit).`,
      );
    }
  }
  if (r.flood) {
    const f = r.flood;
    const answers = (side: FloodResult['flood']) => `${side.sent}: ${Object.entries(side.statuses).map(([k, v]) => `${v} × ${k}`).join(', ')}`;
    out.push('');
    out.push(
      `One account flooded with ${f.rate} creates/s (open loop, from another process, store defaults) while another account's single creates run one at a time; ` +
        `${f.unloaded.n} creates each way, in blocks alternating between unloaded, flooded, and the control: the same ${f.rate} creates/s spread over as many accounts (the machine as loaded, no account contended).`,
    );
    out.push('');
    out.push(row(['the other account\'s creates', 'p50 (ms)', 'p99 (ms)', `p50 / unloaded (≤ ${TARGETS.floodRatioMax})`, 'flood: sent, answers', 'flood applied/s']));
    out.push(row(['---', '---:', '---:', '---:', '---', '---:']));
    out.push(row(['unloaded', ms(f.unloaded.p50), ms(f.unloaded.p99), '1.00', '', '']));
    out.push(row([`one account flooded`, ms(f.loaded.p50), ms(f.loaded.p99), `${x2(f.ratio)} ${mark(f.ratio <= TARGETS.floodRatioMax)}`, answers(f.flood), f.flood.appliedPerSecond.toFixed(1)]));
    out.push(row([`control: the same load over ${f.rate}/s fresh accounts`, ms(f.control.loaded.p50), ms(f.control.loaded.p99), x2(f.control.ratio), answers(f.control.flood), f.control.flood.appliedPerSecond.toFixed(1)]));
    out.push('');
    out.push(
      `Flooded over control (what the contended account costs the others beyond the load itself): ${x2(f.loaded.p50 / f.control.loaded.p50)}. ` +
        `Every one of the other account's ${f.quietCreates} creates answered 200: ${f.quietAllApplied ? 'yes' : 'no'}.`,
    );
  }
  if (r.reads) {
    out.push('');
    out.push(renderReads(r.reads));
  }
  if (r.bundles && r.imports) {
    const b = r.bundles;
    const i = r.imports;
    out.push('');
    out.push(`Cold start: esbuild bundles (esm, node20, minified), imported in fresh Node processes (median of ${i.runs}).`);
    out.push('');
    out.push(row(['bundle', 'size', 'gzip', 'import (ms)', 'import / SDK', 'import CPU (ms)', 'CPU / SDK', 'whole process (ms)']));
    out.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
    for (const key of Object.keys(BUNDLE_LABELS) as Array<keyof Bundles>) {
      const bundle = b[key];
      const t = i.importMs[key];
      const c = i.importCpuMs[key];
      out.push(row([BUNDLE_LABELS[key], kb(bundle.bytes), kb(bundle.gzipBytes), ms(t), x2(t / i.sdkMs), ms(c), x2(c / i.importCpuMs.sdk), ms(i.processMs[key])]));
    }
    out.push(row(['node with an empty module', '', '', '', '', '', '', ms(i.bareNodeProcessMs)]));
    out.push('');
    out.push(
      `Import-time ratio handler / SDK: ${x2(i.ratio)} ${mark(i.ratio <= TARGETS.importRatioMax)} (target ≤ ${TARGETS.importRatioMax}); by CPU time: ${x2(i.cpuRatio)}; median of the per-round ratios: ${x2(i.pairedRatio)}; against the minimal SDK bundle: ${x2(i.ratioVsMinimal)}; the direct-invoke function: ${x2(i.invokeRatio)}.`,
    );
    out.push(`Largest parts of the handler bundle: ${b.handler.topPackages.slice(0, 6).map((p) => `${p.name} ${kb(p.bytes)}`).join(', ')}.`);
  }
  if (r.firstCreate) {
    const f = r.firstCreate;
    out.push('');
    out.push(`First creates in a fresh process (1 reason, median of ${f.runs}), ms:`);
    out.push('');
    out.push(row(['', 'import', 'first create', 'second create']));
    out.push(row(['---', '---:', '---:', '---:']));
    out.push(row(['HTTP function (LivePerson create)', ms(f.handler.importMs), ms(f.handler.firstMs), ms(f.handler.secondMs)]));
    out.push(row(['HTTP function (Connect CreateAgentStatus)', ms(f.connect.importMs), ms(f.connect.firstMs), ms(f.connect.secondMs)]));
    out.push(row(['direct-invoke function (createStatusReasons)', ms(f.invoke.importMs), ms(f.invoke.firstMs), ms(f.invoke.secondMs)]));
    out.push(row(['floor (SDK bundle, client made on first call)', ms(f.floor.importMs), ms(f.floor.firstMs), ms(f.floor.secondMs)]));
  }
  if (r.memory) {
    const m = r.memory;
    out.push('');
    out.push(`Memory of a 100-reason create (handler bundle in fresh processes, median of ${m.runs}):`);
    out.push('');
    out.push(row(['peak RSS, loaded + one 1-reason create', 'peak RSS, then one 100-reason create', 'added by the 100-reason create', 'JS heap allocated by one warm 100-reason create', 'retained after GC']));
    out.push(row(['---:', '---:', '---:', '---:', '---:']));
    out.push(row([`${m.baselineMaxRssMb.toFixed(1)} MB`, `${m.createMaxRssMb.toFixed(1)} MB`, `${m.createAddsMb.toFixed(1)} MB`, `${m.allocatedMb.toFixed(1)} MB`, `${m.retainedMb.toFixed(2)} MB`]));
  }
  if (r.history) {
    out.push('');
    out.push(`Account history${r.historyBefore ? ': before (the store before the redesign, a saved run) and after (this run)' : ''}.`);
    out.push('');
    out.push(renderHistory(r.history, r.historyBefore));
  }
  out.push('');
  out.push('Targets: ' + Object.entries(r.targets.met).map(([k, ok]) => `${k} ${mark(ok)}`).join('; '));
  return out.join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels (p50, p99), a pair of bars (handler, floor) per request size. */
export function renderSvg(r: BenchResults): string {
  const width = 760;
  const height = 350;
  const panelW = 330;
  const top = 78;
  const plotH = 200;
  const colors = { handler: '#2563eb', floor: '#9ca3af' };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">Create latency: handler vs the DynamoDB floor (ms)</text>`);
  parts.push(
    `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${esc(`${r.config.runs} runs per size, DynamoDB Local, ${r.machine.cores} cores, Node ${r.machine.node}, ${r.date.slice(0, 10)}`)}</text>`,
  );
  const panels: Array<{ key: 'p50' | 'p99'; x: number }> = [
    { key: 'p50', x: 50 },
    { key: 'p99', x: 50 + panelW + 40 },
  ];
  for (const panel of panels) {
    const values = r.creates.flatMap((c) => [c.handler.latency[panel.key], c.floor.latency[panel.key]]);
    const max = niceMax(Math.max(...values, 1));
    const y = (v: number) => top + plotH - (v / max) * plotH;
    parts.push(`<text x="${panel.x + panelW / 2}" y="${top - 14}" text-anchor="middle" font-weight="600">${panel.key} (ms)</text>`);
    for (let t = 0; t <= 4; t++) {
      const v = (max / 4) * t;
      parts.push(`<line x1="${panel.x}" x2="${panel.x + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/>`);
      parts.push(`<text x="${panel.x - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`);
    }
    parts.push(`<line x1="${panel.x}" x2="${panel.x + panelW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#111"/>`);
    const groupW = panelW / r.creates.length;
    const barW = Math.min(36, groupW / 3);
    r.creates.forEach((c, i) => {
      const gx = panel.x + groupW * i + groupW / 2;
      const bars: Array<['handler' | 'floor', number]> = [
        ['handler', c.handler.latency[panel.key]],
        ['floor', c.floor.latency[panel.key]],
      ];
      bars.forEach(([who, v], j) => {
        const bx = gx - barW + j * barW;
        parts.push(`<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${colors[who]}"><title>${who} ${panel.key}, ${c.size} reasons: ${ms(v)} ms</title></rect>`);
        parts.push(`<text x="${(bx + (barW - 2) / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${ms(v)}</text>`);
      });
      parts.push(`<text x="${gx}" y="${top + plotH + 16}" text-anchor="middle">${c.size} reason${c.size === 1 ? '' : 's'}</text>`);
      const ratio = panel.key === 'p50' ? c.ratioP50 : c.ratioP99;
      parts.push(`<text x="${gx}" y="${top + plotH + 30}" text-anchor="middle" fill="#555" font-size="11">handler/floor ${x2(ratio)}</text>`);
    });
  }
  const ly = height - 16;
  parts.push(`<rect x="120" y="${ly - 10}" width="12" height="12" fill="${colors.handler}"/>`);
  parts.push(`<text x="137" y="${ly}">handler (event in, response out)</text>`);
  parts.push(`<rect x="400" y="${ly - 10}" width="12" height="12" fill="${colors.floor}"/>`);
  parts.push(`<text x="417" y="${ly}">floor (the same DynamoDB calls, raw SDK)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function niceMax(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= v) return step * exp;
  return 10 * exp;
}
