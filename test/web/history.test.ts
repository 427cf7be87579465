// The console's history view in a real browser (Debian's Chromium) against the
// real local server and DynamoDB Local: who, when and what from `base/changes`,
// paged by `since`, following other admins' writes, and a 410 said in words.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { launchChromium, newAccount, saveScreenshots, signIn, startConsoleServer, type ConsoleServer } from './harness.js';

let server: ConsoleServer;
/** A server whose store keeps only about 2 KB of history per account, so that old `since`s are a 410. */
let forgetful: ConsoleServer;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [server, forgetful, browser] = await Promise.all([
    startConsoleServer(),
    startConsoleServer({ store: { keepLimits: { maxAgeMs: 86_400_000, maxBytes: 2_000 } } }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), forgetful?.close()]);
});
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
});
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await saveScreenshots(context, task.name);
  await context.close();
});

const entries = (page: Page) => page.getByRole('list', { name: 'Changes, newest first' }).locator(':scope > li');
const revisionsShown = (page: Page) => entries(page).evaluateAll((items: any[]) => items.map((item) => Number(item.dataset.revision)));
const entryText = (page: Page, revision: number) => page.locator(`li.entry[data-revision="${revision}"]`).textContent();

async function openHistory(page: Page) {
  await page.getByRole('button', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
}

describe('the history view', { timeout: 90_000 }, () => {
  test('shows who, when and what for every write, newest first: per changed reason its op and old → new values', async () => {
    const account = newAccount();
    const created = await server.api(account, '', {
      method: 'POST',
      body: [
        { text: 'Lunch', state: 'Away' },
        { text: 'Meeting', state: 'Occupied' },
        { text: 'Training', state: 'Away' },
      ],
    });
    expect(created.status).toBe(200);
    const [lunch, meeting, training] = created.body as { id: number; text: string }[];
    await server.api(account, `/${lunch!.id}`, { method: 'PUT', body: { text: 'Lunch break', state: 'Away', enabled: false } });
    await server.api(account, `/${training!.id}`, { method: 'DELETE' });
    await server.api(account, `/${training!.id}`, { method: 'PUT', body: { text: 'Training', state: 'Away', deleted: false } });
    await server.api(account, '/reorder', { method: 'POST', body: { ids: [meeting!.id, lunch!.id, training!.id] } });

    const page = await signIn(context, server.url, account);
    // One write of the page's own, so that the dev sign-in's subject shows as the actor.
    await page.getByLabel('State of “Meeting”').selectOption('Online');
    await expect.poll(async () => Number(await page.getByTestId('revision').textContent())).toBe(6);
    await openHistory(page);
    await expect.poll(() => revisionsShown(page)).toEqual([6, 5, 4, 3, 2, 1]);

    expect(await entryText(page, 6)).toMatch(/Revision 6 · .+ · console-dev via LivePerson API/);
    expect(await entryText(page, 6)).toContain('Updated “Meeting”: state: Back soon → Online');
    expect(await entryText(page, 5)).toContain('local-user');
    expect(await entryText(page, 5)).toMatch(/Moved “(Meeting|Lunch break)”: order: -?\d+ → -?\d+/);
    expect(await entryText(page, 4)).toContain('Restored “Training”');
    expect(await entryText(page, 3)).toContain('Deleted “Training”');
    expect(await entryText(page, 2)).toContain('Updated “Lunch break”: text: “Lunch” → “Lunch break”; enabled: yes → no');
    const first = await entryText(page, 1);
    expect(first).toContain('Created “Lunch”: state Away');
    expect(first).toContain('Created “Meeting”: state Back soon');
    expect(first).toContain('Created “Training”: state Away');
    // When: the entry's `at`, machine-readable in <time>.
    const at = await page.locator('li.entry[data-revision="1"] time').getAttribute('datetime');
    expect(Math.abs(Date.parse(at!) - Date.now())).toBeLessThan(120_000);
  });

  test('pages by since: the newest 20 first, older ones on request, down to the first write', async () => {
    const account = newAccount();
    const { body } = await server.api(account, '', { method: 'POST', body: { text: 'Reason 0', state: 'Away' } });
    for (let i = 1; i < 25; i++) await server.api(account, `/${body.id}`, { method: 'PUT', body: { text: `Reason ${i}`, state: 'Away' } });
    const page = await signIn(context, server.url, account, 'read');
    const requests: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/changes')) requests.push(url.search);
    });
    await openHistory(page);
    await expect.poll(() => revisionsShown(page)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(requests).toContain('?since=5&limit=20');
    expect(await entryText(page, 25)).toContain('text: “Reason 23” → “Reason 24”');

    // By keyboard: the focus goes to the first of the older entries (not to the body, as the button goes away).
    await page.getByRole('button', { name: 'Show older changes' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => revisionsShown(page)).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
    expect(requests).toContain('?since=0&limit=5');
    expect(await page.getByRole('button', { name: 'Show older changes' }).count()).toBe(0);
    await expect.poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.revision)).toBe('5');
    expect(await page.getByText('no longer kept').count()).toBe(0);
  });

  test('follows other clients’ writes while open, without a reload', async () => {
    const account = newAccount();
    await server.api(account, '', { method: 'POST', body: { text: 'Lunch', state: 'Away' } });
    const page = await signIn(context, server.url, account);
    await openHistory(page);
    await expect.poll(() => revisionsShown(page)).toEqual([1]);
    await server.api(account, '', { method: 'POST', body: [{ text: 'Coffee', state: 'Occupied' }] });
    await expect.poll(() => revisionsShown(page), { timeout: 15_000 }).toEqual([2, 1]);
    expect(await entryText(page, 2)).toContain('Created “Coffee”: state Back soon');
    // Back on the list, the other client's reason is there too (the same poll applied it).
    await page.getByRole('button', { name: 'Reasons' }).click();
    await page.getByLabel('Text of “Coffee”').waitFor();
  });

  test('says that history before revision N is no longer kept (a 410), and shows what is kept', async () => {
    const account = newAccount();
    const { body } = await forgetful.api(account, '', { method: 'POST', body: { text: 'Reason 0', state: 'Away' } });
    for (let i = 1; i < 30; i++) await forgetful.api(account, `/${body.id}`, { method: 'PUT', body: { text: `Reason ${i}`, state: 'Away' } });
    const gone = await forgetful.api(account, '/changes?since=0');
    expect(gone.status).toBe(410);
    const oldest = gone.body.oldestRevision as number;
    expect(oldest).toBeGreaterThan(11); // fewer than the view's 20 kept, so its first page is refused

    const page = await signIn(context, forgetful.url, account);
    await openHistory(page);
    await page.getByText(`History before revision ${oldest} is no longer kept.`).waitFor();
    expect(await revisionsShown(page)).toEqual(Array.from({ length: 30 - oldest + 1 }, (_, i) => 30 - i));
    expect(await page.getByRole('button', { name: 'Show older changes' }).count()).toBe(0);
  });

  test('an account with no writes says so', async () => {
    const page = await signIn(context, server.url, newAccount());
    await openHistory(page);
    await page.getByText('No changes yet.').waitFor();
  });
});
