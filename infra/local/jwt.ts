// Local stand-in for what API Gateway's JWT authorizer does: an RS256 key pair
// kept under .data/, tokens signed with it, and verification that refuses a
// missing, malformed, expired, wrongly signed or `alg: none` token.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export const LOCAL_ISSUER = 'agent-status-reasons-local';
export const LOCAL_AUDIENCE = 'agent-status-reasons';
export const DEFAULT_SCOPE = 'status-reasons:read status-reasons:write';
const ALG = 'RS256';

type Key = Awaited<ReturnType<typeof importJWK>>;

export interface LocalKeys {
  privateKey: Key;
  publicKey: Key;
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
  };
}

export interface TokenOptions {
  account: string;
  scope?: string;
  /** Lifetime, e.g. '1h' or seconds. */
  expiresIn?: string | number;
  subject?: string;
}

export async function signToken(keys: LocalKeys, { account, scope = DEFAULT_SCOPE, expiresIn = '12h', subject = 'local-user' }: TokenOptions): Promise<string> {
  return new SignJWT({ account, scope })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(keys.privateKey);
}

/** Verifies `Authorization: Bearer <jwt>`; the claims, or undefined when API Gateway would answer 401. */
export async function verifyBearer(keys: LocalKeys, authorization: string | undefined): Promise<JWTPayload | undefined> {
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  try {
    const { payload } = await jwtVerify(match[1]!, keys.publicKey, {
      algorithms: [ALG],
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
    });
    return payload;
  } catch {
    return undefined;
  }
}
