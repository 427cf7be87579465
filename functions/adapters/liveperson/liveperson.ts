// Room: functions/adapters/liveperson/. LivePerson's Account Config API over API
// Gateway events: routes, headers, JWT claims, zod bodies, and the OpenAPI
// document generated from them; it turns requests into domain calls and domain
// answers into LivePerson's shapes. May import: domain, platform.
//
// The LivePerson Account Config API for status reasons, over API Gateway HTTP
// API events (payload 2.0): a thin middy pipeline in front of the domain.
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { pipeline, requestScope } from '../../platform/pipeline.js';
import { describeValue, isDomainError, type DomainErrorKind } from '../../domain/errors.js';
import { idempotencyKey, idempotencyKeySchema } from '../../domain/idempotency.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, parseCreateBody, parseOrThrow, parseReplacement, publicReason, reorderBodySchema } from '../../domain/status-reason.js';
import {
  createStatusReasons,
  deleteStatusReason,
  CHANGES_LIMIT_MAX,
  getStatusReason,
  listChanges,
  listStatusReasons,
  reorderStatusReasons,
  replaceStatusReason,
} from '../../domain/status-reasons.js';
import type { ChangeOrigin } from '../../domain/changes.js';
import type { IdempotencyKey, StatusReasonStore, StoreFactory } from '../../domain/store.js';
import { HttpError } from '../../platform/http/http-error.js';
import { errorResponses } from '../../platform/http/middlewares/error-responses.js';
import { routedPath } from '../../platform/http/routed-path.js';
import { jsonBody } from '../../platform/http/middlewares/json-body.js';
import { jwtClaims, verifiedClaims, type TokenRules } from '../../platform/http/middlewares/jwt-claims.js';
import { json, JSON_HEADERS, type HttpEvent, type HttpHandler, type HttpResult, type MatchedRoute } from '../../platform/http/types.js';
import { ListCopies, listThroughCopy } from '../../platform/list-copies.js';

/** The collection's path as API Gateway and OpenAPI write it. */
export const BASE_PATH_TEMPLATE = '/api/account/{accountId}/configuration/le-agents/status-reasons';
export const BASE_PATH = /^\/api\/account\/([^/]+)\/configuration\/le-agents\/status-reasons(?:\/([^/]+))?\/?$/;
export const READ_SCOPE = 'status-reasons:read';
export const WRITE_SCOPE = 'status-reasons:write';

type Operation = 'create' | 'list' | 'get' | 'replace' | 'delete' | 'reorder' | 'changes';
const WRITES: ReadonlySet<string> = new Set<Operation>(['create', 'replace', 'delete', 'reorder']);
const WITH_BODY: ReadonlySet<string> = new Set<Operation>(['create', 'replace', 'reorder']);
/** `POST base/reorder`: the one path under the collection that is not a reason's id. */
export const REORDER_SEGMENT = 'reorder';
/** `GET base/changes`: the change history (ids are integers, so it names no reason). */
export const CHANGES_SEGMENT = 'changes';
const OPERATIONS: Record<string, Record<string, Operation>> = {
  collection: { POST: 'create', GET: 'list' },
  item: { GET: 'get', PUT: 'replace', DELETE: 'delete' },
};

/** The request path as routed: API Gateway puts a named stage in front of it. */

function decode(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `The path's ${name} is not valid URL encoding.`, [{ path: name, message: 'is not valid URL encoding' }]);
  }
}

/** A 400 for `X-HTTP-Method-Override` where it does not belong, naming the header and its rule. */
const overrideRefused = (rule: string, override: string) =>
  new HttpError(400, `X-HTTP-Method-Override ${rule} (got ${JSON.stringify(override.slice(0, 40))}).`, [{ path: 'X-HTTP-Method-Override', message: rule }]);

