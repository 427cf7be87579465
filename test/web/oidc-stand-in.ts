// A small OpenID provider for the console's OIDC tests: discovery, an
// authorization endpoint that signs the test's chosen user in at once (no
// page), and a token endpoint that holds the page to the authorization code
// flow with PKCE (S256 challenge, single-use code, same client and redirect).
// Its access tokens are minted by the test's local keys, so the local API
// accepts them as it would the stack's Cognito tokens.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

export interface StandInUser {
  sub: string;
  /** The account the access token names (the stack's trigger takes it from `custom:account`). */
  account: string;
  /** In the writers' group: the token keeps the write scope. */
  write: boolean;
}

export interface OidcStandIn {
  url: string;
  clientId: string;
  /** Who the next sign-in signs in. */
  user: StandInUser;
  /** The console's origin: the only redirect URI allowed is `<origin>/`. */
  consoleOrigin: string;
  /** The authorization requests and token requests received, as their parameters. */
  authorizeRequests: Record<string, string>[];
  tokenRequests: Record<string, string>[];
  close(): Promise<void>;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

export async function startOidcStandIn(options: { clientId: string; mintAccessToken: (user: StandInUser) => Promise<string> }): Promise<OidcStandIn> {
  const codes = new Map<string, { challenge: string; redirectUri: string; nonce?: string; user: StandInUser }>();
  const idTokenKey = randomBytes(32);
  const state: OidcStandIn = {
    url: '',
    clientId: options.clientId,
    user: { sub: 'ann', account: '123', write: true },
    consoleOrigin: '',
    authorizeRequests: [],
    tokenRequests: [],
    close: async () => {},
  };

  const cors = (res: ServerResponse) => {
    res.setHeader('access-control-allow-origin', state.consoleOrigin);
    res.setHeader('access-control-allow-headers', 'content-type, authorization');
    res.setHeader('access-control-allow-methods', 'GET, POST');
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    cors(res);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const readForm = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', state.url);
    if (req.method === 'OPTIONS') {
      cors(res);
      res.writeHead(204);
      return res.end();
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: state.url,
        authorization_endpoint: `${state.url}/authorize`,
        token_endpoint: `${state.url}/token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['HS256'],
      });
    }
    if (url.pathname === '/authorize' && req.method === 'GET') {
      const params = Object.fromEntries(url.searchParams);
      state.authorizeRequests.push(params);
      const refuse = (why: string) => {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(why);
      };
      if (params.response_type !== 'code') return refuse('response_type must be code');
      if (params.client_id !== options.clientId) return refuse('unknown client_id');
      if (params.redirect_uri !== `${state.consoleOrigin}/`) return refuse('redirect_uri is not the registered callback');
      if (params.code_challenge_method !== 'S256' || !params.code_challenge) return refuse('PKCE with S256 is required');
      if (!params.state) return refuse('state is required');
      const code = base64url(randomBytes(24));
      codes.set(code, { challenge: params.code_challenge, redirectUri: params.redirect_uri, ...(params.nonce && { nonce: params.nonce }), user: { ...state.user } });
      const back = new URL(params.redirect_uri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', params.state);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const form = await readForm(req);
      state.tokenRequests.push(form);
      const grant = form.code ? codes.get(form.code) : undefined;
      if (form.code) codes.delete(form.code);
      if (form.grant_type !== 'authorization_code' || !grant) return json(res, 400, { error: 'invalid_grant' });
      if (form.client_id !== options.clientId || form.redirect_uri !== grant.redirectUri) return json(res, 400, { error: 'invalid_grant' });
      const challenge = form.code_verifier ? base64url(createHash('sha256').update(form.code_verifier).digest()) : undefined;
      if (challenge !== grant.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
      const idToken = await new SignJWT({ ...(grant.nonce && { nonce: grant.nonce }) })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(state.url)
        .setAudience(options.clientId)
        .setSubject(grant.user.sub)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(idTokenKey);
      return json(res, 200, { access_token: await options.mintAccessToken(grant.user), id_token: idToken, token_type: 'Bearer', expires_in: 3600 });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
