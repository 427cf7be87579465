// Authorization from the claims API Gateway's JWT authorizer has already
// verified: the token's `account` must be the path's account and its `scope`
// must hold the operation's scope. (API Gateway checks signature, issuer,
// audience and expiry; the local server does the same before it builds the event.)
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
    const claims = event.requestContext?.authorizer?.jwt?.claims;
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
