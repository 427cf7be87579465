// Local stand-in for API Gateway's IAM authorization: checks an AWS Signature
// Version 4 `Authorization` header against one set of credentials (the local
// server's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, default local/local).
//
// It does not implement the algorithm: it re-signs the received request with
// @smithy/signature-v4, using the caller's credential scope (date, region,
// service), its X-Amz-Date and exactly the headers it says it signed, and
// compares the two signatures in constant time. Refused (undefined → 403):
// no or malformed Authorization, another access key, a service other than
// `connect` or `execute-api`, an X-Amz-Date more than 15 minutes off, a body
// that does not match a signed x-amz-content-sha256, and any signature mismatch.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IamVerifier, SignedRequest } from './server.js';

export interface SigV4VerifierOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  /** The AWS account the caller's identity is reported in. */
  accountId?: string;
  /** Services a credential scope may name. */
  services?: readonly string[];
  /** How far X-Amz-Date may be from now. */
  maxSkewMs?: number;
  now?: () => number;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 +Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request *, *SignedHeaders=([a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*) *, *Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(value: string | undefined): Date | undefined {
  const m = AMZ_DATE.exec(value ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 19).replace(/[-:]/g, '') !== value!.slice(0, 15) ? undefined : date;
}

function query(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** Builds the IAM check the local server runs on IAM routes. */
export function createSigV4Verifier(options: SigV4VerifierOptions = {}): IamVerifier {
  const accessKeyId = options.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID ?? 'local';
  const secretAccessKey = options.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY ?? 'local';
  const accountId = options.accountId ?? '000000000000';
  const services = new Set(options.services ?? ['connect', 'execute-api']);
  const maxSkewMs = options.maxSkewMs ?? 15 * 60 * 1000;
  const now = options.now ?? Date.now;

  return async (request: SignedRequest) => {
    try {
      const match = AUTHORIZATION.exec((request.headers.authorization ?? '').trim());
      if (!match) return undefined;
      const [, key, scopeDate, region, service, signedList, signature] = match as unknown as [string, string, string, string, string, string, string];
      if (key !== accessKeyId || !services.has(service)) return undefined;

      const date = parseAmzDate(request.headers['x-amz-date']);
      if (!date || request.headers['x-amz-date']!.slice(0, 8) !== scopeDate) return undefined;
      if (Math.abs(now() - date.getTime()) > maxSkewMs) return undefined;

      const signed = signedList.split(';');
      if (!signed.includes('host') || !signed.includes('x-amz-date') || new Set(signed).size !== signed.length) return undefined;
      const headers: Record<string, string> = {};
      for (const name of signed) {
        const value = request.headers[name];
        if (value === undefined) return undefined;
        headers[name] = value;
      }
      // A signed payload hash must be the body's: otherwise the signature would not cover the body.
      const payloadHash = headers['x-amz-content-sha256'];
      if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(request.body).digest('hex')) return undefined;

      const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region, service, sha256: Sha256, uriEscapePath: true, applyChecksum: false });
      const resigned = await signer.sign(
        new HttpRequest({ method: request.method, protocol: 'http:', hostname: headers.host ?? 'localhost', path: request.path, query: query(request.query), headers, body: request.body }),
        { signingDate: date, signingRegion: region, signingService: service, signableHeaders: new Set(signed) },
      );
      const expected = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(resigned.headers.authorization ?? ''));
      if (!expected || expected[1] !== signedList) return undefined;
      const ok = timingSafeEqual(Buffer.from(expected[2]!, 'hex'), Buffer.from(signature, 'hex'));
      return ok ? { accessKey: accessKeyId, accountId } : undefined;
    } catch {
      return undefined;
    }
  };
}
