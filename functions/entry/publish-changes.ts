// The change-event publisher's entry point: the table's stream (NEW_IMAGE,
// filtered by the event source mapping to inserts of history heads `H#<rev>`)
// in, one EventBridge event per committed entry out (SPEC §6). The commit is
// the outbox: an entry exists exactly when its write does, so an event is
// published for every write that landed and for nothing else.
//
// Order and delivery: the stream gives each account's heads in commit order
// (revision order: the write lease lets one commit at a time per account).
// Records are put in that order, one PutEvents call after another, and a call
// never holds two entries of one account, so a later revision of an account is
// only sent once its earlier one was accepted. On the first entry EventBridge
// refuses (or a call that fails, or an entry or head that cannot be read), the
// batch stops and reports that record as its first failure
// (ReportBatchItemFailures): Lambda sends it again from there, so every entry
// goes out at least once and in order; entries after it may go out twice. A
// record still failing after the mapping's retries goes to the dead-letter
// queue, which is alarmed on (infra/constructs/events.ts): none is dropped
// unseen. `npm start` runs this same code over DynamoDB Local's stream
// (infra/local/change-stream.ts).
import { DynamoClient } from '../aws/dynamodb.js';
import { retryingReads } from '../aws/json-client.js';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { changeEventDetail, EVENT_DETAIL_TYPE, EVENT_ENTRY_MAX_BYTES, EVENT_SOURCE, eventEntryBytes, expiredEventDetail, PUT_EVENTS_MAX_ENTRIES } from '../domain/change-events.js';
import { logger } from '../platform/logger.js';
import { announcedEntry, ChangeFeed, isHeadInsert, type StreamRecord } from '../store/change-feed.js';

/** One event as it is put on the bus. */
export interface ChangeEvent {
  accountId: string;
  revision: number;
  /** The detail, JSON. */
  detail: string;
}

/** Where events go: EventBridge in AWS, a local sink under `npm start`. Answers, per event, an error code or undefined when it was accepted. */
export interface ChangeBus {
  put(events: readonly ChangeEvent[]): Promise<(string | undefined)[]>;
}

export interface PublishDeps {
  feed: Pick<ChangeFeed, 'entry'>;
  bus: ChangeBus;
  /** EventBridge's entry limit; tests lower it. */
  maxEntryBytes?: number;
}

/** The record to resume from (ReportBatchItemFailures), or none when every entry went out. */
export interface PublishOutcome {
  batchItemFailures: { itemIdentifier: string }[];
  /** Events accepted by the bus, in the order they were put. */
  published: ChangeEvent[];
}

interface Ready {
  sequenceNumber: string;
  event: ChangeEvent;
  bytes: number;
}

/**
 * Publishes the entries of a batch of stream records, in order: reads each
 * (a large one's parts from the table), then puts them in calls of at most
 * 10 entries, 256 KB and one entry per account. Stops at the first failure.
 */
