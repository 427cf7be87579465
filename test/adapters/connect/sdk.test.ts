// The official AWS SDK Connect client, unchanged, against the local server
// (API Gateway stand-in with the SigV4 check) running the function's handler
// over a real DynamoDB engine.
import {
  ConnectClient,
  CreateAgentStatusCommand,
  DuplicateResourceException,
  InternalServiceException,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  ThrottlingException,
  type ConnectClientConfig,
  type CreateAgentStatusCommandInput,
} from '@aws-sdk/client-connect';
import { describe, expect, it } from 'vitest';
import { publicReason } from '../../../functions/domain/status-reason.js';
import { createStatusReasons, listStatusReasons } from '../../../functions/domain/status-reasons.js';
import { LIMITS } from '../../../functions/domain/status-reason.js';
import { newAccount } from '../../support/dynamo.js';
import { failingStore, throttlingError } from '../../support/faults.js';
import { connectClient, connectOnTestTable, failure, rawRequest, startServer } from './helpers.js';

const { table, store, server, client } = connectOnTestTable();

const create = (input: Partial<CreateAgentStatusCommandInput> & { InstanceId: string }, on: ConnectClient = client()) =>
  on.send(new CreateAgentStatusCommand({ Name: 'Lunch', State: 'ENABLED', ...input } as CreateAgentStatusCommandInput));


