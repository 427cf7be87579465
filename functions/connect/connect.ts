// Amazon Connect's CreateAgentStatus (`PUT /agent-status/{InstanceId}`), answered
// the way the official AWS SDK's Connect client expects: a thin middy pipeline
// that maps Connect's request onto the domain's create and the domain's failures
// onto Connect's error types (`x-amzn-ErrorType` header, `{"Message": "..."}`).
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { isDomainError, type DomainErrorKind, type FieldError } from '../domain/errors.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE, descriptionSchema, fieldErrors, tagsSchema, textSchema, type NewReason } from '../domain/status-reason.js';
import { createStatusReasons } from '../domain/status-reasons.js';
import type { StoreFactory } from '../domain/store.js';
import { HttpError } from '../http/http-error.js';
import { routedPath } from '../http/liveperson.js';
import { errorResponses } from '../http/middlewares/error-responses.js';
import { jsonBody } from '../http/middlewares/json-body.js';
import { pipeline, requestScope } from '../pipeline.js';
import { json, type HttpEvent, type HttpHandler, type HttpResult } from '../http/types.js';

/** Paths the Connect adapter answers (anything under it that is not the route is Connect's 404). */
export const CONNECT_PATH_PREFIX = /^\/agent-status(?:\/|$)/;
const CREATE_AGENT_STATUS = /^\/agent-status\/([^/]+)\/?$/;

/** Connect's own rules that the status reason itself does not have. */
export const CONNECT_LIMITS = { displayOrderMin: 1, displayOrderMax: 50 } as const;

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

/** A failure that already knows its Connect error type. */
export class ConnectError extends Error {
  constructor(
    readonly type: ConnectErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

const described = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`),
});

/** Connect's CreateAgentStatus body; the field rules shared with the status reason are the domain's. */
export const createAgentStatusSchema = z.strictObject(
  {
    Name: textSchema,
    Description: descriptionSchema.optional(),
    State: z.enum(['ENABLED', 'DISABLED'], described('ENABLED or DISABLED')),
    DisplayOrder: z
      .number(described('an integer'))
      .int({ error: 'must be an integer' })
      .min(CONNECT_LIMITS.displayOrderMin, { error: `must be from ${CONNECT_LIMITS.displayOrderMin} to ${CONNECT_LIMITS.displayOrderMax}` })
      .max(CONNECT_LIMITS.displayOrderMax, { error: `must be from ${CONNECT_LIMITS.displayOrderMin} to ${CONNECT_LIMITS.displayOrderMax}` })
      .optional(),
    Tags: tagsSchema.optional(),
  },
  described('a JSON object'),
);
export type CreateAgentStatusRequest = z.output<typeof createAgentStatusSchema>;

const describe = (errors: FieldError[]): string => {
  const shown = errors.slice(0, 5).map((e) => (e.path ? `${e.path} ${e.message}` : e.message));
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}.`;
};

/**
 * The body as a new status reason. A body that is not a JSON object, or that has
 * fields Connect does not define, is an InvalidRequestException; a field that
 * breaks a rule (missing, wrong type, too long, out of range) an InvalidParameterException.
 */
export function parseCreateAgentStatus(body: unknown): NewReason {
  const result = createAgentStatusSchema.safeParse(body);
  if (!result.success) {
    const malformed = result.error.issues.some((issue) => issue.code === 'unrecognized_keys' || issue.path.length === 0);
    const errors = fieldErrors(result.error);
    if (malformed) throw new ConnectError('InvalidRequestException', `The request is not a valid CreateAgentStatus request: ${describe(errors)}`);
    throw new ConnectError('InvalidParameterException', `Invalid parameter: ${describe(errors)}`);
  }
  const { Name, Description, State, DisplayOrder, Tags } = result.data;
  return {
    text: Name,
    state: 'Away',
    enabled: State === 'ENABLED',
    deleted: false,
    ...(DisplayOrder !== undefined && { order: DisplayOrder }),
    ...(Description !== undefined && { description: Description }),
    ...(Tags !== undefined && { tags: Tags }),
  };
}

const ERROR_OF: Record<DomainErrorKind, ConnectErrorType> = {
  invalid: 'InvalidParameterException',
  duplicate: 'DuplicateResourceException',
  limit: 'LimitExceededException',
  not_found: 'ResourceNotFoundException',
  revision_conflict: 'InvalidRequestException',
  idempotency_mismatch: 'InvalidRequestException',
  in_progress: 'ThrottlingException',
  overloaded: 'ThrottlingException',
  busy: 'ThrottlingException',
  outcome_unknown: 'InternalServiceException',
};

/** Connect's error answer. */
export function connectError(type: ConnectErrorType, message: string): HttpResult {
  return json(CONNECT_ERRORS[type], { Message: message }, { 'x-amzn-ErrorType': type });
}

export function renderConnectError(error: unknown): HttpResult | undefined {
  if (error instanceof ConnectError) return connectError(error.type, error.message);
  if (error instanceof HttpError) {
    if (error.statusCode === 404) return connectError('ResourceNotFoundException', error.message);
    if (error.statusCode === 401 || error.statusCode === 403) return connectError('AccessDeniedException', error.message);
    if (error.statusCode < 500) return connectError('InvalidRequestException', error.message);
    return undefined;
  }
  if (isDomainError(error)) {
    if (error.kind === 'duplicate') {
      const first = error.errors[0];
      return connectError('DuplicateResourceException', first ? `An agent status with this Name already exists: ${first.message}.` : error.message);
    }
    const answer = connectError(ERROR_OF[error.kind], error.message);
    if (error.retryAfterSeconds !== undefined) answer.headers = { ...answer.headers, 'retry-after': String(error.retryAfterSeconds) };
    return answer;
  }
  return undefined;
}

/** Connect's request id header on every answer (the SDK reports it as `$metadata.requestId`). */
const requestIdHeader = (): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => {
  const stamp = (request: { response: HttpResult | null | undefined; context: Context }) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, 'x-amzn-RequestId': request.context.awsRequestId };
  };
  return { after: stamp, onError: stamp };
};

