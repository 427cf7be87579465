// Direct invocation through the function's handler with real payloads, on a
// real DynamoDB engine: answers, typed errors, and never a throw for a caller's mistake.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import { createInvokeEntry, type InvokeEntry } from '../../../functions/entry/invoke.js';
import type { InvokeAnswer } from '../../../functions/adapters/invoke/protocol.js';
import { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { failingStore, throttlingError } from '../../support/faults.js';
import { lambdaContext } from '../../support/events.js';

let table: TestTable;
let store: DynamoStatusReasonStore;
let handler: InvokeEntry;
beforeAll(async () => {
  table = await createTestTable();
  store = table.store();
  handler = createInvokeEntry(() => store);
});

const invoke = (payload: unknown, on: InvokeEntry = handler) => on(payload, lambdaContext());
const create = (accountId: string, items: unknown[], extra: Record<string, unknown> = {}) => invoke({ action: 'createStatusReasons', accountId, items, ...extra });
const nothingWritten = async (account: string) => expect(await listStatusReasons(store, account)).toEqual({ revision: 0, items: [] });

describe('createStatusReasons', () => {
  it('creates the items and answers the revision (a string) and the items in request order', async () => {
    const account = newAccount();
    const answer = await create(account, [
      { text: ' Lunch ', state: 'Away' },
      { text: 'Training', state: 'Occupied', enabled: false, order: 4, description: 'weekly', tags: { team: 'a' } },
    ]);
    expect(answer).toEqual({
      revision: '1',
      items: [
        { id: 1, text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: expect.any(Number) },
        { id: 2, text: 'Training', state: 'Occupied', enabled: false, deleted: false, order: 4, description: 'weekly', tags: { team: 'a' } },
      ],
    });
    const listed = await listStatusReasons(store, account);
    expect(listed.revision).toBe(1);
    expect(listed.items.map((r) => r.text).sort()).toEqual(['Lunch', 'Training']);
  });

  it('honours ifMatch as a string or a number, and answers RevisionConflict when it is not current', async () => {
    const account = newAccount();
    expect(await create(account, [{ text: 'A', state: 'Away' }], { ifMatch: '0' })).toMatchObject({ revision: '1' });
    expect(await create(account, [{ text: 'B', state: 'Away' }], { ifMatch: 1 })).toMatchObject({ revision: '2' });
    const stale = await create(account, [{ text: 'C', state: 'Away' }], { ifMatch: '1' });
    expect(stale).toEqual({ error: { type: 'RevisionConflict', message: expect.stringMatching(/revision 2/) } });
    expect((await listStatusReasons(store, account)).revision).toBe(2);
  });

  it('answers Duplicate naming the item, for a text already taken or repeated in the request, and writes nothing', async () => {
    const account = newAccount();
    await create(account, [{ text: 'Lunch', state: 'Away' }]);
    const answer = await create(account, [
      { text: 'New', state: 'Away' },
      { text: 'LUNCH', state: 'Online' },
      { text: 'new ', state: 'Away' },
    ]);
    expect(answer).toEqual({
      error: {
        type: 'Duplicate',
        message: expect.stringMatching(/^Status reason texts must be unique per account: items\[1\]\.text/),
        errors: [
          { path: 'items[1].text', message: expect.stringMatching(/already the text of status reason 1/) },
          { path: 'items[2].text', message: expect.stringMatching(/repeats the text of \[0\]/) },
        ],
      },
    });
    expect((await listStatusReasons(store, account)).items).toHaveLength(1);
  });

  it('answers LimitExceeded when the account would go over 1,000 reasons', async () => {
    const account = newAccount();
    for (let batch = 0; batch < 10; batch++) {
      const answer = await create(account, Array.from({ length: 100 }, (_, i) => ({ text: `r${batch}-${i}`, state: 'Away' })));
      expect(answer).toMatchObject({ revision: String(batch + 1) });
    }
    expect(await create(account, [{ text: 'one more', state: 'Away' }])).toEqual({
      error: { type: 'LimitExceeded', message: expect.stringMatching(/^An account can hold at most 1000/), errors: [{ path: 'items', message: expect.stringMatching(/at most 1000/) }] },
    });
    expect((await listStatusReasons(store, account)).revision).toBe(10);
    // Ten creates of 100: 22-24 s in the full suite on a 2-core machine, against the default 30 s.
  }, 120_000);
});

describe('a caller\'s mistakes are answered as InvalidRequest, never thrown, and write nothing', () => {
  const account = 'acct-mistakes';
  const cases: [string, unknown, { path: string; message: RegExp }[]][] = [
    ['a null payload', null, [{ path: '', message: /JSON object/ }]],
    ['a string payload', 'createStatusReasons', [{ path: '', message: /JSON object/ }]],
    ['an array payload', [{ action: 'createStatusReasons' }], [{ path: '', message: /JSON object/ }]],
    ['no action', { accountId: account, items: [] }, [{ path: 'action', message: /is required; known actions: createStatusReasons/ }]],
    ['an unknown action', { action: 'deleteEverything', accountId: account }, [{ path: 'action', message: /"deleteEverything" is not a known action/ }]],
    ['a non-string action', { action: 42 }, [{ path: 'action', message: /42 is not a known action/ }]],
    ['no accountId', { action: 'createStatusReasons', items: [{ text: 'A', state: 'Away' }] }, [{ path: 'accountId', message: /is required/ }]],
    ['a bad accountId', { action: 'createStatusReasons', accountId: '../other', items: [{ text: 'A', state: 'Away' }] }, [{ path: 'accountId', message: /letters, digits/ }]],
    ['items not an array', { action: 'createStatusReasons', accountId: account, items: { text: 'A', state: 'Away' } }, [{ path: 'items', message: /must be an array/ }]],
    ['no items', { action: 'createStatusReasons', accountId: account }, [{ path: 'items', message: /is required/ }]],
    ['an empty items array', { action: 'createStatusReasons', accountId: account, items: [] }, [{ path: 'items', message: /1–100/ }]],
    ['101 items', { action: 'createStatusReasons', accountId: account, items: Array.from({ length: 101 }, (_, i) => ({ text: `t${i}`, state: 'Away' })) }, [{ path: 'items', message: /1–100/ }]],
    ['an item breaking field rules', { action: 'createStatusReasons', accountId: account, items: [{ text: 'ok', state: 'Away' }, { text: '  ', state: 'Gone', color: 'red' }] }, [
      { path: 'items[1].color', message: /not a known field/ },
      { path: 'items[1].text', message: /empty/ },
      { path: 'items[1].state', message: /must be one of/ },
    ]],
    ['a bad ifMatch', { action: 'createStatusReasons', accountId: account, items: [{ text: 'A', state: 'Away' }], ifMatch: 'W/"x"' }, [{ path: 'ifMatch', message: /revision number/ }]],
    ['a negative ifMatch', { action: 'createStatusReasons', accountId: account, items: [{ text: 'A', state: 'Away' }], ifMatch: -1 }, [{ path: 'ifMatch', message: /revision number/ }]],
    ['an unknown field', { action: 'createStatusReasons', accountId: account, items: [{ text: 'A', state: 'Away' }], dryRun: true }, [{ path: 'dryRun', message: /not a known field/ }]],
  ];
  it.each(cases)('%s', async (_, payload, errors) => {
    const answer = await invoke(payload);
    expect(answer).toEqual({ error: { type: 'InvalidRequest', message: expect.stringMatching(/^Invalid request: /), errors: expect.any(Array) } });
    const got = (answer as { error: { errors: { path: string; message: string }[] } }).error.errors;
    expect(got).toHaveLength(errors.length);
    for (const expected of errors) expect(got).toContainEqual({ path: expected.path, message: expect.stringMatching(expected.message) });
    await nothingWritten(account);
  });

  it('for any payload at all (property): an answer, never a throw, and never an InternalError', async () => {
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          action: fc.oneof(fc.constant('createStatusReasons'), fc.jsonValue()),
          accountId: fc.oneof(fc.constant('acct-prop'), fc.string(), fc.jsonValue()),
          items: fc.oneof(fc.array(fc.record({ text: fc.oneof(fc.string(), fc.jsonValue()), state: fc.oneof(fc.constantFrom('Away', 'Online', 'Occupied'), fc.jsonValue()) }, { requiredKeys: [] }), { maxLength: 5 }), fc.jsonValue()),
          ifMatch: fc.oneof(fc.nat(), fc.string(), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const answer = await invoke(p);
        if ('error' in answer) {
          expect(['InvalidRequest', 'Duplicate', 'RevisionConflict', 'LimitExceeded']).toContain(answer.error.type);
          expect(answer.error.message).toEqual(expect.any(String));
        } else {
          expect(answer.revision).toMatch(/^\d+$/);
          expect('items' in answer && Array.isArray(answer.items)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('store failures', () => {
  it('answers Busy when the store stays throttled', async () => {
    const throttled = failingStore(table.tableName, throttlingError);
    const answer = await invoke({ action: 'createStatusReasons', accountId: newAccount(), items: [{ text: 'A', state: 'Away' }] }, createInvokeEntry(() => throttled));
    expect(answer).toEqual({ error: { type: 'Busy', message: expect.stringMatching(/throttled/) } });
  });

  it('answers InternalError without internals when the store fails unexpectedly', async () => {
    const broken = failingStore(table.tableName, () => Object.assign(new Error('secret internals: arn:aws:dynamodb:table/x'), { name: 'ValidationException', $fault: 'client' }));
    const answer = await invoke({ action: 'createStatusReasons', accountId: newAccount(), items: [{ text: 'A', state: 'Away' }] }, createInvokeEntry(() => broken));
    expect(answer).toEqual({ error: { type: 'InternalError', message: 'An internal error occurred. Try again.' } });
  });
});
