// The local server's part of the admin console: its built files at `/`, and the
// dev sign-in that mints a token the way `npm run token` does.
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page loads only its own scripts and styles and talks only to its own
 * origin, plus the identity provider's origins when it signs in with OIDC (its
 * discovery document and token endpoint are fetched by the page).
 */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  const connect = ["'self'", ...connectSources].join(' ');
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

const securityHeaders = (connectSources: readonly string[]) => ({
  'content-security-policy': contentSecurityPolicy(connectSources),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/**
 * Serves `pathname` from the built console when such a file exists (`/` is
 * index.html); false when it does not, so the caller answers its own 404.
 */
export function serveConsole(dir: string, pathname: string, method: string, res: ServerResponse, connectSources: readonly string[] = []): boolean {
  const relative = pathname === '/' ? 'index.html' : safeRelative(pathname);
  if (relative === undefined) return false;
  const file = path.join(dir, relative);
  let body: Buffer;
  try {
    if (!statSync(file).isFile()) return false;
    body = readFileSync(file);
  } catch {
    return false;
  }
  // Vite names built assets by content hash, so they never change; index.html must be fetched anew.
  const immutable = relative.startsWith('assets/');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': String(body.length),
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...securityHeaders(connectSources),
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}

/** A path inside the console's folder, or undefined for anything that could leave it. */
function safeRelative(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const normal = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (normal === '' || normal.startsWith('..') || normal.includes('\0') || normal.split('/').some((part) => part.startsWith('.'))) return undefined;
  return normal;
}

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

const READ = 'status-reasons:read';
const WRITE = 'status-reasons:write';
const ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

/** `POST /dev/sign-in` with `{"account": "123", "write": true}`: answers `{"token": "..."}`. */
export async function signInDev(req: IncomingMessage, res: ServerResponse, mint: (account: string, scope: string) => Promise<string>): Promise<void> {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') return answer(405, { message: 'Use POST.' }, { allow: 'POST' });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) return answer(413, { message: 'Request Entity Too Large' });
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return answer(400, { message: 'The body must be JSON: {"account": "<id>", "write": true|false}.' });
  }
  const { account, write } = (body ?? {}) as { account?: unknown; write?: unknown };
  if (typeof account !== 'string' || !ACCOUNT.test(account)) {
    return answer(400, { message: 'account must be 1–64 letters, digits, "-" or "_".', errors: [{ path: 'account', message: 'must be 1–64 letters, digits, "-" or "_"' }] });
  }
  if (typeof write !== 'boolean') return answer(400, { message: 'write must be true or false.', errors: [{ path: 'write', message: 'must be a boolean' }] });
  answer(200, { token: await mint(account, write ? `${READ} ${WRITE}` : READ) });
}
