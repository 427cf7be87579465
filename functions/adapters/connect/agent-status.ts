// Amazon Connect's agent status as this service shows it, and Connect's request
// bodies (zod), with the field rules Connect has and a status reason has not.
// A status reason is an agent status: Name is text, State is enabled,
// DisplayOrder is order, Description and Tags are description and tags.
import * as z from 'zod/mini';
import { describeValue, type FieldError } from '../../domain/errors.js';
import {
  ACCOUNT_ID,
  descriptionSchema,
  fieldErrors,
  isWellFormed,
  LIMITS,
  RESERVED_MAP_KEY_RULE,
  RESERVED_MAP_KEYS,
  tagKeyLengthOutOfBounds,
  tagsSchema,
  textSchema,
  WELL_FORMED_RULE,
  type StoredReason,
} from '../../domain/status-reason.js';

/** Connect's own rules that the status reason itself does not have. */
export const CONNECT_LIMITS = {
  displayOrderMin: 1,
  displayOrderMax: 50,
  listMaxResults: 1000,
  searchMaxResults: 100,
  /** Page size when a request sends no MaxResults. */
  defaultMaxResults: 100,
  untagKeysMax: 50,
  /** How deep a request body may nest (SearchCriteria nest; nothing else comes near), so that no input can exhaust the stack. */
  bodyDepthMax: 24,
  /** Conditions a search may hold in all (string and tag conditions), so that its cost stays small. */
  searchConditionsMax: 100,
  /**
   * Nodes a search may hold in all: every object of SearchCriteria (the root,
   * each element of AndConditions and OrConditions, empty or not) and of the
   * tag filter (TagCondition, AndCondition, each element of OrConditions and of
   * TagConditions). Evaluating a node costs about as much as a condition, empty or not.
   */
  searchNodesMax: 200,
  /** A StringCondition's Value: no field it can compare with is longer (Name 127, Description 250), so a longer Value could match nothing. */
  searchValueMax: 250,
} as const;

/** Connect's error types this API answers, with their HTTP status. */
export const CONNECT_ERRORS = {
  InvalidRequestException: 400,
  InvalidParameterException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  DuplicateResourceException: 409,
  LimitExceededException: 429,
  ThrottlingException: 429,
  InternalServiceException: 500,
} as const;
export type ConnectErrorType = keyof typeof CONNECT_ERRORS;

