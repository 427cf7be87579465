// Reorders and restores on the real engine: the list afterwards is exactly the
// wanted order, only the reasons whose order must change are written (counted
// from the domain's plan and checked against the items DynamoDB holds), a
// reorder larger than one transaction is seen whole or not at all, and a
// restore moves a reason back from the history with the account's counts right.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS, wireSize, type NewReason, type StoredReason } from '../../functions/domain/status-reason.js';
import {
  createStatusReasons,
  deleteStatusReason,
  listStatusReasons,
  reorderStatusReasons,
  replaceStatusReason,
} from '../../functions/domain/status-reasons.js';
import type { StatusReasonStore, WritePlan } from '../../functions/domain/store.js';
import { DynamoStatusReasonStore } from '../../functions/store/dynamo-store.js';
import { META_SK, partitionKey } from '../../functions/store/layout.js';
import { dynamoEndpoint, newAccount, testTableWithDocuments } from '../support/dynamo.js';
import { faultyClient, isCommit, rules } from '../support/fault-layer.js';

const { table, doc } = testTableWithDocuments();

/** The store, with every plan a write decides on kept (the writes are counted from these). */
function recording(store: StatusReasonStore) {
  const plans: WritePlan[] = [];
  const wrapped: StatusReasonStore = {
    revision: (account) => store.revision(account),
    read: (account, options) => store.read(account, options),
    get: (account, id) => store.get(account, id),
    changes: (account, since, limit) => store.changes(account, since, limit),
    write: (account, request, decide) =>
      store.write(account, request, (state, ids) => {
        const decision = decide(state, ids);
        plans.push(decision.plan);
        return decision;
      }),
  };
  return { store: wrapped, plans };
}

/** The last plan's reorder changes. */
function reorderChanges(plans: WritePlan[]): Map<number, number> {
  const plan = plans[plans.length - 1]!;
  if (plan.kind !== 'reorder') throw new Error(`expected a reorder plan, got ${plan.kind}`);
  return new Map(plan.changes.map((c) => [c.id, c.order]));
}

