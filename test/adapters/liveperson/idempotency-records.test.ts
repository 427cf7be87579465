// Idempotency records hold what a repeat needs and no more: a digest of the
// request and the few values its answer cannot be rebuilt from the (identical)
// repeated request. Read straight from DynamoDB Local, sized by DynamoDB's rule
// (attribute names plus values); repeats still answer the first answer byte
// for byte (status, body, ac-revision).
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import { createInvokeEntry, type InvokeEntry } from '../../../functions/entry/invoke.js';
import { itemBytes } from '../../bench/meter.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { BASE, httpEvent, lambdaContext } from '../../support/events.js';
import { itemPath } from '../../support/liveperson.js';
import { connectEvent } from '../connect/helpers.js';

let table: TestTable;
let handler: Handler;
let invoke: InvokeEntry;
beforeAll(async () => {
  table = await createTestTable();
  const store = table.store();
  handler = createHandler(() => store, { connectGrants: undefined });
  invoke = createInvokeEntry(() => store);
});

/** The raw answer: status, body text and ac-revision, to compare byte for byte. */
async function send(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const result = await handler(httpEvent({ method, path, ...(body !== undefined && { rawBody: JSON.stringify(body) }), headers }), lambdaContext());
  return { status: result.statusCode, body: result.body, revision: (result.headers as Record<string, string>)['ac-revision'] };
}

async function recordBytes(account: string, key: string): Promise<number> {
  const out = await table.sdk.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `ACCOUNT#${account}` }, sk: { S: `K#${key}` } }, ConsistentRead: true }));
  expect(out.Item, `record ${key}`).toBeDefined();
  return itemBytes(out.Item as Record<string, unknown>);
}

