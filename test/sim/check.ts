// The simulation's checker: holds every recorded answer and the final state of
// each account against the history of requests (in the spirit of Jepsen's
// checkers). Every create item's text and every replacement text is unique to
// its request, so any text seen tells which request wrote it.
//
// A write's outcome: acknowledged (some attempt answered 200: that first answer
// is its answer, and every repeat must equal it), refused (only 4xx and 503:
// nothing of it may ever be seen), or unknown (a 500 and no 200: it landed if
// anything of it is ever seen).
//
// Restores (a replacement with `deleted: false`, sending the reason's own text)
// and reorders (every live id, in the wanted order) put no new text: a restore
// is held by the state it leaves (live, with its text), a reorder by the order
// of every list at its revision and after it (until the next reorder).
//
// Requests come through the three APIs, each with its own answer shape; the
// readers below (`livePersonAnswer`, `connectAnswer`, `invokeAnswer`) put each
// answer in one form (status class, revision, the reasons it shows) before the
// checks, which are the same for all three.
import { textKey } from '../../functions/domain/status-reason.js';
import type { InvokeErrorType } from '../../functions/adapters/invoke/protocol.js';
import type { ChangeEntry } from '../../functions/domain/changes.js';
import type { PublishedEvent } from '../../infra/local/change-stream.js';

/** An account's change history as read at the end (GET base/changes from 0), and the change events published for it (undefined: events not wired). */
export interface AccountHistory {
  entries: ChangeEntry[];
  /** Why the history could not be read whole. */
  error?: string;
  events: PublishedEvent[] | undefined;
}

export type Api = 'liveperson' | 'connect' | 'invoke';

export interface Attempt {
  /** As LivePerson's HTTP status: 200 applied, 4xx and 503 refused, 500 unknown; 0 no answer reached the client (its connection failed: unknown); -1 the handler threw. */
  status: number;
  revision: number | undefined;
  /** The reasons the answer shows, LivePerson-shaped (`{id, text, deleted}`), or the error's message as `{message}`. */
  body: any;
  started: number;
  ended: number;
  /** The client "lost" this answer and resent (the answer is still recorded). */
  clientLost: boolean;
  /** Its container crashed: the 500 is API Gateway's (or Lambda's), not the service's. */
  crashed?: boolean;
}

export interface Operation {
  index: number;
  worker: number;
  /** Which API sent it (default LivePerson). */
  api?: Api;
  kind: 'create' | 'replace' | 'restore' | 'delete' | 'reorder' | 'list' | 'get' | 'changes';
  /** A `changes` read: the revision it asks after. */
  since?: number;
  account: string;
  key?: string;
  ifMatch?: number;
  targetId?: number;
  includeDeleted?: boolean;
  body?: unknown;
  /** Texts this write puts (creates: one per item, trimmed; replaces: the new text). */
  texts?: string[];
  /** Create items sent with deleted: true. */
  deletedTexts?: string[];
  /** A restore: the text it sends (the reason's own, as the client last saw it). */
  restoreText?: string;
  /** A reorder: the ids it sends, in the wanted order. */
  ids?: number[];
  attempts: Attempt[];
}

interface Item {
  id: number;
  text: string;
  deleted: boolean;
  /** Absent in Connect's answers. */
  order?: number;
}

/** An answer that shows reasons at a revision: a list, a get, the final read. */
interface Observation {
  op: string;
  revision: number;
  items: Item[];
  /** All the account's reasons (include_deleted) or only the non-deleted ones. */
  includeDeleted: boolean;
  /** A get: only this id; `items` empty means 404. */
  onlyId?: number;
  /** A list in the service's order, with order values (LivePerson's and direct invoke's; not Connect's summaries). */
  ordered?: boolean;
  /** When its answer came (the final read: after everything). */
  ended: number;
}

/** One effect on one reason, at a revision (undefined: an unknown write's, revision not known). */
interface Effect {
  revision: number | undefined;
  text?: string;
  deleted?: boolean;
  create?: boolean;
  /** An unknown write that may have landed at some revision whatever is seen (a restore; a delete of a reason that restores may have brought back). */
  maybe?: boolean;
  op: Operation;
}