/** Every item of the account as DynamoDB holds it, by sort key. */
async function rawItems(account: string): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc().send(
      new QueryCommand({ TableName: table().tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': partitionKey(account) }, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of out.Items ?? []) items.set(item.sk as string, item);
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

const reasons = (orders: number[], prefix = 'r'): NewReason[] =>
  orders.map((order, i) => ({ text: `${prefix} ${i}`, state: 'Away', enabled: true, deleted: false, order }));

/** Creates reasons with these orders, 100 a write; answers them in creation order. */
async function seed(store: StatusReasonStore, account: string, orders: number[], prefix = 'r'): Promise<StoredReason[]> {
  const out: StoredReason[] = [];
  for (let i = 0; i < orders.length; i += 100) out.push(...(await createStatusReasons(store, account, reasons(orders.slice(i, i + 100), `${prefix}${i}`))).items);
  return out;
}

const ids = (list: { id: number }[]) => list.map((r) => r.id);

/** The length of a longest strictly rising (order, id) subsequence of the reasons in the wanted order. */
function risingLength(sequence: { id: number; order: number }[]): number {
  const best = sequence.map(() => 1);
  for (let j = 0; j < sequence.length; j++)
    for (let i = 0; i < j; i++) {
      const a = sequence[i]!;
      const b = sequence[j]!;
      if (a.order < b.order || (a.order === b.order && a.id < b.id)) best[j] = Math.max(best[j]!, best[i]! + 1);
    }
  return Math.max(0, ...best);
}

/** #META's counts against what the account holds: live size and history size are the sums of the reasons' wire sizes. */
async function expectCountsRight(store: StatusReasonStore, account: string) {
  const meta = (await rawItems(account)).get(META_SK)!;
  const { items } = await listStatusReasons(store, account, { includeDeleted: true });
  const live = items.filter((r) => !r.deleted);
  expect(meta.live).toBe(live.length);
  expect(meta.liveBytes).toBe(live.reduce((sum, r) => sum + wireSize(r), 0));
  expect(meta.historyBytes).toBe(items.filter((r) => r.deleted).reduce((sum, r) => sum + wireSize(r), 0));
  if (live.length) expect(meta.lowestOrder).toBeLessThanOrEqual(Math.min(...items.map((r) => r.order)));
}

describe('reorder: the list afterwards and what is written', () => {
  it('for random lists and random wanted orders: exactly that order, one revision, and the fewest reasons written (counted from the plan, checked in DynamoDB)', async () => {
    const base = table().store();
    const orders = fc.oneof(
      // Room everywhere: the minimum is n minus the longest rising run.
      fc.array(fc.integer({ min: -1000, max: 1000 }).map((k) => k * 100_000), { minLength: 1, maxLength: 16 }),
      // Adjacent values and ties: no room in some gaps.
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 16 }),
      // At the ends of the range.
      fc.array(fc.constantFrom(LIMITS.orderMin, LIMITS.orderMin + 1, LIMITS.orderMax - 1, LIMITS.orderMax, 0), { minLength: 1, maxLength: 16 }),
    );
    const scenario = orders.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list.map((_, i) => i), { minLength: list.length, maxLength: list.length })));
    await fc.assert(
      fc.asyncProperty(scenario, async ([orderList, wanted]) => {
        const account = newAccount();
        const { store, plans } = recording(base);
        const created = await seed(store, account, orderList);
        const target = wanted.map((i) => created[i]!.id);
        const before = await rawItems(account);
        const result = await reorderStatusReasons(store, account, target);

        const listed = await listStatusReasons(base, account);
        expect(ids(listed.items)).toEqual(target);
        expect(result.revision).toBe(2);
        expect(listed.revision).toBe(2);
        expect(ids(result.items)).toEqual(target);
        expect(result.items.map((r) => r.order)).toEqual(listed.items.map((r) => r.order));

        const changes = reorderChanges(plans);
        const sequence = target.map((id) => created.find((r) => r.id === id)!);
        const minimum = sequence.length - risingLength(sequence);
        const distinct = [...new Set(orderList)].sort((a, b) => a - b);
        // Room in every gap, including below the lowest order and above the highest (a move to an end needs it too).
        const n = orderList.length;
        const roomy =
          distinct.length === n &&
          distinct[0]! - LIMITS.orderMin > n &&
          LIMITS.orderMax - distinct[n - 1]! > n &&
          distinct.every((o, i) => i === 0 || o - distinct[i - 1]! > n);
        if (roomy) expect(changes.size).toBe(minimum);
        else expect(changes.size).toBeGreaterThanOrEqual(minimum);

        // In DynamoDB: exactly the planned reasons' items changed, to the planned order.
        const after = await rawItems(account);
        for (const reason of created) {
          const key = [...before.keys()].find((sk) => before.get(sk)!.id === reason.id && sk.startsWith('#R#'))!;
          if (changes.has(reason.id)) expect(after.get(key)!.order).toBe(changes.get(reason.id));
          else expect(after.get(key)).toEqual(before.get(key));
        }
        await expectCountsRight(base, account);
      }),
      { numRuns: 25 },
    );
  }, 240_000);

  it('moving one reason of 1,000 between two others writes that one reason (and with created orders, packed, at most two the first time)', async () => {
    const { store, plans } = recording(table().store());
    const account = newAccount();
    const created = await seed(store, account, Array.from({ length: 1000 }, (_, i) => i * 1_000));
    const target = ids(created);
    const [moved] = target.splice(900, 1);
    target.splice(10, 0, moved!);
    const result = await reorderStatusReasons(store, account, target);
    expect(reorderChanges(plans).size).toBe(1);
    expect(ids((await listStatusReasons(store, account)).items)).toEqual(target);
    expect(result.items.find((r) => r.id === moved)!.order).toBe(9_500);

    // Created without orders: consecutive values, no room. The first move renumbers one neighbour too; the next finds room.
    const packed = newAccount();
    for (let b = 0; b < 10; b++) {
      await createStatusReasons(store, packed, Array.from({ length: 100 }, (_, i) => ({ text: `p${b}-${i}`, state: 'Away' as const, enabled: true, deleted: false })));
    }
    const list = ids((await listStatusReasons(store, packed)).items);
    const [last] = list.splice(999, 1);
    list.splice(1, 0, last!);
    await reorderStatusReasons(store, packed, list);
    expect(reorderChanges(plans).size).toBe(2);
    const [again] = list.splice(500, 1);
    list.splice(1, 0, again!);
    await reorderStatusReasons(store, packed, list);
    expect(reorderChanges(plans).size).toBe(1);
    expect(ids((await listStatusReasons(store, packed)).items)).toEqual(list);
    await expectCountsRight(store, packed);
  }, 120_000);
});

