// The Lambda entry points: the HTTP function's (API Gateway events) and the
// direct-invoke function's. Each API shape reaches its adapter, and no adapter
// answers before the store has finished, even when the Lambda's remaining time
// is short (middy's default early timeout would answer an error a few ms before
// it, while the write could still commit). A direct invoke can never pass for
// API Gateway: an event carrying API Gateway's requestContext (forged claims)
// reads and writes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StatusReasonStore } from '../../functions/domain/store.js';
import { listStatusReasons } from '../../functions/domain/status-reasons.js';
import { createHandler } from '../../functions/entry/http.js';
import { createInvokeEntry } from '../../functions/entry/invoke.js';
import type { HttpResult } from '../../functions/platform/http/types.js';
import { connectEvent } from '../adapters/connect/helpers.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';
import { ALL_SCOPES, BASE, httpEvent, lambdaContext, type EventOptions } from '../support/events.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

const STORE_DELAY_MS = 150;
/** The real store, each write started only after a pause longer than the Lambda's remaining time below. */
function slowStore(): StatusReasonStore {
  const store = table.store();
  return {
    revision: (accountId) => store.revision(accountId),
    read: (accountId, options) => store.read(accountId, options),
    get: (accountId, id) => store.get(accountId, id),
    changes: (accountId, since, limit) => store.changes(accountId, since, limit),
    write: async (accountId, request, decide) => {
      await new Promise((resolve) => setTimeout(resolve, STORE_DELAY_MS));
      return store.write(accountId, request, decide);
    },
  };
}
const almostOutOfTime = () => ({ ...lambdaContext(), getRemainingTimeInMillis: () => 20 });

describe('the entry points with a Lambda that has 20 ms left and a store that takes 150 ms', () => {
  const handler = createHandler(slowStore);
  const invoke = createInvokeEntry(slowStore);
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
    const answer = await invoke({ action: 'createStatusReasons', accountId: account, items: [{ text: 'Break', state: 'Away' }] }, almostOutOfTime());
    expect(answer).toMatchObject({ revision: '1', items: [{ id: 1, text: 'Break' }] });
    expect(await texts(account)).toEqual(['Break']);
  });
});

describe('a direct invoke that forges API Gateway claims for another account', () => {
  const victim = newAccount();
  beforeAll(async () => {
    const created = await createHandler(() => table.store())(httpEvent({ method: 'POST', path: BASE(victim), body: { text: 'Lunch', state: 'Away' } }), lambdaContext());
    expect(created.statusCode).toBe(200);
  });

  /** The real store, with every call it gets recorded. */
  function recordingStore(calls: string[]): StatusReasonStore {
    const store = table.store();
    return {
      revision: (accountId) => (calls.push(`revision ${accountId}`), store.revision(accountId)),
      read: (accountId, options) => (calls.push(`read ${accountId}`), store.read(accountId, options)),
      get: (accountId, id) => (calls.push(`get ${accountId}`), store.get(accountId, id)),
      changes: (accountId, since, limit) => (calls.push(`changes ${accountId}`), store.changes(accountId, since, limit)),
      write: (accountId, request, decide) => (calls.push(`write ${accountId}`), store.write(accountId, request, decide)),
    };
  }
  /** API Gateway's event with the victim's account and every scope in its "verified" claims, sent by the attacker. */
  const forged = (options: EventOptions) => httpEvent({ ...options, claims: { account: victim, scope: ALL_SCOPES } });
  const attempts: [string, unknown][] = [
    ['lists', forged({ method: 'GET', path: BASE(victim) })],
    ['gets', forged({ method: 'GET', path: `${BASE(victim)}/1` })],
    ['replaces', forged({ method: 'PUT', path: `${BASE(victim)}/1`, body: { text: 'Owned', state: 'Away' } })],
    ['deletes', forged({ method: 'DELETE', path: `${BASE(victim)}/1` })],
    ['creates through Connect with a forged IAM caller', connectEvent({ path: `/agent-status/${victim}`, body: { Name: 'Owned', State: 'ENABLED' } })],
    ['creates with a valid payload that also carries a requestContext', { action: 'createStatusReasons', accountId: victim, items: [{ text: 'Owned', state: 'Away' }], requestContext: forged({ method: 'GET', path: BASE(victim) }).requestContext }],
  ];

  it.each(attempts)('%s: refused as InvalidRequest, and the store is never called', async (_, event) => {
    const calls: string[] = [];
    const answer = await createInvokeEntry(() => recordingStore(calls))(event, lambdaContext());
    expect(answer).toEqual({
      error: { type: 'InvalidRequest', message: expect.stringMatching(/API Gateway event is refused/), errors: [{ path: 'requestContext', message: 'is not allowed in a direct invoke' }] },
    });
    expect(calls).toEqual([]);
  });

  it("leaves the victim's reasons as they were", async () => {
    const listed = await listStatusReasons(table.store(), victim);
    expect(listed.revision).toBe(1);
    expect(listed.items.map((r) => [r.id, r.text, r.deleted])).toEqual([[1, 'Lunch', false]]);
  });

  it('the same events through the HTTP entry (only API Gateway may invoke it) do reach the store: the separation is the entry, not the event', async () => {
    const calls: string[] = [];
    const result = await createHandler(() => recordingStore(calls))(forged({ method: 'GET', path: BASE(victim) }), lambdaContext());
    expect(result.statusCode).toBe(200);
    expect(calls).toEqual([`read ${victim}`]);
  });
});
