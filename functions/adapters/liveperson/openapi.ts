// The OpenAPI 3.1 document of the LivePerson API, built from the zod schemas
// the handler validates with (`z.toJSONSchema`). `npm run openapi` writes it to
// openapi.json; `npm start` serves it at /openapi.json; a test holds the
// committed file equal to this and real answers to it. Not part of the Lambda
// bundle (nothing the handler imports imports this).
import * as z from 'zod';
import { idempotencyKeySchema } from '../../domain/idempotency.js';
import {
  ACCOUNT_ID,
  ACCOUNT_ID_RULE,
  descriptionSchema,
  LIMITS,
  newReasonSchema,
  orderSchema,
  reorderBodySchema,
  replacementSchema,
  stateSchema,
  tagsSchema,
  textSchema,
} from '../../domain/status-reason.js';
import { BASE_PATH_TEMPLATE, READ_SCOPE, REORDER_SEGMENT, WRITE_SCOPE } from './liveperson.js';

type JsonSchema = Record<string, unknown>;

/** What zod's checks say in code, and JSON Schema has to be told: the rules of text and tags. */
function override(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  if (ctx.zodSchema === textSchema) {
    ctx.jsonSchema.description = `Stored trimmed of surrounding white space; then 1–${LIMITS.textMax} characters with no control characters (U+0000–U+001F, U+007F). Unique per account among non-deleted reasons, compared trimmed, NFKC-normalised and lower-cased.`;
  }
  if (ctx.zodSchema === tagsSchema) {
    // A pipe (reserved keys are refused before the record is read), which JSON Schema sees as its first part: say it whole.
    Object.assign(ctx.jsonSchema, {
      type: 'object',
      additionalProperties: { type: 'string', maxLength: LIMITS.tagValueMax },
      maxProperties: LIMITS.tagsMax,
      propertyNames: { type: 'string', minLength: 1, maxLength: LIMITS.tagKeyMax, not: { enum: ['__proto__', 'constructor'] } },
      description: `Up to ${LIMITS.tagsMax} string pairs (Connect's Tags).`,
    });
  }
}

/** A zod schema as a component of the document (no `$schema`: the document's dialect is 2020-12). */
function component(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', override }) as JsonSchema;
  return json;
}

/** A status reason as the API answers it: the stored fields, trimmed text. */
const statusReasonSchema = z.strictObject({
  id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).meta({ description: 'Assigned by the server; unique per account, never reused.' }),
  text: z
    .string()
    .min(1)
    .max(LIMITS.textMax)
    .regex(/^[^\u0000-\u001f\u007f]*$/),
  state: stateSchema,
  enabled: z.boolean(),
  deleted: z.boolean(),
  order: orderSchema,
  description: z.optional(descriptionSchema),
  tags: z.optional(tagsSchema),
});

const fieldErrorSchema = z.strictObject({
  path: z.string().meta({ description: 'Where in the request: `text`, `[1].text`, `tags.color`, a header or parameter name; empty for the whole body.' }),
  message: z.string(),
});
const errorSchema = z.strictObject({
  message: z.string(),
  errors: z.array(fieldErrorSchema).optional().meta({ description: 'Every field at fault.' }),
});

