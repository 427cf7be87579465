// Room: functions/domain/. The rules, with no I/O and nothing of HTTP or
// DynamoDB: schemas, limits, errors, ordering, idempotency keys, change entries,
// and the store's interface (store.ts) that the store room implements. May
// import: nothing else.
//
// The rules of status reasons: uniqueness, the per-account cap and storage
// budget, ordering, revisions. Every adapter (LivePerson, Connect, direct invoke)
// calls these; none of it knows HTTP or DynamoDB.
import { DomainError, type FieldError } from './errors.js';
import {
  checkReplacementId,
  LIMITS,
  publicReason,
  summarise,
  textKey,
  wireSize,
  type NewReason,
  type Replacement,
  type StatusReason,
  type StoredReason,
} from './status-reason.js';
import { planReorder } from './reorder.js';
import { createdChange, reorderedChange, replacedChange, revertChanges, UNATTRIBUTED, type Change, type ChangeEntry, type ChangeOrigin, type ChangeRecord } from './changes.js';
import type { AccountState, ChangesPage, CreateCommand, IdempotencyKey, OrderChange, StatusReasonStore, WriteDecision } from './store.js';

export interface WriteOptions {
  /** The revision the caller last saw; the write is refused if it is no longer current. */
  ifMatch?: number | undefined;
  /** Makes a repeat of the same request answer the first answer and write nothing. */
  idempotency?: IdempotencyKey | undefined;
  /** Which API took the write, and who asked: recorded in its change-history entry. */
  origin?: ChangeOrigin | undefined;
}

/** The write's history entry, at the revision after the state's. */
const entryOf = (state: AccountState, options: Pick<WriteOptions, 'origin'>, changes: Change[]): ChangeRecord => {
  const { via, actor } = options.origin ?? UNATTRIBUTED;
  return { revision: state.revision + 1, via, actor, changes };
};

export interface CreateOptions extends WriteOptions {
  /** How to name an item in errors: `text` for a single object, `[i].text` for an array. */
  single?: boolean;
  /** The highest order an item created without one may get (Connect: at most 0, so that it has no DisplayOrder). */
  unorderedAtMost?: number;
}

/** A write's result: the revision it committed as, and whether it only repeated an earlier answer (and wrote nothing). */
interface Written {
  revision: number;
  replayed: boolean;
}

const at = (single: boolean, index: number, field: string) => (single ? field : `[${index}].${field}`);

/** Runs a decision on the account's state, stamping any refusal with the revision it saw. */
function onState<T>(state: AccountState, decide: () => T): T {
  try {
    return decide();
  } catch (error) {
    if (error instanceof DomainError) error.revision = state.revision;
    throw error;
  }
}

function checkRevision(state: AccountState, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== state.revision) {
    throw new DomainError('revision_conflict', `Revision ${ifMatch} is not current: the status reasons are at revision ${state.revision}.`);
  }
}

// A limit is the request's as a whole: its field error has the empty path (SPEC §1: a 400 says what and where).
function capError(active: number, adding: number): DomainError {
  return new DomainError(
    'limit',
    `An account can hold at most ${LIMITS.activeReasonsPerAccount} status reasons that are not deleted; it has ${active} and this request adds ${adding}.`,
    [{ path: '', message: `would make ${active + adding} status reasons that are not deleted; an account can hold at most ${LIMITS.activeReasonsPerAccount}` }],
  );
}

/** The storage budget: every list answer must fit in one Lambda result. */
function checkBudget(state: AccountState, liveBytesAfter: number): void {
  if (liveBytesAfter > LIMITS.liveBytesMax) {
    throw new DomainError(
      'limit',
      `An account's status reasons that are not deleted may take at most ${LIMITS.liveBytesMax} bytes in a list answer; ` +
        `they take ${state.liveBytes} and this request would make it ${liveBytesAfter}. Shorten descriptions or tags, or delete reasons.`,
      [{ path: '', message: `would make the status reasons that are not deleted take ${liveBytesAfter} bytes in a list answer; at most ${LIMITS.liveBytesMax} bytes` }],
    );
  }
}

