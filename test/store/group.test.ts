// Group commit (functions/store/group.ts) on the real engine: a writer holding
// an account's lease carries the small creates waiting behind it in its own
// commit, each judged on the state the one before left, with its own revision,
// ids and history entry; a waiter that gives up first is never carried; a
// member that leaves while the holder judges it makes the holder commit alone;
// a member that reads late finds its answer in the history.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../functions/domain/errors.js';
import type { NewReason } from '../../functions/domain/status-reason.js';
import { createStatusReasons, listChanges, listStatusReasons } from '../../functions/domain/status-reasons.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../../functions/store/dynamo-store.js';
import type { StoreEvent } from '../../functions/store/events.js';
import { groupIntent, GROUP_ITEMS_MAX } from '../../functions/store/group.js';
import { META_SK, partitionKey } from '../../functions/store/layout.js';
import { encodePlace, lineOf } from '../../functions/store/lease-line.js';
import { faultyClient, type Fault, type FaultPolicy } from '../support/fault-layer.js';
import { dynamoEndpoint, newAccount, readMetaItem, setMetaItem, testTableWithDocuments } from '../support/dynamo.js';
import { ANOTHER_WRITER, freeLeaseItem, holdLeaseItem } from '../support/lease.js';

const fresh = testTableWithDocuments();

const reason = (text: string): NewReason[] => [{ text, state: 'Away', enabled: true, deleted: false }];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const outcome = (promise: Promise<{ revision: number; items: { id: number; text: string }[] }>) =>
  promise.then(
    (ok) => ({ ok, error: undefined }),
    (error: unknown) => ({ ok: undefined, error: error as DomainError }),
  );

const meta = (account: string) => readMetaItem(fresh.doc(), fresh.table().tableName, account);

const setMeta = (account: string, values: Record<string, unknown>, remove: string[] = [], names?: Record<string, string>) =>
  setMetaItem(fresh.doc(), fresh.table().tableName, account, values, remove, names);

/** Another writer holds the lease (turns of `holdMs`) until the test frees it. */
const holdLease = (account: string, holdMs = 30) => holdLeaseItem(fresh.doc(), fresh.table().tableName, account, { holdMs });
const freeLease = (account: string) => freeLeaseItem(fresh.doc(), fresh.table().tableName, account);
const waiting = async (account: string) => lineOf(await meta(account)).filter((w) => w.token !== ANOTHER_WRITER);

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await check()) return;
    await delay(25);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** A store whose calls are counted (through the fault layer), with an optional fault policy. */
function counted(options: Partial<DynamoStoreOptions> = {}, policy?: FaultPolicy) {
  const { client, faults } = faultyClient(dynamoEndpoint(), policy);
  const events: StoreEvent[] = [];
  const store = new DynamoStatusReasonStore({ client, tableName: fresh.table().tableName, onEvent: (e) => events.push(e), ...options });
  return { store, calls: faults.tally.calls, events };
}

describe('which writes may be carried', () => {
  it('small creates without an idempotency key, and nothing else', () => {
    const command = { kind: 'create' as const, items: reason('Lunch') };
    expect(groupIntent({ newIds: 1, textKeys: ['lunch'], command })).toEqual({ command: JSON.stringify(command), buckets: [expect.any(Number)] });
    expect(groupIntent({ newIds: 1, textKeys: ['lunch'], command, idempotency: { key: 'k', fingerprint: 'f' } })).toBeUndefined();
    expect(groupIntent({ newIds: 1, target: 3, textKeys: ['lunch'] })).toBeUndefined();
    const many = { kind: 'create' as const, items: Array.from({ length: GROUP_ITEMS_MAX + 1 }, (_, i) => reason(`R${i}`)[0]!) };
    expect(groupIntent({ newIds: many.items.length, command: many })).toBeUndefined();
    // A long request goes alone: a full line of places carrying creates keeps #META within a few KB.
    const long = { kind: 'create' as const, items: [{ ...reason('Long')[0]!, description: 'x'.repeat(200) }] };
    expect(groupIntent({ newIds: 1, command: long })).toBeUndefined();
  });

  it('a place in the line carries the buckets of a create that may be carried, and reads back as written', () => {
    const command = JSON.stringify({ kind: 'create', items: [{ text: 'A.b|c "d"', state: 'Away', enabled: true, deleted: false }] });
    const w = { since: 1_700_000_000_000, until: 1_700_000_004_000, deadline: 1_700_000_005_000, ids: 2, key: '', group: [0, 7, 15], command };
    const [back] = lineOf({ line: { tok: encodePlace(w) } });
    expect(back).toEqual({ token: 'tok', ...w });
    const [plain] = lineOf({ line: { tok: encodePlace({ ...w, group: undefined, command: undefined }) } });
    expect(plain).toEqual({ token: 'tok', since: w.since, until: w.until, deadline: w.deadline, ids: 2, key: '' });
  });
});

