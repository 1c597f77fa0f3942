// Browser test of the organisers' report page (GET /report, issue 14) in
// Debian's Chromium: after a participant sat at one table and hopped to
// another, the page draws an occupancy chart per table and the hop matrix as
// SVG, each with its text table, shows markup in a topic as text, and passes
// axe-core (WCAG 2.1 A and AA) with no violation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, serverBinary, serverAvailable } from './support/server.js';
import { launchChromium, joinAs, noViolations, openPage, WAIT } from './support/browser.js';

describe('the report page in Chromium', { timeout: 120000 }, () => {
  let server;
  let browser;
  const errors = [];

  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()}`);
    server = await startServer({ extraArgs: ['--api-key', 'k'] });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  it('draws occupancy and hops as SVG with text tables, escapes user text, 0 axe violations', async () => {
    const created = await fetch(`${server.url}/api/tables`, {
      method: 'POST',
      headers: { 'X-Api-Key': 'k', 'Content-Type': 'application/json' },
      body: JSON.stringify({ table: 'marked', topic: '<img src=x onerror=alert(1)> ideas' }),
    });
    assert.equal(created.status, 201);

    const ada = await openPage(browser, `${server.url}/`, errors);
    await joinAs(ada, 'Ada');
    await ada.click('#table-list button[data-table="synergies"]');
    await ada.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    await ada.click('#tabs button[data-tab=lobby]');
    await ada.click('#table-list button[data-table="big-data"]');
    // The hop is in the report once the old table applied Ada's leave.
    const deadline = Date.now() + WAIT;
    for (;;) {
      const r = await (await fetch(`${server.url}/api/report`, { headers: { 'X-Api-Key': 'k' } })).json();
      const hop = r.hops.find((h) => h.from === 'synergies' && h.to === 'big-data');
      if (hop && r.tables.find((t) => t.id === 'synergies').stays.seated_now === 0) break;
      assert.ok(Date.now() < deadline, 'the hop never reached the report');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const ctx = await browser.newContext({ extraHTTPHeaders: { 'X-Api-Key': 'k' } });
    const page = await ctx.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    const response = await page.goto(`${server.url}/report`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
    // One occupancy chart per table and the matrix, each with a title and a table.
    assert.equal(await page.locator('svg.chart[role=img]').count(), 5);
    assert.equal(await page.locator('svg.chart title').count(), 5);
    assert.equal(await page.locator('table.figures').count(), 5);
    const matrix = page.locator('table.figures', { hasText: 'Hops: from (rows) to (columns)' });
    const row = matrix.locator('tbody tr', { has: page.locator('th', { hasText: /^synergies$/ }) });
    const columns = await matrix.locator('thead th').allTextContents();
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[columns.indexOf('big-data')], '1');
    // Markup in a topic is text on the page, not an element.
    await page.locator('h2', { hasText: '<img src=x onerror=alert(1)> ideas' }).waitFor({ timeout: WAIT });
    assert.equal(await page.locator('main img').count(), 0);
    await noViolations(page, 'report page');
    assert.deepEqual(errors, []);
    await ctx.close();
  });
});
