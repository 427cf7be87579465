// `npm run tenants`: the grant commands against DynamoDB Local, read back by the
// function's own grant check; the tenant commands' refusals (the Cognito calls
// themselves need AWS and are not faked here).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedGrants } from '../../functions/adapters/connect/grants.js';
import { grantReadsInTable } from '../../functions/store/connect-grants.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../../functions/platform/machine-clients.js';
import { checkPrincipal, main, whereFromOutputs } from '../../infra/tenants.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
const run = (...argv: string[]) => main([...argv, '--table', table.tableName], { dynamo: table.sdk });

describe('npm run tenants: grants', () => {
  it('grant, grants, revoke: what the HTTP function then allows', async () => {
    const role = `arn:aws:iam::111122223333:role/sync-${newAccount()}`;
    const [a, b] = [newAccount(), newAccount()];
    const check = cachedGrants(grantReadsInTable(table.client, table.tableName), 0);
    expect(await check.anyGranted(role)).toBe(false);

    expect(await run('grant', role, a, b, a)).toEqual({ principal: role, granted: [a, b] });
    expect(await run('grants', role)).toEqual({ principal: role, instances: [a, b].sort() });
    expect([await check.isGranted(role, a), await check.isGranted(role, b)]).toEqual([true, true]);

    expect(await run('revoke', role, a)).toEqual({ principal: role, revoked: [a] });
    expect([await check.isGranted(role, a), await check.isGranted(role, b)]).toEqual([false, true]);
    expect(await run('grants', role)).toEqual({ principal: role, instances: [b] });
  });

  it('grants to the role an assumed-role session acts as; refuses what is no role or user, and a bad instance id', async () => {
    const session = 'arn:aws:sts::111122223333:assumed-role/worker/i-0abc';
    expect(checkPrincipal(session)).toBe('arn:aws:iam::111122223333:role/worker');
    await expect(run('grant', 'arn:aws:iam::111122223333:root', '1')).rejects.toThrow(/must be an IAM role or user ARN/);
    await expect(run('grant', 'not-an-arn', '1')).rejects.toThrow(/must be an IAM role or user ARN/);
    await expect(run('grant', 'arn:aws:iam::111122223333:role/x', 'no good')).rejects.toThrow(/account "no good" must be/);
    await expect(run('grant', 'arn:aws:iam::111122223333:role/x')).rejects.toThrow(/at least one instance/);
  });
});

describe('npm run tenants: tenants', () => {
  it('needs the pool for add, remove and list, and a valid account for add', async () => {
    await expect(run('add', '123')).rejects.toThrow(/needs the user pool/);
    await expect(run('list')).rejects.toThrow(/needs the user pool/);
    await expect(main(['add', 'not ok', '--table', 't', '--user-pool-id', 'p'], { dynamo: table.sdk })).rejects.toThrow(/account "not ok" must be/);
  });

  it('refuses to remove an app client that is not a tenant (no CLIENT# item), and reads the account of one that is', async () => {
    const cognito = { send: async () => ({}) } as never;
    await expect(main(['remove', 'console-client', '--table', table.tableName, '--user-pool-id', 'p'], { dynamo: table.sdk, cognito })).rejects.toThrow(/not a tenant of this stage/);
    const account = newAccount();
    const { pk, sk } = clientKey('tenant-client');
    await table.sdk.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, sk: { S: sk }, [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account } } }));
    expect(await main(['remove', 'tenant-client', '--table', table.tableName, '--user-pool-id', 'p'], { dynamo: table.sdk, cognito })).toEqual({ clientId: 'tenant-client', account });
  });

  it('finds the table and pool in a cdk outputs file, and says what is wrong with one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tenants-'));
    try {
      const file = path.join(dir, 'out.json');
      writeFileSync(file, JSON.stringify({ 'prod-AgentStatusReasons': { TableName: 'T', UserPoolId: 'P' }, 'staging-AgentStatusReasons': { TableName: 'S' } }));
      expect(whereFromOutputs(file, 'prod-AgentStatusReasons')).toEqual({ tableName: 'T', userPoolId: 'P' });
      expect(() => whereFromOutputs(file)).toThrow(/name one with --stack/);
      expect(whereFromOutputs(file, 'staging-AgentStatusReasons')).toEqual({ tableName: 'S' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints its usage for an unknown command', async () => {
    await expect(run('frobnicate')).rejects.toThrow(/usage: npm run tenants/);
  });
});
