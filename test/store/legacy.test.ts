// Accounts written by the store's previous layout (layout 1: every reason as
// `REASON#<id>` beside a #META of revision/nextId/committedHigh) keep working:
// reads see them as they were, the first write migrates them, and a layout-1
// writer still running during a deployment can no longer take their lease.
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStatusReasons, deleteStatusReason, getStatusReason, listStatusReasons, replaceStatusReason } from '../../functions/domain/status-reasons.js';
import type { StatusReason } from '../../functions/domain/status-reason.js';
import { legacyKey, META_SK, partitionKey } from '../../functions/store/layout.js';
import { createTestTable, newAccount, type TestTable } from '../support/dynamo.js';

let table: TestTable;
let doc: DynamoDBDocumentClient;
beforeAll(async () => {
  table = await createTestTable();
  doc = DynamoDBDocumentClient.from(table.client);
});

const reason = (id: number, text: string, order: number, deleted = false): StatusReason => ({ id, text, state: 'Away', enabled: true, deleted, order });

/**
 * A layout-1 account as the previous store left it: revision 7, ids 1–5
 * committed (3 live, 2 deleted), and a create that never committed (ids 6–8,
 * two of them written).
 */
async function layoutOneAccount(): Promise<{ account: string; live: StatusReason[]; deleted: StatusReason[] }> {
  const account = newAccount();
  const pk = partitionKey(account);
  const live = [reason(1, 'Lunch', 3), reason(2, 'Training', 5), { ...reason(4, 'Meeting', 7), description: 'weekly', tags: { team: 'a' } }];
  const deleted = [reason(3, 'Coffee', -4, true), reason(5, 'Break', 9, true)];
  const leftovers = [reason(6, 'Never committed', 1), reason(7, 'Lunch', 2)];
  const items = [...live, ...deleted, ...leftovers].map((r) => ({ pk, sk: legacyKey(r.id), rev: r.id, ...r }));
  await doc.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: items.map((Item) => ({ PutRequest: { Item } })) } }));
  await doc.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { pk, sk: META_SK },
      UpdateExpression: 'SET revision = :r, nextId = :next, committedHigh = :high',
      ExpressionAttributeValues: { ':r': 7, ':next': 9, ':high': 6 },
    }),
  );
  return { account, live, deleted };
}

