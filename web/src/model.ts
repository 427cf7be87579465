// What the console computes without the network: how a write's answer changes
// the list on screen, where a dragged reason lands in the whole list, what
// changed between two lists (for the conflict message), and which typed line a
// 400's `errors[].path` names.
import { byOrder, STATE_LABEL, type FieldError, type Reason, type ReasonList } from './api.js';

/** The list after a write answered at `revision`: `changed` replace (or join) the items with their ids. */
export function withItems(list: ReasonList, revision: number, changed: Reason[], includeDeleted: boolean): ReasonList {
  const byId = new Map(list.items.map((item) => [item.id, item]));
  for (const item of changed) byId.set(item.id, item);
  const items = [...byId.values()].filter((item) => includeDeleted || !item.deleted).sort(byOrder);
  return { revision, items };
}

/** The list after a reorder answered `answer` (the non-deleted reasons); deleted ones shown stay. */
export function withReordered(list: ReasonList, answer: ReasonList, includeDeleted: boolean): ReasonList {
  const deleted = includeDeleted ? list.items.filter((item) => item.deleted) : [];
  return { revision: answer.revision, items: [...answer.items, ...deleted].sort(byOrder) };
}

/**
 * The whole list's order after moving `activeId` onto `overId`'s place in a
 * (possibly filtered) view: it lands just before `overId` when moved up, just
 * after it when moved down, as it looked in the view.
 */
export function moveInWhole(wholeIds: number[], activeId: number, overId: number, movedDown: boolean): number[] {
  const rest = wholeIds.filter((id) => id !== activeId);
  const at = rest.indexOf(overId);
  if (at < 0) return wholeIds;
  rest.splice(movedDown ? at + 1 : at, 0, activeId);
  return rest;
}

/** The items in the order of `ids` (the optimistic view of a reorder). */
export function inOrder(list: ReasonList, ids: number[]): ReasonList {
  const byId = new Map(list.items.map((item) => [item.id, item]));
  const live = ids.map((id) => byId.get(id)).filter((item): item is Reason => item !== undefined);
  return { revision: list.revision, items: [...live, ...list.items.filter((item) => item.deleted)] };
}

/** Indexes (into `seq`) of one longest increasing subsequence: the reasons that kept their relative order. */
function longestIncreasing(seq: number[]): Set<number> {
  const tails: number[] = [];
  const previous: number[] = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < seq[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const keep = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = previous[i]!) keep.add(i);
  return keep;
}

const quoted = (text: string) => `“${text}”`;

/** What another admin changed, in words, from the list on screen to the reloaded one. */
export function describeChanges(before: Reason[], after: Reason[]): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((item) => [item.id, item]));
  const now = new Map(after.map((item) => [item.id, item]));
  for (const item of after) {
    const was = old.get(item.id);
    if (!was || (was.deleted && !item.deleted)) {
      if (!item.deleted) lines.push(`${was ? 'Restored' : 'Added'} ${quoted(item.text)} (${STATE_LABEL[item.state]})`);
      continue;
    }
    if (!was.deleted && item.deleted) {
      lines.push(`Deleted ${quoted(was.text)}`);
      continue;
    }
    if (was.text !== item.text) lines.push(`Renamed ${quoted(was.text)} to ${quoted(item.text)}`);
    if (was.state !== item.state) lines.push(`${quoted(item.text)} is now ${STATE_LABEL[item.state]} (was ${STATE_LABEL[was.state]})`);
    if (was.enabled !== item.enabled) lines.push(`${item.enabled ? 'Enabled' : 'Disabled'} ${quoted(item.text)}`);
  }
  for (const was of before) if (!now.has(was.id) && !was.deleted) lines.push(`Deleted ${quoted(was.text)}`);
  // Moved: reasons on both lists that left the longest run still in the old relative order.
  const position = new Map(before.filter((item) => !item.deleted).map((item, i) => [item.id, i]));
  const common = after.filter((item) => !item.deleted && position.has(item.id));
  const kept = longestIncreasing(common.map((item) => position.get(item.id)!));
  common.forEach((item, i) => {
    if (!kept.has(i)) lines.push(`Moved ${quoted(item.text)}`);
  });
  return lines;
}

export interface LineError {
  /** 1-based line of the text area. */
  line: number;
  text: string;
  message: string;
}

/**
 * A create's 400 names items by index (`[1].text`); `lineOf[i]` is the text
 * area line item i came from. Errors that name no item come back with line 0.
 */
export function lineErrors(errors: FieldError[], lineOf: number[], texts: string[]): LineError[] {
  return errors.map((error) => {
    const match = /^\[(\d+)\]/.exec(error.path);
    const index = match ? Number(match[1]) : -1;
    const line = lineOf[index];
    return line === undefined ? { line: 0, text: '', message: error.message } : { line, text: texts[index] ?? '', message: error.message };
  });
}

/** The non-empty lines of a text area, trimmed, with their 1-based line numbers. */
export function linesOf(value: string): { texts: string[]; lineOf: number[] } {
  const texts: string[] = [];
  const lineOf: number[] = [];
  value.split('\n').forEach((raw, i) => {
    const text = raw.trim();
    if (text) {
      texts.push(text);
      lineOf.push(i + 1);
    }
  });
  return { texts, lineOf };
}
