// Browser tests of the front-end (public/) served by a real roundtable-server,
// driven with playwright-core through Debian's Chromium. Two participants, a
// moderator and the chair each have their own browser context. Every view is
// checked with axe-core (WCAG 2.1 A and AA) and saved as a screenshot under the
// repository's build/screenshots/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startServer, startServerOnPort, serverBinary, serverAvailable, repoRoot } from './support/server.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(repoRoot, 'build', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;

async function axeCheck(page, view) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  // Evaluated through DevTools, not as an inline <script>, which the server's
  // Content-Security-Policy refuses (as it should).
  if (!has) await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const details = result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  assert.equal(result.violations.length, 0, `axe violations on ${view}:\n${details.join('\n')}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const byText = (page, list, text) => page.locator(`${list} li`, { hasText: text });

describe('front-end in Chromium', { timeout: 240000 }, () => {
  let server;
  let browser;
  const errors = [];
  const pages = {};

  async function openAs(key, { query = '', viewport = { width: 1280, height: 900 } } = {}) {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(`${key}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(msg.text())) {
        errors.push(`${key} console: ${msg.text()}`);
      }
    });
    await page.goto(`${server.url}/${query}`);
    pages[key] = page;
    return page;
  }

  async function joinAs(page, name) {
    if (name) await page.fill('#join-name', name);
    await page.click('#join-form button[type=submit]');
    await page.waitForFunction(() => document.body.dataset.view !== 'join' &&
      document.getElementById('conn').dataset.state === 'open', null, { timeout: WAIT });
  }

  async function sitAt(page, table) {
    await page.click('#tabs button[data-tab=lobby]');
    await page.click(`#table-list button[data-table="${table}"]`);
    await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
  }

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()} (set ROUNDTABLE_SERVER)`);
    fs.mkdirSync(SHOTS, { recursive: true });
    server = await startServer();
    // launch() runs Chromium with a fresh temporary profile (user data dir).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('loads the join form light and accessible', async () => {
    let bytes = 0;
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('response', async (res) => {
      try { bytes += (await res.body()).length; } catch { /* redirects have no body */ }
    });
    await page.goto(`${server.url}/`);
    await page.locator('#join-form').waitFor();
    await page.waitForLoadState('networkidle');
    assert.ok(bytes > 0 && bytes < 150 * 1024, `first load is ${bytes} bytes`);
    await axeCheck(page, 'join');
    await shot(page, 'join');
    await context.close();
  });

  it('a participant joins and sees the lobby with live tables', async () => {
    const alice = await openAs('alice');
    await joinAs(alice, 'Alice');
    await assert.doesNotReject(alice.locator('#event-title', { hasText: 'OpenGoV Co-production & Co-creation' }).waitFor());
    const cards = alice.locator('#table-list li');
    assert.equal(await cards.count(), 3);
    await alice.locator('#table-list li', { hasText: 'Big data for open governance' }).waitFor();
    await axeCheck(alice, 'lobby');
    await shot(alice, 'lobby');
  });

  it('two participants and the moderator meet at a table and chat', async () => {
    const alice = pages.alice;
    const bob = await openAs('bob');
    await joinAs(bob, 'Bob');
    // Bob starts at big-data and leaves a message there.
    await sitAt(bob, 'big-data');
    await bob.fill('#say-text', 'Open data portals first');
    await bob.press('#say-text', 'Enter');
    await byText(bob, '#messages', 'Open data portals first').waitFor({ timeout: WAIT });

    await sitAt(alice, 'synergies');
    const mod = await openAs('mod', { query: `?token=${encodeURIComponent(server.moderatorTokens.synergies)}` });
    await joinAs(mod, 'Moderator Ana');
    // The moderator lands at the table they moderate, with the console.
    await mod.locator('#mod-console').waitFor({ state: 'visible', timeout: WAIT });
    await mod.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor();

    await alice.fill('#say-text', 'Hello from Alice');
    await alice.click('#say-form button[type=submit]');
    await byText(mod, '#messages', 'Hello from Alice').waitFor({ timeout: WAIT });
    await alice.fill('#say-text', 'Off-topic: who won the match?');
    await alice.click('#say-form button[type=submit]');
    await byText(mod, '#messages', 'Off-topic').waitFor({ timeout: WAIT });

    // Bob hops from big-data to synergies and sees where the table stands.
    await sitAt(bob, 'synergies');
    await bob.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor();
    await byText(bob, '#messages', 'Hello from Alice').waitFor({ timeout: WAIT });
    assert.equal(await byText(bob, '#messages', 'Open data portals first').count(), 0);
    await byText(bob, '#people', 'Alice').waitFor({ timeout: WAIT });
    await byText(alice, '#people', 'Bob').waitFor({ timeout: WAIT });
    // The lobby counts are live.
    await bob.click('#tabs button[data-tab=lobby]');
    await bob.locator('#table-list li[data-table=synergies] .count', { hasText: '3' }).waitFor({ timeout: WAIT });
    await bob.locator('#table-list li[data-table=synergies] button', { hasText: 'You are here' }).waitFor();
    await bob.click('#tabs button[data-tab=table]');
  });

  it('hands, insights, votes and the timer work at the table', async () => {
    const { alice, bob, mod } = pages;
    await bob.click('#hand-btn');
    await byText(mod, '#hands', 'Bob').waitFor({ timeout: WAIT });
    assert.equal(await bob.getAttribute('#hand-btn', 'aria-pressed'), 'true');
    await mod.click('#next-hand');
    await alice.locator('#speaker', { hasText: 'Bob' }).waitFor({ timeout: WAIT });

    await bob.fill('#insight-text', 'Shared data spaces across regions');
    await bob.click('#insight-form button[type=submit]');
    const item = byText(alice, '#insights', 'Shared data spaces across regions');
    await item.waitFor({ timeout: WAIT });
    await item.locator('button').click();
    await bob.locator('#insights li .votes', { hasText: /^1 vote$/ }).waitFor({ timeout: WAIT });

    await mod.fill('#timer-minutes', '5');
    await mod.click('#timer-form button[type=submit]');
    await alice.locator('#timer', { hasText: 'left' }).waitFor({ timeout: WAIT });
    assert.match(await alice.textContent('#timer'), /0[45]:\d\d left/);

    await axeCheck(alice, 'table');
    await shot(alice, 'table');
  });

  it('the moderator deletes a message and publishes a summary that reaches the plenary', async () => {
    const { alice, bob, mod } = pages;
    await byText(mod, '#messages', 'Off-topic').locator('button').click();
    await byText(alice, '#messages', 'Hello from Alice').waitFor();
    await alice.waitForFunction(() => ![...document.querySelectorAll('#messages li')].some((li) => li.textContent.includes('Off-topic')), null, { timeout: WAIT });
    await bob.waitForFunction(() => ![...document.querySelectorAll('#messages li')].some((li) => li.textContent.includes('Off-topic')), null, { timeout: WAIT });

    // Alice hops to big-data and gets its snapshot, with Bob's earlier message.
    await sitAt(alice, 'big-data');
    await byText(alice, '#messages', 'Open data portals first').waitFor({ timeout: WAIT });
    assert.equal(await byText(alice, '#messages', 'Hello from Alice').count(), 0);

    await mod.fill('#summary-text', 'Draft: regions should share data spaces.');
    await mod.click('#summary-form button[type=submit]');
    await bob.locator('#summary', { hasText: 'Draft: regions should share data spaces.' }).waitFor({ timeout: WAIT });
    await axeCheck(mod, 'moderator');
    await shot(mod, 'moderator');

    await mod.fill('#summary-text', 'Synergies: regions should share data spaces and publish open standards.');
    await mod.click('#summary-publish');
    // Alice sits at another table and sees the report in the plenary panel.
    await byText(alice, '#plenary-feed', 'publish open standards').waitFor({ timeout: WAIT });
    await byText(alice, '#plenary-feed', 'Report from').waitFor();
  });

  it('the chair broadcasts, sets the phase and downloads the report', async () => {
    const { alice, bob, mod } = pages;
    const chair = await openAs('chair', { query: `?token=${encodeURIComponent(server.chairToken)}` });
    await joinAs(chair, 'Chair');
    await chair.locator('#chair-console').waitFor({ state: 'visible', timeout: WAIT });
    await byText(chair, '#plenary-feed', 'publish open standards').waitFor({ timeout: WAIT });

    await chair.fill('#broadcast-text', 'Coffee break in 5 minutes');
    await chair.click('#broadcast-form button[type=submit]');
    for (const p of [alice, bob, mod, chair]) {
      await byText(p, '#plenary-feed', 'Coffee break in 5 minutes').waitFor({ timeout: WAIT });
    }
    await chair.fill('#phase-name', 'reports');
    await chair.click('#phase-form button[type=submit]');
    await alice.locator('#event-phase', { hasText: 'reports' }).waitFor({ timeout: WAIT });

    // Close a table: everyone's lobby shows it closed and its join button is off.
    await chair.selectOption('#table-open-select', 'inclusiveness');
    await chair.click('#table-close-btn');
    await alice.locator('#table-list li[data-table=inclusiveness] .badge.closed').waitFor({ state: 'attached', timeout: WAIT });
    assert.equal(await alice.isDisabled('#table-list button[data-table=inclusiveness]'), true);
    await chair.click('#table-reopen-btn');
    await alice.waitForFunction(() => !document.querySelector('#table-list li[data-table=inclusiveness] .badge.closed'), null, { timeout: WAIT });
    // Open a new table: it appears in the lobby.
    await chair.fill('#create-id', 'smart-villages');
    await chair.fill('#create-topic', 'Smart villages');
    await chair.click('#create-table-form button[type=submit]');
    await alice.locator('#table-list li[data-table=smart-villages]', { hasText: 'Smart villages' }).waitFor({ state: 'attached', timeout: WAIT });

    const downloading = chair.waitForEvent('download', { timeout: WAIT });
    await chair.click('#report-md');
    const download = await downloading;
    const file = await download.path();
    assert.match(fs.readFileSync(file, 'utf8'), /publish open standards/);

    await axeCheck(chair, 'chair');
    await shot(chair, 'chair');
    await axeCheck(alice, 'plenary');
    await shot(alice, 'plenary');
  });

  it('works at 375 px and in French', async () => {
    const phone = await openAs('phone', { viewport: { width: 375, height: 740 } });
    await joinAs(phone, 'Zoé');
    await phone.selectOption('#lang', 'fr');
    await phone.locator('#lobby-heading', { hasText: 'Tables rondes' }).waitFor();
    assert.equal(await phone.getAttribute('html', 'lang'), 'fr');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 375 px`);
    await axeCheck(phone, 'lobby-fr-375');
    await shot(phone, 'lobby-fr-375');
    await phone.click('#tabs button[data-tab=plenary]');
    await byText(phone, '#plenary-feed', 'Coffee break in 5 minutes').waitFor({ timeout: WAIT });
    await axeCheck(phone, 'plenary-fr-375');
    await shot(phone, 'plenary-fr-375');
    await sitAt(phone, 'inclusiveness');
    await axeCheck(phone, 'table-fr-375');
    await shot(phone, 'table-fr-375');
  });

  it('shows a refused token in words', async () => {
    const bad = await openAs('bad', { query: '?token=not-a-valid-token' });
    await bad.fill('#join-name', 'Eve');
    await bad.click('#join-form button[type=submit]');
    await bad.locator('#alerts .alert', { hasText: 'access token was refused' }).waitFor({ timeout: WAIT });
    await axeCheck(bad, 'error');
    await shot(bad, 'error');
  });

  it('shows reconnecting while the server is down and recovers after', async () => {
    const { bob } = pages;
    const port = server.port;
    await server.stop();
    server = null;
    await bob.waitForFunction(() => ['reconnecting', 'offline'].includes(document.getElementById('conn').dataset.state), null, { timeout: WAIT });
    assert.match(await bob.textContent('#conn'), /Reconnecting|Offline/);
    await axeCheck(bob, 'reconnecting');
    await shot(bob, 'reconnecting');
    server = await startServerOnPort(port);
    await bob.waitForFunction(() => document.getElementById('conn').dataset.state === 'open', null, { timeout: 30000 });
    // The new server has a new epoch: the page reloads its view and says so,
    // and Bob is back at his table.
    await bob.locator('#notice', { hasText: 'reloaded' }).waitFor({ timeout: WAIT });
    await bob.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor({ timeout: WAIT });
    await bob.fill('#say-text', 'Back after the restart');
    await bob.press('#say-text', 'Enter');
    await byText(bob, '#messages', 'Back after the restart').waitFor({ timeout: WAIT });
  });

  it('raised no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
