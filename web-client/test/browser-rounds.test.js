// Browser test of networking rounds in the front-end (public/rounds.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: the chair skips the rounds with the toggle
// and starts them from the console; two participants are seated in one group,
// see who is in it and its countdown, and chat there; one reloads the page
// mid-round and is back in the group; the chair stops the rounds and both are
// back in the plenary, told so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, openPage, joinAs, waitOpen, noViolations, press } from './support/browser.js';

describe('networking rounds in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);
  async function participant(name) {
    const page = await open('');
    await joinAs(page, name);
    return page;
  }

  it('groups two participants, who chat, then stops the rounds', async () => {
    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
    await waitOpen(chair);
    await chair.locator('#rounds-form legend', { hasText: 'Tours de réseautage' }).waitFor({ timeout: WAIT });
    await press(chair, '#rounds-opt-out', 'Space');
    await chair.locator('#live', { hasText: 'Vous ne serez pas placé' }).waitFor({ timeout: WAIT });
    await noViolations(chair, 'chair console with the rounds form');

    const ada = await participant('Ada Lovelace');
    const bob = await participant('Bob');

    await chair.locator('#rounds-size').fill('');
    await chair.locator('#rounds-size').focus();
    await chair.keyboard.type('2');
    await press(chair, '#rounds-form button[type="submit"]');

    for (const page of [ada, bob]) {
      await page.locator('#group-banner', { hasText: /Tour 1, votre groupe\u00a0: .*Ada Lovelace/ }).waitFor({ timeout: WAIT });
      await page.locator('#group-banner', { hasText: /Fin dans (5:00|4:5\d)/ }).waitFor({ timeout: WAIT });
      await page.waitForFunction(() => document.body.dataset.view === 'table', null, { timeout: WAIT });
    }
    await noViolations(ada, 'a participant in a networking group');

    await ada.locator('#say-text').focus();
    await ada.keyboard.type('Bonjour le groupe');
    await ada.keyboard.press('Enter');
    await bob.locator('#messages li', { hasText: 'Bonjour le groupe' }).waitFor({ timeout: WAIT });

    // A reload mid-round: the group's banner, its room and its chat come back.
    await bob.reload();
    await waitOpen(bob);
    await bob.locator('#group-banner', { hasText: /Tour 1, votre groupe\u00a0: .*Ada Lovelace/ }).waitFor({ timeout: WAIT });
    await bob.waitForFunction(() => document.body.dataset.view === 'table', null, { timeout: WAIT });
    await bob.locator('#messages li', { hasText: 'Bonjour le groupe' }).waitFor({ timeout: WAIT });
    await noViolations(bob, 'a participant back in the group after a reload');

    await press(chair, '#rounds-stop');
    for (const page of [ada, bob]) {
      await page.locator('#notice', { hasText: 'Les tours de réseautage sont terminés' }).waitFor({ timeout: WAIT });
      await page.locator('#group-banner').waitFor({ state: 'hidden', timeout: WAIT });
      await page.waitForFunction(() => document.body.dataset.view === 'plenary', null, { timeout: WAIT });
    }
    await noViolations(bob, 'back in the plenary after the rounds');
    assert.deepEqual(errors, []);
  });
});
