// The console's OIDC sign-in (authorization code + PKCE, oidc-client-ts) in a
// real browser, against a small local OpenID provider whose access tokens the
// local API accepts: what the deployed page does with the stack's Cognito pool.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { launchChromium, newAccount, saveScreenshots, shownTexts, startConsoleServer, type ConsoleServer } from './harness.js';
import { startOidcStandIn, type OidcStandIn } from './oidc-stand-in.js';

let provider: OidcStandIn;
let server: ConsoleServer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  let mint: ConsoleServer['token'] | undefined;
  provider = await startOidcStandIn({
    clientId: 'console-client',
    mintAccessToken: (user) => mint!(user.account, user.write ? 'status-reasons:read status-reasons:write' : 'status-reasons:read'),
  });
  [server, browser] = await Promise.all([
    startConsoleServer({
      config: { signIn: 'oidc', authority: provider.url, clientId: 'console-client', scope: 'openid status-reasons:read status-reasons:write', accountClaim: 'account' },
      connectSources: [provider.url],
    }),
    launchChromium(),
  ]);
  mint = server.token;
  provider.consoleOrigin = server.url;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await provider?.close();
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
});
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await saveScreenshots(context, task.name);
  await context.close();
});

async function signInWithProvider(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Status reasons', level: 1 }).waitFor();
  await page.getByTestId('revision').waitFor();
  return page;
}

describe('OIDC sign-in (authorization code + PKCE)', { timeout: 60_000 }, () => {
  test('an admin in the writers’ group signs in at the provider, comes back with a code, and edits their account', async () => {
    const account = newAccount();
    await server.api(account, '', { method: 'POST', body: { text: 'Lunch', state: 'Away' } });
    provider.user = { sub: 'ann', account, write: true };
    const before = provider.tokenRequests.length;
    const page = await signInWithProvider();

    // The page asked for a code with an S256 challenge, and redeemed it with the matching verifier (the provider checks it).
    const authorize = provider.authorizeRequests.at(-1)!;
    expect(authorize).toMatchObject({ response_type: 'code', client_id: 'console-client', redirect_uri: `${server.url}/`, code_challenge_method: 'S256' });
    expect(authorize.scope).toBe('openid status-reasons:read status-reasons:write');
    expect(provider.tokenRequests.slice(before)).toHaveLength(1);
    expect(provider.tokenRequests.at(-1)).toMatchObject({ grant_type: 'authorization_code', client_id: 'console-client' });
    expect(provider.tokenRequests.at(-1)!.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    // The single-use code is gone from the address bar.
    expect(new URL(page.url()).search).toBe('');

    expect(await page.getByTestId('account').textContent()).toBe(account);
    expect(await shownTexts(page)).toEqual(['Lunch']);
    await page.getByLabel('State of “Lunch”').selectOption('Online');
    await expect.poll(async () => (await server.api(account, '')).body[0].state).toBe('Online');

    // A reload keeps the session (this tab's storage); signing out forgets it.
    await page.reload();
    await page.getByTestId('revision').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  test('a user outside the writers’ group gets a read-only token and sees no edit controls', async () => {
    const account = newAccount();
    await server.api(account, '', { method: 'POST', body: { text: 'Lunch', state: 'Away' } });
    provider.user = { sub: 'bob', account, write: false };
    const page = await signInWithProvider();
    await page.getByText('Read only').waitFor();
    expect(await shownTexts(page)).toEqual(['Lunch']);
    expect(await page.getByRole('button', { name: /Delete|Move|Add/ }).count()).toBe(0);
  });

  test('a configuration without a client id says what is wrong instead of offering a sign-in', async () => {
    await context.route('**/config.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ signIn: 'oidc', authority: provider.url }) }));
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByText('“clientId” must name the console’s app client').waitFor();
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
  });

  test('a callback this tab did not start (an unknown state) comes back to the sign-in with the reason', async () => {
    provider.user = { sub: 'ann', account: newAccount(), write: true };
    const page = await signInWithProvider();
    const redirect = `${server.url}/?code=${'x'.repeat(32)}&state=unknown-state`;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(redirect);
    await page.getByRole('alert').filter({ hasText: 'Signing in did not work' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });
});