const texts = (items: { text: string }[]) => items.map((r) => r.text);
const rawItems = async (account: string) =>
  (await doc.send(new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': partitionKey(account) }, ConsistentRead: true }))).Items ?? [];

describe('a layout-1 account', () => {
  it('is read as it was, by lists and gets, without being changed by them', async () => {
    const { account, live, deleted } = await layoutOneAccount();
    const store = table.store();
    const listed = await listStatusReasons(store, account);
    expect(listed.revision).toBe(7);
    expect(texts(listed.items)).toEqual(['Lunch', 'Training', 'Meeting']);
    expect(texts((await listStatusReasons(store, account, { includeDeleted: true })).items)).toEqual(['Coffee', 'Lunch', 'Training', 'Meeting', 'Break']);
    expect((await getStatusReason(store, account, 4)).item).toMatchObject(live[2]!);
    expect((await getStatusReason(store, account, 3, { includeDeleted: true })).item).toMatchObject(deleted[0]!);
    await expect(getStatusReason(store, account, 6)).rejects.toMatchObject({ kind: 'not_found' }); // never committed
    expect((await rawItems(account)).some((i) => typeof i.sk === 'string' && i.sk.startsWith('#R#'))).toBe(false);
  });

  it('is migrated by its first write: the rules see its reasons, ids and revisions go on, leftovers stay unseen', async () => {
    const { account } = await layoutOneAccount();
    const store = table.store();
    // "Lunch" is taken by a live layout-1 reason; "Coffee" was deleted, so it is free.
    await expect(createStatusReasons(store, account, [{ text: ' lunch ', state: 'Away', enabled: true, deleted: false }])).rejects.toMatchObject({ kind: 'duplicate' });
    const created = await createStatusReasons(store, account, [{ text: 'Coffee', state: 'Online', enabled: true, deleted: false }]);
    expect(created.revision).toBe(8);
    // The next id after layout 1's allocations (9), and an order before every reason, deleted ones included (-4).
    expect(created.items[0]).toMatchObject({ id: 9, order: -5 });

    const listed = await listStatusReasons(store, account);
    expect(listed.revision).toBe(8);
    expect(texts(listed.items)).toEqual(['Coffee', 'Lunch', 'Training', 'Meeting']);
    const all = await listStatusReasons(store, account, { includeDeleted: true });
    expect(texts(all.items)).toEqual(['Coffee', 'Coffee', 'Lunch', 'Training', 'Meeting', 'Break']);
    expect(all.items.map((r) => r.id)).toEqual([9, 3, 1, 2, 4, 5]);

    // Layout-1 reasons are changed like any other; a deleted one moves out of the old layout when edited.
    expect((await replaceStatusReason(store, account, 4, { text: 'Weekly meeting', state: 'Occupied' })).item).toMatchObject({ id: 4, description: 'weekly', tags: { team: 'a' } });
    expect((await replaceStatusReason(store, account, 5, { text: 'Break', state: 'Away', deleted: false })).item).toMatchObject({ id: 5, deleted: false });
    expect((await deleteStatusReason(store, account, 1)).item).toMatchObject({ id: 1, deleted: true });
    const after = await listStatusReasons(store, account, { includeDeleted: true });
    expect(after.revision).toBe(11);
    expect(after.items.map((r) => [r.id, r.text, r.deleted])).toEqual([
      [9, 'Coffee', false],
      [3, 'Coffee', true],
      [1, 'Lunch', true],
      [2, 'Training', false],
      [4, 'Weekly meeting', false],
      [5, 'Break', false],
    ]);
    const raw = await rawItems(account);
    expect(raw.find((i) => i.sk === legacyKey(5))).toBeUndefined(); // moved, not copied
    expect(raw.find((i) => i.sk === META_SK)).toMatchObject({ layout: 2, legacyHigh: 6, live: 4 });
  });

  it('keeps a layout-1 writer out once migrated (the lease fence)', async () => {
    const { account } = await layoutOneAccount();
    await createStatusReasons(table.store(), account, [{ text: 'Fence', state: 'Away', enabled: true, deleted: false }]);
    // Layout 1's own take of the lease, as it was (functions/store/dynamo-store.ts before the redesign).
    const now = Date.now();
    const take = doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: partitionKey(account), sk: META_SK },
        UpdateExpression:
          'SET lockToken = :token, lockExpires = :expires, nextId = if_not_exists(nextId, :one) + :n, committedHigh = if_not_exists(committedHigh, :one), revision = if_not_exists(revision, :zero) REMOVE nextUp, nextUpSince, nextUpExpires',
        ConditionExpression: '(attribute_not_exists(lockToken) OR lockExpires < :now) AND (attribute_not_exists(nextUp) OR nextUp = :token OR nextUpExpires < :now)',
        ExpressionAttributeValues: { ':token': 'old-writer', ':expires': now + 20_000, ':one': 1, ':zero': 0, ':n': 1, ':now': now },
      }),
    );
    await expect(take).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const meta = (await doc.send(new GetCommand({ TableName: table.tableName, Key: { pk: partitionKey(account), sk: META_SK }, ConsistentRead: true }))).Item!;
    expect(meta.lockToken).toBeUndefined();
  });

  it('drops its deleted reasons first when the history outgrows its budget', async () => {
    const { account } = await layoutOneAccount();
    const store = table.store({ historyBytesMax: 400 });
    // Migrates; then each delete adds to the history until the oldest must go: layout 1's first.
    await createStatusReasons(store, account, [{ text: 'New', state: 'Away', enabled: true, deleted: false }]);
    await deleteStatusReason(store, account, 2);
    await deleteStatusReason(store, account, 4);
    const history = (await listStatusReasons(store, account, { includeDeleted: true })).items.filter((r) => r.deleted);
    expect(history.map((r) => r.id)).not.toContain(3);
    expect(history.map((r) => r.id)).toContain(4);
    await expect(getStatusReason(store, account, 3, { includeDeleted: true })).rejects.toMatchObject({ kind: 'not_found' });
  });
});
