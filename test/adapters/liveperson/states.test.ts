// LivePerson's state values and include_deleted on a get by id, through real
// HTTP (local gateway, real JWTs) on a real DynamoDB engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE } from '../../support/events.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { startLocalHttp, type LocalHttp } from '../../support/local-http.js';

let api: LocalHttp;
beforeAll(async () => {
  const store = (await createTestTable()).store();
  api = await startLocalHttp(() => store);
});
afterAll(() => api?.close());

const ALLOWED = 'must be one of "Online", "Occupied", "Away"';

describe('state: Online, Occupied, Away', () => {
  it('creates, reads back and replaces with each of the three values', async () => {
    const account = newAccount();
    const token = await api.tokenFor(account);
    const created = await api.http(BASE(account), {
      method: 'POST',
      token,
      body: [
        { text: 'Ready', state: 'Online' },
        { text: 'Back soon', state: 'Occupied' },
        { text: 'Lunch', state: 'Away' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.map((r: { state: string }) => r.state)).toEqual(['Online', 'Occupied', 'Away']);
    const listed = await api.http(BASE(account), { token });
    expect(listed.body.map((r: { text: string; state: string }) => [r.text, r.state])).toEqual([
      ['Ready', 'Online'],
      ['Back soon', 'Occupied'],
      ['Lunch', 'Away'],
    ]);
    const replaced = await api.http(`${BASE(account)}/${created.body[2].id}`, { method: 'PUT', token, body: { text: 'Lunch', state: 'Occupied' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.state).toBe('Occupied');
  });

  it.each([
    ['"Back soon" (what the agent workspace shows for Occupied)', 'Back soon'],
    ['a value in another case', 'away'],
    ['an empty string', ''],
    ['a number', 1],
  ])('refuses %s with a 400 naming the allowed values, and writes nothing', async (_, state) => {
    const account = newAccount();
    const token = await api.tokenFor(account);
    const created = await api.http(BASE(account), { method: 'POST', token, body: { text: 'Lunch', state } });
    expect(created.status).toBe(400);
    expect(created.body).toEqual({ message: `Invalid request: state ${ALLOWED}.`, errors: [{ path: 'state', message: ALLOWED }] });
    const inArray = await api.http(BASE(account), { method: 'POST', token, body: [{ text: 'A', state: 'Away' }, { text: 'B', state }] });
    expect(inArray.body.errors).toEqual([{ path: '[1].state', message: ALLOWED }]);
    const listed = await api.http(BASE(account), { token });
    expect(listed.headers.get('ac-revision')).toBe('0');
    expect(listed.body).toEqual([]);
  });

  it('refuses "Back soon" on a replace too, and keeps the reason as it was', async () => {
    const account = newAccount();
    const token = await api.tokenFor(account);
    const created = await api.http(BASE(account), { method: 'POST', token, body: { text: 'Lunch', state: 'Away' } });
    const path = `${BASE(account)}/${created.body.id}`;
    const replaced = await api.http(path, { method: 'PUT', token, body: { text: 'Lunch', state: 'Back soon' } });
    expect(replaced.status).toBe(400);
    expect(replaced.body.errors).toEqual([{ path: 'state', message: ALLOWED }]);
    expect((await api.http(path, { token })).body).toEqual(created.body);
  });
});

describe('include_deleted on a get by id', () => {
  it('answers a deleted reason only with include_deleted=true, with deleted: true; 404 without it or with false', async () => {
    const account = newAccount();
    const token = await api.tokenFor(account);
    const created = await api.http(BASE(account), { method: 'POST', token, body: { text: 'Gone', state: 'Away' } });
    const path = `${BASE(account)}/${created.body.id}`;
    expect((await api.http(path, { token })).body).toEqual(created.body);
    expect((await api.http(path, { method: 'DELETE', token })).status).toBe(200);

    for (const query of ['', '?include_deleted=false', '?include_deleted=FALSE&v=1.0']) {
      const hidden = await api.http(`${path}${query}`, { token });
      expect(hidden.status).toBe(404);
      expect(hidden.body.message).toMatch(/deleted/);
      expect(hidden.headers.get('ac-revision')).toBe('2');
    }
    for (const query of ['?include_deleted=true', '?include_deleted=True&v=2']) {
      const shown = await api.http(`${path}${query}`, { token });
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual({ ...created.body, deleted: true });
    }
    const never = await api.http(`${BASE(account)}/999?include_deleted=true`, { token });
    expect(never.status).toBe(404);
    expect(never.body.message).toMatch(/does not exist/);
  });
});
