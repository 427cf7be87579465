// The simulation checker's rules for restores and reorders catch what they are
// for: a refused restore that shows, a restore that did not bring a reason back,
// a reorder whose answer or revision is not in the order it sent, a later list
// that breaks that order, entries that are not the write's; and accept histories
// that hold (an unknown restore either way).
import { describe, expect, it } from 'vitest';
import type { Change, ChangeEntry } from '../../functions/domain/changes.js';
import { check, type Attempt, type Operation } from './check.js';

type Reason = { id: number; text: string; deleted: boolean; order: number };
const r = (id: number, text: string, order: number, deleted = false): Reason => ({ id, text, deleted, order });
const answered = (status: number, revision: number | undefined, body?: unknown): Attempt => ({ status, revision, body, started: 0, ended: 0, clientLost: false });
let index = 0;
const op = (kind: Operation['kind'], attempts: Attempt[], fields: Partial<Operation> = {}): Operation => ({ index: ++index, worker: 0, api: 'liveperson', kind, account: 'a', attempts, ...fields });
const create = (revision: number, reason: Reason) => op('create', [answered(200, revision, [reason])], { texts: [reason.text] });
const del = (revision: number, reason: Reason) => op('delete', [answered(200, revision, { ...reason, deleted: true })], { targetId: reason.id });
const restore = (attempt: Attempt, reason: Reason) => op('restore', [attempt], { targetId: reason.id, restoreText: reason.text });
const reorder = (attempt: Attempt, ids: number[]) => op('reorder', [attempt], { ids });
const list = (revision: number, items: Reason[]) => op('list', [answered(200, revision, items)], { includeDeleted: true });

const change = (op: Change['op'], reason: Reason, before?: Change['before']): Change => ({ id: reason.id, op, reason: { ...reason, state: 'Away', enabled: true }, ...(before && { before }) });
const entry = (revision: number, ...changes: Change[]): ChangeEntry => ({ revision, at: '2026-12-02T00:00:00.000Z', via: 'liveperson', actor: {}, changes });

// Reasons 1 "x" and 2 "y" created (revisions 1, 2; 2 precedes 1), 1 deleted (3).
const [x, y] = [r(1, 'x', 10), r(2, 'y', 5)];
const start = () => [create(1, x), create(2, y), del(3, x)];
const startEntries = () => [entry(1, change('created', x)), entry(2, change('created', y)), entry(3, change('deleted', { ...x, deleted: true }, { deleted: false }))];
const run = (ops: Operation[], final: { revision: number; items: Reason[] }, entries?: ChangeEntry[]) =>
  check(ops, new Map([['a', final]]), entries && new Map([['a', { entries, events: undefined }]]));

describe('the checker of restores', () => {
  it('accepts a restore answered 200: the reason live again with its text, a `restored` entry', () => {
    const ops = [...start(), restore(answered(200, 4, x), x), list(4, [y, x])];
    expect(run(ops, { revision: 4, items: [y, x] }, [...startEntries(), entry(4, change('restored', x, { deleted: true }))])).toEqual([]);
  });

  it('finds a refused restore that shows (in a list and in the end)', () => {
    const ops = [...start(), restore(answered(400, undefined, { message: 'text taken' }), x), list(3, [y, x])];
    const found = run(ops, { revision: 3, items: [y, x] });
    expect(found.some((a) => a.includes('reason 1 is "x", but at that revision it was "x" (deleted)'))).toBe(true);
    expect(found.some((a) => a.includes('but the final read shows it not deleted'))).toBe(true);
  });

  it('finds a restore answered 200 after which the reason is still deleted', () => {
    const ops = [...start(), restore(answered(200, 4, x), x), list(4, [y, { ...x, deleted: true }])];
    expect(run(ops, { revision: 4, items: [y, { ...x, deleted: true }] }).some((a) => a.includes('reason 1 is "x" (deleted), but at that revision it was "x"'))).toBe(true);
  });

  it("finds a restore's entry that says `updated` of a reason that was deleted", () => {
    const ops = [...start(), restore(answered(200, 4, x), x)];
    const found = run(ops, { revision: 4, items: [y, x] }, [...startEntries(), entry(4, change('updated', x))]);
    expect(found.some((a) => a.includes('restore #') && a.includes('but its entry has'))).toBe(true);
  });

  it('accepts an unknown restore either way, and counts it when it shows', () => {
    const unknownRestore = () => restore(answered(500, undefined, { message: 'unknown' }), x);
    expect(run([...start(), unknownRestore()], { revision: 3, items: [y, { ...x, deleted: true }] })).toEqual([]);
    expect(run([...start(), unknownRestore()], { revision: 4, items: [y, x] }, [...startEntries(), entry(4, change('restored', x, { deleted: true }))])).toEqual([]);
    // Not landed, yet an entry says it did: the revision count and the history both disagree.
    const found = run([...start(), unknownRestore()], { revision: 3, items: [y, { ...x, deleted: true }] }, [...startEntries(), entry(4, change('restored', x, { deleted: true }))]);
    expect(found.some((a) => a.includes('not one for each of 1..3'))).toBe(true);
  });
});

