// Hostile input through every route and action of the three APIs (SPEC §1,
// §4: a bad input is a clear 4xx, never a 500, never a stack trace): deep
// nesting, huge strings and arrays, prototype-named keys, lone surrogates,
// wrong types and numbers out of range, each put where a valid request has a
// field, header, query parameter or path segment, with and without an
// idempotency key. Every answer must be a refusal in the API's own shape, and
// the account's revision must not move. The real handlers on DynamoDB Local.
//
// Bodies are assembled as JSON text from JSON fragments, so that a key
// `__proto__` is an own key (as JSON.parse makes it) and depth costs nothing
// to build.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Handler } from '../functions/entry/http.js';
import { createInvokeEntry, type InvokeEntry } from '../functions/entry/invoke.js';
import { CONNECT_ERRORS } from '../functions/adapters/connect/connect.js';
import { createTestTable, newAccount } from './support/dynamo.js';
import { BASE, httpEvent, lambdaContext } from './support/events.js';
import { connectEvent } from './adapters/connect/helpers.js';

let handler: Handler;
let invoke: InvokeEntry;
let account: string;
let reasonId: number;
/** Every reason of the account as a JSON list: the valid reorder. */
let allIds: string;
let arn: string;

async function lp(method: string, path: string, rawBody: string | undefined, headers: Record<string, string> = {}, query?: Record<string, string>) {
  const result = await handler(httpEvent({ method, path, ...(rawBody !== undefined && { rawBody }), headers, ...(query && { query }) }), lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' };
}

async function connect(method: string, path: string, rawBody: string | undefined, headers: Record<string, string> = {}, rawQuery = '') {
  const event = connectEvent({ method, path, ...(rawBody !== undefined && { rawBody }), headers: { ...(rawBody !== undefined && { 'content-type': 'application/json' }), ...headers } });
  event.rawQueryString = rawQuery;
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' };
}

const revision = async () => (await lp('GET', BASE(account), undefined, {}, { include_deleted: 'true' })).headers['ac-revision'];

beforeAll(async () => {
  const store = (await createTestTable()).store();
  handler = createHandler(() => store, { connectGrants: undefined });
  invoke = createInvokeEntry(() => store);
  account = newAccount();
  const created = await lp('POST', BASE(account), JSON.stringify({ text: 'Lunch', state: 'Away', description: 'Out', tags: { team: 'a' } }));
  expect(created.status).toBe(200);
  reasonId = JSON.parse(created.body).id;
  arn = `arn:aws:connect:us-east-1:123456789012:instance/${account}/agent-state/${reasonId}`;
  // A second reason, so that no hostile fragment (`[1]` is one) is a whole reorder list.
  const other = await lp('POST', BASE(account), JSON.stringify({ text: 'Training', state: 'Away' }));
  expect(other.status).toBe(200);
  allIds = `[${reasonId},${JSON.parse(other.body).id}]`;
  expect(await revision()).toBe('2');
});

// ------------------------------------------------------------ hostile values

/** JSON text nested `depth` deep, in arrays or objects. */
const nested = (depth: number, kind: 'array' | 'object') => (kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

/**
 * JSON fragments that are wrong for every field of every request here: no
 * string field takes a string this long, none takes a lone surrogate, no
 * number field takes these numbers, no map takes these keys.
 */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.record({ depth: fc.integer({ min: 17, max: 5_000 }), kind: fc.constantFrom('array' as const, 'object' as const) }).map(({ depth, kind }) => nested(depth, kind)),
  fc.integer({ min: 300, max: 100_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.constant(JSON.stringify('y'.repeat(300_000))),
  fc.integer({ min: 101, max: 5_000 }).map((n) => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`),
  fc.constantFrom(
    '{"__proto__":"x"}',
    '{"constructor":"x"}',
    '{"__proto__":{"text":"x","state":"Away"}}',
    '{"prototype":"p","constructor":"c"}',
    '{"prototype":{"a":1}}',
    '{"toString":[]}',
  ),
  fc.constantFrom('"\\ud800"', '"a\\udc00b"', '"\\udfff\\ud800"', '{"k\\ud800":"v"}', '{"k":"\\udbff"}'),
  fc.constantFrom('null', '[]', '[1]', '{"x":[]}', '[{}]'),
  fc.constantFrom('2147483648', '-2147483649', '1e308', '-1e308', '9007199254740993', '0.5', '-1.5', '1e-7'),
);

const idempotencyKey = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,128}$/), { nil: undefined });
const withKey = (name: string, key: string | undefined): Record<string, string> => (key === undefined ? {} : { [name]: key });

/** A JSON object as text, fields given as JSON fragments. */
const objectText = (fields: Record<string, string>) => `{${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** A valid body with one field (or a new one, or a key inside a map) replaced by a hostile fragment. */
function spoiled(valid: Record<string, string>, fields: readonly string[]) {
  return fc.record({ field: fc.constantFrom(...fields, 'extra', '__proto__', 'constructor'), value: hostile }).map(({ field, value }) => objectText({ ...valid, [field]: value }));
}

const NO_STACK = /\bat .*\.(?:ts|js|mjs):\d+|node_modules|\n\s+at /;

function expectLivePersonRefusal(res: { status: number; body: string }, what: string) {
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  expect(JSON.parse(res.body).message, what).toEqual(expect.any(String));
  expect(res.body, what).not.toMatch(NO_STACK);
}

function expectConnectRefusal(res: { status: number; headers: Record<string, string>; body: string }, what: string) {
  expect(res.status, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  const type = res.headers['x-amzn-ErrorType'] as keyof typeof CONNECT_ERRORS;
  expect(CONNECT_ERRORS[type], what).toBe(res.status);
  expect(JSON.parse(res.body), what).toEqual({ Message: expect.any(String) });
  expect(res.body, what).not.toMatch(NO_STACK);
}

// No shrinking: the runs share one account, so after a run that wrote (the revision moved) every smaller input fails
// too, and the counterexample reported would be the shrinker's last, not the input that wrote (CI, 71a8a0d).
const RUNS = { numRuns: Number(process.env.HOSTILE_RUNS ?? 30), endOnFailure: true };
const REASON: Record<string, string> = { text: '"Break"', state: '"Online"', enabled: 'true', deleted: 'false', order: '3', description: '"d"', tags: '{"team":"b"}' };
const REASON_FIELDS = Object.keys(REASON);

// ---------------------------------------------------------------- LivePerson

describe('LivePerson routes refuse hostile input with a 4xx and write nothing', () => {
  const item = () => `${BASE(account)}/${reasonId}`;
  // Create ignores `id`; PUT checks it against the path.
  const createBody = spoiled(REASON, REASON_FIELDS);
  const putBody = spoiled(REASON, [...REASON_FIELDS, 'id']);
  const route = fc.oneof(
    fc.record({ route: fc.constant('POST one'), body: createBody }),
    fc.record({ route: fc.constant('POST array'), body: createBody.map((one) => `[${objectText({ text: '"First"', state: '"Away"' })},${one}]`) }),
    fc.record({ route: fc.constant('POST array itself'), body: hostile }),
    fc.record({ route: fc.constant('PUT'), body: putBody }),
    fc.record({ route: fc.constant('POST override PUT'), body: putBody }),
    // `[IDS]` becomes the account's reasons: without the spoiled field the reorder would apply.
    fc.record({ route: fc.constant('POST reorder'), body: spoiled({ ids: '[IDS]' }, ['ids']) }),
  );

  it('in bodies, with and without Idempotency-Key', async () => {
    const base = await revision();
    await fc.assert(
      fc.asyncProperty(route, idempotencyKey, async ({ route, body }, key) => {
        const headers = withKey('idempotency-key', key);
        const res =
          route === 'PUT'
            ? await lp('PUT', item(), body, headers)
            : route === 'POST override PUT'
              ? await lp('POST', item(), body, { ...headers, 'x-http-method-override': 'PUT' })
              : route === 'POST reorder'
                ? await lp('POST', `${BASE(account)}/reorder`, body.replaceAll('[IDS]', allIds), headers)
                : await lp('POST', BASE(account), body, headers);
        expectLivePersonRefusal(res, route);
        expect(await revision()).toBe(base);
      }),
      RUNS,
    );
  });

  it('in headers, query parameters and path ids, on every route', async () => {
    const place = fc.oneof(
      fc.record({ where: fc.constant('Idempotency-Key'), value: fc.oneof(fc.string({ minLength: 129, maxLength: 500 }), fc.constantFrom('clé', '\ud800', 'a\tb', '')) }),
      fc.record({ where: fc.constant('If-Match'), value: fc.oneof(fc.string({ maxLength: 300 }).filter((s) => s.trim() !== '' && !/^\s*(?:W\/)?"?\d{1,15}"?\s*$/.test(s)), fc.constant('1'.repeat(16))) }),
      fc.record({ where: fc.constant('X-HTTP-Method-Override'), value: fc.constantFrom('PATCH', 'GET', 'POST', 'x'.repeat(10_000), '\u0000') }),
      fc.record({ where: fc.constant('v'), value: fc.constantFrom('abc', '1e', '--1', '1'.repeat(100_000) + 'x', '\ud800') }),
      fc.record({ where: fc.constant('id'), value: fc.constantFrom('0', '-1', '1.5', '9007199254740993', '1e3', '%F0%9F', 'x'.repeat(5_000), '%00', '__proto__', 'constructor') }),
    );
    const method = fc.constantFrom('PUT', 'DELETE', 'POST');
    const base = await revision();
    await fc.assert(
      fc.asyncProperty(place, method, idempotencyKey, async ({ where, value }, method, key) => {
        const body = method === 'DELETE' ? undefined : JSON.stringify({ text: 'Break', state: 'Online' });
        const path = where === 'id' ? `${BASE(account)}/${value.startsWith('%') ? value : encodeURIComponent(value)}` : method === 'POST' ? BASE(account) : item();
        const headers: Record<string, string> = { ...withKey('idempotency-key', key) };
        if (where === 'Idempotency-Key') headers['idempotency-key'] = value;
        if (where === 'If-Match') headers['if-match'] = value;
        let sent = method;
        if (where === 'X-HTTP-Method-Override') {
          headers['x-http-method-override'] = value;
          sent = 'POST';
        }
        const query = where === 'v' ? { v: value } : undefined;
        const res = await lp(where === 'X-HTTP-Method-Override' ? 'POST' : sent, where === 'X-HTTP-Method-Override' ? item() : path, body, headers, query);
        // An unknown or malformed id may also be a 404 (no such reason); never a 5xx.
        expectLivePersonRefusal(res, `${where} on ${method}`);
        expect(await revision()).toBe(base);
      }),
      RUNS,
    );
  });
});

describe('the change history refuses hostile query parameters with a 400', () => {
  it('since and limit', async () => {
    const value = fc.oneof(
      fc.constantFrom('-1', 'abc', '1e3', '0.5', '101', '0', '999999', '9'.repeat(400), '\ud800', '%00', '0x10', '1.0e0'),
      fc.string({ minLength: 17, maxLength: 2_000 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('since', 'limit'), value, async (name, v) => {
        if (name === 'since' && v === '0') return; // a good since
        const res = await lp('GET', `${BASE(account)}/changes`, undefined, {}, { [name]: v });
        expectLivePersonRefusal(res, `changes ${name}=${v.slice(0, 40)}`);
        expect(res.status, v.slice(0, 40)).toBe(400);
      }),
      RUNS,
    );
  });
});

// ------------------------------------------------------------------- Connect

describe('Connect operations refuse hostile input with a Connect error and write nothing', () => {
  const CREATE: Record<string, string> = { Name: '"Break"', State: '"ENABLED"', Description: '"d"', DisplayOrder: '3', Tags: '{"team":"b"}' };
  const UPDATE: Record<string, string> = { Name: '"Break"', State: '"DISABLED"', Description: '"d"', DisplayOrder: '3' };
  const stringCondition = (value: string) => `{"StringCondition":{"FieldName":"name","Value":${value},"ComparisonType":"CONTAINS"}}`;
  const criteria = fc.oneof(
    hostile,
    hostile.map(stringCondition),
    fc.integer({ min: 200, max: 20_000 }).map((n) => `{"AndConditions":[${Array.from({ length: n }, () => '{}').join(',')}]}`),
    fc.integer({ min: 101, max: 150 }).map((n) => `{"OrConditions":[${Array.from({ length: n }, (_, i) => stringCondition(`"n${i}"`)).join(',')}]}`),
    hostile.map((value) => `{"OrConditions":[${stringCondition('"a"')},{"AndConditions":[{"StringCondition":{"FieldName":${value},"Value":"a","ComparisonType":"EXACT"}}]}]}`),
  );
  const SEARCH: Record<string, string> = { InstanceId: JSON.stringify(''), MaxResults: '10', SearchCriteria: stringCondition('"a"') };
  const operation = fc.oneof(
    fc.record({ op: fc.constant('CreateAgentStatus'), body: spoiled(CREATE, Object.keys(CREATE)) }),
    fc.record({ op: fc.constant('UpdateAgentStatus'), body: spoiled(UPDATE, [...Object.keys(UPDATE), 'ResetOrderNumber']) }),
    fc.record({ op: fc.constant('TagResource'), body: hostile.map((tags) => objectText({ tags })) }),
    fc.record({ op: fc.constant('TagResource tag value'), body: hostile.map((value) => objectText({ tags: objectText({ team: value }) })) }),
    fc.record({ op: fc.constant('SearchAgentStatuses'), body: spoiled(SEARCH, ['MaxResults', 'NextToken', 'SearchFilter', 'InstanceId']) }),
    fc.record({ op: fc.constant('SearchAgentStatuses criteria'), body: criteria.map((SearchCriteria) => objectText({ ...SEARCH, SearchCriteria })) }),
    fc.record({ op: fc.constant('SearchAgentStatuses tag filter'), body: hostile.map((value) => objectText({ ...SEARCH, SearchFilter: `{"AttributeFilter":{"TagCondition":{"TagKey":${value}}}}` })) }),
  );

  it('in bodies, with and without amz-sdk-invocation-id', async () => {
    const base = await revision();
    await fc.assert(
      fc.asyncProperty(operation, idempotencyKey, async ({ op, body }, key) => {
        const headers = withKey('amz-sdk-invocation-id', key);
        const sent = body.replace('"InstanceId":""', `"InstanceId":${JSON.stringify(account)}`);
        const res = op.startsWith('Create')
          ? await connect('PUT', `/agent-status/${account}`, sent, headers)
          : op.startsWith('Update')
            ? await connect('POST', `/agent-status/${account}/${reasonId}`, sent, headers)
            : op.startsWith('Tag')
              ? await connect('POST', `/tags/${encodeURIComponent(arn)}`, sent, headers)
              : await connect('POST', '/search-agent-statuses', sent, headers);
        expectConnectRefusal(res, op);
        expect(await revision()).toBe(base);
      }),
      RUNS,
    );
  });

  it('in query strings and paths: List, Describe, Untag, ListTags', async () => {
    // A lone surrogate cannot be percent-encoded as UTF-8: sent as the bytes of one (ED A0 80), which decode to nothing valid.
    const enc = (v: string) => (/[\ud800-\udfff]/.test(v) ? '%ED%A0%80' : encodeURIComponent(v));
    const text = fc.oneof(fc.string({ minLength: 129, maxLength: 3_000 }), fc.constantFrom('aws:x', '\ud800', '', '__proto__', 'constructor', '%E0%A4%A'));
    const request = fc.oneof(
      text.map((v) => ({ op: 'ListAgentStatuses maxResults', method: 'GET', path: `/agent-status/${account}`, query: `maxResults=${enc(v)}` })),
      text.map((v) => ({ op: 'ListAgentStatuses nextToken', method: 'GET', path: `/agent-status/${account}`, query: `nextToken=${enc(v)}` })),
      text.map((v) => ({ op: 'ListAgentStatuses types', method: 'GET', path: `/agent-status/${account}`, query: `AgentStatusTypes=${enc(v)}` })),
      text.map((v) => ({ op: 'DescribeAgentStatus', method: 'GET', path: `/agent-status/${account}/${enc(v) || 'x'}`, query: '' })),
      text.map((v) => ({ op: 'UntagResource', method: 'DELETE', path: `/tags/${enc(arn)}`, query: `tagKeys=${enc(v)}` })),
      fc.integer({ min: 51, max: 500 }).map((n) => ({ op: 'UntagResource many', method: 'DELETE', path: `/tags/${enc(arn)}`, query: Array.from({ length: n }, (_, i) => `tagKeys=k${i}`).join('&') })),
      text.map((v) => ({ op: 'ListTagsForResource', method: 'GET', path: `/tags/${enc(`${arn}${v}`)}`, query: '' })),
      text.map((v) => ({ op: 'UpdateAgentStatus path', method: 'POST', path: `/agent-status/${enc(v) || 'x'}/${reasonId}`, query: '' })),
    );
    const base = await revision();
    await fc.assert(
      fc.asyncProperty(request, idempotencyKey, async ({ op, method, path, query }, key) => {
        const body = method === 'POST' ? JSON.stringify({ Name: 'Break' }) : undefined;
        const res = await connect(method, path, body, withKey('amz-sdk-invocation-id', key), query);
        if (res.status === 200 && (op.startsWith('List') || op.startsWith('Describe'))) return; // a read that found nothing wrong
        expectConnectRefusal(res, op);
        expect(await revision()).toBe(base);
      }),
      RUNS,
    );
  });
});

// ------------------------------------------------------------- direct invoke

describe('direct invoke actions answer hostile payloads with a typed error and write nothing', () => {
  const TYPED = ['InvalidRequest', 'Duplicate', 'LimitExceeded', 'NotFound', 'RevisionConflict', 'IdempotencyKeyReused', 'InProgress', 'Busy', 'HistoryGone'];
  const payload = fc.oneof(
    spoiled({ action: '"createStatusReasons"', accountId: '""', items: '[{"text":"Break","state":"Online"}]' }, ['accountId', 'items', 'ifMatch', 'idempotencyKey']),
    spoiled(REASON, REASON_FIELDS).map((item) => objectText({ action: '"createStatusReasons"', accountId: '""', items: `[${item}]` })),
    spoiled({ action: '"listStatusReasons"', accountId: '""', includeDeleted: 'true' }, ['accountId', 'includeDeleted']),
    spoiled({ action: '"getStatusReason"', accountId: '""', id: 'ID', includeDeleted: 'true' }, ['accountId', 'id', 'includeDeleted']),
    spoiled({ action: '"replaceStatusReason"', accountId: '""', id: 'ID', item: '{"text":"Break","state":"Online"}' }, ['accountId', 'id', 'item', 'ifMatch', 'idempotencyKey']),
    spoiled(REASON, [...REASON_FIELDS, 'id']).map((item) => objectText({ action: '"replaceStatusReason"', accountId: '""', id: 'ID', item })),
    spoiled({ action: '"deleteStatusReason"', accountId: '""', id: 'ID' }, ['accountId', 'id', 'ifMatch', 'idempotencyKey']),
    spoiled({ action: '"reorderStatusReasons"', accountId: '""', ids: '[IDS]' }, ['accountId', 'ids', 'ifMatch', 'idempotencyKey']),
    spoiled({ action: '"listChanges"', accountId: '""', since: '0', limit: '10' }, ['accountId', 'since', 'limit']),
    hostile.map((action) => objectText({ action, accountId: '""' })),
    hostile,
  );

  it('for every action, with and without idempotencyKey', async () => {
    const base = await revision();
    await fc.assert(
      fc.asyncProperty(payload, idempotencyKey, async (text, key) => {
        let event: unknown = JSON.parse(text.replaceAll('"accountId":""', `"accountId":${JSON.stringify(account)}`).replaceAll('"id":ID', `"id":${reasonId}`).replaceAll('[IDS]', allIds));
        // Not String(action): a deeply nested array's toString recurses past the stack.
        const action = typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
        const writes = typeof action === 'string' && /^(create|replace|delete|reorder)/.test(action);
        if (writes && key !== undefined && !Object.hasOwn(event as object, 'idempotencyKey')) event = { ...(event as object), idempotencyKey: key };
        const answer = (await invoke(event, lambdaContext())) as { error?: { type: string; message: string } };
        expect(answer.error, text.slice(0, 300)).toBeDefined();
        expect(TYPED, text.slice(0, 300)).toContain(answer.error!.type);
        expect(JSON.stringify(answer)).not.toMatch(NO_STACK);
        expect(await revision()).toBe(base);
      }),
      RUNS,
    );
  });
});
