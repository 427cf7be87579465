// The change history (SPEC §6 and the history guarantee of §4) on DynamoDB
// Local: one entry per successful write, at its revision, committed with it;
// none for a refused or failed write, also under DynamoDB's faults; entries
// after r applied to the list at r give the newest list, and undone on the
// newest list give the one at r (a keyed reorder's repeat answers so); a 100-reason create of
// maximum-size reasons is stored whole (in parts) and read back whole; the
// keep-limits drop the oldest entries a bounded number per write; 410 below them.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChanges, revertChanges, type ChangeEntry } from '../../functions/domain/changes.js';
import { DomainError } from '../../functions/domain/errors.js';
import { LIMITS, publicReason, type NewReason, type StatusReason } from '../../functions/domain/status-reason.js';
import {
  createStatusReasons,
  deleteStatusReason,
  listStatusReasons,
  reorderStatusReasons,
  replaceStatusReason,
} from '../../functions/domain/status-reasons.js';
import type { StatusReasonStore } from '../../functions/domain/store.js';
import { HEAD_PREFIX, PART_PREFIX, PURGE_ACTIONS_MAX } from '../../functions/store/history.js';
import { partitionKey } from '../../functions/store/layout.js';
import { faultyClient, isCommit, rules, type FaultPolicy } from '../support/fault-layer.js';
import { dynamoEndpoint, newAccount, testTableWithDocuments } from '../support/dynamo.js';
import { DynamoStatusReasonStore, type DynamoStoreOptions } from '../../functions/store/dynamo-store.js';

const { table, doc } = testTableWithDocuments();

const reason = (text: string, extra: Partial<NewReason> = {}): NewReason => ({ text, state: 'Away', enabled: true, deleted: false, ...extra });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as DomainError);

/** Every entry of the account, through the store's paging. */
async function allEntries(store: StatusReasonStore, account: string, since = 0): Promise<ChangeEntry[]> {
  const entries: ChangeEntry[] = [];
  for (let from = since; ; ) {
    const page = await store.changes(account, from, 100);
    entries.push(...page.changes);
    if (!page.more) return entries;
    from = page.changes[page.changes.length - 1]!.revision;
  }
}