describe('the checker of reorders', () => {
  // 1 "x" (10) and 3 "z" (20) live after revision 3; the reorder puts 3 first.
  const z = r(3, 'z', 20);
  const base = () => [create(1, x), create(2, y), create(3, z), del(4, y)];
  const baseEntries = () => [entry(1, change('created', x)), entry(2, change('created', y)), entry(3, change('created', z)), entry(4, change('deleted', { ...y, deleted: true }, { deleted: false }))];
  const moved = r(3, 'z', 0);
  const gone = { ...y, deleted: true };

  it('accepts a reorder whose answer, revision and later lists hold its order, and its `reordered` entry', () => {
    const ops = [...base(), reorder(answered(200, 5, [moved, x]), [3, 1]), list(5, [moved, x, { ...y, deleted: true }])];
    expect(run(ops, { revision: 5, items: [moved, gone, x] }, [...baseEntries(), entry(5, change('reordered', moved, { order: 20 }))])).toEqual([]);
  });

  it('finds an answer that is not in the order sent', () => {
    const ops = [...base(), reorder(answered(200, 5, [x, moved]), [3, 1])];
    expect(run(ops, { revision: 5, items: [moved, x, gone] }).some((a) => a.includes('sent the order [3, 1] but answered [1, 3]'))).toBe(true);
  });

  it("finds a list at the reorder's revision, or after it, in another order", () => {
    const ops = [...base(), reorder(answered(200, 5, [moved, x]), [3, 1]), list(5, [x, z])];
    expect(run(ops, { revision: 5, items: [moved, x, gone] }).some((a) => a.includes('not the order it sent [3, 1]'))).toBe(true);
    const later = [...base(), reorder(answered(200, 5, [moved, x]), [3, 1]), create(6, r(4, 'w', -5)), list(6, [r(4, 'w', -5), x, z])];
    expect(run(later, { revision: 6, items: [r(4, 'w', -5), moved, x, gone] }).some((a) => a.includes('shows reason 1 before 3, against the order'))).toBe(true);
  });

  it('finds a refused reorder that changed the order or left an entry', () => {
    const refused = reorder(answered(409, undefined, { message: 'revision conflict' }), [3, 1]);
    const ops = [...base(), reorder(answered(200, 5, [x, z]), [1, 3]), refused];
    // The final read shows the refused order against the last reorder answered 200.
    expect(run(ops, { revision: 5, items: [moved, x, gone] }).some((a) => a.includes('the final read at revision 5') && a.includes('not the order it sent [1, 3]'))).toBe(true);
    // An entry for it at a revision no write answered 200 for.
    const found = run(ops, { revision: 6, items: [moved, x, gone] }, [...baseEntries(), entry(5), entry(6, change('reordered', moved, { order: 20 }))]);
    expect(found.some((a) => a.includes('revision 6') && a.includes('nor one a write of unknown outcome could have made'))).toBe(true);
  });

  it("finds a reorder's entry that moves a reason to another value than its answer", () => {
    const ops = [...base(), reorder(answered(200, 5, [moved, x]), [3, 1])];
    const found = run(ops, { revision: 5, items: [moved, x, gone] }, [...baseEntries(), entry(5, change('reordered', { ...moved, order: 7 }, { order: 20 }))]);
    expect(found.some((a) => a.includes('reorder #') && a.includes('but its entry has'))).toBe(true);
  });

  it("finds a repeat that is not the first answer exactly: a reason deleted since left out, a field as it is now, another order", () => {
    const keyed = reorder(answered(200, 5, [moved, x]), [3, 1]);
    keyed.attempts.push(answered(200, 5, [moved, x]));
    expect(run([...base(), keyed], { revision: 5, items: [moved, x, gone] })).toEqual([]);
    for (const other of [[x], [moved, { ...x, text: 'x now' }], [x, moved]]) {
      keyed.attempts[1] = answered(200, 5, other);
      expect(run([...base(), keyed], { revision: 5, items: [moved, x, gone] }).some((a) => a.includes('a repeat answered'))).toBe(true);
    }
  });
});
