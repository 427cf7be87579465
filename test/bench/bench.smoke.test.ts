// The benchmark still runs: every part of it with tiny counts against the test
// engine. Checks the result's shape and sanity, never timings, and writes no files.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ROOT } from './cold.js';
import { INLINE_ALL, minimumRequests, TRANSACTION_ITEMS } from './creates.js';
import { historyRatios, usdPerMillion } from './history.js';
import { renderSvg, renderTables, type BenchResults } from './report.js';
import { runSuite } from './suite.js';

const resultsFile = path.join(ROOT, 'bench/results.json');
const stamp = () => (existsSync(resultsFile) ? statSync(resultsFile).mtimeMs : undefined);

describe('benchmark (smoke)', () => {
  it('runs every part with tiny counts and returns sane figures', { timeout: 240_000 }, async () => {
    const before = stamp();
    const r: BenchResults = await runSuite(inject('dynamoEndpoint'), {
      sizes: [1, 10],
      runs: 3,
      warmup: 1,
      writers: 3,
      createsPerWriter: 2,
      importRuns: 1,
      firstCreateRuns: 1,
      memoryRuns: 1,
      thresholdSizes: [1, 10],
      history: { runs: 2, warmup: 0, deleted: [30, 120], historyLive: 5, bigLive: 40, typicalLive: 3, largestLive: 50, pool: 2 },
      flood: { rate: 40, perBlock: 3, blocks: 1, warmup: 1 },
      reads: { sizes: [3], runs: 2, warmup: 1, floodRate: 20, perBlock: 2, blocks: 1, spreadAccounts: 2, floodReasons: 3 },
    });

    expect(r.creates.map((c) => c.size)).toEqual([1, 10]);
    for (const c of r.creates) {
      expect(c.runs).toBe(3);
      for (const side of [c.handler, c.floor]) {
        expect(side.latency.n).toBe(3);
        expect(side.latency.p50).toBeGreaterThan(0);
        expect(side.latency.p99).toBeGreaterThanOrEqual(side.latency.p50);
        expect(side.outsideP50).toBeGreaterThanOrEqual(0);
        expect(side.attempts).toBeGreaterThanOrEqual(side.requests);
        // Up to TRANSACTION_ITEMS reasons go inside the commit (2 units each there), more by BatchWriteItem (1 each);
        // plus the lease, #META's 2 and 2 per text bucket in the commit.
        const inline = c.size <= TRANSACTION_ITEMS;
        expect(side.wcu).toBeGreaterThanOrEqual((inline ? 2 : 1) * c.size + 5);
        expect(side.units.TransactWriteItemsCommand!.wcu).toBeGreaterThanOrEqual(inline ? 2 * (c.size + 2) : 4);
        // The read beside the lease: #META and the buckets of the texts, 2 units each (a transactional read).
        expect(side.rcu).toBeGreaterThanOrEqual(4);
        expect(side.units.TransactGetItemsCommand!.rcu).toBe(side.rcu);
        expect(side.unreported).toBe(0);
      }
      // The meter's units: the handler's equal the floor's, which equal the rule worked out on its own.
      expect(c.floor.wcu).toBe(c.floorRule.wcu);
      expect(c.handler.wcu).toBe(c.floor.wcu);
      expect(c.minimumRequests).toBe(minimumRequests(c.size));
      expect(c.floor.requests).toBe(c.minimumRequests);
      expect(c.handler.requests).toBe(c.minimumRequests);
      for (const ratio of [c.ratioP50, c.ratioP99, c.pairedRatioMedian]) {
        expect(Number.isFinite(ratio)).toBe(true);
        expect(ratio).toBeGreaterThan(0);
      }
    }

    // transactionItems 0 sends the reasons by BatchWriteItem (one request more) at 1 unit each instead of 2.
    expect(r.threshold!.map((t) => t.size)).toEqual([1, 10]);
    for (const t of r.threshold!) {
      expect(t.inline.requests).toBe(minimumRequests(t.size, INLINE_ALL));
      expect(t.batch.requests).toBe(minimumRequests(t.size, 0));
      expect(t.inline.wcu - t.batch.wcu).toBe(t.size); // the reasons, billed twice inside the transaction
      expect(Number.isFinite(t.ratioP50)).toBe(true);
    }

    const h = r.history!;
    expect(h.runs).toBe(2);
    expect(h.accounts.map((a) => a.role)).toEqual(['fresh', 'typical', 'big', 'largest', 'history', 'history', 'baseline']);
    for (const a of h.accounts) {
      if (a.role !== 'fresh') expect(a.found).toEqual({ live: a.live, deleted: a.deleted });
      expect(a.list.latency.n).toBe(2);
      expect(a.list.reasons).toBe(a.role === 'fresh' ? 1 : a.live);
      expect(a.list.rcu).toBeGreaterThan(0);
      expect(a.create.latency.n).toBe(2);
      // The lease and the read beside it (#META and the text's bucket), then the commit.
      expect(a.create.requests).toBe(3);
      // The lease, then #META, the bucket and the reason, each twice over in the commit.
      expect(a.create.wcu).toBeGreaterThanOrEqual(7);
      expect(usdPerMillion(a.create)).toBeGreaterThan(0);
    }
    // Deleted reasons cost a create or a list nothing: their units are the history-free account's.
    const baseline = h.accounts.find((a) => a.role === 'baseline')!;
    for (const a of h.accounts.filter((x) => x.role === 'history')) {
      expect(a.create.wcu).toBe(baseline.create.wcu);
      expect(a.list.rcu).toBe(baseline.list.rcu);
    }
    for (const ratio of Object.values(historyRatios(h)).filter((v) => typeof v === 'number')) expect(Number.isFinite(ratio)).toBe(true);
    expect(Object.keys(r.targets.met).filter((k) => k.startsWith('history:'))).toHaveLength(3);

    // An unchanged account's list from the copy, and a 304: one GetItem of #META (at most 1 RCU); without a copy, the Query and #META again.
    const u = r.reads!.unchanged[0]!;
    expect([u.copy.requests, u.notModified.requests, u.noCopy.requests]).toEqual([1, 1, 2]);
    expect(u.copy.rcu).toBeLessThanOrEqual(1);
    expect(r.reads!.flood!.quietAllAnswered).toBe(true);
    expect(r.reads!.flood!.flood.sent).toBeGreaterThan(0);

    const k = r.concurrency!;
    expect(k.creates).toBe(6);
    expect(k.failed).toBe(0);
    expect(k.throughput).toBeGreaterThan(0);
    expect(k.retries).toBeGreaterThanOrEqual(0);
    // A create the holder carries (group commit) costs at least its arrival and one read, and 5 write units
    // (its arrival, its reason and its history head in the commit); one that commits itself, minimumRequests(1) and 7.
    expect(k.requestsPerCreate).toBeGreaterThanOrEqual(2);
    expect(k.wcuPerCreate).toBeGreaterThanOrEqual(5);

    const f = r.flood!;
    expect(f.quietCreates).toBe(9);
    expect(f.control.flood.sent).toBeGreaterThan(0);
    // Spread over fresh accounts, nothing waits for a lease: no refusals.
    expect(Object.keys(f.control.flood.statuses)).toEqual(['200']);
    expect(f.quietAllApplied).toBe(true);
    expect(f.flood.sent).toBeGreaterThan(0);
    expect(Object.values(f.flood.statuses).reduce((a, b) => a + b, 0)).toBe(f.flood.sent);
    expect(Object.keys(f.flood.statuses).every((s) => ['200', '429', '503'].includes(s))).toBe(true);
    expect(Number.isFinite(f.ratio)).toBe(true);
    expect(r.targets.met).toHaveProperty(['another account while one is flooded']);

    for (const b of Object.values(r.bundles!)) {
      expect(b.bytes).toBeGreaterThan(0);
      expect(b.gzipBytes).toBeGreaterThan(0);
      expect(b.gzipBytes).toBeLessThan(b.bytes);
    }
    expect(r.imports!.handlerMs).toBeGreaterThan(0);
    expect(r.imports!.ratio).toBeGreaterThan(0);
    expect(r.firstCreate!.handler.firstMs).toBeGreaterThan(0);
    expect(r.firstCreate!.connect.firstMs).toBeGreaterThan(0);
    expect(r.firstCreate!.floor.firstMs).toBeGreaterThan(0);
    expect(r.memory!.createMaxRssMb).toBeGreaterThan(0);
    expect(r.memory!.baselineMaxRssMb).toBeGreaterThan(0);

    expect(r.machine.cores).toBeGreaterThan(0);
    expect(Object.keys(r.targets.met)).toEqual(expect.arrayContaining(['p50 ratio, 1 reasons', 'import-time ratio']));
    const tables = renderTables(r);
    expect(tables).toContain('| reasons |');
    expect(tables).toContain('USD per million creates');
    expect(tables).toContain('flooded');
    expect(renderSvg(r)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);

    // The smoke run writes nothing.
    expect(stamp()).toBe(before);
  });
});
