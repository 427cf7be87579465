// The AWS deployment of the agent status reasons service: one HTTP API
// (JWT-authorized LivePerson routes, IAM-authorized Connect routes, throttled),
// two Lambda functions from one codebase (the HTTP one, which only this API may
// invoke, and the direct-invoke one), one DynamoDB table, alarms and a
// dashboard, and — when no external issuer is configured — a Cognito user pool
// with one machine client per account and a pre-token-generation trigger that
// puts the account into its tokens.
//
// The stack is importable without the app (infra/app.ts) so tests can build it
// in their own App.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Arn, ArnFormat, CfnOutput, Duration, Lazy, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpRoute, HttpStage, LogGroupLogDestination, type IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { CLIENT_ACCOUNT_ATTRIBUTE, CLIENT_PARTITION_PREFIX, clientKey, RESERVED_CLAIMS } from '../functions/cognito/machine-clients.js';
import { CONNECT_GRANTS_ENV, CONNECT_ROUTES, type ConnectGrant, type ConnectRoute } from '../functions/connect/routes.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../functions/domain/status-reason.js';
import { ACCOUNT_CLAIM_ENV, DEFAULT_ACCOUNT_CLAIM, DEFAULT_RESOURCE_SERVER, RESOURCE_SERVER_ENV } from '../functions/http/middlewares/jwt-claims.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME, STORE_RETRIES, WRITES_REFUSED } from '../functions/metric-names.js';
import { addConnectRoutes } from './connect-routes.js';

/** The repository root (this file lives in `<root>/infra/`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda entries the deployed functions bundle: one codebase, one entry per caller. */
export const ENTRIES = {
  /** API Gateway's events only. */
  http: path.join(PROJECT_ROOT, 'functions', 'handler.ts'),
  /** Direct invokes only. */
  invoke: path.join(PROJECT_ROOT, 'functions', 'invoke-handler.ts'),
  /** Cognito's pre-token-generation trigger. */
  preTokenGeneration: path.join(PROJECT_ROOT, 'functions', 'cognito', 'pre-token-generation.ts'),
} as const;

export const STACK_NAME = 'AgentStatusReasons';

/**
 * The only DynamoDB actions the functions' roles hold, all on this stack's
 * table ARN: exactly what functions/store/ calls. The transactions have no IAM
 * actions of their own: TransactWriteItems is authorized by the actions of its
 * items (the commit updates #META, puts and deletes reasons, log entries and
 * idempotency records), TransactGetItems by GetItem. Adjust with the store;
 * the tests read this list.
 */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/**
 * The DynamoDB operations the store calls, whose throttles the table alarm sums
 * (each one is a metric the alarm is billed for).
 */
export const THROTTLE_ALARM_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
  dynamodb.Operation.TRANSACT_GET_ITEMS,
];

export const STATUS_REASONS_PATH = '/api/account/{accountId}/configuration/le-agents/status-reasons';
export const STATUS_REASON_PATH = `${STATUS_REASONS_PATH}/{statusReasonId}`;
export const CONNECT_PATH = '/agent-status/{InstanceId}';

/** Scopes of the Cognito resource server (tokens carry them as `<identifier>/<scope>`). */
export const RESOURCE_SERVER_IDENTIFIER = DEFAULT_RESOURCE_SERVER;
export const SCOPES = { read: 'status-reasons:read', write: 'status-reasons:write' } as const;

/** One JSON line per request in the API access log (HTTP API $context variables). */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  jwtSub: '$context.authorizer.claims.sub',
  jwtClientId: '$context.authorizer.claims.client_id',
  iamUserArn: '$context.identity.userArn',
} as const;

/** The per-account write lease the handler takes; it must outlast the function timeout. */
export const FUNCTION_TIMEOUT_SECONDS = 10;
export const LEASE_MS = 20_000;

/**
 * Default limits (docs/operations.md, "Limits": the arithmetic behind each). `none` as a
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

/** API Gateway: audiences per JWT authorizer (a fixed quota), so at most this many machine clients. */
export const MAX_MACHINE_CLIENTS = 50;

/**
 * The JWT authorizer's audience while the pool has no machine client: a value
 * no Cognito access token carries as `client_id`, so that no token passes.
 */
export const NO_CLIENT_AUDIENCE = 'no-machine-client-registered';

