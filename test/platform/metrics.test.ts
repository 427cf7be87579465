// What the function emits as CloudWatch metrics (EMF lines on stdout), for
// every write outcome and every store event, captured from Powertools' output.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../functions/domain/errors.js';
import type { StatusReasonStore } from '../../functions/domain/store.js';
import { createHandler } from '../../functions/entry/http.js';
import { createInvokeEntry } from '../../functions/entry/invoke.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, STORE_RETRIES, WRITES_REFUSED, type RefusalKind } from '../../functions/platform/metric-names.js';
import { recordStoreEvent } from '../../functions/platform/metrics.js';
import type { StoreEvent } from '../../functions/store/events.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';
import { BASE, httpEvent, lambdaContext, type EventOptions } from '../support/events.js';

// The suite runs with metrics off (vitest.config.ts); this file needs them, before functions/platform/metrics.ts loads.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

interface Emf {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let lines: Emf[];
beforeEach(() => {
  lines = [];
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('{"_aws"')) {
      lines.push(JSON.parse(text) as Emf);
      return true;
    }
    return write(chunk, ...(rest as []));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The one EMF line an invocation wrote, as metric name → value, after checking its envelope. */
function emitted(): Record<string, unknown> {
  expect(lines).toHaveLength(1);
  const [line] = lines;
  const [directive] = line!._aws.CloudWatchMetrics;
  expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
  expect(directive!.Dimensions).toEqual([['service']]);
  expect(line!.service).toBe(SERVICE_NAME);
  return Object.fromEntries(directive!.Metrics.map((m) => [m.Name, line![m.Name]]));
}
const units = () => Object.fromEntries(lines.flatMap((l) => l._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit])));

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});

const http = (store: () => StatusReasonStore, options: EventOptions) => createHandler(store)(httpEvent(options), lambdaContext());
const post = (account: string, body: unknown, headers: Record<string, string> = {}) => http(() => table.store(), { method: 'POST', path: BASE(account), body, headers });

/** A store whose writes end as `outcome` says, having first reported `events` the way the real store would. */
function scriptedStore(outcome: () => Promise<never> | { replayed: boolean }, events: StoreEvent[] = []): StatusReasonStore {
  return {
    revision: async () => 0,
    read: async () => ({ revision: 0, reasons: [] }),
    get: async () => ({ revision: 0, reason: undefined }),
    changes: async () => ({ revision: 0, changes: [], more: false }),
    write: async () => {
      for (const event of events) recordStoreEvent(event);
      const result = await outcome();
      return { revision: 1, answer: { ids: [1], orders: [1] }, replayed: result.replayed };
    },
  };
}
const refuse = (error: unknown) => () => Promise.reject(error);

