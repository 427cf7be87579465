// The fault-injection simulation, small, on fixed seeds: `npm run chaos` runs it
// at any size. A failure prints the seed and the command that replays it. It
// runs on DynamoDB as AWS documents it (transaction conflicts, read-committed
// reads: test/support/documented-dynamo.ts), through all three APIs, with the
// change history and the change events (from the table's stream) checked too.
import { describe, expect, it } from 'vitest';
import { createTestTable, dynamoEndpoint } from '../support/dynamo.js';
import { DEFAULT_RATES, simulate } from './simulate.js';

describe('fault-injection simulation', () => {
  it('holds every promise of SPEC §4 on seeds 1–3 (lost answers, throttling, 5xx, delays, partial batches, transaction conflicts, transactions seen half applied)', async () => {
    const table = await createTestTable();
    const reports = await Promise.all(
      [1, 2, 3].map((seed) =>
        simulate({
          endpoint: dynamoEndpoint(),
          tableName: table.tableName,
          seed,
          ops: 90,
          workers: 5,
          accounts: 2,
          rates: DEFAULT_RATES,
          delayMs: [20, 1_000],
          clientLost: 0.05,
          keyed: 0.8,
          lambdaMs: 2_500,
          leaseMs: 5_000,
          maxItems: 60,
          documented: true,
          // Connect has no delete, restore, reorder or history (those go by the other APIs): a larger share keeps it well exercised in 90 operations.
          connectShare: 0.35,
        }),
      ),
    );
    for (const report of reports) {
      const summary = `seed ${report.seed}: ${JSON.stringify(report.answers)}; faults ${JSON.stringify(report.faults)}; documented ${JSON.stringify(report.documented)}; by API ${JSON.stringify(report.apis)}`;
      expect(report.anomalies, `${summary}\nreplay: ${report.replay}`).toEqual([]);
      // The faults did happen, or the run proves nothing.
      expect(report.faults.lost + report.faults.throttle + report.faults['server-error'], summary).toBeGreaterThan(10);
      const documented = report.documented!;
      expect(documented.transactions, summary).toBeGreaterThan(10);
      expect(documented.writesRefused + documented.transactionsCancelled + documented.transactGetsCancelled, summary).toBeGreaterThan(0);
      expect(Math.min(report.apis.liveperson, report.apis.connect, report.apis.invoke), summary).toBeGreaterThan(5);
      // The history was read and the events published: one entry per revision, events for each (the checker holds them).
      expect(report.history.entries, summary).toBeGreaterThan(10);
      expect(report.history.events, summary).toBeGreaterThanOrEqual(report.history.entries);
    }
    // A crashed container's 500 is API Gateway's; the service itself answers 500 only when it cannot find out
    // within its deadline. The rate is measured by `npm run chaos` over 80 seeds (0.17-0.21% on 2026-12-03); these
    // ~370 answers bound it loosely, against gross regressions (a store that answered 500 for conflicts gave 56 of
    // 64): at that rate 2 in one seed of ~125 answers happens now and then, and a full suite on a slow machine,
    // where more writes reach their 2.5 s deadline unsettled, once gave 7 of 393.
    const answers = reports.reduce((n, r) => n + Object.values(r.answers).reduce((a, b) => a + b, 0), 0);
    const own500 = reports.reduce((n, r) => n + r.answers['500'] - r.crashAnswers, 0);
    expect(own500, `the service's own 500s: ${own500} of ${answers} answers`).toBeLessThanOrEqual(Math.max(3, Math.ceil(answers * 0.025)));
    // Lists answered from a container's copy took place, so the checker held them too.
    expect(reports.reduce((n, r) => n + r.listsFromCopy, 0)).toBeGreaterThan(0);
  }, 240_000);

  it('holds them when a holder carries the creates waiting behind it (group commit): seeds 4–5, one account, creates mostly without a key', async () => {
    const table = await createTestTable();
    const reports = await Promise.all(
      [4, 5].map((seed) =>
        simulate({
          endpoint: dynamoEndpoint(),
          tableName: table.tableName,
          seed,
          ops: 90,
          workers: 8,
          accounts: 1,
          rates: DEFAULT_RATES,
          delayMs: [20, 1_000],
          clientLost: 0.05,
          // Only creates without an idempotency key, of a few items, are carried; waiters must still wait a second.
          keyed: 0.2,
          maxItems: 3,
          lambdaMs: 6_000,
          leaseMs: 12_000,
          documented: true,
        }),
      ),
    );
    for (const report of reports) {
      const summary = `seed ${report.seed}: ${JSON.stringify(report.answers)}; carried ${JSON.stringify(report.carried)}; documented ${JSON.stringify(report.documented)}`;
      expect(report.anomalies, `${summary}\nreplay: ${report.replay}`).toEqual([]);
      expect(report.history.events, summary).toBeGreaterThanOrEqual(report.history.entries);
    }
    // Group commits took place, so the checker held creates that were carried.
    expect(reports.reduce((n, r) => n + r.carried.creates, 0)).toBeGreaterThan(0);
  }, 240_000);
});
