// The typed client other Lambdas import, over a real LambdaClient whose Invoke
// is short-circuited (like Lambda would: JSON in, JSON out) into the function's
// real handler on a real DynamoDB engine.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStatusReasons, StatusReasonsError } from '../../../functions/client/create-status-reasons.js';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import { createInvokeEntry } from '../../../functions/entry/invoke.js';
import type { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { lambdaRunning, type Seen } from './helpers.js';

const FUNCTION = 'agent-status-reasons';

let store: DynamoStatusReasonStore;
let lambda: LambdaClient;
const seen: Seen = {};
beforeAll(async () => {
  const table = await createTestTable();
  store = table.store();
  const handler = createInvokeEntry(() => store);
  lambda = lambdaRunning((event) => handler(event, lambdaContext()), seen);
});

async function failure(promise: Promise<unknown>): Promise<StatusReasonsError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(StatusReasonsError);
    return error as StatusReasonsError;
  }
  throw new Error('expected the call to fail');
}

describe('createStatusReasons (typed client)', () => {
  it('invokes RequestResponse with the action payload and answers the revision and items', async () => {
    const accountId = newAccount();
    const out = await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'Lunch', state: 'Away' }, { text: 'Gym', state: 'Occupied', order: 3 }] });
    expect(out).toEqual({
      revision: '1',
      items: [
        { id: 1, text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: expect.any(Number) },
        { id: 2, text: 'Gym', state: 'Occupied', enabled: true, deleted: false, order: 3 },
      ],
    });
    expect(seen.input).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(seen.input!.Payload as Uint8Array))).toEqual({
      action: 'createStatusReasons',
      accountId,
      items: [{ text: 'Lunch', state: 'Away' }, { text: 'Gym', state: 'Occupied', order: 3 }],
    });
    expect((await listStatusReasons(store, accountId)).items).toHaveLength(2);
  });

  it('sends ifMatch and throws RevisionConflict when it is stale', async () => {
    const accountId = newAccount();
    const first = await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'A', state: 'Away' }], ifMatch: 0 });
    expect(first.revision).toBe('1');
    const error = await failure(createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'B', state: 'Away' }], ifMatch: '0' }));
    expect(error.type).toBe('RevisionConflict');
    expect(error.errors).toEqual([]);
  });

  it('throws Duplicate with the field errors', async () => {
    const accountId = newAccount();
    await createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'Lunch', state: 'Away' }] });
    const error = await failure(createStatusReasons(lambda, FUNCTION, { accountId, items: [{ text: 'lunch', state: 'Online' }] }));
    expect(error.type).toBe('Duplicate');
    expect(error.errors).toEqual([{ path: 'items[0].text', message: expect.stringMatching(/already the text of status reason 1/) }]);
  });

  it('throws InvalidRequest for items that break the rules', async () => {
    const error = await failure(
      createStatusReasons(lambda, FUNCTION, { accountId: newAccount(), items: [{ text: 'x'.repeat(128), state: 'Away' }, { text: 'ok', state: 'Lunch' as never }] }),
    );
    expect(error.type).toBe('InvalidRequest');
    expect(error.errors.map((e) => e.path)).toEqual(['items[0].text', 'items[1].state']);
  });

  it('throws FunctionError when the function itself fails', async () => {
    const crashing = lambdaRunning(async () => {
      throw new TypeError('cannot read properties of undefined');
    });
    const error = await failure(createStatusReasons(crashing, FUNCTION, { accountId: newAccount(), items: [{ text: 'A', state: 'Away' }] }));
    expect(error.type).toBe('FunctionError');
    expect(error.message).toMatch(/Unhandled.*cannot read properties of undefined/);
  });

  it('throws InvalidResponse when the answer is not one it knows', async () => {
    for (const raw of ['not json', '{"ok": true}', '']) {
      const odd = lambdaRunning(async () => undefined, {}, raw);
      const error = await failure(createStatusReasons(odd, FUNCTION, { accountId: newAccount(), items: [{ text: 'A', state: 'Away' }] }));
      expect(error.type).toBe('InvalidResponse');
    }
  });
});
