// The pre-token-generation trigger (event version 3) with events shaped as
// Cognito sends them for a client-credentials token request, against the
// client → account items in a real DynamoDB table.
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { PreTokenGenerationClientCredentialsV3TriggerEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountsInTable, createPreTokenGeneration, type PreTokenGenerationEvent } from '../../functions/entry/pre-token-generation.js';
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
  await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: sk }, [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account } } }));
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

  it('leaves tokens of other sources (user sign-ins, which this pool has none of) as they are', async () => {
    const lookups: string[] = [];
    const trigger = createPreTokenGeneration({ accountOf: async (id) => (lookups.push(id), 'x') });
    const event: PreTokenGenerationEvent = { ...clientCredentialsEvent('client-a'), triggerSource: 'TokenGeneration_Authentication' };
    const out = await trigger(structuredClone(event));
    expect(out).toEqual(event);
    expect(lookups).toEqual([]);
  });
});
