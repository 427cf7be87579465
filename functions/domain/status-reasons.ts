// The rules of status reasons: uniqueness, the per-account cap, ordering,
// revisions. Every adapter (LivePerson, Connect, direct invoke) calls these;
// none of it knows HTTP or DynamoDB.
import { DomainError, type FieldError } from './errors.js';
import { LIMITS, textKey, type NewReason, type Replacement, type StatusReason } from './status-reason.js';
import type { AccountSnapshot, StatusReasonStore } from './store.js';

export interface WriteOptions {
  /** The revision the caller last saw; the write is refused if it is no longer current. */
  ifMatch?: number | undefined;
}

export interface CreateOptions extends WriteOptions {
  /** How to name an item in errors: `text` for a single object, `[i].text` for an array. */
  single?: boolean;
}

const at = (single: boolean, index: number, field: string) => (single ? field : `[${index}].${field}`);

/** Runs a decision on a snapshot, stamping any refusal with the revision it saw. */
function onSnapshot<T>(snapshot: AccountSnapshot, decide: () => T): T {
  try {
    return decide();
  } catch (error) {
    if (error instanceof DomainError) error.revision = snapshot.revision;
    throw error;
  }
}

function checkRevision(snapshot: AccountSnapshot, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== snapshot.revision) {
    throw new DomainError('revision_conflict', `Revision ${ifMatch} is not current: the status reasons are at revision ${snapshot.revision}.`);
  }
}

const activeCount = (reasons: StatusReason[]) => reasons.reduce((n, r) => (r.deleted ? n : n + 1), 0);

function limitError(active: number, adding: number): DomainError {
  return new DomainError(
    'limit',
    `An account can hold at most ${LIMITS.activeReasonsPerAccount} status reasons that are not deleted; it has ${active} and this request adds ${adding}.`,
  );
}

export async function createStatusReasons(
  store: StatusReasonStore,
  accountId: string,
  items: NewReason[],
  options: CreateOptions = {},
): Promise<{ revision: number; items: StatusReason[] }> {
  const single = options.single ?? false;
  const keys = items.map((item) => textKey(item.text));
  let created: StatusReason[] = [];
  const { revision } = await store.write(accountId, { newIds: items.length }, (snapshot, ids) => onSnapshot(snapshot, () => {
    checkRevision(snapshot, options.ifMatch);

    const taken = new Map<string, StatusReason>();
    for (const reason of snapshot.reasons) if (!reason.deleted) taken.set(textKey(reason.text), reason);
    const errors: FieldError[] = [];
    const firstInRequest = new Map<string, number>();
    items.forEach((item, index) => {
      if (item.deleted) return;
      const key = keys[index]!;
      const holder = taken.get(key);
      const earlier = firstInRequest.get(key);
      if (holder) errors.push({ path: at(single, index, 'text'), message: `"${item.text}" is already the text of status reason ${holder.id}` });
      else if (earlier !== undefined) errors.push({ path: at(single, index, 'text'), message: `"${item.text}" repeats the text of [${earlier}]` });
      else firstInRequest.set(key, index);
    });
    if (errors.length) {
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      throw new DomainError('duplicate', `Status reason texts must be unique per account: ${first.path} ${first.message}${more}.`, errors);
    }

    const active = activeCount(snapshot.reasons);
    const adding = items.filter((item) => !item.deleted).length;
    if (active + adding > LIMITS.activeReasonsPerAccount) throw limitError(active, adding);

    // Items without an order come before every existing reason, in request order.
    // Never below the lowest order a caller may send (or a GET answer could not be
    // PUT back): with no room left they share LIMITS.orderMin, and ids keep them in request order.
    const unordered = items.filter((item) => item.order === undefined).length;
    const lowest = snapshot.reasons.length ? Math.min(...snapshot.reasons.map((r) => r.order)) : unordered + 1;
    let next = lowest - unordered;
    created = items.map((item, index) => ({
      id: ids[index]!,
      text: item.text,
      state: item.state,
      enabled: item.enabled,
      deleted: item.deleted,
      order: item.order ?? Math.max(LIMITS.orderMin, next++),
      ...(item.description !== undefined && { description: item.description }),
      ...(item.tags !== undefined && { tags: item.tags }),
    }));
    return { kind: 'create' as const, reasons: created };
  }));
  return { revision, items: created };
}

