// The AWS deployment of the agent status reasons service, composed of
// constructs (infra/constructs/): Data (the DynamoDB table and its stream),
// Functions (the HTTP and direct-invoke functions), Events (the change events'
// bus and the publisher fed by the table's stream), Identity (an external JWT
// issuer, or a Cognito user pool with a pre-token trigger, whose tokens the
// TenantAuthorizer checks: tenants are CLIENT# items, registered by
// `npm run tenants`), Api (the HTTP API, its routes, the throttled stage),
// Observability (alarms, their topic, the dashboard) and, with `console=true`,
// Console (the admin page on CloudFront, the API at /api/*).
// This file reads the settings, wires the constructs and writes the outputs.
//
// The constructs are FlatScopes: they do not appear in their resources'
// logical ids, which stay the ones the single-scope stack had (a deploy over
// an older stack replaces nothing; see infra/constructs/flat-logical-ids.ts).
//
// The stack is importable without the app (infra/app.ts) so tests can build it
// in their own App.
import path from 'node:path';
import { CfnOutput, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type { HttpApi, HttpRoute, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { CONNECT_CATCH_ALL_ROUTES, CONNECT_ROUTES } from '../functions/adapters/connect/routes.js';
import { ACCOUNT_ID, ACCOUNT_ID_RULE } from '../functions/domain/status-reason.js';
import { Api, connectRouteArns, grantPrincipalArn, jwtAuthorizer } from './constructs/api.js';
import { TenantAuthorizer } from './constructs/authorizer.js';
import { ConnectGrantItems } from './constructs/connect-grants.js';
import { Data } from './constructs/data.js';
import { Events } from './constructs/events.js';
import { LogicalIdRegistry } from './constructs/flat-logical-ids.js';
import { Functions, PROJECT_ROOT } from './constructs/functions.js';
import { Console, builtConsoleDir } from './constructs/console.js';
import { Identity, RESOURCE_SERVER_IDENTIFIER } from './constructs/identity.js';
import { Observability } from './constructs/observability.js';
import { serviceNameFor } from '../functions/platform/metric-names.js';
import { readSettings, readStage, type Settings } from './settings.js';

export { ACCESS_LOG_FIELDS, CONNECT_PATH, STAGE_NAME, STATUS_REASON_PATH, STATUS_REASONS_PATH, connectRouteArns } from './constructs/api.js';
export { THROTTLE_ALARM_OPERATIONS } from './constructs/data.js';
export { ENTRIES, FUNCTION_TIMEOUT_SECONDS, LEASE_MS, PROJECT_ROOT, TABLE_ACTIONS } from './constructs/functions.js';
export { MAX_MACHINE_CLIENTS, RESOURCE_SERVER_IDENTIFIER, SCOPES } from './constructs/identity.js';
export { AUTHORIZER_CACHE_SECONDS } from './constructs/authorizer.js';

export { DEFAULT_LIMITS, SettingError } from './settings.js';

/** The stack's name without a stage; with one, `<stage>-AgentStatusReasons`. */
export const STACK_NAME = 'AgentStatusReasons';

/** The stack name (and export prefix) of a stage: two stages live side by side in one account and region. */
export const stackNameFor = (stage: string | undefined): string => (stage ? `${stage}-${STACK_NAME}` : STACK_NAME);

/** The default Cognito domain prefix (globally unique per region, hence the account). */
export const defaultDomainPrefix = (stage: string | undefined, account: string): string => `${stage ? `${stage}-` : ''}agent-status-reasons-${account}`;

/**
 * Every setting is also a context key of the same name (`-c key=value`; lists
 * comma-separated); props win over context. infra/settings.ts checks them all
 * at synth (SETTING_RULES states each rule) and refuses unknown context keys.
 */
export interface AgentStatusReasonsStackProps extends StackProps {
  /** Stage name (context `stage`): prefixes the stack name, its exports and the Cognito domain; none: `AgentStatusReasons`. */
  readonly stage?: string;
  /** An existing SNS topic the alarms notify (context `alarmTopicArn`); without it the stack makes one. */
  readonly alarmTopicArn?: string;
  /** The account's Lambda concurrency quota in this region (context `lambdaConcurrencyQuota`, default 1000): bounds the reservations. */
  readonly lambdaConcurrencyQuota?: number;
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
  /** Days an account's change history keeps entries; defaults to context `historyMaxAgeDays`, else 35. */
  readonly historyMaxAgeDays?: number;
  /** Stored (gzip'd) bytes of an account's change history to keep; defaults to context `historyMaxBytes`, else 16 MiB. */
  readonly historyMaxBytes?: number;
  /** Email subscribed to the alarm topic (context `alarmEmail`); optional. */
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
  /** Serve the admin console (context `console=true`): S3 + CloudFront with the API at `/api/*`; with the own pool, its app client too. */
  readonly console?: boolean;
  /** The console's OIDC client id at jwtIssuer (context `consoleClientId`): required with console and jwtIssuer. */
  readonly consoleClientId?: string;
  /** A custom domain name for the HTTP API (context `apiDomainName`), with `apiCertificateArn`: an ACM certificate in the stack's region. */
  readonly apiDomainName?: string;
  /** The ACM certificate of apiDomainName (context `apiCertificateArn`). */
  readonly apiCertificateArn?: string;
  /** The Route 53 hosted zone to write apiDomainName's alias record into (context `apiHostedZoneId`). */
  readonly apiHostedZoneId?: string;
  /** Answer only at apiDomainName (context `disableExecuteApiEndpoint=true`). */
  readonly disableExecuteApiEndpoint?: boolean;
  /** The built page to upload (default: web/dist when `npm run console:build` has made it; otherwise only /config.json is deployed). */
  readonly consoleSiteDir?: string;
  // terminationProtection (context `terminationProtection=true`) is StackProps'.
}

export class AgentStatusReasonsStack extends Stack {
  readonly table: dynamodb.TableV2;
  /** Answers API Gateway's events; only this stack's API may invoke it. */
  readonly httpFunction: NodejsFunction;
  /** Answers direct invokes; what `grantInvoke` grants. */
  readonly invokeFunction: NodejsFunction;
  /** Cognito's pre-token-generation trigger (only with the stack's own pool). */
  readonly preTokenFunction?: NodejsFunction;
  /** API Gateway's Lambda authorizer of the LivePerson routes (only with the stack's own pool). */
  readonly authorizerFunction?: NodejsFunction;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly connectRoutes: HttpRoute[];
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** What every alarm notifies: the stack's topic, or the one alarmTopicArn names. */
  readonly alarmTopic: sns.ITopic;
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
  /** The admin console, when `console` is on. */
  readonly console?: Console;
  /** The change events' bus, publisher and dead-letter queue. */
  readonly events: Events;
  /** The checked settings (infra/settings.ts). */
  readonly settings: Settings;
  private readonly logicalIds = new LogicalIdRegistry();
  /** The stack's grants as table items, made at the first grantConnectInstances. */
  private connectGrantItems?: ConnectGrantItems;

  constructor(scope: Construct, id: string, props: AgentStatusReasonsStackProps = {}) {
    const stage = readStage(scope, props.stage);
    super(scope, id, { stackName: stackNameFor(stage), description: 'Agent status reasons: HTTP API + Lambda + DynamoDB', ...props });
    const settings = readSettings(this, { ...props, stage, terminationProtection: props.terminationProtection });
    this.settings = settings;
    this.terminationProtection = settings.terminationProtection;
    this.accountClaim = settings.accountClaim;
    this.resourceServer = settings.resourceServer ?? (settings.externalIssuer ? undefined : RESOURCE_SERVER_IDENTIFIER);
    const memorySize = settings.memorySize;
    const serviceName = serviceNameFor(stage);

    this.data = new Data(this, 'Data');
    this.table = this.data.table;

    this.functions = new Functions(this, 'Functions', {
      table: this.table,
      entry: props.entry,
      handler: props.handler,
      memorySize,
      httpConcurrency: settings.httpConcurrency,
      invokeConcurrency: settings.invokeConcurrency,
      accountClaim: this.accountClaim,
      resourceServer: this.resourceServer,
      serviceName,
      history: settings.history,
    });
    this.httpFunction = this.functions.httpFunction;
    this.invokeFunction = this.functions.invokeFunction;

    this.events = new Events(this, 'Events', { table: this.table, memorySize, ...(props.entry && { entry: props.entry }), ...(props.handler && { handler: props.handler }) });

    this.identity = new Identity(this, 'Identity', {
      table: this.table,
      externalIssuer: settings.externalIssuer,
      accountClaim: this.accountClaim,
      resourceServer: this.resourceServer,
      cognitoDomainPrefix: settings.cognitoDomainPrefix ?? defaultDomainPrefix(stage, this.account),
      machineClients: settings.machineClients,
      entry: props.entry,
      handler: props.handler,
      memorySize,
      consoleClient: settings.console !== undefined && !settings.externalIssuer,
      serviceName,
    });
    this.jwtIssuer = this.identity.jwtIssuer;
    this.jwtAudience = this.identity.jwtAudience;
    this.machineClients = this.identity.machineClients;
    this.userPool = this.identity.userPool;
    this.userPoolDomain = this.identity.userPoolDomain;
    this.preTokenFunction = this.identity.preTokenFunction;

    // An operator's own issuer: API Gateway's JWT authorizer (its audiences are the operator's, not one per
    // tenant). The stack's pool: the Lambda authorizer, which knows tenants by their CLIENT# items.
    let authorizer;
    if (settings.externalIssuer) {
      authorizer = jwtAuthorizer(this.jwtIssuer, this.jwtAudience);
    } else {
      const tenants = new TenantAuthorizer(this, 'TenantAuthorizer', {
        table: this.table,
        issuer: this.jwtIssuer,
        accountClaim: this.accountClaim,
        resourceServer: this.resourceServer,
        entry: props.entry,
        handler: props.handler,
        memorySize,
        serviceName,
      });
      this.authorizerFunction = tenants.function;
      authorizer = tenants.authorizer;
    }

    this.httpApi = new Api(this, 'Api', {
      handler: this.httpFunction,
      authorizer,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
      ...(settings.apiDomain && { customDomain: settings.apiDomain }),
    });
    this.api = this.httpApi.api;
    this.stage = this.httpApi.stage;
    this.connectRoutes = this.httpApi.connectRoutes;

    if (settings.console) {
      const scopePrefix = this.resourceServer ? `${this.resourceServer}/` : '';
      const ownPool = this.userPoolDomain && this.identity.consoleClient;
      this.console = new Console(this, 'Console', {
        // With the execute-api endpoint disabled, that is the custom domain (it must resolve).
        apiHost: this.httpApi.host,
        config: {
          signIn: 'oidc',
          authority: this.jwtIssuer,
          clientId: ownPool ? this.identity.consoleClient!.userPoolClientId : settings.console.clientId,
          scope: `openid ${scopePrefix}status-reasons:read ${scopePrefix}status-reasons:write`,
          accountClaim: this.accountClaim,
          // Cognito's /logout ends its hosted session too; another provider's sign-out is its own.
          ...(ownPool && { signOutUrl: `${this.userPoolDomain!.baseUrl()}/logout` }),
        },
        connectSources: ownPool ? [`https://cognito-idp.${this.region}.${this.urlSuffix}`, this.userPoolDomain!.baseUrl()] : [new URL(this.jwtIssuer).origin],
        siteDir: props.consoleSiteDir ?? builtConsoleDir(path.join(PROJECT_ROOT, 'web', 'dist')),
      });
      if (ownPool) this.identity.setConsoleUrl(this.console.url);
    }

    this.observability = new Observability(this, 'Observability', {
      api: this.api,
      accessLogs: this.httpApi.accessLogs,
      table: this.table,
      functions: {
        http: { fn: this.httpFunction, label: 'HTTP', timeout: this.httpFunction.timeout!, reservedConcurrency: settings.httpConcurrency },
        invoke: { fn: this.invokeFunction, label: 'invoke', timeout: this.invokeFunction.timeout!, reservedConcurrency: settings.invokeConcurrency },
        ...(this.preTokenFunction && { trigger: { fn: this.preTokenFunction, label: 'pre-token', timeout: this.preTokenFunction.timeout! } }),
        events: { fn: this.events.publisher, label: 'change events', timeout: this.events.publisher.timeout! },
        ...(this.authorizerFunction && { authorizer: { fn: this.authorizerFunction, label: 'authorizer', timeout: this.authorizerFunction.timeout! } }),
      },
      changeEvents: { publisher: this.events.publisher, deadLetterQueue: this.events.deadLetterQueue },
      serviceName,
      alarmTopicArn: settings.alarmTopicArn,
      alarmEmail: settings.alarmEmail,
    });
    this.alarms = this.observability.alarms;
    this.dashboard = this.observability.dashboard;
    this.alarmTopic = this.observability.alarmTopic;

    // -------------------------------------------------------------- outputs
    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.url,
      description: settings.apiDomain?.disableExecuteApiEndpoint ? 'Base URL of the HTTP API: its custom domain (the execute-api URL is disabled)' : 'Base URL of the HTTP API ($default stage)',
    });
    if (this.httpApi.domainName) {
      new CfnOutput(this, 'ApiCustomUrl', { value: this.httpApi.customUrl!, description: "The HTTP API's custom domain, mapped to its $default stage" });
      new CfnOutput(this, 'ApiDomainTarget', {
        value: this.httpApi.domainName.regionalDomainName,
        description: settings.apiDomain!.hostedZoneId
          ? 'Where the alias record the stack wrote points the custom domain'
          : 'Point the custom domain at this name (a CNAME, or a Route 53 alias A record) in your DNS',
      });
    }
    new CfnOutput(this, 'FunctionName', { value: this.invokeFunction.functionName, description: 'The direct-invoke function' });
    new CfnOutput(this, 'FunctionArn', {
      value: this.invokeFunction.functionArn,
      description: 'The direct-invoke function, for direct invokers (lambda:InvokeFunction)',
      exportName: `${this.stackName}-FunctionArn`,
    });
    if (this.console) {
      new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The admin console (sign in with a user of the pool, or of your identity provider)' });
      if (this.identity.consoleClient) new CfnOutput(this, 'ConsoleClientId', { value: this.identity.consoleClient.userPoolClientId, description: "The console's public Cognito app client (authorization code + PKCE)" });
    }
    new CfnOutput(this, 'HttpFunctionName', { value: this.httpFunction.functionName, description: 'The function behind the API (only the API may invoke it)' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ChangeEventBusName', {
      value: this.events.bus.eventBusName,
      description: 'The EventBridge bus of change events (source agent-status-reasons, detail-type "Status reasons changed"): add your rules here',
    });
    new CfnOutput(this, 'NextTokenSecretName', {
      value: this.httpApi.nextTokenSecret.secretName,
      description: 'The Secrets Manager secret whose value seals Connect NextTokens; rotate with put-secret-value (read at run time: no deploy; tokens sealed with the previous value keep opening)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'The SNS topic every alarm notifies (subscribe your pager or chat to it)' });
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

  /** Lets another principal (a Lambda's role, a user, a role) call the direct-invoke function (lambda:InvokeFunction on it only). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.invokeFunction.grantInvoke(grantee);
  }

  /**
   * Lets a role or user use the Connect routes for these instances (accounts) and
   * no others: `execute-api:Invoke` on the Connect routes and their catch-alls
   * (the same seven ARNs whatever the instances, so the grantee's policy does
   * not grow with them),
   * and a `GRANT#<principal>` item in the table naming the instances, which
   * the HTTP function checks every Connect request against. Grants made with
   * `npm run tenants -- grant` need no deploy; the grantee still needs this
   * IAM grant (`grantConnectRoutes`) or an equivalent policy of its own.
   */
  grantConnectInstances(grantee: iam.IGrantable, instanceIds: readonly string[]): iam.Grant {
    if (instanceIds.length === 0) throw new Error('grantConnectInstances needs at least one instance id');
    for (const id of instanceIds) if (!ACCOUNT_ID.test(id)) throw new Error(`grantConnectInstances: instance id ${JSON.stringify(id)} ${ACCOUNT_ID_RULE}`);
    this.connectGrantItems ??= new ConnectGrantItems(this, 'ConnectGrants', { table: this.table });
    this.connectGrantItems.add(grantPrincipalArn(grantee), [...new Set(instanceIds)]);
    return this.grantConnectRoutes(grantee);
  }

  /**
   * `execute-api:Invoke` on every Connect route, any instance, and on their
   * catch-alls (a path no operation has is then the function's 404, not IAM's
   * 403): what a principal whose instances are granted in the table
   * (`npm run tenants -- grant`) needs from IAM. The function's check decides the instances.
   */
  grantConnectRoutes(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: connectRouteArns(this.api, [...CONNECT_ROUTES, ...CONNECT_CATCH_ALL_ROUTES], ['*']) });
  }
}
