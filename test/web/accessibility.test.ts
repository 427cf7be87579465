// axe-core on every view of the console: no serious or critical violations.
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { consoleInChromium, newAccount, shownTexts, signIn } from './harness.js';

const ui = consoleInChromium();

/** Serious and critical violations of WCAG 2.1 A/AA and axe's best practices, as "rule: target" lines. */
async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node.target.join(' ')} (${violation.help})`));
}

async function seeded(): Promise<string> {
  const account = newAccount();
  await ui.server.api(account, '', {
    method: 'POST',
    body: [
      { text: 'Lunch', state: 'Away' },
      { text: 'Back in 5 minutes', state: 'Occupied' },
      { text: 'Available for chats', state: 'Online' },
      { text: 'Training', state: 'Away', enabled: false },
      { text: 'Old reason', state: 'Away' },
    ],
  });
  const { body } = await ui.server.api(account, '');
  await ui.server.api(account, `/${body.find((r: { text: string }) => r.text === 'Old reason').id}`, { method: 'DELETE' });
  return account;
}

describe('no serious or critical accessibility violations', { timeout: 180_000 }, () => {
test('on the sign-in', async () => {
  const page = await ui.context.newPage();
  await page.goto(ui.server.url);
  await page.getByLabel('Account id').waitFor();
  expect(await violations(page), 'sign-in').toEqual([]);
});

test('on the list, filtered, with create errors, the undo toast and deleted reasons shown', async () => {
  const account = await seeded();
  const writer = await signIn(ui.context, ui.server.url, account);
  await expect.poll(() => shownTexts(writer)).toHaveLength(4);
  expect(await violations(writer), 'list (read and write)').toEqual([]);

  await writer.getByRole('button', { name: /^Back soon/ }).click();
  expect(await violations(writer), 'filtered list').toEqual([]);
  await writer.getByRole('button', { name: /^All/ }).click();

  await writer.getByLabel('New reasons, one per line').fill('New one\nlunch');
  await writer.getByRole('button', { name: 'Add', exact: true }).click();
  await writer.getByRole('list', { name: 'Not added' }).waitFor();
  expect(await violations(writer), 'create errors').toEqual([]);

  await writer.getByRole('button', { name: 'Delete “Training”' }).click();
  await writer.getByRole('button', { name: 'Undo' }).waitFor();
  expect(await violations(writer), 'undo toast').toEqual([]);

  await writer.getByLabel('Show deleted').check();
  await writer.getByRole('button', { name: 'Restore “Old reason”' }).waitFor();
  expect(await violations(writer), 'deleted reasons shown').toEqual([]);
});

test('on the conflict message and during a keyboard reorder', async () => {
  const account = await seeded();
  const writer = await signIn(ui.context, ui.server.url, account);
  await expect.poll(() => shownTexts(writer)).toHaveLength(4);

  // A conflict: someone else writes, then this page writes with the old revision.
  await ui.server.api(account, '', { method: 'POST', body: { text: 'Coffee', state: 'Away' } });
  await writer.getByLabel('State of “Lunch”').selectOption('Online');
  await writer.getByRole('heading', { name: 'Someone else changed these status reasons' }).waitFor();
  expect(await violations(writer), 'conflict message').toEqual([]);

  // Keyboard reorder in progress (dnd-kit's own live region and instructions included).
  await writer.getByRole('button', { name: 'Move “Lunch”' }).focus();
  await writer.keyboard.press('Space');
  await writer.waitForTimeout(250);
  expect(await violations(writer), 'keyboard reorder in progress').toEqual([]);
  await writer.keyboard.press('Escape');
});

test('on the history view: entries of every kind, a long entry opened, an empty history', async () => {
  const account = await seeded();
  const { body } = await ui.server.api(account, '');
  await ui.server.api(account, '/reorder', { method: 'POST', body: { ids: body.map((r: { id: number }) => r.id).reverse() } });
  await ui.server.api(account, '', { method: 'POST', body: Array.from({ length: 8 }, (_, i) => ({ text: `Batch ${i}`, state: 'Online' })) });
  const page = await signIn(ui.context, ui.server.url, account);
  await page.getByRole('button', { name: 'History' }).click();
  await page.getByRole('list', { name: 'Changes, newest first' }).waitFor();
  expect(await violations(page), 'history').toEqual([]);
  await page.getByRole('button', { name: 'Show all 8 changes' }).click();
  expect(await violations(page), 'history, a long entry opened').toEqual([]);

  const empty = await signIn(ui.context, ui.server.url, newAccount(), 'read');
  await empty.getByRole('button', { name: 'History' }).click();
  await empty.getByText('No changes yet.').waitFor();
  expect(await violations(empty), 'empty history (read only)').toEqual([]);
});

test('on the read-only and the empty list', async () => {
  const account = await seeded();
  const readerContext = await ui.browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const reader = await signIn(readerContext, ui.server.url, account, 'read');
    await reader.getByText('Read only').waitFor();
    expect(await violations(reader), 'list (read only)').toEqual([]);
    const empty = await signIn(readerContext, ui.server.url, newAccount(), 'read');
    await empty.getByText('This account has no status reasons yet.').waitFor();
    expect(await violations(empty), 'empty list').toEqual([]);
  } finally {
    await readerContext.close();
  }
});
});

test('the keyboard reaches every control in order', { timeout: 60_000 }, async () => {
  const account = await seeded();
  const page = await signIn(ui.context, ui.server.url, account);
  await expect.poll(() => shownTexts(page)).toHaveLength(4);
  const focused: string[] = [];
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    focused.push(
      await page.evaluate(() => {
        const el = (globalThis as any).document.activeElement;
        return `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent?.trim() ?? ''}`;
      }),
    );
  }
  expect(focused.slice(0, 4)).toEqual(['button:Sign out', 'button:Reasons', 'button:History', 'textarea:']);
  expect(focused[4]).toMatch(/^select:/);
  expect(focused).toContain('button:Move “Lunch”');
  expect(focused).toContain('input:Text of “Lunch”');
  expect(focused).toContain('select:State of “Lunch”');
  expect(focused).toContain('button:Delete “Lunch”');
});

test('every control of a row names its reason (a screen reader tabbing through rows hears which one)', async () => {
  const account = await seeded();
  const page = await signIn(ui.context, ui.server.url, account);
  await expect.poll(() => shownTexts(page)).toHaveLength(4);
  const row = page.locator('ol.reasons > li').filter({ has: page.getByRole('textbox', { name: 'Text of “Lunch”' }) });
  for (const role of ['button', 'textbox', 'combobox', 'checkbox'] as const) {
    const controls = row.getByRole(role);
    expect(await controls.count(), role).toBeGreaterThan(0);
    // Playwright's role locator matches on the accessible name, as assistive technology computes it.
    expect(await row.getByRole(role, { name: /“Lunch”/ }).count(), `every ${role} names “Lunch”`).toBe(await controls.count());
  }
});