/** A failure that already knows its Connect error type (and, when it was found in the account's data, the revision it was found at). */
export class ConnectError extends Error {
  constructor(
    readonly type: ConnectErrorType,
    message: string,
    readonly revision?: number,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

const described = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`),
});

const displayOrderRange = `must be from ${CONNECT_LIMITS.displayOrderMin} to ${CONNECT_LIMITS.displayOrderMax}`;

/** Connect's tag key pattern (`^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`); `aws:` is refused in any case, as AWS reserves it. */
const TAG_KEY_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const RESERVED_TAG_PREFIX = /^aws:/i;
const tagKeyProblem = (key: string): string | undefined => {
  if (RESERVED_TAG_PREFIX.test(key)) return `key ${describeValue(key)} must not start with "aws:" (reserved by AWS)`;
  if (!TAG_KEY_CHARACTERS.test(key)) return `key ${describeValue(key)} may hold only letters, digits, white space and _ . : / = + - @`;
  return undefined;
};

/** Tag keys named for removal (UntagResource's `tagKeys`). */
export function checkTagKeys(keys: string[]): FieldError[] {
  const errors: FieldError[] = [];
  if (keys.length < 1 || keys.length > CONNECT_LIMITS.untagKeysMax) {
    errors.push({ path: 'tagKeys', message: `must name 1–${CONNECT_LIMITS.untagKeysMax} tag keys (got ${keys.length})` });
  }
  keys.forEach((key, index) => {
    const outOfBounds = tagKeyLengthOutOfBounds(key);
    const problem =
      outOfBounds !== undefined
        ? `must be 1–${LIMITS.tagKeyMax} characters (got ${outOfBounds})`
        : RESERVED_MAP_KEYS.includes(key)
          ? `is not allowed: a key ${RESERVED_MAP_KEY_RULE}`
          : tagKeyProblem(key);
    if (problem) errors.push({ path: `tagKeys[${index}]`, message: problem });
  });
  return errors;
}

export const SEARCH_FIELDS = ['name', 'description', 'state', 'type', 'displayOrder', 'resourceID'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

const stringConditionSchemaOf = () =>
  z.strictObject(
    {
      FieldName: z.enum(SEARCH_FIELDS, described(`one of ${SEARCH_FIELDS.join(', ')}`)),
      Value: z
        .string(described('a string'))
        .check(
          z.maxLength(CONNECT_LIMITS.searchValueMax, { error: `must be at most ${CONNECT_LIMITS.searchValueMax} characters (no searchable field is longer)` }),
          z.refine(isWellFormed, { error: WELL_FORMED_RULE }),
        ),
      ComparisonType: z.enum(['STARTS_WITH', 'CONTAINS', 'EXACT'], described('STARTS_WITH, CONTAINS or EXACT')),
    },
    described('an object'),
  );
export type StringCondition = z.output<ReturnType<typeof stringConditionSchemaOf>>;

export interface SearchCriteria {
  OrConditions?: SearchCriteria[] | undefined;
  AndConditions?: SearchCriteria[] | undefined;
  StringCondition?: StringCondition | undefined;
}

// Connect's request bodies, built on the first Connect request that reads one
// (connectSchemas): a container that answers only LivePerson never builds them.
function buildConnectSchemas() {
  const displayOrderSchema = z
    .number(described('an integer'))
    .check(
      z.int({ error: 'must be an integer' }),
      z.minimum(CONNECT_LIMITS.displayOrderMin, { error: displayOrderRange }),
      z.maximum(CONNECT_LIMITS.displayOrderMax, { error: displayOrderRange }),
    );
  const stateSchema = z.enum(['ENABLED', 'DISABLED'], described('ENABLED or DISABLED'));

  /** The status reason's tag rules, plus Connect's key pattern. */
  const connectTagsSchema = tagsSchema.check((ctx) => {
    for (const key of Object.keys(ctx.value)) {
      const problem = tagKeyProblem(key);
      if (problem) ctx.issues.push({ code: 'custom', input: key, message: problem });
    }
  });

  const createAgentStatus = z.strictObject(
    {
      Name: textSchema,
      Description: z.optional(descriptionSchema.check(z.minLength(1, { error: 'must be 1–250 characters' }))),
      State: stateSchema,
      DisplayOrder: z.optional(displayOrderSchema),
      Tags: z.optional(connectTagsSchema),
    },
    described('a JSON object'),
  );

  const updateAgentStatus = z.strictObject(
    {
      Name: z.optional(textSchema),
      Description: z.optional(descriptionSchema),
      State: z.optional(stateSchema),
      DisplayOrder: z.optional(displayOrderSchema),
      ResetOrderNumber: z.optional(z.boolean(described('true or false'))),
    },
    described('a JSON object'),
  );

  const tagResource = z.strictObject(
    {
      tags: connectTagsSchema.check(z.refine((tags) => Object.keys(tags).length > 0, { error: 'must hold at least one tag' })),
    },
    described('a JSON object'),
  );

  const stringConditionSchema = stringConditionSchemaOf();
  const conditions = <T>(of: z.ZodMiniType<T>) => z.optional(z.array(of, described('an array')).check(z.minLength(1, { error: 'must not be empty' })));
  const searchCriteriaSchema: z.ZodMiniType<SearchCriteria> = z.lazy(() =>
    z.strictObject(
      {
        OrConditions: conditions(searchCriteriaSchema),
        AndConditions: conditions(searchCriteriaSchema),
        StringCondition: z.optional(stringConditionSchema),
      },
      described('an object'),
    ),
  );

  const tagCondition = z.strictObject(
    {
      TagKey: z
        .string(described('a string'))
        .check(z.maxLength(LIMITS.tagKeyMax, { error: `must be at most ${LIMITS.tagKeyMax} characters (a tag key's limit)` }), z.refine(isWellFormed, { error: WELL_FORMED_RULE })),
      TagValue: z.optional(
        z
          .string(described('a string'))
          .check(z.maxLength(LIMITS.tagValueMax, { error: `must be at most ${LIMITS.tagValueMax} characters (a tag value's limit)` }), z.refine(isWellFormed, { error: WELL_FORMED_RULE })),
      ),
    },
    described('an object'),
  );
  const tagConditionsSchema = z.strictObject(
    { TagConditions: z.array(tagCondition, described('an array')).check(z.minLength(1, { error: 'must not be empty' })) },
    described('an object'),
  );

