// The Lambda authorizer of the LivePerson routes when the stack runs its own
// Cognito pool (an HTTP API REQUEST authorizer with simple responses; API
// Gateway caches its answer per Authorization header). It replaces a JWT
// authorizer whose audience had to name every machine client (API Gateway
// allows 50 audiences per authorizer): here a client is a tenant when the
// table says so, so tenants come and go without a deploy (`npm run tenants`).
//
// It verifies the token with `jose` (signature against the pool's JWKS, fetched
// once and kept per container; issuer; expiry; `token_use` = access), then
// finds its account: a machine client's (client credentials: no `username`)
// from the table's `CLIENT#<client id>` item, cached per container, so that a
// removed tenant's tokens stop working within the caches' lifetimes however
// long they have left; a user's from the account claim the pool's trigger
// wrote. It answers with the account under the account claim's name and the
// service's scopes the token holds, which the HTTP function reads as it reads
// a JWT authorizer's claims (functions/platform/http/middlewares/jwt-claims.ts).
//
// A token that does not verify is let through with only `unauthenticated` in
// the context, so that the function answers 401 as the contract says (API
// Gateway answers a refusal from a Lambda authorizer with 403). A verified
// token with no account or none of the service's scopes is refused: 403.
//
// The local server (infra/local/server.ts) runs `createAuthorizer` against its
// own issuer and key.
import type { GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoClient } from '../aws/dynamodb.js';
import { retryingReads } from '../aws/json-client.js';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { logger } from '../platform/logger.js';
import { CLIENT_ACCOUNT_ATTRIBUTE, clientKey } from '../platform/machine-clients.js';
import { scopesIn, tokenRulesFromEnv, UNAUTHENTICATED_CONTEXT_KEY, type TokenRules } from '../platform/http/middlewares/jwt-claims.js';
import { TtlCache } from '../platform/ttl-cache.js';
import { TOKEN_ISSUER_ENV } from '../platform/cognito-pool.js';

/** How long a client's account (or its absence) is kept per container. */
export const CLIENT_CACHE_MS = 60_000;
/** How far ahead of this clock a token's `iat` may be. */
export const CLOCK_SKEW_SECONDS = 30;
/** The scopes this service grants on; a token needs one of them (bare, or as `<resource server>/<scope>`). */
export const SERVICE_SCOPES = ['status-reasons:read', 'status-reasons:write'] as const;

export type AuthorizerContext = Record<string, string>;

/** What the authorizer decided: `allow` with the context the function reads, `deny` (403), `unauthenticated` (the function's 401). */
export type Authorization =
  | { outcome: 'allow'; context: AuthorizerContext }
  | { outcome: 'deny'; reason: string }
  | { outcome: 'unauthenticated'; reason: string };

export interface AuthorizerOptions {
  /** The `iss` a token must carry. */
  issuer: string;
  /** The key (set) tokens are verified with: the pool's JWKS, or the local key. */
  key: JWTVerifyGetKey;
  /** The `aud` a token must carry; none for Cognito access tokens, which have none. */
  audience?: string;
  /** The `token_use` a token must carry (Cognito: `access`); undefined checks none. */
  tokenUse?: string;
  /** The account a machine client acts for, or undefined when it is no tenant. */
  accountOfClient: (clientId: string) => Promise<string | undefined>;
  rules: TokenRules;
  /** Defaults to CLIENT_CACHE_MS. */
  clientCacheMs?: number;
}

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i;

const holdsScope = (granted: string, scope: string, resourceServer: string | undefined) =>
  granted === scope || (resourceServer !== undefined && granted === `${resourceServer}/${scope}`);

