// Change events as `npm start` publishes them: DynamoDB Local's stream, read by
// the local poller (infra/local/change-stream.ts), through the same publishing
// code as the deployed publisher (functions/entry/publish-changes.ts), into the
// local sink. An event per successful write, in revision order per account,
// each the history entry plus its account; none for a refused write; an entry
// over EventBridge's 256 KB cut short with its counts; a refused put resent in
// order; the sink served at GET /dev/events to loopback callers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_ENTRY_MAX_BYTES } from '../../functions/domain/change-events.js';
import type { ChangeEntry } from '../../functions/domain/changes.js';
import { DomainError } from '../../functions/domain/errors.js';
import { LIMITS, type NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, deleteStatusReason, reorderStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import type { ChangeBus, ChangeEvent } from '../../functions/entry/publish-changes.js';
import type { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { localCredentials } from '../../infra/local/dynamodb-local.js';
import { LocalEventSink, startChangeStream, type ChangeStream, type PublishedEvent } from '../../infra/local/change-stream.js';
import { loadOrCreateKeys } from '../../infra/local/jwt.js';
import { startLocalServer } from '../../infra/local/server.js';
import { createTestTable, dynamoEndpoint, newAccount, type TestTable } from '../support/dynamo.js';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { headKey } from '../../functions/store/history.js';
import { partitionKey } from '../../functions/store/layout.js';

let table: TestTable;
let store: DynamoStatusReasonStore;
let sink: LocalEventSink;
let stream: ChangeStream;
const lines: string[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'asr-events-'));
const file = path.join(dir, 'events.jsonl');

beforeAll(async () => {
  table = await createTestTable();
  store = table.store({ requestMs: 60_000, leaseMs: 90_000, attemptMs: 20_000 });
  sink = new LocalEventSink({ log: (line) => lines.push(line), file });
  stream = await startChangeStream({ endpoint: dynamoEndpoint(), credentials: localCredentials, tableName: table.tableName, bus: sink, from: 'TRIM_HORIZON' });
});
afterAll(async () => {
  await stream?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const reason = (text: string, extra: Partial<NewReason> = {}): NewReason => ({ text, state: 'Away', enabled: true, deleted: false, ...extra });
const eventsOf = (account: string, events: readonly PublishedEvent[] = sink.events) => events.filter((e) => e.accountId === account);
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as DomainError);

async function entries(account: string): Promise<ChangeEntry[]> {
  const page = await store.changes(account, 0, 100);
  return page.changes;
}

describe('change events from DynamoDB Local\'s stream', () => {
  it('publishes one event per successful write, in revision order per account, each the entry plus its account, and logs a line each', async () => {
    const [a, b] = [newAccount(), newAccount()];
    const [first, second] = (await createStatusReasons(store, a, [reason('Lunch'), reason('Break')])).items;
    await createStatusReasons(store, b, [reason('Training')]);
    await replaceStatusReason(store, a, first!.id, { text: 'Lunch break', state: 'Away' });
    await deleteStatusReason(store, a, second!.id);
    await replaceStatusReason(store, a, second!.id, { text: 'Break', state: 'Away', deleted: false });
    await reorderStatusReasons(store, a, [second!.id, first!.id]);
    await createStatusReasons(store, b, [reason('Meeting')]);
    await stream.drain();

    for (const account of [a, b]) {
      const published = eventsOf(account);
      const stored = await entries(account);
      // At least once: a revision may repeat, never go back past one not yet published.
      const firsts = published.filter((e, i) => published.findIndex((o) => o.revision === e.revision) === i);
      expect(firsts.map((e) => e.revision)).toEqual(stored.map((e) => e.revision));
      for (const event of firsts) expect(event.detail).toEqual({ ...stored.find((e) => e.revision === event.revision), accountId: account });
    }
    expect(eventsOf(a).map((e) => (e.detail as unknown as ChangeEntry).changes.map((c) => c.op))).toEqual([['created', 'created'], ['updated'], ['deleted'], ['restored'], ['reordered']]);
    expect(lines.some((line) => line === `event: account ${b} revision 2 via invoke, 1 change`)).toBe(true);
    // The JSON-lines file holds what the sink holds.
    const fromFile = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PublishedEvent);
    expect(eventsOf(a, fromFile).map((e) => e.revision)).toEqual(eventsOf(a).map((e) => e.revision));
  }, 60_000);

  it('publishes nothing for a refused write', async () => {
    const account = newAccount();
    await createStatusReasons(store, account, [reason('Lunch')]);
    expect(await refusal(createStatusReasons(store, account, [reason('  LUNCH ')]))).toBeInstanceOf(DomainError);
    expect(await refusal(createStatusReasons(store, account, [reason('Coffee')], { ifMatch: 0 }))).toBeInstanceOf(DomainError);
    expect(await refusal(deleteStatusReason(store, account, 999))).toBeInstanceOf(DomainError);
    await createStatusReasons(store, account, [reason('Coffee')]);
    await stream.drain();
    expect(eventsOf(account).map((e) => e.revision)).toEqual([1, 2]);
    expect(eventsOf(account).flatMap((e) => (e.detail as unknown as ChangeEntry).changes.map((c) => c.reason.text))).toEqual(['Lunch', 'Coffee']);
  }, 60_000);

  it('cuts an entry over 256 KB short: truncated, its counts, the first changes that fit; the parts of a large entry are read from the table', async () => {
    const account = newAccount();
    let x = 7;
    const noise = (length: number) => {
      let out = '';
      for (let i = 0; i < length; i++) out += String.fromCharCode(0x4e00 + ((x = (x * 1103515245 + 12345) % 2 ** 31) % 20_000));
      return out;
    };
    // About 1 MB of entry: over 256 KB, and over 8 KiB gzip'd (so it is stored in parts).
    const items = Array.from({ length: 100 }, (_, i) =>
      reason(`big ${i}`, { description: noise(LIMITS.descriptionMax), tags: Object.fromEntries(Array.from({ length: 5 }, (_, t) => [`tag${t}`, noise(LIMITS.tagValueMax)])) }),
    );
    await createStatusReasons(store, account, items);
    await stream.drain();
    const [event] = eventsOf(account);
    const [entry] = await entries(account);
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeGreaterThan(EVENT_ENTRY_MAX_BYTES);
    expect(event!.bytes).toBeLessThanOrEqual(EVENT_ENTRY_MAX_BYTES);
    const detail = event!.detail as unknown as ChangeEntry & { truncated: boolean; counts: Record<string, number> };
    expect(detail.truncated).toBe(true);
    expect(detail.counts).toEqual({ changes: 100, included: detail.changes.length, created: 100 });
    expect(detail.changes.length).toBeGreaterThan(0);
    expect(detail.changes.length).toBeLessThan(100);
    expect(detail.changes).toEqual(entry!.changes.slice(0, detail.changes.length));
    expect({ revision: detail.revision, at: detail.at, via: detail.via, actor: detail.actor }).toEqual({ revision: entry!.revision, at: entry!.at, via: entry!.via, actor: entry!.actor });
    expect(lines.some((line) => line.startsWith(`event: account ${account} revision 1 via invoke, ${detail.changes.length} changes (truncated: `))).toBe(true);
  }, 120_000);

  it('sends a refused put again, and everything after it, in order (at least once)', async () => {
    const account = newAccount();
    const collected = new LocalEventSink();
    let puts = 0;
    // EventBridge refusing one entry of the second call (a throttle), once.
    const flaky: ChangeBus = {
      put: async (events: readonly ChangeEvent[]) => {
        puts++;
        if (puts === 2) return events.map((_, i) => (i === 0 ? 'ThrottlingException' : undefined));
        return collected.put(events);
      },
    };
    const own = await startChangeStream({ endpoint: dynamoEndpoint(), credentials: localCredentials, tableName: table.tableName, bus: flaky, from: 'LATEST' });
    try {
      for (let i = 0; i < 4; i++) {
        await createStatusReasons(store, account, [reason(`r${i}`)]);
        // Each write its own batch: the refusal falls on one of them.
        await own.drain();
      }
    } finally {
      await own.stop();
    }
    expect(puts).toBeGreaterThan(2);
    const revisions = eventsOf(account, collected.events).map((e) => e.revision);
    expect([...new Set(revisions)]).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('skips a record that keeps failing after the retries (where AWS dead-letters it), and publishes the ones after it', async () => {
    // A table of its own: the unreadable head would hold up the shared stream's shard for its retries.
    const own = await createTestTable();
    const ownStore = own.store();
    const account = newAccount();
    const collected = new LocalEventSink();
    const deadLetters: Array<{ sequenceNumber: string; attempts: number }> = [];
    const poller = await startChangeStream({
      endpoint: dynamoEndpoint(),
      credentials: localCredentials,
      tableName: own.tableName,
      bus: collected,
      from: 'TRIM_HORIZON',
      retryAttempts: 2,
      onDeadLetter: (record) => deadLetters.push(record),
    });
    try {
      // A history head without its token: the publisher cannot read it (only a bug of our own writer could make one).
      await DynamoDBDocumentClient.from(own.sdk).send(new PutCommand({ TableName: own.tableName, Item: { pk: partitionKey(account), sk: headKey(99), rev: 99, at: Date.now() } }));
      await createStatusReasons(ownStore, account, [reason('After it')]);
      await poller.drain();
    } finally {
      await poller.stop();
    }
    expect(deadLetters).toEqual([{ shardId: expect.any(String), sequenceNumber: expect.any(String), attempts: 2 }]);
    expect(eventsOf(account, collected.events).map((e) => e.revision)).toEqual([1]);
  }, 60_000);

  it('answers GET /dev/events to a loopback caller, by account', async () => {
    const keys = await loadOrCreateKeys(dir);
    const server = await startLocalServer({ handler: async () => ({ statusCode: 500 }), keys, devEvents: () => sink.events });
    try {
      const account = sink.events[0]!.accountId;
      const res = await fetch(`${server.url}/dev/events?account=${account}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as PublishedEvent[];
      expect(body.length).toBeGreaterThan(0);
      expect(body.every((e) => e.accountId === account)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
