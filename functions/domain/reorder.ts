// Which order values a reorder writes. The list is sorted by (order, id); a
// reorder names every live reason in the wanted sequence, and only reasons whose
// order must change are written:
//  1. keep the longest run of reasons whose current (order, id) already rises in
//     the wanted sequence (a longest increasing subsequence): none of them moves;
//  2. every other reason gets a value in the gap between its kept neighbours:
//     spread evenly inside a gap (a lone reason lands on the midpoint), or a fixed
//     step beyond the first or last kept one, so later moves still find room;
//  3. a gap without room for the reasons it must take grows to the smallest
//     surrounding range that has room: its nearest kept neighbours join the
//     reasons to renumber, fewest first.
// Pure and bounded: O(n log n) for the run, and a bounded search per gap.
import { LIMITS } from './status-reason.js';

export interface Placed {
  id: number;
  order: number;
}

/** The distance between values placed beyond the first or last kept reason, when the range allows. */
export const ORDER_STEP = 65_536;

const lessThan = (a: Placed, b: Placed) => a.order < b.order || (a.order === b.order && a.id < b.id);

/** The positions of a longest subsequence of `sequence` whose (order, id) strictly rises. */
export function longestRisingRun(sequence: readonly Placed[]): number[] {
  // Patience sorting: tails[k] is the position ending the best run of length k + 1.
  const tails: number[] = [];
  const previous = new Array<number>(sequence.length).fill(-1);
  sequence.forEach((item, position) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (lessThan(sequence[tails[mid]!]!, item)) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[position] = tails[low - 1]!;
    tails[low] = position;
  });
  const run: number[] = [];
  for (let at = tails.length ? tails[tails.length - 1]! : -1; at >= 0; at = previous[at]!) run.push(at);
  return run.reverse();
}

/** The values for `count` reasons strictly between `low` and `high` (either may be open: no kept neighbour on that side). */
function valuesBetween(low: number | undefined, high: number | undefined, count: number, min: number, max: number): number[] {
  const spread = (lo: number, hi: number) => Array.from({ length: count }, (_, k) => lo + Math.floor(((hi - lo) * (k + 1)) / (count + 1)));
  if (low === undefined && high === undefined) {
    const first = -Math.floor(count / 2) * ORDER_STEP;
    return Array.from({ length: count }, (_, k) => first + k * ORDER_STEP);
  }
  if (low === undefined) {
    return high! - ORDER_STEP * count >= min ? Array.from({ length: count }, (_, k) => high! - ORDER_STEP * (count - k)) : spread(min - 1, high!);
  }
  if (high === undefined) {
    return low + ORDER_STEP * count <= max ? Array.from({ length: count }, (_, k) => low + ORDER_STEP * (k + 1)) : spread(low, max + 1);
  }
  return spread(low, high);
}

/**
 * The order values that put `sequence` (every live reason, in the wanted order)
 * in that order: id → new order, for the reasons whose order changes only.
 */
export function planReorder(sequence: readonly Placed[], min: number = LIMITS.orderMin, max: number = LIMITS.orderMax): Map<number, number> {
  const n = sequence.length;
  const kept = new Array<boolean>(n).fill(false);
  for (const position of longestRisingRun(sequence)) kept[position] = true;

  // The bound a kept position sets, or the open end of the range.
  const lowAt = (anchor: number) => (anchor < 0 ? min - 1 : sequence[anchor]!.order);
  const highAt = (anchor: number) => (anchor >= n ? max + 1 : sequence[anchor]!.order);
  const hasRoom = (left: number, right: number) => highAt(right) - lowAt(left) - 1 >= right - left - 1;

  // Grow every gap without room until it has some. Kept positions only ever become
  // moved, so this ends; the whole range (both ends open) always has room for n ≤ 2^32.
  let changed = true;
  while (changed) {
    changed = false;
    for (let start = 0; start < n; start++) {
      if (kept[start]) continue;
      let end = start;
      while (end + 1 < n && !kept[end + 1]) end++;
      const left = start - 1;
      const right = end + 1;
      if (!hasRoom(left, right)) {
        widen(left, right);
        changed = true;
        break;
      }
      start = end;
    }
  }

  /**
   * Drops the fewest nearest kept neighbours (`dl` on the left, `dr` on the right)
   * that give the gap room. Room between bounds at positions l < r means
   * highAt(r) - r >= lowAt(l) - l; for each dl, the least dr whose running best of
   * highAt(r) - r reaches it is found by binary search: O(k log k) for k neighbours.
   */
  function widen(left: number, right: number): void {
    const lefts: number[] = [];
    for (let p = left; p >= 0; p--) if (kept[p]) lefts.push(p);
    lefts.push(-1); // all dropped: the open low end
    const rights: number[] = [];
    for (let p = right; p < n; p++) if (kept[p]) rights.push(p);
    rights.push(n); // all dropped: the open high end
    const best: number[] = [];
    rights.forEach((r, i) => best.push(Math.max(i ? best[i - 1]! : -Infinity, highAt(r) - r)));
    let choice: [number, number] | undefined;
    lefts.forEach((l, dl) => {
      const need = lowAt(l) - l;
      let low = 0;
      let high = best.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (best[mid]! >= need) high = mid;
        else low = mid + 1;
      }
      if (low < best.length && (!choice || dl + low < choice[0] + choice[1])) choice = [dl, low];
    });
    // Both ends open always has room for n within the order range; renumber everything rather than loop if not.
    if (!choice) return void kept.fill(false);
    // The least dr whose running best reaches `need` is a position that has room itself.
    const [dl, dr] = choice;
    for (let i = 0; i < dl; i++) kept[lefts[i]!] = false;
    for (let i = 0; i < dr; i++) kept[rights[i]!] = false;
  }

  const changes = new Map<number, number>();
  for (let start = 0; start < n; start++) {
    if (kept[start]) continue;
    let end = start;
    while (end + 1 < n && !kept[end + 1]) end++;
    const low = start > 0 ? sequence[start - 1]!.order : undefined;
    const high = end + 1 < n ? sequence[end + 1]!.order : undefined;
    const values = valuesBetween(low, high, end - start + 1, min, max);
    values.forEach((order, k) => {
      const item = sequence[start + k]!;
      if (order !== item.order) changes.set(item.id, order);
    });
    start = end;
  }
  return changes;
}
