// Amazon Connect's agent-status operations on the domain: each reads the
// request Connect's way, calls the same domain functions as the LivePerson API
// (so the same rules hold), and answers Connect's shape.
import { DomainError, isDomainError, type FieldError } from '../../domain/errors.js';
import { idempotencyKey, idempotencyKeySchema } from '../../domain/idempotency.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, LIMITS, type NewReason, type StatusReason, type StoredReason } from '../../domain/status-reason.js';
import { createStatusReasons, getStatusReason, listStatusReasons, modifyStatusReasonForRevision } from '../../domain/status-reasons.js';
import type { ChangeOrigin } from '../../domain/changes.js';
import type { AccountState, IdempotencyKey, StatusReasonStore } from '../../domain/store.js';
import { json, type HttpResult } from '../../platform/http/types.js';
import { jsonBytes, listThroughCopy, type ListCopies } from '../../platform/list-copies.js';
import {
  AGENT_STATUS_TYPE,
  agentStatusArn,
  agentStatusOf,
  agentStatusSummaryOf,
  checkTagKeys,
  conditionCount,
  CONNECT_LIMITS,
  ConnectError,
  invalidParameter,
  parseAgentStatusArn,
  parseConnectBody,
  searchMatcher,
  searchNodeCount,
  connectSchemas,
  unknownArn,
  type ArnContext,
} from './agent-status.js';
import { openNextToken, sealNextToken, type NextTokenScope } from './next-token.js';
import type { ConnectOperation } from './routes.js';

/** One Connect request, as the adapter hands it to an operation. */
export interface ConnectRequest {
  operation: ConnectOperation;
  /** Path parameters as they arrived (still percent-encoded). */
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The SDK's `amz-sdk-invocation-id`: the same across its retries of one call. */
  invocationId: string | undefined;
  store: StatusReasonStore;
  /** The container's last lists read, per instance, sorted by id. */
  listCopies: ListCopies<readonly StoredReason[]>;
  /** Connect, and the SigV4 caller's IAM ARN as API Gateway's IAM authorizer (or the local server) verified it. */
  origin: ChangeOrigin;
  arn: ArnContext;
  /** The keys NextTokens are sealed with (the current) and opened with (the current, then the previous: tokens in flight survive a rotation). */
  nextTokenKeys: { current: string; previous?: string };
}

// ------------------------------------------------------------ request parts

function decoded(raw: string | undefined, name: string): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw invalidParameter([{ path: name, message: 'is not valid URL encoding' }]);
  }
}

function checkInstanceId(instanceId: unknown): string {
  if (typeof instanceId !== 'string' || !ACCOUNT_ID.test(instanceId)) throw invalidParameter([{ path: 'InstanceId', message: ACCOUNT_ID_RULE }]);
  return instanceId;
}

const notFound = (message: string, revision?: number) => new ConnectError('ResourceNotFoundException', message, revision);

/** An AgentStatusId is a reason's id; anything else names no agent status. */
function agentStatusId(raw: string, instanceId: string): number {
  const id = Number(raw);
  if (!/^\d{1,16}$/.test(raw) || id < 1 || !Number.isSafeInteger(id)) throw notFound(`No agent status ${raw.slice(0, 40)} in instance ${instanceId}.`);
  return id;
}

/** The agent status a path names: `{InstanceId}/{AgentStatusId}`, or the ARN of the tag routes. */
function target(request: ConnectRequest): { instanceId: string; id: number } {
  if (request.params.resourceArn === undefined) {
    const instanceId = checkInstanceId(decoded(request.params.InstanceId, 'InstanceId'));
    return { instanceId, id: agentStatusId(decoded(request.params.AgentStatusId, 'AgentStatusId'), instanceId) };
  }
  const arn = decoded(request.params.resourceArn, 'resourceArn');
  const named = parseAgentStatusArn(arn, request.arn);
  if (!named) throw unknownArn(arn);
  return { instanceId: named.instanceId, id: agentStatusId(named.id, named.instanceId) };
}

/** The domain's not-found, in Connect's words. */
async function orNotFound<T>(work: Promise<T>, instanceId: string, id: number): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isDomainError(error) && error.kind === 'not_found') throw notFound(`No agent status ${id} in instance ${instanceId}.`, error.revision);
    throw error;
  }
}

