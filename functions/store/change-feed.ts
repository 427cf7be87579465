// The change history as the table's stream delivers it: a committed entry's
// head (`H#<rev>`, history.ts) arrives as a stream record with its new image;
// this module turns that record into the entry, reading a large entry's parts
// from the table (they were written before the commit and are still there
// unless the keep-limits dropped the entry meanwhile). It reads only; the
// publisher (functions/entry/publish-changes.ts) decides what goes out.
import { DocumentClient, QueryCommand, type DynamoClient } from '../aws/dynamodb.js';
import type { ChangeEntry } from '../domain/changes.js';
import { decodeEntry, HEAD_PREFIX, partKey, type Head } from './history.js';

/** The account partition's key prefix (layout.ts `partitionKey`). */
const ACCOUNT_PREFIX = 'ACCOUNT#';

/** An attribute value as the stream carries it: Lambda's event (JSON: binary as base64) or the Streams API (binary as bytes). */
type StreamValue = { S?: string; N?: string; B?: string | Uint8Array };
type StreamImage = Record<string, StreamValue | undefined>;

/** The parts of a stream record the feed reads (Lambda's `DynamoDBRecord` and the Streams API's `_Record` both have them). */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: { Keys?: StreamImage | Record<string, unknown>; NewImage?: StreamImage | Record<string, unknown>; SequenceNumber?: string };
}

const text = (value: unknown): string | undefined => (value as StreamValue | undefined)?.S;
const number = (value: unknown): number | undefined => {
  const n = (value as StreamValue | undefined)?.N;
  return n === undefined ? undefined : Number(n);
};
const bytes = (value: unknown): Uint8Array | undefined => {
  const b = (value as StreamValue | undefined)?.B;
  return b === undefined ? undefined : typeof b === 'string' ? Buffer.from(b, 'base64') : b;
};

/** Whether a record is the insert of a history head: what the event source mapping's filter lets through. */
export function isHeadInsert(record: StreamRecord): boolean {
  return record.eventName === 'INSERT' && (text(record.dynamodb?.Keys?.sk) ?? '').startsWith(HEAD_PREFIX);
}

/** What a head's stream record says by itself: the account, the revision, when, and the head as history.ts reads it. */
export interface AnnouncedEntry {
  accountId: string;
  pk: string;
  revision: number;
  /** ISO-8601 UTC, as the entry's `at`. */
  at: string;
  head: Head;
}

/** The head in a record's new image; undefined when the record is not a well-formed head insert. */
export function announcedEntry(record: StreamRecord): AnnouncedEntry | undefined {
  if (!isHeadInsert(record)) return undefined;
  const image = (record.dynamodb?.NewImage ?? {}) as StreamImage;
  const pk = text(image.pk);
  const rev = number(image.rev);
  const at = number(image.at);
  const token = text(image.token);
  if (!pk?.startsWith(ACCOUNT_PREFIX) || rev === undefined || at === undefined || token === undefined) return undefined;
  const head: Head = { rev, at, token, bytes: number(image.bytes) ?? 0, parts: number(image.parts) ?? 0, data: bytes(image.data) };
  return { accountId: pk.slice(ACCOUNT_PREFIX.length), pk, revision: rev, at: new Date(at).toISOString(), head };
}

/** Reads the entries that stream records announce. */
export class ChangeFeed {
  private readonly doc: DocumentClient;

  constructor(
    client: DynamoClient,
    private readonly tableName: string,
  ) {
    this.doc = new DocumentClient(client);
  }

  /**
   * The whole entry: from the image itself when it rides in its head, else
   * with its parts (one Query, strongly consistent). Undefined when the parts
   * are gone: the keep-limits dropped the entry before it was published.
   */
  async entry(announced: AnnouncedEntry): Promise<ChangeEntry | undefined> {
    const { head, pk } = announced;
    if (head.parts === 0) return decodeEntry(head, []);
    const parts: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': pk, ':a': partKey(head.rev, head.token, 0), ':b': partKey(head.rev, head.token, head.parts - 1) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      parts.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return decodeEntry(head, parts);
  }
}
