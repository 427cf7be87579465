// Properties of every Connect operation other than CreateAgentStatus (which
// property.test.ts covers), through the function's handler on a real DynamoDB
// engine: whatever the body, query string or path, never a 5xx; a refusal is
// always a Connect error; a success is JSON of the operation's shape, or empty.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { connectEvent, expectConnectError } from './helpers.js';

let handler: Handler;
let account: string;
const arnOf = (id: number | string) => `arn:aws:connect:us-east-1:123456789012:instance/${account}/agent-state/${id}`;

beforeAll(async () => {
  const store = (await createTestTable()).store();
  handler = createHandler(() => store);
  account = newAccount();
  for (const Name of ['Lunch', 'Training', 'Meeting']) {
    const res = await send('PUT', `/agent-status/${account}`, '', JSON.stringify({ Name, State: 'ENABLED', Tags: { team: 'a' } }));
    expect(res.status).toBe(200);
  }
});

async function send(method: string, path: string, rawQuery: string, rawBody?: string) {
  const event = connectEvent({ method, path, ...(rawBody !== undefined && { rawBody }), headers: rawBody === undefined ? {} : { 'content-type': 'application/json' } });
  event.rawQueryString = rawQuery;
  const result = await handler(event, lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body };
}

/** Never a 5xx; a refusal in Connect's shape; a success with a JSON object or an empty body. */
function expectAnswer(res: Awaited<ReturnType<typeof send>>, success: (body: any) => void = () => {}): void {
  expect(res.status).toBeLessThan(500);
  if (res.status !== 200) return expectConnectError(res);
  if (res.body === undefined) return;
  const body = JSON.parse(res.body);
  expect(typeof body).toBe('object');
  success(body);
}

const RUNS = { numRuns: 100 };
const anyText = fc.oneof(fc.string({ maxLength: 140 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', ' ', 'aws:x', 'AWS:y', 'ｌｕｎｃｈ', 'a\u0000b'));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.jsonValue());

describe('UpdateAgentStatus never answers 5xx', () => {
  const update = fc.record(
    {
      Name: maybe(anyText),
      Description: maybe(fc.string({ maxLength: 260 })),
      State: maybe(fc.constantFrom('ENABLED', 'DISABLED', 'enabled', '')),
      DisplayOrder: maybe(fc.oneof(fc.integer({ min: -5, max: 60 }), fc.double())),
      ResetOrderNumber: maybe(fc.boolean()),
      Extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  it('for near-valid and arbitrary JSON bodies, on existing and unknown ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(update, fc.jsonValue()), fc.constantFrom('1', '2', '3', '99', 'x'), async (body, id) =>
        expectAnswer(await send('POST', `/agent-status/${account}/${id}`, '', JSON.stringify(body)), (answer) => expect(answer).toEqual({})),
      ),
      RUNS,
    );
  });
});

describe('SearchAgentStatuses never answers 5xx', () => {
  const { criteria } = fc.letrec<{ criteria: unknown }>((tie) => ({
    criteria: fc.record(
      {
        OrConditions: fc.array(tie('criteria'), { maxLength: 3 }),
        AndConditions: fc.array(tie('criteria'), { maxLength: 3 }),
        StringCondition: fc.record(
          {
            FieldName: maybe(fc.constantFrom('name', 'description', 'state', 'type', 'displayOrder', 'resourceID', 'Name', 'tags')),
            Value: maybe(anyText),
            ComparisonType: maybe(fc.constantFrom('STARTS_WITH', 'CONTAINS', 'EXACT', 'ENDS_WITH')),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
  }));
  const tagCondition = fc.record({ TagKey: maybe(anyText), TagValue: maybe(anyText) }, { requiredKeys: [] });
  const filter = fc.record(
    {
      AttributeFilter: fc.record(
        {
          OrConditions: fc.array(fc.record({ TagConditions: fc.array(tagCondition, { maxLength: 3 }) }), { maxLength: 3 }),
          AndCondition: fc.record({ TagConditions: maybe(fc.array(tagCondition, { maxLength: 3 })) }),
          TagCondition: tagCondition,
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  const search = fc.record(
    {
      InstanceId: fc.oneof(fc.constant('ACCOUNT'), anyText, fc.jsonValue()),
      MaxResults: maybe(fc.integer({ min: -1, max: 102 })),
      NextToken: maybe(fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 60 }))),
      SearchCriteria: maybe(criteria),
      SearchFilter: maybe(filter),
    },
    { requiredKeys: [] },
  );

  it('for near-valid and arbitrary JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(search, fc.jsonValue()), async (body) => {
        const json = JSON.stringify(body).replaceAll('"ACCOUNT"', JSON.stringify(account));
        expectAnswer(await send('POST', '/search-agent-statuses', '', json), (answer) => {
          expect(Array.isArray(answer.AgentStatuses)).toBe(true);
          expect(answer.ApproximateTotalCount).toBeGreaterThanOrEqual(answer.AgentStatuses.length);
        });
      }),
      RUNS,
    );
  });
});

describe('TagResource, UntagResource and ListTagsForResource never answer 5xx', () => {
  const tags = fc.oneof(fc.dictionary(anyText, maybe(fc.string({ maxLength: 260 })), { maxKeys: 55 }), fc.jsonValue());

  it('for arbitrary tag bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ tags }, { requiredKeys: [] }), fc.jsonValue()), fc.constantFrom('1', '2', '42'), async (body, id) =>
        expectAnswer(await send('POST', `/tags/${encodeURIComponent(arnOf(id))}`, '', JSON.stringify(body)), (answer) => expect(answer).toEqual({})),
      ),
      RUNS,
    );
  });

  it('for arbitrary untag query strings', async () => {
    const query = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(anyText, { maxLength: 55 }).map((keys) => keys.map((k) => `tagKeys=${encodeURIComponent(k)}`).join('&')),
    );
    await fc.assert(fc.asyncProperty(query, async (q) => expectAnswer(await send('DELETE', `/tags/${encodeURIComponent(arnOf(3))}`, q))), RUNS);
  });

  it('for arbitrary resource ARNs in the path', async () => {
    const arn = fc.oneof(
      fc.string({ minLength: 1, maxLength: 120 }),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.tuple(anyText, fc.nat()).map(([instance, id]) => `arn:aws:connect:us-east-1:123456789012:instance/${instance}/agent-state/${id}`),
    );
    await fc.assert(
      fc.asyncProperty(arn, fc.boolean(), async (value, encoded) => {
        const segment = encoded ? encodeURIComponent(value) : value.replaceAll('?', '%3F').replaceAll('#', '%23');
        expectAnswer(await send('GET', `/tags/${segment}`, ''), (answer) => expect(typeof answer.tags).toBe('object'));
      }),
      RUNS,
    );
  });
});