/** The stage the API serves on; per-instance grants name it rather than `*`, which IAM lets span `/`. */
export const STAGE_NAME = '$default';

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

/** The execute-api ARNs a grant of `instanceIds` covers on `routes` (docs/operations.md, "Per-instance grants on the Connect routes"). */
export function connectRouteArns(api: IHttpApi, routes: readonly ConnectRoute[], instanceIds: readonly string[]): string[] {
  const anySegment = (path: string) => path.replace(/\{\w+\+?\}/g, '*');
  const arns = routes.flatMap((route) =>
    route.instanceIdIn === 'path'
      ? // IAM sees the instance: one ARN per instance; `/*` after it stays within that instance's paths.
        instanceIds.map((id) => api.arnForExecuteApi(route.method, anySegment(route.path.replace('{InstanceId}', id)), STAGE_NAME))
      : // The instance is in the body or inside an ARN: IAM grants the route, the function checks the instance.
        [api.arnForExecuteApi(route.method, anySegment(route.path), STAGE_NAME)],
  );
  return [...new Set(arns)];
}

/**
 * The IAM principal a grantee is, in the form the function derives from the
 * verified caller (`principalOf` in functions/connect-grants.ts): a role or a
 * user by name, whatever its path or session.
 */
function grantPrincipalArn(grantee: iam.IGrantable): string {
  const principal = grantee.grantPrincipal as Partial<iam.IRole & iam.IUser>;
  const arn = principal.roleArn ?? principal.userArn;
  if (!arn) throw new Error('grantConnectInstances needs a grantee that is an IAM role or user (a Lambda function with its role, an iam.Role, an iam.User)');
  const { partition, account } = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  return principal.roleArn ? `arn:${partition}:iam::${account}:role/${principal.roleName}` : `arn:${partition}:iam::${account}:user/${principal.userName}`;
}

/** One of the function's own metrics (functions/metrics.ts), every function together. */
function serviceMetric(metricName: string, period: Duration, statistic = 'Sum', label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, period, statistic, ...(label && { label }) });
}

interface FunctionSpec {
  entry: string;
  handler: string;
  description: string;
  environment: Record<string, string>;
  reservedConcurrentExecutions?: number | undefined;
  /** X-Ray tracing (adds the two X-Ray actions, which take no resource, to the role). */
  tracing: boolean;
  /** What the function may do on the table, on which items. */
  table: { sid: string; actions: readonly string[]; conditions?: Record<string, unknown> };
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
  /** Every grantConnectInstances so far: the HTTP function's CONNECT_INSTANCE_GRANTS. */
  private readonly connectGrantList: ConnectGrant[] = [];
  private readonly memorySize: number;

