// Authorization from the claims an authorizer has already verified: the
// token's `account` must be the path's account and its `scope` must hold the
// operation's scope. The claims come from API Gateway's JWT authorizer (an
// operator's own issuer: `requestContext.authorizer.jwt.claims`) or from the
// stack's Lambda authorizer (its pool's tokens: `requestContext.authorizer.lambda`,
// the context functions/entry/authorizer.ts returns, in the same shape). The
// local server runs that same authorizer code.
import type { MiddlewareObj } from '@middy/core';
import { HttpError } from '../http-error.js';
import type { HttpEvent, HttpResult } from '../types.js';

/** The environment variables through which the stack configures the rules below. */
export const ACCOUNT_CLAIM_ENV = 'ACCOUNT_CLAIM';
export const RESOURCE_SERVER_ENV = 'RESOURCE_SERVER_IDENTIFIER';
export const DEFAULT_ACCOUNT_CLAIM = 'account';
/** The resource server of the stack's Cognito pool (its tokens' scopes are `agent-status-reasons/status-reasons:read`, ...). */
export const DEFAULT_RESOURCE_SERVER = 'agent-status-reasons';

export interface TokenRules {
  /** The claim that names the token's account. */
  accountClaim: string;
  /**
   * The resource server whose `<identifier>/<scope>` form also grants `<scope>`
   * (Cognito writes custom scopes so); undefined: only the bare scope does.
   */
  resourceServer: string | undefined;
}

export function tokenRulesFromEnv(env: Record<string, string | undefined> = process.env): TokenRules {
  return { accountClaim: env[ACCOUNT_CLAIM_ENV] || DEFAULT_ACCOUNT_CLAIM, resourceServer: env[RESOURCE_SERVER_ENV] || undefined };
}

export interface JwtClaimsOptions {
  /** The account the request addresses, or undefined when the route has none. */
  accountOf: (event: HttpEvent) => string | undefined;
  /** The scopes, any one of which allows the request. */
  scopesOf: (event: HttpEvent) => readonly string[];
  /** Defaults to the environment's (`tokenRulesFromEnv`). */
  rules?: TokenRules;
}

/**
 * The key of the Lambda authorizer's context that says the token did not
 * verify. The authorizer lets such a request through with only this key, so
 * that the function answers 401 as the contract says (API Gateway answers a
 * refusing Lambda authorizer with 403).
 */
export const UNAUTHENTICATED_CONTEXT_KEY = 'unauthenticated';

/** The verified claims of a request, from either authorizer; undefined when there are none (401). */
export function verifiedClaims(event: HttpEvent): Record<string, unknown> | undefined {
  const authorizer = event.requestContext?.authorizer;
  if (authorizer?.jwt?.claims) return authorizer.jwt.claims;
  const context = authorizer?.lambda;
  if (!context || typeof context !== 'object' || UNAUTHENTICATED_CONTEXT_KEY in context) return undefined;
  return context;
}

/** API Gateway hands claims over as strings; a list claim arrives as "[a b]". */
export function scopesIn(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== 'string') return [];
  return claim
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

/** Exactly `scope`, or the configured resource server's `<identifier>/<scope>` (not anyone's). */
const grants = (granted: string, scope: string, resourceServer: string | undefined) =>
  granted === scope || (resourceServer !== undefined && granted === `${resourceServer}/${scope}`);

export const jwtClaims = ({ accountOf, scopesOf, rules = tokenRulesFromEnv() }: JwtClaimsOptions): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: ({ event }) => {
    const { accountClaim, resourceServer } = rules;
    const claims = verifiedClaims(event);
    if (!claims) throw new HttpError(401, 'A valid bearer token is required.', [], { 'www-authenticate': 'Bearer' });
    const account = accountOf(event);
    if (account !== undefined && String(claims[accountClaim] ?? '') !== account) {
      throw new HttpError(403, `The token is not allowed to use account ${account}.`);
    }
    const granted = scopesIn(claims.scope ?? claims.scp);
    const needed = scopesOf(event);
    if (!needed.some((scope) => granted.some((g) => grants(g, scope, resourceServer)))) {
      throw new HttpError(403, `The token's scope does not allow this operation (it needs ${needed.join(' or ')}).`);
    }
  },
});