const historyItems = async (account: string, prefix: string) =>
  (
    await doc().send(
      new QueryCommand({
        TableName: table().tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': partitionKey(account), ':p': prefix },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

describe('an entry per successful write', () => {
  it('create, update, delete, restore and reorder each record one entry at their revision, with the reason after and the changed fields before', async () => {
    const store = table().store();
    const account = newAccount();
    const created = await createStatusReasons(store, account, [reason('Lunch'), reason('Training', { order: 10, description: 'weekly' })]);
    const [lunch, training] = created.items;
    await replaceStatusReason(store, account, lunch!.id, { text: 'Lunch break', state: 'Occupied' });
    await deleteStatusReason(store, account, training!.id);
    await replaceStatusReason(store, account, training!.id, { text: 'Training', state: 'Away', deleted: false });
    await reorderStatusReasons(store, account, [training!.id, lunch!.id]);

    const entries = await allEntries(store, account);
    expect(entries.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5]);
    for (const entry of entries) {
      expect(entry.via).toBe('invoke');
      expect(entry.actor).toEqual({ claimed: true });
      expect(new Date(entry.at).toISOString()).toBe(entry.at);
    }
    expect(entries[0]!.changes).toEqual(created.items.map((item) => ({ id: item.id, op: 'created', reason: publicReason(item) })));
    expect(entries[1]!.changes).toEqual([
      { id: lunch!.id, op: 'updated', reason: { ...publicReason(lunch!), text: 'Lunch break', state: 'Occupied' }, before: { text: 'Lunch', state: 'Away' } },
    ]);
    expect(entries[2]!.changes).toEqual([{ id: training!.id, op: 'deleted', reason: { ...publicReason(training!), deleted: true }, before: { deleted: false } }]);
    expect(entries[3]!.changes).toEqual([{ id: training!.id, op: 'restored', reason: publicReason(training!), before: { deleted: true } }]);
    expect(entries[4]!.changes.map((c) => c.op)).toEqual(entries[4]!.changes.map(() => 'reordered'));
    const after = await listStatusReasons(store, account);
    expect(after.items.map((r) => r.id)).toEqual([training!.id, lunch!.id]);
    for (const change of entries[4]!.changes) expect(change.reason).toEqual(publicReason(after.items.find((r) => r.id === change.id)!));
  });

  it('refused writes (duplicate text, stale If-Match, unknown id, over the cap) record nothing, and the next write takes the next revision', async () => {
    const store = table().store();
    const account = newAccount();
    await createStatusReasons(store, account, [reason('One')]);
    const refusals = await Promise.all([
      failure(createStatusReasons(store, account, [reason('one ')])),
      failure(createStatusReasons(store, account, [reason('Two')], { ifMatch: 0 })),
      failure(replaceStatusReason(store, account, 999, { text: 'X', state: 'Away' })),
      failure(deleteStatusReason(store, account, 999)),
    ]);
    expect(refusals.map((e) => e?.kind)).toEqual(['duplicate', 'revision_conflict', 'not_found', 'not_found']);
    await createStatusReasons(store, account, [reason('Two')]);
    const entries = await allEntries(store, account);
    expect(entries.map((e) => [e.revision, e.changes.map((c) => c.reason.text)])).toEqual([
      [1, ['One']],
      [2, ['Two']],
    ]);
  });

  it('concurrent writers: entries 1..n, one each, each matching the write answered at that revision', async () => {
    const store = table().store();
    const account = newAccount();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => createStatusReasons(store, account, [reason(`Racer ${i}`)])));
    const entries = await allEntries(store, account);
    expect(entries.map((e) => e.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const answer of answers) expect(entries[answer.revision - 1]!.changes[0]!.reason).toEqual(publicReason(answer.items[0]!));
  });

  it('a client holding the list at revision r that applies the entries after r holds the newest list (random writes)', async () => {
    const store = table().store();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('create', 'replace', 'delete', 'restore', 'reorder'), fc.nat(50), fc.nat(20)), { minLength: 4, maxLength: 14 }),
        fc.nat(14),
        async (steps, holdAt) => {
          const account = newAccount();
          let held: { revision: number; items: StatusReason[] } | undefined;
          for (const [kind, pick, n] of steps) {
            const all = (await listStatusReasons(store, account, { includeDeleted: true })).items;
            if (all.length === 0 || kind === 'create') {
              await failure(createStatusReasons(store, account, Array.from({ length: 1 + (n % 3) }, (_, i) => reason(`T${pick}-${n}-${i}`, n % 4 === 0 ? { order: pick } : {}))));
            } else {
              const target = all[pick % all.length]!;
              if (kind === 'replace') await failure(replaceStatusReason(store, account, target.id, { text: `R${pick}-${n}`, state: 'Online', enabled: n % 2 === 0 }));
              if (kind === 'delete') await failure(deleteStatusReason(store, account, target.id));
              if (kind === 'restore') await failure(replaceStatusReason(store, account, target.id, { text: target.text, state: target.state, deleted: false }));
              if (kind === 'reorder') {
                const live = all.filter((r) => !r.deleted).map((r) => r.id);
                await failure(reorderStatusReasons(store, account, n % 2 ? live.reverse() : [...live.slice(1), ...live.slice(0, 1)]));
              }
            }
            const now = await listStatusReasons(store, account, { includeDeleted: true });
            if (held === undefined || now.revision === holdAt) held = now;
          }
          const newest = await listStatusReasons(store, account, { includeDeleted: true });
          const entries = await allEntries(store, account, held!.revision);
          expect(entries.map((e) => e.revision)).toEqual(Array.from({ length: newest.revision - held!.revision }, (_, i) => held!.revision + 1 + i));
          const byId = (list: StatusReason[]) => [...list].sort((a, b) => a.id - b.id).map(publicReason);
          expect(byId(applyChanges(held!.items, entries))).toEqual(byId(newest.items));
          // And back: the live list now, with the entries undone, is the list at r.
          const live = (list: StatusReason[]) => byId(list.filter((r) => !r.deleted));
          expect(live(revertChanges(newest.items.filter((r) => !r.deleted), entries))).toEqual(live(held!.items));
        },
      ),
      { numRuns: 12 },
    );
    // About 5 s alone; in a full suite on a slow machine it once ran past the 30 s default.
  }, 120_000);
});

