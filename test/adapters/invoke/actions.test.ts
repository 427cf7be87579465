// Every direct-invoke action through the typed client (functions/client/),
// over a real LambdaClient whose Invoke runs the function's handler in process,
// on a real DynamoDB engine: good payloads, bad ones (always a typed error,
// never a thrown Lambda error), deep and huge values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createStatusReasons,
  deleteStatusReason,
  getStatusReason,
  listStatusReasons,
  replaceStatusReason,
} from '../../../functions/client/status-reasons.js';
import { INVOKE_ACTIONS, type InvokeAnswer } from '../../../functions/adapters/invoke/protocol.js';
import { newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { failure, invokeOnTestTable, lambdaRunning } from './helpers.js';

const FUNCTION = 'agent-status-reasons';
const { handler, lambda, sentPayload } = invokeOnTestTable();

/** An account with three reasons: `Lunch` (order 2), `Gym` (order 1) and `Old` (deleted). */
async function seeded() {
  const accountId = newAccount();
  const { items } = await createStatusReasons(lambda, FUNCTION, {
    accountId,
    items: [
      { text: 'Lunch', state: 'Away', order: 2 },
      { text: 'Gym', state: 'Online', order: 1, tags: { t: 'v' } },
      { text: 'Old', state: 'Occupied', order: 3 },
    ],
  });
  await deleteStatusReason(lambda, FUNCTION, { accountId, id: items[2]!.id });
  return { accountId, lunch: items[0]!, gym: items[1]!, old: { ...items[2]!, deleted: true } };
}

describe('listStatusReasons', () => {
  it('answers the revision and the non-deleted reasons by order, then id; the deleted ones with includeDeleted', async () => {
    const { accountId, lunch, gym, old } = await seeded();
    expect(await listStatusReasons(lambda, FUNCTION, { accountId })).toEqual({ revision: '2', items: [gym, lunch] });
    expect(sentPayload()).toEqual({ action: 'listStatusReasons', accountId });
    expect(await listStatusReasons(lambda, FUNCTION, { accountId, includeDeleted: true })).toEqual({ revision: '2', items: [gym, lunch, old] });
    expect(await listStatusReasons(lambda, FUNCTION, { accountId: newAccount() })).toEqual({ revision: '0', items: [] });
  });
});

describe('getStatusReason', () => {
  it('answers one reason; a deleted one only with includeDeleted; NotFound otherwise', async () => {
    const { accountId, lunch, old } = await seeded();
    expect(await getStatusReason(lambda, FUNCTION, { accountId, id: lunch.id })).toEqual({ revision: '2', item: lunch });
    expect(sentPayload()).toEqual({ action: 'getStatusReason', accountId, id: lunch.id });
    expect((await failure(getStatusReason(lambda, FUNCTION, { accountId, id: old.id }), 'NotFound')).message).toMatch(/deleted/);
    expect(await getStatusReason(lambda, FUNCTION, { accountId, id: old.id, includeDeleted: true })).toEqual({ revision: '2', item: old });
    expect((await failure(getStatusReason(lambda, FUNCTION, { accountId, id: 999 }), 'NotFound')).message).toMatch(/does not exist/);
  });
});

describe('replaceStatusReason', () => {
  it('replaces text and state, keeps the fields left out, and answers the new revision', async () => {
    const { accountId, gym } = await seeded();
    const out = await replaceStatusReason(lambda, FUNCTION, { accountId, id: gym.id, item: { text: ' Gym time ', state: 'Occupied' }, ifMatch: '2' });
    expect(out).toEqual({ revision: '3', item: { ...gym, text: 'Gym time', state: 'Occupied' } });
    expect(sentPayload()).toEqual({ action: 'replaceStatusReason', accountId, id: gym.id, item: { text: ' Gym time ', state: 'Occupied' }, ifMatch: '2' });
    expect((await getStatusReason(lambda, FUNCTION, { accountId, id: gym.id })).item.text).toBe('Gym time');
  });

  it('names the item\'s fields in its errors: Duplicate, InvalidRequest; and answers NotFound and RevisionConflict', async () => {
    const { accountId, lunch, gym } = await seeded();
    const duplicate = await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: gym.id, item: { text: 'LUNCH', state: 'Away' } }), 'Duplicate');
    expect(duplicate.errors).toEqual([{ path: 'item.text', message: expect.stringMatching(`already the text of status reason ${lunch.id}`) }]);
    const invalid = await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: gym.id, item: { text: '', state: 'Back soon' as never, id: 7 } }), 'InvalidRequest');
    expect(invalid.errors.map((e) => e.path).sort()).toEqual(['item.state', 'item.text']);
    const mismatch = await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: gym.id, item: { text: 'x', state: 'Away', id: gym.id + 1 } }), 'InvalidRequest');
    expect(mismatch.errors).toEqual([{ path: 'item.id', message: expect.stringMatching(/id of the reason it replaces/) }]);
    await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: 999, item: { text: 'x', state: 'Away' } }), 'NotFound');
    await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: gym.id, item: { text: 'x', state: 'Away' }, ifMatch: 1 }), 'RevisionConflict');
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).revision).toBe('2');
  });
});

