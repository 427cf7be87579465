// Idempotency-Key on LivePerson writes (SPEC §1): a repeat within 24 hours
// answers the first answer and writes nothing; the same key with another request
// is a 422; a repeat while the first still runs is a 409 with Retry-After.
import { describe, expect, it } from 'vitest';
import { createLivePersonHandler } from '../../../functions/adapters/liveperson/liveperson.js';
import { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import { faultyClient, isCommit, rules } from '../../support/fault-layer.js';
import { dynamoEndpoint, newAccount } from '../../support/dynamo.js';
import { call } from '../../support/events.js';
import { itemPath, livePersonOnTestTable, livePersonRequests } from '../../support/liveperson.js';

const { table, handler } = livePersonOnTestTable();
const requests = livePersonRequests(handler);

const key = (value: string) => ({ headers: { 'idempotency-key': value } });

describe('Idempotency-Key', () => {
  it('a repeated POST answers the first answer (status, body, ac-revision) and writes nothing', async () => {
    const { post, list } = requests;
    const account = newAccount();
    const first = await post(account, [{ text: 'Lunch', state: 'Away' }, { text: 'Gym', state: 'Online', order: 4 }], key('create-1'));
    expect(first.status).toBe(200);
    // Another write in between: the repeat still answers as the first did, at its revision.
    expect((await post(account, { text: 'Meeting', state: 'Occupied' })).status).toBe(200);
    const repeat = await post(account, [{ text: 'Lunch', state: 'Away' }, { text: 'Gym', state: 'Online', order: 4 }], key('create-1'));
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.headers['ac-revision']).toBe('1');
    const listed = await list(account);
    expect(listed.headers['ac-revision']).toBe('2');
    expect(listed.body).toHaveLength(3);
  });

  it('the same request in other whitespace or key order counts as the same; a different one with the key is 422 and writes nothing', async () => {
    const { post, list } = requests;
    const account = newAccount();
    expect((await post(account, { text: 'Lunch', state: 'Away', tags: { a: '1', b: '2' } }, key('k'))).status).toBe(200);
    const same = await post(account, undefined, { ...key('k'), rawBody: '{ "tags": {"b":"2","a":"1"}, "state":"Away", "text":"  Lunch " }' });
    expect(same.status).toBe(200);
    expect(same.headers['ac-revision']).toBe('1');
    const other = await post(account, { text: 'Dinner', state: 'Away' }, key('k'));
    expect(other.status).toBe(422);
    expect(other.body.message).toMatch(/different request/);
    expect(other.headers['ac-revision']).toBe('1'); // it read the account's data (SPEC §1)
    expect((await list(account)).body.map((r: { text: string }) => r.text)).toEqual(['Lunch']);
  });

  it('PUT and DELETE repeat their first answer; a DELETE repeated is not a 404', async () => {
    const { post, put, del, getOne } = requests;
    const account = newAccount();
    const { body: lunch } = await post(account, { text: 'Lunch', state: 'Away' });
    const replaced = await put(account, lunch.id, { text: 'Late lunch', state: 'Away' }, key('put-1'));
    expect(replaced.status).toBe(200);
    expect(await put(account, lunch.id, { text: 'Late lunch', state: 'Away' }, key('put-1'))).toEqual(replaced);
    const deleted = await del(account, lunch.id, key('del-1'));
    expect(deleted.status).toBe(200);
    const again = await del(account, lunch.id, key('del-1'));
    expect(again).toEqual(deleted);
    // POST with X-HTTP-Method-Override: DELETE is the same request as DELETE.
    const overridden = await call(handler(), { method: 'POST', path: itemPath(account, lunch.id), headers: { 'x-http-method-override': 'DELETE', 'idempotency-key': 'del-1' } });
    expect(overridden).toEqual(deleted);
    expect((await del(account, lunch.id)).status).toBe(404); // without the key it is a new request
    expect((await getOne(account, lunch.id, { query: { include_deleted: 'true' } })).headers['ac-revision']).toBe('3');
  });

  it('keys are per account', async () => {
    const { post } = requests;
    const a = newAccount();
    const b = newAccount();
    expect((await post(a, { text: 'Lunch', state: 'Away' }, key('shared'))).status).toBe(200);
    const other = await post(b, { text: 'Dinner', state: 'Away' }, key('shared'));
    expect(other.status).toBe(200);
    expect(other.body.text).toBe('Dinner');
  });

  it('refuses a key that is not 1–128 printable ASCII characters, naming the header', async () => {
    const { post } = requests;
    const account = newAccount();
    for (const bad of ['x'.repeat(129), 'clé', 'tab\there']) {
      const res = await post(account, { text: 'Lunch', state: 'Away' }, key(bad));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'Idempotency-Key', message: 'must be 1–128 printable ASCII characters' }]);
    }
  });

  it('a repeat while the first request still runs is a 409 with Retry-After, and writes nothing', async () => {
    const account = newAccount();
    // The first request's commit is held up; the repeat arrives meanwhile.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const policy = rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'interleave', run: () => held }, times: 1 }]);
    const { client } = faultyClient(dynamoEndpoint(), policy);
    const slow = new DynamoStatusReasonStore({ client, tableName: table().tableName });
    const slowRequests = livePersonRequests(() => createLivePersonHandler({ store: () => slow }));
    const first = slowRequests.post(account, { text: 'Lunch', state: 'Away' }, key('busy-key'));
    while (policy.applied() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const repeat = await requests.post(account, { text: 'Lunch', state: 'Away' }, key('busy-key'));
    expect(repeat.status).toBe(409);
    expect(repeat.headers['retry-after']).toBe('1');
    expect(repeat.headers['ac-revision']).toBe('0'); // as #META showed it, the first not yet committed
    release();
    expect((await first).status).toBe(200);
    const after = await requests.post(account, { text: 'Lunch', state: 'Away' }, key('busy-key'));
    expect(after.body).toEqual((await first).body);
    expect(after.headers['ac-revision']).toBe('1');
  });

  it('is remembered 24 hours: later, the same key is a new request', async () => {
    const account = newAccount();
    const later = table().store({ now: () => Date.now() + 25 * 60 * 60 * 1000 });
    const laterRequests = livePersonRequests(() => createLivePersonHandler({ store: () => later }));
    expect((await requests.post(account, { text: 'Lunch', state: 'Away' }, key('old'))).status).toBe(200);
    const again = await laterRequests.post(account, { text: 'Lunch', state: 'Away' }, key('old'));
    // A new request: the text is taken now.
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/unique/);
  });
});