describe('a holder carrying the creates that wait behind it', () => {
  it('commits them with its own write: each its own revision, ids and history entry, and none of them commits or writes #META again', async () => {
    const account = newAccount();
    await holdLease(account);
    const writers = Array.from({ length: 6 }, () => counted());
    const writes: Promise<{ ok: unknown; error: DomainError | undefined }>[] = [];
    for (const [i, w] of writers.entries()) {
      writes.push(outcome(createStatusReasons(w.store, account, reason(`Group ${i}`))));
      // One after another, so that the line's order is the writers' order.
      await until(async () => (await waiting(account)).length === i + 1, `writer ${i} waits`);
    }
    await freeLease(account);
    const results = await Promise.all(writes);
    expect(results.map((r) => r.error)).toEqual(writers.map(() => undefined));
    const answers = results.map((r) => r.ok as { revision: number; items: { id: number; text: string }[] });
    expect(answers.map((a) => a.revision).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(answers.map((a) => a.items[0]!.id)).size).toBe(6);
    // Fewer commits than writes; a carried writer neither commits nor writes #META after arriving.
    const commits = writers.reduce((n, w) => n + (w.calls.TransactWriteItems ?? 0), 0);
    expect(commits).toBeLessThan(6);
    const carried = writers.filter((w) => !w.calls.TransactWriteItems);
    expect(carried.length).toBeGreaterThan(0);
    for (const w of carried) expect(w.calls.UpdateItem).toBe(2); // the take that expected to be alone, and the arrival
    expect(writers.flatMap((w) => w.events).filter((e) => e.type === 'write-grouped').reduce((n, e) => n + (e as { members: number }).members, 0)).toBe(carried.length);
    // Every create is there, and the history has one entry per create, at its answer's revision, naming its reason.
    const list = await listStatusReasons(fresh.table().store(), account);
    expect(list.revision).toBe(6);
    expect(list.items.map((r) => r.text).sort()).toEqual(writers.map((_, i) => `Group ${i}`).sort());
    const history = await listChanges(fresh.table().store(), account, 0);
    expect(history.changes.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const a of answers) {
      const entry = history.changes.find((e) => e.revision === a.revision)!;
      expect(entry.changes.map((c) => c.reason.text)).toEqual([a.items[0]!.text]);
      expect(entry.changes[0]!.id).toBe(a.items[0]!.id);
    }
    const after = await meta(account);
    expect(after.lockToken).toBeUndefined();
    expect(after.line).toEqual({});
  });

  it('judges each on the state the ones before it left: a text taken earlier in the same commit is refused, in that waiter\'s own turn', async () => {
    const account = newAccount();
    await createStatusReasons(fresh.table().store(), account, reason('Taken'));
    await holdLease(account);
    await setMeta(account, { nextId: 2, revision: 1 });
    const writers = Array.from({ length: 4 }, () => counted());
    const texts = ['Same', 'same', 'Other', 'taken'];
    const writes = [];
    for (const [i, w] of writers.entries()) {
      writes.push(outcome(createStatusReasons(w.store, account, reason(texts[i]!))));
      await until(async () => (await waiting(account)).length === i + 1, `writer ${i} waits`);
    }
    await freeLease(account);
    const results = await Promise.all(writes);
    expect(results[0]!.error).toBeUndefined();
    expect(results[1]!.error?.kind).toBe('duplicate');
    expect(results[2]!.error).toBeUndefined();
    expect(results[3]!.error?.kind).toBe('duplicate');
    expect(results[3]!.error?.message).toContain('status reason 1');
    const list = await listStatusReasons(fresh.table().store(), account);
    expect(list.items.map((r) => r.text).sort()).toEqual(['Other', 'Same', 'Taken']);
    expect(list.revision).toBe(3);
  });
});