describe('CreateAgentStatus through the AWS SDK', () => {
  it('creates an agent status and answers its ARN and id', async () => {
    const account = newAccount();
    const out = await create({ InstanceId: account, Name: '  Lunch break  ', State: 'ENABLED', DisplayOrder: 3, Description: 'Out to eat', Tags: { team: 'a', site: 'Paris' } });
    expect(out.AgentStatusId).toBe('1');
    expect(out.AgentStatusARN).toBe(`arn:aws:connect:us-east-1:000000000000:instance/${account}/agent-state/1`);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toEqual(expect.any(String));

    const listed = await listStatusReasons(store(), account);
    expect(listed.revision).toBe(1);
    expect(listed.items.map(publicReason)).toEqual([
      { id: 1, text: 'Lunch break', state: 'Away', enabled: true, deleted: false, order: 3, description: 'Out to eat', tags: { team: 'a', site: 'Paris' } },
    ]);
  });

  it('maps DISABLED to enabled: false and leaves optional fields out when not sent', async () => {
    const account = newAccount();
    const first = await create({ InstanceId: account, Name: 'Training', State: 'DISABLED' });
    const second = await create({ InstanceId: account, Name: 'Meeting', State: 'ENABLED', DisplayOrder: 50 });
    expect([first.AgentStatusId, second.AgentStatusId]).toEqual(['1', '2']);
    const { items } = await listStatusReasons(store(), account);
    const training = items.find((r) => r.text === 'Training')!;
    expect(publicReason(training)).toEqual({ id: 1, text: 'Training', state: 'Away', enabled: false, deleted: false, order: expect.any(Number) });
    expect(items.find((r) => r.text === 'Meeting')).toMatchObject({ id: 2, enabled: true, order: 50 });
  });

  it('accepts the boundaries: 127-character Name, 250-character Description, DisplayOrder 1 and 50, 50 tags of 128/256', async () => {
    const account = newAccount();
    const tags = Object.fromEntries(Array.from({ length: LIMITS.tagsMax }, (_, i) => [`${String(i).padStart(3, '0')}${'k'.repeat(LIMITS.tagKeyMax - 3)}`, 'v'.repeat(LIMITS.tagValueMax)]));
    await create({ InstanceId: account, Name: 'n'.repeat(LIMITS.textMax), Description: 'd'.repeat(LIMITS.descriptionMax), DisplayOrder: 1, Tags: tags });
    await create({ InstanceId: account, Name: 'other', DisplayOrder: 50 });
    expect((await listStatusReasons(store(), account)).items).toHaveLength(2);
  });

  it('answers DuplicateResourceException (409) for a Name already taken, compared trimmed, NFKC and case-insensitively', async () => {
    const account = newAccount();
    await create({ InstanceId: account, Name: 'Lunch' });
    for (const name of ['Lunch', '  LUNCH ', 'ｌｕｎｃｈ']) {
      const error = await failure(create({ InstanceId: account, Name: name }));
      expect(error).toBeInstanceOf(DuplicateResourceException);
      expect(error.$metadata.httpStatusCode).toBe(409);
      expect(error.message).toMatch(/already/);
    }
    expect((await listStatusReasons(store(), account)).revision).toBe(1);
  });

  it.each([
    ['a Name over 127 characters', { Name: 'x'.repeat(LIMITS.textMax + 1) }, /Name/],
    ['a blank Name', { Name: '   ' }, /Name/],
    ['a Name with a control character', { Name: 'Lunch\u0007' }, /Name/],
    ['a missing Name', { Name: undefined }, /Name is required/],
    ['a missing State', { State: undefined }, /State is required/],
    ['an unknown State', { State: 'PAUSED' }, /State must be ENABLED or DISABLED/],
    ['DisplayOrder 0', { DisplayOrder: 0 }, /DisplayOrder must be from 1 to 50/],
    ['DisplayOrder 51', { DisplayOrder: 51 }, /DisplayOrder must be from 1 to 50/],
    ['a fractional DisplayOrder', { DisplayOrder: 2.5 }, /DisplayOrder must be an integer/],
    ['a Description over 250 characters', { Description: 'd'.repeat(LIMITS.descriptionMax + 1) }, /Description/],
    ['51 tags', { Tags: Object.fromEntries(Array.from({ length: LIMITS.tagsMax + 1 }, (_, i) => [`k${i}`, 'v'])) }, /Tags/],
    ['a tag key over 128 characters', { Tags: { ['k'.repeat(LIMITS.tagKeyMax + 1)]: 'v' } }, /Tags/],
    ['an empty tag key', { Tags: { '': 'v' } }, /Tags/],
    ['a tag value over 256 characters', { Tags: { k: 'v'.repeat(LIMITS.tagValueMax + 1) } }, /Tags\.k/],
    ['an InstanceId with other characters', { InstanceId: 'bad id!' }, /InstanceId/],
    ['an InstanceId over 64 characters', { InstanceId: 'a'.repeat(65) }, /InstanceId/],
    ['an InstanceId starting with a dot', { InstanceId: '.hidden' }, /InstanceId/],
  ])('answers InvalidParameterException (400) for %s, and writes nothing', async (_, input, message) => {
    const account = newAccount();
    const error = await failure(create({ InstanceId: account, ...input } as Partial<CreateAgentStatusCommandInput> & { InstanceId: string }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.name).toBe('InvalidParameterException');
    expect(error.$fault).toBe('client');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(await listStatusReasons(store(), account)).toEqual({ revision: 0, items: [] });
  });

  it('answers LimitExceededException (429) when the account is at its cap of 1,000, and writes nothing', async () => {
    const account = newAccount();
    for (let batch = 0; batch < 10; batch++) {
      const items = Array.from({ length: 100 }, (_, i) => ({ text: `r${batch}-${i}`, state: 'Away' as const, enabled: true, deleted: false }));
      await createStatusReasons(store(), account, items);
    }
    const error = await failure(create({ InstanceId: account, Name: 'one too many' }, connectClient(server(), { maxAttempts: 1 })));
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error.message).toMatch(/at most 1000/);
    const listed = await listStatusReasons(store(), account);
    expect(listed.revision).toBe(10);
    expect(listed.items).toHaveLength(LIMITS.activeReasonsPerAccount);
    // Ten creates of 100: 18 s in the full suite on a 2-core machine, against the default 30 s.
  }, 120_000);
});

