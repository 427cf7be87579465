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
  /** The account would go over its cap of non-deleted reasons. */
  | 'limit'
  /** No reason with that id (or it is already deleted, for a delete). */
  | 'not_found'
  /** `If-Match` named a revision that is not the current one. */
  | 'revision_conflict'
  /** The store stayed throttled, or the account stayed locked by other writers, past every retry. */
  | 'busy';

export class DomainError extends Error {
  /** The account's revision when the failure was found, if it was read. */
  revision: number | undefined;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