/** A duplicate-text refusal naming every clash. */
function duplicateError(errors: FieldError[]): DomainError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new DomainError('duplicate', `Status reason texts must be unique per account: ${first.path} ${first.message}${more}.`, errors);
}

/** What a create keeps for an idempotent repeat: with the (identical) request's items it rebuilds the answer. */
interface CreateAnswer {
  ids: number[];
  orders: number[];
}

const created = (item: NewReason, id: number, order: number): StatusReason => ({
  id,
  text: item.text,
  state: item.state,
  enabled: item.enabled,
  deleted: item.deleted,
  order,
  ...(item.description !== undefined && { description: item.description }),
  ...(item.tags !== undefined && { tags: item.tags }),
});

/** The text keys a create's decision asks about (`AccountState.holderOf`): those of its items that are not deleted. */
export const createTextKeys = (command: CreateCommand): string[] => command.items.filter((item) => !item.deleted).map((item) => textKey(item.text));

/** The rules of a create, on the account's state and the ids it was given: its plan, history entry and answer, or a refusal. */
export function decideCreate(command: CreateCommand, state: AccountState, ids: number[]): WriteDecision {
  const { items } = command;
  const single = command.single ?? false;
  return onState(state, () => {
    checkRevision(state, command.ifMatch);

    const errors: FieldError[] = [];
    const firstInRequest = new Map<string, number>();
    items.forEach((item, index) => {
      if (item.deleted) return;
      const key = textKey(item.text);
      const holder = state.holderOf(key);
      const earlier = firstInRequest.get(key);
      if (holder !== undefined) errors.push({ path: at(single, index, 'text'), message: `"${item.text}" is already the text of status reason ${holder}` });
      else if (earlier !== undefined) errors.push({ path: at(single, index, 'text'), message: `"${item.text}" repeats the text of [${earlier}]` });
      else firstInRequest.set(key, index);
    });
    if (errors.length) throw duplicateError(errors);

    const adding = items.filter((item) => !item.deleted).length;
    if (state.liveCount + adding > LIMITS.activeReasonsPerAccount) throw capError(state.liveCount, adding);

    // Items without an order come before every existing reason, in request order.
    // Never below the lowest order a caller may send (or a GET answer could not be
    // PUT back): with no room left they share LIMITS.orderMin, and ids keep them in request order.
    const unordered = items.filter((item) => item.order === undefined).length;
    let next = Math.min(state.lowestOrder ?? unordered + 1, (command.unorderedAtMost ?? LIMITS.orderMax) + 1) - unordered;
    const orders = items.map((item) => item.order ?? Math.max(LIMITS.orderMin, next++));
    const reasons = items.map((item, index) => created(item, ids[index]!, orders[index]!));

    let liveBytes = state.liveBytes;
    for (const reason of reasons) if (!reason.deleted) liveBytes += wireSize(reason);
    checkBudget(state, liveBytes);

    const answer: CreateAnswer = { ids, orders };
    return { plan: { kind: 'create' as const, reasons }, answer, entry: entryOf(state, command, reasons.map(createdChange)) };
  });
}

export async function createStatusReasons(
  store: StatusReasonStore,
  accountId: string,
  items: NewReason[],
  options: CreateOptions = {},
): Promise<Written & { items: StatusReason[] }> {
  const command: CreateCommand = {
    kind: 'create',
    items,
    ...(options.single !== undefined && { single: options.single }),
    ...(options.unorderedAtMost !== undefined && { unorderedAtMost: options.unorderedAtMost }),
    ...(options.ifMatch !== undefined && { ifMatch: options.ifMatch }),
    ...(options.origin !== undefined && { origin: options.origin }),
  };
  const textKeys = createTextKeys(command);
  const request = { newIds: items.length, idempotency: options.idempotency, textKeys, command };
  const outcome = await store.write(accountId, request, (state, ids) => decideCreate(command, state, ids));
  const { ids, orders } = outcome.answer as CreateAnswer;
  return { revision: outcome.revision, replayed: outcome.replayed, items: items.map((item, index) => created(item, ids[index]!, orders[index]!)) };
}