/** Makes the SDK's retries of one write (same `amz-sdk-invocation-id`) answer as the first attempt did. */
function idempotency(request: ConnectRequest, asks: unknown): IdempotencyKey | undefined {
  if (request.invocationId === undefined) return undefined;
  if (!idempotencyKeySchema.safeParse(request.invocationId).success) {
    throw new ConnectError('InvalidRequestException', 'The amz-sdk-invocation-id header must be 1–128 printable ASCII characters.');
  }
  return idempotencyKey('connect', request.invocationId, { operation: request.operation, asks });
}

const answer = (body: unknown, revision: number): HttpResult => json(200, body, { 'ac-revision': String(revision) });
/** Connect's writes other than create answer 200 with an empty body. */
const emptyAnswer = (revision: number): HttpResult => ({ statusCode: 200, headers: { 'ac-revision': String(revision) } });

// ------------------------------------------------------------------- paging

interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** One page of `items` (sorted by id), after the id the NextToken carries. */
function page<T extends { id: number }>(request: ConnectRequest, scope: NextTokenScope, items: readonly T[], maxResults: number, nextToken: string | undefined): Page<T> {
  let after = 0;
  if (nextToken !== undefined) {
    const { current, previous } = request.nextTokenKeys;
    const opened = openNextToken(current, scope, nextToken) ?? (previous === undefined ? undefined : openNextToken(previous, scope, nextToken));
    if (opened === undefined) {
      throw invalidParameter([{ path: 'NextToken', message: 'is not a token this service issued for this request (forged, altered, or from another instance or query)' }]);
    }
    after = opened;
  }
  const rest = items.filter((item) => item.id > after);
  const shown = rest.slice(0, maxResults);
  const more = rest.length > shown.length;
  return { items: shown, ...(more && { nextToken: sealNextToken(request.nextTokenKeys.current, scope, shown[shown.length - 1]!.id) }) };
}

const byId = (a: StoredReason, b: StoredReason) => a.id - b.id;

/** ListAgentStatuses' query: `maxResults`, `nextToken`, `AgentStatusTypes` (repeated). */
function listQuery(query: URLSearchParams): { maxResults: number; nextToken: string | undefined; types: string[] } {
  const errors: FieldError[] = [];
  const [maxRaw, ...extraMax] = query.getAll('maxResults');
  let maxResults: number = CONNECT_LIMITS.defaultMaxResults;
  if (maxRaw !== undefined) {
    maxResults = /^\d{1,7}$/.test(maxRaw) ? Number(maxRaw) : NaN;
    if (extraMax.length || !(maxResults >= 1 && maxResults <= CONNECT_LIMITS.listMaxResults)) {
      errors.push({ path: 'MaxResults', message: `must be one integer from 1 to ${CONNECT_LIMITS.listMaxResults}` });
    }
  }
  const types = query.getAll('AgentStatusTypes');
  const known = ['ROUTABLE', 'CUSTOM', 'OFFLINE'];
  if (types.length > known.length) errors.push({ path: 'AgentStatusTypes', message: `must name at most ${known.length} types` });
  types.forEach((type, i) => {
    if (!known.includes(type)) errors.push({ path: `AgentStatusTypes[${i}]`, message: `must be one of ${known.join(', ')}` });
  });
  const tokens = query.getAll('nextToken');
  if (tokens.length > 1) errors.push({ path: 'NextToken', message: 'must be given once' });
  if (errors.length) throw invalidParameter(errors);
  return { maxResults, nextToken: tokens[0], types };
}

// ----------------------------------------------------------- reads and writes

/** A reason created through Connect, or reset with ResetOrderNumber, has no DisplayOrder: its order is below Connect's range. */
const NO_DISPLAY_ORDER_AT_MOST = CONNECT_LIMITS.displayOrderMin - 1;

/**
 * ResetOrderNumber: the reason takes an order before every other reason of
 * the account (as a new unordered LivePerson item does) and outside Connect's
 * DisplayOrder range, so Connect shows it with no DisplayOrder.
 */
const orderWithoutDisplayOrder = (state: AccountState): number =>
  Math.max(LIMITS.orderMin, Math.min(state.lowestOrder ?? CONNECT_LIMITS.displayOrderMin, NO_DISPLAY_ORDER_AT_MOST + 1) - 1);

