// GET status-reasons (list and one) through the real handler on a real DynamoDB engine.
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { partitionKey } from '../../../functions/store/layout.js';
import { newAccount } from '../../support/dynamo.js';
import { livePersonOnTestTable, livePersonRequests, type Reason } from '../../support/liveperson.js';

const { table, handler } = livePersonOnTestTable();
const { post, list, getOne, del } = livePersonRequests(handler);

/** Sorted by order, then id: the order the API promises for lists. */
function expectSorted(items: Reason[]): void {
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1]!;
    const b = items[i]!;
    expect(a.order < b.order || (a.order === b.order && a.id < b.id), `item ${i - 1} (${a.id}/${a.order}) before item ${i} (${b.id}/${b.order})`).toBe(true);
  }
}

/** Creates `batches` requests of `size` reasons each, sequentially, checking each succeeds. */
async function fill(account: string, batches: number, size: number, make: (n: number) => Record<string, unknown>): Promise<Reason[]> {
  const all: Reason[] = [];
  for (let b = 0; b < batches; b++) {
    const body = Array.from({ length: size }, (_, i) => make(b * size + i));
    const res = await post(account, body);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    all.push(...(res.body as Reason[]));
  }
  return all;
}

describe('list', () => {
  it('answers [] with revision 0 for a new account', async () => {
    const res = await list(newAccount());
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('0');
    expect(res.body).toEqual([]);
  });

  it('lists non-deleted reasons sorted by order, then id, with ac-revision', async () => {
    const account = newAccount();
    await post(account, [
      { text: 'c', state: 'Away', order: 5 },
      { text: 'a', state: 'Away', order: 5 },
      { text: 'b', state: 'Online', order: -3 },
      { text: 'd', state: 'Occupied', order: 100 },
    ]);
    const later = await post(account, [
      { text: 'e', state: 'Away', order: 5 },
      { text: 'f', state: 'Away' },
    ]);
    expect(later.headers['ac-revision']).toBe('2');
    const res = await list(account);
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(res.body.map((r: Reason) => r.text)).toEqual(['f', 'b', 'c', 'a', 'e', 'd']);
    expectSorted(res.body);
  });

  it('leaves deleted reasons out unless include_deleted=true', async () => {
    const account = newAccount();
    const created = await post(account, [
      { text: 'keep', state: 'Away', order: 1 },
      { text: 'gone', state: 'Away', order: 2 },
      { text: 'born-deleted', state: 'Away', order: 3, deleted: true },
    ]);
    const gone = created.body[1] as Reason;
    expect((await del(account, gone.id)).status).toBe(200);

    const plain = await list(account);
    expect(plain.headers['ac-revision']).toBe('2');
    expect(plain.body.map((r: Reason) => r.text)).toEqual(['keep']);

    const all = await list(account, { query: { include_deleted: 'true' } });
    expect(all.status).toBe(200);
    expect(all.headers['ac-revision']).toBe('2');
    expect(all.body.map((r: Reason) => [r.text, r.deleted])).toEqual([
      ['keep', false],
      ['gone', true],
      ['born-deleted', true],
    ]);

    const explicitFalse = await list(account, { query: { include_deleted: 'false' } });
    expect(explicitFalse.body.map((r: Reason) => r.text)).toEqual(['keep']);
  });

  it('answers 400 for include_deleted=nope', async () => {
    const account = newAccount();
    const res = await list(account, { query: { include_deleted: 'nope' } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'include_deleted', message: expect.any(String) }]);
  });

  it('accepts v=1.0 and refuses v=abc with a 400 naming v', async () => {
    const account = newAccount();
    await post(account, { text: 'x', state: 'Away' });
    const ok = await list(account, { query: { v: '1.0' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveLength(1);
    const bad = await list(account, { query: { v: 'abc' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'v', message: expect.any(String) }]);
    const badOne = await getOne(account, 1, { query: { v: 'abc' } });
    expect(badOne.status).toBe(400);
    const okOne = await getOne(account, 1, { query: { v: '1' } });
    expect(okOne.status).toBe(200);
  });
});

describe('If-None-Match', () => {
  it('answers 304 with no body for the current revision, and 200 for a stale one', async () => {
    const account = newAccount();
    await post(account, { text: 'one', state: 'Away' });
    await post(account, { text: 'two', state: 'Away' });

    const current = await list(account, { headers: { 'If-None-Match': '2' } });
    expect(current.status).toBe(304);
    expect(current.body).toBeUndefined();
    expect(current.headers['ac-revision']).toBe('2');

    const quoted = await list(account, { headers: { 'if-none-match': '"2"' } });
    expect(quoted.status).toBe(304);
    expect(quoted.body).toBeUndefined();

    const stale = await list(account, { headers: { 'If-None-Match': '1' } });
    expect(stale.status).toBe(200);
    expect(stale.headers['ac-revision']).toBe('2');
    expect(stale.body).toHaveLength(2);

    await post(account, { text: 'three', state: 'Away' });
    const afterWrite = await list(account, { headers: { 'If-None-Match': '2' } });
    expect(afterWrite.status).toBe(200);
    expect(afterWrite.headers['ac-revision']).toBe('3');
    expect(afterWrite.body).toHaveLength(3);
  });

  it('answers 304 for a new account at revision 0', async () => {
    const res = await list(newAccount(), { headers: { 'If-None-Match': '0' } });
    expect(res.status).toBe(304);
    expect(res.body).toBeUndefined();
    expect(res.headers['ac-revision']).toBe('0');
  });
});

describe('get one', () => {
  it('answers the reason with ac-revision', async () => {
    const account = newAccount();
    const created = await post(account, { text: 'Lunch', state: 'Away', order: 3, description: 'food', tags: { a: 'b' } });
    const res = await getOne(account, created.body.id);
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('1');
    expect(res.body).toEqual({ id: created.body.id, text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: 3, description: 'food', tags: { a: 'b' } });
  });

  it('answers a deleted reason only with include_deleted=true (LivePerson: default false), then with deleted: true', async () => {
    const account = newAccount();
    const created = await post(account, { text: 'Gone', state: 'Online' });
    await del(account, created.body.id);
    const hidden = await getOne(account, created.body.id);
    expect(hidden.status).toBe(404);
    expect(hidden.headers['ac-revision']).toBe('2');
    expect(hidden.body.message).toMatch(/is deleted/);
    expect((await getOne(account, created.body.id, { query: { include_deleted: 'false' } })).status).toBe(404);
    const res = await getOne(account, created.body.id, { query: { include_deleted: 'true' } });
    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('2');
    expect(res.body).toEqual({ ...created.body, deleted: true });
  });

  it('answers a live reason the same with and without include_deleted, and refuses a bad include_deleted', async () => {
    const account = newAccount();
    const created = await post(account, { text: 'Here', state: 'Occupied' });
    expect((await getOne(account, created.body.id, { query: { include_deleted: 'true' } })).body).toEqual(created.body);
    expect((await getOne(account, created.body.id, { query: { include_deleted: 'false' } })).body).toEqual(created.body);
    const bad = await getOne(account, created.body.id, { query: { include_deleted: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'include_deleted', message: 'must be true or false' }]);
  });

  it('answers 404 for an id that never existed, with ac-revision', async () => {
    const account = newAccount();
    await post(account, { text: 'x', state: 'Away' });
    const res = await getOne(account, 99);
    expect(res.status).toBe(404);
    expect(res.headers['ac-revision']).toBe('1');
    expect(res.body.message).toMatch(/99/);
    const fresh = await getOne(newAccount(), 1);
    expect(fresh.status).toBe(404);
    expect(fresh.headers['ac-revision']).toBe('0');
  });

  it('answers 400 for an id with broken percent-encoding', async () => {
    const account = newAccount();
    const res = await getOne(account, '%E0%A4%A');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'statusReasonId', message: expect.any(String) }]);
  });

  it.each(['abc', '0', '-1', '1.5', '1e3', '99999999999999999'])('answers 400 for the id %s', async (id) => {
    const account = newAccount();
    await post(account, { text: 'x', state: 'Away' });
    const res = await getOne(account, id);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'statusReasonId', message: expect.any(String) }]);
  });
});

