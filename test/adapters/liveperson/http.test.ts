// The LivePerson API over real HTTP: the local API Gateway stand-in (JWT
// authorizer included) in front of the real handler, on a real DynamoDB engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, loadOrCreateKeys, signToken, type LocalKeys } from '../../../infra/local/jwt.js';
import { BASE } from '../../support/events.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { startLocalHttp, type HttpRequest, type LocalHttp } from '../../support/local-http.js';

let api: LocalHttp;
let keys: LocalKeys;
let otherKeys: LocalKeys;
const otherDir = mkdtempSync(path.join(tmpdir(), 'lp-http-other-keys-'));

beforeAll(async () => {
  const store = (await createTestTable()).store();
  api = await startLocalHttp(() => store);
  keys = api.keys;
  otherKeys = await loadOrCreateKeys(otherDir);
});

afterAll(async () => {
  await api?.close();
  rmSync(otherDir, { recursive: true, force: true });
});

type Request = HttpRequest;
const http = (pathAndQuery: string, request?: Request) => api.http(pathAndQuery, request);
const tokenFor = (account: string, scope?: string) => api.tokenFor(account, scope);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsFor = (account: string) => ({
  account,
  scope: 'status-reasons:read status-reasons:write',
  iss: LOCAL_ISSUER,
  aud: LOCAL_AUDIENCE,
  sub: 'attacker',
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + 3600,
});

/** The account's state as a valid token sees it: revision and every reason. */
async function stateOf(account: string): Promise<{ revision: string | null; items: unknown[] }> {
  const res = await http(`${BASE(account)}?include_deleted=true`, { token: await tokenFor(account) });
  expect(res.status).toBe(200);
  return { revision: res.headers.get('ac-revision'), items: res.body };
}

describe('the API through HTTP with real JWTs', () => {
  it('creates, lists, gets, replaces and deletes', async () => {
    const account = newAccount();
    const token = await tokenFor(account);

    const created = await http(BASE(account), { method: 'POST', token, body: [{ text: 'Lunch', state: 'Away', order: 2 }, { text: 'Break', state: 'Occupied', order: 1 }] });
    expect(created.status).toBe(200);
    expect(created.headers.get('ac-revision')).toBe('1');
    expect(created.headers.get('content-type')).toMatch(/application\/json/);
    const [lunch, brk] = created.body as { id: number; text: string }[];

    const listed = await http(`${BASE(account)}?v=1.0`, { token });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('ac-revision')).toBe('1');
    expect(listed.body.map((r: { text: string }) => r.text)).toEqual(['Break', 'Lunch']);

    const one = await http(`${BASE(account)}/${lunch!.id}`, { token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(lunch);

    const replaced = await http(`${BASE(account)}/${lunch!.id}`, { method: 'PUT', token, body: { text: 'Long lunch', state: 'Online' }, headers: { 'If-Match': '1' } });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('ac-revision')).toBe('2');
    expect(replaced.body).toEqual({ ...lunch, text: 'Long lunch', state: 'Online' });

    const stale = await http(`${BASE(account)}/${lunch!.id}`, { method: 'PUT', token, body: { text: 'x', state: 'Online' }, headers: { 'If-Match': '1' } });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('ac-revision')).toBe('2');

    const deleted = await http(`${BASE(account)}/${brk!.id}`, { method: 'DELETE', token });
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get('ac-revision')).toBe('3');
    expect(deleted.body).toEqual({ ...brk, deleted: true });

    const overridden = await http(`${BASE(account)}/${lunch!.id}`, { method: 'POST', token, headers: { 'X-HTTP-Method-Override': 'DELETE' } });
    expect(overridden.status).toBe(200);
    expect(overridden.body.deleted).toBe(true);

    const after = await http(BASE(account), { token });
    expect(after.body).toEqual([]);
    expect(after.headers.get('ac-revision')).toBe('4');
    const all = await http(`${BASE(account)}?include_deleted=true`, { token });
    expect(all.body).toHaveLength(2);
  });

  it('answers 304 with no body for the current revision', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    await http(BASE(account), { method: 'POST', token, body: { text: 'Lunch', state: 'Away' } });
    const current = await http(BASE(account), { token, headers: { 'If-None-Match': '1' } });
    expect(current.status).toBe(304);
    expect(current.text).toBe('');
    expect(current.headers.get('ac-revision')).toBe('1');
    const stale = await http(BASE(account), { token, headers: { 'If-None-Match': '0' } });
    expect(stale.status).toBe(200);
    expect(stale.body).toHaveLength(1);
  });

  it('refuses scopes and accounts the token does not grant (403, nothing seen or written)', async () => {
    const account = newAccount();
    await http(BASE(account), { method: 'POST', token: await tokenFor(account), body: { text: 'Private', state: 'Away' } });
    const before = await stateOf(account);

    const readOnly = await tokenFor(account, 'status-reasons:read');
    expect((await http(BASE(account), { token: readOnly })).status).toBe(200);
    expect((await http(BASE(account), { method: 'POST', token: readOnly, body: { text: 'x', state: 'Away' } })).status).toBe(403);

    const stranger = await tokenFor(newAccount());
    for (const res of [
      await http(BASE(account), { token: stranger }),
      await http(`${BASE(account)}/1`, { token: stranger }),
      await http(BASE(account), { method: 'POST', token: stranger, body: { text: 'x', state: 'Away' } }),
      await http(`${BASE(account)}/1`, { method: 'DELETE', token: stranger }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.text).not.toMatch(/Private/);
    }
    expect(await stateOf(account)).toEqual(before);
  });
});