/** A reason at every limit: 127-character text, 250-character description, 50 tags of 128/256 characters. */
const maxReason = (seed: string, state = 'Away') => ({
  text: seed.padEnd(127, 't'),
  state,
  enabled: true,
  order: -(2 ** 31),
  description: seed.padEnd(250, 'd'),
  tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${seed}-${i}`.padEnd(128, 'k'), `${seed}-${i}`.padEnd(256, 'v')])),
});
const KEY = 'k'.repeat(128);
const ONE_KB = 1024;

describe('idempotency records of one-reason writes', () => {
  it('POST and PUT (whole body, also by override) of a reason at every limit: at most 1 KB each; repeats answer the same bytes', async () => {
    const account = newAccount();
    const post = () => send('POST', BASE(account), maxReason('a'), { 'idempotency-key': `${KEY.slice(1)}p` });
    const created = await post();
    expect(created.status).toBe(200);
    expect(created.body!.length).toBeGreaterThan(19_000);
    const id = JSON.parse(created.body!).id as number;

    const put = () => send('PUT', itemPath(account, id), maxReason('b', 'Online'), { 'idempotency-key': KEY });
    const replaced = await put();
    expect(replaced.status).toBe(200);
    const override = () => send('POST', itemPath(account, id), maxReason('c'), { 'idempotency-key': `${KEY.slice(1)}o`, 'x-http-method-override': 'PUT' });
    const overridden = await override();
    expect(overridden.status).toBe(200);

    expect(await recordBytes(account, `lp:${KEY.slice(1)}p`)).toBeLessThanOrEqual(ONE_KB);
    expect(await recordBytes(account, `lp:${KEY}`)).toBeLessThanOrEqual(ONE_KB);
    expect(await recordBytes(account, `lp:${KEY.slice(1)}o`)).toBeLessThanOrEqual(ONE_KB);

    // Another write in between: the repeats still answer as the first requests did.
    expect((await send('PUT', itemPath(account, id), { text: 'Changed', state: 'Away' })).status).toBe(200);
    expect(await post()).toEqual(created);
    expect(await put()).toEqual(replaced);
    expect(await override()).toEqual(overridden);
    expect((await send('GET', BASE(account), undefined)).revision).toBe('4');
  });

  it('a DELETE keeps only what the reason held beyond its request: at most 1 KB for a reason without tags or description', async () => {
    const account = newAccount();
    const { text, state } = maxReason('a');
    const id = JSON.parse((await send('POST', BASE(account), { text, state })).body!).id as number;
    const del = () => send('DELETE', itemPath(account, id), undefined, { 'idempotency-key': KEY });
    const deleted = await del();
    expect(deleted.status).toBe(200);
    expect(await recordBytes(account, `lp:${KEY}`)).toBeLessThanOrEqual(ONE_KB);
    expect(await del()).toEqual(deleted);
  });

  it('a PUT without tags and a DELETE of a reason with tags at every limit: at most 1 KB each (the stored tags are not copied); a repeat answers them even after they changed', async () => {
    const account = newAccount();
    const full = maxReason('a');
    const id = JSON.parse((await send('POST', BASE(account), full)).body!).id as number;
    const partial = () => send('PUT', itemPath(account, id), { text: 'Renamed', state: 'Online' }, { 'idempotency-key': 'partial' });
    const first = await partial();
    expect(JSON.parse(first.body!).tags).toEqual(full.tags);
    expect(first.body!.length).toBeGreaterThan(19_000);
    // Before, the record kept the stored description and tags: about 20 KB.
    expect(await recordBytes(account, 'lp:partial')).toBeLessThanOrEqual(ONE_KB);
    // Changed since: the repeat still answers the tags and description the first PUT answered.
    expect((await send('PUT', itemPath(account, id), { text: 'Renamed', state: 'Online', tags: { other: 'x' }, description: 'other' })).status).toBe(200);
    expect(await partial()).toEqual(first);

    const other = JSON.parse((await send('POST', BASE(account), maxReason('b'))).body!).id as number;
    const del = () => send('DELETE', itemPath(account, other), undefined, { 'idempotency-key': KEY });
    const deleted = await del();
    expect(deleted.status).toBe(200);
    expect(JSON.parse(deleted.body!)).toMatchObject({ deleted: true, tags: maxReason('b').tags });
    expect(await recordBytes(account, `lp:${KEY}`)).toBeLessThanOrEqual(ONE_KB);
    // Restored and changed since.
    expect((await send('PUT', itemPath(account, other), { text: 'Back', state: 'Away', deleted: false, tags: {} })).status).toBe(200);
    expect(await del()).toEqual(deleted);
  });

  it('Connect writes, which answer no reason, keep no reason; direct invokes keep what LivePerson does', async () => {
    const account = newAccount();
    const full = maxReason('a');
    const connect = async (method: string, path: string, body: unknown, invocationId: string) => {
      const result = await handler(
        connectEvent({ method, path, rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json', 'amz-sdk-invocation-id': invocationId } }),
        lambdaContext(),
      );
      return { status: result.statusCode, body: result.body, revision: (result.headers as Record<string, string>)['ac-revision'] };
    };
    const created = await connect('PUT', `/agent-status/${account}`, { Name: full.text, Description: full.description, State: 'ENABLED', Tags: full.tags }, 'create-1');
    expect(created.status).toBe(200);
    const id = JSON.parse(created.body!).AgentStatusId as string;
    const arn = encodeURIComponent(`arn:aws:connect:us-east-1:123456789012:instance/${account}/agent-state/${id}`);
    const update = () => connect('POST', `/agent-status/${account}/${id}`, { Name: 'Renamed' }, 'update-1');
    const updated = await update();
    expect(updated.status).toBe(200);
    expect((await connect('POST', `/tags/${arn}`, { tags: { [Object.keys(full.tags)[0]!]: 'x' } }, 'tag-1')).status).toBe(200);
    for (const key of ['create-1', 'update-1', 'tag-1']) expect(await recordBytes(account, `connect:${key}`)).toBeLessThanOrEqual(ONE_KB);
    expect(await update()).toEqual(updated);

    const replace = () => invoke({ action: 'replaceStatusReason', accountId: account, id: Number(id), idempotencyKey: 'inv', item: maxReason('b') }, lambdaContext());
    const first = await replace();
    expect(first).toMatchObject({ revision: '4' });
    expect(await recordBytes(account, 'invoke:inv')).toBeLessThanOrEqual(ONE_KB);
    expect(JSON.stringify(await replace())).toBe(JSON.stringify(first));
  });
});
