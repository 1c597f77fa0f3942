// Browser test of private drafting, in French, driven by the keyboard, with
// axe-core at 0 violations on the confirmation dialog: the moderator inserts
// the top insights into the draft and saves it; the participant never sees the
// draft (live or after a reload) while the chair does; publishing asks for
// confirmation (Escape keeps editing), then everyone reads the summary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, waitOpen, press, focusedId, noViolations, openPage, joinAs } from './support/browser.js';

describe('private drafting in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;

  const open = async (query) => {
    const page = await openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors);
    if (query) await waitOpen(page);
    return page;
  };

  it('keeps the draft private, inserts the top insights and confirms before publishing', async () => {
    const ada = await open('');
    await joinAs(ada, 'Ada');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.locator('#insight-text').focus();
    await ada.keyboard.type('Des données ouvertes partout');
    await ada.keyboard.press('Enter');

    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.synergies)}`);
    await mod.locator('#insights li', { hasText: 'Des données ouvertes partout' }).waitFor({ timeout: WAIT });

    // The top insights go into the draft; the draft is saved.
    await press(mod, '#summary-insert');
    assert.equal(await focusedId(mod), 'summary-text');
    assert.match(await mod.inputValue('#summary-text'), /Des données ouvertes partout/);
    await mod.keyboard.press('End');
    await mod.keyboard.type(' Brouillon confidentiel.');
    await press(mod, '#summary-form button[type=submit]');
    await mod.locator('#summary', { hasText: 'Brouillon confidentiel' }).waitFor({ timeout: WAIT });
    assert.match(await mod.textContent('#summary-heading'), /brouillon/);

    // Ada never sees it: not live (the moderator's later message arrives), not after a reload.
    await mod.locator('#say-text').focus();
    await mod.keyboard.type('Après le brouillon');
    await mod.keyboard.press('Enter');
    await ada.locator('#messages li', { hasText: 'Après le brouillon' }).waitFor({ timeout: WAIT });
    assert.doesNotMatch(await ada.textContent('#summary'), /confidentiel/);
    assert.equal(await ada.textContent('#summary-heading'), 'Synthèse du modérateur');
    assert.equal(await ada.locator('#summary-form').isHidden(), true);
    await ada.reload();
    await waitOpen(ada);
    await ada.locator('#messages li', { hasText: 'Après le brouillon' }).waitFor({ timeout: WAIT });
    assert.doesNotMatch(await ada.textContent('#summary'), /confidentiel/);

    // The chair may read and write it.
    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
    await press(chair, '#overview li[data-table=synergies] button');
    await chair.locator('#summary', { hasText: 'Brouillon confidentiel' }).waitFor({ timeout: WAIT });
    assert.equal(await chair.locator('#summary-form').isVisible(), true);

    // Publishing asks first; Escape keeps editing, with the focus back in the text.
    await press(mod, '#summary-publish');
    const dialog = mod.locator('#publish-confirm');
    await dialog.waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await dialog.getAttribute('role'), 'alertdialog');
    assert.equal(await focusedId(mod), 'publish-yes');
    assert.equal(await mod.textContent('#publish-yes'), 'Publier maintenant');
    await noViolations(mod, 'publish confirmation');
    await mod.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: WAIT });
    assert.equal(await focusedId(mod), 'summary-text');
    assert.doesNotMatch(await ada.textContent('#summary'), /confidentiel/);

    await press(mod, '#summary-publish');
    assert.equal(await focusedId(mod), 'publish-yes');
    await mod.keyboard.press('Enter');
    await ada.locator('#summary', { hasText: 'Brouillon confidentiel' }).waitFor({ timeout: WAIT });
    await ada.locator('#summary-heading', { hasText: 'publiée' }).waitFor({ timeout: WAIT });
    await ada.locator('#plenary-feed', { hasText: 'Brouillon confidentiel' }).waitFor({ timeout: WAIT });
    assert.deepEqual(errors, []);
  });
});
