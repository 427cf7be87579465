// SearchAgentStatuses' bounds on its own cost: every node counts against the
// cap, empty ones included, and is counted before any schema walks the body;
// a StringCondition's Value and a tag condition's key and value are bounded by
// the longest field they can match. (What the worst allowed search costs
// beside a plain one is measured by test/bench/input-costs.ts, not here.)
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_LIMITS } from '../../../functions/adapters/connect/connect.js';
import { createHandler, type Handler } from '../../../functions/entry/http.js';
import { createTestTable, newAccount } from '../../support/dynamo.js';
import { lambdaContext } from '../../support/events.js';
import { connectEvent, expectConnectError } from './helpers.js';

let handler: Handler;
let account: string;
beforeAll(async () => {
  const store = (await createTestTable()).store();
  handler = createHandler(() => store, { connectGrants: undefined });
  account = newAccount();
  for (const [Name, Description] of [['Lunch break', 'Out to eat'], ['Training', 'd'.repeat(250)]]) {
    const res = await send('PUT', `/agent-status/${account}`, { Name, Description, State: 'ENABLED', Tags: { team: 'a' } });
    expect(res.status).toBe(200);
  }
});

async function send(method: string, path: string, body: unknown) {
  const result = await handler(connectEvent({ method, path, rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } }), lambdaContext());
  return { status: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body };
}
const search = (rest: Record<string, unknown>) => send('POST', '/search-agent-statuses', { InstanceId: account, ...rest });
const condition = (Value: string, ComparisonType = 'CONTAINS', FieldName = 'description') => ({ StringCondition: { FieldName, Value, ComparisonType } });
const empties = (n: number) => Array.from({ length: n }, () => ({}));

async function expectRefused(rest: Record<string, unknown>, message: RegExp) {
  const res = await search(rest);
  expect(res.status).toBe(400);
  expectConnectError(res);
  expect(res.headers['x-amzn-ErrorType']).toBe('InvalidParameterException');
  expect(JSON.parse(res.body!).Message).toMatch(message);
}

describe('SearchAgentStatuses counts every node', () => {
  it(`refuses more than ${CONNECT_LIMITS.searchNodesMax} nodes, empty ones included, however they are nested`, async () => {
    const nodes = /at most 200 nodes/;
    await expectRefused({ SearchCriteria: { AndConditions: empties(200) } }, nodes);
    await expectRefused({ SearchCriteria: { AndConditions: empties(85_000) } }, nodes);
    await expectRefused({ SearchCriteria: { OrConditions: Array.from({ length: 100 }, () => ({ AndConditions: [{}, {}] })) } }, nodes);
    const tagGroups = Array.from({ length: 67 }, () => ({ TagConditions: [{ TagKey: 'team' }, { TagKey: 'x' }] }));
    await expectRefused({ SearchFilter: { AttributeFilter: { OrConditions: tagGroups } } }, nodes);
  });

  it('answers searches within the bounds: 199 empty nodes, and 100 conditions under one node', async () => {
    const empty = await search({ SearchCriteria: { AndConditions: empties(199) } });
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body!).ApproximateTotalCount).toBe(2);
    const hundred = await search({ SearchCriteria: { OrConditions: [...Array.from({ length: 99 }, (_, i) => condition(`nothing ${i}`)), condition('EAT')] } });
    expect(hundred.status).toBe(200);
    expect(JSON.parse(hundred.body!).AgentStatuses.map((s: { Name: string }) => s.Name)).toEqual(['Lunch break']);
  });

  it('still refuses more than 100 conditions', async () => {
    await expectRefused({ SearchCriteria: { OrConditions: Array.from({ length: 101 }, (_, i) => condition(`n${i}`)) } }, /at most 100 conditions/);
  });
});

describe('SearchAgentStatuses bounds what a condition compares', () => {
  it(`refuses a Value over ${CONNECT_LIMITS.searchValueMax} characters, naming it; ${CONNECT_LIMITS.searchValueMax} is fine`, async () => {
    await expectRefused({ SearchCriteria: condition('d'.repeat(251)) }, /SearchCriteria\.StringCondition\.Value must be at most 250 characters/);
    await expectRefused({ SearchCriteria: condition('d'.repeat(250_000)) }, /Value must be at most 250 characters/);
    const longest = await search({ SearchCriteria: condition('D'.repeat(250), 'EXACT') });
    expect(JSON.parse(longest.body!).ApproximateTotalCount).toBe(0);
    const same = await search({ SearchCriteria: condition('D'.repeat(250), 'STARTS_WITH') });
    expect(JSON.parse(same.body!).AgentStatuses.map((s: { Name: string }) => s.Name)).toEqual(['Training']);
  });

  it('refuses a TagKey over 128 or a TagValue over 256 characters', async () => {
    await expectRefused({ SearchFilter: { AttributeFilter: { TagCondition: { TagKey: 'k'.repeat(129) } } } }, /TagKey must be at most 128/);
    await expectRefused({ SearchFilter: { AttributeFilter: { TagCondition: { TagKey: 'team', TagValue: 'v'.repeat(257) } } } }, /TagValue must be at most 256/);
  });

  it('compares each condition as before: STARTS_WITH and CONTAINS ignore case, EXACT does not', async () => {
    const names = async (criteria: unknown) => JSON.parse((await search({ SearchCriteria: criteria })).body!).AgentStatuses.map((s: { Name: string }) => s.Name);
    expect(await names(condition('LUNCH', 'STARTS_WITH', 'name'))).toEqual(['Lunch break']);
    expect(await names(condition('BREAK', 'CONTAINS', 'name'))).toEqual(['Lunch break']);
    expect(await names(condition('lunch break', 'EXACT', 'name'))).toEqual([]);
    expect(await names({ AndConditions: [condition('t', 'STARTS_WITH', 'name'), condition('ENABLED', 'EXACT', 'state')] })).toEqual(['Training']);
  });
});