export async function listStatusReasons(
  store: StatusReasonStore,
  accountId: string,
  options: { includeDeleted?: boolean } = {},
): Promise<{ revision: number; items: StatusReason[] }> {
  const snapshot = await store.read(accountId);
  const items = snapshot.reasons
    .filter((r) => options.includeDeleted || !r.deleted)
    .sort((a, b) => a.order - b.order || a.id - b.id);
  return { revision: snapshot.revision, items };
}

export async function getStatusReason(store: StatusReasonStore, accountId: string, id: number): Promise<{ revision: number; item: StatusReason }> {
  const { revision, reason } = await store.get(accountId, id);
  if (!reason) {
    const error = new DomainError('not_found', `Status reason ${id} does not exist.`);
    error.revision = revision;
    throw error;
  }
  return { revision, item: reason };
}

function findOrThrow(snapshot: AccountSnapshot, id: number): StatusReason {
  const reason = snapshot.reasons.find((r) => r.id === id);
  if (!reason) throw new DomainError('not_found', `Status reason ${id} does not exist.`);
  return reason;
}

export async function replaceStatusReason(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  replacement: Replacement,
  options: WriteOptions = {},
): Promise<{ revision: number; item: StatusReason }> {
  if (replacement.id !== undefined && replacement.id !== id) {
    throw new DomainError('invalid', `Invalid request: id ${JSON.stringify(replacement.id)} does not match the path's id ${id}.`, [
      { path: 'id', message: `must equal the path's id ${id}` },
    ]);
  }
  let stored: StatusReason | undefined;
  const { revision } = await store.write(accountId, { newIds: 0 }, (snapshot) => onSnapshot(snapshot, () => {
    checkRevision(snapshot, options.ifMatch);
    const current = findOrThrow(snapshot, id);
    const next: StatusReason = {
      id,
      text: replacement.text,
      state: replacement.state,
      enabled: replacement.enabled ?? current.enabled,
      deleted: replacement.deleted ?? current.deleted,
      order: replacement.order ?? current.order,
    };
    const description = replacement.description ?? current.description;
    const tags = replacement.tags ?? current.tags;
    if (description !== undefined) next.description = description;
    if (tags !== undefined) next.tags = tags;

    if (!next.deleted) {
      const key = textKey(next.text);
      const holder = snapshot.reasons.find((r) => r.id !== id && !r.deleted && textKey(r.text) === key);
      if (holder) {
        throw new DomainError('duplicate', `Status reason texts must be unique per account: "${next.text}" is already the text of status reason ${holder.id}.`, [
          { path: 'text', message: `"${next.text}" is already the text of status reason ${holder.id}` },
        ]);
      }
      if (current.deleted) {
        const active = activeCount(snapshot.reasons);
        if (active + 1 > LIMITS.activeReasonsPerAccount) throw limitError(active, 1);
      }
    }
    stored = next;
    return { kind: 'replace' as const, reason: next };
  }));
  return { revision, item: stored! };
}

export async function deleteStatusReason(
  store: StatusReasonStore,
  accountId: string,
  id: number,
  options: WriteOptions = {},
): Promise<{ revision: number; item: StatusReason }> {
  let stored: StatusReason | undefined;
  const { revision } = await store.write(accountId, { newIds: 0 }, (snapshot) => onSnapshot(snapshot, () => {
    checkRevision(snapshot, options.ifMatch);
    const current = findOrThrow(snapshot, id);
    if (current.deleted) throw new DomainError('not_found', `Status reason ${id} is already deleted.`);
    stored = { ...current, deleted: true };
    return { kind: 'replace' as const, reason: stored };
  }));
  return { revision, item: stored! };
}
