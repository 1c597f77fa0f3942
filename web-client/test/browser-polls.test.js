// Browser test of polls and reactions in the front-end (public/polls.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: a table's moderator asks a question, a
// participant votes and changes their vote, the moderator closes the poll; the
// chair asks one in the plenary with results at close; reactions on a message
// with their counts on both pages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, openPage, joinAs, waitOpen, noViolations, press } from './support/browser.js';

describe('polls and reactions in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);
  async function typeInto(page, selector, text) {
    await page.locator(selector).focus();
    await page.keyboard.type(text);
  }

  it('a moderator asks, a participant votes, the counts follow, the poll closes', async () => {
    const ada = await open('');
    await joinAs(ada, 'Ada');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#table-polls li', { hasText: 'Aucun sondage' }).waitFor({ timeout: WAIT });
    assert.equal(await ada.locator('#table-poll-form').isHidden(), true);

    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.synergies)}`);
    await waitOpen(mod);
    await mod.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await typeInto(mod, '#table-poll-question', 'Par où commencer ?');
    await typeInto(mod, '#table-poll-options', 'Données');
    await mod.keyboard.press('Enter');
    await mod.keyboard.type('Compétences');
    await press(mod, '#table-poll-form button[type="submit"]');
    const poll = ada.locator('#table-polls li', { hasText: 'Par où commencer ?' });
    await poll.waitFor({ timeout: WAIT });
    const id = await poll.getAttribute('data-poll');
    await noViolations(ada, 'a table poll, open');
    await noViolations(mod, 'the moderator with a poll and its form');

    // Ada votes by keyboard: Space picks the option, Enter on Voter sends it.
    await press(ada, `[data-focus="poll:${id}:1"]`, 'Space');
    await press(ada, `[data-focus="vote:${id}"]`);
    await mod.locator(`#table-polls li[data-poll="${id}"] .count`, { hasText: '(1 voix)' }).waitFor({ timeout: WAIT });
    await ada.locator(`#table-polls li[data-poll="${id}"]`, { hasText: 'vous avez voté' }).waitFor({ timeout: WAIT });
    // Changed: the other option now holds the vote.
    await press(ada, `[data-focus="poll:${id}:0"]`, 'Space');
    await press(ada, `[data-focus="vote:${id}"]`);
    await mod.locator(`#table-polls li[data-poll="${id}"] label`, { hasText: 'Données (1 voix)' }).waitFor({ timeout: WAIT });
    await mod.locator(`#table-polls li[data-poll="${id}"] label`, { hasText: 'Compétences (0 voix)' }).waitFor({ timeout: WAIT });

    // Closed: final results for everyone, no more voting.
    await press(mod, `[data-focus="close:${id}"]`);
    await ada.locator(`#table-polls li[data-poll="${id}"]`, { hasText: 'Clos : résultats définitifs' }).waitFor({ timeout: WAIT });
    assert.equal(await ada.locator(`[data-focus="vote:${id}"]`).count(), 0);
    assert.equal(await ada.locator(`[data-focus="poll:${id}:0"]`).isDisabled(), true);
    await noViolations(ada, 'a closed poll');

    // Reactions on a message: by keyboard, counted on both pages.
    await typeInto(ada, '#say-text', 'Les données ouvertes');
    await ada.keyboard.press('Enter');
    const msg = mod.locator('#messages li', { hasText: 'Les données ouvertes' });
    await msg.waitFor({ timeout: WAIT });
    const item = await msg.getAttribute('data-id');
    await press(mod, `#messages [data-focus="react:${item}:2"]`);
    await ada.locator(`#messages [data-focus="react:${item}:2"]`, { hasText: '1' }).waitFor({ timeout: WAIT });
    assert.equal(await mod.locator(`#messages [data-focus="react:${item}:2"]`).getAttribute('aria-pressed'), 'true');
    assert.equal(await mod.locator(`#messages [data-focus="react:${item}:2"]`).getAttribute('aria-label'), 'Idée : 1');
    // One Tab stop per toolbar: the arrow keys move to the idea button.
    await press(ada, `#messages [data-focus="react:${item}:0"]`, 'ArrowRight');
    await ada.keyboard.press('ArrowRight');
    await ada.keyboard.press('Enter');
    await mod.locator(`#messages [data-focus="react:${item}:2"]`, { hasText: '2' }).waitFor({ timeout: WAIT });
    await noViolations(mod, 'reactions with counts');
    // The same again takes it back.
    await ada.keyboard.press('Enter');
    await mod.locator(`#messages [data-focus="react:${item}:2"]`, { hasText: '1' }).waitFor({ timeout: WAIT });
    assert.equal(await ada.locator(`#messages [data-focus="react:${item}:2"]`).getAttribute('aria-pressed'), 'false');
    assert.deepEqual(errors, []);
  });

  it('the chair asks the plenary, results shown at close', async () => {
    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
    await waitOpen(chair);
    const bob = await open('');
    await joinAs(bob, 'Bob');
    await typeInto(chair, '#plenary-poll-question', 'Quelle priorité ?');
    await typeInto(chair, '#plenary-poll-options', 'Climat');
    await chair.keyboard.press('Enter');
    await chair.keyboard.type('Emploi');
    await press(chair, '#plenary-poll-hidden', 'Space');
    await press(chair, '#plenary-poll-form button[type="submit"]');
    const poll = bob.locator('#plenary-polls li', { hasText: 'Quelle priorité ?' });
    await poll.waitFor({ timeout: WAIT });
    const id = await poll.getAttribute('data-poll');
    await poll.locator('p', { hasText: 'résultats à la clôture' }).waitFor({ timeout: WAIT });
    await press(bob, `[data-focus="poll:${id}:1"]`, 'Space');
    await press(bob, `[data-focus="vote:${id}"]`);
    // The chair sees the count; Bob does not until the close.
    await chair.locator(`#plenary-polls li[data-poll="${id}"] label`, { hasText: 'Emploi (1 voix)' }).waitFor({ timeout: WAIT });
    assert.equal(await bob.locator(`#plenary-polls li[data-poll="${id}"] .count`).count(), 0);
    await noViolations(bob, 'a plenary poll with results at close');
    await press(chair, `[data-focus="close:${id}"]`);
    await bob.locator(`#plenary-polls li[data-poll="${id}"] label`, { hasText: 'Emploi (1 voix)' }).waitFor({ timeout: WAIT });
    await noViolations(chair, 'the chair after closing a poll');
    assert.deepEqual(errors, []);
  });
});
