// The Amazon Connect routes this service answers: the one list that the CDK
// stack (infra/stack.ts), the local gateway (infra/local/server.ts), the
// Connect adapter and the grant check (functions/adapters/connect/grants.ts) read. Each
// route says where its request names the instance (the account), which is what
// per-InstanceId grants have to look at.
//
// Types and constants only (no imports): the stack imports this file too.

export type ConnectOperation =
  | 'CreateAgentStatus'
  | 'DescribeAgentStatus'
  | 'ListAgentStatuses'
  | 'UpdateAgentStatus'
  | 'SearchAgentStatuses'
  | 'TagResource'
  | 'UntagResource'
  | 'ListTagsForResource';

/**
 * Where a request names its InstanceId:
 * - `path`: the `{InstanceId}` segment of the path;
 * - `body`: the JSON body's `InstanceId` field (the path has none, so an IAM
 *   resource ARN cannot narrow the route to one instance);
 * - `resourceArn`: inside the agent status ARN that is the last path segment,
 *   URL-encoded (`/tags/arn%3Aaws%3Aconnect%3A<region>%3A<account>%3Ainstance%2F<InstanceId>%2Fagent-state%2F<id>`).
 */
export type InstanceIdSource = 'path' | 'body' | 'resourceArn';

export interface ConnectRoute {
  operation: ConnectOperation;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** The route as API Gateway declares it (`{name+}` is a greedy path variable). */
  path: string;
  instanceIdIn: InstanceIdSource;
  /** Whether it changes data (then the SDK's `amz-sdk-invocation-id` makes its retries idempotent). */
  write: boolean;
  /** Whether it carries a JSON body. */
  body: boolean;
}

export const AGENT_STATUSES_PATH = '/agent-status/{InstanceId}';
export const AGENT_STATUS_PATH = '/agent-status/{InstanceId}/{AgentStatusId}';
export const SEARCH_AGENT_STATUSES_PATH = '/search-agent-statuses';
/** Greedy: an SDK percent-encodes the ARN's `/` (one segment), a hand-made request may not. */
export const TAGS_PATH = '/tags/{resourceArn+}';

export const CONNECT_ROUTES: readonly ConnectRoute[] = [
  { operation: 'CreateAgentStatus', method: 'PUT', path: AGENT_STATUSES_PATH, instanceIdIn: 'path', write: true, body: true },
  { operation: 'ListAgentStatuses', method: 'GET', path: AGENT_STATUSES_PATH, instanceIdIn: 'path', write: false, body: false },
  { operation: 'DescribeAgentStatus', method: 'GET', path: AGENT_STATUS_PATH, instanceIdIn: 'path', write: false, body: false },
  { operation: 'UpdateAgentStatus', method: 'POST', path: AGENT_STATUS_PATH, instanceIdIn: 'path', write: true, body: true },
  { operation: 'SearchAgentStatuses', method: 'POST', path: SEARCH_AGENT_STATUSES_PATH, instanceIdIn: 'body', write: false, body: true },
  { operation: 'TagResource', method: 'POST', path: TAGS_PATH, instanceIdIn: 'resourceArn', write: true, body: true },
  { operation: 'UntagResource', method: 'DELETE', path: TAGS_PATH, instanceIdIn: 'resourceArn', write: true, body: false },
  { operation: 'ListTagsForResource', method: 'GET', path: TAGS_PATH, instanceIdIn: 'resourceArn', write: false, body: false },
];

/** A route that takes every method API Gateway's more specific routes leave: `ANY <path>`. */
export interface CatchAllRoute {
  method: 'ANY';
  path: string;
}

/**
 * Every other method and path under the Connect prefixes (CONNECT_PATH_PREFIX),
 * routed to the function, which answers them ResourceNotFoundException (SPEC §2):
 * without them API Gateway answers a request no route matches itself, a bare
 * 404 `{"message":"Not Found"}` without `x-amzn-ErrorType`, which the SDK reports
 * as an `Unknown` error. A route of CONNECT_ROUTES wins over these (API Gateway
 * prefers a route with the request's method over `ANY`). Each greedy variable
 * has the name CONNECT_ROUTES give that level: API Gateway refuses two names at
 * one level of a path.
 */
export const CONNECT_CATCH_ALL_ROUTES: readonly CatchAllRoute[] = [
  '/agent-status',
  AGENT_STATUSES_PATH,
  '/agent-status/{InstanceId}/{AgentStatusId+}',
  SEARCH_AGENT_STATUSES_PATH,
  '/search-agent-statuses/{proxy+}',
  '/tags',
  TAGS_PATH,
].map((path) => ({ method: 'ANY', path }));

/** The environment variable that turns the per-instance check on: `table` (the grants are the table's GRANT# items). */
export const CONNECT_GRANTS_ENV = 'CONNECT_INSTANCE_GRANTS';

/** The environment variable naming the secret that seals NextTokens (its ARN; the stack sets it, the Connect adapter reads the secret at run time). */
export const NEXT_TOKEN_SECRET_ARN_ENV = 'CONNECT_NEXT_TOKEN_SECRET_ARN';

/** One grant: an IAM principal (see `principalOf` in grants.ts) and the instances it may use. */
export interface ConnectGrant {
  principal: string;
  instances: string[];
}

/** Paths under which every request belongs to the Connect adapter (anything there that is not a route is Connect's 404). */
export const CONNECT_PATH_PREFIX = /^\/(?:agent-status|search-agent-statuses|tags)(?:\/|$)/;

/** A route path as a regular expression: `{name}` matches one segment, `{name+}` the rest of the path. */
export function routePattern(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = path.replace(/[.*?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
    names.push(name);
    return greedy ? '(.+)' : '([^/]+)';
  });
  return { regex: new RegExp(`^${pattern}$`), names };
}

const compiled = CONNECT_ROUTES.map((route) => ({ route, ...routePattern(route.path) }));

/** The route a method and (stage-less, still encoded) path name, with its raw path parameters. */
export function matchConnectRoute(method: string, path: string): { route: ConnectRoute; params: Record<string, string> } | undefined {
  for (const { route, regex, names } of compiled) {
    if (route.method !== method) continue;
    const match = regex.exec(path);
    if (match) return { route, params: Object.fromEntries(names.map((name, i) => [name, match[i + 1]!])) };
  }
  return undefined;
}
