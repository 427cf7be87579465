// Connect's NextToken: an opaque cursor that only this service can make.
//
// A page ends at an id; the next page starts after it (ids are the stable sort
// key: a reason created between two pages has a higher id and shows up on a
// later page; one deleted meanwhile is simply not there; none is repeated).
// The token is that id sealed with AES-256-GCM under a key from
// CONNECT_NEXT_TOKEN_SECRET, with the operation, the instance and the query it
// was made for as associated data: a token that was forged or altered, made
// with another secret, or made for another instance, operation or filter does
// not open, and the request is refused.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** The secret the function uses when CONNECT_NEXT_TOKEN_SECRET is unset (locally; the CDK stack always sets it). */
export const LOCAL_NEXT_TOKEN_SECRET = 'agent-status-reasons-local-next-token-secret';

/** Connect's limit on a NextToken's length. */
export const NEXT_TOKEN_MAX_LENGTH = 2500;

/** What a token is bound to: it opens only for the same operation, instance and query. */
export interface NextTokenScope {
  operation: string;
  instanceId: string;
  /** The request's filters, canonically (not the page size, which a caller may change between pages). */
  query: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

const keyOf = (secret: string) => createHash('sha256').update(`connect-next-token\0${secret}`).digest();
const associatedData = (scope: NextTokenScope) => Buffer.from(JSON.stringify([scope.operation, scope.instanceId, scope.query]));

export function sealNextToken(secret: string, scope: NextTokenScope, afterId: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  cipher.setAAD(associatedData(scope));
  const sealed = Buffer.concat([cipher.update(String(afterId), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** The id a token continues after, or undefined when it does not open for this scope. */
export function openNextToken(secret: string, scope: NextTokenScope, token: string): number | undefined {
  if (token.length > NEXT_TOKEN_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(scope));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    const id = Number(plain);
    return /^\d{1,16}$/.test(plain) && Number.isSafeInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