export async function listStatusReasons(
  store: StatusReasonStore,
  accountId: string,
  options: { includeDeleted?: boolean } = {},
): Promise<{ revision: number; items: StoredReason[] }> {
  const { revision, reasons } = await store.read(accountId, { includeDeleted: options.includeDeleted ?? false });
  return { revision, items: reasons.sort((a, b) => a.order - b.order || a.id - b.id) };
}

/** One reason; a deleted one only when asked for (LivePerson's `include_deleted`, default false). */
export async function getStatusReason(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  options: { includeDeleted?: boolean } = {},
): Promise<{ revision: number; item: StoredReason }> {
  const { revision, reason } = await store.get(accountId, id);
  if (!reason || (reason.deleted && !options.includeDeleted)) {
    const message = reason ? `Status reason ${id} is deleted (deleted reasons are shown only when asked for).` : `Status reason ${id} does not exist.`;
    const error = new DomainError('not_found', message);
    error.revision = revision;
    throw error;
  }
  return { revision, item: reason };
}

/**
 * What a single-reason write keeps for an idempotent repeat: the fields of the
 * reason it answered that its request did not carry. A repeat carries the same
 * request (the key's fingerprint guarantees it), so with the request's own
 * fields these rebuild the first answer. A write that answers only its
 * revision (Connect's) keeps nothing. Records written before this shape hold
 * the whole reason (it has an `id`).
 */
type ModifyAnswer = { kept: Partial<StatusReason> } | { fromHistory: true } | StatusReason | null;

/**
 * Kept fields larger than this (a DELETE or a PUT without tags of a reason with
 * big tags: up to 20 KB) are not kept: the record says `fromHistory`, and a
 * repeat takes the reason from the write's own change-history entry, which
 * holds the reason as written (SPEC §6) and is kept far longer than a key (35
 * days or 16 MB of an account's history, against 24 hours). A one-reason
 * write's record stays under 1 KB.
 */
const KEPT_INLINE_MAX = 400;

/** The fields of `next` that `carried` does not hold. */
function keptFields(next: StatusReason, carried: Partial<StatusReason>): Partial<StatusReason> {
  const kept: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(next)) if (field !== 'id' && !Object.hasOwn(carried, field)) kept[field] = value;
  return kept as Partial<StatusReason>;
}

function keptAnswer(next: StatusReason, carried: Partial<StatusReason>): ModifyAnswer {
  const kept = keptFields(next, carried);
  return new TextEncoder().encode(JSON.stringify(kept)).length > KEPT_INLINE_MAX ? { fromHistory: true } : { kept };
}

/**
 * The first answer of a repeated single-reason write. `fromHistory`: the reason
 * as the write's history entry (at its revision) holds it. Should that entry be
 * gone already (an account that wrote more than the history's byte limit within
 * a day), the reason as stored now, with the request's own fields, is the
 * nearest answer there is.
 */
async function rebuilt(store: StatusReasonStore, accountId: string, id: number, revision: number, answer: ModifyAnswer, carried: Partial<StatusReason>): Promise<StatusReason> {
  if (answer !== null && 'id' in answer) return answer;
  if (answer !== null && 'fromHistory' in answer) {
    const page = await store.changes(accountId, revision - 1, 1).catch((error: unknown) => {
      if (error instanceof DomainError && error.kind === 'history_gone') return undefined;
      throw error;
    });
    const entry = page?.changes[0];
    const change = entry?.revision === revision ? entry.changes.find((c) => c.id === id) : undefined;
    if (change) return publicReason(change.reason);
    const { reason } = await store.get(accountId, id);
    return publicReason({ ...(reason ?? {}), ...carried, id } as StatusReason);
  }
  return publicReason({ ...(answer?.kept ?? {}), ...carried, id } as StatusReason);
}

