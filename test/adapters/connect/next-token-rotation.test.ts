// A rotation of the NextToken secret: the adapter seals with the current value
// and also opens with the previous one, so a listing in flight survives one
// rotation (and not two). The keys come from a provider, as the deployed
// function's come from Secrets Manager (platform/secret-versions.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { createConnectHandler } from '../../../functions/adapters/connect/connect.js';
import type { SecretVersions } from '../../../functions/platform/secret-versions.js';
import { createTestTable, newAccount, type TestTable } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { connectEvent } from './helpers.js';

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

describe('NextTokens across a rotation of the secret', () => {
  it('open with the previous value after one rotation, and not after two; new ones are sealed with the current value', async () => {
    let keys: SecretVersions = { current: 'first' };
    const handler = createConnectHandler({ store: () => table.store(), nextTokenKeys: async () => keys });
    const account = newAccount();
    for (const name of ['a', 'b', 'c']) {
      expect((await handler(connectEvent({ path: `/agent-status/${account}`, body: { Name: name, State: 'ENABLED' } }), lambdaContext())).statusCode).toBe(200);
    }
    const list = async (token?: string) => {
      const event = connectEvent({ method: 'GET', path: `/agent-status/${account}` });
      const query = { maxResults: '1', ...(token && { nextToken: token }) };
      event.rawQueryString = new URLSearchParams(query).toString();
      event.queryStringParameters = query;
      const res = await handler(event, lambdaContext());
      return { status: res.statusCode, body: JSON.parse(res.body!) as { NextToken?: string; AgentStatusSummaryList?: { Name: string }[] } };
    };
    const first = await list();
    const sealedWithFirst = first.body.NextToken!;

    keys = { current: 'second', previous: 'first' };
    const continued = await list(sealedWithFirst);
    expect(continued.status).toBe(200);
    expect(continued.body.AgentStatusSummaryList!.map((s) => s.Name)).toEqual(['b']);
    // Sealed with the current value: it opens with only that one.
    const sealedWithSecond = continued.body.NextToken!;
    keys = { current: 'second' };
    expect((await list(sealedWithSecond)).status).toBe(200);

    keys = { current: 'third', previous: 'second' };
    expect((await list(sealedWithFirst)).status).toBe(400);
    expect((await list(sealedWithSecond)).status).toBe(200);
  });

  it('a write does not read the keys (a failing secret read cannot fail it)', async () => {
    const handler = createConnectHandler({
      store: () => table.store(),
      nextTokenKeys: async () => {
        throw new Error('secrets manager is down');
      },
    });
    const res = await handler(connectEvent({ path: `/agent-status/${newAccount()}`, body: { Name: 'x', State: 'ENABLED' } }), lambdaContext());
    expect(res.statusCode).toBe(200);
  });
});
