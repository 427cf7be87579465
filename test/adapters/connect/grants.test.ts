// Per-InstanceId grants, checked in the function for every Connect route: from
// a fixed list, and from the table's GRANT# items (what `npm run tenants --
// grant` and the stack's grantConnectInstances write) on DynamoDB Local.
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedGrants, connectGrants, grantsCheckedFromEnv, principalOf, refuseUngranted } from '../../../functions/adapters/connect/grants.js';
import { connectGrantsFromEnv, createHandler } from '../../../functions/entry/http.js';
import { GRANT_INSTANCES_ATTRIBUTE, grantReadsInTable, instanceGrantKey, stackGrantKey } from '../../../functions/store/connect-grants.js';
import type { HttpEvent } from '../../../functions/platform/http/types.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { connectEvent, type ConnectEventOptions } from './helpers.js';

const ROLE = 'arn:aws:iam::111122223333:role/status-sync';
const grants = connectGrants([
  { principal: ROLE, instances: ['inst-1', 'inst-2'] },
  { principal: ROLE, instances: ['inst-3'] },
  { principal: 'arn:aws:iam::111122223333:user/ops', instances: ['inst-9'] },
]);

/** A Connect request as IAM authorization delivers it, signed by `caller`. */
function signedBy(caller: string, options: ConnectEventOptions): HttpEvent {
  const event = connectEvent(options);
  (event.requestContext.authorizer as unknown as { iam: { userArn: string } }).iam.userArn = caller;
  return event;
}
const SESSION = 'arn:aws:sts::111122223333:assumed-role/status-sync/lambda-session-42';
const arnOf = (instance: string, id = '5') => encodeURIComponent(`arn:aws:connect:eu-west-1:111122223333:instance/${instance}/agent-state/${id}`);

/** The gate's answer: undefined (the request goes on), or its status and Connect error type. */
async function gate(event: HttpEvent, with_ = grants) {
  const answer = await refuseUngranted(event, lambdaContext(), with_);
  return answer && { status: answer.statusCode, type: (answer.headers as Record<string, string>)['x-amzn-ErrorType'], message: JSON.parse(answer.body!).Message as string };
}

describe('principalOf: the principal a verified IAM caller acts as', () => {
  it.each([
    [SESSION, ROLE],
    ['arn:aws:sts::111122223333:assumed-role/status-sync/other', ROLE],
    ['arn:aws-cn:sts::111122223333:assumed-role/r/s', 'arn:aws-cn:iam::111122223333:role/r'],
    ['arn:aws:iam::111122223333:user/ops', 'arn:aws:iam::111122223333:user/ops'],
    ['arn:aws:iam::111122223333:user/team/a/ops', 'arn:aws:iam::111122223333:user/ops'],
    ['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:root'],
  ])('%s → %s', (caller, principal) => expect(principalOf(caller)).toBe(principal));
});

