// Per-InstanceId grants, checked in the function for every Connect route (the
// stack writes them; test/infra/stack.test.ts holds the template to them).
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectGrants, connectGrantsFromEnv, principalOf, refuseUngranted } from '../../../functions/adapters/connect/grants.js';
import { createHandler } from '../../../functions/entry/http.js';
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
function gate(event: HttpEvent) {
  const answer = refuseUngranted(event, lambdaContext(), grants);
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
  ])('%s on a granted instance goes on', (_, options) => {
    expect(gate(signedBy(SESSION, options))).toBeUndefined();
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
  ])("%s on another principal's instance: 403 AccessDeniedException", (_, options) => {
    expect(gate(signedBy(SESSION, options))).toEqual({ status: 403, type: 'AccessDeniedException', message: `${ROLE} is not granted instance inst-9.` });
  });

  it('a caller with no grant at all is refused before its body is read', () => {
    expect(gate(signedBy('arn:aws:sts::999999999999:assumed-role/intruder/s', { method: 'POST', path: '/search-agent-statuses', rawBody: 'not json' }))).toEqual({
      status: 403,
      type: 'AccessDeniedException',
      message: 'arn:aws:iam::999999999999:role/intruder is not granted any instance of this service.',
    });
  });

  it('a request IAM did not verify is refused', () => {
    expect(gate(connectEvent({ method: 'GET', path: '/agent-status/inst-1', signed: false }))).toMatchObject({ status: 403, type: 'AccessDeniedException' });
  });

  it.each<[string, ConnectEventOptions, string, RegExp]>([
    ['a search body that is not JSON', { method: 'POST', path: '/search-agent-statuses', rawBody: '{"InstanceId":' }, 'InvalidRequestException', /not valid JSON/],
    ['a search body without InstanceId', { method: 'POST', path: '/search-agent-statuses', body: { MaxResults: 5 } }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body whose InstanceId is not a string', { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: ['inst-1'] } }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body that is an array', { method: 'POST', path: '/search-agent-statuses', body: [{ InstanceId: 'inst-1' }] }, 'InvalidParameterException', /InstanceId is required/],
    ['a search body over 256 KiB', { method: 'POST', path: '/search-agent-statuses', rawBody: JSON.stringify({ InstanceId: 'inst-1', pad: 'x'.repeat(300_000) }) }, 'InvalidRequestException', /larger than/],
    ['a resourceArn that is not an agent status ARN', { method: 'GET', path: `/tags/${encodeURIComponent('arn:aws:connect:eu-west-1:1:instance/inst-1/queue/5')}` }, 'InvalidParameterException', /resourceArn must be an agent status ARN/],
    ['a resourceArn in bad URL encoding', { method: 'GET', path: '/tags/arn%E0%A4%A' }, 'InvalidParameterException', /resourceArn is not valid URL encoding/],
    ['an InstanceId that is not an account id', { method: 'GET', path: '/agent-status/-bad' }, 'InvalidParameterException', /InstanceId must be/],
  ])('%s: a 4xx naming what is wrong', (_, options, type, message) => {
    const answer = gate(signedBy(SESSION, options));
    expect(answer).toMatchObject({ status: 400, type });
    expect(answer!.message).toMatch(message);
  });

  it('a path no Connect route has is refused (fail closed): 404 ResourceNotFoundException', () => {
    expect(gate(signedBy(SESSION, { method: 'PATCH', path: '/agent-status/inst-1' }))).toMatchObject({ status: 404, type: 'ResourceNotFoundException' });
    expect(gate(signedBy(SESSION, { method: 'GET', path: '/agent-status/inst-1/5/x' }))).toMatchObject({ status: 404, type: 'ResourceNotFoundException' });
  });

  it('reads a base64-encoded body the way the adapter does', () => {
    const event = signedBy(SESSION, { method: 'POST', path: '/search-agent-statuses', body: { InstanceId: 'inst-9' } });
    event.body = Buffer.from(event.body!).toString('base64');
    event.isBase64Encoded = true;
    expect(gate(event)).toMatchObject({ status: 403, message: `${ROLE} is not granted instance inst-9.` });
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

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('by default reads the grants the stack wrote into CONNECT_INSTANCE_GRANTS; an empty list refuses every caller', async () => {
    const account = newAccount();
    vi.stubEnv('CONNECT_INSTANCE_GRANTS', '[]');
    const denied = await createHandler(() => table.store())(signedBy(SESSION, { method: 'GET', path: `/agent-status/${account}` }), lambdaContext());
    expect(denied.statusCode).toBe(403);
    expect(JSON.parse(denied.body!)).toEqual({ Message: `${ROLE} is not granted any instance of this service.` });
    vi.stubEnv('CONNECT_INSTANCE_GRANTS', JSON.stringify([{ principal: ROLE, instances: [account] }]));
    const created = await createHandler(() => table.store())(signedBy(SESSION, { path: `/agent-status/${account}`, body: { Name: 'Lunch', State: 'ENABLED' } }), lambdaContext());
    expect(created.statusCode).toBe(200);
  });
});

describe('connectGrantsFromEnv', () => {
  it('reads the JSON the stack writes, merging a principal\'s grants', () => {
    const read = connectGrantsFromEnv({ CONNECT_INSTANCE_GRANTS: JSON.stringify([{ principal: ROLE, instances: ['a'] }, { principal: ROLE, instances: ['b'] }]) });
    expect(read).toEqual(new Map([[ROLE, new Set(['a', 'b'])]]));
  });

  it('checks nothing when the variable is not set, and fails the cold start when it is malformed', () => {
    expect(connectGrantsFromEnv({})).toBeUndefined();
    expect(() => connectGrantsFromEnv({ CONNECT_INSTANCE_GRANTS: '{"principal":"x"}' })).toThrow(/CONNECT_INSTANCE_GRANTS must be/);
    expect(() => connectGrantsFromEnv({ CONNECT_INSTANCE_GRANTS: '[{"principal":"x","instances":[1]}]' })).toThrow(/CONNECT_INSTANCE_GRANTS must be/);
  });
});
