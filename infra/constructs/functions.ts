// The service's Lambda functions: one codebase, one entry per caller. The HTTP
// function answers API Gateway's events only (the API construct integrates it
// and is the only principal allowed to invoke it); the direct-invoke function
// answers `{"action": ..., "accountId": ...}` payloads and is what grantInvoke
// grants. Each has its own role and log group (serviceFunction below).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CONNECT_GRANTS_ENV } from '../../functions/adapters/connect/routes.js';
import { ACCOUNT_CLAIM_ENV, RESOURCE_SERVER_ENV } from '../../functions/platform/http/middlewares/jwt-claims.js';
import { SERVICE_NAME } from '../../functions/platform/metric-names.js';
import { LAMBDA_BUNDLE, LAMBDA_BUNDLE_EXTERNALS, LAMBDA_NODE_OPTIONS } from '../bundling.js';
import { FlatScope } from './flat-logical-ids.js';

/** The repository root (this file lives in `<root>/infra/constructs/`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Lambda entries the deployed functions bundle: one codebase, one entry per caller. */
export const ENTRIES = {
  /** API Gateway's events only. */
  http: path.join(PROJECT_ROOT, 'functions', 'entry', 'http.ts'),
  /** Direct invokes only. */
  invoke: path.join(PROJECT_ROOT, 'functions', 'entry', 'invoke.ts'),
  /** Cognito's pre-token-generation trigger. */
  preTokenGeneration: path.join(PROJECT_ROOT, 'functions', 'entry', 'pre-token-generation.ts'),
  /** The table's stream: publishes each committed history entry to the event bus. */
  publishChanges: path.join(PROJECT_ROOT, 'functions', 'entry', 'publish-changes.ts'),
  /** API Gateway's Lambda authorizer of the LivePerson routes (with the stack's own pool). */
  authorizer: path.join(PROJECT_ROOT, 'functions', 'entry', 'authorizer.ts'),
} as const;

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

/** The per-account write lease the handler takes; it must outlast the function timeout. */
export const FUNCTION_TIMEOUT_SECONDS = 10;
export const LEASE_MS = 20_000;
if (LEASE_MS <= FUNCTION_TIMEOUT_SECONDS * 1000) throw new Error('LEASE_MS must exceed the function timeout');

/**
 * ../bundling.ts's LAMBDA_BUNDLE as CDK's bundling props, for every function
 * (the bench hands LAMBDA_BUNDLE to esbuild as it is). Each field is taken by
 * name and the rest must be empty: a field added there fails to compile here
 * until the deployed functions get it too.
 */
const LAMBDA_BUNDLING = ((): BundlingOptions => {
  const { minify, target, mainFields, banner, sourcemap, sourcesContent, legalComments, ...unmapped } = LAMBDA_BUNDLE;
  unmapped satisfies Record<string, never>;
  return {
    minify,
    target,
    mainFields: [...mainFields],
    banner,
    // CDK's modes have no "linked": its DEFAULT passes esbuild a bare --sourcemap, which is linked.
    sourceMapMode: { linked: SourceMapMode.DEFAULT }[sourcemap],
    sourcesContent,
    esbuildArgs: { '--legal-comments': legalComments },
  };
})();

/** What one function of the service is: code, environment, concurrency, what it may do on the table. */
export interface ServiceFunctionSpec {
  /** The bundled entry file. */
  entry: string;
  /** Its exported handler's name. */
  handler: string;
  description: string;
  environment: Record<string, string>;
  memorySize: number;
  /** Defaults to FUNCTION_TIMEOUT_SECONDS. */
  timeout?: Duration;
  reservedConcurrentExecutions?: number | undefined;
  /** X-Ray tracing (adds the two X-Ray actions, which take no resource, to the role). */
  tracing: boolean;
  /** The table and what the function may do on it, on which items. */
  table: { table: dynamodb.ITableV2; sid: string; actions: readonly string[]; conditions?: Record<string, unknown> };
}

/**
 * A function of this service with its own log group (`<id>Logs`, one month)
 * and role (`<id>Role`: its log group, the table as `spec.table` says, X-Ray
 * when traced), bundled with the local esbuild into one ES module.
 */