const historyGoneSchema = z.strictObject({
  message: z.string(),
  oldestRevision: z.number().int().min(1).meta({ description: 'The oldest revision whose entry is kept: read the list again.' }),
});
const changeSchema = z.strictObject({
  id: z.number().int().min(1),
  op: z.enum(['created', 'updated', 'deleted', 'restored', 'reordered']),
  reason: statusReasonSchema.meta({ description: 'The reason as the write left it.' }),
  before: z.record(z.string(), z.unknown()).optional().meta({ description: "The changed fields' values before the write (`null`: the field was absent); absent for a create." }),
});
const changeEntrySchema = z.strictObject({
  revision: z.number().int().min(1),
  at: z.string().meta({ description: 'When the write committed (ISO-8601, UTC).' }),
  via: z.enum(['liveperson', 'connect', 'invoke']),
  actor: z.record(z.string(), z.unknown()).meta({
    description: "Who asked: the token's `sub` and `client_id` (liveperson), the SigV4 caller's IAM `arn` (connect), or what a direct invoker says of itself, with `claimed: true` (invoke).",
  }),
  changes: z.array(changeSchema),
});
const changesPageSchema = z.strictObject({
  revision: z.number().int().min(0).meta({ description: 'The current revision.' }),
  changes: z.array(changeEntrySchema).meta({ description: 'The entries after `since`, oldest first, at most `limit`.' }),
  more: z.boolean().meta({ description: 'Whether entries after the last one here exist (ask again with its revision as `since`).' }),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** Patterns of the query parameters and headers the handler reads (a test holds the handler to them). */
export const PARAMETER_PATTERNS = {
  v: '^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)\\s*$',
  include_deleted: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$',
  revision: '^(W/)?"?\\d{1,15}"?$',
  statusReasonId: '^\\d{1,16}$',
  since: '^\\s*\\d{1,15}\\s*$',
  limit: '^\\s*(100|[1-9]\\d?)\\s*$',
} as const;

/** A query or header parameter whose value is a string matching `pattern`. */
const stringParameter = (name: string, where: 'query' | 'header', description: string, pattern: string) => ({ name, in: where, description, schema: { type: 'string', pattern } });

const parameters = {
  accountId: {
    name: 'accountId',
    in: 'path',
    required: true,
    description: `The account (${ACCOUNT_ID_RULE}).`,
    schema: { type: 'string', pattern: ACCOUNT_ID.source },
  },
  statusReasonId: {
    name: 'statusReasonId',
    in: 'path',
    required: true,
    description: 'The status reason id: a positive integer below 2^53.',
    schema: { type: 'string', pattern: PARAMETER_PATTERNS.statusReasonId },
  },
  v: stringParameter('v', 'query', 'API version: a number, such as `1.0` (default 1.0).', PARAMETER_PATTERNS.v),
  includeDeleted: stringParameter('include_deleted', 'query', '`true` adds deleted reasons (with `deleted: true`); default `false`. Case-insensitive.', PARAMETER_PATTERNS.include_deleted),
  ifMatch: stringParameter('If-Match', 'header', 'The revision the caller last saw (`3`, `"3"` or `W/"3"`): if it is not the current one, the answer is 409 and nothing changes.', PARAMETER_PATTERNS.revision),
  ifNoneMatch: stringParameter('If-None-Match', 'header', 'A revision: when it is the current one, the answer is 304 with no body.', PARAMETER_PATTERNS.revision),
  idempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'A repeat of the same request (method, path, body) with a key the account used in the last 24 hours answers the first answer (status, body, `ac-revision`) and writes nothing; the same key with another request is a 422; while the first is still running, a repeat is a 409 with `Retry-After`.',
    schema: component(idempotencyKeySchema, 'input'),
  },
  since: stringParameter('since', 'query', 'The revision the caller holds the list at (default 0): the answer holds the entries after it. Above the current revision: 400.', PARAMETER_PATTERNS.since),
  limit: stringParameter('limit', 'query', 'At most this many entries, 1–100 (default 100).', PARAMETER_PATTERNS.limit),
  methodOverride: {
    name: 'X-HTTP-Method-Override',
    in: 'header',
    description: 'Only on POST to a status reason (`base/{id}`): `PUT` replaces it (the body is a replacement), `DELETE` deletes it. On POST to the collection or to reorder it is a 400.',
    schema: { type: 'string', enum: ['PUT', 'DELETE'] },
  },
} as const;

const revisionHeader = {
  'ac-revision': { description: "The revision of the account's status reasons after (or as seen by) this request.", schema: { type: 'string', pattern: '^\\d+$' } },
};
const retryAfterHeader = { 'Retry-After': { description: 'Seconds to wait before sending the same request again.', schema: { type: 'string', pattern: '^\\d+$' } } };

const ERRORS = {
  400: ['Bad request: a field, parameter or header breaks a rule (the body names each one), a duplicate text, or the cap of 1,000 non-deleted reasons (or the storage budget).', {}],
  401: ['No bearer token, or one that does not verify.', {}],
  403: ['The token is for another account, or lacks the scope.', {}],
  404: ['No such status reason (or a deleted one, unless include_deleted=true on a get, or `"deleted": false` on a PUT), or no such route.', {}],
  409: ['`If-Match` is not the current revision; or the first request with this `Idempotency-Key` is still running (then with `Retry-After`).', retryAfterHeader],
  413: ['The body is over 256 KiB.', {}],
  415: ['The body is not `application/json`.', {}],
  422: ['The `Idempotency-Key` was used by this account for another request.', {}],
  429: ['Too many writers already wait for this account: nothing was written (`Retry-After`).', retryAfterHeader],
  500: ['The outcome is unknown (the service could not find out within its deadline), or an internal error; no internals in the body.', {}],
  503: ['The account stayed busy, or the database stayed throttled, past every retry: nothing was written and the request may be sent again (`Retry-After`).', retryAfterHeader],
} as const;
type ErrorStatus = keyof typeof ERRORS;

function responses(success: Record<string, unknown>, errorStatuses: ErrorStatus[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...success };
  for (const status of errorStatuses) {
    const [description, headers] = ERRORS[status];
    out[String(status)] = { description, headers: { ...revisionHeader, ...headers }, content: json(ref('Error')) };
  }
  return out;
}

const ok = (description: string, schema: JsonSchema) => ({ 200: { description, headers: revisionHeader, content: json(schema) } });
const READ_ERRORS: ErrorStatus[] = [400, 401, 403, 500, 503];
const WRITE_ERRORS: ErrorStatus[] = [400, 401, 403, 409, 422, 429, 500, 503];
const BODY_ERRORS: ErrorStatus[] = [413, 415];
const sorted = (statuses: ErrorStatus[]) => [...new Set(statuses)].sort((a, b) => a - b);
const security = (scopes: string[]) => [{ bearer: scopes }];

const replacementBody = {
  required: true,
  description:
    'The reason as it should be: `text` and `state` required; the other fields keep their stored values when absent. An `id`, if sent, must be the path\'s id. ' +
    '`"deleted": true` soft-deletes a live reason as DELETE does. On a deleted reason, `"deleted": false` restores it (its text must be free among non-deleted reasons, else 400; the cap of 1,000 non-deleted reasons applies); any other replacement of a deleted reason is a 404.',
  content: json(ref('StatusReasonReplacement')),
};

/** The document. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const reason = ok('The status reason as now stored.', ref('StatusReason'));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agent status reasons: LivePerson-compatible API',
      version: '1.0.0',
      description:
        "LivePerson's Account Config API for agent status reasons. Every answer that reached the account's data carries `ac-revision`. Any other path or method is a 404. Generated from the handler's zod schemas (functions/adapters/liveperson/openapi.ts).",
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: security([READ_SCOPE, WRITE_SCOPE]),
    paths: {
      [BASE_PATH_TEMPLATE]: {
        parameters: [parameters.accountId, parameters.v],
        get: {
          operationId: 'listStatusReasons',
          summary: 'List the status reasons (sorted by order, then id)',
          security: security([READ_SCOPE]),
          parameters: [parameters.includeDeleted, parameters.ifNoneMatch],
          responses: responses(
            {
              ...ok('The non-deleted reasons (and the deleted ones with include_deleted=true).', { type: 'array', items: ref('StatusReason') }),
              304: { description: '`If-None-Match` is the current revision.', headers: revisionHeader },
            },
            READ_ERRORS,
          ),
        },
        post: {
          operationId: 'createStatusReasons',
          summary: 'Create one status reason, or 1–100 in one write',
          description: 'Items created without `order` come before every existing reason, in request order.',
          security: security([WRITE_SCOPE]),
          parameters: [parameters.ifMatch, parameters.idempotencyKey],
          requestBody: { required: true, content: json(ref('CreateBody')) },
          responses: responses(ok('The created reason (for one object) or reasons (for an array, in request order).', ref('CreateAnswer')), sorted([...WRITE_ERRORS, ...BODY_ERRORS])),
        },
      },
      [`${BASE_PATH_TEMPLATE}/${REORDER_SEGMENT}`]: {
        parameters: [parameters.accountId, parameters.v],
        post: {
          operationId: 'reorderStatusReasons',
          summary: 'Put the non-deleted status reasons in a wanted order (one write)',
          description:
            '`ids` lists every non-deleted reason of the account, once each, in the wanted order; a missing, unknown, deleted or repeated id is a 400 naming it (`ids[3]`, or `ids` for a missing one). ' +
            'Afterwards the list (sorted by order, then id) is in exactly that order. Only the reasons whose `order` must change are written: those outside a longest run already in order get values in the gaps between their neighbours (a gap without room is widened to the smallest surrounding range that has room). One revision.',
          security: security([WRITE_SCOPE]),
          parameters: [parameters.ifMatch, parameters.idempotencyKey],
          requestBody: { required: true, content: json(ref('ReorderBody')) },
          responses: responses(
            ok('The non-deleted reasons as now stored, in the wanted order.', { type: 'array', items: ref('StatusReason'), maxItems: LIMITS.activeReasonsPerAccount }),
            sorted([...WRITE_ERRORS, ...BODY_ERRORS]),
          ),
        },
      },
      [`${BASE_PATH_TEMPLATE}/changes`]: {
        parameters: [parameters.accountId, parameters.v],
        get: {
          operationId: 'listChanges',
          summary: 'The change history: the entries after a revision, oldest first',
          description:
            'Every successful write has exactly one entry, at its revision. A client holding the list at revision `since` that applies the entries (each change\'s `reason` replaces the reason with its `id`) holds the list at the newest revision. `since` equal to the current revision answers an empty list for the cost of one small read.',
          security: security([READ_SCOPE]),
          parameters: [parameters.since, parameters.limit],
          responses: {
            ...responses(ok('The entries after `since`.', ref('ChangesPage')), READ_ERRORS),
            410: { description: '`since` is older than the oldest entry kept: read the list again.', headers: revisionHeader, content: json(ref('HistoryGone')) },
          },
        },
      },
      [`${BASE_PATH_TEMPLATE}/{statusReasonId}`]: {
        parameters: [parameters.accountId, parameters.statusReasonId, parameters.v],
        get: {
          operationId: 'getStatusReason',
          summary: 'One status reason',
          security: security([READ_SCOPE]),
          parameters: [parameters.includeDeleted],
          responses: responses(ok('The status reason.', ref('StatusReason')), sorted([...READ_ERRORS, 404])),
        },
        put: {
          operationId: 'replaceStatusReason',
          summary: 'Replace one status reason',
          security: security([WRITE_SCOPE]),
          parameters: [parameters.ifMatch, parameters.idempotencyKey],
          requestBody: replacementBody,
          responses: responses(reason, sorted([...WRITE_ERRORS, ...BODY_ERRORS, 404])),
        },
        delete: {
          operationId: 'deleteStatusReason',
          summary: 'Delete one status reason (soft: `deleted: true`; its text is free again)',
          security: security([WRITE_SCOPE]),
          parameters: [parameters.ifMatch, parameters.idempotencyKey],
          responses: responses(reason, sorted([...WRITE_ERRORS, 404])),
        },
        post: {
          operationId: 'overrideStatusReason',
          summary: 'PUT or DELETE for clients that can send only POST',
          security: security([WRITE_SCOPE]),
          parameters: [{ ...parameters.methodOverride, required: true }, parameters.ifMatch, parameters.idempotencyKey],
          requestBody: { ...replacementBody, required: false, description: `With \`X-HTTP-Method-Override: PUT\`: ${replacementBody.description} With \`DELETE\`: none.` },
          responses: responses(reason, sorted([...WRITE_ERRORS, ...BODY_ERRORS, 404])),
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `The token's \`account\` claim must be the path's account; its \`scope\` must hold \`${WRITE_SCOPE}\` for writes, \`${READ_SCOPE}\` for reads.`,
        },
      },
      schemas: {
        StatusReason: component(statusReasonSchema, 'output'),
        NewStatusReason: component(newReasonSchema, 'input'),
        StatusReasonReplacement: component(replacementSchema, 'input'),
        ReorderBody: component(reorderBodySchema, 'input'),
        CreateBody: {
          oneOf: [ref('NewStatusReason'), { type: 'array', items: ref('NewStatusReason'), minItems: 1, maxItems: LIMITS.itemsPerRequest }],
        },
        CreateAnswer: { oneOf: [ref('StatusReason'), { type: 'array', items: ref('StatusReason'), minItems: 1, maxItems: LIMITS.itemsPerRequest }] },
        Error: component(errorSchema, 'output'),
        ChangesPage: component(changesPageSchema, 'output'),
        HistoryGone: component(historyGoneSchema, 'output'),
      },
    },
  };
}