describe('tokens the authorizer refuses: 401, nothing written', () => {
  const cases: Array<[string, (account: string) => Promise<Pick<Request, 'token' | 'authorization'>>]> = [
    ['no Authorization header', async () => ({})],
    ['a non-Bearer scheme', async (account) => ({ authorization: `Basic ${Buffer.from(`${account}:x`).toString('base64')}` })],
    ['a malformed token', async () => ({ token: 'not-a-jwt' })],
    ['a token of garbage segments', async () => ({ token: 'aaa.bbb.ccc' })],
    ['an expired token', async (account) => ({ token: await signToken(keys, { account, expiresIn: Math.floor(Date.now() / 1000) - 60 }) })],
    ['a token signed by another key pair', async (account) => ({ token: await signToken(otherKeys, { account }) })],
    ['an alg: none token with an empty signature', async (account) => ({ token: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claimsFor(account))}.` })],
    [
      'an alg: none token with a signature copied from a valid token',
      async (account) => {
        const valid = await tokenFor(account);
        return { token: `${b64url({ alg: 'none' })}.${b64url(claimsFor(account))}.${valid.split('.')[2]}` };
      },
    ],
    [
      'a valid token whose payload was swapped',
      async (account) => {
        const [header, , signature] = (await tokenFor(newAccount())).split('.');
        return { token: `${header}.${b64url(claimsFor(account))}.${signature}` };
      },
    ],
    [
      'an HS256 token',
      async (account) => ({
        token: await new SignJWT(claimsFor(account)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a shared secret of 32 bytes!!!!!')),
      }),
    ],
    [
      'a token for another audience',
      async (account) => ({
        token: await new SignJWT({ account, scope: 'status-reasons:read status-reasons:write' })
          .setProtectedHeader({ alg: 'RS256', kid: keys.kid })
          .setIssuer(LOCAL_ISSUER)
          .setAudience('someone-else')
          .setExpirationTime('1h')
          .sign(keys.privateKey),
      }),
    ],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const account = newAccount();
    const auth = await make(account);
    const write = await http(BASE(account), { method: 'POST', ...auth, body: { text: 'Intruder', state: 'Away' } });
    expect(write.status).toBe(401);
    expect(write.headers.get('www-authenticate')).toBe('Bearer');
    expect(write.headers.get('ac-revision')).toBeNull();
    const read = await http(BASE(account), { ...auth });
    expect(read.status).toBe(401);
    const del = await http(`${BASE(account)}/1`, { method: 'DELETE', ...auth });
    expect(del.status).toBe(401);
    expect(await stateOf(account)).toEqual({ revision: '0', items: [] });
  });
});

describe('requests the gateway or the handler refuse', () => {
  it('answers 404 for unknown routes', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    for (const [method, where] of [
      ['GET', '/'],
      ['GET', '/nope'],
      ['GET', `/api/account/${account}/configuration/le-agents/skills`],
      ['PATCH', `${BASE(account)}/1`],
      ['DELETE', BASE(account)],
      ['GET', `${BASE(account)}/1/extra`],
    ] as const) {
      const res = await http(where, { method, token });
      expect(res.status, `${method} ${where}`).toBe(404);
    }
    // A POST to an item without an override is not a route either.
    const res = await http(`${BASE(account)}/1`, { method: 'POST', token, body: { text: 'x', state: 'Away' } });
    expect(res.status).toBe(404);
    expect(await stateOf(account)).toEqual({ revision: '0', items: [] });
  });

  it('answers 413 for a body over 256 KiB and writes nothing', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    const body = { text: 'Big', state: 'Away', description: 'x'.repeat(257 * 1024) };
    const res = await http(BASE(account), { method: 'POST', token, body });
    expect(res.status).toBe(413);
    expect(res.body.message).toEqual(expect.any(String));
    expect(await stateOf(account)).toEqual({ revision: '0', items: [] });
  });

  it('answers 415 for content-type: text/plain and writes nothing', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    const res = await http(BASE(account), { method: 'POST', token, rawBody: JSON.stringify({ text: 'x', state: 'Away' }), headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    const put = await http(`${BASE(account)}/1`, { method: 'PUT', token, rawBody: JSON.stringify({ text: 'x', state: 'Away' }), headers: { 'content-type': 'text/plain' } });
    expect([404, 415]).toContain(put.status);
    expect(await stateOf(account)).toEqual({ revision: '0', items: [] });
  });

  it('answers 400 for a body that is not valid UTF-8 and writes nothing (not stored with U+FFFD)', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    const res = await http(BASE(account), { method: 'POST', token, rawBody: Buffer.from('{"text":"Caf\xff","state":"Away"}', 'latin1') });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: expect.stringContaining('not valid UTF-8'), errors: [{ path: '', message: 'is not valid UTF-8 (ill-formed at byte 12)' }] });
    expect(await stateOf(account)).toEqual({ revision: '0', items: [] });
  });

  // A bad input never yields a 500 (SPEC §4). The handler answers these 400 (see
  // read.test.ts); the local server must hand them over instead of failing first.
  it('answers 400 (not 500) for an id with broken percent-encoding', async () => {
    const account = newAccount();
    const token = await tokenFor(account);
    const res = await http(`${BASE(account)}/%E0%A4%A`, { token });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'statusReasonId', message: expect.any(String) }]);
  });

  it('answers 400 (not 500) for an account id with broken percent-encoding', async () => {
    const token = await tokenFor('x');
    const res = await http('/api/account/%ZZ/configuration/le-agents/status-reasons', { token });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'accountId', message: expect.any(String) }]);
  });
});
