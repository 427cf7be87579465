// What /config.json may say about signing in, checked without the DOM (unit-tested in Node).

export interface OidcConfig {
  signIn: 'oidc';
  /** The issuer (`iss`), whose `/.well-known/openid-configuration` the page reads. */
  authority: string;
  /** The public app client (no secret). */
  clientId: string;
  /** The scopes to ask for; default `openid`. */
  scope: string;
  /** The access-token claim that names the account; default `account`. */
  accountClaim: string;
  /** Where to end the identity provider's session on sign-out (Cognito's `/logout`); none: sign-out forgets the token only. */
  signOutUrl?: string;
}

/** An https URL, or http on this machine (a local stand-in); anything else is refused. */
function isIssuerUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}

/** The OIDC settings of /config.json, checked; an Error names what is missing or wrong. */
export function oidcConfigOf(config: Record<string, unknown>): OidcConfig | Error {
  const problems: string[] = [];
  if (!isIssuerUrl(config.authority)) problems.push('“authority” must be the issuer’s https URL');
  if (typeof config.clientId !== 'string' || !config.clientId.trim()) problems.push('“clientId” must name the console’s app client');
  for (const key of ['scope', 'accountClaim'] as const) if (config[key] !== undefined && (typeof config[key] !== 'string' || !config[key])) problems.push(`“${key}” must be a non-empty string when set`);
  if (config.signOutUrl !== undefined && !isIssuerUrl(config.signOutUrl)) problems.push('“signOutUrl” must be an https URL when set');
  if (problems.length) return new Error(`This console’s configuration (/config.json) cannot be used to sign in: ${problems.join('; ')}.`);
  return {
    signIn: 'oidc',
    authority: (config.authority as string).replace(/\/+$/, ''),
    clientId: (config.clientId as string).trim(),
    scope: (config.scope as string | undefined) ?? 'openid',
    accountClaim: (config.accountClaim as string | undefined) ?? 'account',
    ...(typeof config.signOutUrl === 'string' && { signOutUrl: config.signOutUrl }),
  };
}

/** The page's address was reached by the identity provider's redirect (an authorization code or an error to pick up). */
export function isSignInCallback(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** Write scope in either form the API accepts: `status-reasons:write` or `<resource server>/status-reasons:write`. */
export function grantsWrite(scope: unknown): boolean {
  return typeof scope === 'string' && scope.split(/\s+/).some((s) => s === 'status-reasons:write' || s.endsWith('/status-reasons:write'));
}

