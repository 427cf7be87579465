// Map keys are data, never object machinery (SPEC §1): through the LivePerson
// API, the Connect API and direct invokes, a tag key `__proto__` or
// `constructor` is a 400 naming it (never a 500, never silently dropped), and
// `prototype`, `toString` and the like are stored and answered as any key.
// Bodies are raw JSON text: an object literal `{"__proto__": ...}` in code
// would set a prototype, while JSON.parse (as a request) makes an own key.
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import { createInvokeEntry, type InvokeEntry } from '../../../functions/entry/invoke.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { BASE, httpEvent, lambdaContext } from '../../support/events.js';
import { livePersonRequests } from '../../support/liveperson.js';
import { connectEvent, expectConnectError } from '../connect/helpers.js';

let handler: Handler;
let invoke: InvokeEntry;
let lp: ReturnType<typeof livePersonRequests>;
beforeAll(async () => {
  const store = (await createTestTable()).store();
  handler = createHandler(() => store, { connectGrants: undefined });
  invoke = createInvokeEntry(() => store);
  lp = livePersonRequests(() => handler);
});

async function connect(method: string, path: string, rawBody?: string, rawQuery = '') {
  const event = connectEvent({ method, path, ...(rawBody !== undefined && { rawBody }), headers: rawBody === undefined ? {} : { 'content-type': 'application/json' } });
  event.rawQueryString = rawQuery;
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body };
}
const arnOf = (account: string, id: number | string) => `arn:aws:connect:us-east-1:123456789012:instance/${account}/agent-state/${id}`;
const revisionOf = async (account: string) => (await lp.list(account, { query: { include_deleted: 'true' } })).headers['ac-revision'];

const RESERVED = ['__proto__', 'constructor'] as const;
const tagsJson = (key: string) => `{${JSON.stringify(key)}:"v","team":"a"}`;

describe('a reserved tag key is a 400 naming it, and nothing is written', () => {
  it.each(RESERVED)('LivePerson create and replace: %s', async (key) => {
    const account = newAccount();
    const created = await lp.post(account, undefined, { rawBody: `{"text":"Lunch","state":"Away","tags":${tagsJson(key)}}` });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([{ path: `tags.${key}`, message: expect.stringContaining('__proto__') }]);
    const batch = await lp.post(account, undefined, { rawBody: `[{"text":"A","state":"Away"},{"text":"B","state":"Away","tags":${tagsJson(key)}}]` });
    expect(batch.status).toBe(400);
    expect(batch.body.errors[0].path).toBe(`[1].tags.${key}`);
    const { body: lunch } = await lp.post(account, { text: 'Lunch', state: 'Away', tags: { team: 'a' } });
    for (const headers of [{}, { 'idempotency-key': `put-${key}` }] as Record<string, string>[]) {
      const replaced = await lp.put(account, lunch.id, undefined, { rawBody: `{"text":"Lunch","state":"Away","tags":${tagsJson(key)}}`, headers });
      expect(replaced.status).toBe(400);
      expect(replaced.body.errors[0].path).toBe(`tags.${key}`);
    }
    expect(await revisionOf(account)).toBe('1');
    expect((await lp.getOne(account, lunch.id)).body.tags).toEqual({ team: 'a' });
  });

  it.each(RESERVED)('Connect CreateAgentStatus and TagResource: %s', async (key) => {
    const account = newAccount();
    const created = await connect('PUT', `/agent-status/${account}`, `{"Name":"Lunch","State":"ENABLED","Tags":${tagsJson(key)}}`);
    expect(created.status).toBe(400);
    expectConnectError(created);
    expect(JSON.parse(created.body!).Message).toContain(`Tags.${key}`);
    const ok = await connect('PUT', `/agent-status/${account}`, '{"Name":"Lunch","State":"ENABLED","Tags":{"team":"a"}}');
    expect(ok.status).toBe(200);
    const { AgentStatusId } = JSON.parse(ok.body!);
    const tagged = await connect('POST', `/tags/${encodeURIComponent(arnOf(account, AgentStatusId))}`, `{"tags":${tagsJson(key)}}`);
    expect(tagged.status).toBe(400);
    expectConnectError(tagged);
    expect(JSON.parse(tagged.body!).Message).toContain(`tags.${key}`);
    expect(await revisionOf(account)).toBe('1');
  });

  it.each(RESERVED)('direct invoke createStatusReasons and replaceStatusReason: %s', async (key) => {
    const account = newAccount();
    const payload = (rest: string) => JSON.parse(`{"accountId":${JSON.stringify(account)},${rest}}`);
    const created = (await invoke(payload(`"action":"createStatusReasons","items":[{"text":"Lunch","state":"Away","tags":${tagsJson(key)}}]`), lambdaContext())) as any;
    expect(created.error.type).toBe('InvalidRequest');
    expect(created.error.errors[0].path).toBe(`items[0].tags.${key}`);
    const ok = (await invoke({ action: 'createStatusReasons', accountId: account, items: [{ text: 'Lunch', state: 'Away' }] }, lambdaContext())) as any;
    const id = ok.items[0].id;
    const replaced = (await invoke(payload(`"action":"replaceStatusReason","id":${id},"idempotencyKey":"k","item":{"text":"Lunch","state":"Away","tags":${tagsJson(key)}}`), lambdaContext())) as any;
    expect(replaced.error.type).toBe('InvalidRequest');
    expect(replaced.error.errors[0].path).toBe(`item.tags.${key}`);
    expect(await revisionOf(account)).toBe('1');
  });
});

