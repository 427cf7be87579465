// The HTTP API: the LivePerson routes behind the authorizer the stack gives
// (API Gateway's JWT authorizer for an operator's own issuer, the Lambda
// authorizer of infra/constructs/authorizer.ts for the stack's pool), the
// Amazon Connect routes behind IAM, one Lambda integration (the HTTP function), a
// throttled $default stage with JSON access logs, and optionally a custom
// domain name mapped to that stage (with its Route 53 alias record).
import { Arn, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { ApiMapping, DomainName, EndpointType, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, SecurityPolicy, type HttpRoute, type IHttpApi, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { CatchAllRoute, ConnectRoute } from '../../functions/adapters/connect/routes.js';
import { addConnectRoutes } from '../connect-routes.js';
import { FlatScope } from './flat-logical-ids.js';

export const STATUS_REASONS_PATH = '/api/account/{accountId}/configuration/le-agents/status-reasons';
export const STATUS_REASON_PATH = `${STATUS_REASONS_PATH}/{statusReasonId}`;
export const CONNECT_PATH = '/agent-status/{InstanceId}';

/** The stage the API serves on; per-instance grants name it rather than `*`, which IAM lets span `/`. */
export const STAGE_NAME = '$default';

/** One JSON line per request in the API access log (HTTP API $context variables). */
export const ACCESS_LOG_FIELDS = {
  apiId: '$context.apiId',
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
  // The Lambda authorizer's context (the stack's pool).
  authorizerSub: '$context.authorizer.sub',
  authorizerClientId: '$context.authorizer.client_id',
  iamUserArn: '$context.identity.userArn',
} as const;

/**
 * The execute-api ARNs a grant of `instanceIds` covers on `routes` (per-instance
 * grants): CONNECT_ROUTES, and CONNECT_CATCH_ALL_ROUTES so that a granted caller
 * reaches the function's 404 for a path no operation has rather than IAM's 403.
 */
export function connectRouteArns(api: IHttpApi, routes: readonly Pick<ConnectRoute | CatchAllRoute, 'method' | 'path'>[], instanceIds: readonly string[]): string[] {
  const anySegment = (path: string) => path.replace(/\{\w+\+?\}/g, '*');
  const grants = routes.flatMap(({ method, path }) => {
    const action = method === 'ANY' ? '*' : method;
    return path.includes('{InstanceId}')
      ? // IAM sees the instance: one ARN per instance; `/*` after it stays within that instance's paths.
        instanceIds.map((id) => ({ method: action, path: anySegment(path.replace('{InstanceId}', id)) }))
      : // The instance is in the body or inside an ARN (or nowhere): IAM grants the path, the function checks the instance.
        [{ method: action, path: anySegment(path) }];
  });
  // A path granted for every method (a catch-all's) covers that path's single-method grants.
  const everyMethod = new Set(grants.filter((grant) => grant.method === '*').map((grant) => grant.path));
  const kept = grants.filter((grant) => grant.method === '*' || !everyMethod.has(grant.path));
  return [...new Set(kept.map((grant) => api.arnForExecuteApi(grant.method, grant.path, STAGE_NAME)))];
}

/**
 * The IAM principal a grantee is, in the form the function derives from the
 * verified caller (`principalOf` in functions/adapters/connect/grants.ts): a role or a
 * user by name, whatever its path or session.
 */
export function grantPrincipalArn(grantee: iam.IGrantable): string {
  const principal = grantee.grantPrincipal as Partial<iam.IRole & iam.IUser>;
  const arn = principal.roleArn ?? principal.userArn;
  if (!arn) throw new Error('grantConnectInstances needs a grantee that is an IAM role or user (a Lambda function with its role, an iam.Role, an iam.User)');
  const { partition, account } = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  return principal.roleArn ? `arn:${partition}:iam::${account}:role/${principal.roleName}` : `arn:${partition}:iam::${account}:user/${principal.userName}`;
}

/** API Gateway's JWT authorizer for an operator's own issuer (https URL) and its audiences (at most 50, a fixed quota). */
export function jwtAuthorizer(issuer: string, audience: readonly string[]): HttpJwtAuthorizer {
  return new HttpJwtAuthorizer('JwtAuthorizer', issuer, { jwtAudience: [...audience], identitySource: ['$request.header.Authorization'] });
}

export interface ApiProps {
  /** The function every route integrates (API Gateway becomes the only principal allowed to invoke it). */
  readonly handler: lambda.Function;
  /** The LivePerson routes' authorizer (`jwtAuthorizer(...)`, or the stack's TenantAuthorizer). */
  readonly authorizer: IHttpRouteAuthorizer;
  /** The stage's steady rate limit (requests per second) and burst (requests), every route and caller together. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** A custom domain name mapped to the stage (checked by infra/settings.ts); none: the execute-api URL only. */
  readonly customDomain?: ApiCustomDomainProps;
}

export interface ApiCustomDomainProps {
  readonly domainName: string;
  /** An ACM certificate for it in the stack's region. */
  readonly certificateArn: string;
  /** The hosted zone to write the alias A record into; none: the operator points the name at `regionalDomainName`. */
  readonly hostedZoneId?: string;
  /** Answer only at the custom domain: the execute-api URL refuses every request. */
  readonly disableExecuteApiEndpoint?: boolean;
}

export class Api extends FlatScope {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly connectRoutes: HttpRoute[];
  /** The key that seals Connect's NextTokens. */
  readonly nextTokenSecret: ISecret;
  /** The stage's access log (one JSON line per request: ACCESS_LOG_FIELDS). */
  readonly accessLogs: logs.LogGroup;
  /** The custom domain name, when given: its `regionalDomainName` is what DNS must point the name at. */
  readonly domainName?: DomainName;
  /** `https://<custom domain>`, when given. */
  readonly customUrl?: string;
  /** The host callers reach the API at: the custom domain when the execute-api endpoint is disabled, else the execute-api host. */
  readonly host: string;
  /** The URL callers use: `https://<host>`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogs = accessLogs;
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: 'agent-status-reasons',
      description: 'LivePerson status reasons API (JWT) and Amazon Connect agent statuses (IAM)',
      // The $default stage is added below so that it can carry access logging.
      createDefaultStage: false,
      disableExecuteApiEndpoint: props.customDomain?.disableExecuteApiEndpoint ?? false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: STAGE_NAME,
      autoDeploy: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
      // Every route, every caller: beyond it API Gateway answers 429 before the function runs.
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
    });
    // Also the function's resource policy: API Gateway, from this API only.
    const integration = new HttpLambdaIntegration('FunctionIntegration', props.handler);
    const authorizer = props.authorizer;
    this.api.addRoutes({ path: STATUS_REASONS_PATH, methods: [HttpMethod.POST, HttpMethod.GET], integration, authorizer });
    this.api.addRoutes({
      path: STATUS_REASON_PATH,
      methods: [HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.POST],
      integration,
      authorizer,
    });
    const connect = addConnectRoutes(this, { api: this.api, integration, fn: props.handler });
    this.connectRoutes = connect.routes;
    this.nextTokenSecret = connect.nextTokenSecret;

    const custom = props.customDomain;
    if (custom) {
      // A regional domain name (TLS 1.2) with the certificate of its own region, mapped to the $default stage at its root.
      const domainName = new DomainName(this, 'ApiDomainName', {
        domainName: custom.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'ApiCertificate', custom.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'ApiMapping', { api: this.api, domainName, stage: this.stage });
      if (custom.hostedZoneId) {
        // The name ends in "." so the record needs only the zone's id, not its name.
        new route53.ARecord(this, 'ApiAliasRecord', {
          zone: route53.HostedZone.fromHostedZoneId(this, 'ApiHostedZone', custom.hostedZoneId),
          recordName: `${custom.domainName}.`,
          target: route53.RecordTarget.fromAlias(new targets.ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId)),
        });
      }
      this.domainName = domainName;
      this.customUrl = `https://${custom.domainName}`;
    }
    this.host = custom?.disableExecuteApiEndpoint ? custom.domainName : `${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
    this.url = custom?.disableExecuteApiEndpoint ? this.customUrl! : this.api.apiEndpoint;
  }
}
