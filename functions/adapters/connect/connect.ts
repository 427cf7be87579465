// Room: functions/adapters/connect/. Amazon Connect's agent-status API as the
// AWS SDK sends it: routes, SigV4-authorized callers and their per-instance
// grants, Connect's shapes, errors and NextTokens. May import: domain, platform.
//
// Amazon Connect's agent-status API (the routes of ./routes.ts), answered the
// way the official AWS SDK's Connect client expects: a thin middy pipeline that
// finds the operation, requires IAM authorization, reads the JSON body, and
// maps the domain's failures onto Connect's error types (`x-amzn-ErrorType`
// header, `{"Message": "..."}`). The operations themselves are in ./operations.ts.
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeValue, isDomainError, type DomainErrorKind } from '../../domain/errors.js';
import type { ChangeOrigin } from '../../domain/changes.js';
import type { StoreFactory } from '../../domain/store.js';
import { HttpError } from '../../platform/http/http-error.js';
import { routedPath } from '../../platform/http/routed-path.js';
import { errorResponses } from '../../platform/http/middlewares/error-responses.js';
import { jsonBody } from '../../platform/http/middlewares/json-body.js';
import { pipeline, requestScope } from '../../platform/pipeline.js';
import { ListCopies } from '../../platform/list-copies.js';
import type { StoredReason } from '../../domain/status-reason.js';
import { json, type HttpEvent, type HttpHandler, type HttpResult } from '../../platform/http/types.js';
import { CONNECT_ERRORS, CONNECT_LIMITS, ConnectError, nestsDeeperThan, type ConnectErrorType } from './agent-status.js';
import { LOCAL_NEXT_TOKEN_SECRET } from './next-token.js';
import { secretsManagerClient, secretVersions, type SecretVersions } from '../../platform/secret-versions.js';
import { OPERATIONS } from './operations.js';
import { CONNECT_ROUTES, matchConnectRoute, NEXT_TOKEN_SECRET_ARN_ENV, type ConnectOperation, type ConnectRoute } from './routes.js';

export { CONNECT_ERRORS, CONNECT_LIMITS, ConnectError, type ConnectErrorType } from './agent-status.js';
export { CONNECT_PATH_PREFIX } from './routes.js';

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
  // Connect has no history operation; never answered there.
  history_gone: 'InvalidRequestException',
};

/** Connect's error answer. */
export function connectError(type: ConnectErrorType, message: string): HttpResult {
  return json(CONNECT_ERRORS[type], { Message: message }, { 'x-amzn-ErrorType': type });
}

/** The answer to a method and path no operation has (the catch-all routes bring them here): ResourceNotFoundException, as Connect's own. */
export function noOperation(method: string, event: HttpEvent): ConnectError {
  return new ConnectError('ResourceNotFoundException', `No operation at ${method} ${describeValue(event.rawPath ?? '/', 200)}.`);
}

/** A refusal found in the account's data carries the revision it was found at, as every answer that reached the data does. */
function atRevision(answer: HttpResult, revision: number | undefined): HttpResult {
  if (revision !== undefined) answer.headers = { ...answer.headers, 'ac-revision': String(revision) };
  return answer;
}