/** Matches the route, honouring `X-HTTP-Method-Override` on POST to an item. */
export function matchLivePersonRoute(event: HttpEvent): MatchedRoute | undefined {
  const match = BASE_PATH.exec(routedPath(event));
  if (!match) return undefined;
  const [, account, id] = match;
  let method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
  const override = event.headers?.['x-http-method-override']?.trim().toUpperCase();
  // `reorder` names no reason: a method other than POST on it is an unknown route, as on `changes`.
  if (id === REORDER_SEGMENT) {
    if (method !== 'POST') return undefined;
    if (override) throw overrideRefused(`does not apply to POST ${REORDER_SEGMENT}`, override);
    return { operation: 'reorder', params: { accountId: accountIdOf(account!) } };
  }
  // The override applies to POST only: a GET ignores it, as on the collection and an item.
  if (id === CHANGES_SEGMENT) return method === 'GET' ? { operation: 'changes', params: { accountId: accountIdOf(account!) } } : undefined;
  if (override && method === 'POST') {
    // On the collection a client that meant to replace or delete but dropped the id would otherwise create.
    if (id === undefined) throw overrideRefused('applies only to POST base/{id}, not to POST base', override);
    if (override !== 'PUT' && override !== 'DELETE') throw overrideRefused('must be PUT or DELETE', override);
    method = override;
  }
  const operation = OPERATIONS[id === undefined ? 'collection' : 'item']![method];
  if (!operation) return undefined;
  return { operation, params: { accountId: accountIdOf(account!), ...(id !== undefined && { statusReasonId: decode(id, 'statusReasonId') }) } };
}

function accountIdOf(segment: string): string {
  const accountId = decode(segment, 'accountId');
  if (!ACCOUNT_ID.test(accountId)) throw new HttpError(400, `The path's accountId ${ACCOUNT_ID_RULE}.`, [{ path: 'accountId', message: ACCOUNT_ID_RULE }]);
  return accountId;
}

const route = (event: HttpEvent): MatchedRoute => {
  if (!event.route) throw new Error('route middleware did not run');
  return event.route;
};

function header(event: HttpEvent, name: string): string | undefined {
  const value = event.headers?.[name]?.trim();
  return value ? value : undefined;
}

/** A revision from `If-Match`/`If-None-Match`: a plain or quoted integer (`3`, `"3"`, `W/"3"`). */
function revisionHeader(event: HttpEvent, name: 'if-match' | 'if-none-match', label: string): number | undefined {
  const value = header(event, name);
  if (value === undefined) return undefined;
  const digits = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value);
  if (!digits) throw new HttpError(400, `${label} must be a revision number (got ${JSON.stringify(value.slice(0, 40))}).`, [{ path: label, message: 'must be a revision number' }]);
  return Number(digits[1]);
}

function statusReasonId(event: HttpEvent): number {
  const raw = route(event).params.statusReasonId ?? '';
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, `The status reason id must be a positive integer (got ${JSON.stringify(raw.slice(0, 40))}).`, [
      { path: 'statusReasonId', message: 'must be a positive integer' },
    ]);
  }
  return Number(raw);
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * Whether `text` is a decimal number (`1`, ` 2.0 `, `-.5`, `3.`): an optional
 * sign, digits with at most one point, white space around. One pass from left
 * to right, so it costs time linear in the length whatever the text (a regex
 * with two adjacent runs of digits backtracked quadratically on long ones).
 */
export function isDecimalNumber(text: string): boolean {
  const s = text.trim();
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0;
  let digits = 0;
  for (; isDigit(s[i]); i++) digits++;
  if (s[i] === '.') for (i++; isDigit(s[i]); i++) digits++;
  return digits > 0 && i === s.length;
}

/** Query parameters: `v` (API version, a number) everywhere, `include_deleted` on lists. */
function checkQuery(event: HttpEvent): void {
  const query = event.queryStringParameters ?? {};
  const version = query.v;
  if (version !== undefined && !isDecimalNumber(version)) {
    throw new HttpError(400, `The query parameter v must be a number, such as 1.0 (got ${JSON.stringify(version.slice(0, 40))}).`, [
      { path: 'v', message: 'must be a number' },
    ]);
  }
  const includeDeleted = query.include_deleted;
  if (includeDeleted !== undefined && !/^(true|false)$/i.test(includeDeleted)) {
    throw new HttpError(400, `The query parameter include_deleted must be true or false (got ${JSON.stringify(includeDeleted.slice(0, 40))}).`, [
      { path: 'include_deleted', message: 'must be true or false' },
    ]);
  }
}