  constructor(scope: Construct, id: string, props: AgentStatusReasonsStackProps = {}) {
    super(scope, id, { stackName: STACK_NAME, description: 'Agent status reasons: HTTP API + Lambda + DynamoDB', ...props });

    const memorySize = props.memorySize ?? Number(contextString(this, 'memorySize') ?? 512);
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`memorySize must be an integer between 128 and 10240 MB, got ${String(memorySize)}`);
    }
    this.memorySize = memorySize;
    if (LEASE_MS <= FUNCTION_TIMEOUT_SECONDS * 1000) throw new Error('LEASE_MS must exceed the function timeout');
    const externalIssuer = this.externalIssuer(props);
    this.accountClaim = checkClaimName(props.accountClaim ?? contextString(this, 'accountClaim') ?? DEFAULT_ACCOUNT_CLAIM);
    this.resourceServer = props.resourceServer ?? contextString(this, 'resourceServer') ?? (externalIssuer ? undefined : RESOURCE_SERVER_IDENTIFIER);
    const machineClientAccounts = accountList(this, 'machineClients', props.machineClients);
    if (externalIssuer && machineClientAccounts.length) throw new Error('machineClients makes clients in the stack\'s own Cognito pool: it cannot go with jwtIssuer');
    if (machineClientAccounts.length > MAX_MACHINE_CLIENTS) {
      throw new Error(`machineClients: at most ${MAX_MACHINE_CLIENTS} (API Gateway's audiences per JWT authorizer), got ${machineClientAccounts.length}; use your own identity provider beyond that`);
    }
    const httpConcurrency = limit(this, 'httpConcurrency', props.httpConcurrency, DEFAULT_LIMITS.httpConcurrency, { noneAllowed: true });
    const invokeConcurrency = limit(this, 'invokeConcurrency', props.invokeConcurrency, DEFAULT_LIMITS.invokeConcurrency, { noneAllowed: true });
    const apiRateLimit = limit(this, 'apiRateLimit', props.apiRateLimit, DEFAULT_LIMITS.apiRateLimit, { integer: false })!;
    const apiBurstLimit = limit(this, 'apiBurstLimit', props.apiBurstLimit, DEFAULT_LIMITS.apiBurstLimit)!;

    // ---------------------------------------------------------------- table
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      // Idempotency records (K#<key>) carry their expiry here: DynamoDB deletes them, at no cost, after it.
      timeToLiveAttribute: 'ttl',
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encrypted at rest with the AWS managed KMS key aws/dynamodb: no key fee,
      // key use is auditable in CloudTrail, and DynamoDB calls KMS only about once
      // per 5 minutes per caller with active traffic (nothing while idle).
      // cdk-nag does not require a customer managed key (which would cost $1/month).
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ------------------------------------------------------------ functions
    const common = {
      TABLE_NAME: this.table.tableName,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.httpFunction = this.lambdaFunction('HttpFunction', {
      entry: props.entry ?? ENTRIES.http,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons, HTTP: API Gateway events only (LivePerson routes with JWT, Connect routes with IAM)',
      environment: {
        ...common,
        LEASE_MS: String(LEASE_MS),
        [ACCOUNT_CLAIM_ENV]: this.accountClaim,
        ...(this.resourceServer && { [RESOURCE_SERVER_ENV]: this.resourceServer }),
        // Filled in at synth with every grantConnectInstances call: none means no Connect request is allowed.
        [CONNECT_GRANTS_ENV]: Lazy.string({ produce: () => Stack.of(this).toJsonString(this.connectGrantList) }),
      },
      reservedConcurrentExecutions: httpConcurrency,
      tracing: true,
      table: { sid: 'StatusReasonsTable', actions: TABLE_ACTIONS },
    });
    // Construct id kept from the single-function stack: the function direct invokers were given stays the same one.
    this.invokeFunction = this.lambdaFunction('Function', {
      entry: props.entry ?? ENTRIES.invoke,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons, direct invoke: {"action": ..., "accountId": ...} payloads only',
      environment: { ...common, LEASE_MS: String(LEASE_MS) },
      reservedConcurrentExecutions: invokeConcurrency,
      tracing: true,
      table: { sid: 'StatusReasonsTable', actions: TABLE_ACTIONS },
    });

    // --------------------------------------------------------- JWT issuer
    if (externalIssuer) {
      this.jwtIssuer = externalIssuer.issuer;
      this.jwtAudience = externalIssuer.audience;
      this.machineClients = new Map();
    } else {
      const userPool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: false,
        featurePlan: cognito.FeaturePlan.ESSENTIALS,
        // Nobody signs in with a password here (tokens come from the client
        // credentials grant), but if users are ever added they get a strong
        // password policy and mandatory TOTP (TOTP costs nothing; SMS would).
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
        },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: cognito.AccountRecovery.NONE,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const readScope = new cognito.ResourceServerScope({ scopeName: SCOPES.read, scopeDescription: 'Read status reasons' });
      const writeScope = new cognito.ResourceServerScope({
        scopeName: SCOPES.write,
        scopeDescription: 'Create, update and delete status reasons',
      });
      const resourceServer = userPool.addResourceServer('ResourceServer', {
        identifier: this.resourceServer ?? RESOURCE_SERVER_IDENTIFIER,
        userPoolResourceServerName: 'Agent status reasons API',
        scopes: [readScope, writeScope],
      });
      this.userPoolDomain = userPool.addDomain('Domain', {
        cognitoDomain: {
          domainPrefix: props.cognitoDomainPrefix ?? contextString(this, 'cognitoDomainPrefix') ?? `agent-status-reasons-${this.account}`,
        },
      });
      Validations.of(userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'The pool has no human users: it only issues client-credentials (machine-to-machine) tokens. The Plus tier adds threat protection for user sign-ins and is billed per monthly active user, so it would protect nothing here. Essentials is used because it allows access-token customization (the `account` claim) for M2M tokens.',
      });

      // The trigger puts each machine client's account into its tokens (event V3_0: client credentials included).
      // It may read the client items of the table and nothing else.
      const preTokenFunction = this.lambdaFunction('PreTokenGeneration', {
        entry: props.entry ?? ENTRIES.preTokenGeneration,
        handler: props.handler ?? 'handler',
        description: 'Agent status reasons: puts the account of a machine client into its Cognito access tokens',
        environment: { TABLE_NAME: this.table.tableName, POWERTOOLS_SERVICE_NAME: SERVICE_NAME, [ACCOUNT_CLAIM_ENV]: this.accountClaim },
        tracing: false,
        table: { sid: 'MachineClientItems', actions: ['dynamodb:GetItem'], conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CLIENT_PARTITION_PREFIX}*`] } } },
      });
      userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, preTokenFunction, cognito.LambdaVersion.V3_0);

      // One app client per account, allowed the client-credentials grant for both scopes, with its
      // account written to the table (a custom resource: the trigger cannot name the clients in its
      // own configuration, since the pool, which the clients belong to, names the trigger).
      const scopes = [cognito.OAuthScope.resourceServer(resourceServer, readScope), cognito.OAuthScope.resourceServer(resourceServer, writeScope)];
      const clients = new Map<string, cognito.UserPoolClient>();
      for (const account of machineClientAccounts) {
        const client = userPool.addClient(`MachineClient-${account}`, {
          userPoolClientName: `account-${account}`,
          generateSecret: true,
          authFlows: {},
          oAuth: { flows: { clientCredentials: true }, scopes },
          accessTokenValidity: Duration.hours(1),
          preventUserExistenceErrors: true,
        });
        this.registerMachineClient(account, client);
        clients.set(account, client);
      }
      this.machineClients = clients;
      this.preTokenFunction = preTokenFunction;
      this.userPool = userPool;
      this.jwtIssuer = `https://cognito-idp.${this.region}.amazonaws.com/${userPool.userPoolId}`;
      // Cognito access tokens carry no `aud`; API Gateway then matches `client_id` against the audience.
      this.jwtAudience = clients.size ? [...clients.values()].map((c) => c.userPoolClientId) : [NO_CLIENT_AUDIENCE];
    }

    // ------------------------------------------------------------------ API
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'agent-status-reasons',
      description: 'LivePerson status reasons API (JWT) and Amazon Connect agent statuses (IAM)',
      // The $default stage is added below so that it can carry access logging.
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: STAGE_NAME,
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      // Every route, every caller: beyond it API Gateway answers 429 before the function runs.
      throttle: { rateLimit: apiRateLimit, burstLimit: apiBurstLimit },
    });
    // Also the function's resource policy: API Gateway, from this API only.
    const integration = new HttpLambdaIntegration('FunctionIntegration', this.httpFunction);
    const jwtAuthorizer = new HttpJwtAuthorizer('JwtAuthorizer', this.jwtIssuer, {
      jwtAudience: this.jwtAudience,
      identitySource: ['$request.header.Authorization'],
    });
    this.api.addRoutes({ path: STATUS_REASONS_PATH, methods: [HttpMethod.POST, HttpMethod.GET], integration, authorizer: jwtAuthorizer });
    this.api.addRoutes({
      path: STATUS_REASON_PATH,
      methods: [HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.POST],
      integration,
      authorizer: jwtAuthorizer,
    });
    this.connectRoutes = addConnectRoutes(this, { api: this.api, integration, fn: this.httpFunction });

    // --------------------------------------------------------------- alarms
    const alarmEmail = props.alarmEmail ?? contextString(this, 'alarmEmail');
    if (alarmEmail) {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'agent-status-reasons alarms', enforceSSL: true });
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    }
    const period = Duration.minutes(5);
    const apiErrorRate = new cloudwatch.MathExpression({
      label: 'API 5xx rate (%)',
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: {
        errors: this.api.metricServerError({ period, statistic: 'Sum' }),
        requests: this.api.metricCount({ period, statistic: 'Sum' }),
      },
      period,
    });
    const functions = { http: this.httpFunction, invoke: this.invokeFunction, ...(this.preTokenFunction && { trigger: this.preTokenFunction }) };
    /** The sum over the functions of one of their metrics (ids are the keys of `functions`). */
    const overFunctions = (label: string, metricOf: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      new cloudwatch.MathExpression({
        label,
        expression: `SUM([${Object.keys(functions).join(', ')}])`,
        usingMetrics: Object.fromEntries(Object.entries(functions).map(([id, fn]) => [id, metricOf(fn)])),
        period,
      });
    const atLeastOnce = (id: string, metric: cloudwatch.IMetric, alarmDescription: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        alarmDescription,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      atLeastOnce(
        'FunctionErrorsAlarm',
        overFunctions('Function errors', (fn) => fn.metricErrors({ period, statistic: 'Sum' })),
        'A function reported errors (unhandled exceptions or timeouts).',
      ),
      atLeastOnce(
        'FunctionThrottlesAlarm',
        overFunctions('Function throttles', (fn) => fn.metricThrottles({ period, statistic: 'Sum' })),
        'Lambda throttled invocations of a function (its reserved concurrency, or the account\'s, was reached).',
      ),
      apiErrorRate.createAlarm(this, 'Api5xxRateAlarm', {
        alarmDescription: 'More than 5% of API requests answered 5xx over 5 minutes.',
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      atLeastOnce(
        'TableThrottlesAlarm',
        this.table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum' }),
        'DynamoDB throttled requests on the status reasons table.',
      ),
      atLeastOnce(
        'OutcomeUnknownAlarm',
        serviceMetric(METRIC.writesOutcomeUnknown, period),
        'A write ended with its outcome unknown (answered 500 / InternalServiceException / OutcomeUnknown): the caller cannot tell whether it was applied.',
      ),
      atLeastOnce(
        'LeaseTakeoversAlarm',
        serviceMetric(METRIC.leaseTakeovers, period),
        "A write took over an account's lease that its holder had let expire: a writer died or overran its lease.",
      ),
    ];
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }
    this.dashboard = this.buildDashboard(period);

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
   * checks against the verified caller (docs/operations.md, "Per-instance grants on the Connect routes").
   */
  grantConnectInstances(grantee: iam.IGrantable, instanceIds: readonly string[]): iam.Grant {
    if (instanceIds.length === 0) throw new Error('grantConnectInstances needs at least one instance id');
    for (const id of instanceIds) if (!ACCOUNT_ID.test(id)) throw new Error(`grantConnectInstances: instance id ${JSON.stringify(id)} ${ACCOUNT_ID_RULE}`);
    this.connectGrantList.push({ principal: grantPrincipalArn(grantee), instances: [...new Set(instanceIds)] });
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: connectRouteArns(this.api, CONNECT_ROUTES, instanceIds) });
  }

  /** A function of this service with its own log group and role (logs, the table as `spec.table` says, X-Ray when traced). */
  private lambdaFunction(id: string, spec: FunctionSpec): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    // An explicit role instead of the default one: the default attaches the AWS
    // managed AWSLambdaBasicExecutionRole (log writes on every log group, and
    // cdk-nag's IAM4 finding).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `agent-status-reasons ${id}: its log group and the table only`,
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: spec.table.sid, actions: [...spec.table.actions], resources: [this.table.tableArn], ...(spec.table.conditions && { conditions: spec.table.conditions }) }),
    );
    if (spec.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray statement that `tracing: ACTIVE` adds (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource "*": these X-Ray actions do not support resource-level permissions. The DynamoDB and CloudWatch Logs statements name their exact ARNs.',
      });
    }
    return new NodejsFunction(this, id, {
      entry: spec.entry,
      handler: spec.handler,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: this.memorySize,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
      role,
      logGroup,
      ...(spec.tracing && { tracing: lambda.Tracing.ACTIVE }),
      ...(spec.reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions: spec.reservedConcurrentExecutions }),
      description: spec.description,
      environment: spec.environment,
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // Bundle everything, the AWS SDK included, so the deployed code runs
        // the versions package-lock.json pins rather than the runtime's copy.
        externalModules: [],
        // CommonJS dependencies inside an ES module bundle still call require().
        banner: "import { createRequire as __asrCreateRequire } from 'node:module'; const require = __asrCreateRequire(import.meta.url);",
      },
    });
  }

  /**
   * The role and log group of the custom resources' function (one for all of them):
   * its own log group only, instead of the AWS managed AWSLambdaBasicExecutionRole.
   */
  private machineClientWriter?: { role: iam.Role; logGroup: logs.LogGroup };

  /** Writes the table item that tells the pre-token trigger which account a machine client acts for (removed with the client). */
  private registerMachineClient(account: string, client: cognito.UserPoolClient): void {
    if (!this.machineClientWriter) {
      const logGroup = new logs.LogGroup(this, 'MachineClientWriterLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
      const role = new iam.Role(this, 'MachineClientWriterRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: 'agent-status-reasons: writes the machine clients\' account items at deploy time',
      });
      logGroup.grantWrite(role);
      this.machineClientWriter = { role, logGroup };
    }
    const { pk, sk } = clientKey(client.userPoolClientId);
    const key = { pk: { S: pk }, sk: { S: sk } };
    const put = {
      service: 'DynamoDB',
      action: 'putItem',
      parameters: { TableName: this.table.tableName, Item: { ...key, [CLIENT_ACCOUNT_ATTRIBUTE]: { S: account } } },
      physicalResourceId: PhysicalResourceId.of(pk),
    };
    new AwsCustomResource(this, `MachineClientAccount-${account}`, {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'DynamoDB', action: 'deleteItem', parameters: { TableName: this.table.tableName, Key: key } },
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CLIENT_PARTITION_PREFIX}*`] } },
        }),
      ]),
      role: this.machineClientWriter.role,
      logGroup: this.machineClientWriter.logGroup,
      installLatestAwsSdk: false,
    });
  }

  /** The operators' dashboard: write outcomes, the store's leases and retries, the functions, the API and the table. */
  private buildDashboard(period: Duration): cloudwatch.Dashboard {
    const metric = (name: string, label: string, statistic = 'Sum') => serviceMetric(name, period, statistic, label);
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...options });
    const perFunction = (of: (fn: lambda.IFunction) => cloudwatch.Metric, label: string) =>
      [this.httpFunction, this.invokeFunction, ...(this.preTokenFunction ? [this.preTokenFunction] : [])].map((fn, i) =>
        of(fn).with({ label: `${['HTTP', 'invoke', 'pre-token'][i]} ${label}`, period }),
      );
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      graph('Writes: applied and unknown outcomes', [metric(METRIC.writesApplied, 'applied'), metric(METRIC.writesOutcomeUnknown, 'outcome unknown (500)'), metric(METRIC.idempotentReplays, 'idempotent replays')]),
      graph('Writes refused, by kind (nothing written)', Object.entries(WRITES_REFUSED).map(([kind, name]) => metric(name, kind)), { stacked: true }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8, height: 6 }),
    );
    dashboard.addWidgets(
      graph('Wait for an account\'s lease (ms)', ['p50', 'p99', 'Maximum'].map((statistic) => metric(METRIC.leaseWaitMs, `lease wait ${statistic}`, statistic))),
      graph('Leases: takeovers, give-ups, full queues', [metric(METRIC.leaseTakeovers, 'taken over'), metric(METRIC.leaseWaitGaveUp, 'gave up waiting'), metric(METRIC.leaseQueueFull, 'queue full (429)')]),
      graph('DynamoDB calls sent again, by cause', [...Object.entries(STORE_RETRIES).map(([cause, name]) => metric(name, cause)), metric(METRIC.lostAnswersRecovered, 'lost answers recovered')], { stacked: true }),
    );
    dashboard.addWidgets(
      graph('Invocations, errors, throttles', [
        ...perFunction((fn) => fn.metricInvocations({ statistic: 'Sum' }), 'invocations'),
        ...perFunction((fn) => fn.metricErrors({ statistic: 'Sum' }), 'errors'),
        ...perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' }), 'throttles'),
      ]),
      graph('Concurrent executions (max) against the reservations', perFunction((fn) => fn.metric('ConcurrentExecutions', { statistic: 'Maximum' }), 'concurrency')),
      graph('Duration p99 (ms)', perFunction((fn) => fn.metricDuration({ statistic: 'p99' }), 'p99')),
    );
    dashboard.addWidgets(
      graph('API requests and errors', [
        this.api.metricCount({ period, statistic: 'Sum', label: 'requests' }),
        this.api.metricClientError({ period, label: '4xx (429: throttled)' }),
        this.api.metricServerError({ period, label: '5xx' }),
      ]),
      graph('API latency (ms)', [this.api.metricLatency({ period, statistic: 'p50', label: 'p50' }), this.api.metricLatency({ period, statistic: 'p99', label: 'p99' })]),
      graph('Table: throttled requests', [this.table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum', label: 'throttled' })]),
    );
    return dashboard;
  }
}
