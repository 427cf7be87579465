// The change history's read: one page of entries after a revision, from the
// heads each commit wrote (history.ts) and the parts of the large ones, cut at
// the page's byte budget. Entries are consecutive from `since + 1`; a gap at
// the start means a write dropped them meanwhile (history_gone). May import the
// domain's types and errors, and the store's context, history, layout, queries
// and read path only.
import { QueryCommand } from '../aws/dynamodb.js';
import type { ChangeEntry } from '../domain/changes.js';
import { DomainError } from '../domain/errors.js';
import type { ChangesPage } from '../domain/store.js';
import { busy, type StoreContext } from './context.js';
import { CHANGES_PAGE_BYTES, decodeEntry, headKey, partKey, toHead, type Head } from './history.js';
import { partitionKey } from './layout.js';
import { queryAll, readMeta } from './queries.js';
import { readFailure } from './read-path.js';

/**
 * The change history after `since`. `#META` first (one small GetItem): at the
 * current revision that is the whole answer. Otherwise the heads from
 * `since + 1` up to the revision read (every revision in between has one: its
 * commit wrote it), and the parts of the large ones.
 */
export function readChanges(ctx: StoreContext, accountId: string, since: number, limit: number, deadline: number): Promise<ChangesPage> {
  return readFailure(readPage(ctx, partitionKey(accountId), since, limit, deadline));
}

async function readPage(ctx: StoreContext, pk: string, since: number, limit: number, deadline: number): Promise<ChangesPage> {
  const meta = await readMeta(ctx, pk, deadline);
  if (since > meta.revision) {
    const error = new DomainError('invalid', `since ${since} is after the current revision ${meta.revision}.`, [
      { path: 'since', message: `must be at most the current revision ${meta.revision}` },
    ]);
    error.revision = meta.revision;
    throw error;
  }
  if (since === meta.revision) return { revision: meta.revision, changes: [], more: false };
  const gone = (oldest: number) => {
    const error = new DomainError('history_gone', `The change history after revision ${since} is no longer kept: the oldest kept entry is revision ${oldest}. Read the list again.`);
    error.oldestRevision = oldest;
    error.revision = meta.revision;
    return error;
  };
  // Revisions written before the account kept a history have no entries.
  const oldest = meta.changesOldest ?? meta.revision + 1;
  if (since + 1 < oldest) throw gone(oldest);

  const last = Math.min(meta.revision, since + limit);
  const heads: Head[] = [];
  let startKey: Record<string, unknown> | undefined;
  let bytes = 0;
  do {
    const out = await ctx.calls.send<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>(
      'Query',
      new QueryCommand({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':pk': pk, ':a': headKey(since + 1), ':b': headKey(last) },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
      deadline,
    );
    for (const item of out.Items ?? []) {
      const head = toHead(item);
      heads.push(head);
      bytes += head.bytes;
    }
    startKey = out.LastEvaluatedKey;
    // Stored (gzip'd) bytes are at most the answer's; past the page's budget, later heads would not be answered.
  } while (startKey && bytes < CHANGES_PAGE_BYTES);

  if (heads[0]?.rev !== since + 1) {
    const again = await readMeta(ctx, pk, deadline);
    throw gone(again.changesOldest ?? again.revision + 1);
  }
  const changes: ChangeEntry[] = [];
  let answerBytes = 0;
  for (const [index, head] of heads.entries()) {
    if (head.rev !== since + 1 + index) throw busy('The change history changed while it was read; try again.');
    const parts = head.parts ? await queryAll(ctx, pk, { from: partKey(head.rev, head.token, 0), to: partKey(head.rev, head.token, head.parts - 1) }, deadline) : [];
    const entry = decodeEntry(head, parts);
    if (!entry) throw new Error(`history entry ${head.rev} is incomplete`);
    // As a Lambda result carries it: JSON inside a JSON string.
    const size = Buffer.byteLength(JSON.stringify(JSON.stringify(entry)), 'utf8');
    if (changes.length && answerBytes + size > CHANGES_PAGE_BYTES) break;
    answerBytes += size;
    changes.push(entry);
  }
  const newest = changes[changes.length - 1]!.revision;
  return { revision: meta.revision, changes, more: newest < meta.revision };
}