describe('the grant check on each Connect route', () => {
  it.each<[string, ConnectEventOptions]>([
    ['CreateAgentStatus', { method: 'PUT', path: '/agent-status/inst-1', body: {} }],
    ['ListAgentStatuses', { method: 'GET', path: '/agent-status/inst-2' }],
    ['DescribeAgentStatus', { method: 'GET', path: '/agent-status/inst-3/5' }],
    ['UpdateAgentStatus', { method: 'POST', path: '/agent-status/inst-1/5', body: {} }],
    ['SearchAgentStatuses', { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: 'inst-2', MaxResults: 5 } }],
    ['TagResource', { method: 'POST', path: `/tags/${arnOf('inst-3')}`, body: { tags: { a: 'b' } } }],
    ['UntagResource', { method: 'DELETE', path: `/tags/${arnOf('inst-1')}?tagKeys=a` }],
    ['ListTagsForResource', { method: 'GET', path: `/tags/${arnOf('inst-2')}` }],
  ])('%s on a granted instance goes on', async (_, options) => {
    expect(await gate(signedBy(SESSION, options))).toBeUndefined();
  });

  it.each<[string, ConnectEventOptions]>([
    ['CreateAgentStatus', { method: 'PUT', path: '/agent-status/inst-9', body: {} }],
    ['ListAgentStatuses', { method: 'GET', path: '/agent-status/inst-9' }],
    ['DescribeAgentStatus', { method: 'GET', path: '/agent-status/inst-9/5' }],
    ['UpdateAgentStatus', { method: 'POST', path: '/agent-status/inst-9/5', body: {} }],
    ['SearchAgentStatuses', { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: 'inst-9' } }],
    ['TagResource', { method: 'POST', path: `/tags/${arnOf('inst-9')}`, body: {} }],
    ['UntagResource', { method: 'DELETE', path: `/tags/${arnOf('inst-9')}?tagKeys=a` }],
    ['ListTagsForResource', { method: 'GET', path: `/tags/${arnOf('inst-9')}` }],
  ])("%s on another principal's instance: 403 AccessDeniedException", async (_, options) => {
    expect(await gate(signedBy(SESSION, options))).toEqual({ status: 403, type: 'AccessDeniedException', message: `${ROLE} is not granted instance inst-9.` });
  });

  it('a caller with no grant at all is refused before its body is read', async () => {
    expect(await gate(signedBy('arn:aws:sts::999999999999:assumed-role/intruder/s', { method: 'POST', path: '/search-agent-statuses', rawBody: 'not json' }))).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: 'arn:aws:iam::999999999999:role/intruder is not granted any instance of this service.',
    });
  });

  it('a request IAM did not verify is refused', async () => {
    expect(await gate(connectEvent({ method: 'GET', path: '/agent-status/inst-1', signed: false }))).toMatchObject({ status: 403, type: 'AccessDeniedException' });
  });

  it.each<[string, ConnectEventOptions, string, RegExp]>([
    ['a search body that is not JSON', { method: 'POST', path: '/search-agent-statuses', rawBody: '{"InstanceId":' }, 'InvalidRequestException', /not valid JSON/],
    ['a search body that is not valid UTF-8', { method: 'POST', path: '/search-agent-statuses', bytes: Buffer.from('{"InstanceId":"inst-1","x":"\xff"}', 'latin1') }, 'InvalidRequestException', /not valid UTF-8: the sequence at byte 28 \(0xff\)/],
    ['a search body without InstanceId', { method: 'POST', path: '/search-agent-statuses', body: { MaxResults: 5 } }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body whose InstanceId is not a string', { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: ['inst-1'] } }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body that is an array', { method: 'POST', path: '/search-agent-statuses', body: [{ InstanceId: 'inst-1' }] }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body over 256 KiB', { method: 'POST', path: '/search-agent-statuses', rawBody: JSON.stringify({ InstanceId: 'inst-1', pad: 'x'.repeat(300_000) }) }, 'InvalidRequestException', /larger than/],
    ['a resourceArn that is not an ARN', { method: 'GET', path: `/tags/${encodeURIComponent('inst-1/agent-state/5')}` }, 'InvalidParameterException', /resourceArn "inst-1\/agent-state\/5" is not an ARN/],
    ['a resourceArn in bad URL encoding', { method: 'GET', path: '/tags/arn%E0%A4%A' }, 'InvalidParameterException', /resourceArn is not valid URL encoding/],
    ['an InstanceId that is not an account id', { method: 'GET', path: '/agent-status/-bad' }, 'InvalidParameterException', /InstanceId must be/],
  ])('%s: a 4xx naming what is wrong', async (_, options, type, message) => {
    const answer = await gate(signedBy(SESSION, options));
    expect(answer).toMatchObject({ status: 400, type });
    expect(answer!.message).toMatch(message);
  });

  // SPEC §2: an unknown ARN is ResourceNotFoundException, with the grant check on (in AWS) as without it (npm start).
  it.each([
    ['of another resource type', 'arn:aws:connect:eu-west-1:111122223333:instance/inst-1/queue/5'],
    ['of another service', 'arn:aws:s3:::bucket/inst-1/agent-state/5'],
    ['whose InstanceId is no account id', `arn:aws:connect:eu-west-1:111122223333:instance/${'x'.repeat(65)}/agent-state/5`],
  ])('an ARN %s names no agent status: 404 ResourceNotFoundException, as without the grant check', async (_, arn) => {
    const answer = await gate(signedBy(SESSION, { method: 'GET', path: `/tags/${encodeURIComponent(arn)}` }));
    expect(answer).toEqual({ status: 404, type: 'ResourceNotFoundException', message: `No agent status of this service has the ARN ${arn}.` });
  });

  // The catch-all routes bring these to the function (SPEC §2: an unknown path is ResourceNotFoundException, with the grant check on as without it).
  it.each([
    ['PATCH', '/agent-status/inst-1'],
    ['GET', '/agent-status/inst-1/5/x'],
    ['DELETE', '/agent-status/inst-1/5'],
    ['GET', '/agent-status'],
    ['GET', '/search-agent-statuses'],
    ['PATCH', '/tags/x'],
    ['GET', '/tags'],
  ])('%s %s, which no Connect route has, is refused (fail closed): 404 ResourceNotFoundException, whatever the caller is granted', async (method, path) => {
    const answer = { status: 404, type: 'ResourceNotFoundException', message: `No operation at ${method} "${path}".` };
    expect(await gate(signedBy(SESSION, { method, path }))).toEqual(answer);
    expect(await gate(signedBy('arn:aws:sts::999999999999:assumed-role/intruder/s', { method, path }))).toEqual(answer);
  });

  it('reads a base64-encoded body the way the adapter does', async () => {
    const event = signedBy(SESSION, { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: 'inst-9' } });
    event.body = Buffer.from(event.body!).toString('base64');
    event.isBase64Encoded = true;
    expect(await gate(event)).toMatchObject({ status: 403, message: `${ROLE} is not granted instance inst-9.` });
  });
});

