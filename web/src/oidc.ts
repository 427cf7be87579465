// OIDC sign-in (authorization code with PKCE) through oidc-client-ts, loaded
// only when /config.json asks for it: the dev sign-in never downloads it.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { sessionFromToken, type OidcConfig, type Session } from './auth.js';

/** The page itself is the redirect target: the app client's callback URL is the console's URL. */
const redirectUri = () => `${location.origin}/`;

function managerFor(config: OidcConfig): UserManager {
  return new UserManager({
    authority: config.authority,
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    post_logout_redirect_uri: redirectUri(),
    response_type: 'code',
    scope: config.scope,
    // Tokens and the PKCE verifier live for this tab only, as the dev sign-in's token does.
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    loadUserInfo: false,
    automaticSilentRenew: false,
    monitorSession: false,
  });
}

/** Sends the browser to the identity provider's sign-in page. */
export async function startSignIn(config: OidcConfig): Promise<void> {
  await managerFor(config).signinRedirect();
}

/** Picks up the authorization code the provider sent back, exchanges it (with the PKCE verifier) and answers the session of its access token. */
export async function completeSignIn(config: OidcConfig): Promise<Session> {
  const manager = managerFor(config);
  try {
    const user = await manager.signinRedirectCallback();
    return sessionFromToken(user.access_token, 'oidc', config.accountClaim);
  } finally {
    // The code is single-use: keep it out of the address bar and of history.
    history.replaceState(null, '', redirectUri());
  }
}

/** Forgets the tokens; with a sign-out URL (Cognito's `/logout`), also ends the provider's session. */
export async function signOut(config: OidcConfig): Promise<void> {
  await managerFor(config).removeUser();
  if (config.signOutUrl) {
    const url = new URL(config.signOutUrl);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('logout_uri', redirectUri());
    location.assign(url.toString());
  }
}
