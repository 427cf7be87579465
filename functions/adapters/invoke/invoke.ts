// Room: functions/adapters/invoke/. Direct Lambda invokes: the wire protocol
// (protocol.ts, which the typed client shares) and its middy pipeline. May
// import: domain, platform.
//
// Direct invocation by other Lambdas (`Invoke` with a JSON payload, no API
// Gateway): a small middy pipeline over the same domain functions as the
// LivePerson API. A caller's mistake is answered as `{"error": {...}}`, never
// thrown; an unexpected failure is logged and answered as `InternalError`
// without internals.
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeValue, DomainError, isDomainError, type DomainErrorKind, type FieldError } from '../../domain/errors.js';
import { idempotencyKey, idempotencyKeySchema } from '../../domain/idempotency.js';
import {
  ACCOUNT_ID,
  ACCOUNT_ID_RULE,
  fieldErrors,
  parseCreateBody,
  parseOrThrow,
  parseReplacement,
  publicReason,
  reorderIdsSchema,
  summarise,
} from '../../domain/status-reason.js';
import {
  createStatusReasons,
  deleteStatusReason,
  CHANGES_LIMIT_MAX,
  getStatusReason,
  listChanges,
  listStatusReasons,
  reorderStatusReasons,
  replaceStatusReason,
  type WriteOptions,
} from '../../domain/status-reasons.js';
import type { ChangeActor } from '../../domain/changes.js';
import type { StatusReasonStore, StoreFactory } from '../../domain/store.js';
import { logger } from '../../platform/logger.js';
import { jsonBytes, ListCopies, listThroughCopy } from '../../platform/list-copies.js';
import { pipeline, requestScope } from '../../platform/pipeline.js';
import {
  CREATE_STATUS_REASONS,
  DELETE_STATUS_REASON,
  GET_STATUS_REASON,
  INVOKE_ACTIONS,
  LIST_STATUS_REASONS,
  LIST_CHANGES,
  REORDER_STATUS_REASONS,
  REPLACE_STATUS_REASON,
  type InvokeAction,
  type InvokeAnswer,
  type InvokeError,
  type InvokeErrorType,
  type InvokeResults,
} from './protocol.js';

const REVISION = /^\d{1,15}$/;
/** A direct invoker's word about itself (`actor`), kept in the change history marked `claimed`. */
const ACTOR_FIELDS_MAX = 10;
const ACTOR_KEY_MAX = 64;
const ACTOR_VALUE_MAX = 256;
const typed = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) });

const accountId = z.string(typed('a string')).check(z.regex(ACCOUNT_ID, { error: ACCOUNT_ID_RULE }));
const ID_RULE = 'must be a positive integer below 2^53';
// zod's int() also refuses integers beyond Number.MAX_SAFE_INTEGER.
const id = z.number(typed('a positive integer')).check(z.int({ error: ID_RULE }), z.minimum(1, { error: ID_RULE }));
const includeDeleted = z.optional(z.boolean(typed('true or false')));
const writeFields = {
  ifMatch: z.optional(
    z.custom<string | number>((v) => (typeof v === 'string' && REVISION.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0), {
      error: 'must be a revision number (a non-negative integer, or one as a string)',
    }),
  ),
  idempotencyKey: z.optional(idempotencyKeySchema),
  // Checked by hand: a zod record drops a `__proto__` key, and every key here is data that is kept.
  actor: z.optional(
    z.custom<Record<string, string>>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= ACTOR_FIELDS_MAX &&
        Object.entries(value).every(([name, field]) => name.length >= 1 && name.length <= ACTOR_KEY_MAX && typeof field === 'string' && field.length <= ACTOR_VALUE_MAX),
      { error: `must be an object of at most ${ACTOR_FIELDS_MAX} string fields (names 1–${ACTOR_KEY_MAX} characters, values up to ${ACTOR_VALUE_MAX})` },
    ),
  ),
};

