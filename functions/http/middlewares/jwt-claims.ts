// Authorization from the claims API Gateway's JWT authorizer has already
// verified: the token's `account` must be the path's account and its `scope`
// must hold the operation's scope. (API Gateway checks signature, issuer,
// audience and expiry; the local server does the same before it builds the event.)
import type { MiddlewareObj } from '@middy/core';
import { HttpError } from '../http-error.js';
import type { HttpEvent, HttpResult } from '../types.js';

export interface JwtClaimsOptions {
  /** The account the request addresses, or undefined when the route has none. */
  accountOf: (event: HttpEvent) => string | undefined;
  /** The scopes, any one of which allows the request. */
  scopesOf: (event: HttpEvent) => readonly string[];
  accountClaim?: string;
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

/** `status-reasons:read`, or a resource server's `<identifier>/status-reasons:read` (Cognito writes custom scopes so). */
const grants = (granted: string, scope: string) => granted === scope || granted.endsWith(`/${scope}`);

export const jwtClaims = ({ accountOf, scopesOf, accountClaim = 'account' }: JwtClaimsOptions): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: ({ event }) => {
    const claims = event.requestContext?.authorizer?.jwt?.claims;
    if (!claims) throw new HttpError(401, 'A valid bearer token is required.', [], { 'www-authenticate': 'Bearer' });
    const account = accountOf(event);
    if (account !== undefined && String(claims[accountClaim] ?? '') !== account) {
      throw new HttpError(403, `The token is not allowed to use account ${account}.`);
    }
    const granted = scopesIn(claims.scope ?? claims.scp);
    const needed = scopesOf(event);
    if (!needed.some((scope) => granted.some((g) => grants(g, scope)))) {
      throw new HttpError(403, `The token's scope does not allow this operation (it needs ${needed.join(' or ')}).`);
    }
  },
});
