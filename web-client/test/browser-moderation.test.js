// Browser test of moderation in the front-end (public/moderation.js), in
// French, driven by the keyboard, with axe-core (WCAG 2.1 A and AA) at 0
// violations on each new state: the house rules in the lobby and at the table,
// a moderator hiding and restoring a message, muting (the person sees why and
// cannot post) and removing a participant (back in the lobby, told why).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, openPage, joinAs, waitOpen, noViolations, press, focusKey } from './support/browser.js';

describe('moderation in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);

  it('hides, restores, mutes and removes, and the person is told why', async () => {
    const ada = await open('');
    await joinAs(ada, 'Ada');
    // The house rules, at join.
    await ada.locator('#lobby-rules', { hasText: 'Règles de la session' }).waitFor({ timeout: WAIT });
    await noViolations(ada, 'lobby with rules');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#table-rules', { hasText: 'Règles de la session' }).waitFor({ timeout: WAIT });

    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.synergies)}`);
    await waitOpen(mod);
    await mod.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#say-text').focus();
    await ada.keyboard.type('Hors sujet');
    await ada.keyboard.press('Enter');
    const modMsg = mod.locator('#messages li', { hasText: 'Hors sujet' });
    await modMsg.waitFor({ timeout: WAIT });
    const id = await modMsg.getAttribute('data-id');

    // Hidden: gone for Ada, in the moderator's list with a restore button.
    await press(mod, `[data-focus="hide:${id}"]`);
    await ada.locator('#messages li', { hasText: 'Hors sujet' }).waitFor({ state: 'detached', timeout: WAIT });
    await mod.locator('#hidden-items li', { hasText: 'Hors sujet' }).waitFor({ timeout: WAIT });
    assert.equal(await mod.locator(`[data-focus="restore:${id}"]`).textContent(), 'Rétablir');
    await noViolations(mod, 'moderator console with a hidden item');
    await press(mod, `[data-focus="restore:${id}"]`);
    await ada.locator('#messages li', { hasText: 'Hors sujet' }).waitFor({ timeout: WAIT });
    await mod.locator('#hidden-items li', { hasText: 'Rien n’est masqué' }).waitFor({ timeout: WAIT });

    // Muted, with a reason: Ada sees why and cannot post; the focus stays on the toggle.
    const adaId = await mod.locator('#people li', { hasText: 'Ada' }).getAttribute('data-id');
    await mod.locator('#mod-reason').focus();
    await mod.keyboard.type('Restez dans le sujet');
    await press(mod, `[data-focus="mute:${adaId}"]`);
    await ada.locator('#muted-notice').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#notice', { hasText: 'Restez dans le sujet' }).waitFor({ timeout: WAIT });
    assert.equal(await ada.locator('#say-text').isDisabled(), true);
    await mod.locator(`[data-focus="mute:${adaId}"]`, { hasText: 'Rendre la parole' }).waitFor({ timeout: WAIT });
    assert.equal(await focusKey(mod), `mute:${adaId}`);
    await noViolations(ada, 'muted participant');
    await noViolations(mod, 'people with moderator controls');
    await mod.keyboard.press('Enter');  // unmute, from where the focus stayed
    await ada.locator('#muted-notice').waitFor({ state: 'hidden', timeout: WAIT });
    assert.equal(await ada.locator('#say-text').isDisabled(), false);

    // Removed: back in the lobby, told why.
    await press(mod, `[data-focus="remove:${adaId}"]`);
    await ada.locator('#notice', { hasText: 'exclu' }).waitFor({ timeout: WAIT });
    await ada.locator('#notice', { hasText: 'Restez dans le sujet' }).waitFor({ timeout: WAIT });
    await ada.waitForFunction(() => document.body.dataset.view === 'lobby', null, { timeout: WAIT });
    assert.equal(await focusKey(ada), 'lobby-heading');
    await mod.locator('#people li', { hasText: 'Ada' }).waitFor({ state: 'detached', timeout: WAIT });
    await noViolations(ada, 'removed participant in the lobby');
    assert.deepEqual(errors, []);
  });
});