const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  duplicate: 400,
  limit: 400,
  not_found: 404,
  revision_conflict: 409,
  idempotency_mismatch: 422,
  in_progress: 409,
  overloaded: 429,
  busy: 503,
  outcome_unknown: 500,
  history_gone: 410,
};

export function renderLivePersonError(error: unknown): HttpResult | undefined {
  if (error instanceof HttpError) {
    return json(error.statusCode, { message: error.message, ...(error.errors.length && { errors: error.errors }) }, error.headers);
  }
  if (isDomainError(error)) {
    const headers: Record<string, string> = {};
    if (error.revision !== undefined) headers['ac-revision'] = String(error.revision);
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    const body = { message: error.message, ...(error.errors.length && { errors: error.errors }), ...(error.oldestRevision !== undefined && { oldestRevision: error.oldestRevision }) };
    return json(STATUS_OF[error.kind], body, headers);
  }
  return undefined;
}

const revisionHeaders = (revision: number) => ({ 'ac-revision': String(revision) });

/** `Idempotency-Key`: 1–128 printable ASCII characters, kept with what the request asks. */
function idempotency(event: HttpEvent, operation: Operation, request: unknown): IdempotencyKey | undefined {
  const value = event.headers?.['idempotency-key'];
  if (value === undefined) return undefined;
  const parsed = idempotencyKeySchema.safeParse(value);
  if (!parsed.success) {
    throw new HttpError(400, `Idempotency-Key must be 1–128 printable ASCII characters (got ${describeValue(value)}).`, [
      { path: 'Idempotency-Key', message: 'must be 1–128 printable ASCII characters' },
    ]);
  }
  return idempotencyKey('lp', parsed.data, { operation, request });
}

export interface LivePersonHandlerOptions {
  store: StoreFactory;
  /** The container's last lists answered (platform/list-copies.ts); a fresh set of its own by default. */
  listCopies?: ListCopies<string>;
  maxBodyBytes?: number;
  /** The account claim and the scopes' resource server; the environment's by default. */
  tokenRules?: TokenRules;
}

/** Who asked, from the token API Gateway (or the local server) verified: its `sub` and `client_id`. */
export function livePersonOrigin(event: HttpEvent): ChangeOrigin {
  const claims = verifiedClaims(event) ?? {};
  const actor: { sub?: string; client_id?: string } = {};
  if (claims.sub !== undefined) actor.sub = String(claims.sub);
  if (claims.client_id !== undefined) actor.client_id = String(claims.client_id);
  return { via: 'liveperson', actor };
}

/** `since` (a revision, default 0) and `limit` (1–100, default 100) of `GET base/changes`. */
function changesQuery(event: HttpEvent): { since: number; limit: number } {
  const query = event.queryStringParameters ?? {};
  const since = query.since?.trim() ?? '0';
  if (!/^\d{1,15}$/.test(since)) {
    throw new HttpError(400, `The query parameter since must be a revision number, 0 or more (got ${JSON.stringify(since.slice(0, 40))}).`, [
      { path: 'since', message: 'must be a revision number (an integer, 0 or more)' },
    ]);
  }
  const limit = query.limit?.trim() ?? String(CHANGES_LIMIT_MAX);
  if (!/^(100|[1-9]\d?)$/.test(limit)) {
    throw new HttpError(400, `The query parameter limit must be an integer from 1 to ${CHANGES_LIMIT_MAX} (got ${JSON.stringify(limit.slice(0, 40))}).`, [
      { path: 'limit', message: `must be an integer from 1 to ${CHANGES_LIMIT_MAX}` },
    ]);
  }
  return { since: Number(since), limit: Number(limit) };
}

const includeDeletedOf = (event: HttpEvent) => /^true$/i.test(event.queryStringParameters?.include_deleted ?? '');

