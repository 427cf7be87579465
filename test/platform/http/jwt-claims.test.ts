import { describe, expect, it } from 'vitest';
import { scopesIn, tokenRulesFromEnv } from '../../../functions/platform/http/middlewares/jwt-claims.js';
import { createLivePersonHandler } from '../../../functions/adapters/liveperson/liveperson.js';
import type { StatusReasonStore } from '../../../functions/domain/store.js';
import { BASE, call } from '../../support/events.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';

// No store call is reached in these cases: authorization refuses first.
const unreachable: StatusReasonStore = new Proxy({} as StatusReasonStore, {
  get: () => () => {
    throw new Error('the store must not be reached');
  },
});
const COGNITO = { accountClaim: 'account', resourceServer: 'agent-status-reasons' };
const handler = createLivePersonHandler({ store: () => unreachable, tokenRules: COGNITO });

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
    const reader = createLivePersonHandler({ store: () => store, tokenRules: COGNITO });
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

describe('scopes match exactly, or as the configured resource server\'s', () => {
  it.each([
    ['another resource server', 'anything/status-reasons:write'],
    ['a nested one', 'agent-status-reasons/x/status-reasons:write'],
    ['the identifier without the slash', 'agent-status-reasonsstatus-reasons:write'],
    ['a prefix of the identifier', 'reasons/status-reasons:write'],
  ])('%s (%s) does not grant the scope', async (_, scope) => {
    const res = await call(handler, { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' }, claims: { account: '7', scope } });
    expect(res.status).toBe(403);
  });

  it('without a configured resource server, only the bare scope grants', async () => {
    const bare = createLivePersonHandler({ store: () => unreachable, tokenRules: { accountClaim: 'account', resourceServer: undefined } });
    const res = await call(bare, { method: 'GET', path: BASE('7'), claims: { account: '7', scope: 'agent-status-reasons/status-reasons:read' } });
    expect(res.status).toBe(403);
  });

  it('the rules come from ACCOUNT_CLAIM and RESOURCE_SERVER_IDENTIFIER, with defaults', () => {
    expect(tokenRulesFromEnv({})).toEqual({ accountClaim: 'account', resourceServer: undefined });
    expect(tokenRulesFromEnv({ ACCOUNT_CLAIM: 'tenant', RESOURCE_SERVER_IDENTIFIER: 'api' })).toEqual({ accountClaim: 'tenant', resourceServer: 'api' });
  });
});

describe('the account claim is configurable', () => {
  const tenantHandler = createLivePersonHandler({ store: () => unreachable, tokenRules: { accountClaim: 'tenant', resourceServer: undefined } });

  it('reads the configured claim, not `account`', async () => {
    const res = await call(tenantHandler, { method: 'GET', path: BASE('7'), claims: { account: '7', tenant: '8', scope: 'status-reasons:read' } });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('The token is not allowed to use account 7.');
  });

  it('and lets the configured claim through', async () => {
    const table = await createTestTable();
    const store = table.store();
    const account = newAccount();
    const reader = createLivePersonHandler({ store: () => store, tokenRules: { accountClaim: 'tenant', resourceServer: undefined } });
    const res = await call(reader, { method: 'GET', path: BASE(account), claims: { tenant: account, scope: 'status-reasons:read' } });
    expect(res.status).toBe(200);
  });
});
