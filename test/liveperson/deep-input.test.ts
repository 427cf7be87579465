// Deep or huge input values are described, never serialized whole: a value
// nested 100,000 deep must be a 4xx naming where it is, not a RangeError (500).
import { beforeAll, describe, expect, it } from 'vitest';
import { createInvokeEntry } from '../../functions/invoke-handler.js';
import { createLivePersonHandler } from '../../functions/http/liveperson.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';
import { lambdaContext } from '../support/events.js';
import { livePersonRequests } from '../support/liveperson.js';

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

  it('a direct invoke whose action is nested 100,000 deep: InvalidRequest naming action, not a thrown error', async () => {
    const handler = createInvokeEntry(() => table.store());
    const answer = (await handler({ action: deep(100_000), accountId: newAccount(), items: [] }, lambdaContext())) as { error: { type: string; errors: { path: string }[] } };
    expect(answer.error.type).toBe('InvalidRequest');
    expect(answer.error.errors[0]!.path).toBe('action');
  });
});