export const isWrite = (op: Operation) => op.kind === 'create' || op.kind === 'replace' || op.kind === 'restore' || op.kind === 'delete' || op.kind === 'reorder';
const label = (op: Operation) => `${op.api && op.api !== 'liveperson' ? `${op.api} ` : ''}${op.kind} #${op.index} (worker ${op.worker}${op.key ? `, key ${op.key}` : ''})`;
const asItems = (body: unknown): Item[] => (Array.isArray(body) ? body : body ? [body] : []) as Item[];

/** Whether `part` is `whole` with some elements left out, the rest in the same order. */
const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, k) => x === b[k]);
const brief = (ids: readonly number[]) => `[${ids.slice(0, 12).join(', ')}${ids.length > 12 ? `, … (${ids.length})` : ''}]`;

/** A repeat's answer is the first one, a reorder's included (its list as it was at its revision). */
const repeatHolds = (first: Attempt, other: Attempt): boolean => other.revision === first.revision && JSON.stringify(other.body) === JSON.stringify(first.body);

export function check(history: Operation[], finals: Map<string, { revision: number; items: Item[] }>, histories?: Map<string, AccountHistory>): string[] {
  const anomalies: string[] = [];
  for (const [account, final] of finals) anomalies.push(...checkAccount(account, history.filter((op) => op.account === account), final, histories?.get(account)).map((a) => `${account}: ${a}`));
  return anomalies;
}

