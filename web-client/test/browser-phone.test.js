// The phone layout at 375 x 740 on every view (issue 12's bar): for a
// participant, a moderator and the chair, the lobby, the table (with the
// moderator's console), the plenary (with the chair's console and overview):
// the header under 100 px, no sideways scroll, the table's message box above
// the fold, and axe-core at 0 violations.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, waitOpen, press, noViolations, openPage, joinAs } from './support/browser.js';

const PHONE = { width: 375, height: 740 };

describe('every view on a 375 x 740 phone', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const { errors } = env;

  async function check(page, who, view) {
    await press(page, `#tabs button[data-tab=${view}]`);
    await page.waitForFunction((v) => document.body.dataset.view === v, view, { timeout: WAIT });
    const what = `${who}, ${view}`;
    const header = await page.locator('header.top').boundingBox();
    assert.ok(header.height < 100, `${what}: the header is ${header.height} px high`);
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0] <= widths[1], `${what}: ${widths[0]} px wide in a ${widths[1]} px window`);
    if (view === 'table') {
      const box = await page.locator('#say-text').boundingBox();
      assert.ok(box && box.y + box.height <= PHONE.height, `${what}: the message box ends at ${box && box.y + box.height} px`);
    }
    await noViolations(page, what);
  }

  it('keeps the header compact, the message box in view and nothing sideways', async () => {
    const ada = await openPage(env.browser, `${env.server.url}/?lang=fr`, errors, PHONE);
    await joinAs(ada, 'Ada');
    await check(ada, 'participant', 'lobby');
    await press(ada, '#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    for (const view of ['table', 'plenary', 'lobby']) await check(ada, 'participant', view);

    const mod = await openPage(env.browser, `${env.server.url}/?lang=fr&token=${encodeURIComponent(env.server.moderatorTokens.synergies)}`, errors, PHONE);
    await waitOpen(mod);
    await mod.locator('#mod-console').waitFor({ state: 'attached', timeout: WAIT });
    for (const view of ['table', 'plenary', 'lobby']) await check(mod, 'moderator', view);

    const chair = await openPage(env.browser, `${env.server.url}/?lang=fr&token=${encodeURIComponent(env.server.chairToken)}`, errors, PHONE);
    await waitOpen(chair);
    await check(chair, 'chair', 'plenary');
    await press(chair, '#overview li[data-table=synergies] button');
    await chair.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    for (const view of ['table', 'lobby', 'plenary']) await check(chair, 'chair', view);
    assert.deepEqual(errors, []);
  });
});
