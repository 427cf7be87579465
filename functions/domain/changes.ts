// The change history (SPEC §6): what one successful write changed, who asked
// and through which API. The domain builds the entry with the decision; the
// store commits it with the write, and stamps when.
import { publicReason, type StatusReason } from './status-reason.js';

export type ChangeOp = 'created' | 'updated' | 'deleted' | 'restored' | 'reordered';
export type ChangeVia = 'liveperson' | 'connect' | 'invoke';

/**
 * Who asked, as far as the service can know: the verified token's `sub` and
 * `client_id` (LivePerson), the SigV4 caller's IAM ARN (Connect), or what a
 * direct invoker says of itself, marked `claimed`.
 */
export type ChangeActor =
  | { sub?: string; client_id?: string }
  | { arn: string }
  | { claimed: true; [field: string]: unknown };

/** Where a write comes from: the adapter that took it, and its caller. */
export interface ChangeOrigin {
  via: ChangeVia;
  actor: ChangeActor;
}

/** A write through the domain functions without an adapter (tests, scripts) is a direct call that claims nothing. */
export const UNATTRIBUTED: ChangeOrigin = { via: 'invoke', actor: { claimed: true } };

/** The fields of a reason a change may name in `before`. */
type ReasonField = Exclude<keyof StatusReason, 'id'>;
const FIELDS: readonly ReasonField[] = ['text', 'state', 'enabled', 'deleted', 'order', 'description', 'tags'];

export interface Change {
  id: number;
  op: ChangeOp;
  /** The reason as the write left it. */
  reason: StatusReason;
  /** The changed fields' values before the write (a field that was absent is `null`); absent for a create. */
  before?: Partial<Record<ReasonField, unknown>>;
}

/** One entry: one successful write. */
export interface ChangeEntry {
  revision: number;
  /** ISO-8601 UTC: when the write committed. */
  at: string;
  via: ChangeVia;
  actor: ChangeActor;
  changes: Change[];
}

/** What the domain decides for the entry; the store adds `at`. */
export type ChangeRecord = Omit<ChangeEntry, 'at'>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The changed fields' old values (`null` for one that was absent), or undefined when nothing changed. */
export function changedFields(before: StatusReason, after: StatusReason): Change['before'] {
  const old: Partial<Record<ReasonField, unknown>> = {};
  for (const field of FIELDS) {
    if (!same(before[field], after[field])) old[field] = before[field] ?? null;
  }
  return Object.keys(old).length ? old : undefined;
}

export const createdChange = (reason: StatusReason): Change => ({ id: reason.id, op: 'created', reason: publicReason(reason) });

/** A replacement of one reason: a delete, a restore, or an update (also one that changes nothing). */
export function replacedChange(before: StatusReason, after: StatusReason): Change {
  const op: ChangeOp = !before.deleted && after.deleted ? 'deleted' : before.deleted && !after.deleted ? 'restored' : 'updated';
  const old = changedFields(before, after);
  return { id: after.id, op, reason: publicReason(after), ...(old && { before: old }) };
}

export const reorderedChange = (before: StatusReason, order: number): Change => ({
  id: before.id,
  op: 'reordered',
  reason: publicReason({ ...before, order }),
  before: { order: before.order },
});

/**
 * Applies entries (oldest first) to a list of reasons (deleted ones included),
 * as a client holding the list at some revision does to reach a later one.
 */
export function applyChanges(reasons: readonly StatusReason[], entries: readonly Pick<ChangeEntry, 'changes'>[]): StatusReason[] {
  const byId = new Map(reasons.map((reason) => [reason.id, reason]));
  for (const entry of entries) for (const change of entry.changes) byId.set(change.id, change.reason);
  return [...byId.values()];
}

/**
 * The inverse of `applyChanges`: from the reasons at the last entry's revision
 * (the live ones are enough: a reason the entries do not touch is as it was),
 * the reasons at the revision before the first entry. Each change's `reason`
 * and `before` give the reason as it was; a created one did not exist.
 */
export function revertChanges(reasons: readonly StatusReason[], entries: readonly Pick<ChangeEntry, 'changes'>[]): StatusReason[] {
  const byId = new Map(reasons.map((reason) => [reason.id, reason]));
  for (const entry of [...entries].reverse()) {
    for (const change of [...entry.changes].reverse()) {
      if (change.op === 'created') {
        byId.delete(change.id);
        continue;
      }
      const was: Record<string, unknown> = { ...change.reason };
      for (const [field, value] of Object.entries(change.before ?? {})) {
        if (value === null) delete was[field];
        else was[field] = value;
      }
      byId.set(change.id, was as unknown as StatusReason);
    }
  }
  return [...byId.values()];
}
