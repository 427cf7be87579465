// Builds the admin console (web/ -> web/dist) when the built copy is missing or
// older than its sources, so `npm start` and the browser tests work on a fresh clone.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_DIST = path.join(WEB_DIR, 'dist');
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'public'];

function newestSourceTime(): number {
  let newest = 0;
  const visit = (entry: string) => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) visit(path.join(WEB_DIR, source));
  return newest;
}

/** True when web/dist is missing or older than a file it is built from. */
export function consoleIsStale(): boolean {
  const index = path.join(CONSOLE_DIST, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < newestSourceTime();
}

/** Builds web/dist if stale; the built folder appears whole (built aside, then renamed into place). */
export async function ensureConsoleBuilt(log: (line: string) => void = () => {}): Promise<string> {
  if (!consoleIsStale()) return CONSOLE_DIST;
  log('Building the admin console (web/ -> web/dist)…');
  const { build } = await import('vite');
  const aside = path.join(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  // Vite takes NODE_ENV from the process (vitest sets `test`), and React then ships its development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: WEB_DIR, configFile: path.join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn', mode: 'production', build: { outDir: aside, emptyOutDir: true } });
    // Another process may have built it meanwhile: either copy is the same build.
    if (consoleIsStale()) {
      rmSync(CONSOLE_DIST, { recursive: true, force: true });
      try {
        renameSync(aside, CONSOLE_DIST);
      } catch (error) {
        if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) throw error;
      }
    }
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    rmSync(aside, { recursive: true, force: true });
  }
  return CONSOLE_DIST;
}
