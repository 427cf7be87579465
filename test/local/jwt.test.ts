// The local gateway's JWT check refuses what API Gateway's JWT authorizer
// refuses (`kid` of a known key, `exp` required and not past, `nbf` and `iat`
// not in the future), not only what jose refuses by default.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOCK_SKEW_SECONDS, LOCAL_AUDIENCE, LOCAL_ISSUER, loadOrCreateKeys, signToken, verifyBearer, type LocalKeys } from '../../infra/local/jwt.js';

let dir: string;
let keys: LocalKeys;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'asr-jwt-'));
  keys = await loadOrCreateKeys(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = () => Math.floor(Date.now() / 1000);

interface Shape {
  header?: Record<string, unknown>;
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
}
/** A token signed with the local key, its header and time claims as given (null: left out). */
async function token({ header = { kid: keys.kid }, iat = now(), exp = now() + 3600, nbf }: Shape = {}): Promise<string> {
  const jwt = new SignJWT({ account: '7', scope: 'status-reasons:read' })
    .setProtectedHeader({ alg: 'RS256', ...header })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE);
  if (iat !== null) jwt.setIssuedAt(iat);
  if (exp !== null) jwt.setExpirationTime(exp);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.sign(keys.privateKey);
}
const verified = async (jwt: string) => (await verifyBearer(keys, `Bearer ${jwt}`)) !== undefined;

describe('verifyBearer', () => {
  it('accepts a well-formed token, and npm run token makes one with the key id', async () => {
    expect(await verified(await token())).toBe(true);
    const printed = await signToken(keys, { account: '7' });
    expect(decodeProtectedHeader(printed).kid).toBe(keys.kid);
    expect(await verified(printed)).toBe(true);
  });

  it.each<[string, Shape]>([
    ['no exp', { exp: null }],
    ['exp a second ago', { exp: now() - 1 }],
    ['iat a day ahead', { iat: now() + 86_400 }],
    ['iat just past the allowed skew', { iat: now() + CLOCK_SKEW_SECONDS + 5 }],
    ['nbf a minute ahead', { nbf: now() + 60 }],
    ['no kid', { header: {} }],
    ['another kid', { header: { kid: 'not-the-local-key' } }],
  ])('refuses a token with %s', async (_, shape) => {
    expect(await verified(await token(shape))).toBe(false);
  });

  it('allows a small clock skew on iat, and no iat at all', async () => {
    expect(await verified(await token({ iat: now() + CLOCK_SKEW_SECONDS - 5 }))).toBe(true);
    expect(await verified(await token({ iat: null }))).toBe(true);
  });

  it('gives a key pair the same kid each time it is loaded (a thumbprint of the public key)', async () => {
    expect((await loadOrCreateKeys(dir)).kid).toBe(keys.kid);
    const other = mkdtempSync(path.join(tmpdir(), 'asr-jwt-other-'));
    try {
      expect((await loadOrCreateKeys(other)).kid).not.toBe(keys.kid);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