/** Runs a matched LivePerson operation against the domain. */
async function run(event: HttpEvent, store: StatusReasonStore, copies: ListCopies<string>): Promise<HttpResult> {
  const { operation, params } = route(event);
  const accountId = params.accountId!;
  const origin = livePersonOrigin(event);
  switch (operation as Operation) {
    case 'create': {
      const ifMatch = revisionHeader(event, 'if-match', 'If-Match');
      const { items, single } = parseCreateBody(event.parsedBody);
      const key = idempotency(event, 'create', { single, items });
      const result = await createStatusReasons(store, accountId, items, { ifMatch, single, idempotency: key, origin });
      return json(200, single ? publicReason(result.items[0]!) : result.items.map(publicReason), revisionHeaders(result.revision));
    }
    case 'list': {
      const ifNoneMatch = revisionHeader(event, 'if-none-match', 'If-None-Match');
      const includeDeleted = includeDeletedOf(event);
      // The copy is the serialized body: an unchanged account's list costs one small read and no JSON work.
      const answer = await listThroughCopy(copies, `${accountId}\u0000${includeDeleted}`, ifNoneMatch, {
        revision: () => store.revision(accountId),
        read: async () => {
          const result = await listStatusReasons(store, accountId, { includeDeleted });
          const body = JSON.stringify(result.items.map(publicReason));
          return { revision: result.revision, value: body, bytes: 2 * body.length };
        },
      });
      if (answer.notModified) return { statusCode: 304, headers: revisionHeaders(answer.revision) };
      return { statusCode: 200, headers: { ...JSON_HEADERS, ...revisionHeaders(answer.revision) }, body: answer.value };
    }
    case 'get': {
      const result = await getStatusReason(store, accountId, statusReasonId(event), { includeDeleted: includeDeletedOf(event) });
      return json(200, publicReason(result.item), revisionHeaders(result.revision));
    }
    case 'replace': {
      const id = statusReasonId(event);
      const ifMatch = revisionHeader(event, 'if-match', 'If-Match');
      // The whole body is checked before the key's fingerprint is taken of it.
      const replacement = parseReplacement(event.parsedBody, id);
      const key = idempotency(event, 'replace', { id, replacement });
      const result = await replaceStatusReason(store, accountId, id, replacement, { ifMatch, idempotency: key, origin });
      return json(200, result.item, revisionHeaders(result.revision));
    }
    case 'reorder': {
      const ifMatch = revisionHeader(event, 'if-match', 'If-Match');
      const { ids } = parseOrThrow(reorderBodySchema, event.parsedBody);
      const key = idempotency(event, 'reorder', { ids });
      const result = await reorderStatusReasons(store, accountId, ids, { ifMatch, idempotency: key, origin });
      return json(200, result.items, revisionHeaders(result.revision));
    }
    case 'changes': {
      const { since, limit } = changesQuery(event);
      const page = await listChanges(store, accountId, since, limit);
      return json(200, page, revisionHeaders(page.revision));
    }
    case 'delete': {
      const id = statusReasonId(event);
      const ifMatch = revisionHeader(event, 'if-match', 'If-Match');
      const key = idempotency(event, 'delete', { id });
      const result = await deleteStatusReason(store, accountId, id, { ifMatch, idempotency: key, origin });
      return json(200, result.item, revisionHeaders(result.revision));
    }
  }
}

export function createLivePersonHandler({ store, listCopies = new ListCopies<string>(), maxBodyBytes = 256 * 1024, tokenRules }: LivePersonHandlerOptions): HttpHandler {
  return pipeline<HttpEvent, HttpResult>()
    .use(httpHeaderNormalizer())
    .use(errorResponses({ render: renderLivePersonError, internal: () => json(500, { message: 'Internal server error.' }) }))
    .use({
      before: ({ event }) => {
        const matched = matchLivePersonRoute(event);
        if (!matched) throw new HttpError(404, `No route for ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}.`.replace('  ', ' '));
        event.route = matched;
      },
    })
    .use(
      jwtClaims({
        accountOf: (event) => route(event).params.accountId,
        // SPEC §1: the write scope for writes, the read scope for reads (a write-only token reads nothing).
        scopesOf: (event) => [WRITES.has(route(event).operation) ? WRITE_SCOPE : READ_SCOPE],
        ...(tokenRules && { rules: tokenRules }),
      }),
    )
    .use({ before: ({ event }) => checkQuery(event) })
    .use(jsonBody({ maxBytes: maxBodyBytes, when: (event) => WITH_BODY.has(route(event).operation) }))
    .handler((event, context) => run(event, store(requestScope(context)), listCopies));
}

