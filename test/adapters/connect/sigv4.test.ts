// The local server's SigV4 check on the Connect route: what it accepts, what it
// refuses (403, nothing written).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listStatusReasons } from '../../../functions/domain/status-reasons.js';
import type { DynamoStatusReasonStore } from '../../../functions/store/dynamo-store.js';
import type { LocalServer } from '../../../infra/local/server.js';
import { createSigV4Verifier } from '../../../infra/local/sigv4.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { rawRequest, startServer, type RawRequest } from './helpers.js';

let store: DynamoStatusReasonStore;
let server: LocalServer;
beforeAll(async () => {
  const table = await createTestTable();
  store = table.store();
  server = await startServer(() => store);
});
afterAll(async () => {
  await server?.close();
});

const BODY = JSON.stringify({ Name: 'Lunch', State: 'ENABLED' });
const put = (account: string, extra: Partial<RawRequest> = {}) => rawRequest(server, { path: `/agent-status/${account}`, body: BODY, ...extra });
const minutes = (n: number) => new Date(Date.now() + n * 60_000);
const nothingWritten = async (account: string) => expect(await listStatusReasons(store, account)).toEqual({ revision: 0, items: [] });

describe('accepted', () => {
  it.each(['connect', 'execute-api'])('a request signed for %s with the local credentials', async (service) => {
    const res = await put(newAccount(), { sign: { service } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ AgentStatusARN: expect.stringMatching(/^arn:aws:connect:us-east-1:000000000000:instance\/acct-[^/]+\/agent-state\/1$/), AgentStatusId: '1' });
  });

  it('a request signed 14 minutes ago, or 14 minutes ahead', async () => {
    expect((await put(newAccount(), { sign: { date: minutes(-14) } })).status).toBe(200);
    expect((await put(newAccount(), { sign: { date: minutes(14) } })).status).toBe(200);
  });

  it('a request with a signed query string and extra unsigned headers', async () => {
    const account = newAccount();
    const res = await put(account, {
      path: `/agent-status/${account}?x=1&y=a%20b`,
      sign: {},
      tamper: (request) => {
        request.headers['x-unsigned'] = 'added after signing';
      },
    });
    expect(res.status).toBe(200);
  });
});

describe('refused with 403, nothing written', () => {
  const cases: [string, Partial<RawRequest>][] = [
    ['an unsigned request', { sign: false }],
    ['a wrong secret', { sign: { secretAccessKey: 'wrong' } }],
    ['another access key', { sign: { accessKeyId: 'AKIDEXAMPLE' } }],
    ['another service in the scope', { sign: { service: 's3' } }],
    ['an X-Amz-Date 16 minutes old', { sign: { date: minutes(-16) } }],
    ['an X-Amz-Date 16 minutes ahead', { sign: { date: minutes(16) } }],
    ['a body changed after signing', { tamper: (r) => void (r.body = JSON.stringify({ Name: 'Other', State: 'ENABLED' })) }],
    ['a signed header changed after signing', { tamper: (r) => void (r.headers['content-type'] = 'application/json; charset=utf-8') }],
    ['X-Amz-Date changed after signing', { tamper: (r) => void (r.headers['x-amz-date'] = minutes(-1).toISOString().replace(/[-:]|\.\d{3}/g, '')) }],
    ['a garbled Authorization', { tamper: (r) => void (r.headers.authorization = r.headers.authorization!.replace('Signature=', 'Signature=0')) }],
    ['a Bearer token', { sign: false, headers: { authorization: 'Bearer abc.def.ghi' } }],
    ['a payload hash that is not the body\'s', { headers: { 'x-amz-content-sha256': createHash('sha256').update('{}').digest('hex') } }],
  ];
  it.each(cases)('%s', async (_, extra) => {
    const account = newAccount();
    const res = await put(account, extra);
    expect(res.status).toBe(403);
    await nothingWritten(account);
  });

  it('a request signed for another path', async () => {
    const account = newAccount();
    const res = await put(account, { tamper: (r) => void (r.path = `/agent-status/${account}x`) });
    expect(res.status).toBe(403);
    await nothingWritten(account);
    await nothingWritten(`${account}x`);
  });

  it('a signed query string changed after signing', async () => {
    const account = newAccount();
    const res = await put(account, { path: `/agent-status/${account}?x=1`, tamper: (r) => void (r.path = `/agent-status/${account}?x=2`) });
    expect(res.status).toBe(403);
    await nothingWritten(account);
  });
});

describe('the verifier on its own', () => {
  it('takes its credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and reports the caller', async () => {
    const verify = createSigV4Verifier({ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'shh', accountId: '111122223333' });
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const { Sha256 } = await import('@aws-crypto/sha256-js');
    const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'shh' }, region: 'eu-west-1', service: 'execute-api', sha256: Sha256 });
    const signed = await signer.sign(new HttpRequest({ method: 'PUT', hostname: 'example.com', path: '/agent-status/a', headers: { host: 'example.com' }, body: BODY }));
    const request = { method: 'PUT', path: '/agent-status/a', query: new URLSearchParams(), headers: signed.headers as Record<string, string>, body: Buffer.from(BODY) };
    expect(await verify(request)).toEqual({ accessKey: 'AKIDLOCAL', accountId: '111122223333' });
    expect(await verify({ ...request, method: 'POST' })).toBeUndefined();
    const { host: _host, ...withoutHost } = request.headers;
    expect(await verify({ ...request, headers: withoutHost })).toBeUndefined();
  });
});
