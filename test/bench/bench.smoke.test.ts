// The benchmark still runs: every part of it with tiny counts against the test
// engine. Checks the result's shape and sanity, never timings, and writes no files.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ROOT } from './cold.js';
import { minimumRequests } from './creates.js';
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
    });

    expect(r.creates.map((c) => c.size)).toEqual([1, 10]);
    for (const c of r.creates) {
      expect(c.runs).toBe(3);
      for (const side of [c.handler, c.floor]) {
        expect(side.latency.n).toBe(3);
        expect(side.latency.p50).toBeGreaterThan(0);
        expect(side.latency.p99).toBeGreaterThanOrEqual(side.latency.p50);
        expect(side.outsideP50).toBeGreaterThanOrEqual(0);
        // At least one write unit per reason written.
        expect(side.wcuPerCreate).toBeGreaterThanOrEqual(c.size);
        expect(side.wcuPerReason).toBeGreaterThanOrEqual(1);
      }
      expect(c.minimumRequests).toBe(minimumRequests(c.size));
      expect(c.floor.requestsPerCreate).toBe(c.minimumRequests);
      expect(c.handler.requestsPerCreate).toBeGreaterThanOrEqual(c.minimumRequests);
      for (const ratio of [c.ratioP50, c.ratioP99, c.pairedRatioMedian]) {
        expect(Number.isFinite(ratio)).toBe(true);
        expect(ratio).toBeGreaterThan(0);
      }
    }

    const k = r.concurrency!;
    expect(k.creates).toBe(6);
    expect(k.failed).toBe(0);
    expect(k.throughput).toBeGreaterThan(0);
    expect(k.retries).toBeGreaterThanOrEqual(0);
    expect(k.requestsPerCreate).toBeGreaterThanOrEqual(minimumRequests(1));

    for (const b of Object.values(r.bundles!)) {
      expect(b.bytes).toBeGreaterThan(0);
      expect(b.gzipBytes).toBeGreaterThan(0);
      expect(b.gzipBytes).toBeLessThan(b.bytes);
    }
    expect(r.imports!.handlerMs).toBeGreaterThan(0);
    expect(r.imports!.ratio).toBeGreaterThan(0);
    expect(r.firstCreate!.handler.firstMs).toBeGreaterThan(0);
    expect(r.firstCreate!.floor.firstMs).toBeGreaterThan(0);
    expect(r.memory!.createMaxRssMb).toBeGreaterThan(0);
    expect(r.memory!.baselineMaxRssMb).toBeGreaterThan(0);

    expect(r.machine.cores).toBeGreaterThan(0);
    expect(Object.keys(r.targets.met)).toEqual(expect.arrayContaining(['p50 ratio, 1 reasons', 'import-time ratio']));
    expect(renderTables(r)).toContain('| reasons |');
    expect(renderSvg(r)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);

    // The smoke run writes nothing.
    expect(stamp()).toBe(before);
  });
});
