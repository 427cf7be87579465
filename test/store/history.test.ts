// Answers that fit Lambda's limits (SPEC §4): the non-deleted reasons
// of an account have a byte budget (a write past it is a 400), the deleted ones
// are bounded (the longest-deleted are dropped first), so that even a list with
// deleted reasons, of the worst content the rules allow, fits one Lambda result.
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, wireSize } from '../../functions/domain/status-reason.js';
import { createStatusReasons, deleteStatusReason, getStatusReason, listStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import { createLivePersonHandler } from '../../functions/adapters/liveperson/liveperson.js';
import { META_SK, partitionKey } from '../../functions/store/layout.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';
import { BASE, httpEvent, lambdaContext } from '../support/events.js';

let table: TestTable;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  table = await createTestTable();
  doc = DynamoDBDocumentClient.from(table.sdk);
});

/** Lambda's limit on a synchronous result (the whole result object, as JSON). */
const LAMBDA_RESULT_MAX = 6 * 1024 * 1024;

const meta = async (account: string) =>
  (await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: META_SK }, ConsistentRead: true }))).Item!;
const keys = async (account: string, prefix: string) =>
  ((await doc.send(new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': partitionKey(account), ':p': prefix }, ConsistentRead: true }))).Items ?? []).length;

describe('the history of deleted reasons', () => {
  it('keeps the most recently deleted within its budget: the longest-deleted go first, whatever their ids', async () => {
    const account = newAccount();
    const store = table.store({ historyBytesMax: 450, cleanupMax: 100 });
    const created = await createStatusReasons(store, account, Array.from({ length: 8 }, (_, i) => ({ text: `reason ${i}`, state: 'Away' as const, enabled: true, deleted: false })));
    const ids = created.items.map((r) => r.id);
    const size = wireSize({ ...created.items[0]!, deleted: true });
    // Delete in an order unlike the ids': 6, 1, 4, 0, 7.
    for (const i of [6, 1, 4, 0, 7]) await deleteStatusReason(store, account, ids[i]!);
    const kept = Math.floor(450 / size);
    const history = (await listStatusReasons(store, account, { includeDeleted: true })).items.filter((r) => r.deleted);
    expect(history.map((r) => r.id).sort()).toEqual([ids[6], ids[1], ids[4], ids[0], ids[7]].slice(-kept).sort());
    const m = await meta(account);
    expect(m.historyBytes).toBeLessThanOrEqual(450);
    expect(m.historyBytes).toBe(kept * size);

    // A dropped reason is gone: not shown, not found, cannot be brought back.
    const dropped = ids[6]!;
    await expect(getStatusReason(store, account, dropped, { includeDeleted: true })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(replaceStatusReason(store, account, dropped, { text: 'back', state: 'Away', deleted: false })).rejects.toMatchObject({ kind: 'not_found' });
    // The next writes remove the dropped items for good.
    await createStatusReasons(store, account, [{ text: 'later', state: 'Away', enabled: true, deleted: false }]);
    expect(await keys(account, 'D#')).toBe(kept);
    expect(await keys(account, 'X#')).toBe(kept);
  });

  it('a list with deleted reasons of the worst content the rules allow fits one Lambda result; a write past the live budget is a 400', async () => {
    const account = newAccount();
    const handler = createLivePersonHandler({ store: () => table.store() });
    // The worst a reason can be on the wire: every tag key and value of control characters (escaped twice).
    const worst = (n: number, deleted = false) => ({
      text: `"\\"${'"'.repeat(100)}${n}`,
      state: 'Away',
      deleted,
      description: '\u0001'.repeat(LIMITS.descriptionMax),
      tags: Object.fromEntries(Array.from({ length: LIMITS.tagsMax }, (_, t) => [`${String(t).padStart(3, '0')}${'\u0000'.repeat(LIMITS.tagKeyMax - 3)}`, '\u0000'.repeat(LIMITS.tagValueMax)])),
    });
    const post = async (body: unknown) => handler(httpEvent({ method: 'POST', path: BASE(account), body }), lambdaContext());
    // The history: deleted reasons created until it is past its budget (the oldest are dropped).
    // One per request: the request body of one such reason is ~116 KB, of the 256 KiB allowed.
    let n = 0;
    for (let i = 0; i < 26; i++) expect((await post(worst(n++, true))).statusCode).toBe(200);
    // The live reasons: up to their budget; the write that would pass it is refused.
    let refused;
    for (;;) {
      const res = await post(worst(n++));
      if (res.statusCode !== 200) {
        refused = res;
        break;
      }
    }
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body!).message).toMatch(/may take at most 3000000 bytes/);
    expect(JSON.parse(refused.body!).errors).toEqual([{ path: '', message: expect.stringMatching(/at most 3000000 bytes/) }]);
    const m = await meta(account);
    expect(m.liveBytes).toBeLessThanOrEqual(LIMITS.liveBytesMax);
    expect(m.historyBytes).toBeLessThanOrEqual(LIMITS.historyBytesMax);
    expect(m.liveBytes + m.historyBytes).toBeGreaterThan(5_500_000);

    for (const query of [undefined, { include_deleted: 'true' }]) {
      const result = await handler(httpEvent({ method: 'GET', path: BASE(account), ...(query && { query }) }), lambdaContext());
      expect(result.statusCode).toBe(200);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(LAMBDA_RESULT_MAX);
      const items = JSON.parse(result.body!) as { deleted: boolean }[];
      // Complete, without any Accept-Encoding: every kept reason is there.
      expect(items.filter((r) => !r.deleted)).toHaveLength(m.live);
    }
  }, 60_000);
});