describe('through the HTTP entry, with a real store', () => {
  let table: TestTable;
  beforeAll(async () => {
    table = await createTestTable();
  });

  it('a granted instance is written; another is refused and stays empty; no grants configured checks nothing', async () => {
    const [mine, theirs] = [newAccount(), newAccount()];
    const handler = createHandler(() => table.store(), { connectGrants: connectGrants([{ principal: ROLE, instances: [mine] }]) });
    const create = (instance: string) => handler(signedBy(SESSION, { path: `/agent-status/${instance}`, body: { Name: 'Lunch', State: 'ENABLED' } }), lambdaContext());

    expect((await create(mine)).statusCode).toBe(200);
    const refused = await create(theirs);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers).toMatchObject({ 'x-amzn-ErrorType': 'AccessDeniedException', 'x-amzn-RequestId': expect.any(String) });
    expect((await table.store().read(theirs)).revision).toBe(0);

    const unchecked = createHandler(() => table.store(), { connectGrants: undefined });
    expect((await unchecked(signedBy(SESSION, { path: `/agent-status/${theirs}`, body: { Name: 'Lunch', State: 'ENABLED' } }), lambdaContext())).statusCode).toBe(200);
  });

  const put = (key: { pk: string; sk: string }, extra: Record<string, { SS: string[] }> = {}) =>
    table.sdk.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: key.pk }, sk: { S: key.sk }, ...extra } }));
  const remove = (key: { pk: string; sk: string }) => table.sdk.send(new DeleteItemCommand({ TableName: table.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }));
  const fromTable = (ttlMs: number) => cachedGrants(grantReadsInTable(table.client, table.tableName), ttlMs);
  const principalFor = (name: string) => `arn:aws:iam::111122223333:role/${name}`;
  const sessionOf = (name: string) => `arn:aws:sts::111122223333:assumed-role/${name}/s`;

  it("reads the table's grants: one item per instance granted by the command, and the stack's set; a revocation holds once the cache lets go", async () => {
    const name = `sync-${newAccount()}`;
    const principal = principalFor(name);
    const [byCommand, byStack, other] = [newAccount(), newAccount(), newAccount()];
    const list = (instance: string) => signedBy(sessionOf(name), { method: 'GET', path: `/agent-status/${instance}` });
    const uncached = fromTable(0);
    expect(await gate(list(byCommand), uncached)).toMatchObject({ status: 403, message: `${principal} is not granted any instance of this service.` });

    await put(instanceGrantKey(principal, byCommand));
    await put(stackGrantKey(principal), { [GRANT_INSTANCES_ATTRIBUTE]: { SS: [byStack] } });
    const cached = fromTable(60_000);
    for (const grants of [uncached, cached]) {
      expect(await gate(list(byCommand), grants)).toBeUndefined();
      expect(await gate(list(byStack), grants)).toBeUndefined();
      expect(await gate(list(other), grants)).toMatchObject({ status: 403, message: `${principal} is not granted instance ${other}.` });
      // The body's and the ARN's instance are read from the same grants.
      expect(await gate(signedBy(sessionOf(name), { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: byStack } }), grants)).toBeUndefined();
      expect(await gate(signedBy(sessionOf(name), { method: 'GET', path: `/tags/${arnOf(other)}` }), grants)).toMatchObject({ status: 403 });
    }

    await remove(instanceGrantKey(principal, byCommand));
    expect(await gate(list(byCommand), uncached)).toMatchObject({ status: 403, message: `${principal} is not granted instance ${byCommand}.` });
    // Within its cache lifetime a container still knows the grant.
    expect(await gate(list(byCommand), cached)).toBeUndefined();
  });

  it('answers ThrottlingException (nothing done, send it again) when the grants cannot be read', async () => {
    const failing = cachedGrants(
      {
        anyGranted: async () => true,
        instanceGranted: async () => {
          throw new Error('ProvisionedThroughputExceededException');
        },
        stackGranted: async () => new Set(),
      },
      0,
    );
    expect(await gate(signedBy(SESSION, { method: 'GET', path: '/agent-status/inst-1' }), failing)).toMatchObject({ status: 429, type: 'ThrottlingException' });
  });

  it('through the entry: a granted instance is written, another refused and left empty', async () => {
    const name = `writer-${newAccount()}`;
    const [mine, theirs] = [newAccount(), newAccount()];
    await put(instanceGrantKey(principalFor(name), mine));
    const handler = createHandler(() => table.store(), { connectGrants: fromTable(60_000) });
    const create = (instance: string) => handler(signedBy(sessionOf(name), { path: `/agent-status/${instance}`, body: { Name: 'Lunch', State: 'ENABLED' } }), lambdaContext());
    expect((await create(mine)).statusCode).toBe(200);
    expect((await create(theirs)).statusCode).toBe(403);
    expect((await table.store().read(theirs)).revision).toBe(0);
  });
});

describe('CONNECT_INSTANCE_GRANTS', () => {
  it('"table" turns the check on (the stack always sets it); unset checks nothing; anything else fails the cold start', () => {
    expect(grantsCheckedFromEnv({ CONNECT_INSTANCE_GRANTS: 'table' })).toBe(true);
    expect(grantsCheckedFromEnv({})).toBe(false);
    expect(connectGrantsFromEnv({})).toBeUndefined();
    expect(connectGrantsFromEnv({ CONNECT_INSTANCE_GRANTS: 'table', TABLE_NAME: 't' })).toMatchObject({ anyGranted: expect.any(Function), isGranted: expect.any(Function) });
    expect(() => grantsCheckedFromEnv({ CONNECT_INSTANCE_GRANTS: '[]' })).toThrow(/CONNECT_INSTANCE_GRANTS must be "table"/);
    expect(() => connectGrantsFromEnv({ CONNECT_INSTANCE_GRANTS: 'table' })).toThrow(/TABLE_NAME/);
  });
});
