// Who may call the LivePerson routes: either an external identity provider
// (issuer and audiences given: API Gateway's JWT authorizer checks them), or a
// Cognito user pool this construct makes, with a pre-token-generation trigger
// that puts the account into access tokens (the stack's Lambda authorizer,
// infra/constructs/authorizer.ts, checks those). Tenants' machine clients are
// registered with `npm run tenants` (no deploy); the `machineClients` setting
// still makes a few in the stack. The pool also holds the admin console's
// users: each carries its account in `custom:account` (only an administrator
// sets it), the writers' group grants the write scope, and, when the stack
// serves the console, a public app client signs them in (code + PKCE).
import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { CLIENT_ACCOUNT_ATTRIBUTE, CLIENT_PARTITION_PREFIX, clientKey } from '../../functions/platform/machine-clients.js';
import { DEFAULT_WRITER_GROUP, USER_ACCOUNT_ATTRIBUTE_NAME, WRITER_GROUP_ENV } from '../../functions/platform/cognito-pool.js';
import { ACCOUNT_CLAIM_ENV, DEFAULT_RESOURCE_SERVER, RESOURCE_SERVER_ENV } from '../../functions/platform/http/middlewares/jwt-claims.js';
import { SERVICE_NAME } from '../../functions/platform/metric-names.js';
import { FlatScope } from './flat-logical-ids.js';
import { ENTRIES, serviceFunction, type ServiceFunctionSpec } from './functions.js';

/** Scopes of the Cognito resource server (tokens carry them as `<identifier>/<scope>`). */
export const RESOURCE_SERVER_IDENTIFIER = DEFAULT_RESOURCE_SERVER;
export const SCOPES = { read: 'status-reasons:read', write: 'status-reasons:write' } as const;

/**
 * At most this many machine clients made by the stack (`machineClients`: two
 * template resources each). Tenants beyond, or instead, are registered with
 * `npm run tenants`, which needs no deploy and has no such bound.
 */
export const MAX_MACHINE_CLIENTS = 50;

/** Cognito gives a Lambda trigger 5 seconds (and retries up to 3 times) before it fails the token request. */
export const PRE_TOKEN_TIMEOUT_SECONDS = 5;

/**
 * The JWT authorizer's audience while the pool has no machine client: a value
 * no Cognito access token carries as `client_id`, so that no token passes.
 */
export const NO_CLIENT_AUDIENCE = 'no-machine-client-registered';

