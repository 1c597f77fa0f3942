// Browser test of the hosts' tools in the front-end (public/hosts.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: the chair moves a participant from the
// console's list (a bad line is listed, the move made), the person lands at
// the new table and is told who moved them; the chair's recall shows a
// countdown at the table, is called off, then ends at once: everyone is back
// in the plenary and told so. At a table that allows it, a participant ticks
// "Anonymement" and the others see "Anonymous", not the name.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, serverBinary, serverAvailable } from './support/server.js';
import { launchChromium, noViolations, focusKey } from './support/browser.js';

const WAIT = 15000;

describe('hosts in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  let server;
  let browser;
  const errors = [];

  async function open(query) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/?lang=fr${query}`);
    return page;
  }
  const waitOpen = (page) => page.waitForFunction(() => document.body.dataset.view !== 'join' &&
    document.getElementById('conn').dataset.state === 'open', null, { timeout: WAIT });
  async function press(page, selector) {
    await page.locator(selector).focus();
    await page.keyboard.press('Enter');
  }

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()}`);
    server = await startServer();
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('moves a participant from the console, then calls everyone back', async () => {
    const ada = await open('');
    await ada.locator('#join-name').focus();
    await ada.keyboard.type('Ada Lovelace');
    await ada.keyboard.press('Enter');
    await waitOpen(ada);
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });

    const chair = await open(`&token=${encodeURIComponent(server.chairToken)}`);
    await waitOpen(chair);
    await chair.locator('#move-form legend', { hasText: 'Placer des personnes aux tables' }).waitFor({ timeout: WAIT });
    await noViolations(chair, 'chair console with the hosts\u2019 forms');

    // A list typed in: one good line, one without a table.
    await chair.locator('#move-list').focus();
    await chair.keyboard.type('Ada Lovelace,big-data');
    await chair.keyboard.press('Enter');
    await chair.keyboard.type('ligne sans table');
    await press(chair, '#move-form button[type="submit"]');
    await chair.locator('#move-results li', { hasText: 'La ligne 2' }).waitFor({ timeout: WAIT });
    await chair.locator('#notice', { hasText: '1 placements envoyés sur 1' }).waitFor({ timeout: WAIT });

    // Ada is at the new table, told who moved her, the focus on the table's heading.
    await ada.locator('#notice', { hasText: 'vous a placé à la table' }).waitFor({ timeout: WAIT });
    await ada.waitForFunction(() => document.body.dataset.view === 'table', null, { timeout: WAIT });
    await ada.locator('#table-view', { hasText: 'Big data' }).waitFor({ timeout: WAIT });
    assert.equal(await focusKey(ada), 'table-heading');
    await noViolations(ada, 'a moved participant at the new table');
    await noViolations(chair, 'the console with a move refused');

    // A recall in 10 minutes: a countdown at the table; then called off.
    await chair.locator('#recall-minutes').focus();
    await chair.keyboard.press('Control+A');
    await chair.keyboard.type('10');
    await chair.keyboard.press('Enter');
    const banner = ada.locator('#recall-banner', { hasText: /Les tables ferment dans (10:00|9:5\d)/ });
    await banner.waitFor({ timeout: WAIT });
    await noViolations(ada, 'the recall countdown at a table');
    await press(chair, '#recall-cancel');
    await ada.locator('#recall-banner').waitFor({ state: 'hidden', timeout: WAIT });
    await ada.locator('#notice', { hasText: 'annulé le retour en plénière' }).waitFor({ timeout: WAIT });

    // At once: everyone back in the plenary, the tables closed.
    await chair.locator('#recall-minutes').focus();
    await chair.keyboard.press('Control+A');
    await chair.keyboard.type('0');
    await chair.keyboard.press('Enter');
    await ada.locator('#notice', { hasText: 'Tout le monde est de retour en plénière' }).waitFor({ timeout: WAIT });
    await ada.waitForFunction(() => document.body.dataset.view === 'plenary', null, { timeout: WAIT });
    assert.equal(await focusKey(ada), 'plenary-heading');
    await ada.locator('#recall-banner').waitFor({ state: 'hidden', timeout: WAIT });
    await noViolations(ada, 'back in the plenary');
    assert.deepEqual(errors, []);
  });

  it('posts anonymously where the table allows it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-anon-'));
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify({
      id: 'anon', title: 'Anonyme', tables: [{ id: 'open-floor', topic: 'Parole libre', anonymous: true }],
    }));
    const own = await startServer({ extraArgs: ['--event', file] });
    try {
      const visit = async (name) => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await ctx.newPage();
        page.on('pageerror', (err) => errors.push(err.message));
        await page.goto(`${own.url}/?lang=fr`);
        await page.locator('#join-name').focus();
        await page.keyboard.type(name);
        await page.keyboard.press('Enter');
        await waitOpen(page);
        await press(page, '#table-list button[data-table="open-floor"]');
        await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
        return page;
      };
      const ada = await visit('Ada Lovelace');
      const bob = await visit('Bob');
      await ada.locator('#say-anon').waitFor({ state: 'visible', timeout: WAIT });
      await noViolations(ada, 'a table that takes anonymous contributions');
      await ada.locator('#say-anon').focus();
      await ada.keyboard.press('Space');
      await ada.locator('#say-text').focus();
      await ada.keyboard.type('Sans mon nom');
      await ada.keyboard.press('Enter');
      const line = bob.locator('#messages li', { hasText: 'Sans mon nom' });
      await line.waitFor({ timeout: WAIT });
      const text = await line.textContent();
      assert.match(text, /Anonymous/);
      assert.doesNotMatch(text, /Ada/);
      assert.deepEqual(errors, []);
    } finally {
      await own.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