/**
 * Changes one reason: `change` gets it as stored (deleted ones included), and
 * the account's state, and returns it whole as it should be; it may refuse by
 * throwing a DomainError.
 * Uniqueness, the cap and the budget are checked on the result. Every
 * single-reason write (replace, delete, and the Connect updates and tags) goes
 * through here, so its rules hold for each.
 *
 * `carried`: the fields of the result that the request itself fixes, with
 * their values (a PUT's text and state, say); they are not kept with an
 * idempotency key, as a repeat carries them again. `answers: 'revision'` for
 * a caller that answers no reason (then `item` is undefined on a repeat).
 */
async function modify(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  change: (current: StatusReason, state: AccountState) => StatusReason,
  options: WriteOptions & { setsText?: string | undefined; carried?: Partial<StatusReason>; answers?: 'item' | 'revision' },
): Promise<Written & { item: StatusReason | undefined }> {
  const textKeys = options.setsText !== undefined ? [textKey(options.setsText)] : [];
  const carried = options.carried ?? {};
  // The reason as this write wrote it (its answer when it is not a repeat).
  let written: StatusReason | undefined;
  const outcome = await store.write(accountId, { newIds: 0, target: id, idempotency: options.idempotency, textKeys }, (state) =>
    onState(state, () => {
      checkRevision(state, options.ifMatch);
      if (!state.target) throw new DomainError('not_found', `Status reason ${id} does not exist.`);
      const current = publicReason(state.target);
      const next = publicReason({ ...change(current, state), id });

      // A live reason that keeps its text holds it already; otherwise the text must be free.
      const keepsText = !current.deleted && textKey(next.text) === textKey(current.text);
      if (!next.deleted && !keepsText) {
        const holder = state.holderOf(textKey(next.text));
        if (holder !== undefined && holder !== id) {
          throw duplicateError([{ path: 'text', message: `"${next.text}" is already the text of status reason ${holder}` }]);
        }
        if (current.deleted && state.liveCount + 1 > LIMITS.activeReasonsPerAccount) throw capError(state.liveCount, 1);
      }
      if (!next.deleted) checkBudget(state, state.liveBytes - (current.deleted ? 0 : wireSize(current)) + wireSize(next));
      const answer: ModifyAnswer = options.answers === 'revision' ? null : keptAnswer(next, carried);
      written = next;
      return { plan: { kind: 'replace' as const, reason: next }, answer, entry: entryOf(state, options, [replacedChange(current, next)]) };
    }),
  );
  const answer = outcome.answer as ModifyAnswer;
  const fresh = !outcome.replayed && written !== undefined && answer !== null && 'fromHistory' in answer;
  const item = options.answers === 'revision' ? undefined : fresh ? publicReason(written!) : await rebuilt(store, accountId, id, outcome.revision, answer, carried);
  return { revision: outcome.revision, replayed: outcome.replayed, item };
}

/** `modify`, answering the reason as written. */
export async function modifyStatusReason(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  change: (current: StatusReason, state: AccountState) => StatusReason,
  options: WriteOptions & { setsText?: string | undefined; carried?: Partial<StatusReason> } = {},
): Promise<Written & { item: StatusReason }> {
  const result = await modify(store, accountId, id, change, options);
  return { ...result, item: result.item! };
}

/** `modify` for a caller that answers only the revision (Connect's updates and tags): its idempotency record keeps no reason. */
export async function modifyStatusReasonForRevision(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  change: (current: StatusReason, state: AccountState) => StatusReason,
  options: WriteOptions & { setsText?: string | undefined } = {},
): Promise<Written> {
  const { revision, replayed } = await modify(store, accountId, id, change, { ...options, answers: 'revision' });
  return { revision, replayed };
}

