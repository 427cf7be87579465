// Concurrent writes on one account through the real handler on a real DynamoDB
// engine: revisions stay one-per-write and texts stay unique when requests race.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../../functions/domain/errors.js';
import type { StatusReasonStore } from '../../../functions/domain/store.js';
import { createLivePersonHandler } from '../../../functions/adapters/liveperson/liveperson.js';
import { textKey } from '../../../functions/domain/status-reason.js';
import { notOk, type Answer } from '../../support/events.js';
import { CONTENDED_BUDGETS, createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { livePersonRequests, type Reason } from '../../support/liveperson.js';

let table: TestTable;
let handler: ReturnType<typeof createLivePersonHandler>;
beforeAll(async () => {
  table = await createTestTable();
  // These tests are about correctness under contention, not latency: on DynamoDB
  // Local (a shared, busy machine) 50 writers queueing for one account's lease can
  // wait longer than the 8 s a live request waits by default (they would get 503).
  const store = table.store(CONTENDED_BUDGETS);
  handler = createLivePersonHandler({ store: () => recording(store) });
});

/** Errors the store threw that are not the domain's own refusals: each one is a 500 to a caller. */
const unexpected: unknown[] = [];
const describeError = (e: unknown) => {
  const error = e as { name?: string; message?: string; CancellationReasons?: unknown };
  return `${error.name}: ${error.message}${error.CancellationReasons ? ` ${JSON.stringify(error.CancellationReasons)}` : ''}`;
};
function recording(store: StatusReasonStore): StatusReasonStore {
  const note = <T>(run: () => Promise<T>) =>
    run().catch((error: unknown) => {
      if (!isDomainError(error)) unexpected.push(error);
      throw error;
    });
  return {
    revision: (accountId) => note(() => store.revision(accountId)),
    read: (accountId, options) => note(() => store.read(accountId, options)),
    get: (accountId, id) => note(() => store.get(accountId, id)),
    changes: (accountId, since, limit) => note(() => store.changes(accountId, since, limit)),
    write: (accountId, request, decide) => note(() => store.write(accountId, request, decide)),
  };
}
afterEach(() => {
  const seen = unexpected.splice(0).map(describeError);
  expect(seen, 'errors the store threw (answered 500)').toEqual([]);
});

const { post, list, put, del } = livePersonRequests(() => handler);

async function everything(account: string): Promise<{ revision: number; items: Reason[] }> {
  const res = await list(account, { query: { include_deleted: 'true' } });
  expect(res.status).toBe(200);
  return { revision: Number(res.headers['ac-revision']), items: res.body };
}

/** No two non-deleted reasons share a text key. */
function expectUniqueTexts(items: Reason[]): void {
  const keys = items.filter((r) => !r.deleted).map((r) => textKey(r.text));
  expect(new Set(keys).size, `duplicate texts among ${JSON.stringify(keys)}`).toBe(keys.length);
}

/** The revisions the successful writes answered are exactly r0+1 … r0+k, each once. */
function expectRevisionSequence(answers: Answer[], r0: number): number {
  const revisions = answers.filter((a) => a.status === 200).map((a) => Number(a.headers['ac-revision']));
  const k = revisions.length;
  expect([...revisions].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => r0 + 1 + i));
  return k;
}

