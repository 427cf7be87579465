// The console's pure parts: the conflict message, where a filtered drag lands, and line numbers of a refused create.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { HistoryEntry, Reason } from '../../web/src/api.js';
import { describeActor, describeChange, describeChanges, lineErrors, linesOf, moveInWhole, withEntries, withItems } from '../../web/src/model.js';

const reason = (id: number, text: string, fields: Partial<Reason> = {}): Reason => ({ id, text, state: 'Away', enabled: true, deleted: false, order: id * 10, ...fields });

describe('describeChanges', () => {
  test('names additions, deletions, restores, renames, state and enabled changes', () => {
    const before = [reason(1, 'Lunch'), reason(2, 'Meeting', { state: 'Occupied' }), reason(3, 'Training'), reason(4, 'Gone', { deleted: true })];
    const after = [reason(1, 'Lunch break'), reason(2, 'Meeting', { state: 'Online', enabled: false }), reason(4, 'Gone'), reason(5, 'Coffee', { state: 'Occupied' })];
    expect(describeChanges(before, after)).toEqual([
      'Renamed “Lunch” to “Lunch break”',
      '“Meeting” is now Online (was Back soon)',
      'Disabled “Meeting”',
      'Restored “Gone” (Away)',
      'Added “Coffee” (Back soon)',
      'Deleted “Training”',
    ]);
  });

  test('a move names only the reasons that moved, not the ones that kept their relative order', () => {
    const before = [1, 2, 3, 4, 5].map((id) => reason(id, `R${id}`));
    const after = [1, 4, 2, 3, 5].map((id) => reason(id, `R${id}`));
    expect(describeChanges(before, after)).toEqual(['Moved “R4”']);
    expect(describeChanges(before, before)).toEqual([]);
  });

  test('the moves named are the fewest that explain the new order (n minus the longest kept run)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), fc.integer(), (ids, seed) => {
        const before = ids.map((id) => reason(id, `R${id}`));
        const shuffled = [...before].sort((a, b) => ((a.id * 7919 + seed) % 101) - ((b.id * 7919 + seed) % 101));
        const moved = describeChanges(before, shuffled).length;
        // Brute check of the longest increasing subsequence by O(n^2) dynamic programming.
        const positions = shuffled.map((item) => ids.indexOf(item.id));
        const best = positions.map(() => 1);
        for (let i = 0; i < positions.length; i++) for (let j = 0; j < i; j++) if (positions[j]! < positions[i]!) best[i] = Math.max(best[i]!, best[j]! + 1);
        expect(moved).toBe(ids.length - Math.max(...best));
      }),
    );
  });
});

describe('moveInWhole', () => {
  test('a reason dragged inside a filtered view lands next to the one it was dropped on', () => {
    const whole = [1, 2, 3, 4, 5];
    expect(moveInWhole(whole, 5, 1, false)).toEqual([5, 1, 2, 3, 4]);
    expect(moveInWhole(whole, 1, 3, true)).toEqual([2, 3, 1, 4, 5]);
    expect(moveInWhole(whole, 4, 2, false)).toEqual([1, 4, 2, 3, 5]);
    expect(moveInWhole(whole, 3, 9, false)).toEqual(whole);
  });

  test('the result is always the same reasons, each once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50), { minLength: 2, maxLength: 30 }), fc.nat(), fc.nat(), fc.boolean(), (whole, a, b, down) => {
        const active = whole[a % whole.length]!;
        const over = whole[b % whole.length]!;
        if (active === over) return;
        const moved = moveInWhole(whole, active, over, down);
        expect([...moved].sort((x, y) => x - y)).toEqual([...whole].sort((x, y) => x - y));
        expect(moved.indexOf(active) - moved.indexOf(over)).toBe(down ? 1 : -1);
      }),
    );
  });
});

describe('a refused create', () => {
  test('errors name the text area line, skipping blank lines', () => {
    const { texts, lineOf } = linesOf('Training\n\n  lunch  \nTeam meeting\n');
    expect(texts).toEqual(['Training', 'lunch', 'Team meeting']);
    expect(lineErrors([{ path: '[1].text', message: 'is taken' }, { path: '', message: 'too many' }], lineOf, texts)).toEqual([
      { line: 3, text: 'lunch', message: 'is taken' },
      { line: 0, text: '', message: 'too many' },
    ]);
  });
});

test('a write answer replaces the reason in place and keeps the list in order', () => {
  const list = { revision: 3, items: [reason(1, 'A'), reason(2, 'B'), reason(3, 'C')] };
  expect(withItems(list, 4, [reason(2, 'B', { deleted: true })], false)).toEqual({ revision: 4, items: [reason(1, 'A'), reason(3, 'C')] });
  expect(withItems(list, 4, [reason(4, 'New', { order: 0 })], false).items.map((r) => r.text)).toEqual(['New', 'A', 'B', 'C']);
});