describe('a reorder larger than one transaction', () => {
  it('is seen whole or not at all: a read between its writes and its commit sees the old list; a failed one is never seen; the next one folds it in', async () => {
    const account = newAccount();
    const clean = table().store();
    const created = await seed(clean, account, Array.from({ length: 12 }, (_, i) => i * 10));
    const original = ids(created);
    const reversed = [...original].reverse();

    // The commit fails every time (after the pending values were written): 503, and no read ever sees them.
    {
      const { client } = faultyClient(dynamoEndpoint(), rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'server-error' } }]));
      const store = new DynamoStatusReasonStore({ client, tableName: table().tableName, reorderInlineMax: 3, requestMs: 1_500, attemptMs: 400, callBackoff: { baseMs: 5, maxMs: 20 } });
      await expect(reorderStatusReasons(store, account, reversed)).rejects.toMatchObject({ kind: 'busy' });
      const raw = await rawItems(account);
      expect([...raw.values()].filter((item) => item.pending).length).toBeGreaterThan(3); // written, marked, not counted
      const after = await listStatusReasons(clean, account);
      expect(ids(after.items)).toEqual(original);
      expect(after.revision).toBe(1);
    }

    // A read between the pending writes and the commit sees the old list; after the commit, all of the new one.
    let between: number[] = [];
    {
      const { client } = faultyClient(
        dynamoEndpoint(),
        rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'interleave', run: async () => (between = ids((await listStatusReasons(clean, account)).items)) }, times: 1 }]),
      );
      const store = new DynamoStatusReasonStore({ client, tableName: table().tableName, reorderInlineMax: 3 });
      const { store: recorded, plans } = recording(store);
      const result = await reorderStatusReasons(recorded, account, reversed);
      expect(between).toEqual(original);
      expect(reorderChanges(plans).size).toBeGreaterThan(3);
      expect(ids(result.items)).toEqual(reversed);
      expect(ids((await listStatusReasons(clean, account)).items)).toEqual(reversed);
    }
    await expectCountsRight(clean, account);

    // Another large reorder (half the list moves): the first one's pending values that it does not rewrite are folded in first.
    const large = new DynamoStatusReasonStore({ client: table().client, tableName: table().tableName, reorderInlineMax: 3 });
    const shuffled = [...reversed.slice(6).reverse(), ...reversed.slice(0, 6)];
    await reorderStatusReasons(large, account, shuffled);
    expect(ids((await listStatusReasons(clean, account)).items)).toEqual(shuffled);
    // A small reorder and a replace of a reason moved by a large one keep everything else where it is.
    const small = [...shuffled];
    small.splice(0, 2, shuffled[1]!, shuffled[0]!);
    await reorderStatusReasons(clean, account, small);
    await replaceStatusReason(clean, account, small[5]!, { text: 'renamed', state: 'Online' });
    const final = await listStatusReasons(clean, account);
    expect(ids(final.items)).toEqual(small);
    expect(final.items[5]!.text).toBe('renamed');
    await expectCountsRight(clean, account);
  }, 60_000);

  it('a commit whose answer is lost is sent again and answered as applied, once (large and inline)', async () => {
    const account = newAccount();
    const clean = table().store();
    const created = await seed(clean, account, Array.from({ length: 8 }, (_, i) => i * 10));
    const { client, faults } = faultyClient(dynamoEndpoint(), rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'lost' }, times: 2 }]));
    const store = new DynamoStatusReasonStore({ client, tableName: table().tableName, reorderInlineMax: 3, attemptMs: 1_000 });
    const reversed = ids(created).reverse();
    expect((await reorderStatusReasons(store, account, reversed)).revision).toBe(2);
    const swapped = [reversed[1]!, reversed[0]!, ...reversed.slice(2)];
    expect((await reorderStatusReasons(store, account, swapped)).revision).toBe(3);
    expect(faults.tally.faults.lost).toBe(2);
    const after = await listStatusReasons(clean, account);
    expect(ids(after.items)).toEqual(swapped);
    expect(after.revision).toBe(3);
    await expectCountsRight(clean, account);
  }, 60_000);

  it('1,000 reasons reversed in one write (999 pending values, one commit): one revision, the whole new list', async () => {
    const store = table().store();
    const account = newAccount();
    const created = await seed(store, account, Array.from({ length: 1000 }, (_, i) => i));
    const reversed = ids(created).reverse();
    const result = await reorderStatusReasons(store, account, reversed);
    expect(result.revision).toBe(11);
    const raw = await rawItems(account);
    const gen = raw.get(META_SK)!.orderGen;
    expect(typeof gen).toBe('string');
    expect([...raw.values()].filter((item) => (item.pending as { gen?: string } | undefined)?.gen === gen)).toHaveLength(999);
    expect(ids((await listStatusReasons(store, account)).items)).toEqual(reversed);
    await expectCountsRight(store, account);
  }, 120_000);
});

