// `npm run tenants -- <command>`: tenants and Connect grants of a deployed
// stage, without a deploy. The stack's Lambda authorizer knows a tenant by its
// `CLIENT#<client id>` item and the HTTP function knows a Connect grant by its
// `GRANT#<principal>` items, so registering either is a write to the table
// (and, for a tenant, a Cognito app client), with the caller's own AWS
// credentials (AWS_PROFILE / AWS_REGION).
//
//   add <account> [--name <client name>]   a client-credentials app client for the account, and its CLIENT# item;
//                                          prints {"account", "clientId", "clientSecret"}
//   remove <clientId>                      the CLIENT# item first (its tokens stop passing within the
//                                          authorizer's caches), then the app client; only a tenant's
//   list                                   every tenant: client id, name, account
//   grant <principal ARN> <instance>...    lets an IAM role or user use these Connect instances
//   revoke <principal ARN> <instance>...   takes them back
//   grants <principal ARN>                 the instances the command granted the principal
//
// Where: `--outputs <cdk outputs file>` (the stack's TableName and UserPoolId; `--stack <name>` when the
// file holds several), or `--table <name>` and `--user-pool-id <id>`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  ListResourceServersCommand,
  ListUserPoolClientsCommand,
  type ListUserPoolClientsCommandOutput,
} from '@aws-sdk/client-cognito-identity-provider';
import { BatchGetItemCommand, type BatchGetItemCommandOutput, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, type QueryCommandOutput, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { principalOf } from '../functions/adapters/connect/grants.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../functions/domain/status-reason.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../functions/platform/machine-clients.js';
import { GRANT_INSTANCE_PREFIX, grantPartition, instanceGrantKey } from '../functions/store/connect-grants.js';
import { SCOPES } from './constructs/identity.js';

export interface Where {
  tableName: string;
  userPoolId?: string;
}

export interface Clients {
  dynamo: DynamoDBClient;
  cognito?: CognitoIdentityProviderClient;
}

const item = ({ pk, sk }: { pk: string; sk: string }) => ({ pk: { S: pk }, sk: { S: sk } });

function checkAccount(account: string): string {
  if (!ACCOUNT_ID.test(account)) throw new Error(`account ${JSON.stringify(account)} ${ACCOUNT_ID_RULE}`);
  return account;
}

/** A principal as the grant check sees it: a role or user ARN (an assumed-role session counts as its role). */
export function checkPrincipal(arn: string): string {
  const principal = principalOf(arn);
  if (!/^arn:[a-z-]+:iam::\d{12}:(role|user)\/[\w+=,.@-]{1,128}$/.test(principal)) {
    throw new Error(`principal ${JSON.stringify(arn)} must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or :user/<name>)`);
  }
  return principal;
}

function cognitoOf(clients: Clients, where: Where): { cognito: CognitoIdentityProviderClient; userPoolId: string } {
  if (!clients.cognito || !where.userPoolId) throw new Error('this command needs the user pool: --outputs <file> of a stack with its own pool, or --user-pool-id');
  return { cognito: clients.cognito, userPoolId: where.userPoolId };
}

/** The pool's scopes for this service (`<resource server>/status-reasons:read`, `.../write`), whatever the resource server is called. */
async function serviceScopes(cognito: CognitoIdentityProviderClient, userPoolId: string): Promise<string[]> {
  const { ResourceServers = [] } = await cognito.send(new ListResourceServersCommand({ UserPoolId: userPoolId, MaxResults: 50 }));
  const server = ResourceServers.find((s) => s.Scopes?.some((scope) => scope.ScopeName === SCOPES.read));
  if (!server?.Identifier) throw new Error(`user pool ${userPoolId} has no resource server with the scope ${SCOPES.read}: is it this service's pool?`);
  return [SCOPES.read, SCOPES.write].map((scope) => `${server.Identifier}/${scope}`);
}

export async function addTenant(clients: Clients, where: Where, account: string, name?: string): Promise<{ account: string; clientId: string; clientSecret: string }> {
  checkAccount(account);
  const { cognito, userPoolId } = cognitoOf(clients, where);
  const { UserPoolClient: client } = await cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: userPoolId,
      ClientName: name ?? `account-${account}`,
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: await serviceScopes(cognito, userPoolId),
      AccessTokenValidity: 1,
      TokenValidityUnits: { AccessToken: 'hours' },
      PreventUserExistenceErrors: 'ENABLED',
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    }),
  );
  const clientId = client!.ClientId!;
  try {
    await clients.dynamo.send(
      new PutItemCommand({
        TableName: where.tableName,
        Item: { ...item(clientKey(clientId)), [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account }, name: { S: client!.ClientName! }, createdAt: { S: new Date().toISOString() } },
      }),
    );
  } catch (error) {
    // A client without its item would get no token (the trigger refuses it): do not leave it behind.
    await cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
    throw error;
  }
  return { account, clientId, clientSecret: client!.ClientSecret! };
}