export function serviceFunction(scope: Construct, id: string, spec: ServiceFunctionSpec): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
  // An explicit role instead of the default one: the default attaches the AWS
  // managed AWSLambdaBasicExecutionRole (log writes on every log group, and
  // cdk-nag's IAM4 finding).
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `agent-status-reasons ${id}: its log group and the table only`,
  });
  logGroup.grantWrite(role);
  const { table, sid, actions, conditions } = spec.table;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions: [...actions], resources: [table.tableArn], ...(conditions && { conditions }) }));
  if (spec.tracing) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement that `tracing: ACTIVE` adds (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource "*": these X-Ray actions do not support resource-level permissions. The DynamoDB and CloudWatch Logs statements name their exact ARNs.',
    });
  }
  return new NodejsFunction(scope, id, {
    entry: spec.entry,
    handler: spec.handler,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: spec.memorySize,
    timeout: spec.timeout ?? Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
    role,
    logGroup,
    ...(spec.tracing && { tracing: lambda.Tracing.ACTIVE }),
    ...(spec.reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions: spec.reservedConcurrentExecutions }),
    description: spec.description,
    // Every function ships the linked source map below, and this makes Node read it: stack traces name our files.
    environment: { NODE_OPTIONS: LAMBDA_NODE_OPTIONS, ...spec.environment },
    bundling: {
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      ...LAMBDA_BUNDLING,
      externalModules: [...LAMBDA_BUNDLE_EXTERNALS],
    },
  });
}

export interface FunctionsProps {
  /** The service's table (its name goes into every function's environment). */
  readonly table: dynamodb.ITableV2;
  /** One Lambda entry file for both functions (tests bundle a fixture); defaults to `ENTRIES`. */
  readonly entry?: string;
  /** Exported handler name; defaults to `handler`. */
  readonly handler?: string;
  /** Memory of each function in MB. */
  readonly memorySize: number;
  /** Reserved concurrency of the HTTP function; undefined reserves none. */
  readonly httpConcurrency: number | undefined;
  /** Reserved concurrency of the direct-invoke function; undefined reserves none. */
  readonly invokeConcurrency: number | undefined;
  /** The JWT claim that names the account (the HTTP function's ACCOUNT_CLAIM). */
  readonly accountClaim: string;
  /** The resource server whose `<identifier>/<scope>` scopes count as `<scope>`; undefined: bare scopes only. */
  readonly resourceServer: string | undefined;
  /** Powertools' `service` dimension (the stage's); defaults to SERVICE_NAME. */
  readonly serviceName?: string;
  /** The change history's keep-limits (both functions write, so both purge by them); undefined: the store's defaults. */
  readonly history?: { maxAgeDays: number; maxBytes: number };
}

/** The HTTP and direct-invoke functions. */
export class Functions extends FlatScope {
  /** Answers API Gateway's events; only this stack's API may invoke it. */
  readonly httpFunction: NodejsFunction;
  /** Answers direct invokes; what `grantInvoke` grants. */
  readonly invokeFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const common = {
      TABLE_NAME: props.table.tableName,
      POWERTOOLS_SERVICE_NAME: props.serviceName ?? SERVICE_NAME,
      ...(props.history && { HISTORY_MAX_AGE_DAYS: String(props.history.maxAgeDays), HISTORY_MAX_BYTES: String(props.history.maxBytes) }),
    };
    const table = { table: props.table, sid: 'StatusReasonsTable', actions: TABLE_ACTIONS };
    this.httpFunction = serviceFunction(this, 'HttpFunction', {
      entry: props.entry ?? ENTRIES.http,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons, HTTP: API Gateway events only (LivePerson routes with JWT, Connect routes with IAM)',
      environment: {
        ...common,
        LEASE_MS: String(LEASE_MS),
        [ACCOUNT_CLAIM_ENV]: props.accountClaim,
        ...(props.resourceServer && { [RESOURCE_SERVER_ENV]: props.resourceServer }),
        // Every Connect request is checked against the table's GRANT# items: none means no Connect request is allowed.
        [CONNECT_GRANTS_ENV]: 'table',
      },
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.httpConcurrency,
      tracing: true,
      table,
    });
    // Construct id kept from the single-function stack: the function direct invokers were given stays the same one.
    this.invokeFunction = serviceFunction(this, 'Function', {
      entry: props.entry ?? ENTRIES.invoke,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons, direct invoke: {"action": ..., "accountId": ...} payloads only',
      environment: { ...common, LEASE_MS: String(LEASE_MS) },
      memorySize: props.memorySize,
      reservedConcurrentExecutions: props.invokeConcurrency,
      tracing: true,
      table,
    });
  }

}