describe('write outcomes (through the HTTP entry)', () => {
  it('an applied write: WritesApplied 1, and nothing else', async () => {
    expect((await post(newAccount(), { text: 'Lunch', state: 'Away' })).statusCode).toBe(200);
    expect(emitted()).toEqual({ [METRIC.writesApplied]: 1 });
    expect(units()).toEqual({ [METRIC.writesApplied]: 'Count' });
  });

  it('a refused duplicate, on the real store: WritesRefusedDuplicate 1', async () => {
    const account = newAccount();
    await post(account, { text: 'Lunch', state: 'Away' });
    lines = [];
    expect((await post(account, { text: 'LUNCH', state: 'Away' })).statusCode).toBe(400);
    expect(emitted()).toEqual({ WritesRefusedDuplicate: 1 });
  });

  it('a revision conflict, on the real store: WritesRefusedRevisionConflict 1', async () => {
    expect((await post(newAccount(), { text: 'Lunch', state: 'Away' }, { 'if-match': '7' })).statusCode).toBe(409);
    expect(emitted()).toEqual({ WritesRefusedRevisionConflict: 1 });
  });

  it('a delete of an unknown reason, on the real store: WritesRefusedNotFound 1', async () => {
    expect((await http(() => table.store(), { method: 'DELETE', path: `${BASE(newAccount())}/9` })).statusCode).toBe(404);
    expect(emitted()).toEqual({ WritesRefusedNotFound: 1 });
  });

  it.each(Object.keys(WRITES_REFUSED) as RefusalKind[])('a write refused as %s: its own metric, 1', async (kind) => {
    const answer = await http(() => scriptedStore(refuse(new DomainError(kind, `refused: ${kind}`))), { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    // 4xx, or 503 for busy: nothing was written either way
    const status = answer.statusCode ?? 200;
    expect(status === 503 || (status >= 400 && status < 500)).toBe(true);
    expect(emitted()).toEqual({ [WRITES_REFUSED[kind]]: 1 });
  });

  it.each([
    ['the store says so (outcome_unknown)', new DomainError('outcome_unknown', 'lost')],
    ['an unexpected error', new Error('boom')],
  ])('an unknown outcome, %s: WritesOutcomeUnknown 1 (answered 500)', async (_, error) => {
    const answer = await http(() => scriptedStore(refuse(error)), { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    expect(answer.statusCode).toBe(500);
    expect(emitted()).toEqual({ [METRIC.writesOutcomeUnknown]: 1 });
  });

  it('a read emits no line at all', async () => {
    expect((await http(() => table.store(), { method: 'GET', path: BASE(newAccount()) })).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('an idempotent replay is not an applied write: only the store event counts it', async () => {
    const replay = scriptedStore(() => ({ replayed: true }), [{ type: 'idempotent-replay', accountId: '7' }]);
    const answer = await http(() => replay, { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    expect(answer.statusCode).toBe(200);
    expect(emitted()).toEqual({ [METRIC.idempotentReplays]: 1 });
  });
});

describe('store events, flushed with the invocation that saw them', () => {
  it('every kind of event becomes its metric, in one line with the outcome', async () => {
    const events: StoreEvent[] = [
      { type: 'lease-wait', accountId: '7', waitedMs: 0, taken: true },
      { type: 'lease-wait', accountId: '7', waitedMs: 8000, taken: false },
      { type: 'lease-taken-over', accountId: '7' },
      { type: 'lease-queue-full', accountId: '7', waiting: 10 },
      { type: 'retry', operation: 'BatchWriteItem', cause: 'unprocessed', attempt: 1 },
      { type: 'retry', operation: 'UpdateItem', cause: 'throttled', attempt: 1 },
      { type: 'retry', operation: 'UpdateItem', cause: 'throttled', attempt: 2 },
      { type: 'retry', operation: 'Query', cause: 'server-error', attempt: 1 },
      { type: 'retry', operation: 'UpdateItem', cause: 'no-answer', attempt: 1 },
      { type: 'lost-answer-recovered', operation: 'UpdateItem' },
      { type: 'write-grouped', accountId: '7', members: 4 },
      { type: 'outcome-unknown', accountId: '7', operation: 'UpdateItem' },
    ];
    await http(() => scriptedStore(() => ({ replayed: false }), events), { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    expect(emitted()).toEqual({
      [METRIC.leaseWaitMs]: [0, 8000],
      [METRIC.leaseWaitGaveUp]: 1,
      [METRIC.leaseTakeovers]: 1,
      [METRIC.leaseQueueFull]: 1,
      [STORE_RETRIES.unprocessed]: 1,
      [STORE_RETRIES.throttled]: [1, 1],
      [STORE_RETRIES['server-error']]: 1,
      [STORE_RETRIES['no-answer']]: 1,
      [METRIC.lostAnswersRecovered]: 1,
      [METRIC.groupedWrites]: 4,
      // outcome-unknown is counted by the write's answer (here: applied), not twice
      [METRIC.writesApplied]: 1,
    });
    expect(units()[METRIC.leaseWaitMs]).toBe('Milliseconds');
  });

  it('the direct-invoke entry flushes too, refusals included', async () => {
    const answer = await createInvokeEntry(() => scriptedStore(refuse(new DomainError('overloaded', 'too many waiting')), [{ type: 'lease-queue-full', accountId: '7', waiting: 10 }]))(
      { action: 'createStatusReasons', accountId: '7', items: [{ text: 'x', state: 'Away' }] },
      lambdaContext(),
    );
    expect(answer).toMatchObject({ error: { type: 'Busy' } });
    expect(emitted()).toEqual({ [METRIC.leaseQueueFull]: 1, [WRITES_REFUSED.overloaded]: 1 });
  });

  it('one invocation does not carry over into the next', async () => {
    await http(() => scriptedStore(() => ({ replayed: false }), [{ type: 'lease-taken-over', accountId: '7' }]), { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    lines = [];
    await http(() => scriptedStore(() => ({ replayed: false })), { method: 'POST', path: BASE('7'), body: { text: 'x', state: 'Away' } });
    expect(emitted()).toEqual({ [METRIC.writesApplied]: 1 });
  });
});
