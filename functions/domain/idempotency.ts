// Idempotency keys: what makes two requests "the same request" (SPEC §1 "Idempotency").
// The adapters read the key (LivePerson's `Idempotency-Key` header, a direct
// invoke's `idempotencyKey`, the Connect SDK's `amz-sdk-invocation-id`); the
// store keeps it, with the first answer, in the same commit as the write.
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import './zod-messages.js';
import type { IdempotencyKey } from './store.js';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1–128 printable ASCII characters. */
export const idempotencyKeySchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .check(z.regex(/^[\x20-\x7e]{1,128}$/, { error: 'must be 1–128 printable ASCII characters' }));

/** JSON with object keys sorted, of already validated (so shallow) request data. */
function canonical(value: unknown, depth = 0): string {
  if (depth > 16) throw new Error('canonical(): request data nested deeper than validation allows');
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v, depth + 1)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The key as the store keeps it. `scope` keeps the adapters' keys apart (a
 * LivePerson key never matches a Connect invocation id); `request` is what the
 * request asks, after validation (operation, ids, items): the same key sent with
 * another request is refused.
 */
export function idempotencyKey(scope: 'lp' | 'connect' | 'invoke', key: string, request: unknown): IdempotencyKey {
  return { key: `${scope}:${key}`, fingerprint: createHash('sha256').update(canonical(request)).digest('base64url') };
}