  const searchFilter = z.strictObject(
    {
      AttributeFilter: z.optional(
        z.strictObject(
          {
            OrConditions: z.optional(z.array(tagConditionsSchema, described('an array')).check(z.minLength(1, { error: 'must not be empty' }))),
            AndCondition: z.optional(tagConditionsSchema),
            TagCondition: z.optional(tagCondition),
          },
          described('an object'),
        ),
      ),
    },
    described('an object'),
  );

  const searchAgentStatuses = z.strictObject(
    {
      InstanceId: z.string(described('a string')),
      NextToken: z.optional(z.string(described('a string'))),
      MaxResults: z.optional(
        z
          .number(described('an integer'))
          .check(
            z.int({ error: 'must be an integer' }),
            z.minimum(1, { error: `must be from 1 to ${CONNECT_LIMITS.searchMaxResults}` }),
            z.maximum(CONNECT_LIMITS.searchMaxResults, { error: `must be from 1 to ${CONNECT_LIMITS.searchMaxResults}` }),
          ),
      ),
      SearchFilter: z.optional(searchFilter),
      SearchCriteria: z.optional(searchCriteriaSchema),
    },
    described('a JSON object'),
  );

  return { createAgentStatus, updateAgentStatus, tagResource, tagCondition, searchFilter, searchAgentStatuses };
}

type ConnectSchemas = ReturnType<typeof buildConnectSchemas>;
let schemas: ConnectSchemas | undefined;
/** Connect's request body schemas, built once per container on first use. */
export const connectSchemas = (): ConnectSchemas => (schemas ??= buildConnectSchemas());

export type UpdateAgentStatusRequest = z.output<ConnectSchemas['updateAgentStatus']>;
export type TagCondition = z.output<ConnectSchemas['tagCondition']>;
export type SearchFilter = z.output<ConnectSchemas['searchFilter']>;
export type SearchAgentStatusesRequest = z.output<ConnectSchemas['searchAgentStatuses']>;

/** Whether a JSON value nests deeper than `max` (counted without recursion, so any depth is safe to ask about). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

const summarize = (errors: FieldError[]): string => {
  const shown = errors.slice(0, 5).map((e) => (e.path ? `${e.path} ${e.message}` : e.message));
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}.`;
};

/** A refusal naming every problem: InvalidRequestException for a malformed request, InvalidParameterException for a field that breaks a rule. */
export function invalidParameter(errors: FieldError[]): ConnectError {
  return new ConnectError('InvalidParameterException', `Invalid parameter: ${summarize(errors)}`);
}

/**
 * A body by its schema. One that is not a JSON object, or that has fields
 * Connect does not define, is an InvalidRequestException; a field that breaks
 * a rule (missing, wrong type, too long, out of range) an InvalidParameterException.
 */
export function parseConnectBody<S extends z.ZodMiniType>(schema: S, body: unknown, operation: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error);
  const malformed = result.error.issues.some((issue) => issue.code === 'unrecognized_keys' || issue.path.length === 0);
  if (malformed) throw new ConnectError('InvalidRequestException', `The request is not a valid ${operation} request: ${summarize(errors)}`);
  throw invalidParameter(errors);
}

// ------------------------------------------------------------------ answers

/** Where ARNs point: the partition and region of the function, and its AWS account. */
export interface ArnContext {
  region: string;
  awsAccount: string;
}

const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

export const agentStatusArn = ({ region, awsAccount }: ArnContext, instanceId: string, id: number | string) =>
  `arn:${partitionOf(region)}:connect:${region}:${awsAccount}:instance/${instanceId}/agent-state/${id}`;

/** Any ARN (`arn:partition:service:region:account:resource`). */
const ANY_ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+$/;
const AGENT_STATUS_ARN = /^arn:([^:]+):connect:([^:]*):([^:]*):instance\/([^/]+)\/agent-state\/([^/]+)$/;

/**
 * The parts of an agent status ARN whose InstanceId is an account id, whatever
 * its region and AWS account; undefined for any other ARN (it names no agent
 * status: ResourceNotFoundException); a string that is not an ARN at all is an
 * InvalidParameterException. The grant check and the operations both read ARNs so.
 */
export function agentStatusArnParts(arn: string): { partition: string; region: string; account: string; instanceId: string; id: string } | undefined {
  if (!ANY_ARN.test(arn)) throw invalidParameter([{ path: 'resourceArn', message: `${describeValue(arn)} is not an ARN` }]);
  const match = AGENT_STATUS_ARN.exec(arn);
  if (!match || !ACCOUNT_ID.test(match[4]!)) return undefined;
  const [, partition, region, account, instanceId, id] = match as unknown as [string, string, string, string, string, string];
  return { partition, region, account, instanceId, id };
}