describe('large lists', () => {
  it('lists 1,000 reasons (10 creates of 100) sorted by order, then id', async () => {
    const account = newAccount();
    // A mix: some with an order (with ties), most without (each batch goes before the earlier ones).
    const created = await fill(account, 10, 100, (n) => ({
      text: `reason ${n}`,
      state: 'Away',
      ...(n % 7 === 0 && { order: n % 3 }),
    }));
    expect(new Set(created.map((r) => r.id)).size).toBe(1000);

    const started = performance.now();
    const res = await list(account);
    const elapsed = performance.now() - started;
    console.log(`[read.test] listing 1,000 reasons through the handler took ${elapsed.toFixed(1)} ms`);

    expect(res.status).toBe(200);
    expect(res.headers['ac-revision']).toBe('10');
    expect(res.body).toHaveLength(1000);
    expectSorted(res.body);
    const byId = new Map(created.map((r) => [r.id, r]));
    for (const item of res.body as Reason[]) expect(item).toEqual(byId.get(item.id));
  }, 120_000);

  it('lists every reason when the account holds more than one 1 MB DynamoDB page', async () => {
    const account = newAccount();
    const longValue = (n: number, k: number) => `${n}-${k}-`.padEnd(24, 'v');
    // About 1.8 KB per reason in DynamoDB: 1,000 of them exceed 1 MB. 100 per request stays under 256 KiB.
    const created = await fill(account, 10, 100, (n) => ({
      text: `big reason ${n}`,
      state: n % 2 ? 'Online' : 'Away',
      order: (n * 37) % 200,
      description: `d${n}`.padEnd(250, 'x'),
      tags: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`k${String(k).padStart(2, '0')}`, longValue(n, k)])),
    }));

    // The premise: DynamoDB needs more than one Query page for this partition.
    const firstPage = await table().sdk.send(
      new QueryCommand({
        TableName: table().tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: partitionKey(account) } },
        ConsistentRead: true,
      }),
    );
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    expect(firstPage.Count ?? 0).toBeLessThan(1001);

    const started = performance.now();
    const res = await list(account);
    const elapsed = performance.now() - started;
    const bytes = JSON.stringify(res.body).length;
    console.log(
      `[read.test] listing 1,000 big reasons (${(bytes / 1024 / 1024).toFixed(2)} MB of JSON; first DynamoDB page held ${firstPage.Count} items) took ${elapsed.toFixed(1)} ms`,
    );

    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1000);
    expectSorted(res.body);
    const byId = new Map(created.map((r) => [r.id, r]));
    for (const item of res.body as Reason[]) expect(item).toEqual(byId.get(item.id));

    const one = await getOne(account, created[999]!.id);
    expect(one.body).toEqual(created[999]);
  }, 180_000);
});
