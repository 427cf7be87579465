// Per-InstanceId grants for the Connect routes, checked in the function.
//
// In AWS, API Gateway's IAM authorization has verified who signed the request
// (`requestContext.authorizer.iam`). The stack's `grantConnectInstances(grantee,
// instanceIds)` grants `execute-api:Invoke` per instance where the path carries
// the InstanceId, and writes every grant into the function's environment
// (CONNECT_INSTANCE_GRANTS). This check holds every Connect request to those
// grants: for the routes whose InstanceId is in the body or inside an ARN, IAM
// cannot see it, so this is what ties them to an instance; for the others it
// agrees with IAM. Without the variable (npm start, tests) nothing is checked.
import type { Context } from 'aws-lambda';
import { ConnectError, connectError } from './connect.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../../domain/status-reason.js';
import { CONNECT_GRANTS_ENV, matchConnectRoute, type ConnectGrant, type ConnectRoute } from './routes.js';
import { routedPath } from '../../platform/http/routed-path.js';
import { bodyBytes, utf8Text } from '../../platform/http/middlewares/json-body.js';
import type { HttpEvent, HttpResult } from '../../platform/http/types.js';

/** Principal → the instances it was granted. */
export type ConnectGrants = ReadonlyMap<string, ReadonlySet<string>>;

/** The Connect adapter's body limit: a larger body is refused before it is read. */
const MAX_BODY_BYTES = 256 * 1024;

export function connectGrants(grants: readonly ConnectGrant[]): ConnectGrants {
  const byPrincipal = new Map<string, Set<string>>();
  for (const { principal, instances } of grants) {
    const set = byPrincipal.get(principal) ?? new Set<string>();
    for (const instance of instances) set.add(instance);
    byPrincipal.set(principal, set);
  }
  return byPrincipal;
}

/** The grants the stack wrote, or undefined when it wrote none (no check). A malformed value fails the cold start. */
export function connectGrantsFromEnv(env: Record<string, string | undefined> = process.env): ConnectGrants | undefined {
  const raw = env[CONNECT_GRANTS_ENV];
  if (raw === undefined) return undefined;
  const parsed: unknown = JSON.parse(raw);
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (g: Partial<ConnectGrant>) => typeof g?.principal === 'string' && Array.isArray(g.instances) && g.instances.every((i) => typeof i === 'string'),
    );
  if (!valid) throw new Error(`${CONNECT_GRANTS_ENV} must be a JSON array of {"principal": "...", "instances": ["..."]}`);
  return connectGrants(parsed as ConnectGrant[]);
}

/**
 * The IAM principal a verified caller acts as, in the form the stack writes:
 * a role whatever session assumed it (`arn:aws:sts::1:assumed-role/R/s` →
 * `arn:aws:iam::1:role/R`), a user without its path, anything else as it is.
 */
export function principalOf(callerArn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  if (session) return `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`;
  const user = /^arn:([^:]+):iam::(\d{12}):user\/(?:[^/]+\/)*([^/]+)$/.exec(callerArn);
  if (user) return `arn:${user[1]}:iam::${user[2]}:user/${user[3]}`;
  return callerArn;
}

function decoded(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ConnectError('InvalidParameterException', `Invalid parameter: ${name} is not valid URL encoding.`);
  }
}

function accountIdOrRefuse(value: string, where: string): string {
  if (!ACCOUNT_ID.test(value)) throw new ConnectError('InvalidParameterException', `Invalid parameter: ${where} ${ACCOUNT_ID_RULE}.`);
  return value;
}

function instanceInBody(event: HttpEvent): string {
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_BODY_BYTES) throw new ConnectError('InvalidRequestException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(utf8Text(bytes));
  } catch {
    throw new ConnectError('InvalidRequestException', 'The request body is not valid JSON: it must be a JSON object with an InstanceId.');
  }
  const instanceId = typeof body === 'object' && body !== null ? (body as { InstanceId?: unknown }).InstanceId : undefined;
  if (typeof instanceId !== 'string') throw new ConnectError('InvalidParameterException', 'Invalid parameter: InstanceId is required in the body, as a string.');
  return accountIdOrRefuse(instanceId, 'InstanceId');
}

/** `arn:<partition>:connect:<region>:<account>:instance/<InstanceId>/agent-state/<id>` → InstanceId. */
function instanceInArn(segment: string): string {
  const arn = decoded(segment, 'resourceArn');
  const match = /^arn:[^:]+:connect:[^:]*:[^:]*:instance\/([^/]+)\/agent-state\/[^/]+$/.exec(arn);
  if (!match) throw new ConnectError('InvalidParameterException', 'Invalid parameter: resourceArn must be an agent status ARN (arn:aws:connect:<region>:<account>:instance/<InstanceId>/agent-state/<id>).');
  return accountIdOrRefuse(match[1]!, "resourceArn's InstanceId");
}

function instanceOf(event: HttpEvent, route: ConnectRoute, params: Record<string, string>): string {
  switch (route.instanceIdIn) {
    case 'path':
      return accountIdOrRefuse(decoded(params.InstanceId!, 'InstanceId'), 'InstanceId');
    case 'body':
      return instanceInBody(event);
    case 'resourceArn':
      return instanceInArn(params.resourceArn!);
  }
}

function checkGrant(event: HttpEvent, grants: ConnectGrants): void {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const matched = matchConnectRoute(method, routedPath(event));
  // Fail closed: a route this list does not know is not one a grant covers.
  if (!matched) throw new ConnectError('ResourceNotFoundException', `No operation at ${method} ${event.rawPath ?? '/'}.`);
  const { route, params } = matched;
  const callerArn = (event.requestContext?.authorizer as { iam?: { userArn?: unknown } } | undefined)?.iam?.userArn;
  if (typeof callerArn !== 'string') throw new ConnectError('AccessDeniedException', 'The request must be signed with AWS Signature Version 4.');
  const principal = principalOf(callerArn);
  const granted = grants.get(principal);
  if (!granted) throw new ConnectError('AccessDeniedException', `${principal} is not granted any instance of this service.`);
  const instanceId = instanceOf(event, route, params);
  if (!granted.has(instanceId)) throw new ConnectError('AccessDeniedException', `${principal} is not granted instance ${instanceId}.`);
}

/** The answer refusing a Connect request its caller was not granted, or undefined when it may go on. */
export function refuseUngranted(event: HttpEvent, context: Context, grants: ConnectGrants | undefined): HttpResult | undefined {
  if (!grants) return undefined;
  try {
    checkGrant(event, grants);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    const answer = connectError(error.type, error.message);
    answer.headers = { ...answer.headers, 'x-amzn-RequestId': context.awsRequestId };
    return answer;
  }
}