/** The answer to an ARN that names no agent status of this service. */
export const unknownArn = (arn: string) => new ConnectError('ResourceNotFoundException', `No agent status of this service has the ARN ${arn.slice(0, 300)}.`);

/** The instance and agent status an ARN names, when it is one of this service's agent status ARNs (this region and AWS account). */
export function parseAgentStatusArn(arn: string, context: ArnContext): { instanceId: string; id: string } | undefined {
  const parts = agentStatusArnParts(arn);
  if (!parts || parts.partition !== partitionOf(context.region) || parts.region !== context.region || parts.account !== context.awsAccount) return undefined;
  return { instanceId: parts.instanceId, id: parts.id };
}

/**
 * DisplayOrder as Connect shows it: a reason's order when it is in Connect's
 * 1–50 range; other orders (LivePerson's wider range, and the ones given to
 * reasons created without a DisplayOrder or reset with ResetOrderNumber) are
 * no DisplayOrder.
 */
export const displayOrderOf = (reason: StoredReason): number | undefined =>
  reason.order >= CONNECT_LIMITS.displayOrderMin && reason.order <= CONNECT_LIMITS.displayOrderMax ? reason.order : undefined;

/**
 * LastModifiedTime and LastModifiedRegion. Connect's LastModifiedTime is a
 * timestamp, which its JSON protocol carries as epoch seconds (a number, here
 * with milliseconds as the fraction). Reasons last written before the service
 * kept these have neither: they are left out rather than made up.
 */
function lastModified(reason: StoredReason): { LastModifiedTime?: number; LastModifiedRegion?: string } {
  return {
    ...(reason.modifiedAt !== undefined && { LastModifiedTime: reason.modifiedAt / 1000 }),
    ...(reason.modifiedRegion !== undefined && { LastModifiedRegion: reason.modifiedRegion }),
  };
}

/** Every reason is a custom status here: the service has no system (ROUTABLE, OFFLINE) statuses. */
export const AGENT_STATUS_TYPE = 'CUSTOM';

export function agentStatusOf(reason: StoredReason, arn: string) {
  const displayOrder = displayOrderOf(reason);
  return {
    AgentStatusARN: arn,
    AgentStatusId: String(reason.id),
    Name: reason.text,
    ...(reason.description !== undefined && { Description: reason.description }),
    Type: AGENT_STATUS_TYPE,
    ...(displayOrder !== undefined && { DisplayOrder: displayOrder }),
    State: reason.enabled ? 'ENABLED' : 'DISABLED',
    ...(reason.tags !== undefined && { Tags: reason.tags }),
    ...lastModified(reason),
  };
}

export function agentStatusSummaryOf(reason: StoredReason, arn: string) {
  return { Id: String(reason.id), Arn: arn, Name: reason.text, Type: AGENT_STATUS_TYPE, ...lastModified(reason) };
}

// ------------------------------------------------------------------- search

/** A reason's value for a search field, as Connect's string conditions compare it; undefined when it has none. */
function fieldValue(reason: StoredReason, field: SearchField): string | undefined {
  switch (field) {
    case 'name':
      return reason.text;
    case 'description':
      return reason.description;
    case 'state':
      return reason.enabled ? 'ENABLED' : 'DISABLED';
    case 'type':
      return AGENT_STATUS_TYPE;
    case 'displayOrder': {
      const order = displayOrderOf(reason);
      return order === undefined ? undefined : String(order);
    }
    case 'resourceID':
      return String(reason.id);
  }
}

/** A reason's field values, lower-cased once per reason whatever the number of conditions that read them. */
class ReasonFields {
  private readonly lower = new Map<SearchField, string | undefined>();
  constructor(readonly reason: StoredReason) {}
  exact(field: SearchField): string | undefined {
    return fieldValue(this.reason, field);
  }
  lowered(field: SearchField): string | undefined {
    if (!this.lower.has(field)) this.lower.set(field, fieldValue(this.reason, field)?.toLowerCase());
    return this.lower.get(field);
  }
}

type Test = (fields: ReasonFields) => boolean;

/** STARTS_WITH and CONTAINS ignore case; EXACT does not. A reason without the field never matches. The needle is lower-cased here, once. */
function conditionTest({ FieldName, Value, ComparisonType }: StringCondition): Test {
  if (ComparisonType === 'EXACT') return (fields) => fields.exact(FieldName) === Value;
  const needle = Value.toLowerCase();
  if (ComparisonType === 'STARTS_WITH') return (fields) => fields.lowered(FieldName)?.startsWith(needle) ?? false;
  return (fields) => fields.lowered(FieldName)?.includes(needle) ?? false;
}