/** One agent status changed through the domain's single-reason write; a deleted one does not exist for Connect. */
async function modifyAgentStatus(
  request: ConnectRequest,
  asks: unknown,
  change: (current: StatusReason, state: AccountState) => StatusReason,
  setsText?: string,
): Promise<HttpResult> {
  const { instanceId, id } = target(request);
  const key = idempotency(request, { instanceId, id, asks });
  // Connect answers these writes with an empty body: the idempotency record keeps no reason.
  const work = modifyStatusReasonForRevision(
    request.store,
    instanceId,
    id,
    (current, state) => {
      if (current.deleted) throw new DomainError('not_found', `Agent status ${id} is deleted.`);
      return change(current, state);
    },
    { idempotency: key, setsText, origin: request.origin },
  );
  const result = await orNotFound(work, instanceId, id);
  return emptyAnswer(result.revision);
}

async function readAgentStatus(request: ConnectRequest): Promise<{ instanceId: string; revision: number; reason: StoredReason }> {
  const { instanceId, id } = target(request);
  const { revision, item } = await orNotFound(getStatusReason(request.store, instanceId, id), instanceId, id);
  return { instanceId, revision, reason: item };
}

async function createAgentStatus(request: ConnectRequest): Promise<HttpResult> {
  const instanceId = checkInstanceId(decoded(request.params.InstanceId, 'InstanceId'));
  const { Name, Description, State, DisplayOrder, Tags } = parseConnectBody(connectSchemas().createAgentStatus, request.body, 'CreateAgentStatus');
  const item: NewReason = {
    text: Name,
    state: 'Away',
    enabled: State === 'ENABLED',
    deleted: false,
    ...(DisplayOrder !== undefined && { order: DisplayOrder }),
    ...(Description !== undefined && { description: Description }),
    ...(Tags !== undefined && { tags: Tags }),
  };
  const key = idempotency(request, { instanceId, item });
  const result = await createStatusReasons(request.store, instanceId, [item], { single: true, unorderedAtMost: NO_DISPLAY_ORDER_AT_MOST, idempotency: key, origin: request.origin });
  const id = result.items[0]!.id;
  return answer({ AgentStatusARN: agentStatusArn(request.arn, instanceId, id), AgentStatusId: String(id) }, result.revision);
}

async function describeAgentStatus(request: ConnectRequest): Promise<HttpResult> {
  const { instanceId, revision, reason } = await readAgentStatus(request);
  return answer({ AgentStatus: agentStatusOf(reason, agentStatusArn(request.arn, instanceId, reason.id)) }, revision);
}

/**
 * An instance's non-deleted reasons sorted by id, at one revision: from the
 * container's copy when `#META` says it is current (one small read), else read
 * (platform/list-copies.ts). Lists and searches page through it.
 */
async function reasonsById(request: ConnectRequest, instanceId: string): Promise<{ revision: number; items: readonly StoredReason[] }> {
  const answer = await listThroughCopy(request.listCopies, instanceId, undefined, {
    revision: () => request.store.revision(instanceId),
    read: async () => {
      const { revision, items } = await listStatusReasons(request.store, instanceId);
      const sorted = items.sort(byId);
      return { revision, value: sorted, bytes: jsonBytes(sorted) };
    },
  });
  if (answer.notModified) throw new Error('a list without If-None-Match cannot be not-modified');
  return { revision: answer.revision, items: answer.value };
}

async function listAgentStatuses(request: ConnectRequest): Promise<HttpResult> {
  const instanceId = checkInstanceId(decoded(request.params.InstanceId, 'InstanceId'));
  const { maxResults, nextToken, types } = listQuery(request.query);
  const scope = { operation: request.operation, instanceId, query: [...new Set(types)].sort().join(',') };
  const { revision, items } = await reasonsById(request, instanceId);
  // Every reason is CUSTOM: a filter without CUSTOM finds none.
  const matching = types.length === 0 || types.includes(AGENT_STATUS_TYPE) ? items : [];
  const shown = page(request, scope, matching, maxResults, nextToken);
  return answer(
    {
      AgentStatusSummaryList: shown.items.map((reason) => agentStatusSummaryOf(reason, agentStatusArn(request.arn, instanceId, reason.id))),
      ...(shown.nextToken !== undefined && { NextToken: shown.nextToken }),
    },
    revision,
  );
}