/** Each action's payload; the status reasons inside (`items`, `item`) are the domain's to judge. */
const PAYLOADS = {
  [CREATE_STATUS_REASONS]: z.strictObject({
    action: z.literal(CREATE_STATUS_REASONS),
    accountId,
    items: z.array(z.unknown(), typed('an array of status reasons')),
    ...writeFields,
  }),
  [LIST_STATUS_REASONS]: z.strictObject({ action: z.literal(LIST_STATUS_REASONS), accountId, includeDeleted }),
  [GET_STATUS_REASON]: z.strictObject({ action: z.literal(GET_STATUS_REASON), accountId, id, includeDeleted }),
  [REPLACE_STATUS_REASON]: z.strictObject({ action: z.literal(REPLACE_STATUS_REASON), accountId, id, item: z.unknown(), ...writeFields }),
  [DELETE_STATUS_REASON]: z.strictObject({ action: z.literal(DELETE_STATUS_REASON), accountId, id, ...writeFields }),
  [REORDER_STATUS_REASONS]: z.strictObject({ action: z.literal(REORDER_STATUS_REASONS), accountId, ids: reorderIdsSchema, ...writeFields }),
  [LIST_CHANGES]: z.strictObject({
    action: z.literal(LIST_CHANGES),
    accountId,
    since: z.optional(
      z.custom<string | number>((v) => (typeof v === 'string' && REVISION.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0), {
        error: 'must be a revision number (a non-negative integer, or one as a string)',
      }),
    ),
    limit: z.optional(
      z
        .number(typed(`an integer from 1 to ${CHANGES_LIMIT_MAX}`))
        .check(
          z.int({ error: `must be an integer from 1 to ${CHANGES_LIMIT_MAX}` }),
          z.minimum(1, { error: `must be an integer from 1 to ${CHANGES_LIMIT_MAX}` }),
          z.maximum(CHANGES_LIMIT_MAX, { error: `must be an integer from 1 to ${CHANGES_LIMIT_MAX}` }),
        ),
    ),
  }),
} satisfies Record<InvokeAction, z.ZodMiniType>;

type Payload<A extends InvokeAction> = z.output<(typeof PAYLOADS)[A]>;
/** A checked payload, tagged with its action. */
export type InvokeRequest = { [A in InvokeAction]: Payload<A> }[InvokeAction];

const invalid = (errors: FieldError[]) => new DomainError('invalid', summarise(errors), errors);

/** Checks the payload: its action, and that action's fields. */
export function parseInvokePayload(payload: unknown): InvokeRequest {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid([{ path: '', message: `must be a JSON object with an "action" (one of ${INVOKE_ACTIONS.join(', ')})` }]);
  }
  const action = (payload as { action?: unknown }).action;
  if (!(INVOKE_ACTIONS as readonly unknown[]).includes(action)) {
    const got = action === undefined ? 'is required' : `${describeValue(action, 60)} is not a known action`;
    throw invalid([{ path: 'action', message: `${got}; known actions: ${INVOKE_ACTIONS.join(', ')}` }]);
  }
  const result = PAYLOADS[action as InvokeAction].safeParse(payload);
  if (!result.success) throw invalid(fieldErrors(result.error));
  return result.data as InvokeRequest;
}

/** Errors about the reasons inside the payload name their place in it: `[1].text` becomes `items[1].text`, `text` becomes `item.text`. */
function within(field: 'items' | 'item', error: unknown): unknown {
  if (!isDomainError(error) || !error.errors.length) return error;
  const errors = error.errors.map((e) => ({ ...e, path: e.path === '' ? field : e.path.startsWith('[') ? `${field}${e.path}` : `${field}.${e.path}` }));
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  // Only the messages built from field errors name paths; a limit's says what it is in its own words.
  const message =
    error.kind === 'duplicate' ? `Status reason texts must be unique per account: ${first.path} ${first.message}${more}.` : error.kind === 'invalid' ? summarise(errors) : error.message;
  const moved = new DomainError(error.kind, message, errors);
  moved.revision = error.revision;
  return moved;
}

async function about<T>(field: 'items' | 'item', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw within(field, error);
  }
}

/** `ifMatch` and `idempotencyKey` as the domain takes them; the key is kept with what the request asks. */
function writeOptions(
  request: { ifMatch?: string | number | undefined; idempotencyKey?: string | undefined; actor?: Record<string, string> | undefined },
  asks: unknown,
): WriteOptions {
  // Own properties only (a key such as `__proto__` is data); `claimed` last, so the invoker cannot drop it.
  const actor = Object.fromEntries([...Object.entries(request.actor ?? {}), ['claimed', true]]) as ChangeActor;
  return {
    origin: { via: 'invoke', actor },
    ifMatch: request.ifMatch === undefined ? undefined : Number(request.ifMatch),
    idempotency: request.idempotencyKey === undefined ? undefined : idempotencyKey('invoke', request.idempotencyKey, asks),
  };
}

