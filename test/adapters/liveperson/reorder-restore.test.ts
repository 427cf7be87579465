// POST base/reorder and restoring by PUT (deleted: false), through the real
// LivePerson handler on a real DynamoDB engine: every refusal names what and
// where and changes nothing; If-Match, Idempotency-Key, one revision, the list after.
import { describe, expect, it } from 'vitest';
import { BASE, call } from '../../support/events.js';
import { newAccount } from '../../support/dynamo.js';
import { accountChecks, livePersonOnTestTable, livePersonRequests, type Reason } from '../../support/liveperson.js';

const { handler } = livePersonOnTestTable();
const { post, list, put, del } = livePersonRequests(handler);
const reorder = (account: string, body: unknown, headers: Record<string, string> = {}, extra: { claims?: Record<string, string> | null } = {}) =>
  call(handler(), { method: 'POST', path: `${BASE(account)}/reorder`, body, headers, ...extra });

const { state, seed, expectRefused } = accountChecks({ post, list });

const ids = (items: Reason[]) => items.map((r) => r.id);

describe('POST base/reorder', () => {
  it('puts the list in exactly the wanted order in one revision, writing only the moved reason, and answers the list', async () => {
    const account = newAccount();
    const [a, b, c, d] = await seed(account, [
      { text: 'A', state: 'Away', order: 0 },
      { text: 'B', state: 'Away', order: 1000 },
      { text: 'C', state: 'Away', order: 2000 },
      { text: 'D', state: 'Away', order: 3000 },
    ]);
    const wanted = [a!.id, d!.id, b!.id, c!.id];
    const res = await reorder(account, { ids: wanted });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(ids(res.body)).toEqual(wanted);
    // Only D moved, to the midpoint between A and B; the others keep their values.
    expect(res.body.map((r: Reason) => r.order)).toEqual([0, 500, 1000, 2000]);
    const after = await list(account);
    expect(after.body).toEqual(res.body);
    expect(after.headers['ac-revision']).toBe('2');
  });

  it('refuses a missing, unknown, deleted or repeated id with a 400 naming it (errors[].path like ids[3]), changing nothing', async () => {
    const account = newAccount();
    const [a, b, c] = await seed(account, [
      { text: 'A', state: 'Away' },
      { text: 'B', state: 'Away' },
      { text: 'C', state: 'Away' },
    ]);
    expect((await del(account, c!.id)).status).toBe(200);
    const before = await state(account);
    const cases: [string, unknown, { path: string; message: RegExp }[]][] = [
      ['a repeated id', { ids: [a!.id, b!.id, a!.id] }, [{ path: 'ids[2]', message: new RegExp(`repeats status reason ${a!.id} \\(already at ids\\[0\\]\\)`) }]],
      ['an unknown id', { ids: [a!.id, b!.id, 999] }, [{ path: 'ids[2]', message: /999 is not a status reason of this account that is not deleted/ }]],
      ['a deleted id', { ids: [c!.id, a!.id, b!.id] }, [{ path: 'ids[0]', message: new RegExp(`${c!.id} is not a status reason of this account that is not deleted`) }]],
      ['a missing id', { ids: [b!.id] }, [{ path: 'ids', message: new RegExp(`missing: ${a!.id}$`) }]],
      ['an empty list', { ids: [] }, [{ path: 'ids', message: new RegExp(`missing: ${a!.id}, ${b!.id}$`) }]],
      ['an id that is not an integer', { ids: [a!.id, 1.5] }, [{ path: 'ids[1]', message: /positive integer/ }]],
      ['an id of 0', { ids: [0, a!.id, b!.id] }, [{ path: 'ids[0]', message: /positive integer/ }]],
      ['an id as a string', { ids: [a!.id, String(b!.id)] }, [{ path: 'ids[1]', message: /must be a positive integer/ }]],
      ['ids not an array', { ids: 'all' }, [{ path: 'ids', message: /array/ }]],
      ['no ids', {}, [{ path: 'ids', message: /is required/ }]],
      ['an unknown field', { ids: [a!.id, b!.id], order: 'asc' }, [{ path: 'order', message: /not a known field/ }]],
      ['an array body', [a!.id, b!.id], [{ path: '', message: /object/ }]],
      ['more than 1,000 ids', { ids: Array.from({ length: 1001 }, (_, i) => i + 1) }, [{ path: 'ids', message: /at most 1000/ }]],
    ];
    for (const [what, body, errors] of cases) {
      const res = await reorder(account, body);
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.errors, what).toEqual(errors.map((e) => ({ path: e.path, message: expect.stringMatching(e.message) })));
      expect(res.body.message, what).toMatch(/^Invalid request: /);
    }
    // Several at once: each named.
    const several = await reorder(account, { ids: [a!.id, 999, a!.id] });
    expect(several.body.errors.map((e: { path: string }) => e.path)).toEqual(['ids[2]']); // repeats first, before anything is read
    const unknownAndMissing = await reorder(account, { ids: [999, 998] });
    expect(unknownAndMissing.body.errors.map((e: { path: string }) => e.path)).toEqual(['ids[0]', 'ids[1]', 'ids']);
    const override = await reorder(account, { ids: [a!.id, b!.id] }, { 'x-http-method-override': 'PUT' });
    expect(override.status).toBe(400);
    expect(override.body.errors).toEqual([{ path: 'X-HTTP-Method-Override', message: expect.any(String) }]);
    await expectRefused(account, await reorder(account, { ids: [b!.id, a!.id] }, { 'if-match': 'x' }), 400, before);
    expect(await state(account)).toEqual(before);
  });

  it('answers 404 for a path under reorder, and 401/403 without a token or the write scope', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'A', state: 'Away' }]);
    const before = await state(account);
    const deeper = await call(handler(), { method: 'POST', path: `${BASE(account)}/reorder/now`, body: { ids: [a!.id] } });
    await expectRefused(account, deeper, 404, before);
    // reorder is a route for POST only: another method on it is an unknown route (as on base/changes), not a bad reason id.
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const other = await call(handler(), { method, path: `${BASE(account)}/reorder`, ...(method === 'PUT' && { body: { text: 'A', state: 'Away' } }) });
      await expectRefused(account, other, 404, before);
    }
    await expectRefused(account, await reorder(account, { ids: [a!.id] }, {}, { claims: null }), 401, before);
    await expectRefused(account, await reorder(account, { ids: [a!.id] }, {}, { claims: { account, scope: 'status-reasons:read' } }), 403, before);
  });

  it('honours If-Match: a stale revision is a 409 that changes nothing; the current one writes', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'A', state: 'Away' },
      { text: 'B', state: 'Away' },
    ]);
    const before = await state(account);
    const stale = await reorder(account, { ids: [b!.id, a!.id] }, { 'if-match': '0' });
    await expectRefused(account, stale, 409, before);
    expect(stale.headers['ac-revision']).toBe('1');
    const ok = await reorder(account, { ids: [b!.id, a!.id] }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.headers['ac-revision']).toBe('2');
    expect(ids((await list(account)).body)).toEqual([b!.id, a!.id]);
  });

  it('a repeat with the same Idempotency-Key answers the first answer and writes nothing; another body with it is a 422', async () => {
    const account = newAccount();
    const [a, b, c] = await seed(account, [
      { text: 'A', state: 'Away', order: 10 },
      { text: 'B', state: 'Away', order: 20 },
      { text: 'C', state: 'Away', order: 30 },
    ]);
    const key = { 'idempotency-key': 'reorder-1' };
    const first = await reorder(account, { ids: [c!.id, a!.id, b!.id] }, key);
    expect(first.status).toBe(200);
    const repeat = await reorder(account, { ids: [c!.id, a!.id, b!.id] }, key);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers['ac-revision']).toBe(first.headers['ac-revision']);
    const before = await state(account);
    expect(before.revision).toBe('2');
    const other = await reorder(account, { ids: [a!.id, b!.id, c!.id] }, key);
    await expectRefused(account, other, 422, before);
  });

  it('an account with no reasons takes an empty list (one revision, nothing else written)', async () => {
    const account = newAccount();
    const res = await reorder(account, { ids: [] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers['ac-revision']).toBe('1');
  });
});

