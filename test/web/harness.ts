// The console end to end: the local server (API + built page + dev sign-in) on
// the run's DynamoDB Local, and Debian's Chromium driven by playwright-core.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createHandler } from '../../functions/entry/http.js';
import { loadOrCreateKeys, signToken } from '../../infra/local/jwt.js';
import { startLocalServer, type LocalServer } from '../../infra/local/server.js';
import { ensureConsoleBuilt } from '../../web/server/build.js';
import { createTestTable, newAccount } from '../support/dynamo.js';
import { launchChromium } from './harness-browser.js';

export { launchChromium };

export const SCREENSHOTS = path.resolve(import.meta.dirname, 'screenshots');

export interface ConsoleServer {
  server: LocalServer;
  url: string;
  /** A token for `account` (read and write unless `scope` says otherwise). */
  token(account: string, scope?: string): Promise<string>;
  /** Calls the API as a test would (not through the page). */
  api(account: string, pathAndQuery: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; revision: number; body: any }>;
  close(): Promise<void>;
}

export interface ConsoleServerOptions {
  /** For the store behind the server, such as small history keep-limits. */
  store?: Parameters<Awaited<ReturnType<typeof createTestTable>>['store']>[0];
  /** What `/config.json` says (default: the dev sign-in). */
  config?: Record<string, unknown>;
  /** Origins the page may fetch from besides its own (an OIDC issuer's). */
  connectSources?: string[];
}

export async function startConsoleServer(options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const consoleDir = await ensureConsoleBuilt();
  const table = await createTestTable();
  const keysDir = mkdtempSync(path.join(tmpdir(), 'console-keys-'));
  const keys = await loadOrCreateKeys(keysDir);
  const store = table.store(options.store ?? {});
  const server = await startLocalServer({
    handler: createHandler(() => store),
    keys,
    port: 0,
    documents: { '/config.json': options.config ?? { signIn: 'dev' } },
    consoleDir,
    ...(options.connectSources && { consoleConnectSources: options.connectSources }),
    devSignIn: (account, scope) => signToken(keys, { account, scope, subject: 'console-dev' }),
  });
  const token = (account: string, scope?: string) => signToken(keys, { account, ...(scope && { scope }) });
  return {
    server,
    url: server.url,
    token,
    async api(account, pathAndQuery, init = {}) {
      const response = await fetch(`${server.url}/api/account/${account}/configuration/le-agents/status-reasons${pathAndQuery}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${await token(account)}`, ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      const text = await response.text();
      return { status: response.status, revision: Number(response.headers.get('ac-revision')), body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await server.close();
      table.client.destroy();
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

export { newAccount };

/** Opens the console and signs in through the dev sign-in form. */
export async function signIn(context: BrowserContext, url: string, account: string, access: 'write' | 'read' = 'write'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.getByLabel('Account id').fill(account);
  await page.getByLabel(access === 'write' ? 'Read and write' : 'Read only').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Status reasons', level: 1 }).waitFor();
  await page.getByTestId('revision').waitFor();
  return page;
}

/** Saves a screenshot of every open page of `context` (called when a test failed). */
export async function saveScreenshots(context: BrowserContext | undefined, name: string): Promise<void> {
  if (!context) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const safe = name.replace(/[^\w.-]+/g, '_').slice(0, 120);
  await Promise.all(context.pages().map((page, i) => page.screenshot({ path: path.join(SCREENSHOTS, `${safe}-${i}.png`), fullPage: true }).catch(() => undefined)));
}

/** The texts of the reasons the page lists, in order. */
export async function shownTexts(page: Page): Promise<string[]> {
  // The page's own types (DOM) are not in the tests' lib, hence `any` inside the browser-side function.
  return page.locator('ol.reasons > li').evaluateAll((rows: any[]) => rows.map((row) => row.querySelector('input.text')?.value ?? row.querySelector('.text')?.textContent ?? ''));
}

export interface ConsoleInChromium {
  server: ConsoleServer;
  browser: Browser;
  /** This test's context; a test may put another here, which is then the one screenshotted and closed. */
  context: BrowserContext;
}

/**
 * Registers the hooks of a console test file: before all, the console server (on
 * a fresh table) and Chromium; before each test, a fresh 1100×900 context; after
 * each, a failed test's screenshots and the context closed; after all, both closed.
 * The fields are set as the hooks run.
 */
export function consoleInChromium(): ConsoleInChromium {
  const ui = {} as ConsoleInChromium;
  beforeAll(async () => {
    [ui.server, ui.browser] = await Promise.all([startConsoleServer(), launchChromium()]);
  });
  afterAll(async () => {
    await ui.browser?.close();
    await ui.server?.close();
  });
  beforeEach(async () => {
    ui.context = await ui.browser.newContext({ viewport: { width: 1100, height: 900 } });
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await saveScreenshots(ui.context, task.name);
    await ui.context.close();
  });
  return ui;
}
