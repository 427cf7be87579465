// The AWS deployment of the agent status reasons service, composed of five
// constructs (infra/constructs/): Data (the DynamoDB table), Functions (the
// HTTP and direct-invoke functions), Identity (an external JWT issuer, or a
// Cognito user pool with one machine client per account and a pre-token
// trigger), Api (the HTTP API, its JWT- and IAM-authorized routes, the
// throttled stage) and Observability (alarms, their topic, the dashboard).
// This file reads the settings, wires the constructs and writes the outputs.
//
// The constructs are FlatScopes: they do not appear in their resources'
// logical ids, which stay the ones the single-scope stack had (a deploy over
// an older stack replaces nothing; see infra/constructs/flat-logical-ids.ts).
//
// The stack is importable without the app (infra/app.ts) so tests can build it
// in their own App.
import { CfnOutput, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type { HttpApi, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { RESERVED_CLAIMS } from '../functions/cognito/machine-clients.js';
import { CONNECT_ROUTES } from '../functions/connect/routes.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../functions/domain/status-reason.js';
import { DEFAULT_ACCOUNT_CLAIM } from '../functions/http/middlewares/jwt-claims.js';
import { Api, connectRouteArns, grantPrincipalArn } from './constructs/api.js';
import { Data } from './constructs/data.js';
import { LogicalIdRegistry } from './constructs/flat-logical-ids.js';
import { Functions } from './constructs/functions.js';
import { Identity, RESOURCE_SERVER_IDENTIFIER } from './constructs/identity.js';
import { Observability } from './constructs/observability.js';

export { ACCESS_LOG_FIELDS, CONNECT_PATH, STAGE_NAME, STATUS_REASON_PATH, STATUS_REASONS_PATH, connectRouteArns } from './constructs/api.js';
export { THROTTLE_ALARM_OPERATIONS } from './constructs/data.js';
export { ENTRIES, FUNCTION_TIMEOUT_SECONDS, LEASE_MS, PROJECT_ROOT, TABLE_ACTIONS } from './constructs/functions.js';
export { MAX_MACHINE_CLIENTS, NO_CLIENT_AUDIENCE, RESOURCE_SERVER_IDENTIFIER, SCOPES } from './constructs/identity.js';

export const STACK_NAME = 'AgentStatusReasons';

/**
 * Default limits (README, "Limits": the arithmetic behind each). `none` as a
 * concurrency in context reserves nothing (for accounts whose Lambda quota is
 * too small to reserve from).
 */
export const DEFAULT_LIMITS = {
  /** Reserved concurrency of the HTTP function. */
  httpConcurrency: 100,
  /** Reserved concurrency of the direct-invoke function. */
  invokeConcurrency: 50,
  /** Steady requests per second the API's stage lets through, all routes and callers together. */
  apiRateLimit: 500,
  /** Requests the stage lets through at once above the steady rate. */
  apiBurstLimit: 100,
} as const;

export interface AgentStatusReasonsStackProps extends StackProps {
  /** One Lambda entry file for every function (tests bundle a fixture); defaults to `ENTRIES`. */
  readonly entry?: string;
  /** Exported handler name; defaults to `handler`. */
  readonly handler?: string;
  /** JWT issuer; defaults to context `jwtIssuer`; when neither is set a Cognito user pool is created. */
  readonly jwtIssuer?: string;
  /** JWT audiences (comma-separated in context `jwtAudience`); required with an external issuer. */
  readonly jwtAudience?: string[];
  /** Function memory in MB; defaults to context `memorySize`, else 512. */
  readonly memorySize?: number;
  /** Email subscribed to the alarm topic; defaults to context `alarmEmail`; without it no topic is created. */
  readonly alarmEmail?: string;
  /** Domain prefix of the Cognito hosted token endpoint; defaults to context `cognitoDomainPrefix`, else `agent-status-reasons-<account>`. */
  readonly cognitoDomainPrefix?: string;
  /** The JWT claim that names the account; defaults to context `accountClaim`, else `account`. */
  readonly accountClaim?: string;
  /**
   * The resource server whose `<identifier>/<scope>` scopes count as `<scope>`; defaults to context
   * `resourceServer`, else the Cognito pool's `agent-status-reasons` (none with an external issuer).
   */
  readonly resourceServer?: string;
  /** Accounts that get a Cognito machine client (comma-separated in context `machineClients`); only without jwtIssuer. */
  readonly machineClients?: string[];
  /** Reserved concurrency of the HTTP function (context `httpConcurrency`); null reserves none. */
  readonly httpConcurrency?: number | null;
  /** Reserved concurrency of the direct-invoke function (context `invokeConcurrency`); null reserves none. */
  readonly invokeConcurrency?: number | null;
  /** The API stage's steady rate limit in requests per second (context `apiRateLimit`). */
  readonly apiRateLimit?: number;
  /** The API stage's burst limit in requests (context `apiBurstLimit`). */
  readonly apiBurstLimit?: number;
}

function contextString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** A positive number from props or context (`none` in context: undefined, when allowed), with the key named in any error. */
function limit(scope: Construct, key: string, given: number | null | undefined, fallback: number, { integer = true, noneAllowed = false } = {}): number | undefined {
  const raw = given !== undefined ? given : contextString(scope, key);
  if (noneAllowed && (raw === null || raw === 'none')) return undefined;
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${key} must be a positive ${integer ? 'integer' : 'number'}${noneAllowed ? " or 'none'" : ''}, got ${String(raw)}`);
  }
  return value;
}

/** Account ids from props or a comma-separated context value, checked and without repeats. */
function accountList(scope: Construct, key: string, given: string[] | undefined): string[] {
  const raw = given ?? (contextString(scope, key) ?? '').split(',');
  const accounts = [...new Set(raw.map((a) => a.trim()).filter(Boolean))];
  for (const account of accounts) if (!ACCOUNT_ID.test(account)) throw new Error(`${key}: ${JSON.stringify(account)} ${ACCOUNT_ID_RULE}`);
  return accounts;
}

/** A claim name the pre-token trigger may write and the function reads. */
function checkClaimName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_:.-]{0,127}$/.test(name) || RESERVED_CLAIMS.has(name)) {
    throw new Error(`accountClaim must be a claim name of letters, digits, "_", ":", "." or "-" that is not one Cognito or the API reserves (got ${JSON.stringify(name)})`);
  }
  return name;
}

export class AgentStatusReasonsStack extends Stack {
  readonly table: dynamodb.TableV2;
  /** Answers API Gateway's events; only this stack's API may invoke it. */
  readonly httpFunction: NodejsFunction;
  /** Answers direct invokes; what `grantInvoke` grants. */
  readonly invokeFunction: NodejsFunction;
  /** Cognito's pre-token-generation trigger (only with the stack's own pool). */
  readonly preTokenFunction?: NodejsFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly connectRoutes: HttpRoute[];
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic?: sns.Topic;
  readonly userPool?: cognito.UserPool;
  /** One app client per account in `machineClients`, by account. */
  readonly machineClients: ReadonlyMap<string, cognito.UserPoolClient>;
  readonly userPoolDomain?: cognito.UserPoolDomain;
  readonly jwtIssuer: string;
  readonly jwtAudience: string[];
  readonly accountClaim: string;
  readonly resourceServer: string | undefined;
  readonly data: Data;
  readonly functions: Functions;
  readonly identity: Identity;
  readonly httpApi: Api;
  readonly observability: Observability;
  private readonly logicalIds = new LogicalIdRegistry();

  constructor(scope: Construct, id: string, props: AgentStatusReasonsStackProps = {}) {
    super(scope, id, { stackName: STACK_NAME, description: 'Agent status reasons: HTTP API + Lambda + DynamoDB', ...props });

    const memorySize = props.memorySize ?? Number(contextString(this, 'memorySize') ?? 512);
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`memorySize must be an integer between 128 and 10240 MB, got ${String(memorySize)}`);
    }
    const externalIssuer = this.externalIssuer(props);
    this.accountClaim = checkClaimName(props.accountClaim ?? contextString(this, 'accountClaim') ?? DEFAULT_ACCOUNT_CLAIM);
    this.resourceServer = props.resourceServer ?? contextString(this, 'resourceServer') ?? (externalIssuer ? undefined : RESOURCE_SERVER_IDENTIFIER);
    const machineClientAccounts = accountList(this, 'machineClients', props.machineClients);
    const httpConcurrency = limit(this, 'httpConcurrency', props.httpConcurrency, DEFAULT_LIMITS.httpConcurrency, { noneAllowed: true });
    const invokeConcurrency = limit(this, 'invokeConcurrency', props.invokeConcurrency, DEFAULT_LIMITS.invokeConcurrency, { noneAllowed: true });
    const apiRateLimit = limit(this, 'apiRateLimit', props.apiRateLimit, DEFAULT_LIMITS.apiRateLimit, { integer: false })!;
    const apiBurstLimit = limit(this, 'apiBurstLimit', props.apiBurstLimit, DEFAULT_LIMITS.apiBurstLimit)!;

    this.data = new Data(this, 'Data');
    this.table = this.data.table;

    this.functions = new Functions(this, 'Functions', {
      table: this.table,
      entry: props.entry,
      handler: props.handler,
      memorySize,
      httpConcurrency,
      invokeConcurrency,
      accountClaim: this.accountClaim,
      resourceServer: this.resourceServer,
    });
    this.httpFunction = this.functions.httpFunction;
    this.invokeFunction = this.functions.invokeFunction;

    this.identity = new Identity(this, 'Identity', {
      table: this.table,
      externalIssuer,
      accountClaim: this.accountClaim,
      resourceServer: this.resourceServer,
      cognitoDomainPrefix: props.cognitoDomainPrefix ?? contextString(this, 'cognitoDomainPrefix') ?? `agent-status-reasons-${this.account}`,
      machineClients: machineClientAccounts,
      entry: props.entry,
      handler: props.handler,
      memorySize,
    });
    this.jwtIssuer = this.identity.jwtIssuer;
    this.jwtAudience = this.identity.jwtAudience;
    this.machineClients = this.identity.machineClients;
    this.userPool = this.identity.userPool;
    this.userPoolDomain = this.identity.userPoolDomain;
    this.preTokenFunction = this.identity.preTokenFunction;

    this.httpApi = new Api(this, 'Api', {
      handler: this.httpFunction,
      jwtIssuer: this.jwtIssuer,
      jwtAudience: this.jwtAudience,
      rateLimit: apiRateLimit,
      burstLimit: apiBurstLimit,
    });
    this.api = this.httpApi.api;
    this.stage = this.httpApi.stage;
    this.connectRoutes = this.httpApi.connectRoutes;

    this.observability = new Observability(this, 'Observability', {
      api: this.api,
      table: this.table,
      httpFunction: this.httpFunction,
      invokeFunction: this.invokeFunction,
      preTokenFunction: this.preTokenFunction,
      alarmEmail: props.alarmEmail ?? contextString(this, 'alarmEmail'),
    });
    this.alarms = this.observability.alarms;
    this.dashboard = this.observability.dashboard;
    this.alarmTopic = this.observability.alarmTopic;

    // -------------------------------------------------------------- outputs
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the HTTP API ($default stage)' });
    new CfnOutput(this, 'FunctionName', { value: this.invokeFunction.functionName, description: 'The direct-invoke function' });
    new CfnOutput(this, 'FunctionArn', {
      value: this.invokeFunction.functionArn,
      description: 'The direct-invoke function, for direct invokers (lambda:InvokeFunction)',
      exportName: `${STACK_NAME}-FunctionArn`,
    });
    new CfnOutput(this, 'HttpFunctionName', { value: this.httpFunction.functionName, description: 'The function behind the API (only the API may invoke it)' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (this.userPool && this.userPoolDomain) {
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'TokenEndpoint', {
        value: `${this.userPoolDomain.baseUrl()}/oauth2/token`,
        description: 'Cognito OAuth 2.0 token endpoint (client credentials grant)',
      });
      new CfnOutput(this, 'MachineClientIds', {
        value: Stack.of(this).toJsonString(Object.fromEntries([...this.machineClients].map(([account, client]) => [account, client.userPoolClientId]))),
        description: 'The Cognito app client of each account in machineClients, as JSON {"<account>": "<client id>"}',
      });
    }
  }

  /** Logical ids as if the FlatScope constructs were not on the path (infra/constructs/flat-logical-ids.ts). */
  protected override allocateLogicalId(element: CfnElement): string {
    return this.logicalIds.allocate(this, element);
  }

  /** The issuer and audiences of an external IdP, from props or context; undefined means "create a Cognito user pool". */
  private externalIssuer(props: AgentStatusReasonsStackProps): { issuer: string; audience: string[] } | undefined {
    const issuer = props.jwtIssuer ?? contextString(this, 'jwtIssuer');
    if (!issuer) return undefined;
    const audience =
      props.jwtAudience ??
      (contextString(this, 'jwtAudience') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (audience.length === 0) throw new Error('jwtAudience is required when jwtIssuer is given (-c jwtAudience=...)');
    return { issuer, audience };
  }

  /** Lets another principal (a Lambda's role, a user, a role) call the direct-invoke function (lambda:InvokeFunction on it only). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.invokeFunction.grantInvoke(grantee);
  }

  /**
   * Lets a role or user use the Connect routes for these instances (accounts) and
   * no others: `execute-api:Invoke` per instance on the routes whose path carries
   * the InstanceId, on the route itself for the others, and, for all of them, an
   * entry in the HTTP function's CONNECT_INSTANCE_GRANTS, which the function
   * checks against the verified caller.
   */
  grantConnectInstances(grantee: iam.IGrantable, instanceIds: readonly string[]): iam.Grant {
    if (instanceIds.length === 0) throw new Error('grantConnectInstances needs at least one instance id');
    for (const id of instanceIds) if (!ACCOUNT_ID.test(id)) throw new Error(`grantConnectInstances: instance id ${JSON.stringify(id)} ${ACCOUNT_ID_RULE}`);
    this.functions.addConnectGrant({ principal: grantPrincipalArn(grantee), instances: [...new Set(instanceIds)] });
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: connectRouteArns(this.api, CONNECT_ROUTES, instanceIds) });
  }
}