describe('a waiter a holder might carry', () => {
  it('gives up before any holder carries it: answers busy, and no later commit writes its create', async () => {
    const account = newAccount();
    await holdLease(account);
    const waiter = counted({ leaseWaitMs: 300 });
    const gaveUp = outcome(createStatusReasons(waiter.store, account, reason('Gave up')));
    const { error } = await gaveUp;
    expect(error?.kind).toBe('busy');
    // Its place, which carried its create, is gone: no holder can carry it.
    expect(await waiting(account)).toEqual([]);
    await freeLease(account);
    await createStatusReasons(fresh.table().store(), account, reason('Later'));
    expect((await listStatusReasons(fresh.table().store(), account)).items.map((r) => r.text)).toEqual(['Later']);
  });

  it('that leaves while the holder judges it makes the holder commit alone, handing the lease on by the line as it is then', async () => {
    const account = newAccount();
    await holdLease(account);
    // The holder-to-be waits first; its first commit is preceded by the member leaving the line (as a waiter that gives up does).
    let leaving: string | undefined;
    const holder = counted({}, (call): Fault | undefined => {
      if (call.operation !== 'TransactWriteItems' || !leaving) return undefined;
      const token = leaving;
      leaving = undefined;
      return { kind: 'interleave', run: () => setMeta(account, {}, ['line.#m'], { '#m': token }) };
    });
    const holderWrite = outcome(createStatusReasons(holder.store, account, reason('Holder')));
    await until(async () => (await waiting(account)).length === 1, 'the holder-to-be waits');
    // The member: a place in the line carrying its create, as a waiting create arrives (its process plays no part).
    const command = { kind: 'create' as const, items: reason('Left') };
    const now = Date.now();
    const intent = groupIntent({ newIds: 1, textKeys: ['left'], command })!;
    const place = { since: now, until: now + 20_000, deadline: now + 21_000, ids: 1, key: '', group: intent.buckets, command: intent.command };
    await fresh.doc().send(
      new UpdateCommand({
        TableName: fresh.table().tableName,
        Key: { pk: partitionKey(account), sk: META_SK },
        UpdateExpression: 'SET line.#m = :place',
        ExpressionAttributeNames: { '#m': 'member' },
        ExpressionAttributeValues: { ':place': encodePlace(place) },
      }),
    );
    leaving = 'member';
    await freeLease(account);
    const held = await holderWrite;
    expect(held.error).toBeUndefined();
    expect(holder.calls.TransactWriteItems).toBe(2); // the group commit, refused; then alone
    expect(holder.events.some((e) => e.type === 'write-grouped')).toBe(false);
    const list = await listStatusReasons(fresh.table().store(), account);
    expect(list.items.map((r) => r.text)).toEqual(['Holder']);
    expect(list.revision).toBe(1);
    // Nobody left to hand it to: the lease is free, not handed to the member that left.
    expect((await meta(account)).lockToken).toBeUndefined();
  });

  it('carried between its last read and its leaving (a holder whose clock runs behind): answers as the commit did, not busy', async () => {
    const account = newAccount();
    // Turns of 5 s: the waiter, next in line, sleeps until it gives up, reads once more, then leaves.
    await holdLease(account, 5_000);
    let holderWrite: Promise<unknown> | undefined;
    const waiter = counted({ leaseWaitMs: 1_500 }, (call): Fault | undefined => {
      if (call.operation !== 'UpdateItem' || call.input.UpdateExpression !== 'REMOVE line.#me' || holderWrite) return undefined;
      // Just before it leaves, a holder carries it: the lease freed, a writer 2 s behind arrives, takes it and judges the line.
      holderWrite = (async () => {
        await freeLease(account);
        const behind = new DynamoStatusReasonStore({ client: fresh.table().client, tableName: fresh.table().tableName, now: () => Date.now() - 2_000 });
        return createStatusReasons(behind, account, reason('Holder'));
      })();
      return { kind: 'interleave', run: () => holderWrite! };
    });
    const { ok, error } = await outcome(createStatusReasons(waiter.store, account, reason('Carried at the end')));
    expect(holderWrite).toBeDefined();
    expect(error).toBeUndefined();
    const list = await listStatusReasons(fresh.table().store(), account);
    expect(list.items.map((r) => r.text).sort()).toEqual(['Carried at the end', 'Holder']);
    expect(list.items.find((r) => r.text === 'Carried at the end')!.id).toBe((ok as { items: { id: number }[] }).items[0]!.id);
    expect(waiter.calls.TransactWriteItems ?? 0).toBe(0);
  });

  it('that reads only after a later commit cleared the answers in #META finds its answer in the history', async () => {
    const account = newAccount();
    // Turns of 2 s: a waiter that is not next reads only after two of them.
    await holdLease(account, 2_000);
    const late = counted({ leaseWaitMs: 20_000 });
    const first = counted();
    const firstWrite = outcome(createStatusReasons(first.store, account, reason('First')));
    await until(async () => (await waiting(account)).length === 1, 'the first waits');
    const lateWrite = outcome(createStatusReasons(late.store, account, reason('Late reader')));
    await until(async () => (await waiting(account)).length === 2, 'the late reader waits');
    const readsBefore = late.calls.GetItem ?? 0;
    await freeLease(account);
    // The first takes the lease and carries the late reader; then another write clears #META's answers.
    expect((await firstWrite).error).toBeUndefined();
    expect((await meta(account)).answered).toBeDefined();
    await createStatusReasons(fresh.table().store(), account, reason('Clears'));
    expect((await meta(account)).answered).toBeUndefined();
    expect(late.calls.GetItem ?? 0).toBe(readsBefore); // still asleep
    const { ok, error } = await lateWrite;
    expect(error).toBeUndefined();
    expect(late.calls.TransactWriteItems ?? 0).toBe(0);
    expect(late.calls.Query).toBe(1); // the history, read once
    const answer = ok as { revision: number; items: { id: number; text: string }[] };
    const list = await listStatusReasons(fresh.table().store(), account);
    expect(list.items.find((r) => r.text === 'Late reader')?.id).toBe(answer.items[0]!.id);
    expect(answer.revision).toBe(2);
  });
});
