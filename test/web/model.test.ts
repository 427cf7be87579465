// The console's pure parts: the conflict message, where a filtered drag lands, and line numbers of a refused create.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Reason } from '../../web/src/api.js';
import { describeChanges, lineErrors, linesOf, moveInWhole, withItems } from '../../web/src/model.js';

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
