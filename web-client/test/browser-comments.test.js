// Browser test of comments after the event (issue 14) against a real server in
// Debian's Chromium: a guest who took part comments with the token the server
// handed them; the chair's console (in French) lists the held comments and the
// chair approves one and rejects another with the keyboard alone; the
// outcomes page shows the approved comment as text (never markup) and not the
// rejected one, and passes axe-core (WCAG 2.1 A and AA) with no violation, in
// English and French.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, openPage, joinAs, noViolations, focusKey } from './support/browser.js';

describe('comments after the event in Chromium', { timeout: 300000 }, () => {
  const env = serverAndBrowser();
  const kept = 'Stewards need a <b>budget</b> line';
  const dropped = 'Buy my product';

  async function comment(token, text) {
    const res = await fetch(`${env.server.url}/api/outcomes/comments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ table: 'synergies', text }),
    });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    return JSON.parse(body).id;
  }

  it('a guest comments with their token; the chair approves and rejects with the keyboard', async () => {
    const zoe = await openPage(env.browser, `${env.server.url}/`, env.errors);
    await joinAs(zoe, 'Zoé');
    const token = await zoe.evaluate(() => JSON.parse(localStorage.getItem('roundtable.identity')).token);
    assert.ok(token, 'the guest was handed a token');
    const keptId = await comment(token, kept);
    const droppedId = await comment(token, dropped);
    // Nobody sees a held comment.
    assert.ok(!(await (await fetch(`${env.server.url}/api/outcomes`)).text()).includes('budget'));

    const chair = await openPage(env.browser,
      `${env.server.url}/?lang=fr&token=${encodeURIComponent(env.server.chairToken)}`, env.errors);
    await chair.locator('#chair-console').waitFor({ state: 'visible', timeout: WAIT });
    await chair.locator('#comments-heading', { hasText: 'Commentaires en attente' }).waitFor({ timeout: WAIT });
    const items = chair.locator('#comments-list li');
    await items.nth(1).waitFor({ timeout: WAIT });
    assert.equal(await chair.locator('#comments-list b').count(), 0, 'a comment is text, not markup');
    await items.first().locator('.facts', { hasText: 'Zoé' }).waitFor();
    await noViolations(chair, 'chair console with comments');

    // Keyboard only: Enter on the first comment's Approve; the focus moves on
    // to the next comment's Approve, Tab reaches its Reject, Space rejects.
    await chair.locator(`[data-focus="approve:${keptId}"]`).focus();
    await chair.keyboard.press('Enter');
    await chair.locator('#comments-list li', { hasText: 'budget' }).waitFor({ state: 'detached', timeout: WAIT });
    assert.equal(await focusKey(chair), `approve:${droppedId}`);
    await chair.keyboard.press('Tab');
    assert.equal(await focusKey(chair), `reject:${droppedId}`);
    await chair.keyboard.press('Space');
    await chair.locator('#comments-empty').waitFor({ state: 'visible', timeout: WAIT });
    assert.equal(await items.count(), 0);
    await noViolations(chair, 'chair console, no comment left');
  });

  it('the outcomes page shows the approved comment only, passes axe, in French too', async () => {
    const page = await openPage(env.browser, `${env.server.url}/outcomes`, env.errors);
    const shown = page.locator('main .comment', { hasText: kept });
    await shown.waitFor({ timeout: WAIT });
    await shown.locator('.by', { hasText: 'Zoé' }).waitFor();
    assert.equal(await page.locator('main b').count(), 0, 'user text is escaped');
    assert.equal(await page.locator('main', { hasText: dropped }).count(), 0, 'rejected: never shown');
    await noViolations(page, 'outcomes page');

    await page.click('a[hreflang=fr]');
    await page.waitForURL(/lang=fr/);
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.locator('main h4', { hasText: 'Commentaires sur cette table' }).waitFor({ timeout: WAIT });
    await page.locator('main .comment', { hasText: kept }).waitFor();
    await noViolations(page, 'outcomes page in French');
  });

  it('raised no page errors', () => {
    assert.deepEqual(env.errors, []);
  });
});