describe('other names that objects have are ordinary keys', () => {
  const ordinary = { prototype: 'p', toString: 't', hasOwnProperty: 'h', valueOf: 'v', __defineGetter__: 'g' };

  it('are stored and answered by every API', async () => {
    const account = newAccount();
    const created = await lp.post(account, { text: 'Lunch', state: 'Away', tags: ordinary });
    expect(created.status).toBe(200);
    expect(created.body.tags).toEqual(ordinary);
    expect((await lp.getOne(account, created.body.id)).body.tags).toEqual(ordinary);
    const listed = await connect('GET', `/tags/${encodeURIComponent(arnOf(account, created.body.id))}`);
    expect(JSON.parse(listed.body!).tags).toEqual(ordinary);
    const tagged = await connect('POST', `/tags/${encodeURIComponent(arnOf(account, created.body.id))}`, '{"tags":{"prototype":"p2"}}');
    expect(tagged.status).toBe(200);
    const got = (await invoke({ action: 'getStatusReason', accountId: account, id: created.body.id }, lambdaContext())) as any;
    expect(got.item.tags).toEqual({ ...ordinary, prototype: 'p2' });
  });

  it('a search by a reserved or ordinary tag key answers, finding only real tags', async () => {
    const account = newAccount();
    await lp.post(account, { text: 'Lunch', state: 'Away', tags: { prototype: 'p' } });
    for (const [TagKey, found] of [['__proto__', 0], ['constructor', 0], ['toString', 0], ['prototype', 1]] as const) {
      const res = await connect('POST', '/search-agent-statuses', JSON.stringify({ InstanceId: account, SearchFilter: { AttributeFilter: { TagCondition: { TagKey } } } }));
      expect(res.status, TagKey).toBe(200);
      expect(JSON.parse(res.body!).ApproximateTotalCount, TagKey).toBe(found);
    }
  });

  it('keeps key order out of the answer: tags are answered sorted by key, so a repeat in another order answers the same bytes', async () => {
    const account = newAccount();
    const headers = { 'idempotency-key': 'order' };
    const send = async (rawBody: string) => (await handler(httpEvent({ method: 'POST', path: BASE(account), rawBody, headers }), lambdaContext())).body!;
    const first = JSON.parse(await send('{"text":"L","state":"Away","tags":{"b":"2","a":"1"}}'));
    const again = await send('{"tags":{"a":"1","b":"2"},"text":"L","state":"Away"}');
    expect(Object.keys(first.tags)).toEqual(['a', 'b']);
    expect(again).toBe(JSON.stringify(first));
  });
});
