// Browser test of calling the chair, in French, by keyboard, with axe-core at
// 0 violations on the chair's overview while a table waits: the moderator's
// "Appeler la présidence", the chair's notice and overview row, one action to
// go there, which answers the call; a participant of a table that does not let
// participants call has no button.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, waitOpen, press, noViolations, openPage, joinAs } from './support/browser.js';

describe('calling the chair in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;

  // A page signed in from a link with a token.
  async function open(query, viewport) {
    const page = await openPage(env.browser, `${env.server.url}/?lang=fr${query}`, errors, viewport);
    await waitOpen(page);
    return page;
  }

  it('the moderator calls, the chair sees it on the overview and goes there', async () => {
    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
    const row = chair.locator('#overview li[data-table=inclusiveness]');
    await row.waitFor({ timeout: WAIT });
    assert.doesNotMatch(await row.textContent(), /aide demandée/);

    const mod = await open(`&token=${encodeURIComponent(env.server.moderatorTokens.inclusiveness)}`);
    await mod.locator('#help-call').waitFor({ state: 'visible', timeout: WAIT });
    await press(mod, '#help-call');
    await mod.locator('#notice', { hasText: 'La présidence est appelée' }).waitFor({ timeout: WAIT });

    await chair.locator('#notice', { hasText: 'Aide demandée à la table' }).waitFor({ timeout: WAIT });
    await row.locator('.facts', { hasText: 'aide demandée' }).waitFor({ timeout: WAIT });
    await noViolations(chair, 'overview with a call waiting');
    const phone = await open(`&token=${encodeURIComponent(env.server.chairToken)}`, { width: 375, height: 740 });
    await press(phone, '#tabs button[data-tab=plenary]');  // the chair console's view on a phone
    await phone.locator('#overview li[data-table=inclusiveness] .facts', { hasText: 'aide demandée' }).waitFor({ timeout: WAIT });
    await noViolations(phone, 'overview with a call waiting at 375 px');

    // One action: go there; the call is answered for every chair.
    await press(chair, '#overview li[data-table=inclusiveness] button');
    await chair.locator('#table-heading', { hasText: 'Inclusi' }).waitFor({ timeout: WAIT });
    await phone.waitForFunction(() => !document.querySelector('#overview li[data-table=inclusiveness]').textContent.includes('aide demandée'),
      null, { timeout: WAIT });
    assert.equal(await chair.locator('#help-row').isHidden(), true);

    // A participant at a table that lets only its moderator call has no button.
    const ada = await openPage(env.browser, `${env.server.url}/?lang=fr`, errors);
    await joinAs(ada, 'Ada');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await ada.locator('#help-row').isHidden(), true);
    assert.equal(await mod.locator('#help-row').isVisible(), true);
    assert.deepEqual(errors, []);
  });
});
