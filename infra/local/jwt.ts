// Local stand-in for what API Gateway's JWT authorizer does: an RS256 key pair
// kept under .data/ (its `kid` is the key's RFC 7638 thumbprint), tokens signed
// with it, and verification that refuses what API Gateway refuses: a missing,
// malformed, wrongly signed or `alg: none` token, one without the key's `kid`,
// without `exp` or past it, before its `nbf`, or issued (`iat`) in the future.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const LOCAL_ISSUER = 'agent-status-reasons-local';
export const LOCAL_AUDIENCE = 'agent-status-reasons';
export const DEFAULT_SCOPE = 'status-reasons:read status-reasons:write';
const ALG = 'RS256';
/** How far ahead of this machine's clock a token's `iat` may be (the issuer's clock may run a little fast). */
export const CLOCK_SKEW_SECONDS = 30;

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface LocalKeys {
  privateKey: Key;
  publicKey: Key;
  /** The key id tokens must carry in their header. */
  kid: string;
}

/** Loads the key pair from `dir`, making it the first time (safe if two processes race). */
export async function loadOrCreateKeys(dir: string): Promise<LocalKeys> {
  const file = path.join(dir, 'jwt-key.json');
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    jwk = { ...(await exportJWK(privateKey)), alg: ALG };
    // Write aside, then link into place: link fails if another process got there first.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(jwk), { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch {
      jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return {
    privateKey: await importJWK(jwk, ALG),
    publicKey: await importJWK(publicJwk, ALG),
    // Derived from the public key, so keys made before kids existed get one too.
    kid: await calculateJwkThumbprint(publicJwk),
  };
}

export interface TokenOptions {
  /** The account claim's value; undefined: none (a Cognito machine client's token carries its client instead). */
  account?: string;
  scope?: string;
  /** Lifetime, e.g. '1h' or seconds. */
  expiresIn?: string | number;
  subject?: string;
  /** Defaults to LOCAL_ISSUER. */
  issuer?: string;
  /** Defaults to LOCAL_AUDIENCE; null: no `aud` (as in Cognito's access tokens). */
  audience?: string | null;
  /** Any other claims, e.g. Cognito's `client_id`, `token_use`, `username`. */
  claims?: Record<string, unknown>;
  /** The `iat` to write, in seconds; defaults to now. */
  issuedAt?: number;
}

export async function signToken(keys: LocalKeys, options: TokenOptions): Promise<string> {
  const { account, scope = DEFAULT_SCOPE, expiresIn = '12h', subject = 'local-user', issuer = LOCAL_ISSUER, audience = LOCAL_AUDIENCE, claims = {} } = options;
  const jwt = new SignJWT({ ...claims, ...(account !== undefined && { account }), scope })
    .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: keys.kid })
    .setIssuer(issuer)
    .setSubject(subject)
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(expiresIn);
  if (audience !== null) jwt.setAudience(audience);
  return jwt.sign(keys.privateKey);
}

/** The key resolver the authorizer verifies local tokens with: only tokens naming this key's `kid`. */
export function localKeyResolver(keys: LocalKeys): JWTVerifyGetKey {
  return (header) => {
    if (header.kid !== keys.kid) throw new Error('the token names no key of this issuer');
    return keys.publicKey;
  };
}

/** Verifies `Authorization: Bearer <jwt>`; the claims, or undefined when API Gateway would answer 401. */
export async function verifyBearer(keys: LocalKeys, authorization: string | undefined): Promise<JWTPayload | undefined> {
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  try {
    const { payload } = await jwtVerify(
      match[1]!,
      (header) => {
        if (header.kid !== keys.kid) throw new Error('the token names no key of this issuer');
        return keys.publicKey;
      },
      { algorithms: [ALG], issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, requiredClaims: ['exp'] },
    );
    // jose checks `iat` only against a maximum age; API Gateway refuses one in the future.
    if (payload.iat !== undefined && payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}
