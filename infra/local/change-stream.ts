// Change events on this machine: what Lambda's event source mapping does in
// AWS, over DynamoDB Local's stream. Polls each shard of the table's stream
// (GetRecords), hands the records to the same publishing code the deployed
// publisher runs (functions/entry/publish-changes.ts: the same filter, the same
// order, the same truncation), and on a reported failure reads the shard again
// from that record, as Lambda does, up to the deployed mapping's retry limit
// (then, where AWS would send it to the dead-letter queue, it is told to
// `onDeadLetter` and skipped). The bus is a local sink: it logs one line
// per event and keeps the events for `GET /dev/events` (loopback only) and for
// tests, and, when given a file, appends them to it as JSON lines.
import { DynamoClient } from '../../functions/aws/dynamodb.js';
import { appendFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { publishChangeRecords, type ChangeBus, type ChangeEvent } from '../../functions/entry/publish-changes.js';
import { ChangeFeed, type StreamRecord } from '../../functions/store/change-feed.js';
import { STREAM_SETTINGS } from '../stream-settings.js';

/** An event as the local sink keeps it. */
export interface PublishedEvent {
  accountId: string;
  revision: number;
  /** The event's detail (the entry and `accountId`; `truncated` and `counts` when cut short). */
  detail: Record<string, unknown>;
  /** The detail's size as EventBridge would count it. */
  bytes: number;
  /** When the sink took it (epoch ms): the entry's `at` is its commit, so the difference is the publish lag. */
  publishedAt: number;
}

/** The local bus: keeps every event (the most recent `keep`), logs a line each, appends to `file` if given. */
export class LocalEventSink implements ChangeBus {
  readonly events: PublishedEvent[] = [];

  constructor(private readonly options: { log?: (line: string) => void; file?: string; keep?: number } = {}) {}

  async put(events: readonly ChangeEvent[]): Promise<(string | undefined)[]> {
    for (const event of events) {
      const detail = JSON.parse(event.detail) as Record<string, unknown>;
      const kept: PublishedEvent = { accountId: event.accountId, revision: event.revision, detail, bytes: Buffer.byteLength(event.detail, 'utf8'), publishedAt: Date.now() };
      this.events.push(kept);
      if (this.events.length > (this.options.keep ?? 10_000)) this.events.shift();
      const changes = Array.isArray(detail.changes) ? detail.changes.length : 0;
      this.options.log?.(
        `event: account ${event.accountId} revision ${event.revision} via ${String(detail.via ?? '?')}, ${changes} change${changes === 1 ? '' : 's'}${detail.truncated ? ` (truncated: ${JSON.stringify(detail.counts)})` : ''}`,
      );
      if (this.options.file) appendFileSync(this.options.file, `${JSON.stringify(kept)}\n`);
    }
    return events.map(() => undefined);
  }
}

export interface ChangeStreamOptions {
  endpoint: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  tableName: string;
  bus: ChangeBus;
  /** Where to start in the shards open at start: `LATEST` (npm start: only what is written from now on) or `TRIM_HORIZON` (everything the stream still has). */
  from?: 'LATEST' | 'TRIM_HORIZON';
  /** Pause between polls of a shard with nothing new, ms. */
  idleMs?: number;
  /** Told about a failed poll or publish (it is retried). */
  onError?: (error: unknown) => void;
  /** How many times a record the publisher reports failed is tried again before it is skipped; default the deployed mapping's (STREAM_SETTINGS.retryAttempts). */
  retryAttempts?: number;
  /** Told about a record skipped after its retries: where AWS would send it to the dead-letter queue. */
  onDeadLetter?: (record: { shardId: string; sequenceNumber: string; attempts: number }) => void;
}

export interface ChangeStream {
  /** Stops polling (after the poll in flight). */
  stop(): Promise<void>;
  /** Resolves once every record written so far has been published (polls until a pass finds nothing new). */
  drain(): Promise<void>;
}

interface ShardState {
  id: string;
  iterator: string | undefined;
  /** The last record published (to read on after an expired iterator). */
  last: string | undefined;
  closed: boolean;
  /** The record the publisher last reported failed, and how many times in a row. */
  failing?: { sequenceNumber: string; attempts: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChangeStream(options: ChangeStreamOptions): Promise<ChangeStream> {
  const region = options.region ?? 'us-east-1';
  const config = { endpoint: options.endpoint, region, ...(options.credentials && { credentials: options.credentials }) };
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const described = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream: create it with StreamSpecification NEW_IMAGE (infra/local/table.ts)`);
  const feed = new ChangeFeed(new DynamoClient(config), options.tableName);
  const idleMs = options.idleMs ?? 50;
  const retryAttempts = options.retryAttempts ?? STREAM_SETTINGS.retryAttempts;
  const shards = new Map<string, ShardState>();
  let first = true;
  let stopped = false;
  /** Passes of the loop that found nothing new, for drain(). */
  let quietPasses = 0;
  let lastDiscovery = 0;

  const iterator = async (shardId: string, type: ShardIteratorType, sequenceNumber?: string) =>
    (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber && { SequenceNumber: sequenceNumber }) }))).ShardIterator;

  const discover = async () => {
    const out = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of out.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      // A shard open at start begins where asked; one that appears later (a split) from its beginning.
      const type: ShardIteratorType = first ? (options.from ?? 'LATEST') : 'TRIM_HORIZON';
      const open = !shard.SequenceNumberRange?.EndingSequenceNumber;
      if (first && !open && type === 'LATEST') continue;
      shards.set(shard.ShardId, { id: shard.ShardId, iterator: await iterator(shard.ShardId, type), last: undefined, closed: false });
    }
    first = false;
  };

  /** One GetRecords on a shard and the publishing of what it returned; whether it found anything. */
  const pollShard = async (shard: ShardState): Promise<boolean> => {
    if (!shard.iterator) return false;
    let out;
    try {
      out = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 100 }));
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException)) throw error;
      shard.iterator = shard.last ? await iterator(shard.id, 'AFTER_SEQUENCE_NUMBER', shard.last) : await iterator(shard.id, 'TRIM_HORIZON');
      return true;
    }
    const records = (out.Records ?? []) as StreamRecord[];
    if (records.length) {
      const outcome = await publishChangeRecords(records, { feed, bus: options.bus });
      const failed = outcome.batchItemFailures[0]?.itemIdentifier;
      if (failed) {
        const attempts = shard.failing?.sequenceNumber === failed ? shard.failing.attempts + 1 : 1;
        if (attempts <= retryAttempts) {
          // As Lambda does: the batch again from the first failure, after a pause that grows.
          shard.failing = { sequenceNumber: failed, attempts };
          shard.iterator = await iterator(shard.id, 'AT_SEQUENCE_NUMBER', failed);
          await sleep(Math.min(idleMs * 2 ** (attempts - 1), 2_000));
          return true;
        }
        // Out of retries: AWS sends it to the dead-letter queue and the shard moves on past it.
        options.onDeadLetter?.({ shardId: shard.id, sequenceNumber: failed, attempts: attempts - 1 });
        shard.failing = undefined;
        shard.last = failed;
        shard.iterator = await iterator(shard.id, 'AFTER_SEQUENCE_NUMBER', failed);
        return true;
      }
      shard.failing = undefined;
      shard.last = records[records.length - 1]!.dynamodb?.SequenceNumber ?? shard.last;
    }
    shard.iterator = out.NextShardIterator;
    if (!shard.iterator) shard.closed = true;
    return records.length > 0;
  };

  // The shards open now, before anything is written after this returns (LATEST starts here).
  await discover();
  lastDiscovery = Date.now();
  const loop = (async () => {
    while (!stopped) {
      try {
        if (Date.now() - lastDiscovery > 1_000) {
          await discover();
          lastDiscovery = Date.now();
        }
        let busy = false;
        for (const shard of shards.values()) if (!shard.closed && (await pollShard(shard))) busy = true;
        quietPasses = busy ? 0 : quietPasses + 1;
        if (!busy) await sleep(idleMs);
      } catch (error) {
        options.onError?.(error);
        quietPasses = 0;
        await sleep(Math.max(idleMs, 200));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      dynamo.destroy();
      streams.destroy();
    },
    async drain() {
      // A look for new shards, then two passes with nothing new, after the call: everything written before it has been read.
      const since = Date.now();
      quietPasses = 0;
      while ((lastDiscovery <= since || quietPasses < 2) && !stopped) await sleep(idleMs);
    },
  };
}
