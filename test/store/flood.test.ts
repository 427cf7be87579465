// One account flooded with writes does not hold up another: writers
// beyond the line's cap are refused at once with 429 and nothing written, so a
// flood cannot keep Lambdas waiting; another account's writes never wait for
// the flooded account's lease. (How long they take, loaded and not, is the
// benchmark's to measure: `npm run bench`, not a timed assertion here.)
import { beforeAll, describe, expect, it } from 'vitest';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { listStatusReasons } from '../../functions/domain/status-reasons.js';
import type { StoreEvent } from '../../functions/store/events.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';
import { livePersonRequests } from '../support/liveperson.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

describe('a flooded account', () => {
  it('refuses writers past the cap with 429 (nothing written) while another account’s writes all go through', async () => {
    const flooded = newAccount();
    const quiet = newAccount();
    const events: StoreEvent[] = [];
    const store = table.store({ leaseQueueMax: 4, leaseWaitMs: 8_000, onEvent: (e) => events.push(e) });
    const { post } = livePersonRequests(() => createLivePersonHandler({ store: () => store }));

    const flood = Promise.all(
      Array.from({ length: 30 }, async (_, w) => {
        const statuses: { status: number; text: string; retryAfter?: string }[] = [];
        for (let k = 0; k < 3; k++) {
          const text = `flood ${w} ${k}`;
          const res = await post(flooded, { text, state: 'Away' });
          statuses.push({ status: res.status, text, retryAfter: res.headers['retry-after'] });
        }
        return statuses;
      }),
    );
    const quietStatuses: number[] = [];
    for (let k = 0; k < 10; k++) quietStatuses.push((await post(quiet, { text: `quiet ${k}`, state: 'Away' })).status);
    const answers = (await flood).flat();

    expect(quietStatuses).toEqual(Array(10).fill(200));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) expect(a.retryAfter).toBe('1');
    expect(answers.every((a) => a.status === 200 || a.status === 429 || a.status === 503)).toBe(true);
    // Never more waiters than the cap saw room for.
    for (const e of events) if (e.type === 'lease-queue-full') expect(e.waiting).toBeLessThanOrEqual(4);

    const seen = await listStatusReasons(table.store(), flooded);
    const applied = answers.filter((a) => a.status === 200).map((a) => a.text);
    expect(seen.revision).toBe(applied.length);
    expect(seen.items.map((r) => r.text).sort()).toEqual(applied.sort());
  }, 60_000);
});
