// The Lambda entry point: each API shape reaches its adapter, and no adapter
// answers before the store has finished, even when the Lambda's remaining time
// is short (middy's default early timeout would answer an error a few ms before
// it, while the write could still commit).
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatusReasonStore } from '../functions/domain/store.js';
import { listStatusReasons } from '../functions/domain/status-reasons.js';
import { createHandler } from '../functions/handler.js';
import type { HttpResult } from '../functions/http/types.js';
import type { InvokeAnswer } from '../functions/invoke/protocol.js';
import { connectEvent } from './connect/helpers.js';
import { createTestTable, newAccount, type TestTable } from './support/dynamo.js';
import { BASE, httpEvent, lambdaContext } from './support/events.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

const STORE_DELAY_MS = 150;
/** The real store, each write started only after a pause longer than the Lambda's remaining time below. */
function slowStore(): StatusReasonStore {
  const store = table.store();
  return {
    read: (accountId, options) => store.read(accountId, options),
    get: (accountId, id) => store.get(accountId, id),
    write: async (accountId, request, decide) => {
      await new Promise((resolve) => setTimeout(resolve, STORE_DELAY_MS));
      return store.write(accountId, request, decide);
    },
  };
}
const almostOutOfTime = () => ({ ...lambdaContext(), getRemainingTimeInMillis: () => 20 });

describe('createHandler with a Lambda that has 20 ms left and a store that takes 150 ms', () => {
  const handler = createHandler(slowStore);
  const texts = async (account: string) => (await listStatusReasons(table.store(), account)).items.map((r) => r.text);

  it('LivePerson: answers the created reason, not a timeout', async () => {
    const account = newAccount();
    const result = (await handler(httpEvent({ method: 'POST', path: BASE(account), body: { text: 'Lunch', state: 'Away' } }), almostOutOfTime())) as HttpResult;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ id: 1, text: 'Lunch' });
    expect(await texts(account)).toEqual(['Lunch']);
  });

  it('Connect: answers the created agent status, not InternalServiceException', async () => {
    const account = newAccount();
    const result = (await handler(connectEvent({ path: `/agent-status/${account}`, body: { Name: 'Training', State: 'ENABLED' } }), almostOutOfTime())) as HttpResult;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body!)).toMatchObject({ AgentStatusId: '1' });
    expect(await texts(account)).toEqual(['Training']);
  });

  it('direct invoke: answers the created items, not InternalError', async () => {
    const account = newAccount();
    const answer = (await handler({ action: 'createStatusReasons', accountId: account, items: [{ text: 'Break', state: 'Away' }] }, almostOutOfTime())) as InvokeAnswer;
    expect(answer).toMatchObject({ revision: '1', items: [{ id: 1, text: 'Break' }] });
    expect(await texts(account)).toEqual(['Break']);
  });
});
