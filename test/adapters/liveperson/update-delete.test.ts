// PUT and DELETE status-reasons (and their POST + X-HTTP-Method-Override forms),
// scopes and the per-account cap, through the real handler on a real DynamoDB engine.
import { describe, expect, it } from 'vitest';
import { call } from '../../support/events.js';
import { newAccount } from '../../support/dynamo.js';
import { accountChecks, itemPath, livePersonOnTestTable, livePersonRequests, type Reason } from '../../support/liveperson.js';

const { handler } = livePersonOnTestTable();
const { post, list, getOne, put, del } = livePersonRequests(handler);
const item = itemPath;

const { state, seed, expectRefused } = accountChecks({ post, list });

describe('PUT', () => {
  it('replaces text, state, enabled, deleted and order, and raises the revision by 1', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away', order: 1, description: 'eat', tags: { k: 'v' } }]);
    const res = await put(account, a!.id, { text: '  Training ', state: 'Online', enabled: false, deleted: true, order: -7 });
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    const expected = { id: a!.id, text: 'Training', state: 'Online', enabled: false, deleted: true, order: -7, description: 'eat', tags: { k: 'v' } };
    expect(res.body).toEqual(expected);
    expect((await getOne(account, a!.id, { query: { include_deleted: 'true' } })).body).toEqual(expected);
  });

  it('keeps absent optional fields (enabled, deleted, order, description, tags)', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away', enabled: false, order: 42, description: 'eat', tags: { k: 'v' } }]);
    const res = await put(account, a!.id, { text: 'Dinner', state: 'Occupied' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...a, text: 'Dinner', state: 'Occupied' });
    const res2 = await put(account, a!.id, { text: 'Dinner', state: 'Occupied', description: 'late', tags: { x: 'y' } });
    expect(res2.body).toEqual({ ...a, text: 'Dinner', state: 'Occupied', description: 'late', tags: { x: 'y' } });
    expect(res2.headers['ac-revision']).toBe('3');
  });

  it('cannot remove description or tags: null is a 400 naming the field; "" and {} are stored and answered', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away', description: 'eat', tags: { k: 'v' } }]);
    for (const field of ['description', 'tags']) {
      const refused = await put(account, a!.id, { text: 'Lunch', state: 'Away', [field]: null });
      expect(refused.status).toBe(400);
      expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
    }
    const emptied = await put(account, a!.id, { text: 'Lunch', state: 'Away', description: '', tags: {} });
    expect(emptied.status).toBe(200);
    expect(emptied.body).toEqual({ ...a, description: '', tags: {} });
    expect((await getOne(account, a!.id)).body).toEqual({ ...a, description: '', tags: {} });
  });

  it('accepts an id in the body equal to the path id, and refuses another one', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'a', state: 'Away' },
      { text: 'b', state: 'Away' },
    ]);
    const ok = await put(account, a!.id, { id: a!.id, text: 'a2', state: 'Away' });
    expect(ok.status).toBe(200);
    expect(ok.body.id).toBe(a!.id);
    const before = await state(account);
    const bad = await put(account, a!.id, { id: b!.id, text: 'a3', state: 'Away' });
    await expectRefused(account, bad, 400, before);
    expect(bad.body.errors).toEqual([{ path: 'id', message: expect.any(String) }]);
  });

  it.each([
    [{ text: 'x', state: 'Away', colour: 'red' }, 'colour'],
    [{ text: '   ', state: 'Away' }, 'text'],
    [{ text: '', state: 'Away' }, 'text'],
    [{ state: 'Away' }, 'text'],
    [{ text: 'x', state: 'Busy' }, 'state'],
    [{ text: 'x' }, 'state'],
    [{ text: 'x', state: 'Away', order: 1.5 }, 'order'],
    [{ text: 'x', state: 'Away', order: 2 ** 31 }, 'order'],
    [{ text: 'x', state: 'Away', enabled: 'yes' }, 'enabled'],
    [{ text: 'x'.repeat(128), state: 'Away' }, 'text'],
    [{ text: 'a\u0007b', state: 'Away' }, 'text'],
    [{ text: 'x', state: 'Away', description: 'd'.repeat(251) }, 'description'],
  ])('validates like create: %j is a 400 naming %s', async (body, path) => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const before = await state(account);
    const res = await put(account, a!.id, body);
    await expectRefused(account, res, 400, before);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(res.body.message).toMatch(new RegExp(path));
  });

  it('accepts a reason as GET answers it, PUT back unchanged', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away', enabled: false, order: 9, description: 'eat', tags: { k: 'v' } }]);
    const got = await getOne(account, a!.id);
    const res = await put(account, a!.id, got.body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual(got.body);
  });

  it('accepts, PUT back unchanged, a reason created without order before one at the lowest order', async () => {
    const account = newAccount();
    await seed(account, [{ text: 'Lowest', state: 'Away', order: -(2 ** 31) + 1 }]);
    const later = await seed(account, [
      { text: 'Later 1', state: 'Away' },
      { text: 'Later 2', state: 'Away' },
      { text: 'Later 3', state: 'Away' },
    ]);
    for (const reason of later) {
      expect(reason.order).toBeGreaterThanOrEqual(-(2 ** 31));
      const got = await getOne(account, reason.id);
      const res = await put(account, reason.id, got.body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    // Among themselves they keep request order.
    const listed = (await list(account)).body.map((r: Reason) => r.text);
    expect(listed.filter((t: string) => t.startsWith('Later'))).toEqual(['Later 1', 'Later 2', 'Later 3']);
  });

  it('refuses a body that is not an object', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    for (const body of [[{ text: 'x', state: 'Away' }], 'x', null]) {
      const res = await put(account, a!.id, body);
      expect(res.status).toBe(400);
    }
  });

  it('refuses a text another non-deleted reason holds (case, space and NFKC-insensitive)', async () => {
    const account = newAccount();
    const [lunch, other] = await seed(account, [
      { text: 'lunch', state: 'Away' },
      { text: 'Other', state: 'Away' },
    ]);
    const before = await state(account);
    for (const text of ['lunch', 'LUNCH', '  Lunch ', 'ＬＵＮＣＨ ']) {
      const res = await put(account, other!.id, { text, state: 'Away' });
      await expectRefused(account, res, 400, before);
      expect(res.body.errors).toEqual([{ path: 'text', message: expect.stringContaining(String(lunch!.id)) }]);
      expect(res.body.message).toMatch(/unique/);
      expect(res.headers['ac-revision']).toBe(before.revision);
    }
  });

  it('allows a text only a deleted reason holds', async () => {
    const account = newAccount();
    const [lunch, other] = await seed(account, [
      { text: 'lunch', state: 'Away' },
      { text: 'Other', state: 'Away' },
    ]);
    expect((await del(account, lunch!.id)).status).toBe(200);
    const res = await put(account, other!.id, { text: 'LUNCH', state: 'Away' });
    expect(res.status).toBe(200);
    expect(res.body.text).toBe('LUNCH');
  });

  it('allows a reason its own text in another case or width', async () => {
    const account = newAccount();
    const [lunch] = await seed(account, [{ text: 'lunch', state: 'Away' }]);
    const res = await put(account, lunch!.id, { text: 'ＬＵＮＣＨ', state: 'Online' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: lunch!.id, text: 'ＬＵＮＣＨ', state: 'Online' });
  });

  it('refuses to un-delete a reason whose text another non-deleted reason now holds', async () => {
    const account = newAccount();
    const [first] = await seed(account, [{ text: 'lunch', state: 'Away' }]);
    await del(account, first!.id);
    await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const before = await state(account);
    const res = await put(account, first!.id, { text: 'lunch', state: 'Away', deleted: false });
    await expectRefused(account, res, 400, before);
  });

  it('answers 404 for an unknown id, with nothing changed', async () => {
    const account = newAccount();
    await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const before = await state(account);
    const res = await put(account, 77, { text: 'x', state: 'Away' });
    await expectRefused(account, res, 404, before);
    expect(res.headers['ac-revision']).toBe(before.revision);
  });

  it('answers 400 for a non-numeric, zero or negative id', async () => {
    const account = newAccount();
    await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    for (const id of ['abc', '0', '-1']) {
      const res = await put(account, id, { text: 'x', state: 'Away' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'statusReasonId', message: expect.any(String) }]);
    }
  });

  it('honours If-Match: the current revision writes, a stale one is a 409 that changes nothing', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const ok = await put(account, a!.id, { text: 'Lunch 2', state: 'Away' }, { headers: { 'If-Match': '1' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['ac-revision']).toBe('2');
    const before = await state(account);
    const stale = await put(account, a!.id, { text: 'Lunch 3', state: 'Online' }, { headers: { 'If-Match': '1' } });
    await expectRefused(account, stale, 409, before);
    expect(stale.headers['ac-revision']).toBe('2');
    const quoted = await put(account, a!.id, { text: 'Lunch 3', state: 'Online' }, { headers: { 'if-match': '"2"' } });
    expect(quoted.status).toBe(200);
    expect(quoted.headers['ac-revision']).toBe('3');
  });
});

