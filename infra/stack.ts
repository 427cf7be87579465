// The AWS deployment of the agent status reasons service (GitHub issue 5):
// one HTTP API (JWT-authorized LivePerson routes, IAM-authorized Connect route),
// one Lambda function, one DynamoDB table, alarms, and — when no external
// issuer is configured — a Cognito user pool that issues the JWTs.
//
// The stack is importable without the app (infra/app.ts) so tests can build it
// in their own App.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
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
import type { Construct } from 'constructs';
import { addConnectRoutes } from './connect-routes.js';

/** The repository root (this file lives in `<root>/infra/`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda entry the deployed function bundles. */
export const DEFAULT_ENTRY = path.join(PROJECT_ROOT, 'functions', 'handler.ts');

export const STACK_NAME = 'AgentStatusReasons';

/**
 * The only DynamoDB actions the function's role holds, all on this stack's
 * table ARN: exactly what functions/store/dynamo-store.ts calls. TransactWriteItems
 * has no IAM action of its own: it is authorized by the actions of the items in
 * it (the store's transaction is one Update and one Put). Adjust with the store;
 * the tests read this list.
 */
export const TABLE_ACTIONS = [
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'dynamodb:PutItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:BatchGetItem',
] as const;

/**
 * The DynamoDB operations the store calls, whose throttles the table alarm sums
 * (each one is a metric the alarm is billed for).
 */
export const THROTTLE_ALARM_OPERATIONS = [
  dynamodb.Operation.QUERY,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
];

export const STATUS_REASONS_PATH = '/api/account/{accountId}/configuration/le-agents/status-reasons';
export const STATUS_REASON_PATH = `${STATUS_REASONS_PATH}/{statusReasonId}`;
export const CONNECT_PATH = '/agent-status/{InstanceId}';

/** Scopes of the Cognito resource server (tokens carry them as `<identifier>/<scope>`). */
export const RESOURCE_SERVER_IDENTIFIER = 'agent-status-reasons';
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

export interface AgentStatusReasonsStackProps extends StackProps {
  /** Lambda entry file; defaults to `functions/handler.ts`. */
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
}

