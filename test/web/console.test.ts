// The admin console in a real browser (Debian's Chromium) against the real local
// server and DynamoDB Local: every action an admin takes, checked through the API.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { consoleInChromium, newAccount, saveScreenshots, shownTexts, signIn } from './harness.js';

const ui = consoleInChromium();

/** An account with these reasons, created in this order (the first one ends up first). */
async function accountWith(reasons: { text: string; state: string; enabled?: boolean }[]): Promise<string> {
  const account = newAccount();
  if (reasons.length) {
    const answer = await ui.server.api(account, '', { method: 'POST', body: reasons });
    expect(answer.status).toBe(200);
  }
  return account;
}

const listed = async (account: string, query = '') => (await ui.server.api(account, query)).body as { id: number; text: string; state: string; enabled: boolean; deleted: boolean }[];
/** Keys as a person presses them: each move is drawn (and measured by dnd-kit) before the next. */
async function pressSlowly(page: Page, keys: string[]) {
  for (const key of keys) {
    await page.keyboard.press(key);
    await page.waitForTimeout(250);
  }
}
const row = (page: Page, text: string) => page.locator('ol.reasons > li', { has: page.locator(`input.text[aria-label="Text of “${text}”"]`) });

describe('the admin console', { timeout: 60_000 }, () => {
  test('signs in with the dev sign-in and lists the reasons in order, filtered by state ("Occupied" shown as "Back soon")', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Back in 5', state: 'Occupied' },
      { text: 'Available for chats', state: 'Online' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch', 'Back in 5', 'Available for chats']);
    expect(await page.getByLabel('State of “Back in 5”').inputValue()).toBe('Occupied');
    expect(await page.getByLabel('State of “Back in 5”').locator('option:checked').textContent()).toBe('Back soon');

    await page.getByRole('button', { name: /^Back soon/ }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Back in 5']);
    await page.getByRole('button', { name: /^Online/ }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Available for chats']);
    await page.getByRole('button', { name: /^All/ }).click();
    await expect.poll(() => shownTexts(page)).toHaveLength(3);
    expect(await page.getByTestId('account').textContent()).toBe(account);
  });

  test('creates many reasons, one per line; a refused line is named by its line number and nothing is created', async () => {
    const account = await accountWith([{ text: 'Lunch', state: 'Away' }]);
    const page = await signIn(ui.context, ui.server.url, account);
    const box = page.getByLabel('New reasons, one per line');
    await box.fill('Training\n  lunch  \n\nTeam meeting');
    await page.getByLabel('State', { exact: true }).selectOption('Occupied');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const errors = page.getByRole('list', { name: 'Not added' });
    await errors.waitFor();
    expect(await errors.textContent()).toMatch(/Line 2.*“lunch”/);
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect((await listed(account)).map((r) => r.text)).toEqual(['Lunch']);

    await box.fill('Training\nTeam meeting');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Training', 'Team meeting', 'Lunch']);
    expect(await box.inputValue()).toBe('');
    const stored = await listed(account);
    expect(stored.map((r) => [r.text, r.state])).toEqual([
      ['Training', 'Occupied'],
      ['Team meeting', 'Occupied'],
      ['Lunch', 'Away'],
    ]);
  });

  test('renames, changes state, disables and enables in place, each a PUT with If-Match', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Coaching', state: 'Away' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    const revision = async () => Number(await page.getByTestId('revision').textContent());
    const start = await revision();

    const text = page.getByLabel('Text of “Lunch”');
    await text.fill('Lunch break');
    await text.press('Enter');
    await page.getByLabel('Text of “Lunch break”').waitFor();
    await page.getByLabel('State of “Coaching”').selectOption('Occupied');
    await expect.poll(revision).toBe(start + 2);
    await row(page, 'Coaching').getByLabel('Enabled').uncheck();
    await expect.poll(revision).toBe(start + 3);
    await expect.poll(async () => (await listed(account)).map((r) => [r.text, r.state, r.enabled])).toEqual([
      ['Lunch break', 'Away', true],
      ['Coaching', 'Occupied', false],
    ]);
    await row(page, 'Coaching').getByLabel('Enabled').check();
    await expect.poll(async () => (await listed(account))[1]!.enabled).toBe(true);

    // A rename to a text another reason has is refused, shown on the row, and Escape puts the old text back.
    await page.getByLabel('Text of “Coaching”').fill('lunch BREAK');
    await page.getByLabel('Text of “Coaching”').press('Enter');
    await row(page, 'Coaching').getByRole('alert').waitFor();
    expect(await row(page, 'Coaching').getByRole('alert').textContent()).toMatch(/lunch break/i);
    await page.getByLabel('Text of “Coaching”').press('Escape');
    expect(await page.getByLabel('Text of “Coaching”').inputValue()).toBe('Coaching');
  });

  test('reorders by keyboard (Space, arrows, Space) with one POST reorder, and announces where the reason went', async () => {
    const account = await accountWith(['One', 'Two', 'Three', 'Four'].map((text) => ({ text, state: 'Away' })));
    const page = await signIn(ui.context, ui.server.url, account);
    const before = Number(await page.getByTestId('revision').textContent());
    const reorders: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/reorder')) reorders.push(`${request.method()} ${request.headers()['if-match']}`);
    });
    await page.getByRole('button', { name: 'Move “Four”' }).focus();
    await pressSlowly(page, ['Space', 'ArrowUp', 'ArrowUp', 'Space']);
    await expect.poll(async () => (await listed(account)).map((r) => r.text)).toEqual(['One', 'Four', 'Two', 'Three']);
    expect(reorders).toEqual([`POST ${before}`]);
    await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/Saved: “Four” is at position 2 of 4/);
    expect(await shownTexts(page)).toEqual(['One', 'Four', 'Two', 'Three']);
    expect(Number(await page.getByTestId('revision').textContent())).toBe(before + 1);
  });

  test('reorders by drag and drop', async () => {
    const account = await accountWith(['One', 'Two', 'Three', 'Four'].map((text) => ({ text, state: 'Away' })));
    const page = await signIn(ui.context, ui.server.url, account);
    const handle = page.getByRole('button', { name: 'Move “One”' });
    const target = page.getByRole('button', { name: 'Move “Three”' });
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 + ((to.y - from.y + 8) * step) / 10);
    await page.mouse.up();
    await expect.poll(async () => (await listed(account)).map((r) => r.text)).toEqual(['Two', 'Three', 'One', 'Four']);
    await expect.poll(() => shownTexts(page)).toEqual(['Two', 'Three', 'One', 'Four']);
  });

  test('a long list draws only the rows near the window: the rest are drawn on scrolling, and the keyboard moves a reason past the window', async () => {
    const texts = Array.from({ length: 60 }, (_, i) => `R${String(i + 1).padStart(2, '0')}`);
    const account = await accountWith(texts.map((text) => ({ text, state: 'Away' })));
    await ui.context.close();
    ui.context = await ui.browser.newContext({ viewport: { width: 1100, height: 500 } });
    const page = await signIn(ui.context, ui.server.url, account);
    const first = row(page, 'R01');
    await first.waitFor();
    expect(await first.getAttribute('aria-setsize')).toBe('60');
    expect(await first.getAttribute('aria-posinset')).toBe('1');
    const drawn = (await shownTexts(page)).length;
    expect(drawn).toBeLessThan(60);
    expect(await row(page, 'R60').count()).toBe(0);
    // The rule below a row goes only under the last reason, not under whichever row is drawn last.
    const ruleBelow = (li: Locator) => li.evaluate((el) => (globalThis as any).getComputedStyle(el).borderBottomWidth as string);
    expect(await ruleBelow(page.locator('ol.reasons > li').last())).toBe('1px');

    // The row being edited stays drawn, its typed text kept, while the page scrolls far from it.
    await page.getByLabel('Text of “R02”').fill('R02 half typed');
    await page.evaluate(() => (globalThis as any).scrollTo(0, (globalThis as any).document.documentElement.scrollHeight));
    await row(page, 'R60').waitFor();
    expect(await row(page, 'R60').getAttribute('aria-posinset')).toBe('60');
    expect(await ruleBelow(row(page, 'R60'))).toBe('0px');
    expect(await row(page, 'R30').count()).toBe(0);
    expect(await page.getByLabel('Text of “R02”').inputValue()).toBe('R02 half typed');
    await page.getByLabel('Text of “R02”').press('Escape');
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await first.waitFor();

    // Thirty rows down: the page scrolls under the dragged reason, and the rows it reaches are drawn to drop among.
    await page.getByRole('button', { name: 'Move “R01”' }).focus();
    await pressSlowly(page, ['Space', ...Array<string>(30).fill('ArrowDown'), 'Space']);
    const expected = [...texts.slice(1, 31), 'R01', ...texts.slice(31)];
    await expect.poll(async () => (await listed(account)).map((r) => r.text)).toEqual(expected);
    await expect.poll(() => page.getByTestId('announcer').textContent()).toMatch(/Saved: “R01” is at position 31 of 60/);
    expect(await row(page, 'R01').getAttribute('aria-posinset')).toBe('31');
  });

  test('reorders inside a state filter: the reason moves among the shown ones, the others keep their places', async () => {
    const account = await accountWith([
      { text: 'A1', state: 'Away' },
      { text: 'O1', state: 'Online' },
      { text: 'A2', state: 'Away' },
      { text: 'O2', state: 'Online' },
      { text: 'A3', state: 'Away' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    await page.getByRole('button', { name: /^Away/ }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['A1', 'A2', 'A3']);
    await page.getByRole('button', { name: 'Move “A3”' }).focus();
    await pressSlowly(page, ['Enter', 'ArrowUp', 'ArrowUp', 'Enter']);
    await expect.poll(async () => (await listed(account)).map((r) => r.text)).toEqual(['A3', 'A1', 'O1', 'A2', 'O2']);
  });

  test('deletes with an Undo that restores, and shows deleted reasons on request to restore them', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Meeting', state: 'Occupied' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    await page.getByRole('button', { name: 'Delete “Lunch”' }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Meeting']);
    expect((await listed(account)).map((r) => r.text)).toEqual(['Meeting']);
    const undo = page.getByRole('button', { name: 'Undo' });
    await expect.poll(() => undo.evaluate((el) => el === (el.ownerDocument as any).activeElement)).toBe(true);
    await undo.click();
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch', 'Meeting']);
    expect((await listed(account)).map((r) => [r.text, r.deleted])).toEqual([
      ['Lunch', false],
      ['Meeting', false],
    ]);

    await page.getByRole('button', { name: 'Delete “Meeting”' }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch']);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByLabel('Show deleted').check();
    const deleted = page.getByRole('region', { name: /^Deleted/ });
    await deleted.getByText('Meeting').waitFor();
    await deleted.getByRole('button', { name: 'Restore “Meeting”' }).click();
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch', 'Meeting']);
    expect((await listed(account)).map((r) => r.text)).toEqual(['Lunch', 'Meeting']);
    expect(await deleted.getByText('No deleted reasons.').count()).toBe(1);
  });

  test('keyboard only: after Undo, Close, Restore, Add and a state change that leaves the filter, focus stays in the page (not lost to the body)', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Meeting', state: 'Occupied' },
      { text: 'Coaching', state: 'Away' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    // What a screen reader would name the focused element by (the body when focus was lost).
    const focused = () => page.evaluate(() => {
      const active = (globalThis as any).document.activeElement;
      return active?.getAttribute('aria-label') ?? active?.labels?.[0]?.textContent ?? active?.textContent?.trim().slice(0, 40);
    });
    const press = async (name: string, key = 'Enter') => {
      await page.getByRole('button', { name, exact: true }).focus();
      await page.keyboard.press(key);
    };

    await press('Delete “Lunch”');
    await expect.poll(focused).toBe('Undo');
    await page.keyboard.press('Enter'); // Undo
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch', 'Meeting', 'Coaching']);
    await expect.poll(focused).toBe('Text of “Lunch”');

    await press('Delete “Meeting”');
    await page.getByRole('button', { name: 'Undo' }).waitFor();
    await press('Close');
    await expect.poll(focused).toBe('Reasons (2)');

    await page.getByLabel('Show deleted').check();
    await press('Restore “Meeting”');
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch', 'Meeting', 'Coaching']);
    await expect.poll(focused).toBe('Text of “Meeting”');
    await page.getByLabel('Show deleted').uncheck();

    await page.getByRole('button', { name: /^Away/ }).click();
    await page.getByLabel('State of “Coaching”').focus();
    await page.getByLabel('State of “Coaching”').selectOption('Online');
    await expect.poll(() => shownTexts(page)).toEqual(['Lunch']);
    await expect.poll(focused).toBe('Reasons (3)');
    await page.getByRole('button', { name: /^All/ }).click();

    await page.getByLabel('New reasons, one per line').fill('Training');
    await press('Add');
    await expect.poll(() => shownTexts(page)).toEqual(['Training', 'Lunch', 'Meeting', 'Coaching']);
    await expect.poll(focused).toBe('New reasons, one per line');
  });

  test('an Undo the API refuses (the text taken meanwhile) says why, as an alert a screen reader reads', async () => {
    const account = await accountWith([{ text: 'Lunch', state: 'Away' }]);
    const page = await signIn(ui.context, ui.server.url, account);
    await page.getByRole('button', { name: 'Delete “Lunch”' }).click();
    const undo = page.getByRole('button', { name: 'Undo' });
    await undo.waitFor();
    // Through the page's own reload first (the poll or a 409), so the Undo meets the API's refusal, not a conflict.
    expect((await ui.server.api(account, '', { method: 'POST', body: { text: 'lunch', state: 'Away' } })).status).toBe(200);
    await expect.poll(() => shownTexts(page), { timeout: 15_000 }).toEqual(['lunch']);
    await undo.click();
    await expect.poll(async () => (await page.getByRole('alert').allTextContents()).join(' ')).toMatch(/Not restored: .*already the text/);
  });

  test('two admins at once: the second admin’s write gets 409, the page says what changed and reloads, and the retry succeeds', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Meeting', state: 'Occupied' },
      { text: 'Training', state: 'Away' },
    ]);
    const first = await signIn(ui.context, ui.server.url, account);
    const otherContext = await ui.browser.newContext({ viewport: { width: 1100, height: 900 } });
    try {
      const second = await signIn(otherContext, ui.server.url, account);
      // The first admin renames one reason and adds another...
      await first.getByLabel('Text of “Lunch”').fill('Lunch break');
      await first.getByLabel('Text of “Lunch”').press('Enter');
      await first.getByLabel('Text of “Lunch break”').waitFor();
      await first.getByRole('button', { name: 'Delete “Training”' }).click();
      await expect.poll(() => shownTexts(first)).toEqual(['Lunch break', 'Meeting']);
      // ...while the second, still showing the old list, changes a state.
      await second.getByLabel('State of “Meeting”').selectOption('Online');
      const alert = second.getByRole('alert').filter({ hasText: 'Someone else changed these status reasons' });
      await alert.waitFor();
      const message = await alert.textContent();
      expect(message).toContain('Renamed “Lunch” to “Lunch break”');
      expect(message).toContain('Deleted “Training”');
      expect(message).toContain('“Meeting” to Online');
      await expect.poll(() => shownTexts(second)).toEqual(['Lunch break', 'Meeting']);
      expect(await second.getByLabel('State of “Meeting”').inputValue()).toBe('Occupied');
      expect((await listed(account)).find((r) => r.text === 'Meeting')!.state).toBe('Occupied');

      await second.getByLabel('State of “Meeting”').selectOption('Online');
      await expect.poll(async () => (await listed(account)).find((r) => r.text === 'Meeting')!.state).toBe('Online');
      await expect.poll(() => alert.count()).toBe(0);
    } finally {
      await saveScreenshots(otherContext, 'two-admins-second').catch(() => undefined);
      await otherContext.close();
    }
  });

  test('keeps up with other admins by polling changes?since=<revision on screen>, without reading the list again', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Meeting', state: 'Occupied' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    const shown = Number(await page.getByTestId('revision').textContent());
    const polls: string[] = [];
    let listReads = 0;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/status-reasons/changes')) polls.push(url.search);
      else if (url.pathname.endsWith('/status-reasons') && request.method() === 'GET') listReads++;
    });
    await expect.poll(() => polls.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(polls[0]).toBe(`?since=${shown}&limit=100`);

    // Another client (not this page) adds, renames and deletes through the API.
    const { body: items } = await ui.server.api(account, '');
    const meeting = items.find((r: { text: string }) => r.text === 'Meeting');
    const lunch = items.find((r: { text: string }) => r.text === 'Lunch');
    expect((await ui.server.api(account, '', { method: 'POST', body: { text: 'Coffee', state: 'Occupied' } })).status).toBe(200);
    expect((await ui.server.api(account, `/${meeting.id}`, { method: 'PUT', body: { text: 'Team meeting', state: 'Online' } })).status).toBe(200);
    expect((await ui.server.api(account, `/${lunch.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(() => shownTexts(page), { timeout: 15_000 }).toEqual(['Coffee', 'Team meeting']);
    expect(await page.getByLabel('State of “Team meeting”').inputValue()).toBe('Online');
    await expect.poll(async () => Number(await page.getByTestId('revision').textContent())).toBe(shown + 3);
    expect(polls.some((search) => search.startsWith(`?since=${shown}&`))).toBe(true);
    expect(listReads).toBe(0);

    // The page's own write is answered directly; the next poll asks from the new revision.
    await page.getByLabel('State of “Coffee”').selectOption('Away');
    await expect.poll(async () => Number(await page.getByTestId('revision').textContent())).toBe(shown + 4);
    await expect.poll(() => polls.at(-1), { timeout: 15_000 }).toBe(`?since=${shown + 4}&limit=100`);
    expect(listReads).toBe(0);
  });

  test('a rename typed while a poll brings another admin’s rename of the same reason is not saved over it unseen: the row says what changed', async () => {
    const account = await accountWith([{ text: 'Lunch', state: 'Away' }]);
    const page = await signIn(ui.context, ui.server.url, account);
    const shown = Number(await page.getByTestId('revision').textContent());
    const field = page.locator('ol.reasons input.text').first();
    await field.fill('Lunch (mine)');
    const { body: items } = await ui.server.api(account, '');
    expect((await ui.server.api(account, `/${items[0].id}`, { method: 'PUT', body: { text: 'Lunch (theirs)', state: 'Away' } })).status).toBe(200);
    await expect.poll(async () => Number(await page.getByTestId('revision').textContent()), { timeout: 15_000 }).toBe(shown + 1);
    expect(await field.inputValue()).toBe('Lunch (mine)');

    await field.press('Enter');
    const message = page.locator('ol.reasons .row-error');
    await expect.poll(async () => (await message.allTextContents()).join(' ')).toMatch(/someone else renamed “Lunch” to “Lunch \(theirs\)”/);
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect((await listed(account))[0]!.text).toBe('Lunch (theirs)');

    // Told, the admin can still save theirs (Enter) or take the other one (Escape).
    await field.press('Enter');
    await expect.poll(async () => (await listed(account))[0]!.text).toBe('Lunch (mine)');
    await expect.poll(() => message.count()).toBe(0);
  });

  test('a rename being typed when a poll brings another admin’s delete of that reason, or a state the filter hides, is not lost silently: the page says what was not saved', async () => {
    const account = await accountWith([
      { text: 'Lunch', state: 'Away' },
      { text: 'Meeting', state: 'Occupied' },
    ]);
    const page = await signIn(ui.context, ui.server.url, account);
    const { body: items } = await ui.server.api(account, '');
    const idOf = (text: string) => items.find((r: { text: string }) => r.text === text).id;
    const failure = page.locator('section.failure[role="alert"]');

    await page.getByLabel('Text of “Lunch”').fill('Lunch break');
    expect((await ui.server.api(account, `/${idOf('Lunch')}`, { method: 'DELETE' })).status).toBe(200);
    await expect.poll(() => shownTexts(page), { timeout: 15_000 }).toEqual(['Meeting']);
    expect(await failure.textContent()).toMatch(/Not saved: while you were renaming “Lunch” to “Lunch break”, someone else deleted it\./);
    // The field that had the focus is gone: the focus goes to the list's heading, not the body.
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('list-title');
    expect((await listed(account, '?include_deleted=true')).map((r) => [r.text, r.deleted])).toEqual([['Lunch', true], ['Meeting', false]]);
    await failure.getByRole('button', { name: 'Dismiss' }).click();

    await page.getByRole('button', { name: /^Back soon/ }).click();
    await page.getByLabel('Text of “Meeting”').fill('Team meeting');
    expect((await ui.server.api(account, `/${idOf('Meeting')}`, { method: 'PUT', body: { text: 'Meeting', state: 'Online' } })).status).toBe(200);
    await expect.poll(() => shownTexts(page), { timeout: 15_000 }).toEqual([]);
    expect(await failure.textContent()).toMatch(/Not saved: while you were renaming “Meeting” to “Team meeting”, someone else made it Online, which this filter hides\./);
    await failure.getByRole('button', { name: 'Dismiss' }).click();

    // The admin's own doing is not reported: a filter that hides the row being typed in (leaving the field saves it).
    await page.getByRole('button', { name: /^All/ }).click();
    await page.getByLabel('Text of “Meeting”').fill('Stand-up');
    await page.getByRole('button', { name: /^Away/ }).click();
    await expect.poll(async () => (await listed(account)).map((r) => r.text)).toEqual(['Stand-up']);
    expect(await failure.count()).toBe(0);
  });

  test('a read-only sign-in sees the list and no edit controls', async () => {
    const account = await accountWith([{ text: 'Lunch', state: 'Occupied' }]);
    const page = await signIn(ui.context, ui.server.url, account, 'read');
    await page.getByText('Read only').waitFor();
    expect(await shownTexts(page)).toEqual(['Lunch']);
    expect(await page.locator('ol.reasons').getByText('Back soon').count()).toBe(1);
    for (const control of ['textbox', 'combobox', 'checkbox'] as const) {
      const found = await page.getByRole(control).evaluateAll((els: any[]) => els.map((el) => el.getAttribute('aria-label') ?? el.parentElement?.textContent));
      expect(found.filter((label) => !/Show deleted/.test(label ?? ''))).toEqual([]);
    }
    expect(await page.getByRole('button', { name: /Delete|Move|Add|Restore/ }).count()).toBe(0);
    await page.getByLabel('Show deleted').check();
    await page.getByText('No deleted reasons.').waitFor();
  });

  test('empty, loading and error states', async () => {
    const account = await accountWith([]);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let failing = false;
    await ui.context.route('**/status-reasons*', async (route) => {
      if (failing) return route.fulfill({ status: 503, contentType: 'application/json', headers: { 'retry-after': '1' }, body: JSON.stringify({ message: 'The service is busy; try again.' }) });
      await held;
      return route.continue();
    });
    const page = await ui.context.newPage();
    await page.goto(ui.server.url);
    await page.getByLabel('Account id').fill(account);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Loading status reasons…').waitFor();
    release();
    await page.getByText('No status reasons yet. Add the first ones above, one per line.').waitFor();

    failing = true;
    await page.reload();
    await page.getByText('The status reasons could not be loaded: The service is busy; try again.').waitFor({ timeout: 20_000 });
    failing = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByText('No status reasons yet.', { exact: false }).waitFor();
  });

  test('an expired or refused token goes back to the sign-in with a message; signing out forgets the token', async () => {
    const account = await accountWith([{ text: 'Lunch', state: 'Away' }]);
    const page = await signIn(ui.context, ui.server.url, account);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    const again = await signIn(ui.context, ui.server.url, account);
    await ui.context.route('**/status-reasons*', (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"message":"Unauthorized"}' }));
    await again.reload();
    await again.getByText('Your sign-in has expired. Sign in again.').waitFor();
  });
});
