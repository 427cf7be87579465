// The change-event publisher (functions/entry/publish-changes.ts) on stream
// records as Lambda hands them over: the entries read through a real ChangeFeed
// over DynamoDB Local, and what it puts on EventBridge as the SDK sends it
// (EventBridge is not the data path: its requests are captured and answered).
import { randomBytes } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEntry } from '../../functions/domain/changes.js';
import { eventBridgeBus, publishChangeRecords, type ChangeBus, type ChangeEvent } from '../../functions/entry/publish-changes.js';
import { ChangeFeed, type StreamRecord } from '../../functions/store/change-feed.js';
import { encodeEntry } from '../../functions/store/history.js';
import { partitionKey } from '../../functions/store/layout.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
let feed: ChangeFeed;
beforeAll(async () => {
  table = await createTestTable();
  feed = new ChangeFeed(table.client, table.tableName);
});

const AT = Date.parse('2026-03-01T12:00:00.000Z');

const entryOf = (revision: number, description = 'Back soon'): ChangeEntry => ({
  revision,
  at: new Date(AT).toISOString(),
  via: 'invoke',
  actor: { claimed: true },
  changes: [{ id: 1, op: 'created', reason: { id: 1, text: 'Lunch', state: 'Away', enabled: true, deleted: false, order: 1, description } }],
});

/** A head item as Lambda's event carries its new image (binary as base64). */
const streamImage = (item: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, typeof value === 'number' ? { N: String(value) } : typeof value === 'string' ? { S: value } : { B: Buffer.from(value as Uint8Array).toString('base64') }]),
  );
const headInsert = (sequenceNumber: string, head: Record<string, unknown>): StreamRecord => ({
  eventName: 'INSERT',
  dynamodb: { Keys: { pk: { S: head.pk as string }, sk: { S: head.sk as string } }, NewImage: streamImage(head), SequenceNumber: sequenceNumber },
});
/** An entry as the store encodes it (its parts, for a large one, are the caller's to write or not). */
const encoded = (accountId: string, entry: ChangeEntry) => encodeEntry(partitionKey(accountId), entry, randomBytes(4).toString('hex'), AT);

/** A bus that accepts everything and keeps what it was given. */
const acceptingBus = (): ChangeBus & { events: ChangeEvent[] } => {
  const events: ChangeEvent[] = [];
  return { events, put: async (put) => (events.push(...put), put.map(() => undefined)) };
};
const revisions = (events: readonly ChangeEvent[]) => events.map((e) => `${e.accountId}@${e.revision}`);

describe('publishChangeRecords', () => {
  it('publishes an entry whose parts were dropped before it was read as its revision and time only (truncated, nothing included)', async () => {
    const [a, b] = [newAccount(), newAccount()];
    // Large enough to be stored in parts (over 8 KiB gzip'd): random text does not compress.
    const keptEntry = entryOf(1, randomBytes(12_000).toString('hex'));
    const kept = encoded(a, keptEntry);
    const dropped = encoded(b, entryOf(1, randomBytes(12_000).toString('hex')));
    expect(kept.parts.length).toBeGreaterThan(0);
    expect(dropped.parts.length).toBeGreaterThan(0);
    const doc = DynamoDBDocumentClient.from(table.sdk);
    for (const part of kept.parts) await doc.send(new PutCommand({ TableName: table.tableName, Item: part }));

    const bus = acceptingBus();
    const outcome = await publishChangeRecords([headInsert('1', kept.head), headInsert('2', dropped.head)], { feed, bus });
    expect(outcome.batchItemFailures).toEqual([]);
    expect(revisions(outcome.published)).toEqual([`${a}@1`, `${b}@1`]);
    expect(JSON.parse(outcome.published[0]!.detail)).toEqual({ ...keptEntry, accountId: a });
    expect(JSON.parse(outcome.published[1]!.detail)).toEqual({ revision: 1, at: new Date(AT).toISOString(), accountId: b, truncated: true, counts: { included: 0 } });
  });

  it('stops at a history head it cannot read and reports it, after putting the entries before it, so it is retried and then dead-lettered, never skipped', async () => {
    const [a, b] = [newAccount(), newAccount()];
    const { token: _, ...unreadable } = encoded(b, entryOf(1)).head;
    const records = [headInsert('10', encoded(a, entryOf(1)).head), headInsert('11', unreadable), headInsert('12', encoded(a, entryOf(2)).head)];
    const bus = acceptingBus();
    const outcome = await publishChangeRecords(records, { feed, bus });
    expect(outcome.batchItemFailures).toEqual([{ itemIdentifier: '11' }]);
    expect(revisions(outcome.published)).toEqual([`${a}@1`]);
    expect(revisions(bus.events)).toEqual([`${a}@1`]);
  });
});

describe('eventBridgeBus', () => {
  /** An EventBridge client whose requests are kept and answered with `answer` (PutEvents' JSON). */
  const capturingClient = (answer: unknown) => {
    const requests: HttpRequest[] = [];
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async (request: HttpRequest) => {
          requests.push(request);
          return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(JSON.stringify(answer)) }) };
        },
      },
    });
    return { client, requests };
  };

  it('puts each event on the bus with source agent-status-reasons and detail-type "Status reasons changed", and answers each entry\'s error code at its index', async () => {
    const { client, requests } = capturingClient({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, { EventId: 'e-3' }],
    });
    const events: ChangeEvent[] = [1, 2, 3].map((revision) => ({ accountId: `acct-${revision}`, revision, detail: JSON.stringify({ revision, accountId: `acct-${revision}` }) }));
    const codes = await eventBridgeBus(client, 'change-bus-name').put(events);

    expect(codes).toEqual([undefined, 'ThrottlingException', undefined]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(JSON.parse(new TextDecoder().decode(requests[0]!.body as Uint8Array))).toEqual({
      Entries: events.map((event) => ({ EventBusName: 'change-bus-name', Source: 'agent-status-reasons', DetailType: 'Status reasons changed', Detail: event.detail })),
    });
  });
});