function contextString(scope: Construct, key: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

export class AgentStatusReasonsStack extends Stack {
  readonly table: dynamodb.TableV2;
  readonly fn: NodejsFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly connectRoutes: HttpRoute[];
  readonly alarms: cloudwatch.Alarm[];
  readonly alarmTopic?: sns.Topic;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  readonly userPoolDomain?: cognito.UserPoolDomain;
  readonly jwtIssuer: string;
  readonly jwtAudience: string[];

  constructor(scope: Construct, id: string, props: AgentStatusReasonsStackProps = {}) {
    super(scope, id, { stackName: STACK_NAME, description: 'Agent status reasons: HTTP API + Lambda + DynamoDB', ...props });

    const memorySize = props.memorySize ?? Number(contextString(this, 'memorySize') ?? 512);
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`memorySize must be an integer between 128 and 10240 MB, got ${String(memorySize)}`);
    }
    if (LEASE_MS <= FUNCTION_TIMEOUT_SECONDS * 1000) throw new Error('LEASE_MS must exceed the function timeout');
    const externalIssuer = this.externalIssuer(props);

    // ---------------------------------------------------------------- table
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
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

    // ------------------------------------------------------------- function
    const functionLogGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default one: the default attaches the AWS
    // managed AWSLambdaBasicExecutionRole (log writes on every log group, and
    // cdk-nag's IAM4 finding).
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'agent-status-reasons function: its log group and its table only',
    });
    functionLogGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StatusReasonsTable',
        actions: [...TABLE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry ?? DEFAULT_ENTRY,
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
      role,
      logGroup: functionLogGroup,
      tracing: lambda.Tracing.ACTIVE,
      description: 'Agent status reasons: LivePerson status reasons API, Connect CreateAgentStatus, direct invoke',
      environment: {
        TABLE_NAME: this.table.tableName,
        POWERTOOLS_SERVICE_NAME: 'agent-status-reasons',
        NODE_OPTIONS: '--enable-source-maps',
        LEASE_MS: String(LEASE_MS),
      },
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

    // --------------------------------------------------------- JWT issuer
    if (externalIssuer) {
      this.jwtIssuer = externalIssuer.issuer;
      this.jwtAudience = externalIssuer.audience;
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
        identifier: RESOURCE_SERVER_IDENTIFIER,
        userPoolResourceServerName: 'Agent status reasons API',
        scopes: [readScope, writeScope],
      });
      const client = userPool.addClient('AppClient', {
        userPoolClientName: 'agent-status-reasons',
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: [cognito.OAuthScope.resourceServer(resourceServer, readScope), cognito.OAuthScope.resourceServer(resourceServer, writeScope)],
        },
        accessTokenValidity: Duration.hours(1),
        preventUserExistenceErrors: true,
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
      this.userPool = userPool;
      this.userPoolClient = client;
      this.jwtIssuer = `https://cognito-idp.${this.region}.amazonaws.com/${userPool.userPoolId}`;
      // Cognito access tokens carry no `aud`; API Gateway then matches `client_id` against the audience.
      this.jwtAudience = [client.userPoolClientId];
    }

    // ------------------------------------------------------------------ API
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'agent-status-reasons',
      description: 'LivePerson status reasons API (JWT) and Amazon Connect CreateAgentStatus (IAM)',
      // The $default stage is added below so that it can carry access logging.
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const integration = new HttpLambdaIntegration('FunctionIntegration', this.fn);
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
    this.connectRoutes = addConnectRoutes(this, { api: this.api, integration, fn: this.fn });

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
    this.alarms = [
      this.fn.metricErrors({ period, statistic: 'Sum' }).createAlarm(this, 'FunctionErrorsAlarm', {
        alarmDescription: 'The function reported errors (unhandled exceptions or timeouts).',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      this.fn.metricThrottles({ period, statistic: 'Sum' }).createAlarm(this, 'FunctionThrottlesAlarm', {
        alarmDescription: 'Lambda throttled invocations of the function (concurrency limit reached).',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      apiErrorRate.createAlarm(this, 'Api5xxRateAlarm', {
        alarmDescription: 'More than 5% of API requests answered 5xx over 5 minutes.',
        threshold: 5,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'TableThrottlesAlarm', {
        metric: this.table.metricThrottledRequestsForOperations({ operations: THROTTLE_ALARM_OPERATIONS, period, statistic: 'Sum' }),
        alarmDescription: 'DynamoDB throttled requests on the status reasons table.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      for (const alarm of this.alarms) alarm.addAlarmAction(action);
    }

    // -------------------------------------------------------------- outputs
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the HTTP API ($default stage)' });
    new CfnOutput(this, 'FunctionName', { value: this.fn.functionName });
    new CfnOutput(this, 'FunctionArn', {
      value: this.fn.functionArn,
      description: 'For direct invokers (lambda:InvokeFunction)',
      exportName: `${STACK_NAME}-FunctionArn`,
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    if (this.userPool && this.userPoolClient && this.userPoolDomain) {
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
      new CfnOutput(this, 'TokenEndpoint', {
        value: `${this.userPoolDomain.baseUrl()}/oauth2/token`,
        description: 'Cognito OAuth 2.0 token endpoint (client credentials grant)',
      });
    }

    // ------------------------------------------------------- cdk-nag notes
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement that `tracing: ACTIVE` adds (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource "*": these X-Ray actions do not support resource-level permissions. The DynamoDB and CloudWatch Logs statements name their exact ARNs.',
    });
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

  /** Lets another principal (a Lambda's role, a user, a role) call the function directly (lambda:InvokeFunction on this function only). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.fn.grantInvoke(grantee);
  }

  /** Lets a principal call the IAM-authorized Connect routes (`CONNECT_ROUTES`; execute-api:Invoke on those routes only). */
  grantConnectRouteInvoke(grantee: iam.IGrantable): iam.Grant[] {
    return this.connectRoutes.map((route) => route.grantInvoke(grantee));
  }
}
