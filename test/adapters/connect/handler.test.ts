// The Connect adapter through the function's handler, with API Gateway events:
// routing, the IAM requirement, ARNs, and the answers no SDK request reaches.
import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import type { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import { BASE, call, lambdaContext } from '../../support/events.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { connectEvent, type ConnectEventOptions } from './helpers.js';

let store: DynamoStatusReasonStore;
let handler: Handler;
beforeAll(async () => {
  const table = await createTestTable();
  store = table.store();
  handler = createHandler(() => store);
});

async function send(options: ConnectEventOptions, context: Context = lambdaContext()) {
  const result = await handler(connectEvent(options), context);
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ? JSON.parse(result.body) : undefined };
}

const region = process.env.AWS_REGION;
afterEach(() => {
  process.env.AWS_REGION = region;
});

describe('routing', () => {
  it('answers CreateAgentStatus with the ARN of the region and the function\'s AWS account, and ac-revision', async () => {
    process.env.AWS_REGION = 'eu-west-3';
    const account = newAccount();
    const res = await send({ path: `/agent-status/${account}`, body: { Name: 'Lunch', State: 'ENABLED' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ AgentStatusARN: `arn:aws:connect:eu-west-3:123456789012:instance/${account}/agent-state/1`, AgentStatusId: '1' });
    expect(res.headers['ac-revision']).toBe('1');
    expect(res.headers['x-amzn-RequestId']).toEqual(expect.any(String));
  });

  it('takes the AWS account from the event when the context has no function ARN', async () => {
    const account = newAccount();
    const context = { ...lambdaContext(), invokedFunctionArn: '' };
    const res = await send({ path: `/agent-status/${account}`, body: { Name: 'Lunch', State: 'ENABLED' } }, context);
    expect(res.body.AgentStatusARN).toBe(`arn:aws:connect:us-east-1:000000000000:instance/${account}/agent-state/1`);
  });

  it('serves the route behind a named stage and with a base64 body', async () => {
    const account = newAccount();
    const event = connectEvent({ path: `/prod/agent-status/${account}`, stage: 'prod', headers: { 'content-type': 'application/json' } });
    event.body = Buffer.from(JSON.stringify({ Name: 'Lunch', State: 'DISABLED' })).toString('base64');
    event.isBase64Encoded = true;
    const result = await handler(event, lambdaContext());
    expect(result.statusCode).toBe(200);
    expect((await listStatusReasons(store, account)).items).toMatchObject([{ text: 'Lunch', enabled: false, state: 'Away' }]);
  });

  it.each([
    ['PATCH', '/agent-status/abc'],
    ['POST', '/agent-status/abc'],
    ['GET', '/agent-status/abc/def/ghi'],
    ['GET', '/search-agent-statuses'],
    ['POST', '/search-agent-statuses/abc'],
    ['PUT', '/tags/arn'],
    ['GET', '/tags'],
    ['DELETE', '/agent-status/abc'],
    ['PUT', '/agent-status'],
    ['PUT', '/agent-status/'],
    ['PUT', '/agent-status/abc/def'],
  ])('answers ResourceNotFoundException (404) for %s %s', async (method, path) => {
    const res = await send({ method, path, body: { Name: 'Lunch', State: 'ENABLED' } });
    expect(res.status).toBe(404);
    expect(res.headers['x-amzn-ErrorType']).toBe('ResourceNotFoundException');
    expect(res.body).toEqual({ Message: expect.any(String) });
  });

  it('refuses a body that is not valid UTF-8 (InvalidRequestException naming the byte) and writes nothing', async () => {
    const account = newAccount();
    const res = await send({ path: `/agent-status/${account}`, headers: { 'content-type': 'application/json' }, bytes: Buffer.from('{"Name":"Caf\xe9","State":"ENABLED"}', 'latin1') });
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-ErrorType']).toBe('InvalidRequestException');
    expect(res.body).toEqual({ Message: 'The request body is not valid UTF-8: the sequence at byte 12 (0xe9) is ill-formed.' });
    expect((await listStatusReasons(store, account, { includeDeleted: true })).revision).toBe(0);
  });

  it('leaves the LivePerson routes to the LivePerson adapter', async () => {
    const account = newAccount();
    const res = await call(handler, { method: 'POST', path: BASE(account), body: { text: 'Lunch', state: 'Away' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 1, text: 'Lunch' });
    const other = await call(handler, { method: 'GET', path: '/agent-statuses' });
    expect(other.status).toBe(404);
    expect(other.headers['x-amzn-ErrorType']).toBeUndefined();
  });
});

describe('refusals no SDK request reaches', () => {
  it('refuses a request the IAM authorizer did not verify with AccessDeniedException (403), writing nothing', async () => {
    const account = newAccount();
    const res = await send({ path: `/agent-status/${account}`, body: { Name: 'Lunch', State: 'ENABLED' }, signed: false });
    expect(res.status).toBe(403);
    expect(res.headers['x-amzn-ErrorType']).toBe('AccessDeniedException');
    expect(await listStatusReasons(store, account)).toEqual({ revision: 0, items: [] });
  });

  it.each([
    ['a body that is not JSON content', { rawBody: 'Name=Lunch', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
    ['a body over 256 KiB', { body: { Name: 'Lunch', State: 'ENABLED', Description: 'x'.repeat(300 * 1024) } }],
    ['no body', {}],
  ])('answers InvalidRequestException (400) for %s', async (_, extra) => {
    const account = newAccount();
    const res = await send({ path: `/agent-status/${account}`, ...extra });
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-ErrorType']).toBe('InvalidRequestException');
    expect(res.body).toEqual({ Message: expect.any(String) });
  });

  it('answers InvalidParameterException (400) for an InstanceId that is not valid URL encoding', async () => {
    const res = await send({ path: '/agent-status/%E0%A4%A', body: { Name: 'Lunch', State: 'ENABLED' } });
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-ErrorType']).toBe('InvalidParameterException');
  });

  it('names every broken field in the message', async () => {
    const res = await send({ path: `/agent-status/${newAccount()}`, body: { Name: '', State: 'ON', DisplayOrder: 0 } });
    expect(res.headers['x-amzn-ErrorType']).toBe('InvalidParameterException');
    expect(res.body.Message).toMatch(/Name .*; State must be ENABLED or DISABLED; DisplayOrder must be from 1 to 50\./);
  });
});
