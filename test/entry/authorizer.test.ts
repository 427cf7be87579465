// The Lambda authorizer with tokens minted by the local issuer (infra/local/jwt.ts)
// in the shapes Cognito issues (client credentials: `client_id`, `token_use`,
// no `aud`, no `username`; users: `username` and the account claim), against
// the CLIENT# items of a real DynamoDB table.
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAccountsInTable, createAuthorizer, simpleResponse, type AuthorizerOptions } from '../../functions/entry/authorizer.js';
import { UNAUTHENTICATED_CONTEXT_KEY, verifiedClaims } from '../../functions/platform/http/middlewares/jwt-claims.js';
import type { HttpEvent } from '../../functions/platform/http/types.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../../functions/platform/machine-clients.js';
import { loadOrCreateKeys, localKeyResolver, signToken, type LocalKeys, type TokenOptions } from '../../infra/local/jwt.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI';
const RS = 'agent-status-reasons';
const BOTH = `${RS}/status-reasons:read ${RS}/status-reasons:write`;

let table: TestTable;
let keys: LocalKeys;
let otherKeys: LocalKeys;
const dirs: string[] = [];
const keysIn = async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authorizer-keys-'));
  dirs.push(dir);
  return loadOrCreateKeys(dir);
};
beforeAll(async () => {
  table = await createTestTable();
  keys = await keysIn();
  otherKeys = await keysIn();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const register = async (clientId: string, account: string) => {
  const { pk, sk } = clientKey(clientId);
  await table.sdk.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: sk }, [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account } } }));
};
const unregister = async (clientId: string) => {
  const { pk, sk } = clientKey(clientId);
  await table.sdk.send(new DeleteItemCommand({ TableName: table.tableName, Key: { pk: { S: pk }, sk: { S: sk } } }));
};

const authorizer = (overrides: Partial<AuthorizerOptions> = {}) =>
  createAuthorizer({
    issuer: ISSUER,
    key: localKeyResolver(keys),
    tokenUse: 'access',
    accountOfClient: clientAccountsInTable(table.client, table.tableName),
    rules: { accountClaim: 'account', resourceServer: RS },
    ...overrides,
  });

/** A Cognito client-credentials access token: the client as `sub` and `client_id`, no `aud`, no account claim. */
const machineToken = (clientId: string, options: Partial<TokenOptions> = {}, signWith = keys) =>
  signToken(signWith, { issuer: ISSUER, audience: null, subject: clientId, scope: BOTH, expiresIn: '1h', claims: { client_id: clientId, token_use: 'access' }, ...options });
/** A Cognito user's access token, with the account the pool's trigger wrote. */
const userToken = (account: string, options: Partial<TokenOptions> = {}) =>
  signToken(keys, { issuer: ISSUER, audience: null, account, scope: BOTH, expiresIn: '1h', claims: { client_id: 'console-client', token_use: 'access', username: 'ana' }, ...options });

const bearer = (token: string) => `Bearer ${token}`;

