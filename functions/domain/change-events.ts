// The change event (SPEC §6): what the bus carries for one history entry, and
// how an entry too big for EventBridge goes out cut short. Pure shape and
// arithmetic: the publisher (functions/entry/publish-changes.ts) sends it.
import type { ChangeEntry, ChangeOp } from './changes.js';

export const EVENT_SOURCE = 'agent-status-reasons';
export const EVENT_DETAIL_TYPE = 'Status reasons changed';

/** EventBridge's limit on one PutEvents entry, and on one whole request (the same figure). */
export const EVENT_ENTRY_MAX_BYTES = 256 * 1024;
/** EventBridge's limit on entries per PutEvents request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** How many changes an entry has, and of each op; `included` is how many the event carries. */
export type ChangeCounts = { changes: number; included: number } & Partial<Record<ChangeOp, number>>;

/** The event's `detail`: the entry and its account; cut short (`truncated`, with counts) when it would not fit. */
export type ChangeEventDetail = ChangeEntry & { accountId: string; truncated?: true; counts?: ChangeCounts };

/**
 * An entry's size as EventBridge counts it (its "Calculating PutEvents event
 * entry size"): the UTF-8 bytes of Source, DetailType and Detail (no Time and
 * no Resources are sent).
 */
export const eventEntryBytes = (detailJson: string): number =>
  Buffer.byteLength(EVENT_SOURCE, 'utf8') + Buffer.byteLength(EVENT_DETAIL_TYPE, 'utf8') + Buffer.byteLength(detailJson, 'utf8');

export function changeCounts(entry: Pick<ChangeEntry, 'changes'>, included: number): ChangeCounts {
  const counts: ChangeCounts = { changes: entry.changes.length, included };
  for (const change of entry.changes) counts[change.op] = (counts[change.op] ?? 0) + 1;
  return counts;
}

/**
 * The detail of an entry's event, as JSON. Whole when it fits in
 * `maxBytes` (an EventBridge entry); otherwise `truncated: true`, the counts,
 * and as many of the first changes as fit (the consumer reads the rest from
 * `changes?since=<revision - 1>`).
 */
export function changeEventDetail(accountId: string, entry: ChangeEntry, maxBytes = EVENT_ENTRY_MAX_BYTES): string {
  const whole = JSON.stringify({ ...entry, accountId } satisfies ChangeEventDetail);
  if (eventEntryBytes(whole) <= maxBytes) return whole;
  // The cut event with no changes, and room for the largest counts: then changes while they fit.
  const shell = (included: number) => JSON.stringify({ ...entry, changes: [], accountId, truncated: true, counts: changeCounts(entry, included) } satisfies ChangeEventDetail);
  let used = eventEntryBytes(shell(entry.changes.length));
  const kept: string[] = [];
  for (const change of entry.changes) {
    const json = JSON.stringify(change);
    const size = Buffer.byteLength(json, 'utf8') + (kept.length ? 1 : 0);
    if (used + size > maxBytes) break;
    used += size;
    kept.push(json);
  }
  const cut = shell(kept.length);
  return `${cut.slice(0, cut.indexOf('"changes":[') + '"changes":['.length)}${kept.join(',')}${cut.slice(cut.indexOf('"changes":[') + '"changes":['.length)}`;
}

/** The detail of an entry the stream announced but whose parts are gone (dropped by the keep-limits before it was published): its revision and time only. */
export function expiredEventDetail(accountId: string, revision: number, at: string): string {
  return JSON.stringify({ revision, at, accountId, truncated: true, counts: { included: 0 } });
}
