// The Amazon Connect agent-status routes (SPEC §2) and where each one carries
// the InstanceId: the stack's per-instance grants (infra/stack.ts) and the
// function's grant check (functions/connect-grants.ts) both read this list.
// Constants only, so that the CDK app can import it.

/** Where a request names its instance. */
export type InstanceSource =
  /** The `{InstanceId}` path segment: IAM can tell instances apart. */
  | 'path'
  /** `InstanceId` in the JSON body: IAM cannot see it. */
  | 'body'
  /** Inside the URL-encoded agent-status ARN of `{resourceArn}`: IAM cannot reliably see it. */
  | 'resource-arn';

export interface ConnectRoute {
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway's route path, parameters in braces. */
  path: string;
  instanceIn: InstanceSource;
}

export const CONNECT_ROUTES: readonly ConnectRoute[] = [
  { operation: 'CreateAgentStatus', method: 'PUT', path: '/agent-status/{InstanceId}', instanceIn: 'path' },
  { operation: 'ListAgentStatuses', method: 'GET', path: '/agent-status/{InstanceId}', instanceIn: 'path' },
  { operation: 'DescribeAgentStatus', method: 'GET', path: '/agent-status/{InstanceId}/{AgentStatusId}', instanceIn: 'path' },
  { operation: 'UpdateAgentStatus', method: 'POST', path: '/agent-status/{InstanceId}/{AgentStatusId}', instanceIn: 'path' },
  { operation: 'SearchAgentStatuses', method: 'POST', path: '/search-agent-statuses', instanceIn: 'body' },
  { operation: 'TagResource', method: 'POST', path: '/tags/{resourceArn}', instanceIn: 'resource-arn' },
  { operation: 'UntagResource', method: 'DELETE', path: '/tags/{resourceArn}', instanceIn: 'resource-arn' },
  { operation: 'ListTagsForResource', method: 'GET', path: '/tags/{resourceArn}', instanceIn: 'resource-arn' },
];

/** The environment variable through which the stack hands its grants to the function. */
export const CONNECT_GRANTS_ENV = 'CONNECT_INSTANCE_GRANTS';

/** One grant as the stack writes it: an IAM principal (see `principalOf`) and the instances it may use. */
export interface ConnectGrant {
  principal: string;
  instances: string[];
}
