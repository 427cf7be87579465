// Lists answered from the container's copy (platform/list-copies.ts) through
// each API's real handler on a real DynamoDB engine: an unchanged account's list
// costs one GetItem of #META (its revision); a write, by this container or
// another, makes the next list read the reasons; If-None-Match answers 304 for
// the same GetItem; and on DynamoDB as AWS documents it (a commit's items
// visible one by one), a list from the copy is still the state of one revision.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvokeHandler } from '../../functions/adapters/invoke/invoke.js';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { createStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import { createHandler } from '../../functions/entry/http.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { liveKey, partitionKey } from '../../functions/store/layout.js';
import { DocumentedDynamo } from '../support/documented-dynamo.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';
import { BASE, call, lambdaContext } from '../support/events.js';
import { faultyClient, isCommit, type FaultLayer } from '../support/fault-layer.js';
import { connectEvent } from './connect/helpers.js';

let table: TestTable;
const cleanup: Array<() => void> = [];
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => cleanup.forEach((f) => f()));

/** A container: its own store over a client whose calls are recorded, and the three APIs' handlers. */
function container() {
  const { client, faults } = faultyClient(dynamoEndpoint());
  faults.record = true;
  cleanup.push(() => client.destroy());
  const store = new DynamoStatusReasonStore({ client, tableName: table.tableName });
  return {
    store,
    faults,
    livePerson: createLivePersonHandler({ store: (scope) => store.scoped(scope) }),
    http: createHandler((scope) => store.scoped(scope), { connectGrants: undefined }),
    invoke: createInvokeHandler({ store: (scope) => store.scoped(scope) }),
  };
}

/** The DynamoDB operations `work` made through the container's client. */
async function callsOf(faults: FaultLayer, work: () => Promise<unknown>): Promise<string[]> {
  const from = faults.log.length;
  await work();
  return faults.log.slice(from).map((c) => c.operation);
}

const reasons = (texts: string[]) => texts.map((text) => ({ text, state: 'Away' as const, enabled: true, deleted: false }));

describe('LivePerson list', () => {
  it('an unchanged account: the second list is the copy, for one GetItem; a write elsewhere makes the next list read the reasons', async () => {
    const account = newAccount();
    const here = container();
    const elsewhere = container();
    await createStatusReasons(elsewhere.store, account, reasons(['a', 'b']));
    const list = () => call(here.livePerson, { method: 'GET', path: BASE(account) });

    let first: Awaited<ReturnType<typeof list>> | undefined;
    expect(await callsOf(here.faults, async () => (first = await list()))).toEqual(['Query', 'GetItem']);
    let second: Awaited<ReturnType<typeof list>> | undefined;
    expect(await callsOf(here.faults, async () => (second = await list()))).toEqual(['GetItem']);
    expect(second).toEqual(first);
    expect(second!.headers['ac-revision']).toBe('1');

    // Another container writes: this one's copy is at an older revision now.
    await replaceStatusReason(elsewhere.store, account, 1, { text: 'renamed', state: 'Online' });
    let third: Awaited<ReturnType<typeof list>> | undefined;
    expect(await callsOf(here.faults, async () => (third = await list()))).toEqual(['GetItem', 'Query', 'GetItem']);
    expect(third!.headers['ac-revision']).toBe('2');
    expect(third!.body.map((r: { text: string }) => r.text).sort()).toEqual(['b', 'renamed']);
    expect(await callsOf(here.faults, list)).toEqual(['GetItem']);
  });

  it('include_deleted has a copy of its own', async () => {
    const account = newAccount();
    const here = container();
    await createStatusReasons(here.store, account, reasons(['kept']));
    await createStatusReasons(here.store, account, [{ text: 'gone', state: 'Away', enabled: true, deleted: true }]);
    const all = () => call(here.livePerson, { method: 'GET', path: BASE(account), query: { include_deleted: 'true' } });
    const live = () => call(here.livePerson, { method: 'GET', path: BASE(account) });
    expect((await all()).body.map((r: { text: string }) => r.text).sort()).toEqual(['gone', 'kept']);
    expect((await live()).body.map((r: { text: string }) => r.text)).toEqual(['kept']);
    expect(await callsOf(here.faults, all)).toEqual(['GetItem']);
    expect((await all()).body).toHaveLength(2);
    expect(await callsOf(here.faults, live)).toEqual(['GetItem']);
  });

  it('If-None-Match current: 304 for one GetItem, with or without a copy; stale: the list', async () => {
    const account = newAccount();
    const here = container();
    await createStatusReasons(here.store, account, reasons(['a']));
    let answer: Awaited<ReturnType<typeof call>> | undefined;
    const conditional = (revision: string) => async () => (answer = await call(here.livePerson, { method: 'GET', path: BASE(account), headers: { 'if-none-match': revision } }));
    expect(await callsOf(here.faults, conditional('1'))).toEqual(['GetItem']);
    expect(answer!.status).toBe(304);
    expect(answer!.headers['ac-revision']).toBe('1');
    expect(await callsOf(here.faults, conditional('0'))).toEqual(['GetItem', 'Query', 'GetItem']);
    expect(answer!.status).toBe(200);
    expect(await callsOf(here.faults, conditional('1'))).toEqual(['GetItem']);
    expect(answer!.status).toBe(304);
  });

  it('a write through the same handler shows in the next list', async () => {
    const account = newAccount();
    const here = container();
    await call(here.livePerson, { method: 'POST', path: BASE(account), body: { text: 'one', state: 'Away' } });
    expect((await call(here.livePerson, { method: 'GET', path: BASE(account) })).body).toHaveLength(1);
    await call(here.livePerson, { method: 'POST', path: BASE(account), body: { text: 'two', state: 'Away' } });
    const after = await call(here.livePerson, { method: 'GET', path: BASE(account) });
    expect(after.headers['ac-revision']).toBe('2');
    expect(after.body).toHaveLength(2);
  });
});

