// Browser tests of the front-end (public/) served by a real roundtable-server,
// driven with playwright-core through Debian's Chromium. Each person has their
// own browser context (their own localStorage). The session walk-through, then
// one test per blocker of issue 12 (each fails on the front-end before its fix),
// a keyboard-only run, and axe-core (WCAG 2.1 A and AA) on every view fresh and
// after a busy session, at desktop and at 375 px. Screenshots go to the
// repository's build/screenshots/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { Roundtable } from '../sdk/roundtable.js';
import { startServer, startServerOnPort, serverBinary, serverAvailable, repoRoot } from './support/server.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(repoRoot, 'build', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;
const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

async function noViolations(page, view) {
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
const sideways = (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? (a.id ? `#${a.id}` : a.dataset.focus ? `[data-focus=${a.dataset.focus}]` : a.tagName.toLowerCase()) : 'none';
});

describe('front-end in Chromium', { timeout: 600000 }, () => {
  let server;
  let browser;
  const errors = [];
  const pages = {};
  const sdkClients = [];

  function watch(page, key) {
    page.on('pageerror', (err) => errors.push(`${key}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED/.test(msg.text())) {
        errors.push(`${key} console: ${msg.text()}`);
      }
    });
    page.on('response', (res) => {
      if (res.status() === 404) errors.push(`${key}: 404 for ${res.url()}`);
    });
  }

  async function openAs(key, { query = '', viewport = DESKTOP, context = null } = {}) {
    const ctx = context || await browser.newContext({ viewport, acceptDownloads: true });
    const page = await ctx.newPage();
    watch(page, key);
    await page.goto(`${server.url}/${query}`);
    pages[key] = page;
    return page;
  }

  const waitOpen = (page) => page.waitForFunction(() => document.body.dataset.view !== 'join' &&
    document.getElementById('conn').dataset.state === 'open', null, { timeout: WAIT });

  async function joinAs(page, name) {
    await page.fill('#join-name', name);
    await page.click('#join-form button[type=submit]');
    await waitOpen(page);
  }

  // A link with a token: connects at once.
  async function openLink(key, token, opts = {}) {
    const page = await openAs(key, { ...opts, query: `?token=${encodeURIComponent(token)}` });
    await waitOpen(page);
    return page;
  }

  async function sitAt(page, table) {
    await page.click('#tabs button[data-tab=lobby]');
    await page.click(`#table-list button[data-table="${table}"]`);
    await page.locator('#table-heading', { hasText: new RegExp(`${table}|${topicOf(table)}`) }).waitFor({ timeout: WAIT });
    await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
  }
  const TOPICS = { synergies: 'Synergies and sustainability', 'big-data': 'Big data for open governance', inclusiveness: 'Inclusiveness' };
  const topicOf = (id) => TOPICS[id] || id;

  // An SDK client from Node (another person, or a fast way to fill the session).
  async function sdk(name, token) {
    const c = new Roundtable({ url: server.wsUrl, WebSocket, name, token, reconnect: false });
    await c.connect();
    sdkClients.push(c);
    return c;
  }

  async function report() {
    const res = await fetch(`${server.url}/api/report`, { headers: { Authorization: `Bearer ${server.chairToken}` } });
    assert.equal(res.status, 200);
    return res.json();
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
    for (const c of sdkClients) c.close();
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('loads the join form light and accessible, at desktop and 375 px', async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      let bytes = 0;
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      watch(page, `join-${viewport.width}`);
      page.on('response', async (res) => {
        try { bytes += (await res.body()).length; } catch { /* redirects have no body */ }
      });
      await page.goto(`${server.url}/`);
      await page.locator('#join-form').waitFor();
      await page.waitForLoadState('networkidle');
      assert.ok(bytes > 0 && bytes < 150 * 1024, `first load is ${bytes} bytes`);
      await noViolations(page, `join-${viewport.width}`);
      await shot(page, `join-${viewport.width}`);
      await context.close();
    }
  });

  it('a participant joins, lands in the lobby with the focus on it, and sees live tables', async () => {
    const alice = await openAs('alice');
    await joinAs(alice, 'Alice');
    // Blocker 8: the focus follows the action.
    assert.equal(await focused(alice), '#lobby-heading');
    await alice.locator('#event-title', { hasText: 'OpenGoV Co-production & Co-creation' }).waitFor();
    assert.equal(await alice.locator('#table-list li').count(), 3);
    await noViolations(alice, 'lobby');
    await shot(alice, 'lobby');
  });

  it('two participants and the moderator meet at a table and chat', async () => {
    const alice = pages.alice;
    const bob = await openAs('bob');
    await joinAs(bob, 'Bob');
    await sitAt(bob, 'big-data');
    assert.equal(await focused(bob), '#table-heading');
    await bob.fill('#say-text', 'Open data portals first');
    await bob.press('#say-text', 'Enter');
    await byText(bob, '#messages', 'Open data portals first').waitFor({ timeout: WAIT });

    await sitAt(alice, 'synergies');
    const mod = await openLink('mod', server.moderatorTokens.synergies);
    // The moderator lands at the table they moderate, with the console.
    await mod.locator('#mod-console').waitFor({ state: 'visible', timeout: WAIT });
    await mod.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor();

    await alice.fill('#say-text', 'Hello from Alice');
    await alice.click('#say-form button[type=submit]');
    await byText(mod, '#messages', 'Hello from Alice').waitFor({ timeout: WAIT });
    await alice.fill('#say-text', 'Off-topic: who won the match?');
    await alice.click('#say-form button[type=submit]');
    await byText(mod, '#messages', 'Off-topic').waitFor({ timeout: WAIT });

    await sitAt(bob, 'synergies');
    await byText(bob, '#messages', 'Hello from Alice').waitFor({ timeout: WAIT });
    assert.equal(await byText(bob, '#messages', 'Open data portals first').count(), 0);
    await byText(bob, '#people', 'Alice').waitFor({ timeout: WAIT });
    await byText(alice, '#people', 'Bob').waitFor({ timeout: WAIT });
    await bob.click('#tabs button[data-tab=lobby]');
    await bob.locator('#table-list li[data-table=synergies] .count', { hasText: '3' }).waitFor({ timeout: WAIT });
    await bob.locator('#table-list li[data-table=synergies] button', { hasText: 'You are here' }).waitFor();
    await bob.click('#tabs button[data-tab=table]');
  });

  it('hands give the floor and tell the person who has it; the timer counts in min:sec', async () => {
    const { alice, bob, mod } = pages;
    await bob.click('#hand-btn');
    await byText(mod, '#hands', 'Bob').waitFor({ timeout: WAIT });
    assert.equal(await bob.getAttribute('#hand-btn', 'aria-pressed'), 'true');
    await bob.locator('#floor', { hasText: 'number 1 of 1' }).waitFor({ timeout: WAIT });
    await mod.click('#next-hand');
    await alice.locator('#speaker', { hasText: 'Bob' }).waitFor({ timeout: WAIT });
    await bob.locator('#floor', { hasText: 'You have the floor' }).waitFor({ timeout: WAIT });
    await bob.locator('#live', { hasText: 'You have the floor' }).waitFor({ state: 'attached', timeout: WAIT });

    await mod.fill('#timer-minutes', '5');
    await mod.click('#timer-form button[type=submit]');
    await alice.locator('#timer', { hasText: 'left' }).waitFor({ timeout: WAIT });
    assert.match(await alice.textContent('#timer'), /0[45]:\d\d left/);
    await mod.click('#timer-extend');
    await alice.locator('#timer', { hasText: /0[56]:\d\d left/ }).waitFor({ timeout: WAIT });
    await noViolations(alice, 'table');
    await shot(alice, 'table');
  });

  it('the moderator runs the queue: anyone gets the floor, a hand goes down, the turn ends; the timer pauses and extends', async () => {
    const { alice, bob, mod } = pages;
    // Bob still has the floor from the test above: his turn ends, nobody speaks.
    await mod.click('#end-turn');
    await bob.locator('#floor').waitFor({ state: 'hidden', timeout: WAIT });
    await alice.click('#hand-btn');
    await byText(mod, '#hands', 'Alice').waitFor({ timeout: WAIT });
    await bob.click('#hand-btn');
    await byText(mod, '#hands', 'Bob').waitFor({ timeout: WAIT });
    await bob.locator('#floor', { hasText: 'number 2 of 2' }).waitFor({ timeout: WAIT });
    assert.equal(await alice.locator('#hands button').count(), 0, 'participants get no moderator buttons');
    // Bob, second in the queue, gets the floor; Alice moves nowhere.
    await byText(mod, '#hands', 'Bob').locator('button', { hasText: 'Give the floor' }).click();
    await bob.locator('#floor', { hasText: 'You have the floor' }).waitFor({ timeout: WAIT });
    await alice.locator('#speaker', { hasText: 'Bob' }).waitFor({ timeout: WAIT });
    await alice.locator('#floor', { hasText: 'number 1 of 1' }).waitFor({ timeout: WAIT });
    // Alice's hand goes down by the moderator's hand; her button says so.
    await byText(mod, '#hands', 'Alice').locator('button', { hasText: 'Lower this hand' }).click();
    await alice.locator('#hand-btn[aria-pressed=false]').waitFor({ timeout: WAIT });
    assert.equal(await alice.isHidden('#floor'), true);
    await mod.click('#end-turn');
    await alice.locator('#speaker').waitFor({ state: 'hidden', timeout: WAIT });
    assert.equal(await mod.isDisabled('#end-turn'), true);

    // Minutes and seconds; pause, extend while paused, resume.
    await mod.fill('#timer-minutes', '0');
    await mod.fill('#timer-seconds', '45');
    await mod.click('#timer-form button[type=submit]');
    await alice.locator('#timer', { hasText: /00:4\d left/ }).waitFor({ timeout: WAIT });
    await mod.click('#timer-pause');
    await alice.locator('#timer.paused', { hasText: /Paused: 00:[34]\d left/ }).waitFor({ timeout: WAIT });
    await mod.locator('#timer-pause', { hasText: 'Resume' }).waitFor();
    await mod.click('#timer-extend');
    await alice.locator('#timer.paused', { hasText: /Paused: 01:[34]\d left/ }).waitFor({ timeout: WAIT });
    const still = await alice.textContent('#timer');
    await alice.waitForTimeout(1500);
    assert.equal(await alice.textContent('#timer'), still, 'a paused timer stands still');
    await mod.click('#timer-pause');
    await alice.locator('#timer:not(.paused)', { hasText: /01:[34]\d left/ }).waitFor({ timeout: WAIT });
    await noViolations(mod, 'moderator-queue');
  });

  it('blocker 7: a vote shows as given, can be taken back, and a second click is no error (French too)', async () => {
    const { alice, bob } = pages;
    await bob.fill('#insight-text', 'Shared data spaces across regions');
    await bob.click('#insight-form button[type=submit]');
    const item = byText(alice, '#insights', 'Shared data spaces across regions');
    await item.waitFor({ timeout: WAIT });
    await item.locator('button').click();
    await bob.locator('#insights li .votes', { hasText: /^1 vote$/ }).waitFor({ timeout: WAIT });
    // Alice's page marks her vote on its reply, which may come after Bob saw the count.
    await item.locator('button[aria-pressed="true"]', { hasText: 'Voted' }).waitFor({ timeout: WAIT });
    // Blocker 8: the focus stays on the vote button through the redraw.
    assert.match(await focused(alice), /^\[data-focus=vote:/);

    await alice.selectOption('#lang', 'fr');
    await item.locator('button').click();
    await bob.locator('#insights li .votes', { hasText: /^0 votes$/ }).waitFor({ timeout: WAIT });
    await alice.locator('#insights li .votes', { hasText: /^0 vote$/ }).waitFor({ timeout: WAIT });
    await item.locator('button[aria-pressed="false"]').waitFor({ timeout: WAIT });
    await item.locator('button').click();
    await bob.locator('#insights li .votes', { hasText: /^1 vote$/ }).waitFor({ timeout: WAIT });
    assert.equal(await alice.locator('#alerts .alert').count(), 0);
    await alice.selectOption('#lang', 'en');
  });

  it('blocker 8 and 3: deleting keeps the focus in the list; the chair moderates the plenary chat', async () => {
    const { alice, bob, mod } = pages;
    await byText(mod, '#messages', 'Off-topic').locator('button.danger').focus();
    await mod.keyboard.press('Enter');
    await alice.waitForFunction(() => ![...document.querySelectorAll('#messages li')].some((li) => li.textContent.includes('Off-topic')), null, { timeout: WAIT });
    await bob.waitForFunction(() => ![...document.querySelectorAll('#messages li')].some((li) => li.textContent.includes('Off-topic')), null, { timeout: WAIT });
    assert.notEqual(await focused(mod), 'body');
    assert.match(await focused(mod), /^\[data-focus=(del|hide|react):|#say-text/);

    const chair = await openLink('chair', server.chairToken);
    await chair.locator('#chair-console').waitFor({ state: 'visible', timeout: WAIT });
    await alice.fill('#plenary-say-text', 'Buy cheap watches here');
    await alice.click('#plenary-say-form button[type=submit]');
    const spam = byText(chair, '#plenary-chat', 'Buy cheap watches');
    await spam.waitFor({ timeout: WAIT });
    assert.equal(await byText(chair, '#plenary-feed', 'Buy cheap watches').count(), 0);
    await spam.locator('button.danger').click();
    await alice.waitForFunction(() => !document.getElementById('plenary-chat').textContent.includes('cheap watches'), null, { timeout: WAIT });
    assert.equal(await alice.locator('#plenary-chat li button.danger').count(), 0, 'participants get no delete button');
  });

  it('blocker 4: the chair link connects at once and takes the token out of the address bar', async () => {
    const { chair } = pages;
    assert.ok(!chair.url().includes('token='), chair.url());
    assert.equal(await chair.inputValue('#join-token'), '');
    await chair.locator('#you', { hasText: 'chair' }).waitFor();
    // A reload keeps the chair signed in.
    await chair.reload();
    await waitOpen(chair);
    await chair.locator('#chair-console').waitFor({ state: 'visible', timeout: WAIT });
  });

  it('a table the chair opens gives its moderator a link that connects at once, at that table', async () => {
    const { chair } = pages;
    await chair.fill('#create-id', 'villages');
    await chair.fill('#create-topic', 'Smart villages');
    await chair.fill('#create-moderator', 'Grace');
    await chair.click('#create-table-form button[type=submit]');
    await chair.locator('#invite-box').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await focused(chair), '#invite-link');
    await chair.locator('#invite-label', { hasText: 'villages' }).waitFor();
    const link = await chair.inputValue('#invite-link');
    assert.ok(link.startsWith(`${server.url}/?token=`), link);
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const grace = await ctx.newPage();
    watch(grace, 'grace');
    await grace.goto(link);
    await waitOpen(grace);
    assert.ok(!grace.url().includes('token='), grace.url());
    await grace.locator('#you', { hasText: /Grace \(moderator\)/ }).waitFor({ timeout: WAIT });
    await grace.locator('#table-heading', { hasText: 'Smart villages' }).waitFor({ timeout: WAIT });
    await grace.locator('#mod-console').waitFor({ state: 'visible', timeout: WAIT });
    await ctx.close();
  });

  it('blocker 6: a second published summary is marked as an update; the heading says published', async () => {
    const { alice, bob, mod } = pages;
    await sitAt(alice, 'big-data');
    await mod.fill('#summary-text', 'Draft: regions should share data spaces.');
    await mod.click('#summary-form button[type=submit]');
    await mod.locator('#summary', { hasText: 'Draft: regions should share data spaces.' }).waitFor({ timeout: WAIT });
    assert.match(await mod.textContent('#summary-heading'), /draft/);
    await noViolations(mod, 'moderator');
    await shot(mod, 'moderator');

    await mod.fill('#summary-text', 'Synergies: regions should share data spaces and publish open standards.');
    await mod.click('#summary-publish');
    assert.equal(await focused(mod), '#publish-yes');
    await mod.click('#publish-yes');
    await byText(alice, '#plenary-feed', 'publish open standards').waitFor({ timeout: WAIT });
    await byText(alice, '#plenary-feed', 'Report from').waitFor();
    await bob.locator('#summary-heading', { hasText: 'published' }).waitFor({ timeout: WAIT });

    await mod.fill('#summary-text', 'Synergies, final: share data spaces, open standards, one steward per region.');
    await mod.click('#summary-publish');
    await mod.click('#publish-yes');
    await byText(alice, '#plenary-feed', 'Updated report from').waitFor({ timeout: WAIT });
    assert.equal(await byText(alice, '#plenary-feed', 'one steward per region').count(), 1);
    assert.equal(await alice.locator('#plenary-feed li.report.update').count(), 1);
  });

  it('the chair overview shows every table with its people and reports, and one button goes there', async () => {
    const { chair } = pages;
    await chair.locator('#overview li[data-table=synergies]', { hasText: '2 reports published' }).waitFor({ timeout: WAIT });
    await chair.locator('#overview li[data-table=big-data]', { hasText: /1 person .* no report yet/ }).waitFor({ timeout: WAIT });
    await chair.click('#overview li[data-table=big-data] button');
    await chair.locator('#table-heading', { hasText: 'Big data for open governance' }).waitFor({ timeout: WAIT });
    assert.equal(await focused(chair), '#table-heading');
    await chair.locator('#overview li[data-table=big-data]', { hasText: '2 people' }).waitFor({ timeout: WAIT });
  });

  it('the chair overview shows each table at a glance: moderator, hands waiting, timer, summary drafted', async () => {
    const { chair } = pages;
    const row = (id) => chair.locator(`#overview li[data-table=${id}]`);
    await row('synergies').locator('.facts', { hasText: 'moderator here' }).waitFor({ timeout: WAIT });
    const guest = await sdk('Gus');
    await guest.join('inclusiveness');
    await guest.hand(true);
    await row('inclusiveness').locator('.facts', { hasText: /no moderator .* 1 hand up/ }).waitFor({ timeout: WAIT });
    const modSdk = await sdk('Ines', server.moderatorTokens.inclusiveness);
    await modSdk.join('inclusiveness');
    await modSdk.timer('inclusiveness', 600);
    await modSdk.summary('Inclusiveness: first ideas', false);
    await row('inclusiveness').locator('.facts', { hasText: /moderator here .* 1 hand up .* timer until \d\d:\d\d .* summary drafted/ })
      .waitFor({ timeout: WAIT });
    await modSdk.giveFloor('inclusiveness', guest.you.id);
    await modSdk.summary('Inclusiveness: first ideas', true);
    // No hand waiting (Gus has the floor), the summary published: no draft.
    await row('inclusiveness').locator('.facts', { hasText: /^2 people · moderator here · timer until [^·]+ · open · 1 report published$/ })
      .waitFor({ timeout: WAIT });
    // Back as it was for the tests below.
    await modSdk.timer('inclusiveness', 0);
    await guest.leave();
    await modSdk.leave();
    await row('inclusiveness').locator('.facts', { hasText: /^0 people · no moderator/ }).waitFor({ timeout: WAIT });
  });

  it('blocker 2: at 375 px broadcasts, phases and reports reach the table view and are announced', async () => {
    const { chair, mod } = pages;
    const phone = await openAs('phone', { viewport: PHONE });
    await joinAs(phone, 'Zoé');
    await sitAt(phone, 'synergies');
    await chair.fill('#broadcast-text', 'Coffee break in 5 minutes');
    await chair.click('#broadcast-form button[type=submit]');
    await phone.locator('#banner', { hasText: 'Coffee break in 5 minutes' }).waitFor({ timeout: WAIT });
    await phone.locator('#live', { hasText: 'Coffee break in 5 minutes' }).waitFor({ state: 'attached', timeout: WAIT });
    await phone.locator('#plenary-unread', { hasText: '1 new' }).waitFor({ timeout: WAIT });
    await chair.fill('#phase-name', 'reports');
    await chair.click('#phase-form button[type=submit]');
    await phone.locator('#banner', { hasText: 'reports' }).waitFor({ timeout: WAIT });
    await phone.locator('#event-phase', { hasText: 'reports' }).waitFor({ timeout: WAIT });
    await mod.fill('#summary-text', 'Synergies, for the phones.');
    await mod.click('#summary-publish');
    await mod.click('#publish-yes');
    await phone.locator('#banner', { hasText: 'for the phones' }).waitFor({ timeout: WAIT });
    await phone.locator('#plenary-unread', { hasText: '3 new' }).waitFor({ timeout: WAIT });
    // The message box is above the fold, the header compact, nothing sideways.
    const header = await phone.locator('header.top').boundingBox();
    assert.ok(header.height < 100, `header is ${header.height}px high at 375 px`);
    const box = await phone.locator('#say-text').boundingBox();
    assert.ok(box.y + box.height <= PHONE.height, `message box ends at ${box.y + box.height}px`);
    assert.ok(await sideways(phone) <= 0);
    await noViolations(phone, 'table-375');
    await shot(phone, 'table-375');

    // The plenary opens at its latest entries and clears the count.
    await phone.click('#tabs button[data-tab=plenary]');
    const atEnd = await phone.evaluate(() => {
      const f = document.getElementById('plenary-feed');
      return f.scrollHeight - f.scrollTop - f.clientHeight;
    });
    assert.ok(atEnd <= 2, `plenary feed is ${atEnd}px from its end`);
    assert.equal(await phone.isHidden('#plenary-unread'), true);
    assert.ok(await sideways(phone) <= 0);
    await noViolations(phone, 'plenary-375');
    await shot(phone, 'plenary-375');
  });

  it('blocker 10: French words and plurals, the current phase for late joiners, the chair console at 375 px', async () => {
    const late = await openAs('late', { viewport: PHONE, query: '?lang=fr' });
    await joinAs(late, 'Léa');
    await late.locator('#lobby-heading', { hasText: 'Tables rondes' }).waitFor();
    assert.equal(await late.getAttribute('html', 'lang'), 'fr');
    await late.locator('#table-list li[data-table=inclusiveness] .count', { hasText: /^0 personne$/ }).waitFor();
    assert.ok(await sideways(late) <= 0);
    await noViolations(late, 'lobby-fr-375');
    await shot(late, 'lobby-fr-375');
    await late.click('#tabs button[data-tab=plenary]');
    await byText(late, '#plenary-feed', 'Phase en cours\u00a0: Rapports').waitFor({ timeout: WAIT });
    await late.locator('#event-phase', { hasText: /^Rapports$/ }).waitFor();
    await byText(late, '#plenary-feed', 'Coffee break in 5 minutes').waitFor({ timeout: WAIT });
    await noViolations(late, 'plenary-fr-375');
    // A refused op: the French prefix with its non-breaking space.
    await sitAt(late, 'inclusiveness');
    await late.evaluate(() => document.getElementById('say-text').removeAttribute('maxlength'));
    await late.fill('#say-text', 'x'.repeat(4001));
    await late.click('#say-form button[type=submit]');
    await late.locator('#alerts .alert', { hasText: 'Erreur\u00a0: Ce texte est trop long.' }).waitFor({ timeout: WAIT });
    assert.doesNotMatch(await late.textContent('#alerts'), /is over|bytes/);

    const chairPhone = await openLink('chair-phone', server.chairToken, { viewport: PHONE });
    await chairPhone.click('#tabs button[data-tab=plenary]');
    await chairPhone.locator('#chair-console').waitFor({ state: 'visible' });
    assert.ok(await sideways(chairPhone) <= 0, `chair console scrolls sideways by ${await sideways(chairPhone)}px`);
    await noViolations(chairPhone, 'chair-375');
    await shot(chairPhone, 'chair-375');
  });

  it('blocker 9: a closed table locks its inputs for participants and shows closed in the lobby', async () => {
    const { chair, bob, mod } = pages;
    await chair.selectOption('#table-open-select', 'synergies');
    await chair.click('#table-close-btn');
    await bob.locator('#table-closed').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await bob.isDisabled('#say-text'), true);
    assert.equal(await bob.isDisabled('#insight-text'), true);
    assert.equal(await bob.locator('#insights li button:not([disabled])').count(), 0);
    assert.equal(await mod.isDisabled('#say-text'), false, 'the moderator still writes');
    await bob.click('#tabs button[data-tab=lobby]');
    await bob.locator('#table-list li[data-table=synergies] .badge.closed').waitFor({ timeout: WAIT });
    await bob.locator('#table-list li[data-table=synergies] .count', { hasText: 'still seated' }).waitFor({ timeout: WAIT });
    await noViolations(bob, 'lobby-closed');
    await chair.click('#table-reopen-btn');
    await bob.waitForFunction(() => !document.querySelector('#table-list li[data-table=synergies] .badge.closed'), null, { timeout: WAIT });
    await bob.click('#tabs button[data-tab=table]');
    await bob.waitForFunction(() => !document.getElementById('say-text').disabled, null, { timeout: WAIT });
  });

  it('blocker 5: the end of a timer is announced and looks ended, also after the moderator reloads', async () => {
    const { bob, mod } = pages;
    const modSdk = await sdk('Mod SDK', server.moderatorTokens.synergies);
    await modSdk.timer('synergies', 2);
    await bob.locator('#timer.ended', { hasText: 'Time is up' }).waitFor({ timeout: WAIT });
    assert.equal(await bob.locator('#timer.idle').count(), 0);
    await bob.locator('#live', { hasText: 'Time is up' }).waitFor({ state: 'attached', timeout: WAIT });
    const colour = await bob.evaluate(() => getComputedStyle(document.getElementById('timer')).color);
    assert.equal(colour, 'rgb(166, 27, 27)');
    await mod.reload();
    await waitOpen(mod);
    await mod.locator('#timer.ended', { hasText: 'Time is up' }).waitFor({ timeout: WAIT });
  });

  it('blocker 1: a reload and a second tab keep the person: same table, vote kept, one count', async () => {
    const { alice } = pages;
    await sitAt(alice, 'synergies');
    const before = (await report()).tables.find((x) => x.id === 'synergies');
    const voted = alice.locator('#insights li', { hasText: 'Shared data spaces' }).locator('button');
    assert.equal(await voted.getAttribute('aria-pressed'), 'true');
    await alice.reload();
    await waitOpen(alice);
    assert.equal(await alice.isHidden('#join-view'), true, 'no join form after a reload');
    await alice.locator('#you', { hasText: 'Alice' }).waitFor();
    await alice.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor({ timeout: WAIT });
    await alice.locator('#insights li', { hasText: 'Shared data spaces' }).locator('button[aria-pressed=true]').waitFor({ timeout: WAIT });
    // A second tab is the same person too: a vote from it is refused as a repeat,
    // shown as given, and the count stays.
    const tab = await openAs('alice-tab', { context: alice.context() });
    await waitOpen(tab);
    await tab.locator('#you', { hasText: 'Alice' }).waitFor();
    await tab.locator('#insights li', { hasText: 'Shared data spaces' }).locator('.votes', { hasText: /^1 vote$/ }).waitFor({ timeout: WAIT });
    const after = (await report()).tables.find((x) => x.id === 'synergies');
    assert.equal(after.participants, before.participants, 'the report counts the person once');
    assert.equal(after.insights.find((i) => i.text.startsWith('Shared data')).votes, 1);
    await tab.close();
    // Signing out forgets the person.
    const other = await openAs('signout');
    await joinAs(other, 'Sam');
    await other.click('#sign-out');
    await other.locator('#join-form').waitFor({ state: 'visible', timeout: WAIT });
    await other.reload();
    await other.locator('#join-form').waitFor({ state: 'visible', timeout: WAIT });
  });

  it('the snapshot tells a new device its votes and an ended timer, and a late joiner the phases so far', async () => {
    const { alice } = pages;
    // The same person on another device: nothing kept in this browser but who they are.
    const kept = await alice.evaluate(() => localStorage.getItem('roundtable.identity'));
    const ctx = await browser.newContext({ viewport: DESKTOP });
    await ctx.addInitScript((identity) => {
      if (!localStorage.getItem('roundtable.identity')) {
        localStorage.setItem('roundtable.identity', identity);
        localStorage.setItem('roundtable.table', JSON.stringify('synergies'));
      }
    }, kept);
    const device = await ctx.newPage();
    watch(device, 'alice-device');
    await device.goto(`${server.url}/`);
    await waitOpen(device);
    await device.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor({ timeout: WAIT });
    await device.locator('#insights li', { hasText: 'Shared data spaces' }).locator('button[aria-pressed=true]').waitFor({ timeout: WAIT });
    await device.locator('#timer.ended', { hasText: 'Time is up' }).waitFor({ timeout: WAIT });
    assert.equal(await device.evaluate(() => Object.keys(localStorage).sort().join()), 'roundtable.identity,roundtable.table');
    await ctx.close();

    const chairSdk = await sdk('Chair SDK', server.chairToken);
    await chairSdk.phase('networking');
    await chairSdk.phase('reports');
    const late = await openAs('late-phases');
    await joinAs(late, 'Lou');
    await byText(late, '#plenary-feed', 'Networking').waitFor({ timeout: WAIT });
    await byText(late, '#plenary-feed', 'Current phase: Reports').waitFor({ timeout: WAIT });
    // The earlier change to Reports, then Networking, then the current one.
    assert.ok(await late.locator('#plenary-feed li.phase').count() >= 3);
  });

  it('the event agenda names the phases in the page language; the chair picks only from it', async () => {
    const { chair, late } = pages;
    const options = await chair.$$eval('#phase-options option', (os) => os.map((o) => `${o.value}=${o.label}`));
    assert.deepEqual(options, ['keynote=Keynote', 'presentations=Presentations', 'roundtables=Roundtables',
      'reports=Reports', 'networking=Networking']);
    await chair.fill('#phase-name', 'networking');
    await chair.click('#phase-form button[type=submit]');
    await late.locator('#event-phase', { hasText: /^Réseautage$/ }).waitFor({ timeout: WAIT });
    await chair.locator('#event-phase', { hasText: /^Networking$/ }).waitFor({ timeout: WAIT });
    // A name off the agenda is refused and changes nothing.
    await chair.fill('#phase-name', 'lunch');
    await chair.click('#phase-form button[type=submit]');
    await chair.locator('#alerts .alert').waitFor({ timeout: WAIT });
    assert.equal(await chair.inputValue('#phase-name'), 'lunch');
    await chair.fill('#phase-name', 'reports');
    await chair.click('#phase-form button[type=submit]');
    await late.locator('#event-phase', { hasText: /^Rapports$/ }).waitFor({ timeout: WAIT });
    assert.equal(await byText(late, '#plenary-feed', 'lunch').count(), 0);
  });

  it('a keyboard alone runs a participant and a moderator, and the focus stays where the action was', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const kb = await ctx.newPage();
    watch(kb, 'keyboard');
    await kb.goto(`${server.url}/`);
    const tabTo = async (page, selector, limit = 120) => {
      for (let i = 0; i < limit; i++) {
        if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
        await page.keyboard.press('Tab');
      }
      assert.fail(`Tab never reached ${selector}`);
    };
    await tabTo(kb, '#join-name');
    await kb.keyboard.type('Kim');
    await kb.keyboard.press('Enter');
    await waitOpen(kb);
    assert.equal(await focused(kb), '#lobby-heading');
    await tabTo(kb, '#table-list button[data-table=inclusiveness]');
    await kb.keyboard.press('Enter');
    await kb.locator('#table-heading', { hasText: 'Inclusiveness' }).waitFor({ timeout: WAIT });
    assert.equal(await focused(kb), '#table-heading');
    await tabTo(kb, '#say-text');
    await kb.keyboard.type('Typed without a mouse');
    await kb.keyboard.press('Enter');
    await byText(kb, '#messages', 'Typed without a mouse').waitFor({ timeout: WAIT });
    assert.equal(await focused(kb), '#say-text');
    await tabTo(kb, '#hand-btn');
    await kb.keyboard.press('Space');
    await kb.locator('#hand-btn[aria-pressed=true]').waitFor({ timeout: WAIT });
    assert.equal(await focused(kb), '#hand-btn');
    await tabTo(kb, '#insight-text');
    await kb.keyboard.type('Captions for every session');
    await kb.keyboard.press('Enter');
    await byText(kb, '#insights', 'Captions for every session').waitFor({ timeout: WAIT });
    assert.equal(await focused(kb), '#insight-text');
    await tabTo(kb, '#insights button');
    await kb.keyboard.press('Enter');
    await kb.locator('#insights button[aria-pressed=true]').waitFor({ timeout: WAIT });
    assert.match(await focused(kb), /^\[data-focus=vote:/);

    const mctx = await browser.newContext({ viewport: DESKTOP });
    const km = await mctx.newPage();
    watch(km, 'keyboard-mod');
    await km.goto(`${server.url}/?token=${encodeURIComponent(server.moderatorTokens.inclusiveness)}`);
    await waitOpen(km);
    await km.locator('#mod-console').waitFor({ state: 'visible', timeout: WAIT });
    await byText(km, '#messages', 'Typed without a mouse').waitFor({ timeout: WAIT });
    await tabTo(km, '#next-hand');
    await km.keyboard.press('Enter');
    await kb.locator('#floor', { hasText: 'You have the floor' }).waitFor({ timeout: WAIT });
    assert.equal(await focused(km), '#next-hand');
    await km.focus('#main');
    await tabTo(km, '#messages button.danger');
    await km.keyboard.press('Enter');
    await kb.waitForFunction(() => !document.getElementById('messages').textContent.includes('Typed without'), null, { timeout: WAIT });
    assert.match(await focused(km), /#say-text|^\[data-focus=(del|react):/);
    await tabTo(km, '#summary-insert');
    await km.keyboard.press('Enter');
    assert.equal(await focused(km), '#summary-text');
    assert.match(await km.inputValue('#summary-text'), /Captions for every session \(1 vote\)/);
    await tabTo(km, '#summary-publish');
    await km.keyboard.press('Enter');
    assert.equal(await focused(km), '#publish-yes');
    await km.keyboard.press('Enter');
    await byText(kb, '#plenary-feed', 'Captions for every session').waitFor({ timeout: WAIT });
    assert.equal(await focused(km), '#summary-publish');
    await ctx.close();
    await mctx.close();
  });

  it('blocker 11: axe finds nothing on any view after a busy session, at desktop and 375 px', async () => {
    // 200 messages, 20 insights and 10 reports, from Node, spread over connections
    // so no one goes over the rate limit.
    const talkers = await Promise.all([0, 1, 2, 3, 4].map((i) => sdk(`Talker ${i}`)));
    await Promise.all(talkers.map((c) => c.join('synergies')));
    await Promise.all(talkers.map(async (c, i) => {
      for (let n = 0; n < 20; n++) await c.say(n % 2 ? 'plenary' : 'synergies', `Busy message ${i}-${n}`);
    }));
    await new Promise((r) => setTimeout(r, 2500));
    await Promise.all(talkers.map(async (c, i) => {
      for (let n = 0; n < 20; n++) await c.say(n % 2 ? 'plenary' : 'synergies', `More talk ${i}-${n}`);
      for (let n = 0; n < 4; n++) await c.insight(`Busy insight ${i}-${n}`);
    }));
    const mods = await Promise.all(['synergies', 'big-data', 'inclusiveness'].map((id) => sdk(`Mod ${id}`, server.moderatorTokens[id])));
    await Promise.all(mods.map(async (m, i) => {
      for (let n = 0; n < (i === 0 ? 4 : 3); n++) await m.summary(`Report ${i}-${n}: busy session outcome.`, true);
    }));
    const views = [
      ['lobby', (p) => p.click('#tabs button[data-tab=lobby]')],
      ['table', (p) => p.click('#tabs button[data-tab=table]')],
      // On a wide screen the plenary is always in sight, beside the view.
      ['plenary', async (p) => { if (await p.isVisible('#tabs button[data-tab=plenary]')) await p.click('#tabs button[data-tab=plenary]'); }],
    ];
    for (const viewport of [DESKTOP, PHONE]) {
      const who = [
        ['participant', await openAs(`busy-${viewport.width}`, { viewport })],
        ['moderator', await openLink(`busy-mod-${viewport.width}`, server.moderatorTokens.synergies, { viewport })],
        ['chair', await openLink(`busy-chair-${viewport.width}`, server.chairToken, { viewport })],
      ];
      await joinAs(who[0][1], `Busy ${viewport.width}`);
      await sitAt(who[0][1], 'synergies');
      await sitAt(who[2][1], 'synergies');
      for (const [role, page] of who) {
        await byText(page, '#plenary-feed', 'Report 0-3').waitFor({ state: 'attached', timeout: WAIT });
        for (const [name, go] of views) {
          await go(page);
          await byText(page, '#messages', 'More talk').first().waitFor({ state: 'attached', timeout: WAIT });
          assert.ok(await sideways(page) <= 0, `${role} ${name} at ${viewport.width} scrolls sideways`);
          await noViolations(page, `busy ${role} ${name} ${viewport.width}`);
        }
        await shot(page, `busy-${role}-${viewport.width}`);
      }
    }
  });

  it('shows a refused token in words and asks again', async () => {
    const bad = await openAs('bad', { query: '?token=not-a-valid-token' });
    await bad.locator('#alerts .alert', { hasText: 'access token was refused' }).waitFor({ timeout: WAIT });
    await bad.locator('#join-form').waitFor({ state: 'visible' });
    assert.equal(await focused(bad), '#join-name');
    assert.ok(!bad.url().includes('token='));
    await noViolations(bad, 'error');
    await shot(bad, 'error');
  });

  it('shows reconnecting while the server is down and recovers after as the same table', async () => {
    const { bob } = pages;
    const port = server.port;
    for (const c of sdkClients) c.close();
    sdkClients.length = 0;
    await server.stop();
    server = null;
    await bob.waitForFunction(() => ['reconnecting', 'offline'].includes(document.getElementById('conn').dataset.state), null, { timeout: WAIT });
    assert.match(await bob.textContent('#conn'), /Reconnecting|Offline/);
    await noViolations(bob, 'reconnecting');
    await shot(bob, 'reconnecting');
    server = await startServerOnPort(port);
    await bob.waitForFunction(() => document.getElementById('conn').dataset.state === 'open', null, { timeout: 30000 });
    // The new server has a new epoch (and a new demo secret: Bob's guest token is
    // refused, so he becomes a new guest): the page reloads its view and says so.
    await bob.locator('#notice', { hasText: 'reloaded' }).waitFor({ timeout: WAIT });
    await bob.locator('#table-heading', { hasText: 'Synergies and sustainability' }).waitFor({ timeout: WAIT });
    await bob.fill('#say-text', 'Back after the restart');
    await bob.press('#say-text', 'Enter');
    await byText(bob, '#messages', 'Back after the restart').waitFor({ timeout: WAIT });
  });

  it('raised no page errors and no 404', () => {
    assert.deepEqual(errors, []);
  });
});