/** The container's last lists answered, per account and `includeDeleted`: the answer's items. */
type InvokeListCopies = ListCopies<ReturnType<typeof publicReason>[]>;

const ACTIONS: { [A in InvokeAction]: (request: Payload<A>, store: StatusReasonStore, copies: InvokeListCopies) => Promise<InvokeResults[A]> } = {
  async createStatusReasons(request, store) {
    return about('items', async () => {
      const { items } = parseCreateBody(request.items);
      const options = writeOptions(request, { action: request.action, items });
      const result = await createStatusReasons(store, request.accountId, items, { ...options, single: false });
      return { revision: String(result.revision), items: result.items.map(publicReason) };
    });
  },
  async listStatusReasons(request, store, copies) {
    const includeDeleted = request.includeDeleted ?? false;
    // The copy is the answer's items: an unchanged account's list costs one small read.
    const answer = await listThroughCopy(copies, `${request.accountId}\u0000${includeDeleted}`, undefined, {
      revision: () => store.revision(request.accountId),
      read: async () => {
        const result = await listStatusReasons(store, request.accountId, { includeDeleted });
        const items = result.items.map(publicReason);
        return { revision: result.revision, value: items, bytes: jsonBytes(items) };
      },
    });
    if (answer.notModified) throw new Error('a list without a revision to match cannot be not-modified');
    return { revision: String(answer.revision), items: answer.value };
  },
  async getStatusReason(request, store) {
    const result = await getStatusReason(store, request.accountId, request.id, { includeDeleted: request.includeDeleted ?? false });
    return { revision: String(result.revision), item: publicReason(result.item) };
  },
  async replaceStatusReason(request, store) {
    return about('item', async () => {
      // The whole item is checked before the key's fingerprint is taken of it.
      const replacement = parseReplacement(request.item, request.id);
      const options = writeOptions(request, { action: request.action, id: request.id, replacement });
      const result = await replaceStatusReason(store, request.accountId, request.id, replacement, options);
      return { revision: String(result.revision), item: result.item };
    });
  },
  async deleteStatusReason(request, store) {
    const result = await deleteStatusReason(store, request.accountId, request.id, writeOptions(request, { action: request.action, id: request.id }));
    return { revision: String(result.revision), item: result.item };
  },
  async listChanges(request, store) {
    const page = await listChanges(store, request.accountId, Number(request.since ?? 0), request.limit ?? CHANGES_LIMIT_MAX);
    return { revision: String(page.revision), changes: page.changes, more: page.more };
  },
  async reorderStatusReasons(request, store) {
    const result = await reorderStatusReasons(store, request.accountId, request.ids, writeOptions(request, { action: request.action, ids: request.ids }));
    return { revision: String(result.revision), items: result.items };
  },
};

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
  history_gone: 'HistoryGone',
};

export function renderInvokeError(error: unknown): { error: InvokeError } {
  if (isDomainError(error)) {
    return {
      error: {
        type: TYPE_OF[error.kind],
        message: error.message,
        ...(error.errors.length && { errors: error.errors }),
        ...(error.oldestRevision !== undefined && { oldestRevision: error.oldestRevision }),
      },
    };
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
  /** The container's last lists answered (platform/list-copies.ts); a fresh set of its own by default. */
  listCopies?: InvokeListCopies;
}

export function createInvokeHandler({ store, listCopies = new ListCopies() }: InvokeHandlerOptions) {
  return pipeline<unknown, InvokeAnswer>()
    .use(invokeErrors())
    .use(invokePayload())
    .handler((event, context): Promise<InvokeAnswer> => {
      const request = event as InvokeRequest;
      const run = ACTIONS[request.action] as (request: InvokeRequest, store: StatusReasonStore, copies: InvokeListCopies) => Promise<InvokeAnswer>;
      return run(request, store(requestScope(context)), listCopies);
    });
}

export type InvokeHandler = ReturnType<typeof createInvokeHandler>;