export async function removeTenant(clients: Clients, where: Where, clientId: string): Promise<{ clientId: string; account: string }> {
  const { cognito, userPoolId } = cognitoOf(clients, where);
  const { Item } = await clients.dynamo.send(new GetItemCommand({ TableName: where.tableName, Key: item(clientKey(clientId)) }));
  const account = Item?.[CLIENT_ACCOUNT_ATTRIBUTE]?.S;
  // Only a tenant's client: never the console's or another app's.
  if (account === undefined) throw new Error(`app client ${clientId} is not a tenant of this stage (it has no CLIENT# item): nothing removed`);
  await clients.dynamo.send(new DeleteItemCommand({ TableName: where.tableName, Key: item(clientKey(clientId)) }));
  await cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }));
  return { clientId, account };
}

export async function listTenants(clients: Clients, where: Where): Promise<{ clientId: string; name: string; account: string }[]> {
  const { cognito, userPoolId } = cognitoOf(clients, where);
  const all: { clientId: string; name: string }[] = [];
  let next: string | undefined;
  do {
    const page: ListUserPoolClientsCommandOutput = await cognito.send(new ListUserPoolClientsCommand({ UserPoolId: userPoolId, MaxResults: 60, NextToken: next }));
    for (const c of page.UserPoolClients ?? []) all.push({ clientId: c.ClientId!, name: c.ClientName ?? '' });
    next = page.NextToken;
  } while (next);
  const tenants: { clientId: string; name: string; account: string }[] = [];
  for (let i = 0; i < all.length; i += 100) {
    const batch = all.slice(i, i + 100);
    let keys: Record<string, AttributeValue>[] | undefined = batch.map((c) => item(clientKey(c.clientId)));
    while (keys?.length) {
      const answer: BatchGetItemCommandOutput = await clients.dynamo.send(new BatchGetItemCommand({ RequestItems: { [where.tableName]: { Keys: keys } } }));
      const { Responses, UnprocessedKeys } = answer;
      for (const found of Responses?.[where.tableName] ?? []) {
        const clientId = found.pk!.S!.slice('CLIENT#'.length);
        tenants.push({ clientId, name: batch.find((c) => c.clientId === clientId)?.name ?? '', account: found[CLIENT_ACCOUNT_ATTRIBUTE]?.S ?? '' });
      }
      keys = UnprocessedKeys?.[where.tableName]?.Keys;
    }
  }
  return tenants.sort((a, b) => a.account.localeCompare(b.account) || a.clientId.localeCompare(b.clientId));
}

