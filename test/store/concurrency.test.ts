// Parallel writers on one account, each through its own handler and store (as
// separate Lambda containers would be), on the real engine.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { listStatusReasons } from '../../functions/domain/status-reasons.js';
import { BASE, call, notOk } from '../support/events.js';
import { CONTENDED_BUDGETS, createTestTable, localClient, newAccount, type TestTable } from '../support/dynamo.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

/**
 * A handler with its own DynamoDB client, like a separate Lambda container.
 * These tests are about correctness under contention, not latency: writers may
 * wait longer for the account's lease than the 8 s default allows a live request,
 * and one call may wait longer than the 2 s default (DynamoDB Local runs the
 * writes of one item one at a time; on a busy CI machine 80 of them at once
 * queued past 2 s). In the full suite, with every test file's requests on the
 * one DynamoDB Local, the 40 creates below took 35-39 s here, and on CI one of
 * them answered 503 under budgets of 60 s; the budgets leave 3 times that.
 */
const container = () => {
  const store = new DynamoStatusReasonStore({ client: localClient(), tableName: table.tableName, ...CONTENDED_BUDGETS });
  return createLivePersonHandler({ store: () => store });
};

describe('parallel writers on one account', () => {
  it('40 parallel creates of 1–5 items all succeed, with unique ids and revisions 1..40, one each', async () => {
    const account = newAccount();
    const containers = Array.from({ length: 8 }, container);
    const requests = Array.from({ length: 40 }, (_, w) =>
      Array.from({ length: 1 + (w % 5) }, (_, i) => ({ text: `writer ${w} item ${i}`, state: 'Away' })),
    );
    const answers = await Promise.all(
      requests.map((body, w) => call(containers[w % containers.length]!, { method: 'POST', path: BASE(account), body })),
    );
    expect(notOk(answers)).toEqual([]);
    const revisions = answers.map((a) => Number(a.headers['ac-revision'])).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const ids = answers.flatMap((a) => a.body.map((r: { id: number }) => r.id));
    expect(ids).toHaveLength(requests.flat().length);
    expect(new Set(ids).size).toBe(ids.length);
    // Each answer is what was asked, in request order.
    answers.forEach((a, w) => expect(a.body.map((r: { text: string }) => r.text)).toEqual(requests[w]!.map((r) => r.text)));

    const listed = await listStatusReasons(table.store(), account);
    expect(listed.revision).toBe(40);
    expect(listed.items.map((r) => r.id).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    // About 6 s alone; 30-40 s in the full suite on a 2-core machine (DynamoDB Local shared), against the default 30 s.
  }, 240_000);

  it('12 racing creates of the same text (differing in case and spaces): exactly one succeeds', async () => {
    const account = newAccount();
    const containers = Array.from({ length: 12 }, container);
    const variants = ['Lunch', 'lunch', ' LUNCH', 'Lunch ', 'ＬＵＮＣＨ', 'lUnCh'];
    const answers = await Promise.all(
      containers.map((handler, i) => call(handler, { method: 'POST', path: BASE(account), body: { text: variants[i % variants.length], state: 'Away' } })),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((a) => a.status !== 200)) {
      expect(loser.status).toBe(400);
      expect(loser.body.message).toMatch(/unique/);
      expect(loser.body.errors[0].path).toBe('text');
    }
    const listed = await listStatusReasons(table.store(), account);
    expect(listed.items).toHaveLength(1);
    expect(listed.revision).toBe(1);
  });

  it('racing arrays that share one text: one wins whole, the other creates nothing', async () => {
    const account = newAccount();
    const [a, b] = [container(), container()];
    const answers = await Promise.all([
      call(a, { method: 'POST', path: BASE(account), body: [{ text: 'A1', state: 'Away' }, { text: 'Shared', state: 'Away' }] }),
      call(b, { method: 'POST', path: BASE(account), body: [{ text: 'B1', state: 'Away' }, { text: 'shared', state: 'Away' }] }),
    ]);
    expect(answers.map((x) => x.status).sort()).toEqual([200, 400]);
    const listed = await listStatusReasons(table.store(), account);
    expect(listed.items).toHaveLength(2);
    expect(listed.revision).toBe(1);
  });

  it('writers on different accounts do not wait for each other', async () => {
    const accounts = Array.from({ length: 10 }, newAccount);
    const handler = container();
    const answers = await Promise.all(accounts.map((account) => call(handler, { method: 'POST', path: BASE(account), body: { text: 'Break', state: 'Away' } })));
    expect(answers.map((a) => [a.status, a.headers['ac-revision'], a.body.id])).toEqual(accounts.map(() => [200, '1', 1]));
  });
});
