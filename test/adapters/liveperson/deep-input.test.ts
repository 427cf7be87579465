// Deep or huge input values are described, never serialized whole: a value
// nested 100,000 deep must be a 4xx naming where it is, not a RangeError (500).
import { beforeAll, describe, expect, it } from 'vitest';
import { createInvokeEntry } from '../../../functions/entry/invoke.js';
import { createLivePersonHandler } from '../../../functions/adapters/liveperson/liveperson.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { itemPath, livePersonRequests } from '../../support/liveperson.js';
import { call } from '../../support/events.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

const deep = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
/** JSON text of a value nested `depth` deep, without building it first. */
const deepJson = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('deep input', () => {
  it('PUT with an id nested 100,000 deep: 400 naming id, nothing written', async () => {
    const handler = createLivePersonHandler({ store: () => table.store() });
    const { post, put, list } = livePersonRequests(() => handler);
    const account = newAccount();
    const created = await post(account, { text: 'Lunch', state: 'Away' });
    const res = await put(account, created.body.id, undefined, { rawBody: `{"id":${deepJson(100_000)},"text":"a","state":"Away"}` });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
    expect(res.body.errors?.[0]?.path ?? res.body.message).toMatch(/id|JSON/);
    expect((await list(account)).body).toEqual([created.body]);
  });

  // The key's fingerprint is taken of the checked request, never of the raw body:
  // with an Idempotency-Key the same body is the same 400, not a 500.
  it.each([
    ['PUT', {}],
    ['POST with X-HTTP-Method-Override: PUT', { 'x-http-method-override': 'PUT' }],
  ])('%s with an id nested 100,000 deep and an Idempotency-Key: 400 naming id, nothing written', async (_, override) => {
    const handler = createLivePersonHandler({ store: () => table.store() });
    const { post, list } = livePersonRequests(() => handler);
    const account = newAccount();
    const created = await post(account, { text: 'Lunch', state: 'Away' });
    for (const depth of [17, 100_000]) {
      const res = await call(handler, {
        method: 'override' in override ? 'POST' : 'PUT',
        path: itemPath(account, created.body.id),
        rawBody: `{"id":${deepJson(depth)},"text":"a","state":"Away"}`,
        headers: { ...override, 'idempotency-key': `deep-${depth}` },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'id', message: expect.any(String) }]);
    }
    const listed = await list(account);
    expect(listed.body).toEqual([created.body]);
    expect(listed.headers['ac-revision']).toBe('1');
  });

  it('a direct replaceStatusReason with an item id nested deep and an idempotencyKey: InvalidRequest naming item.id, nothing written', async () => {
    const handler = createInvokeEntry(() => table.store());
    const accountId = newAccount();
    const created = (await handler({ action: 'createStatusReasons', accountId, items: [{ text: 'Lunch', state: 'Away' }] }, lambdaContext())) as { items: { id: number }[] };
    const id = created.items[0]!.id;
    for (const depth of [17, 100_000]) {
      const answer = (await handler({ action: 'replaceStatusReason', accountId, id, idempotencyKey: `deep-${depth}`, item: { id: deep(depth), text: 'a', state: 'Away' } }, lambdaContext())) as {
        error: { type: string; errors: { path: string }[] };
      };
      expect(answer.error.type).toBe('InvalidRequest');
      expect(answer.error.errors.map((e) => e.path)).toEqual(['item.id']);
    }
    const listed = (await handler({ action: 'listStatusReasons', accountId }, lambdaContext())) as { revision: string };
    expect(listed.revision).toBe('1');
  });

  it('a direct invoke whose action is nested 100,000 deep: InvalidRequest naming action, not a thrown error', async () => {
    const handler = createInvokeEntry(() => table.store());
    const answer = (await handler({ action: deep(100_000), accountId: newAccount(), items: [] }, lambdaContext())) as { error: { type: string; errors: { path: string }[] } };
    expect(answer.error.type).toBe('InvalidRequest');
    expect(answer.error.errors[0]!.path).toBe('action');
  });
});
