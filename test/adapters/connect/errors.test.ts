// The Connect operations' refusals through the official SDK: every error type
// for every operation, a wrong secret, NextTokens that are forged or from
// elsewhere, and the SDK's own retries of one write (its amz-sdk-invocation-id
// is the idempotency key).
import {
  ConnectClient,
  CreateAgentStatusCommand,
  DescribeAgentStatusCommand,
  InternalServiceException,
  InvalidParameterException,
  InvalidRequestException,
  ListAgentStatusesCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SearchAgentStatusesCommand,
  TagResourceCommand,
  ThrottlingException,
  UntagResourceCommand,
  UpdateAgentStatusCommand,
} from '@aws-sdk/client-connect';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_ROUTES, type ConnectOperation } from '../../../functions/adapters/connect/routes.js';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import type { IdempotencyKey, StatusReasonStore } from '../../../functions/domain/store.js';
import { createHandler } from '../../../functions/entry/http.js';
import type { LocalServer } from '../../../infra/local/server.js';
import { newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { failingStore, throttlingError } from '../../support/faults.js';
import { connectClient, connectEvent, connectOnTestTable, failure, rawRequest, startServer } from './helpers.js';

const { table, store, server, client } = connectOnTestTable({ maxAttempts: 1 });

const arnOf = (instance: string, id: string | number) => `arn:aws:connect:us-east-1:000000000000:instance/${instance}/agent-state/${id}`;
const revisionOf = async (account: string) => (await listStatusReasons(store(), account, { includeDeleted: true })).revision;

/** An account with one agent status, and one command per operation on it. */
async function everyOperation(account: string) {
  const { AgentStatusId } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
  const resourceArn = arnOf(account, AgentStatusId!);
  const commands: Record<ConnectOperation, () => object> = {
    CreateAgentStatus: () => new CreateAgentStatusCommand({ InstanceId: account, Name: 'New', State: 'ENABLED' }),
    DescribeAgentStatus: () => new DescribeAgentStatusCommand({ InstanceId: account, AgentStatusId }),
    ListAgentStatuses: () => new ListAgentStatusesCommand({ InstanceId: account }),
    UpdateAgentStatus: () => new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Name: 'Changed' }),
    SearchAgentStatuses: () => new SearchAgentStatusesCommand({ InstanceId: account }),
    TagResource: () => new TagResourceCommand({ resourceArn, tags: { a: 'b' } }),
    UntagResource: () => new UntagResourceCommand({ resourceArn, tagKeys: ['a'] }),
    ListTagsForResource: () => new ListTagsForResourceCommand({ resourceArn }),
  };
  return commands;
}

/** Runs each operation through a server over another store. */
async function onStore(other: StatusReasonStore, run: (client: ConnectClient, commands: Record<ConnectOperation, () => object>) => Promise<void>) {
  const account = newAccount();
  const commands = await everyOperation(account);
  const otherServer = await startServer(() => other);
  const otherClient = connectClient(otherServer, { maxAttempts: 1 });
  try {
    await run(otherClient, commands);
  } finally {
    otherClient.destroy();
    await otherServer.close();
  }
}