describe('DELETE', () => {
  it('soft deletes: answers the reason with deleted: true and raises the revision by 1', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'Lunch', state: 'Away', order: 2, description: 'eat' },
      { text: 'Break', state: 'Occupied', order: 1 },
    ]);
    const res = await del(account, a!.id);
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(res.body).toEqual({ ...a, deleted: true });
    expect((await list(account)).body).toEqual([b]);
    expect((await getOne(account, a!.id)).status).toBe(404);
    expect((await getOne(account, a!.id, { query: { include_deleted: 'true' } })).body).toEqual({ ...a, deleted: true });
  });

  it('frees the text for a new create', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const dup = await post(account, { text: 'lunch', state: 'Away' });
    expect(dup.status).toBe(400);
    await del(account, a!.id);
    const res = await post(account, { text: 'ＬＵＮＣＨ', state: 'Away' });
    expect(res.status).toBe(200);
    expect(res.body.id).not.toBe(a!.id);
    expect(res.headers['ac-revision']).toBe('3');
  });

  it('answers 404 for a reason already deleted, or unknown, and changes nothing', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    await del(account, a!.id);
    const before = await state(account);
    const again = await del(account, a!.id);
    await expectRefused(account, again, 404, before);
    expect(again.headers['ac-revision']).toBe(before.revision);
    const unknown = await del(account, 12345);
    await expectRefused(account, unknown, 404, before);
    const badId = await del(account, 'x');
    await expectRefused(account, badId, 400, before);
  });

  it('honours If-Match', async () => {
    const account = newAccount();
    const [a, b] = await seed(account, [
      { text: 'a', state: 'Away' },
      { text: 'b', state: 'Away' },
    ]);
    await put(account, a!.id, { text: 'a2', state: 'Away' });
    const before = await state(account);
    const stale = await del(account, b!.id, { headers: { 'If-Match': '1' } });
    await expectRefused(account, stale, 409, before);
    const ok = await del(account, b!.id, { headers: { 'If-Match': '2' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['ac-revision']).toBe('3');
  });
});