export async function replaceStatusReason(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  replacement: Replacement,
  options: WriteOptions = {},
): Promise<Written & { item: StatusReason }> {
  checkReplacementId(replacement, id);
  return modifyStatusReason(
    store,
    accountId,
    id,
    (current) => {
      // A deleted reason takes only a restore (`deleted: false`); any other PUT finds nothing, as a GET would.
      if (current.deleted && replacement.deleted !== false) {
        throw new DomainError('not_found', `Status reason ${id} is deleted; only a replacement with "deleted": false (a restore) applies to it.`);
      }
      return {
      id,
      text: replacement.text,
      state: replacement.state,
      enabled: replacement.enabled ?? current.enabled,
      deleted: replacement.deleted ?? current.deleted,
      order: replacement.order ?? current.order,
      ...((replacement.description ?? current.description) !== undefined && { description: replacement.description ?? current.description }),
      ...((replacement.tags ?? current.tags) !== undefined && { tags: replacement.tags ?? current.tags }),
      };
    },
    { ...options, setsText: replacement.text, carried: carriedBy(replacement) },
  );
}

/** The fields a replacement fixes whatever is stored: text and state, and each optional one it sends. */
function carriedBy(replacement: Replacement): Partial<StatusReason> {
  const carried: Partial<StatusReason> = { text: replacement.text, state: replacement.state };
  for (const field of ['enabled', 'deleted', 'order', 'description', 'tags'] as const) {
    if (replacement[field] !== undefined) (carried as Record<string, unknown>)[field] = replacement[field];
  }
  return carried;
}

export async function deleteStatusReason(store: StatusReasonStore, accountId: string, id: number, options: WriteOptions = {}): Promise<Written & { item: StatusReason }> {
  return modifyStatusReason(
    store,
    accountId,
    id,
    (current) => {
      if (current.deleted) throw new DomainError('not_found', `Status reason ${id} is already deleted.`);
      return { ...current, deleted: true };
    },
    { ...options, carried: { deleted: true } },
  );
}

/** What a reorder keeps for an idempotent repeat: the list's ids in order, with their order values. */
interface ReorderAnswer {
  ids: number[];
  orders: number[];
}

/** `ids[3]`: where in the request an id is. */
const idAt = (index: number) => `ids[${index}]`;

/** How many missing ids a refusal names one by one. */
const MISSING_NAMED = 20;

/**
 * Puts the account's non-deleted reasons in the order of `ids` (every one of
 * them, each once) in one write, writing only the reasons whose order must
 * change (`planReorder`). Answers the list as it is after.
 */
export async function reorderStatusReasons(
  store: StatusReasonStore,
  accountId: string,
  ids: readonly number[],
  options: WriteOptions = {},
): Promise<Written & { items: StatusReason[] }> {
  // Repeats are refused before anything is read: they need no state.
  const firstAt = new Map<number, number>();
  const repeats: FieldError[] = [];
  ids.forEach((id, index) => {
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, index);
    else repeats.push({ path: idAt(index), message: `repeats status reason ${id} (already at ${idAt(first)})` });
  });
  if (repeats.length) throw new DomainError('invalid', summarise(repeats), repeats);

  // The list as this write leaves it; the idempotency record keeps only ids and orders (a list can be megabytes).
  let after: StatusReason[] = [];
  const outcome = await store.write(accountId, { newIds: 0, readLive: true, idempotency: options.idempotency }, (state) =>
    onState(state, () => {
      checkRevision(state, options.ifMatch);
      const live = state.liveReasons;
      if (!live) throw new Error('reorderStatusReasons: the store did not read the live reasons it was asked for');
      const byId = new Map(live.map((reason) => [reason.id, reason]));

      const errors: FieldError[] = [];
      ids.forEach((id, index) => {
        if (!byId.has(id)) errors.push({ path: idAt(index), message: `${id} is not a status reason of this account that is not deleted` });
      });
      const missing = live.filter((reason) => !firstAt.has(reason.id)).map((reason) => reason.id).sort((a, b) => a - b);
      if (missing.length) {
        const named = missing.slice(0, MISSING_NAMED).join(', ');
        const more = missing.length > MISSING_NAMED ? ` and ${missing.length - MISSING_NAMED} more` : '';
        errors.push({ path: 'ids', message: `must list every status reason that is not deleted, once; missing: ${named}${more}` });
      }
      if (errors.length) throw new DomainError('invalid', summarise(errors), errors);

      const sequence = ids.map((id) => byId.get(id)!);
      const planned = planReorder(sequence);
      const changes: OrderChange[] = [];
      const recorded: Change[] = [];
      let liveBytes = state.liveBytes;
      for (const reason of sequence) {
        const order = planned.get(reason.id);
        if (order === undefined) continue;
        changes.push({ id: reason.id, order });
        recorded.push(reorderedChange(reason, order));
        liveBytes += wireSize({ ...reason, order }) - wireSize(reason);
      }
      checkBudget(state, liveBytes);
      const answer: ReorderAnswer = { ids: [...ids], orders: sequence.map((reason) => planned.get(reason.id) ?? reason.order) };
      after = sequence.map((reason, index) => publicReason({ ...reason, order: answer.orders[index]! }));
      return { plan: { kind: 'reorder' as const, changes }, answer, entry: entryOf(state, options, recorded) };
    }),
  );
  if (!outcome.replayed) return { revision: outcome.revision, replayed: false, items: after };
  return { revision: outcome.revision, replayed: true, items: await firstReorderAnswer(store, accountId, outcome.revision, outcome.answer as ReorderAnswer) };
}

