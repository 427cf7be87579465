// The functions' AWS client (functions/aws/) held to what the SDK's clients did
// for them: against the real DynamoDB engine (values in and out, errors named
// and shaped as the store's rules read them, a cut call failing as a lost
// answer), and against a local HTTP server standing in for Secrets Manager
// (the request as AWS wants it, signed so that the signature checks, errors
// and the retries of reads).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand, DocumentClient, GetCommand, QueryCommand, TransactGetCommand, TransactWriteCommand, UpdateCommand } from '../../functions/aws/dynamodb.js';
import { AwsJsonClient, credentialsFromEnv, regionalEndpoint, retryingReads } from '../../functions/aws/json-client.js';
import { secretVersions, secretsManagerClient, SECRETS_MANAGER_PROTOCOL } from '../../functions/platform/secret-versions.js';
import { isConditionFailure, refusedItem, retryCause } from '../../functions/store/errors.js';
import { plain } from '../../functions/store/lease-line.js';
import { createSigV4Verifier } from '../../infra/local/sigv4.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: any) => e,
  );

describe('DynamoDB through the functions’ client, on the real engine', () => {
  let table: TestTable;
  let doc: DocumentClient;
  beforeAll(async () => {
    table = await createTestTable();
    doc = new DocumentClient(table.client);
  });
  afterAll(() => table?.client.destroy());

  it('writes and reads back plain values as lib-dynamodb does: numbers, strings, maps, lists, string sets, binary; undefined left out', async () => {
    const pk = newAccount();
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const item = { pk, sk: 'a', n: 42.5, s: 'Lunch “break” ☕', m: { deep: { list: [1, 'two', { three: 3 }] } }, ss: new Set(['x', 'y']), b: bytes, gone: undefined, t: true, z: null };
    await doc.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: table.tableName, Item: item } }] }));
    const { Item } = await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk: 'a' }, ConsistentRead: true }));
    const { gone: _gone, b: _b, ...rest } = item;
    expect(Item).toMatchObject(rest);
    expect(Item).not.toHaveProperty('gone');
    expect(new Uint8Array(Item!.b as Uint8Array)).toEqual(bytes);

    const got = await doc.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: table.tableName, Key: { pk, sk: 'a' } } }, { Get: { TableName: table.tableName, Key: { pk, sk: 'none' } } }] }));
    expect(got.Responses?.[0]?.Item?.s).toBe(item.s);
    expect(got.Responses?.[1]?.Item).toBeUndefined();
  });

  it('pages a Query: LastEvaluatedKey comes back plain and is taken back as ExclusiveStartKey', async () => {
    const pk = newAccount();
    await doc.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: [0, 1, 2, 3, 4].map((i) => ({ PutRequest: { Item: { pk, sk: `r#${i}`, i } } })) } }));
    const seen: number[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Limit: 2, ConsistentRead: true, ExclusiveStartKey: start }));
      seen.push(...(page.Items ?? []).map((it) => it.i as number));
      start = page.LastEvaluatedKey;
      if (start) expect(start).toEqual({ pk, sk: expect.stringMatching(/^r#/) });
    } while (start);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('names a refused condition as the SDK does, with the item it saw, and the store reads it so', async () => {
    const pk = newAccount();
    const key = { pk, sk: 'c' };
    const out = await doc.send(new UpdateCommand({ TableName: table.tableName, Key: key, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': 1 }, ReturnValues: 'ALL_NEW' }));
    expect(out.Attributes).toEqual({ ...key, v: 1 });
    const refused = await failure(
      doc.send(
        new UpdateCommand({ TableName: table.tableName, Key: key, UpdateExpression: 'SET v = :v', ConditionExpression: 'v = :old', ExpressionAttributeValues: { ':v': 3, ':old': 2 }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      ),
    );
    expect(refused.name).toBe('ConditionalCheckFailedException');
    expect(refused.$metadata.httpStatusCode).toBe(400);
    expect(refused.$fault).toBe('client');
    expect(isConditionFailure(refused)).toBe(true);
    expect(retryCause(refused)).toBeUndefined();
    expect(plain(refusedItem(refused))).toEqual({ ...key, v: 1 });

    const cancelled = await failure(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table.tableName, Item: { pk, sk: 'other' } } },
            { ConditionCheck: { TableName: table.tableName, Key: key, ConditionExpression: 'v = :two', ExpressionAttributeValues: { ':two': 2 }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          ],
        }),
      ),
    );
    expect(cancelled.name).toBe('TransactionCanceledException');
    expect(cancelled.CancellationReasons.map((r: { Code: string }) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect(isConditionFailure(cancelled)).toBe(true);
    expect(plain(refusedItem(cancelled, 1))).toEqual({ ...key, v: 1 });
  });

  it('answers a malformed call with ValidationException (not retried), and a cut call as a lost answer (retried)', async () => {
    const invalid = await failure(doc.send(new GetCommand({ TableName: table.tableName, Key: { nope: 'x' } })));
    expect(invalid.name).toBe('ValidationException');
    expect(retryCause(invalid)).toBeUndefined();
    const controller = new AbortController();
    controller.abort();
    const cut = await failure(doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: 'x', sk: 'y' } }), { abortSignal: controller.signal }));
    expect(cut.name).toBe('AbortError');
    expect(retryCause(cut)).toBe('no-answer');
  });

  it('answers a BatchWriteItem with nothing left over as an empty UnprocessedItems', async () => {
    const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: [{ PutRequest: { Item: { pk: newAccount(), sk: 'b' } } }] } }));
    expect(out.UnprocessedItems).toEqual({});
  });
});