describe('ListAgentStatuses and DescribeAgentStatus never answer 5xx', () => {
  it('for arbitrary query strings', async () => {
    const structured = fc
      .record(
        {
          maxResults: fc.array(fc.oneof(fc.integer({ min: -2, max: 1002 }).map(String), fc.string({ maxLength: 8 })), { maxLength: 2 }),
          nextToken: fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 60 })), { maxLength: 2 }),
          AgentStatusTypes: fc.array(fc.oneof(fc.constantFrom('CUSTOM', 'ROUTABLE', 'OFFLINE'), fc.string({ maxLength: 8 })), { maxLength: 5 }),
        },
        { requiredKeys: [] },
      )
      .map((params) =>
        Object.entries(params)
          .flatMap(([name, values]) => values.map((v) => `${name}=${encodeURIComponent(v)}`))
          .join('&'),
      );
    await fc.assert(
      fc.asyncProperty(fc.oneof(structured, fc.string({ maxLength: 80 })), async (query) =>
        expectAnswer(await send('GET', `/agent-status/${account}`, query), (answer) => expect(Array.isArray(answer.AgentStatusSummaryList)).toBe(true)),
      ),
      RUNS,
    );
  });

  it('for arbitrary InstanceIds and AgentStatusIds', async () => {
    const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), fc.constantFrom('1', '0', '-1', '1e3', '9007199254740993', account));
    await fc.assert(
      fc.asyncProperty(segment, segment, async (instance, id) =>
        expectAnswer(await send('GET', `/agent-status/${encodeURIComponent(instance)}/${encodeURIComponent(id)}`, ''), (answer) => expect(answer.AgentStatus.Type).toBe('CUSTOM')),
      ),
      RUNS,
    );
  });
});
