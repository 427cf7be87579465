// OIDC sign-in for the deployed console: authorization code with PKCE.
// Not built yet: the deployed stack does not serve the console so far (see docs/console.md).
import type { ConsoleConfig, Session } from './auth.js';

type OidcConfig = Extract<ConsoleConfig, { signIn: 'oidc' }>;

export async function startOidcSignIn(_config: OidcConfig): Promise<void> {
  throw new Error('OIDC sign-in is not available in this build of the console.');
}

export async function completeOidcSignIn(_config: OidcConfig): Promise<Session> {
  throw new Error('OIDC sign-in is not available in this build of the console.');
}
