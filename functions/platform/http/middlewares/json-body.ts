// Parses a JSON request body, with a size limit, into `event.parsedBody`.
// Every failure is a 4xx that says what is wrong: 413 too large, 415 not
// JSON, 400 missing, not UTF-8 or malformed.
import type { MiddlewareObj } from '@middy/core';
import { HttpError } from '../http-error.js';
import type { HttpEvent, HttpResult } from '../types.js';

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes (after base64 decoding). */
  maxBytes?: number;
  /** Whether this request takes a body at all; one that does not is left unread. */
  when?: (event: HttpEvent) => boolean;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** The body's bytes as API Gateway delivered them (base64-decoded when it says so). */
export function bodyBytes(event: HttpEvent): Buffer {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Where the first ill-formed sequence of `bytes` starts (the well-formed
 * sequences are those of the Unicode Standard's table 3-7), or -1: only to
 * name the byte once the decoder has refused them.
 */
export function illFormedUtf8At(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // How many bytes follow the lead, and the range of the first of them (any further ones are 0x80-0xbf).
    const [count, low, high] =
      lead >= 0xc2 && lead <= 0xdf ? [1, 0x80, 0xbf]
      : lead === 0xe0 ? [2, 0xa0, 0xbf]
      : lead === 0xed ? [2, 0x80, 0x9f]
      : lead >= 0xe1 && lead <= 0xef ? [2, 0x80, 0xbf]
      : lead === 0xf0 ? [3, 0x90, 0xbf]
      : lead >= 0xf1 && lead <= 0xf3 ? [3, 0x80, 0xbf]
      : lead === 0xf4 ? [3, 0x80, 0x8f]
      : [0, 0, 0];
    if (count === 0) return i;
    for (let k = 1; k <= count; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += count + 1;
  }
  return -1;
}

/**
 * The body's bytes as text. Bytes that are not UTF-8 (API Gateway hands such a
 * body over base64-encoded) are a 400 naming the first bad byte: decoding them
 * loosely would store U+FFFD in their place.
 */
export function utf8Text(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    const at = illFormedUtf8At(bytes);
    throw new HttpError(400, `The request body is not valid UTF-8: the sequence at byte ${at} (0x${bytes[at]!.toString(16).padStart(2, '0')}) is ill-formed.`, [
      { path: '', message: `is not valid UTF-8 (ill-formed at byte ${at})` },
    ]);
  }
}

export const jsonBody = ({ maxBytes = 256 * 1024, when = () => true }: JsonBodyOptions = {}): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: ({ event }) => {
    if (!when(event)) return;
    const bytes = bodyBytes(event);
    if (bytes.length > maxBytes) {
      throw new HttpError(413, `The request body is ${bytes.length} bytes; the limit is ${maxBytes} bytes.`, [
        { path: '', message: `must be at most ${maxBytes} bytes (got ${bytes.length})` },
      ]);
    }
    if (bytes.length === 0) throw new HttpError(400, 'The request needs a JSON body.', [{ path: '', message: 'is required' }]);
    const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]!.trim();
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new HttpError(415, `The body must be sent as Content-Type: application/json${contentType ? ` (got ${contentType})` : ''}.`);
    }
    const text = utf8Text(bytes);
    try {
      event.parsedBody = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof SyntaxError ? error.message : 'it does not parse';
      throw new HttpError(400, `The body is not valid JSON: ${detail}.`, [{ path: '', message: 'is not valid JSON' }]);
    }
  },
});