describe('Connect ListAgentStatuses and SearchAgentStatuses', () => {
  it('page through the copy: one GetItem per page of an unchanged instance; a write elsewhere is seen', async () => {
    const account = newAccount();
    const here = container();
    const elsewhere = container();
    await createStatusReasons(elsewhere.store, account, reasons(['a', 'b', 'c']));
    const page = async (token?: string) => {
      const query = `?maxResults=2${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
      const event = connectEvent({ method: 'GET', path: `/agent-status/${account}` });
      event.rawQueryString = query.slice(1);
      const result = await here.http(event, lambdaContext());
      return JSON.parse(result.body!) as { AgentStatusSummaryList: { Name: string }[]; NextToken?: string };
    };
    const first = await page();
    expect(first.AgentStatusSummaryList.map((s) => s.Name)).toEqual(['a', 'b']);
    let second: Awaited<ReturnType<typeof page>> | undefined;
    expect(await callsOf(here.faults, async () => (second = await page(first.NextToken)))).toEqual(['GetItem']);
    expect(second!.AgentStatusSummaryList.map((s) => s.Name)).toEqual(['c']);

    const search = async () => {
      const result = await here.http(connectEvent({ method: 'POST', path: '/search-agent-statuses', body: { InstanceId: account } }), lambdaContext());
      return JSON.parse(result.body!) as { AgentStatuses: { Name: string }[] };
    };
    let found: Awaited<ReturnType<typeof search>> | undefined;
    expect(await callsOf(here.faults, async () => (found = await search()))).toEqual(['GetItem']);
    expect(found!.AgentStatuses.map((s) => s.Name)).toEqual(['a', 'b', 'c']);

    await replaceStatusReason(elsewhere.store, account, 2, { text: 'B', state: 'Away' });
    expect((await page()).AgentStatusSummaryList.map((s) => s.Name)).toEqual(['a', 'B']);
  });
});

describe('direct invoke listStatusReasons', () => {
  it('answers the copy for one GetItem, and the new state after a write elsewhere', async () => {
    const account = newAccount();
    const here = container();
    const elsewhere = container();
    await createStatusReasons(elsewhere.store, account, reasons(['x']));
    const list = () => here.invoke({ action: 'listStatusReasons', accountId: account }, lambdaContext()) as Promise<{ revision: string; items: { text: string }[] }>;
    const first = await list();
    let again: Awaited<ReturnType<typeof list>> | undefined;
    expect(await callsOf(here.faults, async () => (again = await list()))).toEqual(['GetItem']);
    expect(again).toEqual(first);
    await createStatusReasons(elsewhere.store, account, reasons(['y']));
    const after = await list();
    expect(after.revision).toBe('2');
    expect(after.items.map((r) => r.text).sort()).toEqual(['x', 'y']);
  });
});

describe('on DynamoDB as AWS documents it', () => {
  it('a list from the copy while a commit shows #META new and a reason old: never the old copy under the new revision, never a mix', async () => {
    const account = newAccount();
    await createStatusReasons(table.store(), account, reasons(['Before']));
    const model = new DocumentedDynamo({ endpoint: dynamoEndpoint() });
    cleanup.push(() => model.destroy());
    const { client, faults } = faultyClient(dynamoEndpoint(), undefined, model);
    cleanup.push(() => client.destroy());
    // The account's commits stay in flight 600 ms after the engine applied them, reason 1 showing old all along.
    faults.plan = (call) =>
      isCommit(call.input) && JSON.stringify(call.input).includes(partitionKey(account))
        ? { seed: 1, windowMs: 600, late: (key: Record<string, any>) => key.sk?.S === liveKey(1) }
        : { seed: 1, windowMs: 0 };
    const store = new DynamoStatusReasonStore({ client, tableName: table.tableName, requestMs: 6_000, attemptMs: 4_000 });
    const handler = createLivePersonHandler({ store: (scope) => store.scoped(scope) });
    const list = async () => {
      const res = await call(handler, { method: 'GET', path: BASE(account) });
      return { status: res.status, revision: res.headers['ac-revision'], texts: (res.body as { text: string }[] | undefined)?.map((r) => r.text) };
    };
    expect(await list()).toEqual({ status: 200, revision: '1', texts: ['Before'] }); // the copy at revision 1

    const rename = replaceStatusReason(store, account, 1, { text: 'After', state: 'Away' });
    // Lists while the commit is in flight: each the state of the revision it names.
    const seen: Array<Awaited<ReturnType<typeof list>>> = [];
    for (let i = 0; i < 6; i++) {
      seen.push(await list());
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await rename;
    seen.push(await list());
    for (const answer of seen) {
      expect(answer.status).toBe(200);
      expect(answer).toEqual(answer.revision === '1' ? { status: 200, revision: '1', texts: ['Before'] } : { status: 200, revision: '2', texts: ['After'] });
    }
    expect(seen[seen.length - 1]!.revision).toBe('2');
    expect(model.tally.readsMasked).toBeGreaterThan(0); // the torn reads took place
  });
});
