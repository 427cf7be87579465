// Direct invoke: the reorderStatusReasons action and restoring by
// replaceStatusReason (item.deleted = false), through the typed client over a
// real LambdaClient whose Invoke runs the function's handler in process, on a
// real DynamoDB engine; and the raw payloads' typed errors.
import { describe, expect, it } from 'vitest';
import {
  createStatusReasons,
  deleteStatusReason,
  listStatusReasons,
  reorderStatusReasons,
  replaceStatusReason,
} from '../../../functions/client/status-reasons.js';
import { newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { failure, invokeOnTestTable } from './helpers.js';

const FUNCTION = 'agent-status-reasons';
const { handler, lambda, sentPayload } = invokeOnTestTable();

async function seeded() {
  const accountId = newAccount();
  const { items } = await createStatusReasons(lambda, FUNCTION, {
    accountId,
    items: [
      { text: 'A', state: 'Away', order: 100 },
      { text: 'B', state: 'Away', order: 200 },
      { text: 'C', state: 'Away', order: 300 },
    ],
  });
  return { accountId, a: items[0]!, b: items[1]!, c: items[2]! };
}

describe('reorderStatusReasons', () => {
  it('sends the action payload, answers {revision, items} in the wanted order, and writes one revision', async () => {
    const { accountId, a, b, c } = await seeded();
    const out = await reorderStatusReasons(lambda, FUNCTION, { accountId, ids: [c.id, a.id, b.id] });
    expect(sentPayload()).toEqual({ action: 'reorderStatusReasons', accountId, ids: [c.id, a.id, b.id] });
    expect(out.revision).toBe('2');
    expect(out.items.map((r) => r.id)).toEqual([c.id, a.id, b.id]);
    expect(out.items.map((r) => r.order)).toEqual([100 - 65_536, 100, 200]); // only C moved, a step before A
    expect(await listStatusReasons(lambda, FUNCTION, { accountId })).toEqual(out);
  });

  it('ifMatch and idempotencyKey mean what the HTTP headers mean', async () => {
    const { accountId, a, b, c } = await seeded();
    await failure(reorderStatusReasons(lambda, FUNCTION, { accountId, ids: [c.id, b.id, a.id], ifMatch: '0' }), 'RevisionConflict');
    const first = await reorderStatusReasons(lambda, FUNCTION, { accountId, ids: [c.id, b.id, a.id], ifMatch: 1, idempotencyKey: 'k-1' });
    const repeat = await reorderStatusReasons(lambda, FUNCTION, { accountId, ids: [c.id, b.id, a.id], idempotencyKey: 'k-1' });
    expect(repeat).toEqual(first);
    await failure(reorderStatusReasons(lambda, FUNCTION, { accountId, ids: [a.id, b.id, c.id], idempotencyKey: 'k-1' }), 'IdempotencyKeyReused');
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).revision).toBe('2');
  });

  it('a missing, unknown, deleted or repeated id is InvalidRequest naming ids[i] (or ids)', async () => {
    const { accountId, a, b, c } = await seeded();
    await deleteStatusReason(lambda, FUNCTION, { accountId, id: c.id });
    const paths = async (ids: number[]) => (await failure(reorderStatusReasons(lambda, FUNCTION, { accountId, ids }), 'InvalidRequest')).errors.map((e) => e.path);
    expect(await paths([a.id, b.id, b.id])).toEqual(['ids[2]']);
    expect(await paths([a.id, b.id, 999])).toEqual(['ids[2]']);
    expect(await paths([a.id, c.id, b.id])).toEqual(['ids[1]']);
    expect(await paths([a.id])).toEqual(['ids']);
    const raw = (await handler()({ action: 'reorderStatusReasons', accountId, ids: [a.id, 'x'] }, lambdaContext())) as { error: { type: string; errors: { path: string }[] } };
    expect(raw.error.type).toBe('InvalidRequest');
    expect(raw.error.errors.map((e) => e.path)).toEqual(['ids[1]']);
    const none = (await handler()({ action: 'reorderStatusReasons', accountId }, lambdaContext())) as { error: { errors: { path: string; message: string }[] } };
    expect(none.error.errors).toEqual([{ path: 'ids', message: 'is required' }]);
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).revision).toBe('2');
  });
});

describe('replaceStatusReason with item.deleted = false (restore)', () => {
  it('restores a deleted reason; Duplicate when its text is taken; NotFound for any other replacement of a deleted reason', async () => {
    const { accountId, a } = await seeded();
    await deleteStatusReason(lambda, FUNCTION, { accountId, id: a.id });
    await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: a.id, item: { text: 'A', state: 'Away' } }), 'NotFound');
    await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: a.id, item: { text: 'A', state: 'Away', deleted: true } }), 'NotFound');
    const restored = await replaceStatusReason(lambda, FUNCTION, { accountId, id: a.id, item: { text: 'A', state: 'Online', deleted: false } });
    expect(restored).toEqual({ revision: '3', item: { ...a, state: 'Online', deleted: false } });
    expect((await listStatusReasons(lambda, FUNCTION, { accountId })).items.map((r) => r.id)).toContain(a.id);

    await deleteStatusReason(lambda, FUNCTION, { accountId, id: a.id });
    await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'a', state: 'Away' }] });
    const taken = await failure(replaceStatusReason(lambda, FUNCTION, { accountId, id: a.id, item: { text: 'A', state: 'Away', deleted: false } }), 'Duplicate');
    expect(taken.errors).toEqual([{ path: 'item.text', message: expect.stringMatching(/already the text of status reason/) }]);
  });
});