describe("a keyed reorder's repeat", () => {
  const key = (name: string) => ({ key: `lp:${name}`, fingerprint: `reorder ${name}` });

  it('answers exactly the first answer (fields, orders, reasons deleted since) after other writes, and writes nothing', async () => {
    const store = table().store();
    const account = newAccount();
    const { items } = await createStatusReasons(store, account, [reason('A', { order: 10 }), reason('B', { order: 20 }), reason('C', { order: 30, description: 'c' }), reason('D', { order: 40 })]);
    const [a, b, c, d] = items.map((r) => r.id) as [number, number, number, number];
    const first = await reorderStatusReasons(store, account, [d, c, b, a], { idempotency: key('1') });
    // Later: a text and a description change, a delete, a delete and restore, a create, and another reorder.
    await replaceStatusReason(store, account, a, { text: 'A renamed', state: 'Online', enabled: false });
    await replaceStatusReason(store, account, c, { text: 'C', state: 'Away', description: 'changed' });
    await deleteStatusReason(store, account, b);
    await deleteStatusReason(store, account, d);
    await replaceStatusReason(store, account, d, { text: 'D', state: 'Away', deleted: false });
    const { items: created } = await createStatusReasons(store, account, [reason('E')]);
    await reorderStatusReasons(store, account, [created[0]!.id, a, c, d]);
    const before = await listStatusReasons(store, account, { includeDeleted: true });

    const repeat = await reorderStatusReasons(store, account, [d, c, b, a], { idempotency: key('1') });
    expect(repeat).toEqual({ revision: first.revision, replayed: true, items: first.items });
    expect(await listStatusReasons(store, account, { includeDeleted: true })).toEqual(before);
  });

  it('reads back one page of entries at most (100): past it, the nearest answer', async () => {
    const store = table().store();
    const account = newAccount();
    const { items } = await createStatusReasons(store, account, [reason('A', { order: 10 }), reason('B', { order: 20 })]);
    const [a, b] = items.map((r) => r.id) as [number, number];
    const first = await reorderStatusReasons(store, account, [b, a], { idempotency: key('3') });
    for (let i = 1; i <= 100; i++) await replaceStatusReason(store, account, a, { text: `A${i}`, state: 'Away' });
    expect((await reorderStatusReasons(store, account, [b, a], { idempotency: key('3') })).items).toEqual(first.items); // 100 since: exact
    await replaceStatusReason(store, account, a, { text: 'A101', state: 'Away' });
    const repeat = await reorderStatusReasons(store, account, [b, a], { idempotency: key('3') });
    expect(repeat.items.map((r) => [r.id, r.order, r.text])).toEqual([
      [b, first.items[0]!.order, 'B'],
      [a, first.items[1]!.order, 'A101'],
    ]);
  });

  it("past the kept history, answers the first answer's ids and orders with the reasons as they are now, one deleted since left out", async () => {
    const store = table().store({ keepLimits: { maxAgeMs: 86_400_000, maxBytes: 2_000 } });
    const account = newAccount();
    const { items } = await createStatusReasons(store, account, [reason('A', { order: 10 }), reason('B', { order: 20 }), reason('C', { order: 30 })]);
    const [a, b, c] = items.map((r) => r.id) as [number, number, number];
    const first = await reorderStatusReasons(store, account, [c, b, a], { idempotency: key('2') });
    await deleteStatusReason(store, account, b);
    await replaceStatusReason(store, account, a, { text: 'A renamed', state: 'Away' });
    for (let i = 0; i < 30; i++) await createStatusReasons(store, account, [reason(`Filler ${i} ${'x'.repeat(100)}`)]);
    expect(await failure(store.changes(account, first.revision, 1))).toMatchObject({ kind: 'history_gone' });

    const repeat = await reorderStatusReasons(store, account, [c, b, a], { idempotency: key('2') });
    expect(repeat.revision).toBe(first.revision);
    expect(repeat.items.map((r) => [r.id, r.order, r.text])).toEqual([
      [c, first.items[0]!.order, 'C'],
      [a, first.items[2]!.order, 'A renamed'],
    ]);
  });
});

/** Characters of three UTF-8 bytes, from a seeded generator: content gzip cannot shrink much. */
function cjk(seed: number, length: number): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += String.fromCharCode(0x4e00 + (x % 20_000));
  }
  return out;
}

