// What the console computes without the network: how a write's answer changes
// the list on screen, where a dragged reason lands in the whole list, what
// changed between two lists (for the conflict message), and which typed line a
// 400's `errors[].path` names.
import { byOrder, STATE_LABEL, type FieldError, type HistoryEntry, type Reason, type ReasonChange, type ReasonList } from './api.js';

/** The list after a write answered at `revision`: `changed` replace (or join) the items with their ids. */
export function withItems(list: ReasonList, revision: number, changed: Reason[], includeDeleted: boolean): ReasonList {
  const byId = new Map(list.items.map((item) => [item.id, item]));
  for (const item of changed) byId.set(item.id, item);
  const items = [...byId.values()].filter((item) => includeDeleted || !item.deleted).sort(byOrder);
  return { revision, items };
}

/**
 * The list after applying history entries (oldest first, each one revision
 * above the last): every changed reason becomes the reason as its write left
 * it. Entries at or below the list's revision are already in it and skipped.
 */
export function withEntries(list: ReasonList, entries: HistoryEntry[], includeDeleted: boolean): ReasonList {
  const newer = entries.filter((entry) => entry.revision > list.revision);
  if (newer.length === 0) return list;
  return withItems(list, newer[newer.length - 1]!.revision, newer.flatMap((entry) => entry.changes.map((change) => change.reason)), includeDeleted);
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

const FIELD_LABEL: Record<string, string> = { text: 'text', state: 'state', enabled: 'enabled', order: 'order', description: 'description', tags: 'tags', deleted: 'deleted' };

/** A field's value as the history shows it: states by their labels, yes/no, “(none)” for an absent one. */
export function shownValue(field: string, value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (field === 'state' && typeof value === 'string' && value in STATE_LABEL) return STATE_LABEL[value as keyof typeof STATE_LABEL];
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export interface ChangeLine {
  op: ReasonChange['op'];
  /** The reason's text as the write left it. */
  text: string;
  /** “field: old → new” for each changed field (a create: the fields it set). */
  values: string[];
}

/** One changed reason of a history entry in words: its op, and each changed field's old and new value. */
export function describeChange(change: ReasonChange): ChangeLine {
  const { op, reason } = change;
  if (op === 'created') {
    const values = [`state ${shownValue('state', reason.state)}`];
    if (!reason.enabled) values.push('disabled');
    if (reason.deleted) values.push('deleted');
    if (reason.description !== undefined) values.push(`description ${shownValue('description', reason.description)}`);
    return { op, text: reason.text, values };
  }
  const before = change.before ?? {};
  const values = Object.keys(before)
    // Deleting and restoring say so by their op; their `deleted` flip adds nothing.
    .filter((field) => !(field === 'deleted' && (op === 'deleted' || op === 'restored')))
    .map((field) => `${FIELD_LABEL[field] ?? field}: ${shownValue(field, before[field as keyof Reason])} → ${shownValue(field, reason[field as keyof Reason])}`);
  return { op, text: reason.text, values };
}

const VIA_LABEL: Record<HistoryEntry['via'], string> = { liveperson: 'LivePerson API', connect: 'Connect API', invoke: 'direct invoke' };

/** Who made a write, as far as the service knows (a direct invoker's words are marked as its own claim). */
export function describeActor(entry: HistoryEntry): { who: string; via: string } {
  const actor = entry.actor ?? {};
  const via = VIA_LABEL[entry.via] ?? entry.via;
  const text = (key: string) => (typeof actor[key] === 'string' && actor[key] ? (actor[key] as string) : undefined);
  if (entry.via === 'connect') return { who: text('arn') ?? 'an IAM principal', via };
  if (entry.via === 'invoke') {
    const said = Object.entries(actor)
      .filter(([key]) => key !== 'claimed')
      .map(([key, value]) => `${key} ${String(value)}`);
    return { who: said.length ? `${said.join(', ')} (as claimed by the caller)` : 'a Lambda caller (unnamed)', via };
  }
  const sub = text('sub');
  const client = text('client_id');
  return { who: sub ? (client ? `${sub} (client ${client})` : sub) : client ? `client ${client}` : 'a token without a subject', via };
}