export async function grant(clients: Clients, where: Where, principalArn: string, instances: readonly string[]): Promise<{ principal: string; granted: string[] }> {
  const principal = checkPrincipal(principalArn);
  if (!instances.length) throw new Error('grant needs at least one instance id');
  for (const id of instances) checkAccount(id);
  for (const id of new Set(instances)) {
    await clients.dynamo.send(new PutItemCommand({ TableName: where.tableName, Item: { ...item(instanceGrantKey(principal, id)), grantedAt: { S: new Date().toISOString() } } }));
  }
  return { principal, granted: [...new Set(instances)] };
}

export async function revoke(clients: Clients, where: Where, principalArn: string, instances: readonly string[]): Promise<{ principal: string; revoked: string[] }> {
  const principal = checkPrincipal(principalArn);
  if (!instances.length) throw new Error('revoke needs at least one instance id');
  for (const id of new Set(instances)) await clients.dynamo.send(new DeleteItemCommand({ TableName: where.tableName, Key: item(instanceGrantKey(principal, id)) }));
  return { principal, revoked: [...new Set(instances)] };
}

/** The instances the command granted the principal (the stack's own grants are in its code). */
export async function grantsOf(clients: Clients, where: Where, principalArn: string): Promise<{ principal: string; instances: string[] }> {
  const principal = checkPrincipal(principalArn);
  const instances: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page: QueryCommandOutput = await clients.dynamo.send(
      new QueryCommand({
        TableName: where.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :i)',
        ExpressionAttributeValues: { ':pk': { S: grantPartition(principal) }, ':i': { S: GRANT_INSTANCE_PREFIX } },
        ExclusiveStartKey: start,
      }),
    );
    for (const found of page.Items ?? []) instances.push(found.sk!.S!.slice(GRANT_INSTANCE_PREFIX.length));
    start = page.LastEvaluatedKey;
  } while (start);
  return { principal, instances };
}

/** The table and pool from a `cdk deploy --outputs-file` file. */
export function whereFromOutputs(file: string, stack?: string): Where {
  const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const names = Object.keys(outputs);
  const name = stack ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !outputs[name]) throw new Error(`${file} holds ${names.join(', ') || 'no stack'}: name one with --stack`);
  const { TableName, UserPoolId } = outputs[name]!;
  if (!TableName) throw new Error(`${file}: stack ${name} has no TableName output`);
  return { tableName: TableName, ...(UserPoolId && { userPoolId: UserPoolId }) };
}

const USAGE = `usage: npm run tenants -- <command> (--outputs <cdk outputs file> [--stack <name>] | --table <name> [--user-pool-id <id>])
  add <account> [--name <client name>]
  remove <clientId>
  list
  grant <principal ARN> <instance id>...
  revoke <principal ARN> <instance id>...
  grants <principal ARN>
`;

export async function main(argv: string[], clients: Clients): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { outputs: { type: 'string' }, stack: { type: 'string' }, table: { type: 'string' }, 'user-pool-id': { type: 'string' }, name: { type: 'string' } },
  });
  const where: Where = values.outputs
    ? whereFromOutputs(values.outputs, values.stack)
    : values.table
      ? { tableName: values.table, ...(values['user-pool-id'] && { userPoolId: values['user-pool-id'] }) }
      : (() => {
          throw new Error(`say where: --outputs or --table\n${USAGE}`);
        })();
  const [command, ...rest] = positionals;
  switch (command) {
    case 'add':
      if (rest.length !== 1) break;
      return addTenant(clients, where, rest[0]!, values.name);
    case 'remove':
      if (rest.length !== 1) break;
      return removeTenant(clients, where, rest[0]!);
    case 'list':
      return listTenants(clients, where);
    case 'grant':
      return grant(clients, where, rest[0] ?? '', rest.slice(1));
    case 'revoke':
      return revoke(clients, where, rest[0] ?? '', rest.slice(1));
    case 'grants':
      return grantsOf(clients, where, rest[0] ?? '');
  }
  throw new Error(USAGE);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const result = await main(process.argv.slice(2), { dynamo: new DynamoDBClient({}), cognito: new CognitoIdentityProviderClient({}) });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}