describe('revisions', () => {
  it('each write raises the revision by exactly 1; refused writes leave it', async () => {
    const account = newAccount();
    const rev = async () => (await list(account)).headers['ac-revision'];
    expect(await rev()).toBe('0');
    const [a, b] = await seed(account, [
      { text: 'a', state: 'Away' },
      { text: 'b', state: 'Away' },
    ]);
    expect(await rev()).toBe('1');
    expect((await put(account, a!.id, { text: 'a1', state: 'Away' })).headers['ac-revision']).toBe('2');
    expect((await put(account, a!.id, { text: 'b', state: 'Away' })).status).toBe(400);
    expect(await rev()).toBe('2');
    expect((await post(account, { text: 'B', state: 'Away' })).status).toBe(400);
    expect(await rev()).toBe('2');
    expect((await del(account, b!.id)).headers['ac-revision']).toBe('3');
    expect((await del(account, b!.id)).status).toBe(404);
    expect((await put(account, 999, { text: 'z', state: 'Away' })).status).toBe(404);
    expect((await put(account, a!.id, { text: 'z', state: 'Away' }, { headers: { 'If-Match': '1' } })).status).toBe(409);
    expect(await rev()).toBe('3');
    // A PUT that changes nothing is still a successful write.
    expect((await put(account, a!.id, { text: 'a1', state: 'Away' })).headers['ac-revision']).toBe('4');
    expect(await rev()).toBe('4');
  });
});

describe('POST with X-HTTP-Method-Override', () => {
  const override = (account: string, id: number, method: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(handler(), { method: 'POST', path: item(account, id), ...(body !== undefined && { body }), headers: { 'X-HTTP-Method-Override': method, ...headers } });

  it('PUT replaces like PUT', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away', order: 4 }]);
    const res = await override(account, a!.id, 'PUT', { text: 'Dinner', state: 'Online' });
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(res.body).toEqual({ ...a, text: 'Dinner', state: 'Online' });
    const lower = await override(account, a!.id, 'put', { text: 'Supper', state: 'Online' });
    expect(lower.status).toBe(200);
    const stale = await override(account, a!.id, 'PUT', { text: 'x', state: 'Online' }, { 'If-Match': '1' });
    expect(stale.status).toBe(409);
    const invalid = await override(account, a!.id, 'PUT', { text: 'x', state: 'Nope' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path)).toEqual(['state']);
  });

  it('DELETE deletes like DELETE', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const stale = await override(account, a!.id, 'DELETE', undefined, { 'If-Match': '0' });
    expect(stale.status).toBe(409);
    const res = await override(account, a!.id, 'DELETE');
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(res.body).toEqual({ ...a, deleted: true });
    const again = await override(account, a!.id, 'DELETE');
    expect(again.status).toBe(404);
  });

  it.each(['PATCH', 'GET', 'nonsense'])('answers 400 for the override %s, changing nothing', async (method) => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const before = await state(account);
    const res = await override(account, a!.id, method, { text: 'x', state: 'Away' });
    await expectRefused(account, res, 400, before);
  });
});

