// The change history through the three APIs (SPEC §6): each write's entry names
// its API and actor (token sub/client_id, the SigV4 caller's ARN through the
// local server, a direct invoker's claim); GET base/changes and its bad inputs;
// invoke listChanges through the typed client.
import { CreateAgentStatusCommand } from '@aws-sdk/client-connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChanges, StatusReasonsError } from '../../../functions/client/status-reasons.js';
import { createHandler } from '../../../functions/entry/http.js';
import { createInvokeHandler } from '../../../functions/adapters/invoke/invoke.js';
import { lambdaContext, BASE, call } from '../../support/events.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { lambdaRunning } from '../invoke/helpers.js';
import { connectClient, startServer } from '../connect/helpers.js';

let table: TestTable;
let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  table = await createTestTable();
  server = await startServer(() => table.store());
});
afterAll(async () => {
  await server?.close();
});

const http = () => createHandler(() => table.store(), { connectGrants: undefined });
const invoke = () => createInvokeHandler({ store: () => table.store() });

describe('entries name the API and the actor', () => {
  it('LivePerson: the token sub and client_id; Connect: the signer ARN; invoke: its own claim, marked claimed', async () => {
    const account = newAccount();
    const claims = { account, scope: 'status-reasons:read status-reasons:write', sub: 'user-7', client_id: 'desk-app' };
    const created = await call(http(), { method: 'POST', path: BASE(account), body: { text: 'Lunch', state: 'Away' }, claims });
    expect(created.status).toBe(200);
    await connectClient(server).send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Break', State: 'ENABLED' }));
    const invoked = await invoke()(
      { action: 'replaceStatusReason', accountId: account, id: created.body.id, item: { text: 'Lunch', state: 'Online' }, actor: JSON.parse('{"service": "scheduler", "__proto__": "x"}') },
      lambdaContext(),
    );
    expect(invoked).toMatchObject({ revision: '3' });

    const page = await call(http(), { method: 'GET', path: `${BASE(account)}/changes`, claims: { account, scope: 'status-reasons:read' } });
    expect(page.status).toBe(200);
    expect(page.headers['ac-revision']).toBe('3');
    expect(page.body.revision).toBe(3);
    expect(page.body.more).toBe(false);
    const entries = page.body.changes;
    expect(entries.map((e: any) => [e.revision, e.via, e.actor])).toEqual([
      [1, 'liveperson', { sub: 'user-7', client_id: 'desk-app' }],
      [2, 'connect', { arn: 'arn:aws:iam::000000000000:user/local' }],
      [3, 'invoke', JSON.parse('{"service": "scheduler", "__proto__": "x", "claimed": true}')],
    ]);
    expect(Object.getPrototypeOf(entries[2].actor)).toBe(Object.prototype);
    expect(entries[2].changes).toEqual([{ id: created.body.id, op: 'updated', reason: { ...created.body, state: 'Online' }, before: { state: 'Away' } }]);
  });
});

describe('GET base/changes', () => {
  it('bad since and limit are 400s naming them; since above the current revision is a 400; other methods are 404', async () => {
    const account = newAccount();
    const path = `${BASE(account)}/changes`;
    for (const [query, name] of [
      [{ since: '-1' }, 'since'],
      [{ since: 'abc' }, 'since'],
      [{ since: '1.5' }, 'since'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'x' }, 'limit'],
      [{ since: '1' }, 'since'],
    ] as const) {
      const answer = await call(http(), { method: 'GET', path, query });
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(answer.body.errors[0].path).toBe(name);
    }
    expect((await call(http(), { method: 'DELETE', path })).status).toBe(404);
    expect((await call(http(), { method: 'GET', path })).body).toEqual({ revision: 0, changes: [], more: false });
    // The override applies to POST only; a GET ignores it, here as on base and base/{id}.
    expect((await call(http(), { method: 'GET', path, headers: { 'x-http-method-override': 'DELETE' } })).body).toEqual({ revision: 0, changes: [], more: false });
  });

  it('410 with oldestRevision below the kept history; a read scope suffices, another account is 403', async () => {
    const account = newAccount();
    const limited = createHandler(() => table.store({ keepLimits: { maxAgeMs: 86_400_000, maxBytes: 1 } }), { connectGrants: undefined });
    for (let i = 0; i < 3; i++) await call(limited, { method: 'POST', path: BASE(account), body: { text: `R${i}`, state: 'Away' } });
    const gone = await call(limited, { method: 'GET', path: `${BASE(account)}/changes`, query: { since: '0' }, claims: { account, scope: 'status-reasons:read' } });
    expect(gone.status).toBe(410);
    expect(gone.body).toEqual({ message: expect.any(String), oldestRevision: 3 });
    expect(gone.headers['ac-revision']).toBe('3');
    const latest = await call(limited, { method: 'GET', path: `${BASE(account)}/changes`, query: { since: '2', limit: '1' } });
    expect(latest.body.changes.map((e: any) => e.revision)).toEqual([3]);
    expect((await call(http(), { method: 'GET', path: `${BASE(account)}/changes`, claims: { account: 'other', scope: 'status-reasons:read' } })).status).toBe(403);
  });
});

describe('invoke listChanges', () => {
  it('through the typed client: pages, HistoryGone with oldestRevision, bad payloads named', async () => {
    const account = newAccount();
    const handler = invoke();
    for (let i = 0; i < 3; i++) await handler({ action: 'createStatusReasons', accountId: account, items: [{ text: `I${i}`, state: 'Away' }] }, lambdaContext());
    const lambda = lambdaRunning((event) => handler(event, lambdaContext()));
    const first = await listChanges(lambda, 'fn', { accountId: account, limit: 2 });
    expect(first.revision).toBe('3');
    expect(first.more).toBe(true);
    expect(first.changes.map((e) => e.revision)).toEqual([1, 2]);
    const rest = await listChanges(lambda, 'fn', { accountId: account, since: 2 });
    expect(rest).toMatchObject({ more: false, changes: [{ revision: 3, via: 'invoke', actor: { claimed: true } }] });

    expect(await handler({ action: 'listChanges', accountId: account, limit: 0 }, lambdaContext())).toMatchObject({ error: { type: 'InvalidRequest', errors: [{ path: 'limit' }] } });
    expect(await handler({ action: 'listChanges', accountId: account, since: 9 }, lambdaContext())).toMatchObject({ error: { type: 'InvalidRequest', errors: [{ path: 'since' }] } });

    const limited = createInvokeHandler({ store: () => table.store({ keepLimits: { maxAgeMs: 86_400_000, maxBytes: 1 } }) });
    await limited({ action: 'createStatusReasons', accountId: account, items: [{ text: 'I3', state: 'Away' }] }, lambdaContext());
    const error = await listChanges(lambdaRunning((event) => limited(event, lambdaContext())), 'fn', { accountId: account }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusReasonsError);
    expect(error).toMatchObject({ type: 'HistoryGone', oldestRevision: 4 });
  });
});