describe('what the SDK will not send: raw SigV4-signed requests', () => {
  it.each([
    ['a body that is not JSON', '{"Name": "Lunch",'],
    ['a JSON array', '[{"Name": "Lunch", "State": "ENABLED"}]'],
    ['a JSON string', '"Lunch"'],
    ['JSON null', 'null'],
    ['an unknown field', '{"Name": "Lunch", "State": "ENABLED", "Color": "red"}'],
    ['an empty body', ''],
  ])('answers InvalidRequestException (400) for %s, which the SDK reads as its class', async (_, body) => {
    const account = newAccount();
    const res = await rawRequest(server(), { path: `/agent-status/${account}`, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(res.body).toEqual({ Message: expect.any(String) });
    expect(await listStatusReasons(store(), account)).toEqual({ revision: 0, items: [] });
  });

  it('the SDK turns that answer into InvalidRequestException', async () => {
    const account = newAccount();
    // Send the SDK's own request with one field added after serialization, before signing.
    const tampering = connectClient(server());
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string | Uint8Array; headers: Record<string, string> };
        const sent = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
        request.body = JSON.stringify({ ...JSON.parse(sent), Color: 'red' });
        request.headers['content-length'] = String(Buffer.byteLength(request.body));
        return next(args);
      },
      { step: 'build', name: 'addUnknownField' },
    );
    const error = await failure(create({ InstanceId: account }, tampering));
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toMatch(/Color is not a known field/);
    tampering.destroy();
  });
});

describe('store failures', () => {
  it('answers ThrottlingException (429) when the store stays throttled, and writes nothing', async () => {
    const throttled = failingStore(table().tableName, throttlingError);
    const busyServer = await startServer(() => throttled);
    const busyClient = connectClient(busyServer, { maxAttempts: 1 });
    try {
      const account = newAccount();
      const error = await failure(create({ InstanceId: account }, busyClient));
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(error.$metadata.httpStatusCode).toBe(429);
      expect(error.message).toMatch(/throttled/);
      expect(await listStatusReasons(store(), account)).toEqual({ revision: 0, items: [] });
    } finally {
      busyClient.destroy();
      await busyServer.close();
    }
  });

  it('answers InternalServiceException (500) without internals when the store fails unexpectedly', async () => {
    const broken = failingStore(table().tableName, () => Object.assign(new Error('secret internals: table arn:aws:dynamodb:x'), { name: 'ValidationException', $fault: 'client' }));
    const brokenServer = await startServer(() => broken);
    const brokenClient = connectClient(brokenServer, { maxAttempts: 1 });
    try {
      const error = await failure(create({ InstanceId: newAccount() }, brokenClient));
      expect(error).toBeInstanceOf(InternalServiceException);
      expect(error.$fault).toBe('server');
      expect(error.$metadata.httpStatusCode).toBe(500);
      expect(error.message).not.toMatch(/secret|arn:|ValidationException/);
    } finally {
      brokenClient.destroy();
      await brokenServer.close();
    }
  });
});

describe('SigV4 on the local server', () => {
  it('refuses a request signed with a wrong secret with 403 and writes nothing', async () => {
    const account = newAccount();
    const wrong = connectClient(server(), { credentials: { accessKeyId: 'local', secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    const error = await failure(create({ InstanceId: account }, wrong));
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(await listStatusReasons(store(), account)).toEqual({ revision: 0, items: [] });
    wrong.destroy();
  });

  it('refuses a wrong access key with 403', async () => {
    const account = newAccount();
    const wrong = connectClient(server(), { credentials: { accessKeyId: 'someone-else', secretAccessKey: 'local' }, maxAttempts: 1 });
    const error = await failure(create({ InstanceId: account }, wrong));
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(await listStatusReasons(store(), account)).toEqual({ revision: 0, items: [] });
    wrong.destroy();
  });

  it('accepts a client that signs for execute-api (what API Gateway IAM authorization verifies in AWS)', async () => {
    const account = newAccount();
    const gateway = connectClient(server(), { signingName: 'execute-api' } as Partial<ConnectClientConfig>);
    let scope = '';
    gateway.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        scope = String((args.request as { headers: Record<string, string> }).headers.authorization);
        return out;
      },
      { step: 'finalizeRequest', name: 'seeAuthorization', priority: 'low' },
    );
    const out = await create({ InstanceId: account }, gateway);
    expect(out.AgentStatusId).toBe('1');
    expect(scope).toMatch(/\/us-east-1\/execute-api\/aws4_request/);
    gateway.destroy();
  });
});