describe('every operation', () => {
  it('answers ThrottlingException (429) when the store stays throttled', async () => {
    await onStore(failingStore(table().tableName, throttlingError), async (throttled, commands) => {
      for (const [operation, command] of Object.entries(commands)) {
        const error = await failure(throttled.send(command() as never));
        expect(error, operation).toBeInstanceOf(ThrottlingException);
        expect(error.$metadata.httpStatusCode).toBe(429);
      }
    });
  });

  it('answers InternalServiceException (500) without internals when the store fails unexpectedly', async () => {
    const broken = failingStore(table().tableName, () => Object.assign(new Error('secret internals: arn:aws:dynamodb:x'), { name: 'ValidationException', $fault: 'client' }));
    await onStore(broken, async (failing, commands) => {
      for (const [operation, command] of Object.entries(commands)) {
        const error = await failure(failing.send(command() as never));
        expect(error, operation).toBeInstanceOf(InternalServiceException);
        expect(error.message).not.toMatch(/secret|arn:/);
      }
    });
  });

  it('is refused with 403 when signed with a wrong secret, and writes nothing', async () => {
    const account = newAccount();
    const commands = await everyOperation(account);
    const wrong = connectClient(server(), { credentials: { accessKeyId: 'local', secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    try {
      for (const [operation, command] of Object.entries(commands)) {
        const error = await failure(wrong.send(command() as never));
        expect(error.$metadata.httpStatusCode, operation).toBe(403);
      }
    } finally {
      wrong.destroy();
    }
    expect(await revisionOf(account)).toBe(1);
  });

  it.each(CONNECT_ROUTES.map((route) => [route.operation, route] as const))(
    '%s answers AccessDeniedException (403) when API Gateway did not verify a signature, and writes nothing',
    async (_, route) => {
      const account = newAccount();
      const path = route.path
        .replace('{InstanceId}', account)
        .replace('{AgentStatusId}', '1')
        .replace('{resourceArn+}', encodeURIComponent(arnOf(account, 1)));
      const handler = createHandler(() => store());
      const result = await handler(connectEvent({ method: route.method, path, body: { InstanceId: account, Name: 'x', State: 'ENABLED', tags: { a: 'b' } }, signed: false }), lambdaContext());
      expect(result.statusCode).toBe(403);
      expect(result.headers?.['x-amzn-ErrorType']).toBe('AccessDeniedException');
      expect(await revisionOf(account)).toBe(0);
    },
  );
});

describe('ac-revision on refusals', () => {
  // docs/connect-api.md: answers carry ac-revision once they reached the account's data, refusals too (as the LivePerson API's do).
  it('a refusal found in the account\'s data (a Name taken, an unknown status, one tag too many) carries the revision it was found at', async () => {
    const account = newAccount();
    const { AgentStatusId } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Taken', State: 'ENABLED', Tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) }));
    const revision = String(await revisionOf(account));
    const refusals: [string, Parameters<typeof rawRequest>[1]][] = [
      ['DuplicateResourceException', { method: 'PUT', path: `/agent-status/${account}`, body: JSON.stringify({ Name: 'taken', State: 'ENABLED' }) }],
      ['ResourceNotFoundException', { method: 'GET', path: `/agent-status/${account}/999` }],
      ['ResourceNotFoundException', { method: 'POST', path: `/agent-status/${account}/999`, body: JSON.stringify({ Name: 'x' }) }],
      ['ResourceNotFoundException', { method: 'GET', path: `/tags/${encodeURIComponent(arnOf(account, 999))}` }],
      ['InvalidParameterException', { method: 'POST', path: `/tags/${encodeURIComponent(arnOf(account, AgentStatusId!))}`, body: JSON.stringify({ tags: { extra: 'v' } }) }],
    ];
    for (const [type, request] of refusals) {
      const answer = await rawRequest(server(), request);
      expect(answer.headers.get('x-amzn-ErrorType')).toBe(type);
      expect(answer.headers.get('ac-revision')).toBe(revision);
    }
    expect(String(await revisionOf(account))).toBe(revision);
  });
});

describe('methods and paths no operation has, through the gateway (SPEC §2: unknown path)', () => {
  // API Gateway answers a request no route matches itself ({"message":"Not Found"}, no x-amzn-ErrorType: an `Unknown` error in the SDK);
  // the catch-all routes hand every method and path under the Connect prefixes to the function instead.
  const unknown = (account: string): [string, string][] => [
    ['DELETE', `/agent-status/${account}/1`],
    ['GET', `/agent-status/${account}/1/x`],
    ['PATCH', `/agent-status/${account}`],
    ['GET', '/agent-status'],
    ['GET', '/search-agent-statuses'],
    ['POST', '/search-agent-statuses/x'],
    ['PATCH', '/tags/x'],
    ['PUT', `/tags/${encodeURIComponent(arnOf(account, 1))}`],
    ['GET', '/tags'],
  ];

  it('a signed request is ResourceNotFoundException (404) in Connect\'s shape, and writes nothing', async () => {
    const account = newAccount();
    await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    for (const [method, path] of unknown(account)) {
      const res = await rawRequest(server(), { method, path, body: method === 'GET' ? '' : '{}' });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('x-amzn-errortype'), `${method} ${path}`).toBe('ResourceNotFoundException');
      expect(res.headers.get('x-amzn-requestid'), `${method} ${path}`).toEqual(expect.any(String));
      expect(res.body, `${method} ${path}`).toEqual({ Message: `No operation at ${method} ${JSON.stringify(path)}.` });
    }
    expect(await revisionOf(account)).toBe(1);
  });

  it('the SDK reports it as ResourceNotFoundException (before the catch-alls: an error named Unknown)', async () => {
    const account = newAccount();
    const { AgentStatusId } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    const deleting = connectClient(server(), { maxAttempts: 1 });
    // DescribeAgentStatus sent as DELETE (changed before the SDK signs it): a method no route of that path has.
    deleting.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { method: string }).method = 'DELETE';
        return next(args);
      },
      { step: 'build', name: 'deleteInstead' },
    );
    try {
      const error = await failure(deleting.send(new DescribeAgentStatusCommand({ InstanceId: account, AgentStatusId })));
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata.httpStatusCode).toBe(404);
    } finally {
      deleting.destroy();
    }
    expect(await revisionOf(account)).toBe(1);
  });

  it('an unsigned one is still refused by the gateway (403) before the function', async () => {
    const account = newAccount();
    for (const [method, path] of unknown(account)) {
      const res = await rawRequest(server(), { method, path, sign: false });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body, `${method} ${path}`).toEqual({ message: 'Forbidden' });
    }
  });

  it('the routes of the operations still win over the catch-alls', async () => {
    const account = newAccount();
    const { AgentStatusId } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    const resourceArn = encodeURIComponent(arnOf(account, AgentStatusId!));
    for (const [method, path, body] of [
      ['GET', `/agent-status/${account}`, ''],
      ['GET', `/agent-status/${account}/${AgentStatusId}`, ''],
      ['POST', `/agent-status/${account}/${AgentStatusId}`, '{"Name":"Renamed"}'],
      ['POST', '/search-agent-statuses', JSON.stringify({ InstanceId: account })],
      ['POST', `/tags/${resourceArn}`, '{"tags":{"a":"b"}}'],
      ['GET', `/tags/${resourceArn}`, ''],
      ['DELETE', `/tags/${resourceArn}?tagKeys=a`, ''],
    ] as const) {
      const res = await rawRequest(server(), { method, path, body });
      expect(res.status, `${method} ${path}`).toBe(200);
    }
  });
});

