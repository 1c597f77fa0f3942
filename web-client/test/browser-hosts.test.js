// Browser test of the hosts' tools in the front-end (public/hosts.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: the chair moves a participant from the
// console's list (a bad line is listed, the move made), the person lands at
// the new table and is told who moved them; the chair's recall shows a
// countdown at the table, is called off, then ends at once: everyone is back
// in the plenary and told so. At a table that allows it, a participant ticks
// "Anonymement" and the others see "Anonymous", not the name; where such a
// message is also held for the moderator, its author sees it as theirs, "en
// attente du modérateur", and the moderator sees "Anonymous", never the name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, openPage, joinAs, waitOpen, noViolations, press, focusKey } from './support/browser.js';

describe('hosts in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);

  it('moves a participant from the console, then calls everyone back', async () => {
    const ada = await open('');
    await joinAs(ada, 'Ada Lovelace');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });

    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
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
});

describe('anonymous posts in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser({
    event: {
      id: 'anon', title: 'Anonyme', tables: [
        { id: 'open-floor', topic: 'Parole libre', anonymous: true },
        { id: 'quiet', topic: 'Parole retenue', anonymous: true, premoderate: true }],
    },
  });
  const { errors } = env;
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);
  const visit = async (name, table) => {
    const page = await open('');
    await joinAs(page, name);
    await press(page, `#table-list button[data-table="${table}"]`);
    await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    return page;
  };
  async function sayAnonymously(page, text) {
    await page.locator('#say-anon').waitFor({ state: 'visible', timeout: WAIT });
    await page.locator('#say-anon').focus();
    await page.keyboard.press('Space');
    await page.locator('#say-text').focus();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
  }

  it('posts anonymously where the table allows it', async () => {
    const ada = await visit('Ada Lovelace', 'open-floor');
    const bob = await visit('Bob', 'open-floor');
    await ada.locator('#say-anon').waitFor({ state: 'visible', timeout: WAIT });
    await noViolations(ada, 'a table that takes anonymous contributions');
    await sayAnonymously(ada, 'Sans mon nom');
    const line = bob.locator('#messages li', { hasText: 'Sans mon nom' });
    await line.waitFor({ timeout: WAIT });
    const text = await line.textContent();
    assert.match(text, /Anonymous/);
    assert.doesNotMatch(text, /Ada/);
    assert.deepEqual(errors, []);
  });

  it('shows the author of an anonymous held message that it is theirs, waiting', async () => {
    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.quiet)}`);
    await waitOpen(mod);
    await mod.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    const ada = await visit('Ada Lovelace', 'quiet');
    await sayAnonymously(ada, 'Sans mon nom, retenu');
    const held = ada.locator('#pending-items li', { hasText: 'Sans mon nom, retenu' });
    await held.locator('.waiting', { hasText: 'en attente du modérateur' }).waitFor({ timeout: WAIT });
    await noViolations(ada, 'the author of an anonymous held message');

    // The moderator sees the pseudonym, never the name, and decides.
    const queued = mod.locator('#pending-items li', { hasText: 'Sans mon nom, retenu' });
    await queued.waitFor({ timeout: WAIT });
    assert.match(await queued.textContent(), /Anonymous/);
    assert.doesNotMatch(await queued.textContent(), /Ada|en attente du modérateur/);
    await press(mod, `[data-focus="approve:${await queued.getAttribute('data-id')}"]`);
    await ada.locator('#notice', { hasText: /a approuvé.*Sans mon nom, retenu/ }).waitFor({ timeout: WAIT });
    await held.waitFor({ state: 'detached', timeout: WAIT });
    assert.deepEqual(errors, []);
  });
});