const entry = (revision: number, changes: HistoryEntry['changes'], fields: Partial<HistoryEntry> = {}): HistoryEntry => ({
  revision,
  at: '2026-12-02T14:31:07.412Z',
  via: 'liveperson',
  actor: { sub: 'ann', client_id: 'console' },
  changes,
  ...fields,
});

describe('withEntries (what a poll of changes?since= does to the list on screen)', () => {
  const list = { revision: 4, items: [reason(1, 'Lunch'), reason(2, 'Meeting'), reason(3, 'Training')] };

  test('each changed reason becomes the reason as its write left it; deleted ones leave the live list; order is re-sorted', () => {
    const next = withEntries(
      list,
      [
        entry(5, [{ id: 4, op: 'created', reason: reason(4, 'Coffee', { order: 5 }) }]),
        entry(6, [{ id: 1, op: 'updated', reason: reason(1, 'Lunch break'), before: { text: 'Lunch' } }]),
        entry(7, [{ id: 3, op: 'deleted', reason: reason(3, 'Training', { deleted: true }) }]),
        entry(8, [{ id: 2, op: 'reordered', reason: reason(2, 'Meeting', { order: 1 }), before: { order: 20 } }]),
      ],
      false,
    );
    expect(next.revision).toBe(8);
    expect(next.items.map((item) => item.text)).toEqual(['Meeting', 'Coffee', 'Lunch break']);
    const withDeleted = withEntries(list, [entry(5, [{ id: 3, op: 'deleted', reason: reason(3, 'Training', { deleted: true }) }])], true);
    expect(withDeleted.items.find((item) => item.id === 3)?.deleted).toBe(true);
  });

  test('entries the list already holds change nothing; no entries keep the same list', () => {
    expect(withEntries(list, [], false)).toBe(list);
    expect(withEntries(list, [entry(4, [{ id: 1, op: 'updated', reason: reason(1, 'Stale') }])], false)).toBe(list);
  });

  test('applying the entries equals the list the server answers (random writes replayed)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 1, max: 6 }), order: fc.integer({ min: -50, max: 50 }), deleted: fc.boolean(), text: fc.constantFrom('a', 'b', 'c') }), { maxLength: 20 }),
        (writes) => {
          const truth = new Map<number, Reason>();
          const entries = writes.map((write, i) => {
            const next = reason(write.id, `${write.text}${write.id}`, { order: write.order, deleted: write.deleted });
            truth.set(write.id, next);
            return entry(i + 1, [{ id: write.id, op: 'updated', reason: next }]);
          });
          const applied = withEntries({ revision: 0, items: [] }, entries, false);
          const expected = [...truth.values()].filter((item) => !item.deleted).sort((a, b) => a.order - b.order || a.id - b.id);
          expect(applied.items).toEqual(expected);
          expect(applied.revision).toBe(writes.length);
        },
      ),
    );
  });
});

describe('describeChange and describeActor (the history view’s words)', () => {
  test('a create names the state it set; an update each changed field old → new; delete and restore by their op', () => {
    expect(describeChange({ id: 1, op: 'created', reason: reason(1, 'Lunch', { state: 'Occupied', enabled: false }) })).toEqual({ op: 'created', text: 'Lunch', values: ['state Back soon', 'disabled'] });
    expect(
      describeChange({ id: 1, op: 'updated', reason: reason(1, 'Lunch break', { enabled: false, description: 'Away 30 min' }), before: { text: 'Lunch', enabled: true, description: null } }),
    ).toEqual({ op: 'updated', text: 'Lunch break', values: ['text: “Lunch” → “Lunch break”', 'enabled: yes → no', 'description: (none) → “Away 30 min”'] });
    expect(describeChange({ id: 1, op: 'deleted', reason: reason(1, 'Lunch', { deleted: true }), before: { deleted: false } })).toEqual({ op: 'deleted', text: 'Lunch', values: [] });
    expect(describeChange({ id: 1, op: 'reordered', reason: reason(1, 'Lunch', { order: 5 }), before: { order: 40 } }).values).toEqual(['order: 40 → 5']);
    expect(describeChange({ id: 1, op: 'updated', reason: reason(1, 'Lunch', { state: 'Online' }), before: { state: 'Away' } }).values).toEqual(['state: Away → Online']);
  });

  test('who: a token’s subject and client, an IAM ARN, or what a direct invoker claims', () => {
    expect(describeActor(entry(1, []))).toEqual({ who: 'ann (client console)', via: 'LivePerson API' });
    expect(describeActor(entry(1, [], { actor: {} })).who).toBe('a token without a subject');
    expect(describeActor(entry(1, [], { via: 'connect', actor: { arn: 'arn:aws:iam::1:user/bob' } }))).toEqual({ who: 'arn:aws:iam::1:user/bob', via: 'Connect API' });
    expect(describeActor(entry(1, [], { via: 'invoke', actor: { service: 'crm-sync', claimed: true } }))).toEqual({ who: 'service crm-sync (as claimed by the caller)', via: 'direct invoke' });
  });
});
