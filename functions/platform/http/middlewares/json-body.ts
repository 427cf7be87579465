// Parses a JSON request body, with a size limit, into `event.parsedBody`.
// Every failure is a 4xx that says what is wrong: 413 too large, 415 not
// JSON, 400 missing or malformed.
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

/** The bytes as text; malformed UTF-8 becomes U+FFFD, which JSON.parse then judges. */
export const utf8Text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

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
    try {
      event.parsedBody = JSON.parse(utf8Text(bytes));
    } catch (error) {
      const detail = error instanceof SyntaxError ? error.message : 'it does not parse';
      throw new HttpError(400, `The body is not valid JSON: ${detail}.`, [{ path: '', message: 'is not valid JSON' }]);
    }
  },
});
