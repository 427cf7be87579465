// Bad input to POST status-reasons: always a clear 4xx naming what and where,
// never a 5xx, and nothing written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import { BASE, call, type EventOptions } from '../../support/events.js';
import { newAccount } from '../../support/dynamo.js';
import { livePersonOnTestTable } from '../../support/liveperson.js';

const { table, handler } = livePersonOnTestTable();

const post = (account: string, extra: Partial<EventOptions>) => call(handler(), { method: 'POST', path: BASE(account), ...extra });
const nothingWritten = async (account: string) => expect(await listStatusReasons(table().store(), account, { includeDeleted: true })).toEqual({ revision: 0, items: [] });

describe('named bad requests', () => {
  it.each<[string, Partial<EventOptions>, number, string | undefined]>([
    ['an unknown field', { body: { text: 'A', state: 'Away', color: 'red' } }, 400, 'color'],
    ['a wrong type', { body: { text: 'A', state: 'Away', enabled: 'true' } }, 400, 'enabled'],
    ['an empty text', { body: { text: '', state: 'Away' } }, 400, 'text'],
    ['a missing state', { body: { text: 'A' } }, 400, 'state'],
    ['a wrong type inside an array', { body: [{ text: 'A', state: 'Away' }, { text: 'B', state: 'Away', order: '3' }] }, 400, '[1].order'],
    ['101 items', { body: Array.from({ length: 101 }, (_, i) => ({ text: `t${i}`, state: 'Away' })) }, 400, ''],
    ['an empty array', { body: [] }, 400, ''],
    ['a body that is not JSON', { rawBody: '{"text": "A", ' }, 400, ''],
    ['a body that is not valid UTF-8', { bytes: Buffer.from('{"text":"Caf\xff","state":"Away"}', 'latin1') }, 400, ''],
    ['no body', { rawBody: '' }, 400, ''],
    ['a body over 256 KiB', { body: { text: 'A', state: 'Away', description: 'x'.repeat(256 * 1024) } }, 413, undefined],
    ['a text/plain body', { rawBody: '{"text":"A","state":"Away"}', headers: { 'content-type': 'text/plain' } }, 415, undefined],
    ['a non-numeric v', { body: { text: 'A', state: 'Away' }, query: { v: 'latest' } }, 400, 'v'],
    ['a malformed If-Match', { body: { text: 'A', state: 'Away' }, headers: { 'if-match': 'yesterday' } }, 400, 'If-Match'],
  ])('%s', async (_name, request, status, path) => {
    const account = newAccount();
    const res = await post(account, request);
    expect(res.status).toBe(status);
    expect(typeof res.body.message).toBe('string');
    expect(res.body.message.length).toBeGreaterThan(10);
    if (path !== undefined) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    await nothingWritten(account);
  });

  it('a body that is not valid UTF-8 is refused naming the body and the byte, not stored with U+FFFD', async () => {
    const account = newAccount();
    const res = await post(account, { bytes: Buffer.from('{"text":"Caf\xff","state":"Away"}', 'latin1') });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'The request body is not valid UTF-8: the sequence at byte 12 (0xff) is ill-formed.', errors: [{ path: '', message: 'is not valid UTF-8 (ill-formed at byte 12)' }] });
    await nothingWritten(account);
  });

  // The override applies only to base/{id}: a client meaning to delete or replace
  // that dropped the id must not create instead.
  it.each(['DELETE', 'PUT', 'GET', 'PATCH'])('X-HTTP-Method-Override: %s on the collection is a 400 naming the header', async (override) => {
    const account = newAccount();
    const res = await post(account, { body: { text: 'A', state: 'Away' }, headers: { 'x-http-method-override': override } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/X-HTTP-Method-Override/);
    expect(res.body.message).toContain('base/{id}');
    expect(res.body.errors).toEqual([{ path: 'X-HTTP-Method-Override', message: expect.stringContaining('base/{id}') }]);
    await nothingWritten(account);
  });

  it('a tag key counts characters, not UTF-16 units: 128 emoji are kept, 129 refused naming 129', async () => {
    const account = newAccount();
    const key = '😀'.repeat(128);
    const kept = await post(account, { body: { text: 'A', state: 'Away', tags: { [key]: 'v' } } });
    expect(kept.status).toBe(200);
    expect(kept.body.tags).toEqual({ [key]: 'v' });
    const refused = await post(account, { body: { text: 'B', state: 'Away', tags: { [key + '😀']: 'v' } } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'tags', message: 'keys must be 1–128 characters (key #1 has 129)' }]);
    expect((await listStatusReasons(table().store(), account)).revision).toBe(1);
  });

  it('a repeated text inside one array names the repeat and the first', async () => {
    const account = newAccount();
    const res = await post(account, { body: [{ text: 'Lunch', state: 'Away' }, { text: 'Break', state: 'Away' }, { text: ' LUNCH', state: 'Online' }] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: '[2].text', message: '"LUNCH" repeats the text of [0]' }]);
    await nothingWritten(account);
  });

  it('a text an existing reason has is a 400 that says so, and the revision stays', async () => {
    const account = newAccount();
    const first = await post(account, { body: { text: 'Lunch', state: 'Away' } });
    const res = await post(account, { body: [{ text: 'Other', state: 'Away' }, { text: 'lunch', state: 'Away' }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/unique/);
    expect(res.body.errors).toEqual([{ path: '[1].text', message: `"lunch" is already the text of status reason ${first.body.id}` }]);
    expect(res.headers['ac-revision']).toBe('1');
    const listed = await listStatusReasons(table().store(), account);
    expect(listed.revision).toBe(1);
    expect(listed.items.map((r) => r.text)).toEqual(['Lunch']);
  });

  it('a deleted reason does not hold its text', async () => {
    const account = newAccount();
    const res = await post(account, { body: [{ text: 'Gone', state: 'Away', deleted: true }, { text: 'gone', state: 'Away' }] });
    expect(res.status).toBe(200);
  });

  it('If-Match: the current revision is accepted, a stale one is a 409 that changes nothing', async () => {
    const account = newAccount();
    expect((await post(account, { body: { text: 'A', state: 'Away' }, headers: { 'if-match': '0' } })).status).toBe(200);
    const stale = await post(account, { body: { text: 'B', state: 'Away' }, headers: { 'if-match': '0' } });
    expect(stale.status).toBe(409);
    expect(stale.headers['ac-revision']).toBe('1');
    expect((await post(account, { body: { text: 'B', state: 'Away' }, headers: { 'if-match': '"1"' } })).status).toBe(200);
    expect((await listStatusReasons(table().store(), account)).revision).toBe(2);
  });

  it('a numeric v is accepted', async () => {
    expect((await post(newAccount(), { body: { text: 'A', state: 'Away' }, query: { v: '1.0' } })).status).toBe(200);
  });

  it('auth: no claims is a 401, another account is a 403, a read-only scope is a 403; none writes', async () => {
    const account = newAccount();
    expect((await post(account, { body: { text: 'A', state: 'Away' }, claims: null })).status).toBe(401);
    const other = await post(account, { body: { text: 'A', state: 'Away' }, claims: { account: 'someone-else', scope: 'status-reasons:write' } });
    expect(other.status).toBe(403);
    expect(other.headers['ac-revision']).toBeUndefined();
    expect((await post(account, { body: { text: 'A', state: 'Away' }, claims: { account, scope: 'status-reasons:read' } })).status).toBe(403);
    await nothingWritten(account);
  });

  it('the per-account cap of 1,000 non-deleted reasons is a clear 400', async () => {
    const account = newAccount();
    for (let batch = 0; batch < 10; batch++) {
      const res = await post(account, { body: Array.from({ length: 100 }, (_, i) => ({ text: `r${batch}-${i}`, state: 'Away' })) });
      expect(res.status).toBe(200);
    }
    const over = await post(account, { body: { text: 'one too many', state: 'Away' } });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/at most 1000 status reasons/);
    // SPEC §1: a 400's body says what and where; the cap is the body's as a whole.
    expect(over.body.errors).toEqual([{ path: '', message: expect.stringMatching(/at most 1000/) }]);
    expect(over.headers['ac-revision']).toBe('10');
    // A deleted one does not count.
    expect((await post(account, { body: { text: 'archived', state: 'Away', deleted: true } })).status).toBe(200);
  }, 120_000);
});

