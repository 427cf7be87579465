// Failures the domain reports. Adapters (LivePerson HTTP, Connect HTTP, direct
// invoke) each turn a kind into their own wire shape; the domain knows none of them.

export interface FieldError {
  /** Where in the input: `text`, `[1].text`, `tags.color`. Empty for the whole input. */
  path: string;
  message: string;
}

export type DomainErrorKind =
  /** The input breaks a field rule. */
  | 'invalid'
  /** A text that another non-deleted reason of the account already has. */
  | 'duplicate'
  /** The account would go over its cap of non-deleted reasons, or its storage budget. */
  | 'limit'
  /** No reason with that id (or it is already deleted, for a delete). */
  | 'not_found'
  /** `If-Match` named a revision that is not the current one. */
  | 'revision_conflict'
  /** An idempotency key the account used for another request. */
  | 'idempotency_mismatch'
  /** An idempotency key whose first request is still running. */
  | 'in_progress'
  /** Too many writers already wait for this account: refused at once, nothing written. */
  | 'overloaded'
  /** The store stayed throttled, or the account stayed locked by other writers, past every retry: nothing written. */
  | 'busy'
  /** The write may or may not have been applied, and the store could not find out in time. */
  | 'outcome_unknown'
  /** A change-history read from before the oldest entry kept (`oldestRevision` says which is). */
  | 'history_gone';

/** Kinds after which nothing was written and the same request may simply be sent again. */
export const RETRYABLE: ReadonlySet<DomainErrorKind> = new Set(['in_progress', 'overloaded', 'busy']);

export class DomainError extends Error {
  /** The account's revision when the failure was found, if it was read. */
  revision: number | undefined;
  /** For retryable kinds: how long the caller should wait before sending again, in seconds. */
  retryAfterSeconds: number | undefined;
  /** For `history_gone`: the oldest revision whose entry is kept. */
  oldestRevision: number | undefined;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
    if (RETRYABLE.has(kind)) this.retryAfterSeconds = 1;
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/**
 * A short description of any input value for a message, without serializing it
 * whole: a value nested 100,000 deep or megabytes long must not cost a stack
 * overflow or a huge message.
 */
export function describeValue(value: unknown, max = 40): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
