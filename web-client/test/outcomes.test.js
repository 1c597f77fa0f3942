// Browser tests of insights' outcomes (issue 14) against a real server in
// Debian's Chromium: a participant sees the status of their own insight change
// live, in the list and in "My contributions", when the moderator sets it from
// the table view; the lobby and the table view show a table's goal and
// guiding questions; and the server-written outcomes page renders with the
// explanation, passes axe-core (WCAG 2.1 A and AA) with no violation, and
// works in French.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startServer, serverBinary, serverAvailable } from './support/server.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;

async function axeViolations(page) {
  // Through DevTools: the server's CSP refuses inline scripts, as it should.
  await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations.map((v) =>
    `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe('outcomes and table guides in Chromium', { timeout: 300000 }, () => {
  let server;
  let browser;
  const errors = [];

  async function open(url) {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    await page.goto(url);
    return page;
  }

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()}`);
    // The demo's tables, one with a goal and guiding questions.
    const event = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'outcomes-')), 'event.json');
    fs.writeFileSync(event, JSON.stringify({
      id: 'demo', title: 'Outcomes test',
      tables: [
        { id: 'synergies', topic: 'Synergies and sustainability', goal: 'Three steps for 2020',
          questions: ['Who pays for shared platforms?', 'Who keeps them running?'] },
        { id: 'big-data', topic: 'Big data for open governance' },
      ],
    }));
    server = await startServer({ extraArgs: ['--event', event] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('a participant sees the status of their insight change live, and My contributions lists it', async () => {
    const ada = await open(`${server.url}/`);
    await ada.fill('#join-name', 'Ada');
    await ada.click('#join-form button[type=submit]');
    // The lobby shows what the table is for, and so does the table view.
    await ada.locator('#table-list li[data-table=synergies] .goal', { hasText: 'Three steps for 2020' }).waitFor({ timeout: WAIT });
    await ada.click('#table-list button[data-table="synergies"]');
    await ada.locator('#table-guide .questions li', { hasText: 'Who keeps them running?' }).waitFor({ timeout: WAIT });
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#my-insights li', { hasText: 'You have not proposed' }).waitFor({ timeout: WAIT });
    await ada.fill('#insight-text', 'Open data needs <b>stewards</b>');
    await ada.click('#insight-form button[type=submit]');
    const mine = ada.locator('#my-insights li', { hasText: 'Open data needs <b>stewards</b>' });
    await mine.locator('[data-status=open]').waitFor({ timeout: WAIT });

    const mod = await open(`${server.url}/?token=${encodeURIComponent(server.moderatorTokens.synergies)}`);
    await mod.locator('#mod-console').waitFor({ state: 'visible', timeout: WAIT });
    const item = mod.locator('#insights li', { hasText: 'stewards' });
    await item.locator('select').selectOption('taken_up');
    await item.locator('input').fill('It becomes <i>recommendation</i> 2.');
    await item.locator('button', { hasText: 'Set outcome' }).click();

    // Live, without a reload: the list and My contributions.
    await mine.locator('[data-status=taken_up]', { hasText: 'Taken up' }).waitFor({ timeout: WAIT });
    await mine.locator('.note', { hasText: 'It becomes <i>recommendation</i> 2.' }).waitFor();
    await ada.locator('#insights li .status', { hasText: 'Taken up' }).waitFor();
    assert.equal(await ada.locator('#insights li i').count(), 0, 'the note is text, not markup');
    assert.deepEqual(await axeViolations(ada), []);
    assert.deepEqual(await axeViolations(mod), []);
  });

  it('the outcomes page renders the statuses, passes axe, and works in French', async () => {
    const page = await open(`${server.url}/outcomes`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.locator('main .outcome', { hasText: 'Open data needs <b>stewards</b>' }).waitFor({ timeout: WAIT });
    await page.locator('main .outcome strong', { hasText: 'Taken up' }).waitFor();
    await page.locator('main .note', { hasText: 'It becomes <i>recommendation</i> 2.' }).waitFor();
    assert.equal(await page.locator('main b, main i').count(), 0, 'user text is escaped');
    assert.deepEqual(await axeViolations(page), []);

    await page.click('a[hreflang=fr]');
    await page.waitForURL(/lang=fr/);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.locator('main .outcome strong', { hasText: 'Retenue' }).waitFor({ timeout: WAIT });
    assert.deepEqual(await axeViolations(page), []);
  });

  it('raised no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
