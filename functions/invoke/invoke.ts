// Direct invocation by other Lambdas (`Invoke` with a JSON payload, no API
// Gateway): a small middy pipeline over the same domain function. A caller's
// mistake is answered as `{"error": {...}}`, never thrown; an unexpected failure
// is logged and answered as `InternalError` without internals.
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { describeValue, DomainError, isDomainError, type DomainErrorKind, type FieldError } from '../domain/errors.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, fieldErrors, parseCreateBody, publicReason, summarise } from '../domain/status-reason.js';
import { createStatusReasons } from '../domain/status-reasons.js';
import type { StoreFactory } from '../domain/store.js';
import { logger } from '../observability.js';
import { pipeline, requestScope } from '../pipeline.js';
import { CREATE_STATUS_REASONS, INVOKE_ACTIONS, type InvokeAnswer, type InvokeError, type InvokeErrorType } from './protocol.js';

const REVISION = /^\d{1,15}$/;

const createPayloadSchema = z.strictObject({
  action: z.literal(CREATE_STATUS_REASONS),
  accountId: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .regex(ACCOUNT_ID, { error: ACCOUNT_ID_RULE }),
  items: z.array(z.unknown(), { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of status reasons') }),
  ifMatch: z
    .custom<string | number>((v) => (typeof v === 'string' && REVISION.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0), {
      error: 'must be a revision number (a non-negative integer, or one as a string)',
    })
    .optional(),
});

export interface CreateRequest {
  accountId: string;
  items: unknown[];
  ifMatch: number | undefined;
}

const invalid = (errors: FieldError[]) => new DomainError('invalid', summarise(errors), errors);

/** Checks the payload's envelope (action, accountId, ifMatch); the items are the domain's to judge. */
export function parseInvokePayload(payload: unknown): CreateRequest {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid([{ path: '', message: `must be a JSON object with an "action" (one of ${INVOKE_ACTIONS.join(', ')})` }]);
  }
  const action = (payload as { action?: unknown }).action;
  if (!(INVOKE_ACTIONS as readonly unknown[]).includes(action)) {
    const got = action === undefined ? 'is required' : `${describeValue(action, 60)} is not a known action`;
    throw invalid([{ path: 'action', message: `${got}; known actions: ${INVOKE_ACTIONS.join(', ')}` }]);
  }
  const result = createPayloadSchema.safeParse(payload);
  if (!result.success) throw invalid(fieldErrors(result.error));
  const { accountId, items, ifMatch } = result.data;
  return { accountId, items, ifMatch: ifMatch === undefined ? undefined : Number(ifMatch) };
}

/** Item errors name their place in the payload: `[1].text` becomes `items[1].text`. */
function inItems(error: DomainError): DomainError {
  if (!error.errors.length) return error;
  const errors = error.errors.map((e) => ({ ...e, path: e.path === '' ? 'items' : e.path.startsWith('[') ? `items${e.path}` : `items.${e.path}` }));
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  const message = error.kind === 'duplicate' ? `Status reason texts must be unique per account: ${first.path} ${first.message}${more}.` : summarise(errors);
  const moved = new DomainError(error.kind, message, errors);
  moved.revision = error.revision;
  return moved;
}

const TYPE_OF: Record<DomainErrorKind, InvokeErrorType> = {
  invalid: 'InvalidRequest',
  duplicate: 'Duplicate',
  limit: 'LimitExceeded',
  not_found: 'NotFound',
  revision_conflict: 'RevisionConflict',
  idempotency_mismatch: 'IdempotencyKeyReused',
  in_progress: 'InProgress',
  overloaded: 'Busy',
  busy: 'Busy',
  outcome_unknown: 'OutcomeUnknown',
};

export function renderInvokeError(error: unknown): { error: InvokeError } {
  if (isDomainError(error)) {
    return { error: { type: TYPE_OF[error.kind], message: error.message, ...(error.errors.length && { errors: error.errors }) } };
  }
  logger.error('Unhandled error in direct invoke', { error: error as Error });
  return { error: { type: 'InternalError', message: 'An internal error occurred. Try again.' } };
}

const invokeErrors = (): MiddlewareObj<unknown, InvokeAnswer, Error, Context> => ({
  onError: (request) => {
    request.response = renderInvokeError(request.error);
  },
});

const invokePayload = (): MiddlewareObj<unknown, InvokeAnswer, Error, Context> => ({
  before: (request) => {
    request.event = parseInvokePayload(request.event);
  },
});

export interface InvokeHandlerOptions {
  store: StoreFactory;
}

export function createInvokeHandler({ store }: InvokeHandlerOptions) {
  return pipeline<unknown, InvokeAnswer>()
    .use(invokeErrors())
    .use(invokePayload())
    .handler(async (event, context): Promise<InvokeAnswer> => {
      const { accountId, items: raw, ifMatch } = event as CreateRequest;
      try {
        const { items } = parseCreateBody(raw);
        const result = await createStatusReasons(store(requestScope(context)), accountId, items, { ifMatch, single: false });
        return { revision: String(result.revision), items: result.items.map(publicReason) };
      } catch (error) {
        throw isDomainError(error) && error.kind !== 'revision_conflict' ? inItems(error) : error;
      }
    });
}

export type InvokeHandler = ReturnType<typeof createInvokeHandler>;
