// The wire format of a direct `Invoke` of the function, shared by the adapter
// (functions/adapters/invoke/invoke.ts) and the typed client (functions/client/). Types
// and constants only: a caller's bundle pulls in nothing else from here.
import type { ChangeEntry } from '../../domain/changes.js';
import type { FieldError } from '../../domain/errors.js';
import type { StatusReason } from '../../domain/status-reason.js';

export const CREATE_STATUS_REASONS = 'createStatusReasons';
export const LIST_STATUS_REASONS = 'listStatusReasons';
export const GET_STATUS_REASON = 'getStatusReason';
export const REPLACE_STATUS_REASON = 'replaceStatusReason';
export const DELETE_STATUS_REASON = 'deleteStatusReason';
export const REORDER_STATUS_REASONS = 'reorderStatusReasons';
export const LIST_CHANGES = 'listChanges';
export const INVOKE_ACTIONS = [
  CREATE_STATUS_REASONS,
  LIST_STATUS_REASONS,
  GET_STATUS_REASON,
  REPLACE_STATUS_REASON,
  DELETE_STATUS_REASON,
  REORDER_STATUS_REASONS,
  LIST_CHANGES,
] as const;
export type InvokeAction = (typeof INVOKE_ACTIONS)[number];

/** What every write may add (the meaning of LivePerson's `If-Match` and `Idempotency-Key` headers). */
export interface WriteFields {
  /** The revision the caller last saw; the write is refused (RevisionConflict) if it is no longer current. */
  ifMatch?: string | number;
  /**
   * 1–128 printable ASCII characters. A repeat of the same request with the same
   * key within 24 hours answers the first answer and writes nothing; the same key
   * with another request is refused (IdempotencyKeyReused).
   */
  idempotencyKey?: string;
  /**
   * Who the caller says it is (up to 10 string fields), kept in the write's
   * change-history entry as `actor`, with `"claimed": true`: IAM decided that the
   * caller may invoke, nothing checks what it says here.
   */
  actor?: Record<string, string>;
}

/** `{"action": "createStatusReasons", "accountId": "...", "items": [...], "ifMatch"?: "...", "idempotencyKey"?: "..."}` */
export interface CreateStatusReasonsPayload extends WriteFields {
  action: typeof CREATE_STATUS_REASONS;
  accountId: string;
  /** LivePerson-shaped status reasons (`text`, `state`, `enabled`?, `order`?, ...), 1–100 of them. */
  items: unknown[];
}

/** `{"action": "listStatusReasons", "accountId": "...", "includeDeleted"?: true}`: sorted by order, then id. */
export interface ListStatusReasonsPayload {
  action: typeof LIST_STATUS_REASONS;
  accountId: string;
  includeDeleted?: boolean;
}

/** `{"action": "getStatusReason", "accountId": "...", "id": 7, "includeDeleted"?: true}`: a deleted reason only with includeDeleted. */
export interface GetStatusReasonPayload {
  action: typeof GET_STATUS_REASON;
  accountId: string;
  id: number;
  includeDeleted?: boolean;
}

/**
 * `{"action": "replaceStatusReason", "accountId": "...", "id": 7, "item": {...}}`: `text` and `state` required, other fields kept when absent.
 * `"deleted": true` soft-deletes a live reason; on a deleted one, `"deleted": false` restores it (any other replacement of a deleted one is NotFound).
 */
export interface ReplaceStatusReasonPayload extends WriteFields {
  action: typeof REPLACE_STATUS_REASON;
  accountId: string;
  id: number;
  item: unknown;
}

/** `{"action": "deleteStatusReason", "accountId": "...", "id": 7}`: a soft delete. */
export interface DeleteStatusReasonPayload extends WriteFields {
  action: typeof DELETE_STATUS_REASON;
  accountId: string;
  id: number;
}

/**
 * `{"action": "reorderStatusReasons", "accountId": "...", "ids": [3, 1, 2]}`: every non-deleted reason, once each,
 * in the wanted order; writes only the reasons whose order must change; answers the list after.
 */
export interface ReorderStatusReasonsPayload extends WriteFields {
  action: typeof REORDER_STATUS_REASONS;
  accountId: string;
  ids: number[];
}

/**
 * `{"action": "listChanges", "accountId": "...", "since"?: 12, "limit"?: 100}`: the change history after
 * revision `since` (default 0), oldest first, at most `limit` (1–100, default 100) entries.
 */
export interface ListChangesPayload {
  action: typeof LIST_CHANGES;
  accountId: string;
  since?: number | string;
  limit?: number;
}

export type InvokePayload =
  | ListChangesPayload
  | CreateStatusReasonsPayload
  | ListStatusReasonsPayload
  | GetStatusReasonPayload
  | ReplaceStatusReasonPayload
  | DeleteStatusReasonPayload
  | ReorderStatusReasonsPayload;

/** The error types a direct invoke answers with. */
export type InvokeErrorType =
  | 'InvalidRequest'
  | 'Duplicate'
  | 'LimitExceeded'
  | 'NotFound'
  | 'RevisionConflict'
  | 'IdempotencyKeyReused'
  | 'InProgress'
  | 'Busy'
  | 'OutcomeUnknown'
  /** listChanges: `since` is older than the oldest entry kept (`oldestRevision`); read the list again. */
  | 'HistoryGone'
  | 'InternalError';

export interface InvokeError {
  type: InvokeErrorType;
  message: string;
  /** Where the input is wrong, e.g. `items[1].text`, `item.state`, `id`. */
  errors?: FieldError[];
  /** HistoryGone: the oldest revision whose entry is kept. */
  oldestRevision?: number;
}

/** The account's revision (as a string) and reasons: the answer to createStatusReasons, listStatusReasons and reorderStatusReasons. */
export interface StatusReasonsResult {
  revision: string;
  items: StatusReason[];
}
export type CreateStatusReasonsResult = StatusReasonsResult;

/** The account's revision (as a string) and one reason: the answer to getStatusReason, replaceStatusReason and deleteStatusReason. */
export interface StatusReasonResult {
  revision: string;
  item: StatusReason;
}

/** The answer to listChanges: the account's revision (as a string), the entries after `since`, and whether more follow. */
export interface ChangesResult {
  revision: string;
  changes: ChangeEntry[];
  more: boolean;
}

/** Each action's answer on success. */
export interface InvokeResults {
  createStatusReasons: StatusReasonsResult;
  listStatusReasons: StatusReasonsResult;
  getStatusReason: StatusReasonResult;
  replaceStatusReason: StatusReasonResult;
  deleteStatusReason: StatusReasonResult;
  reorderStatusReasons: StatusReasonsResult;
  listChanges: ChangesResult;
}

export type InvokeAnswer = InvokeResults[InvokeAction] | { error: InvokeError };
