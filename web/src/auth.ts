// Who is signed in: a bearer token for one account, read-only or read-write.
// Locally the dev sign-in asks the server to mint one (as `npm run token`
// does). /config.json says which sign-in the page offers.
import { grantsWrite, type OidcConfig } from './sign-in-config.js';

export { grantsWrite, isSignInCallback, oidcConfigOf, type OidcConfig } from './sign-in-config.js';

export interface Session {
  account: string;
  token: string;
  canWrite: boolean;
  /** Epoch milliseconds; the session ends then. */
  expiresAt: number;
  /** Where the token came from. */
  via: 'dev' | 'oidc';
}

/**
 * What /config.json says. `dev` is the local server's dev sign-in; `oidc` (the
 * deployed stack, or the operator's own identity provider) names the issuer and
 * the public client the page signs in with (authorization code + PKCE).
 */
export type ConsoleConfig = { signIn: 'dev' } | OidcConfig | { signIn: string; [setting: string]: unknown };

const KEY = 'status-reasons-console.session';

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The console's configuration (/config.json) could not be loaded (${response.status}).`);
  return (await response.json()) as ConsoleConfig;
}

/** The claims of a JWT, unverified: the API verifies it; the page only reads what it is for. */
export function claimsOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function sessionFromToken(token: string, via: Session['via'], accountClaim = 'account'): Session {
  const claims = claimsOf(token);
  const account = claims[accountClaim];
  if (typeof account !== 'string' || !account) throw new Error(`The token names no account (claim “${accountClaim}”). Ask your administrator to give your user an account.`);
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + 3600_000;
  return { account, token, canWrite: grantsWrite(claims.scope), expiresAt: exp, via };
}

export function loadSession(): Session | undefined {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return session && session.expiresAt > Date.now() + 10_000 ? session : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined) {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** The local server's dev sign-in (`POST /dev/sign-in`, loopback only). */
export async function devSignIn(account: string, write: boolean): Promise<Session> {
  const response = await fetch('/dev/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account, write }) });
  const body = (await response.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!response.ok || !body.token) throw new Error(body.message ?? `The dev sign-in answered ${response.status}.`);
  return sessionFromToken(body.token, 'dev');
}