export async function publishChangeRecords(records: readonly StreamRecord[], deps: PublishDeps): Promise<PublishOutcome> {
  const published: ChangeEvent[] = [];
  const failAt = (sequenceNumber: string | undefined): PublishOutcome => ({ batchItemFailures: sequenceNumber ? [{ itemIdentifier: sequenceNumber }] : [], published });
  const maxBytes = deps.maxEntryBytes ?? EVENT_ENTRY_MAX_BYTES;

  let call: Ready[] = [];
  let callBytes = 0;
  const flush = async (): Promise<string | undefined> => {
    if (!call.length) return undefined;
    const sent = call;
    call = [];
    callBytes = 0;
    let codes: (string | undefined)[];
    try {
      codes = await deps.bus.put(sent.map((r) => r.event));
    } catch (error) {
      logger.warn('PutEvents failed; the batch resumes from its first entry', { error: error as Error, sequenceNumber: sent[0]!.sequenceNumber });
      return sent[0]!.sequenceNumber;
    }
    for (const [i, ready] of sent.entries()) {
      if (codes[i]) {
        logger.warn('EventBridge refused a change event; the batch resumes from it', { code: codes[i], accountId: ready.event.accountId, revision: ready.event.revision });
        return ready.sequenceNumber;
      }
      published.push(ready.event);
    }
    return undefined;
  };

  /** A record that cannot go out: the entries before it go out first, and the batch resumes from the earliest that failed. */
  const stopAt = async (sequenceNumber: string | undefined): Promise<PublishOutcome> => failAt((await flush()) ?? sequenceNumber);

  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    // The mapping's filter lets only head inserts through; anything else (a local poller sees every record) is not an entry.
    if (!isHeadInsert(record)) continue;
    const announced = announcedEntry(record);
    if (!announced) {
      // Reported, not skipped: retried, then sent to the dead-letter queue, whose alarm says an entry was not published.
      logger.error('A history head in the stream is not readable; the batch resumes from it', { sequenceNumber });
      return stopAt(sequenceNumber);
    }
    let detail: string;
    try {
      const entry = await deps.feed.entry(announced);
      detail = entry ? changeEventDetail(announced.accountId, entry, maxBytes) : expiredEventDetail(announced.accountId, announced.revision, announced.at);
    } catch (error) {
      logger.warn('Reading a change entry failed; the batch resumes from it', { error: error as Error, accountId: announced.accountId, revision: announced.revision });
      return stopAt(sequenceNumber);
    }
    const ready: Ready = { sequenceNumber: sequenceNumber ?? '', event: { accountId: announced.accountId, revision: announced.revision, detail }, bytes: eventEntryBytes(detail) };
    const sameAccount = call.some((r) => r.event.accountId === ready.event.accountId);
    if (call.length === PUT_EVENTS_MAX_ENTRIES || callBytes + ready.bytes > maxBytes || sameAccount) {
      const failed = await flush();
      if (failed !== undefined) return failAt(failed);
    }
    call.push(ready);
    callBytes += ready.bytes;
  }
  const failed = await flush();
  return failAt(failed);
}

/** EventBridge as a ChangeBus: the events on `busName`, source `agent-status-reasons`, detail-type `Status reasons changed`. */
export function eventBridgeBus(client: EventBridgeClient, busName: string): ChangeBus {
  return {
    async put(events) {
      const entries: PutEventsRequestEntry[] = events.map((event) => ({ EventBusName: busName, Source: EVENT_SOURCE, DetailType: EVENT_DETAIL_TYPE, Detail: event.detail }));
      const out = await client.send(new PutEventsCommand({ Entries: entries }));
      return events.map((_, i) => out.Entries?.[i]?.ErrorCode);
    },
  };
}

export type PublishChangesEntry = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export function createPublishChangesEntry(deps: PublishDeps): PublishChangesEntry {
  return async (event) => {
    const outcome = await publishChangeRecords(event.Records as StreamRecord[], deps);
    logger.debug('change events published', { records: event.Records.length, published: outcome.published.length, failed: outcome.batchItemFailures.length });
    return { batchItemFailures: outcome.batchItemFailures };
  };
}

let deployed: PublishChangesEntry | undefined;

/** The deployed function: TABLE_NAME (the parts of large entries are read from it) and EVENT_BUS_NAME from its environment. */
export const handler: PublishChangesEntry = (event) => {
  if (!deployed) {
    const { TABLE_NAME, EVENT_BUS_NAME, DYNAMODB_ENDPOINT } = process.env;
    if (!TABLE_NAME || !EVENT_BUS_NAME) throw new Error('TABLE_NAME and EVENT_BUS_NAME must be set');
    deployed = createPublishChangesEntry({
      // Reads retried as the SDK's standard mode would (unlike the store, which retries within a request's deadline): a failed read only delays the batch.
      feed: new ChangeFeed(new DynamoClient({ ...(DYNAMODB_ENDPOINT && { endpoint: DYNAMODB_ENDPOINT }) }).use(retryingReads()), TABLE_NAME),
      bus: eventBridgeBus(new EventBridgeClient({}), EVENT_BUS_NAME),
    });
  }
  return deployed(event);
};