/** A reason as large as the rules allow, in characters of three UTF-8 bytes. */
const maximal = (i: number): NewReason => ({
  text: `${i} ${cjk(i, LIMITS.textMax - 2 - String(i).length)}`,
  state: 'Away',
  enabled: true,
  deleted: true, // deleted reasons do not count towards the live budget: the largest create there is
  description: cjk(i + 1000, LIMITS.descriptionMax),
  tags: Object.fromEntries(Array.from({ length: LIMITS.tagsMax }, (_, t) => [`${String(t).padStart(3, '0')}${cjk(i * 100 + t, LIMITS.tagKeyMax - 3)}`, cjk(i * 1000 + t, LIMITS.tagValueMax)])),
});

describe('a 100-reason create of maximum-size reasons', () => {
  it('is stored whole, in parts under the 400 KB item limit, and read back whole', async () => {
    // DynamoDB Local on a shared machine takes seconds over 6 MB.
    const store = table().store({ requestMs: 60_000, leaseMs: 90_000, attemptMs: 20_000 });
    const account = newAccount();
    const items = Array.from({ length: 100 }, (_, i) => maximal(i));
    const created = await createStatusReasons(store, account, items);
    const json = Buffer.byteLength(JSON.stringify(created.items));
    expect(json).toBeGreaterThan(5_000_000);

    const parts = await historyItems(account, PART_PREFIX);
    expect(parts.length).toBeGreaterThan(1);
    // An item's size: its attribute names and values (the data is binary).
    for (const part of parts) expect((part.data as Uint8Array).byteLength + (part.sk as string).length + (part.pk as string).length + (part.token as string).length + 20).toBeLessThan(400_000);
    const page = await store.changes(account, 0, 100);
    expect(page).toMatchObject({ revision: 1, more: false });
    expect(page.changes).toHaveLength(1);
    expect(page.changes[0]!.changes.map((c) => c.reason)).toEqual(created.items.map(publicReason));
  });

  it('whose commit fails leaves no entry, and its parts are removed', async () => {
    const account = newAccount();
    const { client } = faultyClient(dynamoEndpoint(), rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'server-error' } }]));
    const store = new DynamoStatusReasonStore({ client, tableName: table().tableName, requestMs: 1_500, attemptMs: 400, callBackoff: { baseMs: 5, maxMs: 50 } });
    const error = await failure(createStatusReasons(store, account, Array.from({ length: 100 }, (_, i) => maximal(i))));
    expect(error?.kind).toBe('busy');
    expect(await historyItems(account, PART_PREFIX)).toEqual([]);
    expect(await historyItems(account, HEAD_PREFIX)).toEqual([]);
    expect(await table().store().changes(account, 0, 100)).toEqual({ revision: 0, changes: [], more: false });
  });
});

describe('under DynamoDB faults', () => {
  /** A store through the fault layer, with short waits. */
  const faulty = (policy: FaultPolicy, options: Partial<DynamoStoreOptions> = {}) =>
    new DynamoStatusReasonStore({
      client: faultyClient(dynamoEndpoint(), policy).client,
      tableName: table().tableName,
      requestMs: 1_500,
      attemptMs: 400,
      callBackoff: { baseMs: 5, maxMs: 50 },
      throttleBackoff: { baseMs: 5, maxMs: 50 },
      ...options,
    });

  it('a commit whose answer is lost is one entry (applied once); a commit that keeps failing is none; a throttled one is retried to one', async () => {
    const account = newAccount();
    await createStatusReasons(faulty(rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'lost' }, times: 1 }])), account, [reason('Lost answer')]);
    expect(await failure(createStatusReasons(faulty(rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'server-error' } }])), account, [reason('Failed')]))).toMatchObject({
      kind: 'busy',
    });
    await createStatusReasons(faulty(rules([{ operation: 'TransactWriteItems', when: isCommit, fault: { kind: 'throttle' }, times: 3 }])), account, [reason('Throttled')]);
    const entries = await allEntries(table().store(), account);
    expect(entries.map((e) => [e.revision, e.changes[0]!.reason.text])).toEqual([
      [1, 'Lost answer'],
      [2, 'Throttled'],
    ]);
  });
});