describe('scopes and accounts', () => {
  const claims = (account: string, scope: string) => ({ account, scope });

  it('a read-only token can read but gets 403 on every write', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const readOnly = { claims: claims(account, 'status-reasons:read') };
    expect((await list(account, readOnly)).status).toBe(200);
    expect((await getOne(account, a!.id, readOnly)).status).toBe(200);
    const before = await state(account);
    await expectRefused(account, await post(account, { text: 'x', state: 'Away' }, readOnly), 403, before);
    await expectRefused(account, await put(account, a!.id, { text: 'x', state: 'Away' }, readOnly), 403, before);
    await expectRefused(account, await del(account, a!.id, readOnly), 403, before);
    const overridden = await call(handler(), {
      method: 'POST',
      path: item(account, a!.id),
      headers: { 'X-HTTP-Method-Override': 'DELETE' },
      ...readOnly,
    });
    await expectRefused(account, overridden, 403, before);
  });

  it('a write-only token writes but reads nothing (SPEC §1: the read scope for reads)', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const writeOnly = { claims: claims(account, 'status-reasons:write') };
    for (const res of [await list(account, writeOnly), await getOne(account, a!.id, writeOnly), await list(account, { ...writeOnly, query: { include_deleted: 'true' } })]) {
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(/status-reasons:read/);
      expect(JSON.stringify(res.body)).not.toContain('Lunch');
    }
    expect((await put(account, a!.id, { text: 'x', state: 'Away' }, writeOnly)).status).toBe(200);
  });

  it("another account's token gets 403 and never sees data", async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Secret lunch', state: 'Away', description: 'hidden' }]);
    const before = await state(account);
    const other = { claims: claims(newAccount(), 'status-reasons:read status-reasons:write') };
    const answers = [
      await list(account, other),
      await list(account, { ...other, query: { include_deleted: 'true' } }),
      await getOne(account, a!.id, other),
      await post(account, { text: 'x', state: 'Away' }, other),
      await put(account, a!.id, { text: 'x', state: 'Away' }, other),
      await del(account, a!.id, other),
    ];
    for (const res of answers) {
      expect(res.status).toBe(403);
      expect(res.headers['ac-revision']).toBeUndefined();
      const text = JSON.stringify(res.body);
      expect(text).not.toMatch(/Secret|hidden/);
      expect(Object.keys(res.body)).toEqual(['message']);
    }
    expect(await state(account)).toEqual(before);
  });

  it('no claims is a 401 on every route', async () => {
    const account = newAccount();
    const [a] = await seed(account, [{ text: 'Lunch', state: 'Away' }]);
    const before = await state(account);
    const none = { claims: null };
    for (const res of [
      await list(account, none),
      await getOne(account, a!.id, none),
      await post(account, { text: 'x', state: 'Away' }, none),
      await put(account, a!.id, { text: 'x', state: 'Away' }, none),
      await del(account, a!.id, none),
    ]) {
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toMatch(/Lunch/);
    }
    expect(await state(account)).toEqual(before);
  });
});

describe('cap', () => {
  it('refuses to un-delete (PUT deleted: false) when the account has 1,000 non-deleted reasons', async () => {
    const account = newAccount();
    for (let b = 0; b < 10; b++) {
      await seed(
        account,
        Array.from({ length: 100 }, (_, i) => ({ text: `r${b * 100 + i}`, state: 'Away' })),
      );
    }
    const [first] = (await list(account)).body as Reason[];
    expect((await del(account, first!.id)).status).toBe(200);
    expect((await post(account, { text: 'the thousandth', state: 'Away' })).status).toBe(200);

    const before = await state(account);
    expect(before.items.filter((r) => !r.deleted)).toHaveLength(1000);
    const res = await put(account, first!.id, { text: first!.text, state: 'Away', deleted: false });
    await expectRefused(account, res, 400, before);
    expect(res.body.message).toMatch(/1000/);
    expect(res.body.errors).toEqual([{ path: '', message: expect.stringMatching(/at most 1000/) }]);

    // A PUT that keeps it deleted finds nothing (only a restore applies to a deleted reason); un-deleting once room is made works.
    expect((await put(account, first!.id, { text: first!.text, state: 'Online' })).status).toBe(404);
    const [second] = (await list(account)).body as Reason[];
    expect((await del(account, second!.id)).status).toBe(200);
    const undeleted = await put(account, first!.id, { text: first!.text, state: 'Away', deleted: false });
    expect(undeleted.status).toBe(200);
    expect(undeleted.body.deleted).toBe(false);
  }, 120_000);
});
