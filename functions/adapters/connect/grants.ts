// Per-InstanceId grants for the Connect routes, checked in the function.
//
// In AWS, API Gateway's IAM authorization has verified who signed the request
// (`requestContext.authorizer.iam`) and that it may use the Connect routes;
// which instances it may use is this check's: the grants are in the table
// (`GRANT#<principal>` items: functions/store/connect-grants.ts, written by
// `npm run tenants -- grant` and by the stack's grantConnectInstances), read
// per principal and instance and kept per container for GRANT_CACHE_MS, so a
// grant or a revocation takes effect within that time, without a deploy, and
// neither IAM policies nor the function's environment grow with instances.
// Without CONNECT_INSTANCE_GRANTS (npm start, tests) nothing is checked.
import type { Context } from 'aws-lambda';
import { ConnectError, noOperation, renderConnectError } from './connect.js';
import { agentStatusArnParts, unknownArn } from './agent-status.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../../domain/status-reason.js';
import { CONNECT_GRANTS_ENV, matchConnectRoute, type ConnectGrant, type ConnectRoute } from './routes.js';
import { routedPath } from '../../platform/http/routed-path.js';
import { bodyBytes, utf8Text } from '../../platform/http/middlewares/json-body.js';
import type { HttpEvent, HttpResult } from '../../platform/http/types.js';
import { TtlCache } from '../../platform/ttl-cache.js';

/** Who may use which instance. */
export interface ConnectGrants {
  /** Whether the principal has any grant: one that has none is refused before its request is read. */
  anyGranted(principal: string): Promise<boolean>;
  isGranted(principal: string, instanceId: string): Promise<boolean>;
}

/** How long a grant (or its absence) is kept per container: a grant or revocation holds within it. */
export const GRANT_CACHE_MS = 60_000;

/** The reads of the table's grants (functions/store/connect-grants.ts's GrantReads). */
export interface GrantReads {
  anyGranted(principal: string): Promise<boolean>;
  instanceGranted(principal: string, instanceId: string): Promise<boolean>;
  stackGranted(principal: string): Promise<ReadonlySet<string>>;
}

/** The Connect adapter's body limit: a larger body is refused before it is read. */
const MAX_BODY_BYTES = 256 * 1024;

/** Grants from a fixed list (tests; code that knows its grants). */
export function connectGrants(grants: readonly ConnectGrant[]): ConnectGrants {
  const byPrincipal = new Map<string, Set<string>>();
  for (const { principal, instances } of grants) {
    const set = byPrincipal.get(principal) ?? new Set<string>();
    for (const instance of instances) set.add(instance);
    byPrincipal.set(principal, set);
  }
  return {
    anyGranted: async (principal) => byPrincipal.has(principal),
    isGranted: async (principal, instanceId) => byPrincipal.get(principal)?.has(instanceId) ?? false,
  };
}

/** The table's grants, each read kept per container for `ttlMs` (a miss too: a flood of ungranted calls costs one read per TTL). */
export function cachedGrants(reads: GrantReads, ttlMs = GRANT_CACHE_MS): ConnectGrants {
  const instances = new TtlCache<boolean>({ ttlMs });
  const stack = new TtlCache<ReadonlySet<string>>({ ttlMs, maxEntries: 1_000 });
  const principals = new TtlCache<boolean>({ ttlMs });
  return {
    anyGranted: (principal) => principals.get(principal, () => reads.anyGranted(principal)),
    async isGranted(principal, instanceId) {
      const [byStack, byCommand] = await Promise.all([
        stack.get(principal, () => reads.stackGranted(principal)),
        instances.get(`${principal}\n${instanceId}`, () => reads.instanceGranted(principal, instanceId)),
      ]);
      return byStack.has(instanceId) || byCommand;
    },
  };
}

/** Whether the environment asks for the check: CONNECT_INSTANCE_GRANTS=table (the stack always sets it); unset checks nothing. */
export function grantsCheckedFromEnv(env: Record<string, string | undefined> = process.env): boolean {
  const source = env[CONNECT_GRANTS_ENV];
  if (source === undefined) return false;
  if (source !== 'table') throw new Error(`${CONNECT_GRANTS_ENV} must be "table" (the grants are the table's GRANT# items), not ${JSON.stringify(source.slice(0, 40))}`);
  return true;
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
  const text = utf8Text(bytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ConnectError('InvalidRequestException', 'The request body is not valid JSON: it must be a JSON object with an InstanceId.');
  }
  const instanceId = typeof body === 'object' && body !== null ? (body as { InstanceId?: unknown }).InstanceId : undefined;
  if (typeof instanceId !== 'string') throw new ConnectError('InvalidParameterException', 'Invalid parameter: InstanceId is required in the body, as a string.');
  return accountIdOrRefuse(instanceId, 'InstanceId');
}

/** `arn:<partition>:connect:<region>:<account>:instance/<InstanceId>/agent-state/<id>` → InstanceId; any other ARN names no agent status (as the operations answer it). */
function instanceInArn(segment: string): string {
  const arn = decoded(segment, 'resourceArn');
  const parts = agentStatusArnParts(arn);
  if (!parts) throw unknownArn(arn);
  return parts.instanceId;
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

/** A grant read that fails refuses the request as one to send again: nothing was read or written. */
async function grantRead(read: () => Promise<boolean>): Promise<boolean> {
  try {
    return await read();
  } catch {
    throw new ConnectError('ThrottlingException', 'The grants could not be read just now; nothing was done. Try again.');
  }
}

async function checkGrant(event: HttpEvent, grants: ConnectGrants): Promise<void> {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const matched = matchConnectRoute(method, routedPath(event));
  // Fail closed: a route this list does not know is not one a grant covers.
  if (!matched) throw noOperation(method, event);
  const { route, params } = matched;
  const callerArn = (event.requestContext?.authorizer as { iam?: { userArn?: unknown } } | undefined)?.iam?.userArn;
  if (typeof callerArn !== 'string') throw new ConnectError('AccessDeniedException', 'The request must be signed with AWS Signature Version 4.');
  const principal = principalOf(callerArn);
  if (!(await grantRead(() => grants.anyGranted(principal)))) throw new ConnectError('AccessDeniedException', `${principal} is not granted any instance of this service.`);
  const instanceId = instanceOf(event, route, params);
  if (!(await grantRead(() => grants.isGranted(principal, instanceId)))) throw new ConnectError('AccessDeniedException', `${principal} is not granted instance ${instanceId}.`);
}

/** The answer refusing a Connect request its caller was not granted, or undefined when it may go on. */
export async function refuseUngranted(event: HttpEvent, context: Context, grants: ConnectGrants | undefined): Promise<HttpResult | undefined> {
  if (!grants) return undefined;
  try {
    await checkGrant(event, grants);
    return undefined;
  } catch (error) {
    // Connect's answer to the adapter's refusals (a ConnectError, or an HttpError of the body's decoding) as the adapter renders them.
    const answer = renderConnectError(error);
    if (!answer) throw error;
    answer.headers = { ...answer.headers, 'x-amzn-RequestId': context.awsRequestId };
    return answer;
  }
}
