// The Lambda authorizer of the LivePerson routes when the stack issues tokens
// with its own Cognito pool (functions/entry/authorizer.ts says what it checks).
// Why not API Gateway's JWT authorizer: Cognito's access tokens carry no `aud`,
// so that authorizer must list every machine client as an audience, and it
// takes at most 50, a quota that cannot be raised. The Lambda authorizer knows
// a tenant by its CLIENT# item instead: any number of tenants, added and
// removed without a deploy (`npm run tenants`), and its role does not grow with
// them (GetItem on CLIENT# items only).
import { Duration } from 'aws-cdk-lib';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { TOKEN_ISSUER_ENV } from '../../functions/platform/cognito-pool.js';
import { ACCOUNT_CLAIM_ENV, RESOURCE_SERVER_ENV } from '../../functions/platform/http/middlewares/jwt-claims.js';
import { FlatScope } from './flat-logical-ids.js';
import { ENTRIES, serviceFunction } from './functions.js';
import { readsClientItems } from './identity.js';

/**
 * How long API Gateway keeps the authorizer's answer for one Authorization
 * header. A token's decision is reused for this long (a removed tenant's
 * token, or an expired one, passes for at most this plus CLIENT_CACHE_MS);
 * longer would save little: a client reuses its token for an hour.
 */
export const AUTHORIZER_CACHE_SECONDS = 300;
/** API Gateway waits at most 10 s for an authorizer; a verification is a few ms, a JWKS fetch or a GetItem well under a second. */
export const AUTHORIZER_TIMEOUT_SECONDS = 5;

export interface TenantAuthorizerProps {
  readonly table: dynamodb.ITableV2;
  /** The pool's issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  readonly issuer: string;
  readonly accountClaim: string;
  readonly resourceServer: string | undefined;
  /** The function's entry file and handler (tests bundle a fixture); default to ENTRIES.authorizer and `handler`. */
  readonly entry?: string;
  readonly handler?: string;
  readonly memorySize: number;
  /** Powertools' `service` (the stage's). */
  readonly serviceName: string;
}

export class TenantAuthorizer extends FlatScope {
  readonly function: NodejsFunction;
  readonly authorizer: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: TenantAuthorizerProps) {
    super(scope, id);
    this.function = serviceFunction(this, 'Authorizer', {
      entry: props.entry ?? ENTRIES.authorizer,
      handler: props.handler ?? 'handler',
      description: "Agent status reasons: API Gateway's authorizer of the LivePerson routes (the pool's tokens; tenants from the table)",
      environment: {
        TABLE_NAME: props.table.tableName,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        [TOKEN_ISSUER_ENV]: props.issuer,
        [ACCOUNT_CLAIM_ENV]: props.accountClaim,
        ...(props.resourceServer && { [RESOURCE_SERVER_ENV]: props.resourceServer }),
      },
      memorySize: props.memorySize,
      timeout: Duration.seconds(AUTHORIZER_TIMEOUT_SECONDS),
      tracing: false,
      table: readsClientItems(props.table),
    });
    this.authorizer = new HttpLambdaAuthorizer('TenantAuthorizer', this.function, {
      authorizerName: 'tenant-tokens',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_SECONDS),
    });
  }
}