/** An IAM condition that lets a table statement reach only the machine clients' `CLIENT#` items. */
export const CLIENT_ITEMS_ONLY = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CLIENT_PARTITION_PREFIX}*`] } };

/** What the functions that look up a machine client's account (the pre-token trigger, the Lambda authorizer) may do on the table. */
export const readsClientItems = (table: dynamodb.ITableV2): ServiceFunctionSpec['table'] => ({ table, sid: 'MachineClientItems', actions: ['dynamodb:GetItem'], conditions: CLIENT_ITEMS_ONLY });

/** The group whose members keep the write scope in their console tokens. */
export const WRITER_GROUP = DEFAULT_WRITER_GROUP;

export interface IdentityProps {
  /** The service's table: the machine clients' account items live there. */
  readonly table: dynamodb.ITableV2;
  /** An external issuer and its audiences; when given, no Cognito pool is made and the other settings but accountClaim are unused. */
  readonly externalIssuer?: { readonly issuer: string; readonly audience: readonly string[] };
  /** The claim the trigger writes the account into. */
  readonly accountClaim: string;
  /** The pool's resource server identifier; defaults to `agent-status-reasons`. */
  readonly resourceServer?: string;
  /** Domain prefix of the Cognito hosted token endpoint. */
  readonly cognitoDomainPrefix: string;
  /** Accounts that get a machine client (checked: account ids, no repeats, at most MAX_MACHINE_CLIENTS). */
  readonly machineClients: readonly string[];
  /** The trigger's entry file and handler (tests bundle a fixture); default to ENTRIES.preTokenGeneration and `handler`. */
  readonly entry?: string;
  readonly handler?: string;
  /** The trigger's memory in MB. */
  readonly memorySize: number;
  /** Make a public app client for the admin console (its callback URL is set later with `setConsoleUrl`). */
  readonly consoleClient?: boolean;
  /** Powertools' `service` dimension (the stage's); defaults to SERVICE_NAME. */
  readonly serviceName?: string;
}

/** The issuer (and, for an external one, the audiences) the API's authorizer checks, and the Cognito resources behind it when the stack issues tokens itself. */
export class Identity extends FlatScope {
  readonly jwtIssuer: string;
  /** The external issuer's audiences; empty with the stack's pool. */
  readonly jwtAudience: string[];
  readonly userPool?: cognito.UserPool;
  readonly userPoolDomain?: cognito.UserPoolDomain;
  /** Cognito's pre-token-generation trigger (only with the stack's own pool). */
  readonly preTokenFunction?: NodejsFunction;
  /** One app client per account in `machineClients`, by account. */
  readonly machineClients: ReadonlyMap<string, cognito.UserPoolClient>;
  /** The admin console's public app client (authorization code + PKCE, no secret), when asked for. */
  readonly consoleClient?: cognito.UserPoolClient;
  /** The resource server's scopes as tokens carry them (`<identifier>/status-reasons:read`, …). */
  readonly scopeNames: { readonly read: string; readonly write: string };
  private consoleUrl?: string;
  /** The role and log group of the custom resources' function (one for all clients). */
  private machineClientWriter?: { role: iam.Role; logGroup: logs.LogGroup };
  private readonly table: dynamodb.ITableV2;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    this.table = props.table;
    const identifier = props.resourceServer ?? RESOURCE_SERVER_IDENTIFIER;
    this.scopeNames = { read: `${identifier}/${SCOPES.read}`, write: `${identifier}/${SCOPES.write}` };
    if (props.externalIssuer) {
      if (props.machineClients.length) throw new Error("machineClients makes clients in the stack's own Cognito pool: it cannot go with jwtIssuer");
      this.jwtIssuer = props.externalIssuer.issuer;
      this.jwtAudience = [...props.externalIssuer.audience];
      this.machineClients = new Map();
      return;
    }
    if (props.consoleClient && props.machineClients.length >= MAX_MACHINE_CLIENTS) {
      throw new Error(`machineClients: at most ${MAX_MACHINE_CLIENTS - 1} with the console (its app client takes one of API Gateway's ${MAX_MACHINE_CLIENTS} audiences per JWT authorizer), got ${props.machineClients.length}`);
    }
    if (props.machineClients.length > MAX_MACHINE_CLIENTS) {
      throw new Error(`machineClients: at most ${MAX_MACHINE_CLIENTS}, got ${props.machineClients.length}; register tenants with npm run tenants instead (no deploy, no bound)`);
    }
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
      // The console's users: an administrator sets each one's account (app clients may read it, never write it).
      // Only with the console, so that a stack without it deploys the pool exactly as before.
      ...(props.consoleClient && { customAttributes: { [USER_ACCOUNT_ATTRIBUTE_NAME]: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) } }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.consoleClient) {
      new cognito.CfnUserPoolGroup(this, 'WritersGroup', {
        userPoolId: userPool.userPoolId,
        groupName: WRITER_GROUP,
        description: 'Admin console users who may change status reasons (others read only)',
      });
    }
    const readScope = new cognito.ResourceServerScope({ scopeName: SCOPES.read, scopeDescription: 'Read status reasons' });
    const writeScope = new cognito.ResourceServerScope({
      scopeName: SCOPES.write,
      scopeDescription: 'Create, update and delete status reasons',
    });
    const resourceServer = userPool.addResourceServer('ResourceServer', {
      identifier: props.resourceServer ?? RESOURCE_SERVER_IDENTIFIER,
      userPoolResourceServerName: 'Agent status reasons API',
      scopes: [readScope, writeScope],
    });
    this.userPoolDomain = userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.cognitoDomainPrefix } });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Human users are only the admin console’s few administrators, created by an operator (no self sign-up), with a 12-character password policy and mandatory TOTP; machine clients use client credentials. The Plus tier adds threat protection billed per monthly active user; Essentials is used because it allows access-token customization (the `account` claim, the write scope by group) for users and M2M tokens.',
    });

    // The trigger puts each machine client's account into its tokens (event V3_0: client credentials included).
    // It may read the client items of the table and nothing else.
    const preTokenFunction = serviceFunction(this, 'PreTokenGeneration', {
      entry: props.entry ?? ENTRIES.preTokenGeneration,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons: puts the account of a machine client or a console user into its Cognito access tokens',
      environment: {
        TABLE_NAME: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
        [ACCOUNT_CLAIM_ENV]: props.accountClaim,
        [RESOURCE_SERVER_ENV]: identifier,
        [WRITER_GROUP_ENV]: WRITER_GROUP,
      },
      memorySize: props.memorySize,
      // Cognito waits 5 s for a trigger and then fails the token request: a longer timeout only bills work nobody awaits.
      timeout: Duration.seconds(PRE_TOKEN_TIMEOUT_SECONDS),
      tracing: false,
      table: readsClientItems(props.table),
    });
    userPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, preTokenFunction, cognito.LambdaVersion.V3_0);

    // One app client per account, allowed the client-credentials grant for both scopes, with its
    // account written to the table (a custom resource: the trigger cannot name the clients in its
    // own configuration, since the pool, which the clients belong to, names the trigger).
    const scopes = [cognito.OAuthScope.resourceServer(resourceServer, readScope), cognito.OAuthScope.resourceServer(resourceServer, writeScope)];
    const clients = new Map<string, cognito.UserPoolClient>();
    for (const account of props.machineClients) {
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
    if (props.consoleClient) {
      // A public client (a browser keeps no secret): the authorization code grant, which Cognito holds to PKCE when the
      // page sends a challenge (oidc-client-ts always does). Its callback is the console's URL, known once the
      // distribution exists (setConsoleUrl). Users may read their attributes but write none: custom:account is the admin's.
      const consoleUrl = Lazy.string({
        produce: () => {
          if (!this.consoleUrl) throw new Error('Identity: the console client needs the console URL (setConsoleUrl) before synth');
          return this.consoleUrl;
        },
      });
      this.consoleClient = userPool.addClient('ConsoleClient', {
        userPoolClientName: 'admin-console',
        generateSecret: false,
        authFlows: { userSrp: true },
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [cognito.OAuthScope.OPENID, ...scopes],
          callbackUrls: [consoleUrl],
          logoutUrls: [consoleUrl],
        },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }).withCustomAttributes(USER_ACCOUNT_ATTRIBUTE_NAME),
        writeAttributes: new cognito.ClientAttributes(),
        accessTokenValidity: Duration.hours(1),
        idTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.hours(12),
        preventUserExistenceErrors: true,
      });
    }
    this.preTokenFunction = preTokenFunction;
    this.userPool = userPool;
    this.jwtIssuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`;
    // No audience: Cognito access tokens carry none, and the Lambda authorizer knows tenants by their CLIENT# items.
    this.jwtAudience = [];
  }

  /** The console's URL (`https://<domain>/`): the console client's callback and sign-out URL. */
  setConsoleUrl(url: string): void {
    this.consoleUrl = url;
  }

  /** Writes the table item that tells the pre-token trigger which account a machine client acts for (removed with the client). */
  private registerMachineClient(account: string, client: cognito.UserPoolClient): void {
    if (!this.machineClientWriter) {
      // Its own log group only, instead of the AWS managed AWSLambdaBasicExecutionRole.
      const logGroup = new logs.LogGroup(this, 'MachineClientWriterLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
      const role = new iam.Role(this, 'MachineClientWriterRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: "agent-status-reasons: writes the machine clients' account items at deploy time",
      });
      logGroup.grantWrite(role);
      // One statement on the role for every client: a policy per custom resource (AwsCustomResource's
      // `policy`) adds about 290 characters per client to this role, whose inline policies IAM caps at
      // 10,240 characters in all: the deploy failed at 34 clients.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'MachineClientItems',
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: CLIENT_ITEMS_ONLY,
        }),
      );
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
    const writer = new AwsCustomResource(this, `MachineClientAccount-${account}`, {
      onCreate: put,
      onUpdate: put,
      onDelete: { service: 'DynamoDB', action: 'deleteItem', parameters: { TableName: this.table.tableName, Key: key } },
      // No `policy`: the role's one statement above covers every client.
      role: this.machineClientWriter.role,
      logGroup: this.machineClientWriter.logGroup,
      installLatestAwsSdk: false,
    });
    // The item is written only once the role may write it.
    writer.node.addDependency(this.machineClientWriter.role);
  }
}