describe('GET changes: bounds', () => {
  it('since equal to the current revision answers empty from #META alone; since above it is refused naming since', async () => {
    const account = newAccount();
    const calls: string[] = [];
    const { client } = faultyClient(dynamoEndpoint(), (call) => (calls.push(call.operation), undefined));
    const store = new DynamoStatusReasonStore({ client, tableName: table().tableName });
    await createStatusReasons(table().store(), account, [reason('A')]);
    expect(await store.changes(account, 1, 100)).toEqual({ revision: 1, changes: [], more: false });
    expect(calls).toEqual(['GetItem']);
    const error = await failure(store.changes(account, 2, 100));
    expect(error).toMatchObject({ kind: 'invalid', errors: [{ path: 'since' }] });
  });

  it('pages by limit, oldest first, with more', async () => {
    const store = table().store();
    const account = newAccount();
    for (let i = 0; i < 5; i++) await createStatusReasons(store, account, [reason(`P${i}`)]);
    const first = await store.changes(account, 0, 2);
    expect(first.changes.map((e) => e.revision)).toEqual([1, 2]);
    expect(first).toMatchObject({ revision: 5, more: true });
    const last = await store.changes(account, 3, 2);
    expect(last.changes.map((e) => e.revision)).toEqual([4, 5]);
    expect(last.more).toBe(false);
  });

  it('keeps the newest entries within the byte limit, dropping at most a bounded number per write; since below the oldest kept is history_gone with it', async () => {
    const account = newAccount();
    // Each single-reason entry is a few hundred bytes gzip'd: a limit of 2,000 keeps a handful.
    const store = table().store({ keepLimits: { maxAgeMs: 86_400_000, maxBytes: 2_000 } });
    for (let i = 0; i < 30; i++) await createStatusReasons(store, account, [reason(`Kept ${i} ${'x'.repeat(100)}`)]);
    const heads = await historyItems(account, HEAD_PREFIX);
    const bytes = heads.reduce((sum, head) => sum + (head.bytes as number), 0);
    expect(bytes).toBeLessThanOrEqual(2_000);
    const oldest = Math.min(...heads.map((h) => h.rev as number));
    expect(heads.map((h) => h.rev)).toEqual(Array.from({ length: 30 - oldest + 1 }, (_, i) => oldest + i));
    expect(oldest).toBeGreaterThan(2);
    const gone = await failure(store.changes(account, oldest - 2, 100));
    expect(gone).toMatchObject({ kind: 'history_gone', oldestRevision: oldest });
    expect((await store.changes(account, oldest - 1, 100)).changes.map((e) => e.revision)[0]).toBe(oldest);
  });

  it('drops by age, and no more than the purge budget in one write', async () => {
    const account = newAccount();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = table().store({ now: () => now, keepLimits: { maxAgeMs: 60_000, maxBytes: 1e9 } });
    for (let i = 0; i < PURGE_ACTIONS_MAX + 10; i++) await createStatusReasons(store, account, [reason(`Old ${i}`)]);
    now += 120_000; // every entry so far is past the age limit
    await createStatusReasons(store, account, [reason('New 1')]);
    let heads = await historyItems(account, HEAD_PREFIX);
    expect(heads).toHaveLength(10 + 1);
    await createStatusReasons(store, account, [reason('New 2')]);
    heads = await historyItems(account, HEAD_PREFIX);
    expect(heads.map((h) => h.rev)).toEqual([PURGE_ACTIONS_MAX + 11, PURGE_ACTIONS_MAX + 12]);
  });

  it('an account with revisions from before it kept a history: since below the current revision is history_gone', async () => {
    const account = newAccount();
    const store = table().store();
    await createStatusReasons(store, account, [reason('A')]);
    // As an account written before this version: no history bounds, no entries.
    await doc().send(
      new QueryCommand({ TableName: table().tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': partitionKey(account) } }),
    );
    const { UpdateCommand, DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    await doc().send(new UpdateCommand({ TableName: table().tableName, Key: { pk: partitionKey(account), sk: '#META' }, UpdateExpression: 'REMOVE changesOldest, changesOldestAt, changesBytes' }));
    for (const head of await historyItems(account, HEAD_PREFIX)) await doc().send(new DeleteCommand({ TableName: table().tableName, Key: { pk: head.pk, sk: head.sk } }));
    expect(await failure(store.changes(account, 0, 100))).toMatchObject({ kind: 'history_gone', oldestRevision: 2 });
    await createStatusReasons(store, account, [reason('B')]);
    expect((await store.changes(account, 1, 100)).changes.map((e) => e.revision)).toEqual([2]);
  });
});