describe('requests the SDK does not send', () => {
  it.each([
    ['UpdateAgentStatus with an unknown field', 'POST', (a: string) => `/agent-status/${a}/1`, '{"Name": "x", "Color": "red"}', /Color is not a known field/],
    ['UpdateAgentStatus with a JSON array', 'POST', (a: string) => `/agent-status/${a}/1`, '[]', /JSON object/],
    ['SearchAgentStatuses with a string body', 'POST', () => '/search-agent-statuses', '"all"', /JSON object/],
    ['TagResource without a body', 'POST', (a: string) => `/tags/${encodeURIComponent(arnOf(a, 1))}`, '', /JSON body/],
    ['TagResource with Tags instead of tags', 'POST', (a: string) => `/tags/${encodeURIComponent(arnOf(a, 1))}`, '{"Tags": {"a": "b"}}', /Tags is not a known field/],
  ])('answers InvalidRequestException for %s', async (_, method, path, body, message) => {
    const account = newAccount();
    await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    const res = await rawRequest(server(), { method, path: path(account), body });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(res.body.Message).toMatch(message);
    expect(await revisionOf(account)).toBe(1);
  });

  it('answers InvalidRequestException for a signed body that is not valid UTF-8, and writes nothing', async () => {
    const account = newAccount();
    const res = await rawRequest(server(), { method: 'PUT', path: `/agent-status/${account}`, body: Buffer.from('{"Name":"Caf\xe9","State":"ENABLED"}', 'latin1') });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(res.body.Message).toBe('The request body is not valid UTF-8: the sequence at byte 12 (0xe9) is ill-formed.');
    expect(await revisionOf(account)).toBe(0);
  });

  it('answers InvalidRequestException for SearchCriteria nested 10,000 deep (within the body limit), without a stack overflow', async () => {
    const depth = 10_000;
    const body = `{"InstanceId": "a", "SearchCriteria": ${'{"AndConditions": ['.repeat(depth)}{}${']}'.repeat(depth)}}`;
    const res = await rawRequest(server(), { method: 'POST', path: '/search-agent-statuses', body });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(res.body.Message).toMatch(/nests deeper than/);
  });

  it('through the SDK, a field added after serialization is an InvalidRequestException', async () => {
    const account = newAccount();
    const { AgentStatusId } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    const tampering = connectClient(server(), { maxAttempts: 1 });
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string; headers: Record<string, string> };
        request.body = JSON.stringify({ ...JSON.parse(request.body), Color: 'red' });
        request.headers['content-length'] = String(Buffer.byteLength(request.body));
        return next(args);
      },
      { step: 'build', name: 'addUnknownField' },
    );
    try {
      const error = await failure(tampering.send(new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Name: 'x' })));
      expect(error).toBeInstanceOf(InvalidRequestException);
    } finally {
      tampering.destroy();
    }
  });

  it.each([
    ['MaxResults 0', 'maxResults=0'],
    ['MaxResults 1001', 'maxResults=1001'],
    ['MaxResults that is not a number', 'maxResults=ten'],
    ['an unknown AgentStatusTypes value', 'AgentStatusTypes=AWAY'],
    ['four AgentStatusTypes', 'AgentStatusTypes=CUSTOM&AgentStatusTypes=CUSTOM&AgentStatusTypes=ROUTABLE&AgentStatusTypes=OFFLINE'],
  ])('ListAgentStatuses answers InvalidParameterException for %s', async (_, query) => {
    const res = await rawRequest(server(), { method: 'GET', path: `/agent-status/${newAccount()}?${query}` });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidParameterException');
  });

  it('UntagResource answers InvalidParameterException without tagKeys, or with more than 50', async () => {
    const account = newAccount();
    await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Existing', State: 'ENABLED' }));
    const path = `/tags/${encodeURIComponent(arnOf(account, 1))}`;
    for (const query of ['', `?${Array.from({ length: 51 }, (_, i) => `tagKeys=k${i}`).join('&')}`]) {
      const res = await rawRequest(server(), { method: 'DELETE', path: `${path}${query}` });
      expect(res.status).toBe(400);
      expect(res.headers.get('x-amzn-errortype')).toBe('InvalidParameterException');
      expect(res.body.Message).toMatch(/tagKeys must name 1–50 tag keys/);
    }
  });
});