/** A criteria node holds when each part it has holds: its StringCondition, all of its AndConditions, any of its OrConditions. */
function criteriaTest(criteria: SearchCriteria): Test {
  const parts: Test[] = [];
  if (criteria.StringCondition) parts.push(conditionTest(criteria.StringCondition));
  if (criteria.AndConditions) {
    const all = criteria.AndConditions.map(criteriaTest);
    parts.push((fields) => all.every((test) => test(fields)));
  }
  if (criteria.OrConditions) {
    const any = criteria.OrConditions.map(criteriaTest);
    parts.push((fields) => any.some((test) => test(fields)));
  }
  return (fields) => parts.every((test) => test(fields));
}

/** A tag condition holds when the reason has the tag with that value (any value when TagValue is absent). */
const hasTag = (reason: StoredReason, { TagKey, TagValue }: TagCondition) =>
  reason.tags !== undefined && Object.hasOwn(reason.tags, TagKey) && (TagValue === undefined || reason.tags[TagKey] === TagValue);

function filterTest(filter: SearchFilter): Test {
  const attributes = filter.AttributeFilter;
  if (!attributes) return () => true;
  return ({ reason }) => {
    if (attributes.TagCondition && !hasTag(reason, attributes.TagCondition)) return false;
    if (attributes.AndCondition && !attributes.AndCondition.TagConditions.every((c) => hasTag(reason, c))) return false;
    if (attributes.OrConditions && !attributes.OrConditions.some((and) => and.TagConditions.every((c) => hasTag(reason, c)))) return false;
    return true;
  };
}

/** A search's criteria and tag filter as one test of a reason, built once per request. */
export function searchMatcher(criteria: SearchCriteria | undefined, filter: SearchFilter | undefined): (reason: StoredReason) => boolean {
  const tests = [...(criteria ? [criteriaTest(criteria)] : []), ...(filter ? [filterTest(filter)] : [])];
  return (reason) => {
    const fields = new ReasonFields(reason);
    return tests.every((test) => test(fields));
  };
}

/** How many conditions a search holds (string and tag conditions), for the bound on a search's cost. */
export function conditionCount(request: Pick<SearchAgentStatusesRequest, 'SearchCriteria' | 'SearchFilter'>): number {
  let count = 0;
  const stack: SearchCriteria[] = request.SearchCriteria ? [request.SearchCriteria] : [];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.StringCondition) count++;
    stack.push(...(node.OrConditions ?? []), ...(node.AndConditions ?? []));
  }
  const attributes = request.SearchFilter?.AttributeFilter;
  if (attributes?.TagCondition) count++;
  count += attributes?.AndCondition?.TagConditions.length ?? 0;
  for (const and of attributes?.OrConditions ?? []) count += and.TagConditions.length;
  return count;
}

const member = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
const lengthOf = (value: unknown): number => (Array.isArray(value) ? value.length : 0);

/**
 * How many nodes a search body holds (see `CONNECT_LIMITS.searchNodesMax`),
 * counted on the body as it came, before any schema walks it, and no further
 * than just past `max`: a body of 85,000 empty nodes is refused for the cost of
 * counting 200 of them.
 */
export function searchNodeCount(body: unknown, max: number): number {
  let count = 0;
  const criteria = member(body, 'SearchCriteria');
  const stack: unknown[] = criteria === undefined ? [] : [criteria];
  if (stack.length) count++;
  while (stack.length && count <= max) {
    const node = stack.pop();
    for (const name of ['AndConditions', 'OrConditions']) {
      const children = member(node, name);
      if (!Array.isArray(children)) continue;
      count += children.length;
      if (count <= max) stack.push(...children);
    }
  }
  const attributes = member(member(body, 'SearchFilter'), 'AttributeFilter');
  if (member(attributes, 'TagCondition') !== undefined) count++;
  const and = member(attributes, 'AndCondition');
  if (and !== undefined) count += 1 + lengthOf(member(and, 'TagConditions'));
  const groups = member(attributes, 'OrConditions');
  if (Array.isArray(groups)) {
    count += groups.length;
    for (let i = 0; i < groups.length && count <= max; i++) count += lengthOf(member(groups[i], 'TagConditions'));
  }
  return count;
}
