import type { FieldError } from '../../domain/errors.js';

/** A failure that already knows its HTTP answer (bad headers, bad JSON, auth, unknown route). */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
