// The pre-token-generation trigger (event version 3) with events shaped as
// Cognito sends them for a client-credentials token request, against the
// client → account items in a real DynamoDB table.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { PreTokenGenerationClientCredentialsV3TriggerEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsInTable, createPreTokenGeneration, type PreTokenGenerationEvent } from '../../functions/entry/pre-token-generation.js';
import { DEFAULT_WRITER_GROUP, USER_ACCOUNT_ATTRIBUTE } from '../../functions/platform/cognito-pool.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../../functions/platform/machine-clients.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

const USER_POOL_ID = 'eu-west-1_AbCdEfGhI';

/** What Cognito sends for `grant_type=client_credentials` (the user name is the client id; there are no user attributes). */
function clientCredentialsEvent(clientId: string, scopes = ['agent-status-reasons/status-reasons:read', 'agent-status-reasons/status-reasons:write']): PreTokenGenerationClientCredentialsV3TriggerEvent {
  return {
    version: '3',
    triggerSource: 'TokenGeneration_ClientCredentials',
    region: 'eu-west-1',
    userPoolId: USER_POOL_ID,
    userName: clientId,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId },
    request: { userAttributes: {}, groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] }, scopes },
    response: { claimsAndScopeOverrideDetails: {} },
  };
}

let table: TestTable;
const register = async (clientId: string, account: string) => {
  const { pk, sk } = clientKey(clientId);
  await table.sdk.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: sk }, [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account } } }));
};
beforeAll(async () => {
  table = await createTestTable();
});

describe('pre-token-generation trigger', () => {
  it("adds the client's account to the access token, and nothing else", async () => {
    const account = newAccount();
    await register('client-a', account);
    const trigger = createPreTokenGeneration({ accountOf: accountsInTable(table.client, table.tableName) });
    const out = await trigger(clientCredentialsEvent('client-a'));
    expect(out.response).toEqual({ claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { account } } } });
    // the request is handed back as it came
    expect(out.request).toEqual(clientCredentialsEvent('client-a').request);
  });

  it('writes the configured claim name', async () => {
    await register('client-b', '123');
    const trigger = createPreTokenGeneration({ accountOf: accountsInTable(table.client, table.tableName), accountClaim: 'tenant' });
    const out = await trigger(clientCredentialsEvent('client-b'));
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({ claimsToAddOrOverride: { tenant: '123' } });
  });

  it('refuses the token of a client no account is registered for (Cognito then answers the token request with an error)', async () => {
    const trigger = createPreTokenGeneration({ accountOf: accountsInTable(table.client, table.tableName) });
    await expect(trigger(clientCredentialsEvent('unknown-client'))).rejects.toThrow(/unknown-client is not registered for an account/);
  });

  it('looks the client up by its own id, not by a user name or a scope it could choose', async () => {
    await register('client-c', 'victim-account');
    const trigger = createPreTokenGeneration({ accountOf: accountsInTable(table.client, table.tableName) });
    const event = clientCredentialsEvent('client-d', ['agent-status-reasons/client-c']);
    event.userName = 'client-c';
    event.request.clientMetadata = { clientId: 'client-c', account: 'victim-account' };
    await expect(trigger(event)).rejects.toThrow(/client-d/);
  });

  it('client credentials: a user-like attribute or group in the event changes nothing (the account is the client’s)', async () => {
    await register('client-e', 'mine');
    const trigger = createPreTokenGeneration({ accountOf: accountsInTable(table.client, table.tableName) });
    const event = clientCredentialsEvent('client-e');
    event.request.userAttributes = { [USER_ACCOUNT_ATTRIBUTE]: 'other' };
    event.request.groupConfiguration.groupsToOverride = [DEFAULT_WRITER_GROUP];
    const out = await trigger(event);
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({ claimsToAddOrOverride: { account: 'mine' } });
  });
});

const READ = 'agent-status-reasons/status-reasons:read';
const WRITE = 'agent-status-reasons/status-reasons:write';

/** What Cognito sends when a user signs in through the hosted pages (the console's authorization code flow), or refreshes. */
function userEvent(
  attributes: Record<string, string>,
  groups: string[],
  { source = 'TokenGeneration_HostedAuth', scopes = ['openid', READ, WRITE] }: { source?: string; scopes?: string[] } = {},
): PreTokenGenerationEvent {
  return {
    version: '3',
    triggerSource: source,
    region: 'eu-west-1',
    userPoolId: USER_POOL_ID,
    userName: 'ann',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'console-client' },
    request: { userAttributes: { sub: 'b2c3', email: 'ann@example.com', ...attributes }, groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] }, scopes },
    response: { claimsAndScopeOverrideDetails: {} },
  };
}

describe('pre-token-generation trigger, for users (the admin console)', () => {
  const lookups: string[] = [];
  const trigger = createPreTokenGeneration({ accountOf: async (id) => (lookups.push(id), 'from-table') });

  it('a member of the writers’ group gets the account of custom:account and keeps both scopes', async () => {
    const out = await trigger(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '123' }, [DEFAULT_WRITER_GROUP, 'other']));
    expect(out.response.claimsAndScopeOverrideDetails).toEqual({ accessTokenGeneration: { claimsToAddOrOverride: { account: '123' } } });
    expect(lookups).toEqual([]); // users are never looked up as machine clients
  });

  it('a user outside the group gets the account and read only: the write scope is suppressed', async () => {
    for (const groups of [[], ['status-reasons-readers'], ['Status-Reasons-Admins']]) {
      const out = await trigger(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '123' }, groups));
      expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({ claimsToAddOrOverride: { account: '123' }, scopesToSuppress: [WRITE] });
    }
  });

  it('on refresh and every other user source the same rules hold', async () => {
    for (const source of ['TokenGeneration_RefreshTokens', 'TokenGeneration_Authentication', 'TokenGeneration_NewPasswordChallenge', 'TokenGeneration_AuthenticateDevice']) {
      const out = await trigger(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '9' }, [], { source }));
      expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration, source).toEqual({ claimsToAddOrOverride: { account: '9' }, scopesToSuppress: [WRITE] });
    }
  });

  it('a user without an account gets no account claim and no service scope, whatever the group', async () => {
    for (const attributes of [{}, { [USER_ACCOUNT_ATTRIBUTE]: '   ' }] as Record<string, string>[]) {
      const out = await trigger(userEvent(attributes, [DEFAULT_WRITER_GROUP]));
      expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({ scopesToSuppress: [READ, WRITE] });
    }
  });

  it('suppresses the write scope in whatever form it was asked for, or the pool’s own when the event lists none', async () => {
    const bare = await trigger(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '1' }, [], { scopes: ['openid', 'status-reasons:write', 'custom-rs/status-reasons:write'] }));
    expect(bare.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToSuppress).toEqual(['status-reasons:write', 'custom-rs/status-reasons:write']);
    const none = await createPreTokenGeneration({ accountOf: async () => undefined, resourceServer: 'rs' })(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '1' }, [], { scopes: [] }));
    expect(none.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.scopesToSuppress).toEqual(['rs/status-reasons:write']);
  });

  it('the claim name and the group are configurable; a user cannot name their account by any other attribute', async () => {
    const custom = createPreTokenGeneration({ accountOf: async () => 'x', accountClaim: 'tenant', writerGroup: 'editors' });
    const out = await custom(userEvent({ [USER_ACCOUNT_ATTRIBUTE]: '42', 'custom:tenant': 'victim', account: 'victim' }, ['editors']));
    expect(out.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({ claimsToAddOrOverride: { tenant: '42' } });
  });
});