async function updateAgentStatus(request: ConnectRequest): Promise<HttpResult> {
  const update = parseConnectBody(connectSchemas().updateAgentStatus, request.body, 'UpdateAgentStatus');
  if (update.ResetOrderNumber && update.DisplayOrder !== undefined) {
    throw invalidParameter([{ path: 'ResetOrderNumber', message: 'cannot be true in a request that sets DisplayOrder' }]);
  }
  return modifyAgentStatus(request, update, (current, state) => ({
    ...current,
    ...(update.Name !== undefined && { text: update.Name }),
    ...(update.Description !== undefined && { description: update.Description }),
    ...(update.State !== undefined && { enabled: update.State === 'ENABLED' }),
    ...(update.DisplayOrder !== undefined && { order: update.DisplayOrder }),
    ...(update.ResetOrderNumber && { order: orderWithoutDisplayOrder(state) }),
  }), update.Name);
}

async function searchAgentStatuses(request: ConnectRequest): Promise<HttpResult> {
  // Counted before the schema walks the body: a flood of nodes is refused for the cost of counting past the bound.
  const nodes = searchNodeCount(request.body, CONNECT_LIMITS.searchNodesMax);
  if (nodes > CONNECT_LIMITS.searchNodesMax) {
    const message = `a search may hold at most ${CONNECT_LIMITS.searchNodesMax} nodes (every object of SearchCriteria and of SearchFilter's AttributeFilter, empty ones included; got more)`;
    throw invalidParameter([{ path: '', message }]);
  }
  const search = parseConnectBody(connectSchemas().searchAgentStatuses, request.body, 'SearchAgentStatuses');
  const instanceId = checkInstanceId(search.InstanceId);
  const conditions = conditionCount(search);
  if (conditions > CONNECT_LIMITS.searchConditionsMax) {
    throw invalidParameter([{ path: '', message: `a search may hold at most ${CONNECT_LIMITS.searchConditionsMax} conditions (got ${conditions})` }]);
  }
  if (search.NextToken !== undefined && search.NextToken.length < 1) throw invalidParameter([{ path: 'NextToken', message: 'must not be empty' }]);
  const scope = { operation: request.operation, instanceId, query: JSON.stringify([search.SearchCriteria ?? null, search.SearchFilter ?? null]) };
  const { revision, items } = await reasonsById(request, instanceId);
  const matches = searchMatcher(search.SearchCriteria, search.SearchFilter);
  const matching = items.filter(matches);
  const shown = page(request, scope, matching, search.MaxResults ?? CONNECT_LIMITS.defaultMaxResults, search.NextToken);
  return answer(
    {
      AgentStatuses: shown.items.map((reason) => agentStatusOf(reason, agentStatusArn(request.arn, instanceId, reason.id))),
      ...(shown.nextToken !== undefined && { NextToken: shown.nextToken }),
      ApproximateTotalCount: matching.length,
    },
    revision,
  );
}

async function tagResource(request: ConnectRequest): Promise<HttpResult> {
  const { tags } = parseConnectBody(connectSchemas().tagResource, request.body, 'TagResource');
  return modifyAgentStatus(request, tags, (current) => {
    const merged = { ...current.tags, ...tags };
    const count = Object.keys(merged).length;
    if (count > LIMITS.tagsMax) {
      const message = `an agent status may have at most ${LIMITS.tagsMax} tags (this one would have ${count})`;
      throw new DomainError('invalid', `Invalid parameter: tags ${message}.`, [{ path: 'tags', message }]);
    }
    return { ...current, tags: merged };
  });
}

async function untagResource(request: ConnectRequest): Promise<HttpResult> {
  const keys = request.query.getAll('tagKeys');
  const errors = checkTagKeys(keys);
  if (errors.length) throw invalidParameter(errors);
  return modifyAgentStatus(request, [...new Set(keys)].sort(), (current) => {
    const { tags, ...rest } = current;
    const left = Object.fromEntries(Object.entries(tags ?? {}).filter(([key]) => !keys.includes(key)));
    return Object.keys(left).length ? { ...rest, tags: left } : rest;
  });
}

async function listTagsForResource(request: ConnectRequest): Promise<HttpResult> {
  const { revision, reason } = await readAgentStatus(request);
  return answer({ tags: reason.tags ?? {} }, revision);
}

export const OPERATIONS: Record<ConnectOperation, (request: ConnectRequest) => Promise<HttpResult>> = {
  CreateAgentStatus: createAgentStatus,
  DescribeAgentStatus: describeAgentStatus,
  ListAgentStatuses: listAgentStatuses,
  UpdateAgentStatus: updateAgentStatus,
  SearchAgentStatuses: searchAgentStatuses,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};