function checkAccount(account: string, ops: Operation[], final: { revision: number; items: Item[] }, changeHistory: AccountHistory | undefined): string[] {
  const anomalies: string[] = [];
  const note = (message: string) => anomalies.length < 50 && anomalies.push(message);

  // ------------------------------------------------------------ outcomes
  const acked = new Map<Operation, Attempt>();
  const unknown = new Set<Operation>();
  for (const op of ops) {
    for (const attempt of op.attempts) if (attempt.status === -1) note(`${label(op)}: the handler threw instead of answering: ${typeof attempt.body === 'string' ? attempt.body : JSON.stringify(attempt.body)}`);
    const oks = op.attempts.filter((a) => a.status === 200);
    for (const attempt of op.attempts) {
      if (attempt.status >= 500 && attempt.status !== 500 && attempt.status !== 503) note(`${label(op)}: answered ${attempt.status}`);
    }
    if (!isWrite(op)) continue;
    if (oks.length) {
      const first = oks[0]!;
      acked.set(op, first);
      for (const other of oks.slice(1)) {
        if (!repeatHolds(first, other)) {
          note(`${label(op)}: a repeat answered ${other.revision} ${JSON.stringify(other.body)?.slice(0, 120)}, not the first answer ${first.revision} ${JSON.stringify(first.body)?.slice(0, 120)}`);
        }
      }
    } else if (op.attempts.some((a) => a.status === 500 || a.status === 0 || a.status === -1)) unknown.add(op);
  }
  const refused = ops.filter((op) => isWrite(op) && !acked.has(op) && !unknown.has(op));

  // Acknowledged writes: one revision each.
  const byRevision = new Map<number, Operation>();
  for (const [op, answer] of acked) {
    if (answer.revision === undefined) {
      note(`${label(op)}: a 200 without ac-revision`);
      continue;
    }
    const other = byRevision.get(answer.revision);
    if (other) note(`${label(op)} and ${label(other)} both answered revision ${answer.revision}`);
    byRevision.set(answer.revision, op);
    if (answer.revision > final.revision) note(`${label(op)} answered revision ${answer.revision}, past the final ${final.revision}`);
  }

  // ------------------------------------------------------- observations
  const observations: Observation[] = [];
  for (const op of ops) {
    if (op.kind !== 'list' && op.kind !== 'get') continue;
    for (const attempt of op.attempts) {
      if (attempt.revision === undefined) continue;
      const seen = { op: label(op), revision: attempt.revision, includeDeleted: op.includeDeleted ?? false, ended: attempt.ended };
      if (attempt.status === 200) observations.push({ ...seen, items: asItems(attempt.body), ...(op.kind === 'get' ? { onlyId: op.targetId } : { ordered: op.api !== 'connect' }) });
      else if (attempt.status === 404 && op.kind === 'get') observations.push({ ...seen, items: [], onlyId: op.targetId });
    }
  }
  // A reorder's answer (a repeat's too) is the list at its revision.
  for (const [op, answer] of acked) {
    if (op.kind === 'reorder' && answer.revision !== undefined) {
      observations.push({ op: `the answer of ${label(op)}`, revision: answer.revision, items: asItems(answer.body), includeDeleted: false, ordered: true, ended: answer.ended });
    }
  }
  observations.push({ op: 'the final read', revision: final.revision, items: final.items, includeDeleted: true, ordered: true, ended: Infinity });

  // Which request wrote a text. A text is its request's own, except that a client
  // now and then sends one of its earlier texts again in capitals (a duplicate, to
  // be refused unless it was freed), which two requests may both do: a text seen
  // is then credited to a request only when no other that may have landed sent it.
  const sendersOf = new Map<string, Operation[]>();
  for (const op of ops) for (const text of op.texts ?? []) (sendersOf.get(text) ?? sendersOf.set(text, []).get(text)!).push(op);
  const refusedOps = new Set(refused);
  const writerOf = (text: string): Operation | undefined => {
    const senders = (sendersOf.get(text) ?? []).filter((op) => !refusedOps.has(op));
    return senders.length === 1 ? senders[0] : undefined;
  };
  const seenTexts = new Set<string>();
  for (const o of observations) for (const item of o.items) seenTexts.add(item.text);

  // Nothing of a refused write is ever seen.
  for (const op of refused) {
    for (const text of op.texts ?? []) {
      const others = (sendersOf.get(text) ?? []).filter((other) => other !== op && !refusedOps.has(other));
      if (seenTexts.has(text) && !others.length) note(`${label(op)} was refused (${op.attempts.map((a) => a.status).join(', ')}) but its text "${text}" was seen`);
    }
  }

  // ------------------------------------------- effects on each reason id
  const effects = new Map<number, Effect[]>();
  const add = (id: number, effect: Effect) => (effects.get(id) ?? effects.set(id, []).get(id)!).push(effect);
  const idsOfCreate = new Map<Operation, Set<number>>();
  for (const op of ops) {
    if (op.kind !== 'create' || (!acked.has(op) && !unknown.has(op))) continue;
    const answer = acked.get(op);
    const ids = new Set<number>();
    if (answer) {
      for (const item of asItems(answer.body)) {
        ids.add(item.id);
        add(item.id, { revision: answer.revision, text: item.text, deleted: item.deleted, create: true, op });
      }
    } else {
      // An unknown create: its ids are where its texts were seen.
      for (const o of observations) {
        for (const item of o.items) {
          if (writerOf(item.text) !== op || ids.has(item.id)) continue;
          ids.add(item.id);
          add(item.id, { revision: undefined, text: item.text, deleted: op.deletedTexts?.includes(item.text) ?? false, create: true, op });
        }
      }
    }
    idsOfCreate.set(op, ids);
  }
  // Reasons a restore (answered 200 or of unknown outcome) may have brought back: an unknown delete of one may have landed unseen.
  const restorable = new Set(ops.filter((op) => op.kind === 'restore' && (acked.has(op) || unknown.has(op))).map((op) => op.targetId));
  const effectOf = (op: Operation): Omit<Effect, 'revision' | 'op'> =>
    op.kind === 'replace' ? { text: op.texts![0] } : op.kind === 'restore' ? { text: op.restoreText, deleted: false } : { deleted: true };
  for (const op of ops) {
    if ((op.kind !== 'replace' && op.kind !== 'restore' && op.kind !== 'delete') || op.targetId === undefined) continue;
    const answer = acked.get(op);
    if (answer) add(op.targetId, { revision: answer.revision, ...effectOf(op), op });
    else if (unknown.has(op)) add(op.targetId, { revision: undefined, ...effectOf(op), op, maybe: op.kind === 'restore' || restorable.has(op.targetId) });
  }

  // Unknown writes that landed: a create or replace whose text was seen; a delete
  // or a restore that alone explains whether a reason is deleted in the end.
  const landed = new Set<Operation>();
  for (const op of unknown) if ((op.kind === 'create' || op.kind === 'replace') && (op.texts ?? []).some((t) => seenTexts.has(t) && writerOf(t) === op)) landed.add(op);
  const finalById = new Map(final.items.map((item) => [item.id, item]));
  for (const [id, list] of effects) {
    const item = finalById.get(id);
    if (!item) continue;
    // Deleted or not as the last write answered 200 left it (or the unknown create that made it).
    const known = list.filter((e) => e.revision !== undefined && e.deleted !== undefined).sort((a, b) => a.revision! - b.revision!);
    const last = known[known.length - 1] ?? list.find((e) => e.create && landed.has(e.op));
    if (item.deleted === (last?.deleted ?? false)) continue;
    const explaining = list.filter((e) => e.revision === undefined && !e.create && e.deleted === item.deleted);
    if (explaining.length) landed.add(explaining[0]!.op);
    else if (item.deleted) note(`reason ${id} is deleted, and no write that was answered 200 or may have landed deleted it`);
    else note(`reason ${id}: ${label(last!.op)} deleted it (revision ${last!.revision ?? 'unknown'}), but the final read shows it not deleted, and no restore answered 200 or of unknown outcome came after`);
  }

  // The final revision: every acknowledged write and every unknown write that landed, once; and any of those that may have landed unseen.
  const unseen = [...unknown].filter((op) => !landed.has(op) && (op.kind === 'restore' || op.kind === 'reorder' || (op.kind === 'delete' && restorable.has(op.targetId)))).length;
  const expected = acked.size + landed.size;
  if (final.revision < expected || final.revision > expected + unseen) {
    note(`the final revision is ${final.revision}, but ${acked.size} writes were answered 200 and ${landed.size} unknown ones are seen to have landed (${expected})${unseen ? `, and ${unseen} more may have landed unseen` : ''}`);
  }

  // ------------------------------------------------------ final state
  const ids = final.items.map((i) => i.id);
  if (new Set(ids).size !== ids.length) note(`the final read holds an id twice: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
  for (const [op, answer] of acked) {
    if (op.kind !== 'create') continue;
    for (const item of asItems(answer.body)) if (!finalById.has(item.id)) note(`${label(op)} created reason ${item.id} (revision ${answer.revision}), which the final read does not hold`);
  }
  for (const item of final.items) if (!effects.has(item.id)) note(`the final read holds reason ${item.id} "${item.text}", which no write created`);

  // ------------------------------------------- each answer at its revision
  for (const o of observations) {
    const live = o.items.filter((i) => !i.deleted).map((i) => textKey(i.text));
    if (new Set(live).size !== live.length) note(`${o.op} at revision ${o.revision}: two reasons that are not deleted share a text`);
    const shown = new Map(o.items.map((i) => [i.id, i]));
    if (shown.size !== o.items.length) note(`${o.op} at revision ${o.revision}: an id twice`);
    const relevant = o.onlyId !== undefined ? [o.onlyId] : [...new Set([...effects.keys(), ...shown.keys()])];
    for (const id of relevant) {
      const item = shown.get(id);
      const model = stateAt(effects.get(id) ?? [], o.revision, landed);
      if (model === 'unsure') continue;
      const expectShown = model.exists && (o.includeDeleted || !model.deleted);
      if (!item) {
        if (expectShown && model.sure) note(`${o.op} at revision ${o.revision}: reason ${id} is missing (expected "${model.text}"${model.deleted ? ', deleted' : ''})`);
        continue;
      }
      if (!model.exists) {
        if (model.sure) note(`${o.op} at revision ${o.revision}: reason ${id} "${item.text}" is shown, but the write that created it has a later revision`);
        continue;
      }
      if (!o.includeDeleted && item.deleted) note(`${o.op} at revision ${o.revision}: reason ${id} is deleted, in an answer without deleted ones`);
      if (model.sure && (item.text !== model.text || item.deleted !== model.deleted)) {
        note(`${o.op} at revision ${o.revision}: reason ${id} is "${item.text}"${item.deleted ? ' (deleted)' : ''}, but at that revision it was "${model.text}"${model.deleted ? ' (deleted)' : ''}`);
      }
    }
    // A create is seen whole or not at all.
    if (o.includeDeleted && o.onlyId === undefined) {
      for (const [op, created] of idsOfCreate) {
        const present = [...created].filter((id) => shown.has(id)).length;
        if (present && present !== created.size) note(`${o.op} at revision ${o.revision}: ${present} of the ${created.size} reasons of ${label(op)}`);
      }
    }
  }
  checkOrder(acked, unknown, observations, note);
  if (changeHistory) checkHistory(changeHistory, { acked, unknown, refused, sendersOf, refusedOps, observations, final, effects, landed, changeReads: ops.filter((op) => op.kind === 'changes'), note });
  return anomalies;
}

/**
 * Reorders (SPEC §1): an acknowledged one answers the ids in the order it sent
 * (a repeat too: the first answer), with order values that rise along them;
 * every list at its revision shows the live reasons in exactly that order, and
 * every later list shows them (those still live) in that order among themselves
 * until another reorder may have landed (no other write moves a reason: the
 * simulation's replaces and restores send no order). A refused one changes no
 * order, which the same rule holds: the lists after it keep the order of the
 * last reorder answered 200.
 */
function checkOrder(acked: Map<Operation, Attempt>, unknown: Set<Operation>, observations: Observation[], note: (message: string) => void): void {
  const reorders = [...acked]
    .filter(([op, answer]) => op.kind === 'reorder' && answer.revision !== undefined)
    .map(([op, answer]) => ({ op, answer, revision: answer.revision!, started: op.attempts[0]!.started }))
    .sort((a, b) => a.revision - b.revision);
  for (const { op, answer } of reorders) {
    const items = asItems(answer.body);
    const ids = items.map((item) => item.id);
    if (!sameList(ids, op.ids!)) note(`${label(op)} sent the order ${brief(op.ids!)} but answered ${brief(ids)}`);
    const falls = items.findIndex((item, k) => k > 0 && !(items[k - 1]!.order! < item.order! || (items[k - 1]!.order === item.order && items[k - 1]!.id < item.id)));
    if (falls > 0) note(`${label(op)} answered order values that do not rise along its list: reason ${items[falls - 1]!.id} at ${items[falls - 1]!.order}, then ${items[falls]!.id} at ${items[falls]!.order}`);
  }
  // An unknown reorder lands within its attempts (no write lands after its answer).
  const unknownReorders = [...unknown].filter((op) => op.kind === 'reorder' && op.attempts.length);
  for (const o of observations) {
    if (!o.ordered) continue;
    const last = reorders.filter((r) => r.revision <= o.revision).pop();
    if (!last) continue;
    const live = o.items.filter((item) => !item.deleted).map((item) => item.id);
    if (o.revision === last.revision) {
      if (!sameList(live, last.op.ids!)) note(`${o.op} at revision ${o.revision}, the revision of ${label(last.op)}, shows ${brief(live)}, not the order it sent ${brief(last.op.ids!)}`);
      continue;
    }
    if (unknownReorders.some((u) => u.attempts[0]!.started < o.ended && u.attempts[u.attempts.length - 1]!.ended > last.started)) continue;
    const place = new Map(last.op.ids!.map((id, k) => [id, k]));
    const kept = live.filter((id) => place.has(id));
    const out = kept.findIndex((id, k) => k > 0 && place.get(kept[k - 1]!)! > place.get(id)!);
    if (out > 0) note(`${o.op} at revision ${o.revision} shows reason ${kept[out - 1]} before ${kept[out]}, against the order ${label(last.op)} set at revision ${last.revision}, the last reorder before it`);
  }
}

/**
 * The change history (SPEC §4, §6) against the answers: one entry per revision
 * from 1 to the final one; each acknowledged write's entry at its revision and
 * about what it wrote; no entry of a refused write; every list received at
 * revision r, with the entries after r applied, is the final list. Events:
 * each entry published at least once, first publications in revision order,
 * nothing published that is not an entry.
 */
function checkHistory(
  changeHistory: AccountHistory,
  context: {
    acked: Map<Operation, Attempt>;
    unknown: Set<Operation>;
    refused: Operation[];
    sendersOf: Map<string, Operation[]>;
    refusedOps: Set<Operation>;
    observations: Observation[];
    final: { revision: number; items: Item[] };
    effects: Map<number, Effect[]>;
    landed: Set<Operation>;
    changeReads: Operation[];
    note: (message: string) => void;
  },
): void {
  const { acked, refused, sendersOf, refusedOps, observations, final, note } = context;
  const { entries } = changeHistory;
  if (changeHistory.error) note(`the change history could not be read: ${changeHistory.error}`);
  const byRevision = new Map(entries.map((e) => [e.revision, e]));
  const revisions = entries.map((e) => e.revision);
  const expected = Array.from({ length: final.revision }, (_, i) => i + 1);
  if (JSON.stringify(revisions) !== JSON.stringify(expected)) {
    const missing = expected.filter((r) => !byRevision.has(r));
    note(`the change history holds ${revisions.length} entries, not one for each of 1..${final.revision}${missing.length ? ` (missing ${missing.slice(0, 10).join(', ')})` : ''}${revisions.length !== byRevision.size ? ' (a revision twice)' : ''}`);
  }

  // Each acknowledged write's entry: at its revision, about what it wrote.
  for (const [op, answer] of acked) {
    if (answer.revision === undefined) continue;
    const entry = byRevision.get(answer.revision);
    if (!entry) {
      note(`${label(op)} answered revision ${answer.revision}, which has no history entry`);
      continue;
    }
    const ids = entry.changes.map((c) => c.id);
    if (op.kind === 'create') {
      const created = asItems(answer.body).map((item) => item.id);
      const texts = asItems(answer.body).map((item) => item.text);
      if (JSON.stringify(ids) !== JSON.stringify(created) || JSON.stringify(entry.changes.map((c) => c.reason.text)) !== JSON.stringify(texts) || entry.changes.some((c) => c.op !== 'created')) note(`${label(op)} created ${created.join(', ')} at revision ${answer.revision}, but its entry has ${entry.changes.map((c) => `${c.op} ${c.id}`).join(', ')}`);
    } else if (op.kind === 'reorder') {
      // Only `reordered` changes, of ids it sent, each to the value its answer shows.
      const orderOf = new Map(asItems(answer.body).map((item) => [item.id, item.order]));
      const right = entry.changes.every((c) => c.op === 'reordered' && op.ids!.includes(c.id) && (!orderOf.has(c.id) || orderOf.get(c.id) === c.reason.order));
      if (!right) note(`${label(op)} answered revision ${answer.revision}, but its entry has ${JSON.stringify(entry.changes.slice(0, 5).map((c) => ({ id: c.id, op: c.op, order: c.reason.order })))}`);
    } else {
      const change = entry.changes[0];
      let right = entry.changes.length === 1 && writes(op, change!);
      if (right && op.kind === 'restore') {
        // `restored` exactly when the reason was deleted before it.
        const before = stateAt(context.effects.get(op.targetId!) ?? [], answer.revision - 1, context.landed);
        if (before !== 'unsure' && before.sure && before.exists) right = (change!.op === 'restored') === before.deleted;
        right &&= (change!.op === 'restored') === (change!.before?.deleted === true);
      }
      if (!right) note(`${label(op)} of reason ${op.targetId} answered revision ${answer.revision}, but its entry has ${JSON.stringify(entry.changes.map((c) => ({ id: c.id, op: c.op, text: c.reason.text, deleted: c.reason.deleted })))}`);
    }
  }

  // Every other entry is the one of a write whose outcome is unknown (each such write has one at most).
  const ackedRevisions = new Set([...acked.values()].map((answer) => answer.revision));
  const unclaimed = new Set(context.unknown);
  for (const entry of entries) {
    if (ackedRevisions.has(entry.revision)) continue;
    const writer = [...unclaimed].find((op) => entryOf(op, entry));
    if (writer) unclaimed.delete(writer);
    else note(`the history's entry of revision ${entry.revision} (${JSON.stringify(entry.changes.slice(0, 3).map((c) => ({ id: c.id, op: c.op, text: c.reason.text })))}) is no write's that was answered 200, nor one a write of unknown outcome could have made`);
  }

  // No entry of a refused write: none of the texts only it sent.
  const textsInEntries = new Set(entries.flatMap((e) => e.changes.map((c) => c.reason.text)));
  for (const op of refused) {
    for (const text of op.texts ?? []) {
      const others = (sendersOf.get(text) ?? []).filter((other) => other !== op && !refusedOps.has(other));
      if (!others.length && textsInEntries.has(text)) note(`${label(op)} was refused (${op.attempts.map((a) => a.status).join(', ')}) but an entry of the change history has its text "${text}"`);
    }
  }

  // Every list at revision r, with the entries after r applied, is the final list (its order values too, where the list shows them).
  const view = (items: Iterable<Item>, includeDeleted: boolean, ordered: boolean) =>
    JSON.stringify(
      [...items]
        .filter((i) => includeDeleted || !i.deleted)
        .map((i) => [i.id, i.text, i.deleted ?? false, ...(ordered ? [i.order] : [])])
        .sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
  for (const o of observations) {
    if (o.onlyId !== undefined || o.revision > final.revision) continue;
    const ordered = o.ordered ?? false;
    const byId = new Map(o.items.map((i) => [i.id, { id: i.id, text: i.text, deleted: i.deleted ?? false, order: i.order }]));
    for (const entry of entries) {
      if (entry.revision <= o.revision) continue;
      for (const change of entry.changes) byId.set(change.id, { id: change.id, text: change.reason.text, deleted: change.reason.deleted, order: change.reason.order });
    }
    if (view(byId.values(), o.includeDeleted, ordered) !== view(final.items, o.includeDeleted, ordered)) {
      note(`${o.op} at revision ${o.revision} with the entries after it applied is not the final list (revision ${final.revision})`);
    }
  }

  // Every page of changes a client received: consecutive entries from its since + 1, each the entry the history holds.
  for (const op of context.changeReads) {
    for (const attempt of op.attempts) {
      if (attempt.status !== 200) continue;
      const page = attempt.body as { changes?: ChangeEntry[] } | undefined;
      const got = page?.changes ?? [];
      got.forEach((entry, i) => {
        if (entry.revision !== (op.since ?? 0) + 1 + i) note(`${label(op)}: changes?since=${op.since} answered revision ${entry.revision} at place ${i}`);
        const kept = byRevision.get(entry.revision);
        if (kept && JSON.stringify(kept) !== JSON.stringify(entry)) note(`${label(op)}: the entry of revision ${entry.revision} it received is not the one the history holds at the end`);
      });
    }
  }

  // Events: every entry at least once, first publications in revision order, nothing else.
  const events = changeHistory.events;
  if (!events) return;
  const firsts: number[] = [];
  for (const event of events) {
    if (!firsts.includes(event.revision)) firsts.push(event.revision);
    const entry = byRevision.get(event.revision);
    if (!entry) note(`an event was published for revision ${event.revision}, which has no history entry (a write that did not land?)`);
    else if (!event.detail.truncated && JSON.stringify(event.detail) !== JSON.stringify({ ...entry, accountId: event.accountId })) note(`the event of revision ${event.revision} is not its history entry`);
  }
  if (JSON.stringify(firsts) !== JSON.stringify(revisions)) note(`change events were first published for revisions ${firsts.join(',')}, not once each in order ${revisions.join(',')}`);
}

/** Whether `change` is what the replace, restore or delete `op` writes. */
function writes(op: Operation, change: ChangeEntry['changes'][number]): boolean {
  if (change.id !== op.targetId) return false;
  if (op.kind === 'delete') return change.op === 'deleted' && change.reason.deleted;
  if (op.kind === 'restore') return (change.op === 'restored' || change.op === 'updated') && !change.reason.deleted && change.reason.text === op.restoreText;
  return op.kind === 'replace' && change.op === 'updated' && change.reason.text === op.texts![0];
}

/** Whether `entry` could be the one of `op`, a write of unknown outcome. */
function entryOf(op: Operation, entry: ChangeEntry): boolean {
  const { changes } = entry;
  if (op.kind === 'create') return changes.every((c) => c.op === 'created') && sameList(changes.map((c) => c.reason.text), op.texts ?? []);
  if (op.kind === 'reorder') return changes.every((c) => c.op === 'reordered' && op.ids!.includes(c.id));
  return changes.length === 1 && writes(op, changes[0]!);
}

/**
 * A reason as it was at `revision`, from the writes that touched it. Effects of
 * unknown writes (no revision) that landed make the answer less sure; `unsure`
 * when nothing can be said.
 */
function stateAt(list: Effect[], revision: number, landed: Set<Operation>): { exists: boolean; text: string | undefined; deleted: boolean; sure: boolean } | 'unsure' {
  const known = list.filter((e) => e.revision !== undefined).sort((a, b) => a.revision! - b.revision!);
  const vague = list.filter((e) => e.revision === undefined && (landed.has(e.op) || e.create));
  const created = known.find((e) => e.create);
  if (!created) {
    // Created by an unknown write: exists from some unknown revision on.
    if (vague.some((e) => e.create)) return 'unsure';
    return { exists: false, text: undefined, deleted: false, sure: true };
  }
  if (created.revision! > revision) return { exists: false, text: undefined, deleted: false, sure: true };
  let text = created.text;
  let deleted = created.deleted ?? false;
  for (const e of known) {
    if (e.revision! > revision || e === created) continue;
    if (e.text !== undefined) text = e.text;
    if (e.deleted !== undefined) deleted = e.deleted;
  }
  const sure = !vague.some((e) => !e.create) && !list.some((e) => e.maybe);
  return { exists: true, text, deleted, sure };
}

// ------------------------------------------------------ the three answers

/** A LivePerson answer: the HTTP status, `ac-revision`, the reason(s) or `{message}`. */
export function livePersonAnswer(status: number, headers: Record<string, unknown> | undefined, body: string | undefined): Pick<Attempt, 'status' | 'revision' | 'body'> {
  const revision = headers?.['ac-revision'] !== undefined ? Number(headers['ac-revision']) : undefined;
  return { status, revision, body: body ? JSON.parse(body) : undefined };
}

/**
 * A Connect answer as the SDK saw it: the HTTP status; on success `ac-revision`
 * and, for CreateAgentStatus, `{AgentStatusARN, AgentStatusId}` (the reason is
 * the Name sent), for DescribeAgentStatus `{AgentStatus}`, for
 * ListAgentStatuses `{AgentStatusSummaryList}`, for UpdateAgentStatus nothing;
 * on failure the type in `x-amzn-ErrorType` (ThrottlingException and
 * LimitExceededException 429: nothing written; InternalServiceException 500:
 * unknown).
 */
export function connectAnswer(op: Operation, status: number, headers: Record<string, string | undefined>, output: any): Pick<Attempt, 'status' | 'revision' | 'body'> {
  const revision = status === 200 && headers['ac-revision'] !== undefined ? Number(headers['ac-revision']) : undefined;
  if (status !== 200) return { status, revision: undefined, body: { message: `${headers['x-amzn-errortype'] ?? 'no error type'}: ${output?.message ?? ''}` } };
  switch (op.kind) {
    case 'create':
      return { status, revision, body: [{ id: Number(output.AgentStatusId), text: op.texts![0], deleted: false }] };
    case 'replace':
      return { status, revision, body: undefined };
    case 'get': {
      const status_ = output.AgentStatus;
      return { status, revision, body: { id: Number(status_.AgentStatusId), text: status_.Name, deleted: false } };
    }
    case 'list':
      return { status, revision, body: (output.AgentStatusSummaryList ?? []).map((s: any) => ({ id: Number(s.Id), text: s.Name, deleted: false })) };
    default:
      throw new Error(`no Connect operation for ${op.kind}`);
  }
}

const INVOKE_STATUS: Record<InvokeErrorType, number> = {
  InvalidRequest: 400,
  Duplicate: 400,
  LimitExceeded: 400,
  NotFound: 404,
  RevisionConflict: 409,
  IdempotencyKeyReused: 422,
  HistoryGone: 410,
  InProgress: 409,
  Busy: 503,
  OutcomeUnknown: 500,
  InternalError: 500,
};

/** A direct invoke's answer: `{revision, items}` / `{revision, item}`, or `{error: {type, message}}` (no revision). */
export function invokeAnswer(answer: any): Pick<Attempt, 'status' | 'revision' | 'body'> {
  if (answer?.error) {
    const status = INVOKE_STATUS[answer.error.type as InvokeErrorType];
    return { status: status ?? 599, revision: undefined, body: { message: `${answer.error.type}: ${answer.error.message}` } };
  }
  return { status: 200, revision: Number(answer.revision), body: answer.items ?? answer.item ?? (answer.changes && { revision: Number(answer.revision), changes: answer.changes, more: answer.more }) };
}