describe('NextToken', () => {
  let account: string;
  let token: string;
  beforeAll(async () => {
    account = newAccount();
    for (const Name of ['a', 'b', 'c']) await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name, State: 'ENABLED' }));
    token = (await client().send(new ListAgentStatusesCommand({ InstanceId: account, MaxResults: 1 }))).NextToken!;
  });

  const listWith = (NextToken: string, InstanceId = account, AgentStatusTypes?: string[]) =>
    client().send(new ListAgentStatusesCommand({ InstanceId, MaxResults: 1, NextToken, ...(AgentStatusTypes && { AgentStatusTypes: AgentStatusTypes as never }) }));

  it('is opaque: it does not show the id or the account it continues from', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain(account);
    expect(token.length).toBeLessThanOrEqual(2500);
  });

  it('continues the list it came from', async () => {
    expect((await listWith(token)).AgentStatusSummaryList!.map((s) => s.Name)).toEqual(['b']);
  });

  it.each([
    ['made up', () => 'eyJhZnRlciI6MH0'],
    ['altered', () => `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`],
    ['cut short', () => token.slice(0, -4)],
    ['not base64url', () => `${token}!`],
    ['over 2,500 characters', () => 'A'.repeat(2501)],
  ])('is refused with InvalidParameterException when %s', async (_, forged) => {
    const error = await failure(listWith(forged()));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toMatch(/NextToken/);
  });

  it('is refused for another instance, another filter, or another operation', async () => {
    const other = newAccount();
    await client().send(new CreateAgentStatusCommand({ InstanceId: other, Name: 'a', State: 'ENABLED' }));
    expect(await failure(listWith(token, other))).toBeInstanceOf(InvalidParameterException);
    expect(await failure(listWith(token, account, ['CUSTOM']))).toBeInstanceOf(InvalidParameterException);
    expect(await failure(client().send(new SearchAgentStatusesCommand({ InstanceId: account, NextToken: token })))).toBeInstanceOf(InvalidParameterException);
  });

  it('is refused by a deployment with another CONNECT_NEXT_TOKEN_SECRET', async () => {
    const saved = process.env.CONNECT_NEXT_TOKEN_SECRET;
    process.env.CONNECT_NEXT_TOKEN_SECRET = 'another deployment';
    try {
      expect(await failure(listWith(token))).toBeInstanceOf(InvalidParameterException);
      const own = (await client().send(new ListAgentStatusesCommand({ InstanceId: account, MaxResults: 1 }))).NextToken!;
      expect((await listWith(own)).AgentStatusSummaryList).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.CONNECT_NEXT_TOKEN_SECRET;
      else process.env.CONNECT_NEXT_TOKEN_SECRET = saved;
    }
  });
});