describe('PUT base/{id} on a deleted reason: restore', () => {
  it('"deleted": false restores it (answer and list), one revision; its text is taken again', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'Lunch', state: 'Away', order: 1, description: 'eat' },
      { text: 'Gym', state: 'Away', order: 2 },
    ]);
    expect((await del(account, a!.id)).status).toBe(200);
    const res = await put(account, a!.id, { text: 'Lunch', state: 'Online', deleted: false });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['ac-revision']).toBe('3');
    expect(res.body).toEqual({ ...a, state: 'Online', deleted: false });
    expect(ids((await list(account)).body)).toEqual([a!.id, b!.id]);
    const clash = await post(account, { text: 'LUNCH', state: 'Away' });
    expect(clash.status).toBe(400);
  });

  it('refuses with a 400 that says so when another non-deleted reason holds the text now', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    await del(account, a!.id);
    const [other] = await seed(account, [{ text: ' lunch ', state: 'Away' }]);
    const before = await state(account);
    const res = await put(account, a!.id, { text: 'Lunch', state: 'Away', deleted: false });
    await expectRefused(account, res, 400, before);
    expect(res.body.message).toMatch(/unique/);
    expect(res.body.errors).toEqual([{ path: 'text', message: `"Lunch" is already the text of status reason ${other!.id}` }]);
    // Restoring under a free text works.
    expect((await put(account, a!.id, { text: 'Late lunch', state: 'Away', deleted: false })).status).toBe(200);
  });

  it('any other PUT to a deleted reason is a 404 that changes nothing; "deleted": true on a live one deletes it as DELETE does', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'Lunch', state: 'Away' },
      { text: 'Gym', state: 'Away' },
    ]);
    const deleted = await put(account, a!.id, { text: 'Lunch', state: 'Away', deleted: true });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toBe(true);
    expect((await post(account, { text: 'lunch', state: 'Away' })).status).toBe(200); // its text is free
    const before = await state(account);
    for (const body of [
      { text: 'Lunch', state: 'Away' },
      { text: 'Lunch', state: 'Away', deleted: true },
      { text: 'Renamed', state: 'Online', enabled: false },
    ]) {
      const res = await put(account, a!.id, body);
      await expectRefused(account, res, 404, before);
      expect(res.body.message).toMatch(/deleted/);
    }
    await expectRefused(account, await put(account, 999, { text: 'x', state: 'Away', deleted: false }), 404, before);
    expect((await put(account, b!.id, { text: 'Gym', state: 'Away', deleted: false })).status).toBe(200); // a live one: an ordinary replace
  });
});
