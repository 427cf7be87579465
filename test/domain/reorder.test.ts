// planReorder (functions/domain/reorder.ts), pure: for any list and any wanted
// order, the values it gives put the list in exactly that order, stay in the
// order range, and change the fewest reasons the gaps allow.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longestRisingRun, ORDER_STEP, planReorder, type Placed } from '../../functions/domain/reorder.js';
import { LIMITS } from '../../functions/domain/status-reason.js';

const byKey = (a: Placed, b: Placed) => a.order - b.order || a.id - b.id;

/** The list after applying `changes`, sorted as a read sorts it: its ids. */
function sortedAfter(sequence: Placed[], changes: Map<number, number>): number[] {
  return sequence.map((r) => ({ id: r.id, order: changes.get(r.id) ?? r.order })).sort(byKey).map((r) => r.id);
}

/** The length of a longest strictly rising (order, id) subsequence, by the plain O(n²) recurrence. */
function risingLength(sequence: Placed[]): number {
  const best = sequence.map(() => 1);
  for (let j = 0; j < sequence.length; j++) for (let i = 0; i < j; i++) if (byKey(sequence[i]!, sequence[j]!) < 0) best[j] = Math.max(best[j]!, best[i]! + 1);
  return Math.max(0, ...best);
}

/** Room everywhere: distinct orders at least n + 1 apart, with room for n beyond both ends. */
function gapsSuffice(sequence: Placed[]): boolean {
  const orders = sequence.map((r) => r.order).sort((a, b) => a - b);
  const n = sequence.length;
  if (!n) return true;
  if (orders[0]! - LIMITS.orderMin < n || LIMITS.orderMax - orders[n - 1]! < n) return false;
  return orders.every((o, i) => i === 0 || o - orders[i - 1]! > n);
}

/** Random reasons with random orders (spread, packed with duplicates, or at the ends of the range) and a random wanted order. */
const scenario = fc
  .record({
    n: fc.integer({ min: 0, max: 40 }),
    style: fc.constantFrom('spread', 'packed', 'low-end', 'high-end', 'mixed'),
    seed: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 40, maxLength: 40 }),
  })
  .chain(({ n, style, seed }) => {
    const orderOf = (i: number): number => {
      const r = seed[i]!;
      switch (style) {
        case 'spread':
          return (r % 1000) * 10_000;
        case 'packed':
          return r % Math.max(1, Math.ceil(n / 2)); // adjacent values and ties
        case 'low-end':
          return LIMITS.orderMin + (r % 5);
        case 'high-end':
          return LIMITS.orderMax - (r % 5);
        default:
          return r % 3 === 0 ? r % 4 : r * 97;
      }
    };
    const reasons = Array.from({ length: n }, (_, i) => ({ id: i + 1, order: orderOf(i) }));
    return fc.shuffledSubarray(reasons, { minLength: n, maxLength: n });
  });

describe('planReorder', () => {
  it('puts any list in exactly the wanted order, within the order range, writing n - LIS reasons when the gaps suffice', () => {
    fc.assert(
      fc.property(scenario, (sequence) => {
        const changes = planReorder(sequence);
        expect(sortedAfter(sequence, changes)).toEqual(sequence.map((r) => r.id));
        for (const order of changes.values()) {
          expect(Number.isInteger(order)).toBe(true);
          expect(order).toBeGreaterThanOrEqual(LIMITS.orderMin);
          expect(order).toBeLessThanOrEqual(LIMITS.orderMax);
        }
        const minimum = sequence.length - risingLength(sequence);
        if (gapsSuffice(sequence)) expect(changes.size).toBe(minimum);
        else expect(changes.size).toBeGreaterThanOrEqual(minimum);
        expect(longestRisingRun(sequence)).toHaveLength(risingLength(sequence));
      }),
      { numRuns: 1_000 },
    );
  });

  it('moves one reason between two others by writing it alone, on the midpoint', () => {
    const sequence = [
      { id: 1, order: 0 },
      { id: 3, order: 2_000 },
      { id: 2, order: 1_000 },
    ];
    expect([...planReorder(sequence)]).toEqual([[3, 500]]);
  });

  it('places reasons before the first or after the last kept one a fixed step away', () => {
    expect([...planReorder([{ id: 2, order: 5 }, { id: 1, order: 0 }])]).toEqual([[2, -ORDER_STEP]]);
    expect([...planReorder([{ id: 2, order: 5 }, { id: 3, order: 10 }, { id: 1, order: 0 }])]).toEqual([[1, 10 + ORDER_STEP]]);
  });

  it('renumbers the smallest range with room when a gap has none (consecutive orders)', () => {
    // Orders 1..5; the last wanted second: no value lies between 1 and 2, so 1 moves too, below.
    const sequence = [1, 5, 2, 3, 4].map((id) => ({ id, order: id }));
    const changes = planReorder(sequence);
    expect(changes.size).toBe(2);
    expect(sortedAfter(sequence, changes)).toEqual([1, 5, 2, 3, 4]);
    // Afterwards there is room: moving 4 between 1 and 5 now writes only 4.
    const next = [1, 4, 5, 2, 3].map((id) => ({ id, order: changes.get(id) ?? id }));
    expect(planReorder(next).size).toBe(1);
  });

  it('keeps every value in range when all reasons sit at the ends of it', () => {
    const atMin = [3, 2, 1].map((id) => ({ id, order: LIMITS.orderMin }));
    const changes = planReorder(atMin);
    expect(sortedAfter(atMin, changes)).toEqual([3, 2, 1]);
    for (const order of changes.values()) expect(order).toBeGreaterThanOrEqual(LIMITS.orderMin);
  });

  it('writes nothing when the list is already in the wanted order', () => {
    expect(planReorder([{ id: 1, order: 5 }, { id: 2, order: 5 }, { id: 3, order: 6 }]).size).toBe(0);
  });
});