describe('the SDK\'s retries of one write', () => {
  /** A client whose first attempt reaches the server and is applied, but whose answer is lost: the SDK retries. */
  function losingFirstAnswer(target: LocalServer) {
    const sent: string[] = [];
    const retrying = connectClient(target, { maxAttempts: 3 });
    retrying.middlewareStack.add(
      (next) => async (args) => {
        sent.push((args.request as { headers: Record<string, string> }).headers['amz-sdk-invocation-id']!);
        const out = await next(args);
        if (sent.length === 1) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });
        return out;
      },
      { step: 'deserialize', name: 'loseFirstAnswer' },
    );
    return { client: retrying, sent };
  }

  /** A store that records the idempotency key of every write it is asked for. */
  function recordingStore(keys: (IdempotencyKey | undefined)[]): StatusReasonStore {
    return {
      revision: (accountId) => store().revision(accountId),
      read: (accountId, options) => store().read(accountId, options),
      get: (accountId, id) => store().get(accountId, id),
      changes: (accountId, since, limit) => store().changes(accountId, since, limit),
      write: (accountId, request, decide) => {
        keys.push(request.idempotency);
        return store().write(accountId, request, decide);
      },
    };
  }

  it('send one amz-sdk-invocation-id, which every write passes to the store as its idempotency key', async () => {
    const keys: (IdempotencyKey | undefined)[] = [];
    const recordingServer = await startServer(() => recordingStore(keys));
    const { client: retrying, sent } = losingFirstAnswer(recordingServer);
    try {
      const account = newAccount();
      await retrying.send(new ListAgentStatusesCommand({ InstanceId: account })).catch(() => undefined);
      expect(sent).toHaveLength(2);
      expect(sent[1]).toBe(sent[0]);
      await retrying.send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Lunch', State: 'ENABLED' })).catch(() => undefined);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(keys[0]).toEqual({ key: `connect:${sent[2]}`, fingerprint: expect.any(String) });
      expect(new Set(keys.map((k) => JSON.stringify(k))).size).toBe(1);
    } finally {
      retrying.destroy();
      await recordingServer.close();
    }
  });

  it('CreateAgentStatus: a retry of an applied create answers the first answer, and creates nothing more', async () => {
    const { client: retrying, sent } = losingFirstAnswer(server());
    const account = newAccount();
    try {
      const out = await retrying.send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Lunch', State: 'ENABLED' }));
      expect(sent).toHaveLength(2);
      expect(out).toMatchObject({ AgentStatusId: '1', AgentStatusARN: arnOf(account, 1) });
      const listed = await listStatusReasons(store(), account);
      expect(listed.revision).toBe(1);
      expect(listed.items).toHaveLength(1);
    } finally {
      retrying.destroy();
    }
  });

  it('UpdateAgentStatus, TagResource, UntagResource: a retry of an applied write writes nothing more', async () => {
    const account = newAccount();
    const { AgentStatusId, AgentStatusARN } = await client().send(new CreateAgentStatusCommand({ InstanceId: account, Name: 'Lunch', State: 'ENABLED' }));
    const commands = [
      new UpdateAgentStatusCommand({ InstanceId: account, AgentStatusId, Description: 'retried' }),
      new TagResourceCommand({ resourceArn: AgentStatusARN, tags: { a: 'b' } }),
      new UntagResourceCommand({ resourceArn: AgentStatusARN, tagKeys: ['a'] }),
    ];
    for (const [i, command] of commands.entries()) {
      const { client: retrying, sent } = losingFirstAnswer(server());
      try {
        const out = await retrying.send(command as never);
        expect(sent).toHaveLength(2);
        expect((out as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode).toBe(200);
        expect(await revisionOf(account)).toBe(2 + i);
      } finally {
        retrying.destroy();
      }
    }
  });
});