describe('the Lambda authorizer', () => {
  it("allows a registered machine client with its table account (never the token's), its service scopes, sub and client_id", async () => {
    const account = newAccount();
    await register('client-allow', account);
    const token = await machineToken('client-allow', { claims: { client_id: 'client-allow', token_use: 'access', account: 'someone-else' }, scope: `${BOTH} openid other/status-reasons:write` });
    expect(await authorizer()(bearer(token))).toEqual({
      outcome: 'allow',
      context: { account, scope: BOTH, sub: 'client-allow', client_id: 'client-allow' },
    });
  });

  it('writes the account under the configured claim name', async () => {
    const account = newAccount();
    await register('client-claim', account);
    const decision = await authorizer({ rules: { accountClaim: 'https://acme.example.com/account', resourceServer: RS } })(bearer(await machineToken('client-claim')));
    expect(decision).toMatchObject({ outcome: 'allow', context: { 'https://acme.example.com/account': account } });
  });

  it('refuses (403) a machine client with no CLIENT# item, and one removed once the cache has let go', async () => {
    expect(await authorizer()(bearer(await machineToken('client-unknown')))).toEqual({ outcome: 'deny', reason: 'app client client-unknown is not registered for an account' });

    const account = newAccount();
    await register('client-removed', account);
    const cached = authorizer();
    const uncached = authorizer({ clientCacheMs: 0 });
    const token = bearer(await machineToken('client-removed'));
    expect((await cached(token)).outcome).toBe('allow');
    expect((await uncached(token)).outcome).toBe('allow');
    await unregister('client-removed');
    // Within its cache lifetime the container still knows the client; past it the removal holds.
    expect((await cached(token)).outcome).toBe('allow');
    expect((await uncached(token)).outcome).toBe('deny');
  });

  it("takes a user's account from the account claim, and refuses a user token without one", async () => {
    const account = newAccount();
    expect(await authorizer()(bearer(await userToken(account, { scope: `${RS}/status-reasons:read` })))).toMatchObject({ outcome: 'allow', context: { account, scope: `${RS}/status-reasons:read`, client_id: 'console-client' } });
    const noAccount = await signToken(keys, { issuer: ISSUER, audience: null, claims: { client_id: 'console-client', token_use: 'access', username: 'ana' } });
    expect((await authorizer()(bearer(noAccount))).outcome).toBe('deny');
  });

  it('refuses (403) a token that holds none of the service scopes', async () => {
    const account = newAccount();
    await register('client-scopes', account);
    for (const scope of ['openid', 'other-server/status-reasons:write', 'status-reasons:admin']) {
      expect(await authorizer()(bearer(await machineToken('client-scopes', { scope })))).toEqual({ outcome: 'deny', reason: 'the token holds none of the service scopes' });
    }
    // Bare scopes count too (an operator's issuer, the local tokens).
    expect((await authorizer()(bearer(await machineToken('client-scopes', { scope: 'status-reasons:read' })))).outcome).toBe('allow');
  });

  it.each<[string, () => Promise<string | undefined>]>([
    ['no header', async () => undefined],
    ['another scheme', async () => 'Basic YTpi'],
    ['a malformed token', async () => 'Bearer not-a-jwt'],
    ['an expired token', async () => bearer(await machineToken('client-x', { expiresIn: Math.floor(Date.now() / 1000) - 5 }))],
    ['another issuer', async () => bearer(await machineToken('client-x', { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }))],
    ['an id token', async () => bearer(await machineToken('client-x', { claims: { client_id: 'client-x', token_use: 'id' } }))],
    ['a token with no token_use', async () => bearer(await machineToken('client-x', { claims: { client_id: 'client-x' } }))],
    ['a token signed by another key', async () => bearer(await machineToken('client-x', {}, otherKeys))],
    ['a token issued in the future', async () => bearer(await machineToken('client-x', { issuedAt: Math.floor(Date.now() / 1000) + 600 }))],
  ])('lets %s through as unauthenticated, for the function to answer 401', async (_, header) => {
    await register('client-x', newAccount());
    const decision = await authorizer()(await header());
    expect(decision.outcome).toBe('unauthenticated');
    const answer = simpleResponse(decision);
    expect(answer).toEqual({ isAuthorized: true, context: { [UNAUTHENTICATED_CONTEXT_KEY]: expect.any(String) } });
    // The function sees no claims, hence its 401.
    const event = { requestContext: { authorizer: { lambda: answer.context } } } as unknown as HttpEvent;
    expect(verifiedClaims(event)).toBeUndefined();
  });

  it('answers API Gateway: allowed with the context the function reads as claims; refused without context', async () => {
    const account = newAccount();
    await register('client-answer', account);
    const answer = simpleResponse(await authorizer()(bearer(await machineToken('client-answer'))));
    expect(answer.isAuthorized).toBe(true);
    expect(verifiedClaims({ requestContext: { authorizer: { lambda: answer.context } } } as unknown as HttpEvent)).toEqual(answer.context);
    expect(simpleResponse({ outcome: 'deny', reason: 'x' })).toEqual({ isAuthorized: false, context: {} });
  });

  it('checks the audience where one is configured (the local issuer)', async () => {
    const local = authorizer({ issuer: 'agent-status-reasons-local', audience: 'agent-status-reasons', tokenUse: undefined });
    const account = newAccount();
    expect((await local(bearer(await signToken(keys, { account })))).outcome).toBe('allow');
    expect((await local(bearer(await signToken(keys, { account, audience: 'someone-else' })))).outcome).toBe('unauthenticated');
  });
});
