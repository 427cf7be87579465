// Turns any failure into the API's own error answer; the one place that does.
// Unexpected errors are logged with their stack and answered without internals.
import type { MiddlewareObj } from '@middy/core';
import { logger } from '../../logger.js';
import type { HttpEvent, HttpResult } from '../types.js';

export interface ErrorResponsesOptions {
  /** The answer for an error, or undefined when the error is not one the API knows (then: 500). */
  render: (error: unknown) => HttpResult | undefined;
  /** The answer for an unexpected error. */
  internal: () => HttpResult;
}

export const errorResponses = ({ render, internal }: ErrorResponsesOptions): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: (request) => {
    const known = render(request.error);
    if (known) {
      request.response = known;
      return;
    }
    logger.error('Unhandled error', { error: request.error as Error, path: request.event?.rawPath });
    request.response = internal();
  },
});