/**
 * The most pages of the change history a reorder's repeat reads back: one, so
 * that a repeat costs at most a list and a page of `GET …/changes` (100
 * entries); a repeat comes soon after its first request, as a rule.
 */
const REPEAT_HISTORY_PAGES = 1;

/**
 * The list a keyed reorder answered first, for its repeat. The record keeps
 * only ids and orders (a list can be megabytes), so the list is read now and
 * the change history's entries since the reorder are undone on it
 * (`revertChanges`). When those entries are gone (the history's keep-limits)
 * or more than `REPEAT_HISTORY_PAGES` pages of them, the nearest answer there
 * is: the first answer's ids and orders with the reasons as they are now, one
 * deleted since left out.
 */
async function firstReorderAnswer(store: StatusReasonStore, accountId: string, revision: number, record: ReorderAnswer): Promise<StatusReason[]> {
  const { revision: now, reasons } = await store.read(accountId);
  const since = now > revision ? await entriesBetween(store, accountId, revision, now) : [];
  const atFirst = new Map((since ? revertChanges(reasons, since) : reasons).map((reason) => [reason.id, reason]));
  const items: StatusReason[] = [];
  record.ids.forEach((id, index) => {
    const reason = atFirst.get(id);
    if (reason && !reason.deleted) items.push(publicReason({ ...reason, order: record.orders[index]! }));
  });
  return items;
}

/** The history's entries after `from` up to `to`, oldest first; undefined when they are not all at hand. */
async function entriesBetween(store: StatusReasonStore, accountId: string, from: number, to: number): Promise<ChangeEntry[] | undefined> {
  const entries: ChangeEntry[] = [];
  for (let page = 0, since = from; page < REPEAT_HISTORY_PAGES; page++) {
    const read = await store.changes(accountId, since, CHANGES_LIMIT_MAX).catch((error: unknown) => {
      if (error instanceof DomainError && error.kind === 'history_gone') return undefined;
      throw error;
    });
    if (!read) return undefined;
    for (const entry of read.changes) {
      if (entry.revision > to) break;
      if (entry.revision !== since + 1) return undefined; // one entry per revision: a gap is not a history to undo
      entries.push(entry);
      since = entry.revision;
    }
    if (since === to) return entries;
    if (!read.more) return undefined;
  }
  return undefined;
}

/** The most entries one page of the change history holds (`limit`: 1 to this). */
export const CHANGES_LIMIT_MAX = 100;

/**
 * The change history after revision `since`, oldest first, at most `limit`
 * entries (SPEC §6). A client holding the list at `since` that applies them in
 * order (`applyChanges`) holds the list at the last one's revision.
 */
export async function listChanges(store: StatusReasonStore, accountId: string, since: number, limit = CHANGES_LIMIT_MAX): Promise<ChangesPage> {
  return store.changes(accountId, since, Math.min(Math.max(1, limit), CHANGES_LIMIT_MAX));
}
