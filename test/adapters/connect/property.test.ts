// Properties of the Connect route through the function's handler, on a real
// DynamoDB engine: whatever the body, never a 5xx, and every refusal is a
// Connect error (`x-amzn-ErrorType` naming a Connect type with its status,
// `{"Message": "..."}`).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { textKey } from '../../../functions/domain/status-reason.js';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { connectEvent, expectConnectError } from './helpers.js';

let handler: Handler;
beforeAll(async () => {
  const table = await createTestTable();
  const store = table.store();
  handler = createHandler(() => store);
});

async function send(path: string, rawBody: string, contentType = 'application/json') {
  const result = await handler(connectEvent({ path, rawBody, headers: { 'content-type': contentType } }), lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body };
}

function expectConnectAnswer(res: { status: number; headers: Record<string, string>; body: string | undefined }): void {
  expect(res.status).toBeLessThan(500);
  const body = JSON.parse(res.body ?? 'null');
  if (res.status === 200) {
    expect(body).toEqual({ AgentStatusARN: expect.stringMatching(/^arn:aws:connect:[^:]+:\d{12}:instance\/[^/]+\/agent-state\/\d+$/), AgentStatusId: expect.stringMatching(/^\d+$/) });
    return;
  }
  expectConnectError(res);
}

const RUNS = { numRuns: 100 };
const text = fc.oneof(fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 140 }), fc.constantFrom('', ' ', '  Lunch  ', 'ｌｕｎｃｈ', 'a\u0000b'));
const nearValid = fc.record(
  {
    Name: fc.oneof(text, fc.jsonValue()),
    State: fc.oneof(fc.constantFrom('ENABLED', 'DISABLED', 'enabled', 'Away', ''), fc.jsonValue()),
    DisplayOrder: fc.oneof(fc.integer({ min: -5, max: 60 }), fc.double(), fc.constantFrom(1, 50, 2 ** 53, -0), fc.jsonValue()),
    Description: fc.oneof(fc.string({ maxLength: 260 }), fc.jsonValue()),
    Tags: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 130 }), fc.string({ maxLength: 260 }), { maxKeys: 55 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
      fc.jsonValue(),
    ),
    Extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe('the Connect route never answers 5xx, and always in Connect\'s error shape', () => {
  it('for arbitrary JSON bodies', async () => {
    const account = newAccount();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => expectConnectAnswer(await send(`/agent-status/${account}`, JSON.stringify(value)))),
      RUNS,
    );
  });

  it('for arbitrary strings as the body, and arbitrary content types', async () => {
    const account = newAccount();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), fc.constantFrom('application/json', 'text/plain', 'application/x-amz-json-1.1', ''), async (body, type) =>
        expectConnectAnswer(await send(`/agent-status/${account}`, body, type)),
      ),
      RUNS,
    );
  });

  it('for near-valid CreateAgentStatus bodies', async () => {
    const account = newAccount();
    await fc.assert(
      fc.asyncProperty(nearValid, async (body) => expectConnectAnswer(await send(`/agent-status/${account}`, JSON.stringify(body)))),
      RUNS,
    );
  });

  it('for arbitrary InstanceIds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ unit: 'binary', minLength: 1 }), fc.stringMatching(/^[A-Za-z0-9._-]{1,70}$/)), async (id) =>
        expectConnectAnswer(await send(`/agent-status/${encodeURIComponent(id)}`, JSON.stringify({ Name: 'Lunch', State: 'ENABLED' }))),
      ),
      RUNS,
    );
  });

  it('for valid bodies: a 200 whose id the next request\'s duplicate Name is refused against', async () => {
    const account = newAccount();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0 && !/[\u0000-\u001f\u007f]/.test(s)), async (name) => {
        const first = await send(`/agent-status/${account}`, JSON.stringify({ Name: name, State: 'ENABLED' }));
        expectConnectAnswer(first);
        const again = await send(`/agent-status/${account}`, JSON.stringify({ Name: ` ${name.toUpperCase()} `, State: 'DISABLED' }));
        expectConnectAnswer(again);
        if (first.status !== 400 && textKey(name.toUpperCase()) === textKey(name)) expect(again.status).toBe(409);
      }),
      RUNS,
    );
    // 200 writes one after another: about 3 s alone, but 28-30 s in the full suite beside the
    // concurrency tests on a 2-core machine (DynamoDB Local shared), against the default 30 s.
  }, 120_000);
});
