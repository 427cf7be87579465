import { describe, expect, it } from 'vitest';
import { scopesIn } from '../../functions/http/middlewares/jwt-claims.js';
import { createLivePersonHandler } from '../../functions/http/liveperson.js';
import type { StatusReasonStore } from '../../functions/domain/store.js';
import { BASE, call } from '../support/events.js';
import { createTestTable, newAccount } from '../support/dynamo.js';

// No store call is reached in these cases: authorization refuses first.
const unreachable: StatusReasonStore = new Proxy({} as StatusReasonStore, {
  get: () => () => {
    throw new Error('the store must not be reached');
  },
});
const handler = createLivePersonHandler({ store: () => unreachable });

describe('scope claims as API Gateway hands them over', () => {
  it.each([
    ['status-reasons:read status-reasons:write', ['status-reasons:read', 'status-reasons:write']],
    ['[status-reasons:read status-reasons:write]', ['status-reasons:read', 'status-reasons:write']],
    [['a', 'b'], ['a', 'b']],
    [undefined, []],
    [42, []],
  ])('%j', (claim, scopes) => expect(scopesIn(claim)).toEqual(scopes));

  it('a Cognito resource-server scope (<identifier>/status-reasons:read) grants reads, not writes', async () => {
    const claims = { account: '7', scope: 'agent-status-reasons/status-reasons:read' };
    const write = await call(handler, { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' }, claims });
    expect(write.status).toBe(403);
    expect(write.body.message).toMatch(/status-reasons:write/);
  });

  it('and that read scope does read', async () => {
    const table = await createTestTable();
    const store = table.store();
    const reader = createLivePersonHandler({ store: () => store });
    const account = newAccount();
    const res = await call(reader, { method: 'GET', path: BASE(account), claims: { account, scope: 'agent-status-reasons/status-reasons:read' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('a scope that merely contains the name does not grant it', async () => {
    const claims = { account: '7', scope: 'status-reasons:readonly status-reasons:write-ish' };
    expect((await call(handler, { method: 'GET', path: BASE('7'), claims })).status).toBe(403);
  });
});