function instanceIdOf(event: HttpEvent): string {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const match = CREATE_AGENT_STATUS.exec(routedPath(event));
  if (!match || method !== 'PUT') throw new ConnectError('ResourceNotFoundException', `No operation at ${method} ${event.rawPath ?? '/'}.`);
  let instanceId: string;
  try {
    instanceId = decodeURIComponent(match[1]!);
  } catch {
    throw new ConnectError('InvalidParameterException', 'Invalid parameter: InstanceId is not valid URL encoding.');
  }
  if (!ACCOUNT_ID.test(instanceId)) {
    throw new ConnectError('InvalidParameterException', `Invalid parameter: InstanceId ${ACCOUNT_ID_RULE}.`);
  }
  return instanceId;
}

/** The AWS account for ARNs: the function's own (from its ARN), else the API's. */
function awsAccountOf(event: HttpEvent, context: Context | undefined): string {
  const fromArn = context?.invokedFunctionArn?.split(':')[4];
  return fromArn || event.requestContext?.accountId || '000000000000';
}

export interface ConnectHandlerOptions {
  store: StoreFactory;
  /** The region in ARNs; `AWS_REGION` when absent. */
  region?: () => string;
  maxBodyBytes?: number;
}

export function createConnectHandler({ store, region = () => process.env.AWS_REGION ?? 'us-east-1', maxBodyBytes = 256 * 1024 }: ConnectHandlerOptions): HttpHandler {
  return pipeline<HttpEvent, HttpResult>()
    .use(httpHeaderNormalizer())
    .use(requestIdHeader())
    .use(errorResponses({ render: renderConnectError, internal: () => connectError('InternalServiceException', 'An internal error occurred. Try again.') }))
    .use({
      before: ({ event }) => {
        const instanceId = instanceIdOf(event);
        event.route = { operation: 'CreateAgentStatus', params: { instanceId } };
      },
    })
    .use({
      // API Gateway's IAM authorizer has verified the SigV4 signature; a request it did not is refused.
      before: ({ event }) => {
        const iam = (event.requestContext?.authorizer as { iam?: unknown } | undefined)?.iam;
        if (!iam) throw new ConnectError('AccessDeniedException', 'The request must be signed with AWS Signature Version 4.');
      },
    })
    .use(jsonBody({ maxBytes: maxBodyBytes }))
    .handler(async (event, context) => {
      const instanceId = event.route!.params.instanceId!;
      const item = parseCreateAgentStatus(event.parsedBody);
      const result = await createStatusReasons(store(requestScope(context)), instanceId, [item], { single: true });
      const id = String(result.items[0]!.id);
      return json(
        200,
        { AgentStatusARN: `arn:aws:connect:${region()}:${awsAccountOf(event, context)}:instance/${instanceId}/agent-state/${id}`, AgentStatusId: id },
        { 'ac-revision': String(result.revision) },
      );
    });
}
