// Browser test of pre-moderation in the front-end (public/moderation.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: the moderator switches pre-moderation on from
// the console, a participant's insight and message wait "en attente du
// modérateur" on the author's page only, the moderator approves the insight
// (it reaches everyone's key insights) and rejects the message (the author is
// told, nobody else ever sees it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, noViolations, press, openPage, joinAs, waitOpen, serverAndBrowser } from './support/browser.js';

describe('pre-moderation in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, env.errors);

  async function guest(name) {
    const page = await open('');
    await joinAs(page, name);
    await press(page, '#table-list button[data-table="synergies"]');
    await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    return page;
  }

  it('holds an insight and a message until the moderator decides', async () => {
    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.synergies)}`);
    await waitOpen(mod);
    await mod.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    const ada = await guest('Ada');
    const bob = await guest('Bob');

    await press(mod, '#premoderate-btn');
    await mod.locator('#premoderate-btn[aria-pressed="true"]').waitFor({ timeout: WAIT });

    // Ada proposes an insight and says something: both wait, on her page only.
    await ada.locator('#insight-text').focus();
    await ada.keyboard.type('Des données ouvertes gérées');
    await ada.keyboard.press('Enter');
    const held = ada.locator('#pending-items li', { hasText: 'Des données ouvertes gérées' });
    await held.waitFor({ timeout: WAIT });
    assert.match(await held.textContent(), /en attente du modérateur/);
    assert.match(await held.textContent(), /Idée clé/);
    await ada.locator('#say-text').focus();
    await ada.keyboard.type('Un message retenu');
    await ada.keyboard.press('Enter');
    await ada.locator('#pending-items li', { hasText: 'Un message retenu' }).waitFor({ timeout: WAIT });
    await noViolations(ada, 'author with held items');

    const modHeld = mod.locator('#pending-items li', { hasText: 'Des données ouvertes gérées' });
    await modHeld.waitFor({ timeout: WAIT });
    const id = await modHeld.getAttribute('data-id');
    const msgId = await mod.locator('#pending-items li', { hasText: 'Un message retenu' }).getAttribute('data-id');
    assert.equal(await mod.locator(`[data-focus="approve:${id}"]`).textContent(), 'Approuver');
    await noViolations(mod, 'moderator with held items');
    assert.equal(await bob.locator('#pending-box').isHidden(), true);

    // Approved: the insight reaches everyone; the author is told.
    await press(mod, `[data-focus="approve:${id}"]`);
    await bob.locator('#insights li', { hasText: 'Des données ouvertes gérées' }).waitFor({ timeout: WAIT });
    await ada.locator('#insights li', { hasText: 'Des données ouvertes gérées' }).waitFor({ timeout: WAIT });
    await ada.locator('#notice', { hasText: 'approuvé' }).waitFor({ timeout: WAIT });
    await held.waitFor({ state: 'detached', timeout: WAIT });
    // The focus moved on to the next control that survived: the message's approve.
    assert.equal(await mod.evaluate(() => document.activeElement.dataset.focus), `approve:${msgId}`);

    // Rejected, by keyboard from there: gone for the author, never seen by Bob.
    await mod.keyboard.press('Tab');
    assert.equal(await mod.evaluate(() => document.activeElement.dataset.focus), `reject:${msgId}`);
    await mod.keyboard.press('Enter');
    await ada.locator('#notice', { hasText: 'pas retenu' }).waitFor({ timeout: WAIT });
    await ada.locator('#pending-box').waitFor({ state: 'hidden', timeout: WAIT });
    await mod.locator('#pending-box').waitFor({ state: 'hidden', timeout: WAIT });
    assert.equal(await bob.locator('#messages li', { hasText: 'Un message retenu' }).count(), 0);
    assert.equal(await mod.evaluate(() => document.activeElement.id), 'premoderate-btn');
    await noViolations(mod, 'moderator after deciding');
    await noViolations(ada, 'author after the decisions');
    assert.deepEqual(env.errors, []);
  });
});