describe('concurrent writes on one account', () => {
  it('(a) 20 updates + 20 creates + 10 deletes: all succeed, one revision each, r0+1..r0+k', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 30 }, (_, i) => ({ text: `seed ${i}`, state: 'Away', order: i })),
    );
    expect(seeded.status).toBe(200);
    const reasons = seeded.body as Reason[];
    const { revision: r0 } = await everything(account);
    expect(r0).toBe(1);

    const updates = reasons.slice(0, 20).map((r, i) => put(account, r.id, { text: `updated ${i}`, state: 'Online' }));
    const creates = Array.from({ length: 20 }, (_, i) => post(account, { text: `created ${i}`, state: 'Occupied' }));
    const deletes = reasons.slice(20, 30).map((r) => del(account, r.id));
    const answers = await Promise.all([...updates, ...creates, ...deletes]);

    // Nothing here breaks a rule: every write must succeed.
    expect(notOk(answers)).toEqual([]);
    const k = expectRevisionSequence(answers, r0);
    expect(k).toBe(50);

    const after = await everything(account);
    expect(after.revision).toBe(r0 + k);
    expectUniqueTexts(after.items);
    const ids = after.items.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(after.items).toHaveLength(50);
    const byId = new Map(after.items.map((r) => [r.id, r]));
    reasons.slice(0, 20).forEach((r, i) => expect(byId.get(r.id)).toMatchObject({ text: `updated ${i}`, state: 'Online', deleted: false }));
    reasons.slice(20).forEach((r) => expect(byId.get(r.id)).toMatchObject({ text: r.text, deleted: true }));
    // Each create's answer is what is stored.
    for (const a of answers.slice(20, 40)) expect(byId.get(a.body.id)).toEqual(a.body);
    // About 7 s alone, 6-30 s in the full suite on a 2-core machine (DynamoDB Local shared).
  }, 240_000);

  it('(a′) a mix where some writes break the rules: only rule-explained 4xx, revisions r0+1..r0+k', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 10 }, (_, i) => ({ text: `seed ${i}`, state: 'Away' })),
    );
    const reasons = seeded.body as Reason[];
    const r0 = 1;
    const writes: Array<Promise<Answer> | { kind: string; run: Promise<Answer> }> = [];
    const tagged = (kind: string, run: Promise<Answer>) => ({ kind, run });
    // Creates that all want the same text: one may win, the rest are duplicates.
    for (let i = 0; i < 5; i++) writes.push(tagged('same-text-create', post(account, { text: `Contested`, state: 'Away' })));
    // Two deletes of the same reason: one wins, the other is a 404.
    for (let i = 0; i < 2; i++) writes.push(tagged('double-delete', del(account, reasons[0]!.id)));
    // Updates of reasons to texts seeds hold: duplicates unless the holder changes first.
    for (let i = 1; i < 5; i++) writes.push(tagged('plain-update', put(account, reasons[i]!.id, { text: `fresh ${i}`, state: 'Online' })));
    for (let i = 0; i < 5; i++) writes.push(tagged('plain-create', post(account, { text: `new ${i}`, state: 'Away' })));
    const kinds = writes.map((w) => (w as { kind: string }).kind);
    const answers = await Promise.all(writes.map((w) => (w as { run: Promise<Answer> }).run));

    const statusesOf = (kind: string) => answers.filter((_, i) => kinds[i] === kind).map((a) => a.status).sort();
    expect(statusesOf('same-text-create')).toEqual([200, 400, 400, 400, 400]);
    expect(statusesOf('double-delete')).toEqual([200, 404]);
    expect(statusesOf('plain-update')).toEqual([200, 200, 200, 200]);
    expect(statusesOf('plain-create')).toEqual([200, 200, 200, 200, 200]);
    for (const a of answers.filter((x) => x.status !== 200)) {
      // A refused write still says which revision it saw.
      expect(Number(a.headers['ac-revision'])).toBeGreaterThanOrEqual(r0);
    }
    const k = expectRevisionSequence(answers, r0);
    const after = await everything(account);
    expect(after.revision).toBe(r0 + k);
    expectUniqueTexts(after.items);
  }, 60_000);

  it('(b) an update and a create racing for the same new text: exactly one wins, 10 times over', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 10 }, (_, i) => ({ text: `old ${i}`, state: 'Away' })),
    );
    const reasons = seeded.body as Reason[];
    let revision = 1;
    const winners = { update: 0, create: 0 };
    for (let round = 0; round < 10; round++) {
      const text = `Race ${round}`;
      // Vary case and width so the clash is only visible through the text key.
      const update = () => put(account, reasons[round]!.id, { text: round % 2 ? text.toUpperCase() : text, state: 'Online' });
      const create = () => post(account, { text: round % 3 ? ` ${text.toLowerCase()} ` : text.replace('R', 'Ｒ'), state: 'Away' });
      // Alternate which request is sent first, so each side gets to win.
      const [updated, created] =
        round % 2 ? await Promise.all([update(), create()]) : await Promise.all([create(), update()]).then(([c, u]) => [u, c] as const);
      const statuses = [updated.status, created.status].sort();
      expect(statuses, `round ${round}: ${JSON.stringify([updated.body, created.body])}`).toEqual([200, 400]);
      const loser = updated.status === 400 ? updated : created;
      expect(loser.body.message).toMatch(/unique/);
      if (updated.status === 200) winners.update++;
      else winners.create++;
      revision++;
      const winner = updated.status === 200 ? updated : created;
      expect(winner.headers['ac-revision']).toBe(String(revision));

      const now = await everything(account);
      expect(now.revision).toBe(revision);
      expectUniqueTexts(now.items);
      expect(now.items.filter((r) => !r.deleted && textKey(r.text) === textKey(text))).toHaveLength(1);
    }
    console.log(`[races.test] (b) update won ${winners.update} times, create won ${winners.create} times`);
  }, 60_000);

  it('(c) 10 concurrent PUTs with the same If-Match: exactly one 200, the rest 409', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 10 }, (_, i) => ({ text: `r ${i}`, state: 'Away' })),
    );
    const reasons = seeded.body as Reason[];
    const answers = await Promise.all(
      reasons.map((r, i) => put(account, r.id, { text: `changed ${i}`, state: 'Online' }, { headers: { 'If-Match': '1' } })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array.from({ length: 9 }, () => 409)]);
    const winner = answers.find((a) => a.status === 200)!;
    expect(winner.headers['ac-revision']).toBe('2');
    for (const a of answers.filter((x) => x.status === 409)) expect(a.headers['ac-revision']).toBe('2');

    const after = await everything(account);
    expect(after.revision).toBe(2);
    const changed = after.items.filter((r) => r.text.startsWith('changed'));
    expect(changed).toEqual([winner.body]);
  }, 60_000);

  it('(c′) concurrent deletes with the same If-Match: exactly one 200, the rest 409', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 8 }, (_, i) => ({ text: `r ${i}`, state: 'Away' })),
    );
    const answers = await Promise.all((seeded.body as Reason[]).map((r) => del(account, r.id, { headers: { 'If-Match': '1' } })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const after = await everything(account);
    expect(after.revision).toBe(2);
    expect(after.items.filter((r) => r.deleted)).toHaveLength(1);
  }, 60_000);

  it('(d) deletes racing a create that reuses the deleted text', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 10 }, (_, i) => ({ text: `Busy ${i}`, state: 'Away' })),
    );
    const reasons = seeded.body as Reason[];
    let revision = 1;
    const outcomes = { createdAfterDelete: 0, refusedBeforeDelete: 0 };
    for (let round = 0; round < 10; round++) {
      const victim = reasons[round]!;
      const remove = () => del(account, victim.id);
      const create = () => post(account, { text: victim.text.toLowerCase(), state: 'Online' });
      // Alternate which request is sent first, so both orders happen.
      const [deleted, created] =
        round % 2 ? await Promise.all([remove(), create()]) : await Promise.all([create(), remove()]).then(([c, d]) => [d, c] as const);
      // The delete never depends on the create.
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ ...victim, deleted: true });
      expect([200, 400]).toContain(created.status);
      if (created.status === 200) {
        outcomes.createdAfterDelete++;
        // The create saw the delete, so its revision is the later one.
        expect(Number(created.headers['ac-revision'])).toBe(Number(deleted.headers['ac-revision']) + 1);
        revision += 2;
      } else {
        outcomes.refusedBeforeDelete++;
        expect(created.body.errors).toEqual([{ path: 'text', message: expect.stringContaining(String(victim.id)) }]);
        revision += 1;
      }
      const now = await everything(account);
      expect(now.revision).toBe(revision);
      expectUniqueTexts(now.items);
    }
    console.log(`[races.test] (d) create after delete ${outcomes.createdAfterDelete} times, refused before delete ${outcomes.refusedBeforeDelete} times`);
  }, 60_000);

  it('(d′) many deletes and many creates of the freed texts at once keep texts unique', async () => {
    const account = newAccount();
    const seeded = await post(
      account,
      Array.from({ length: 10 }, (_, i) => ({ text: `Slot ${i}`, state: 'Away' })),
    );
    const reasons = seeded.body as Reason[];
    const answers = await Promise.all([
      ...reasons.map((r) => del(account, r.id)),
      ...reasons.map((r) => post(account, { text: r.text.toUpperCase(), state: 'Online' })),
      ...reasons.map((r) => post(account, { text: ` ${r.text} `, state: 'Online' })),
    ]);
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(reasons.map(() => 200));
    for (const a of answers.slice(10)) expect([200, 400]).toContain(a.status);
    const k = expectRevisionSequence(answers, 1);
    const after = await everything(account);
    expect(after.revision).toBe(1 + k);
    expectUniqueTexts(after.items);
    // Each slot is held by at most one non-deleted reason, and a create won it only if it could.
    for (let i = 0; i < 10; i++) {
      const holders = after.items.filter((r) => !r.deleted && textKey(r.text) === textKey(`Slot ${i}`));
      expect(holders.length).toBeLessThanOrEqual(1);
      const won = [answers[10 + i]!, answers[20 + i]!].filter((a) => a.status === 200);
      expect(won.length).toBe(holders.length);
    }
  }, 60_000);
});
