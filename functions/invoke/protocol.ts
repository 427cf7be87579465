// The wire format of a direct `Invoke` of the function, shared by the adapter
// (functions/invoke/invoke.ts) and the typed client (functions/client/). Types
// and constants only: a caller's bundle pulls in nothing else from here.
import type { FieldError } from '../domain/errors.js';
import type { StatusReason } from '../domain/status-reason.js';

export const CREATE_STATUS_REASONS = 'createStatusReasons';
export const INVOKE_ACTIONS = [CREATE_STATUS_REASONS] as const;
export type InvokeAction = (typeof INVOKE_ACTIONS)[number];

/** `{"action": "createStatusReasons", "accountId": "...", "items": [...], "ifMatch"?: "..."}` */
export interface CreateStatusReasonsPayload {
  action: typeof CREATE_STATUS_REASONS;
  accountId: string;
  /** LivePerson-shaped status reasons (`text`, `state`, `enabled`?, `order`?, ...), 1–100 of them. */
  items: unknown[];
  /** The revision the caller last saw; the write is refused (RevisionConflict) if it is no longer current. */
  ifMatch?: string | number;
}

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
  | 'InternalError';

export interface InvokeError {
  type: InvokeErrorType;
  message: string;
  /** Where the input is wrong, e.g. `items[1].text`. */
  errors?: FieldError[];
}

export interface CreateStatusReasonsResult {
  /** The account's revision after the write. */
  revision: string;
  items: StatusReason[];
}

export type InvokeAnswer = CreateStatusReasonsResult | { error: InvokeError };