/** A stand-in for Secrets Manager: each request is kept; `answer` decides status and body. */
function fakeService(answer: (target: string, body: any, n: number) => { status: number; body: object }) {
  const requests: Array<{ method: string; path: string; headers: Record<string, string>; body: string }> = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method!, path: req.url!, headers: req.headers as Record<string, string>, body });
    const out = answer(String(req.headers['x-amz-target']), JSON.parse(body), requests.length);
    res.writeHead(out.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
    res.end(JSON.stringify(out.body));
  });
  return {
    requests,
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-token' };

describe('Secrets Manager through the functions’ client, against a stand-in', () => {
  it('sends a JSON 1.1 POST that AWS would take: target, content type, session token, a SigV4 signature over host, date and body that checks', async () => {
    const service = fakeService(() => ({ status: 200, body: { SecretString: 's3cret', VersionStages: ['AWSCURRENT'] } }));
    const endpoint = await service.start();
    try {
      const client = new AwsJsonClient(SECRETS_MANAGER_PROTOCOL, { endpoint, region: 'eu-west-1', credentials });
      const out = await client.call<{ SecretString: string }>('GetSecretValue', { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', VersionStage: 'AWSCURRENT' });
      expect(out.SecretString).toBe('s3cret');
      const [sent] = service.requests;
      expect(sent!.method).toBe('POST');
      expect(sent!.path).toBe('/');
      expect(sent!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
      expect(sent!.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(sent!.headers['x-amz-security-token']).toBe('session-token');
      expect(JSON.parse(sent!.body)).toEqual({ SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:x', VersionStage: 'AWSCURRENT' });
      expect(sent!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/);
      const verify = createSigV4Verifier({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, services: ['secretsmanager'] });
      const request = { method: sent!.method, path: sent!.path, query: new URLSearchParams(), headers: sent!.headers, body: Buffer.from(sent!.body) };
      expect(await verify(request)).toBeDefined();
      // The same request with another body does not check: the signature covers it.
      expect(await verify({ ...request, body: Buffer.from(sent!.body.replace('AWSCURRENT', 'AWSPREVIOUS')) })).toBeUndefined();
    } finally {
      await service.stop();
    }
  });

  it('reads the current and previous values, a missing previous being none; an error names its type, status and fields', async () => {
    const service = fakeService((_target, body) =>
      body.VersionStage === 'AWSCURRENT'
        ? { status: 200, body: { SecretString: 'current' } }
        : { status: 400, body: { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret version." } },
    );
    const endpoint = await service.start();
    try {
      const client = new AwsJsonClient(SECRETS_MANAGER_PROTOCOL, { endpoint, region: 'eu-west-1', credentials });
      expect(await secretVersions(client, 'x')()).toEqual({ current: 'current' });
      const error = await failure(client.call('GetSecretValue', { SecretId: 'x', VersionStage: 'AWSPREVIOUS' }));
      expect(error).toMatchObject({ name: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret version.", $fault: 'client', $metadata: { httpStatusCode: 400 } });
      expect(error.$metadata.requestId).toMatch(/^req-/);
    } finally {
      await service.stop();
    }
  });

  it('retries a read that was throttled or met a 5xx, up to three attempts in all; never a refusal', async () => {
    let plan: Array<{ status: number; body: object }> = [];
    const service = fakeService(() => plan.shift() ?? { status: 200, body: { SecretString: 'ok' } });
    const endpoint = await service.start();
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    try {
      const client = secretsManagerClient({ endpoint, region: 'eu-west-1' });
      const call = () => client.call<{ SecretString: string }>('GetSecretValue', { SecretId: 'x' });
      plan = [{ status: 400, body: { __type: 'ThrottlingException' } }, { status: 500, body: { __type: 'InternalServiceError' } }];
      expect((await call()).SecretString).toBe('ok');
      expect(service.requests).toHaveLength(3);
      plan = [500, 500, 500].map((status) => ({ status, body: { __type: 'InternalServiceError' } }));
      expect((await failure(call())).name).toBe('InternalServiceError');
      expect(service.requests).toHaveLength(6);
      plan = [{ status: 400, body: { __type: 'AccessDeniedException', Message: 'no' } }];
      expect((await failure(call())).name).toBe('AccessDeniedException');
      expect(service.requests).toHaveLength(7);
    } finally {
      await service.stop();
    }
  });

  it('also retries a read with no answer at all, and gives up after three', async () => {
    let attempts = 0;
    const flaky = new AwsJsonClient(SECRETS_MANAGER_PROTOCOL, { endpoint: 'http://127.0.0.1:9', credentials }).use((next) => async (call, options) => {
      attempts++;
      return next(call, options);
    });
    const retried = flaky.use(retryingReads(3, 1));
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain((await failure(retried.call('GetSecretValue', { SecretId: 'x' }))).code);
    expect(attempts).toBe(3);
  });

  it('never retries a fault of ours (a TypeError): it is not a failure of AWS, and the store reads it the same way', async () => {
    let attempts = 0;
    const bug = new TypeError("Cannot read properties of undefined (reading 'Item')");
    const broken = new AwsJsonClient(SECRETS_MANAGER_PROTOCOL, { endpoint: 'http://127.0.0.1:9', credentials })
      .use(() => async () => {
        attempts++;
        throw bug;
      })
      .use(retryingReads(3, 1));
    expect(await failure(broken.call('GetSecretValue', { SecretId: 'x' }))).toBe(bug);
    expect(attempts).toBe(1);
    expect(retryCause(bug)).toBeUndefined();
  });
});

describe('an answer that cannot be read', () => {
  it('is a lost answer to the store (the call may have been applied), whether cut off or not JSON', async () => {
    let truncated = true;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        if (truncated) {
          // Headers and half an answer, then the connection drops.
          res.write('{"Item":{"pk"');
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.end('<html>proxy error</html>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const client = new AwsJsonClient({ service: 'dynamodb', targetPrefix: 'DynamoDB_20120810', jsonVersion: '1.0' }, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials });
    try {
      const cut = await failure(client.call('GetItem', { TableName: 't', Key: {} }));
      expect(retryCause(cut)).toBe('no-answer');
      truncated = false;
      const garbled = await failure(client.call('GetItem', { TableName: 't', Key: {} }));
      expect(garbled.name).toBe('ResponseUnreadable');
      expect(retryCause(garbled)).toBe('no-answer');
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('where the client points and what it signs with', () => {
  it('takes the regional endpoint by default (China’s regions on their own domain)', () => {
    expect(regionalEndpoint('dynamodb', 'eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(regionalEndpoint('dynamodb', 'cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
  });

  it('takes the credentials Lambda sets, and says which are missing', () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' })).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toEqual({ accessKeyId: 'a', secretAccessKey: 'b' });
    expect(() => credentialsFromEnv({})).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
});