describe('deleteStatusReason', () => {
  it('soft-deletes, frees the text, and answers NotFound for a reason already deleted or unknown, RevisionConflict for a stale ifMatch', async () => {
    const { accountId, lunch } = await seeded();
    await failure(deleteStatusReason(lambda, FUNCTION, { accountId, id: lunch.id, ifMatch: 0 }), 'RevisionConflict');
    expect(await deleteStatusReason(lambda, FUNCTION, { accountId, id: lunch.id, ifMatch: 2 })).toEqual({ revision: '3', item: { ...lunch, deleted: true } });
    await failure(deleteStatusReason(lambda, FUNCTION, { accountId, id: lunch.id }), 'NotFound');
    await failure(deleteStatusReason(lambda, FUNCTION, { accountId, id: 999 }), 'NotFound');
    expect((await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'lunch', state: 'Away' }] })).revision).toBe('4');
  });
});

describe('idempotencyKey', () => {
  it('is sent by the client and refused with InvalidRequest when it is not 1–128 printable ASCII characters', async () => {
    const accountId = newAccount();
    await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'A', state: 'Away' }], idempotencyKey: 'key-1' });
    expect(sentPayload()).toMatchObject({ idempotencyKey: 'key-1' });
    for (const key of ['', 'x'.repeat(129), 'clé']) {
      const error = await failure(deleteStatusReason(lambda, FUNCTION, { accountId, id: 1, idempotencyKey: key }), 'InvalidRequest');
      expect(error.errors).toEqual([{ path: 'idempotencyKey', message: 'must be 1–128 printable ASCII characters' }]);
    }
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).revision).toBe('1');
  });

  it('makes a repeat answer the first answer and write nothing; the same key with another request is IdempotencyKeyReused', async () => {
    const accountId = newAccount();
    const first = await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'A', state: 'Away' }], idempotencyKey: 'create-a' });
    expect(await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'A', state: 'Away' }], idempotencyKey: 'create-a' })).toEqual(first);
    await failure(createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'B', state: 'Away' }], idempotencyKey: 'create-a' }), 'IdempotencyKeyReused');
    const id = first.items[0]!.id;
    const replaced = await replaceStatusReason(lambda, FUNCTION, { accountId, id, item: { text: 'A2', state: 'Away' }, idempotencyKey: 'replace-a' });
    expect(await replaceStatusReason(lambda, FUNCTION, { accountId, id, item: { text: 'A2', state: 'Away' }, idempotencyKey: 'replace-a' })).toEqual(replaced);
    const deleted = await deleteStatusReason(lambda, FUNCTION, { accountId, id, idempotencyKey: 'delete-a' });
    expect(await deleteStatusReason(lambda, FUNCTION, { accountId, id, idempotencyKey: 'delete-a' })).toEqual(deleted);
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).revision).toBe('3');
  });
});