export function renderConnectError(error: unknown): HttpResult | undefined {
  if (error instanceof ConnectError) return atRevision(connectError(error.type, error.message), error.revision);
  if (error instanceof HttpError) {
    if (error.statusCode === 404) return connectError('ResourceNotFoundException', error.message);
    if (error.statusCode === 401 || error.statusCode === 403) return connectError('AccessDeniedException', error.message);
    if (error.statusCode < 500) return connectError('InvalidRequestException', error.message);
    return undefined;
  }
  if (isDomainError(error)) {
    if (error.kind === 'duplicate') {
      const first = error.errors[0];
      return atRevision(connectError('DuplicateResourceException', first ? `An agent status with this Name already exists: ${first.message}.` : error.message), error.revision);
    }
    const answer = connectError(ERROR_OF[error.kind], error.message);
    if (error.retryAfterSeconds !== undefined) answer.headers = { ...answer.headers, 'retry-after': String(error.retryAfterSeconds) };
    return atRevision(answer, error.revision);
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

const ROUTE_OF = new Map(CONNECT_ROUTES.map((route) => [route.operation, route]));
const routeOf = (event: HttpEvent): ConnectRoute => ROUTE_OF.get(event.route!.operation as ConnectOperation)!;

/** The AWS account for ARNs: the function's own (from its ARN), else the API's. */
function awsAccountOf(event: HttpEvent, context: Context | undefined): string {
  const fromArn = context?.invokedFunctionArn?.split(':')[4];
  return fromArn || event.requestContext?.accountId || '000000000000';
}

/** Who signed the request: the IAM ARN API Gateway's IAM authorizer put in the event (the local server puts its own credentials' ARN). */
export function connectOrigin(event: HttpEvent): ChangeOrigin {
  const iam = (event.requestContext?.authorizer as { iam?: { userArn?: unknown; callerArn?: unknown } } | undefined)?.iam;
  const arn = iam?.userArn ?? iam?.callerArn;
  return { via: 'connect', actor: typeof arn === 'string' && arn ? { arn } : {} };
}

const PAGING: ReadonlySet<ConnectOperation> = new Set(['ListAgentStatuses', 'SearchAgentStatuses']);
const NO_KEYS = { current: '' };

/** The NextToken keys the environment names: the secret at CONNECT_NEXT_TOKEN_SECRET_ARN, else a fixed value. */
export function nextTokenKeysFromEnv(env: Record<string, string | undefined> = process.env): () => Promise<SecretVersions> {
  const arn = env[NEXT_TOKEN_SECRET_ARN_ENV];
  if (arn) {
    // The client is made on the first request that pages: writes and reads by id never need it.
    let keys: (() => Promise<SecretVersions>) | undefined;
    return () => (keys ??= secretVersions(secretsManagerClient(), arn))();
  }
  return async () => ({ current: env.CONNECT_NEXT_TOKEN_SECRET || LOCAL_NEXT_TOKEN_SECRET });
}

export interface ConnectHandlerOptions {
  store: StoreFactory;
  /** The container's last lists read, per instance, sorted by id (platform/list-copies.ts); a fresh set of its own by default. */
  listCopies?: ListCopies<readonly StoredReason[]>;
  /** The region in ARNs; `AWS_REGION` when absent. */
  region?: () => string;
  maxBodyBytes?: number;
  /**
   * The keys NextTokens are sealed and opened with. When absent: the Secrets Manager secret
   * CONNECT_NEXT_TOKEN_SECRET_ARN names (the stack sets it), read at run time and cached;
   * else CONNECT_NEXT_TOKEN_SECRET, or a local default.
   */
  nextTokenKeys?: () => Promise<SecretVersions>;
}

export function createConnectHandler({
  store,
  listCopies = new ListCopies<readonly StoredReason[]>(),
  region = () => process.env.AWS_REGION ?? 'us-east-1',
  maxBodyBytes = 256 * 1024,
  nextTokenKeys = nextTokenKeysFromEnv(),
}: ConnectHandlerOptions): HttpHandler {
  return pipeline<HttpEvent, HttpResult>()
    .use(httpHeaderNormalizer())
    .use(requestIdHeader())
    .use(errorResponses({ render: renderConnectError, internal: () => connectError('InternalServiceException', 'An internal error occurred. Try again.') }))
    .use({
      before: ({ event }) => {
        const method = (event.requestContext?.http?.method ?? '').toUpperCase();
        const matched = matchConnectRoute(method, routedPath(event));
        if (!matched) throw noOperation(method, event);
        event.route = { operation: matched.route.operation, params: matched.params };
      },
    })
    .use({
      // API Gateway's IAM authorizer has verified the SigV4 signature; a request it did not is refused.
      before: ({ event }) => {
        const iam = (event.requestContext?.authorizer as { iam?: unknown } | undefined)?.iam;
        if (!iam) throw new ConnectError('AccessDeniedException', 'The request must be signed with AWS Signature Version 4.');
      },
    })
    .use(jsonBody({ maxBytes: maxBodyBytes, when: (event) => routeOf(event).body }))
    .use({
      // Checked before any schema walks the body: only SearchCriteria nest, and no request needs more.
      before: ({ event }) => {
        if (routeOf(event).body && typeof event.parsedBody === 'object' && event.parsedBody !== null && nestsDeeperThan(event.parsedBody, CONNECT_LIMITS.bodyDepthMax)) {
          throw new ConnectError('InvalidRequestException', `The request body nests deeper than ${CONNECT_LIMITS.bodyDepthMax} levels.`);
        }
      },
    })
    .handler(async (event, context) =>
      OPERATIONS[routeOf(event).operation]({
        operation: routeOf(event).operation,
        params: event.route!.params,
        query: new URLSearchParams(event.rawQueryString ?? ''),
        body: event.parsedBody,
        invocationId: event.headers?.['amz-sdk-invocation-id'],
        store: store(requestScope(context)),
        listCopies,
        origin: connectOrigin(event),
        arn: { region: region(), awsAccount: awsAccountOf(event, context) },
        // Only the operations that page read the keys: a write never waits on Secrets Manager.
        nextTokenKeys: PAGING.has(routeOf(event).operation) ? await nextTokenKeys() : NO_KEYS,
      }),
    );
}