describe('property: arbitrary bodies and headers never give a 5xx', () => {
  const reasonLike = fc.record(
    {
      text: fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom('Lunch', '  ', '\u0000', 'ＬＵＮＣＨ'), fc.integer(), fc.constant(null)),
      state: fc.oneof(fc.constantFrom('Away', 'Occupied', 'Online', 'away', ''), fc.anything()),
      enabled: fc.oneof(fc.boolean(), fc.anything()),
      deleted: fc.oneof(fc.boolean(), fc.anything()),
      order: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53), fc.string()),
      description: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
      tags: fc.oneof(fc.dictionary(fc.string({ maxLength: 130 }), fc.string({ maxLength: 260 }), { maxKeys: 55 }), fc.anything()),
      id: fc.anything(),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    reasonLike.map((v) => JSON.stringify(v)),
    fc.array(reasonLike, { maxLength: 5 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constant(''),
  );
  const headers = fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', '', 'application/x-www-form-urlencoded', 'application/vnd.api+json'),
      'if-match': fc.oneof(fc.constantFrom('0', '"0"', 'W/"0"', '-1', '99999999999999999999'), fc.string({ maxLength: 20 })),
      'x-http-method-override': fc.constantFrom('PUT', 'DELETE', 'GET', 'PATCH', ''),
    },
    { requiredKeys: [] },
  );
  const query = fc.option(fc.record({ v: fc.oneof(fc.constantFrom('1', '1.0', '2', 'abc', ''), fc.string({ maxLength: 8 })) }, { requiredKeys: [] }), { nil: undefined });

  it('POST: every answer is 200 or a 4xx with a JSON message; only 200s write', async () => {
    const account = newAccount();
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(body, headers, query, async (raw, hdrs, q) => {
        const res = await post(account, { rawBody: raw, headers: hdrs as Record<string, string>, ...(q && { query: q as Record<string, string> }) });
        expect(res.status).not.toBeGreaterThanOrEqual(500);
        // The override applies only to base/{id}: on the collection it is refused, whatever the rest.
        if (hdrs['x-http-method-override']) expect(res.status).toBe(400);
        if (res.status === 200) successes++;
        else {
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(typeof res.body.message).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
    expect((await listStatusReasons(table().store(), account)).revision).toBe(successes);
  }, 120_000);
});