/** Decides on an `Authorization` header. */
export function createAuthorizer(options: AuthorizerOptions): (authorization: string | undefined) => Promise<Authorization> {
  const { issuer, key, audience, tokenUse, accountOfClient, rules } = options;
  const clients = new TtlCache<string | undefined>({ ttlMs: options.clientCacheMs ?? CLIENT_CACHE_MS });
  return async (authorization) => {
    const token = BEARER.exec(authorization ?? '')?.[1];
    if (!token) return { outcome: 'unauthenticated', reason: 'no bearer token' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, { issuer, ...(audience !== undefined && { audience }), algorithms: ['RS256'], requiredClaims: ['exp'] }));
    } catch (error) {
      return { outcome: 'unauthenticated', reason: (error as Error).message };
    }
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) return { outcome: 'unauthenticated', reason: 'issued in the future' };
    if (tokenUse !== undefined && payload.token_use !== tokenUse) return { outcome: 'unauthenticated', reason: `token_use is not ${tokenUse}` };

    const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
    // Client credentials: the token names no user. Its account is the table's, whatever the token says.
    const machine = clientId !== undefined && payload.username === undefined;
    const claimed = payload[rules.accountClaim];
    const account = machine ? await clients.get(clientId, accountOfClient) : typeof claimed === 'string' && claimed ? claimed : undefined;
    if (account === undefined) return { outcome: 'deny', reason: machine ? `app client ${clientId} is not registered for an account` : `the token has no ${rules.accountClaim} claim` };

    const scopes = scopesIn(payload.scope ?? payload.scp).filter((granted) => SERVICE_SCOPES.some((scope) => holdsScope(granted, scope, rules.resourceServer)));
    if (!scopes.length) return { outcome: 'deny', reason: 'the token holds none of the service scopes' };
    return {
      outcome: 'allow',
      context: {
        [rules.accountClaim]: account,
        scope: scopes.join(' '),
        ...(typeof payload.sub === 'string' && { sub: payload.sub }),
        ...(clientId !== undefined && { client_id: clientId }),
      },
    };
  };
}

/** The answer API Gateway wants (simple response) for a decision. */
export function simpleResponse(decision: Authorization): APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext> {
  if (decision.outcome === 'allow') return { isAuthorized: true, context: decision.context };
  if (decision.outcome === 'unauthenticated') return { isAuthorized: true, context: { [UNAUTHENTICATED_CONTEXT_KEY]: decision.reason } };
  return { isAuthorized: false, context: {} };
}

/** A machine client's account, from its `CLIENT#<client id>` item (written by `npm run tenants -- add` or the stack). */
export function clientAccountsInTable(client: DynamoClient, tableName: string): (clientId: string) => Promise<string | undefined> {
  return async (clientId) => {
    const { pk, sk } = clientKey(clientId);
    const { Item } = await client.call<GetItemCommandOutput>('GetItem', { TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ProjectionExpression: '#a', ExpressionAttributeNames: { '#a': CLIENT_ACCOUNT_ATTRIBUTE } });
    return Item?.[CLIENT_ACCOUNT_ATTRIBUTE]?.S;
  };
}

/** The deployed authorizer: the pool's issuer and JWKS, the table and the token rules from its environment. */
export function authorizerFromEnv(env: Record<string, string | undefined> = process.env) {
  const issuer = env[TOKEN_ISSUER_ENV];
  if (!issuer) throw new Error(`${TOKEN_ISSUER_ENV} is not set`);
  if (!env.TABLE_NAME) throw new Error('TABLE_NAME is not set');
  const dynamo = new DynamoClient({ requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 1_000 }) }).use(retryingReads());
  return createAuthorizer({
    issuer,
    // jose keeps the keys per container and refetches on an unknown `kid` (at most every 30 s).
    key: createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)),
    tokenUse: 'access',
    accountOfClient: clientAccountsInTable(dynamo, env.TABLE_NAME),
    rules: tokenRulesFromEnv(env),
  });
}

let cached: ReturnType<typeof createAuthorizer> | undefined;
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>> => {
  cached ??= authorizerFromEnv();
  const decision = await cached(event.headers?.authorization ?? event.identitySource?.[0]);
  if (decision.outcome === 'deny') logger.info('refused a token', { reason: decision.reason, routeKey: event.routeKey });
  return simpleResponse(decision);
};