describe('restore (replace with deleted: false)', () => {
  it('moves a deleted reason back to the live ones: its history entry goes, the counts stay right, and it can be deleted and restored again', async () => {
    const store = table().store();
    const account = newAccount();
    const [a, b] = await seed(store, account, [1, 2]);
    await deleteStatusReason(store, account, a!.id);
    await expectCountsRight(store, account);
    const restored = await replaceStatusReason(store, account, a!.id, { text: a!.text, state: 'Online', deleted: false });
    expect(restored.item).toMatchObject({ id: a!.id, deleted: false, state: 'Online', order: 1 });
    const raw = await rawItems(account);
    expect([...raw.keys()].filter((sk) => sk.startsWith('D#') || sk.startsWith('X#'))).toEqual([]);
    await expectCountsRight(store, account);
    expect(ids((await listStatusReasons(store, account)).items)).toEqual([a!.id, b!.id]);

    await deleteStatusReason(store, account, a!.id);
    await replaceStatusReason(store, account, a!.id, { text: 'Again', state: 'Away', deleted: false });
    await expectCountsRight(store, account);
    // Its text is taken by another while deleted: the restore is refused.
    await deleteStatusReason(store, account, a!.id);
    await replaceStatusReason(store, account, b!.id, { text: 'again', state: 'Away' });
    await expect(replaceStatusReason(store, account, a!.id, { text: 'Again', state: 'Away', deleted: false })).rejects.toMatchObject({ kind: 'duplicate' });
    // Any other replacement of a deleted reason finds nothing.
    await expect(replaceStatusReason(store, account, a!.id, { text: 'Other', state: 'Away' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(replaceStatusReason(store, account, a!.id, { text: 'Other', state: 'Away', deleted: true })).rejects.toMatchObject({ kind: 'not_found' });
    await expectCountsRight(store, account);
  });
});