describe('bad payloads are typed errors, never a thrown Lambda error', () => {
  const invoke = (payload: unknown) => handler()(payload, lambdaContext());
  const invalidPaths = async (payload: unknown) => {
    const answer = await invoke(payload);
    expect(answer).toEqual({ error: { type: 'InvalidRequest', message: expect.stringMatching(/^Invalid request: /), errors: expect.any(Array) } });
    return (answer as { error: { errors: { path: string; message: string }[] } }).error.errors;
  };

  it('names every action when the action is unknown', async () => {
    const [error] = await invalidPaths({ action: 'dropTable', accountId: 'a' });
    expect(error!.message).toContain(INVOKE_ACTIONS.join(', '));
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['getStatusReason without id', { action: 'getStatusReason', accountId: 'a' }, ['id']],
    ['getStatusReason with id 0', { action: 'getStatusReason', accountId: 'a', id: 0 }, ['id']],
    ['getStatusReason with a fractional id', { action: 'getStatusReason', accountId: 'a', id: 1.5 }, ['id']],
    ['getStatusReason with the id as a string', { action: 'getStatusReason', accountId: 'a', id: '1' }, ['id']],
    ['getStatusReason with an id of 2^53', { action: 'getStatusReason', accountId: 'a', id: 2 ** 53 }, ['id']],
    ['getStatusReason with includeDeleted "yes"', { action: 'getStatusReason', accountId: 'a', id: 1, includeDeleted: 'yes' }, ['includeDeleted']],
    ['getStatusReason with ifMatch (reads take none)', { action: 'getStatusReason', accountId: 'a', id: 1, ifMatch: 1 }, ['ifMatch']],
    ['listStatusReasons with items', { action: 'listStatusReasons', accountId: 'a', items: [] }, ['items']],
    ['listStatusReasons with a bad accountId', { action: 'listStatusReasons', accountId: '../b' }, ['accountId']],
    ['replaceStatusReason without item', { action: 'replaceStatusReason', accountId: 'a', id: 1 }, ['item']],
    ['replaceStatusReason with an array item', { action: 'replaceStatusReason', accountId: 'a', id: 1, item: [] }, ['item']],
    ['replaceStatusReason with an unknown item field', { action: 'replaceStatusReason', accountId: 'a', id: 1, item: { text: 'x', state: 'Away', color: 'red' } }, ['item.color']],
    ['deleteStatusReason with a bad ifMatch', { action: 'deleteStatusReason', accountId: 'a', id: 1, ifMatch: 'W/"1"' }, ['ifMatch']],
    ['deleteStatusReason with items', { action: 'deleteStatusReason', accountId: 'a', id: 1, items: [] }, ['items']],
  ])('%s', async (_, payload, paths) => {
    expect((await invalidPaths(payload)).map((e) => e.path).sort()).toEqual(paths);
  });

  it('describes deep and huge values without serializing them', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { id: deep };
    const huge = 'x'.repeat(1_000_000);
    for (const payload of [
      { action: 'getStatusReason', accountId: 'a', id: deep },
      { action: 'replaceStatusReason', accountId: 'a', id: 1, item: { text: 'x', state: 'Away', id: deep } },
      { action: 'replaceStatusReason', accountId: 'a', id: 1, item: deep },
      { action: deep },
      { action: huge },
      { action: 'deleteStatusReason', accountId: huge, id: 1 },
    ]) {
      const answer = await invoke(payload);
      expect('error' in answer && ['InvalidRequest', 'NotFound']).toContain('error' in answer && answer.error.type);
      expect(JSON.stringify(answer).length).toBeLessThan(2_000);
    }
  });

  it('for any payload at all, of any action (property): an answer, never a throw, never an InternalError', async () => {
    const payload = fc.record(
      {
        action: fc.oneof(fc.constantFrom(...INVOKE_ACTIONS), fc.jsonValue()),
        accountId: fc.oneof(fc.constant('acct-actions-prop'), fc.string(), fc.jsonValue()),
        id: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.double(), fc.jsonValue()),
        items: fc.oneof(fc.array(fc.record({ text: fc.string(), state: fc.constantFrom('Away', 'Online', 'Occupied', 'Back soon') }), { maxLength: 3 }), fc.jsonValue()),
        item: fc.oneof(fc.record({ text: fc.oneof(fc.string(), fc.jsonValue()), state: fc.oneof(fc.constantFrom('Away', 'Occupied'), fc.jsonValue()) }, { requiredKeys: [] }), fc.jsonValue()),
        includeDeleted: fc.oneof(fc.boolean(), fc.jsonValue()),
        ifMatch: fc.oneof(fc.nat(), fc.string(), fc.jsonValue()),
        idempotencyKey: fc.oneof(fc.string(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(payload, fc.jsonValue()), async (p) => {
        const answer = await invoke(p);
        if ('error' in answer) expect(['InvalidRequest', 'Duplicate', 'RevisionConflict', 'LimitExceeded', 'NotFound']).toContain(answer.error.type);
        else expect(answer.revision).toMatch(/^\d+$/);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the typed client', () => {
  it('throws InvalidResponse when an answer lacks the action\'s result field', async () => {
    const odd = lambdaRunning(async () => undefined, {}, '{"revision": "1", "items": []}');
    await failure(getStatusReason(odd, FUNCTION, { accountId: 'a', id: 1 }), 'InvalidResponse');
    const other = lambdaRunning(async () => undefined, {}, '{"revision": "1", "item": {}}');
    await failure(listStatusReasons(other, FUNCTION, { accountId: 'a' }), 'InvalidResponse');
  });

  it('leaves options that are undefined out of the payload', async () => {
    const accountId = newAccount();
    await listStatusReasons(lambda, FUNCTION, { accountId, includeDeleted: undefined });
    expect(sentPayload()).toEqual({ action: 'listStatusReasons', accountId });
  });
});
