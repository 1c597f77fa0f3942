// Browser test of the chair's "balance the tables" (public/hosts.js), in
// French, by keyboard only, with axe-core (WCAG 2.1 A and AA) at 0 violations
// on the console after the balance: five participants sit unevenly (four at
// one table, none at another, one at the third), the chair reaches the button
// with Tab and presses it; the console lists who moved where and announces it,
// the lobby's counts come out even, the two most recently seated are at the
// empty table and told the chair balanced the tables, the others stay put; a
// second press moves nobody and says so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, serverAndBrowser, waitOpen, noViolations, openPage, joinAs, press, focusedId } from './support/browser.js';

describe('balancing the tables in Chromium, in French, by keyboard', { timeout: 180000 }, () => {
  const env = serverAndBrowser();
  const open = (query) => openPage(env.browser, `${env.server.url}/?lang=fr${query}`, env.errors);

  async function seat(name, table) {
    const page = await open('');
    await joinAs(page, name);
    await press(page, `#table-list button[data-table="${table}"]`);
    await page.locator('#table-heading', { hasText: /./ }).waitFor({ timeout: WAIT });
    await page.locator('#table-body').waitFor({ state: 'visible', timeout: WAIT });
    return page;
  }
  const count = (page, table) => page.locator(`#table-list li[data-table="${table}"] .count`);
  // Drawn also where the lobby is not the view shown (a participant at their table).
  const counted = (page, table, text) =>
    count(page, table).filter({ hasText: text }).waitFor({ state: 'attached', timeout: WAIT });

  it('the chair evens the tables out; the moved people are told why', async () => {
    const chair = await open(`&token=${encodeURIComponent(env.server.chairToken)}`);
    await waitOpen(chair);
    const people = {};
    // One at a time, so that the order they sat in is known: Dee, then Cy, sat last.
    for (const [name, table] of [['Ada', 'synergies'], ['Bob', 'synergies'], ['Eve', 'inclusiveness'],
      ['Cy', 'synergies'], ['Dee', 'synergies']]) {
      people[name] = await seat(name, table);
      await chair.locator(`#table-list li[data-table="${table}"]`).waitFor({ timeout: WAIT });
    }
    await counted(chair, 'synergies', /^4 personnes$/);
    await counted(chair, 'big-data', /^0 personnes?$/);
    await counted(chair, 'inclusiveness', /^1 personne$/);

    // By keyboard: Tab from the move form's button reaches "Équilibrer les tables".
    await chair.locator('#move-form button[type="submit"]').focus();
    await chair.keyboard.press('Tab');
    assert.equal(await focusedId(chair), 'balance-btn');
    assert.equal(await chair.locator('#balance-btn').textContent(), 'Équilibrer les tables');
    await chair.keyboard.press('Enter');
    // Watched from now on: a notice clears itself after a few seconds.
    const told = Promise.all(['Dee', 'Cy'].map((name) =>
      people[name].locator('#notice', { hasText: /a équilibré les tables.*Big data for open governance/ })
        .waitFor({ timeout: WAIT })));
    told.catch(() => {});  // awaited below; a failure before then must not go unhandled

    // The console says what moved, in its list and its live announcement.
    await chair.locator('#notice', { hasText: 'Personnes déplacées : 2.' }).waitFor({ timeout: WAIT });
    const lines = await chair.locator('#balance-results li').allTextContents();
    assert.deepEqual(lines, [
      'Dee\u00a0: Synergies and sustainability → Big data for open governance',
      'Cy\u00a0: Synergies and sustainability → Big data for open governance',
    ]);
    await chair.locator('#live', { hasText: 'Personnes déplacées : 2.' }).waitFor({ timeout: WAIT });
    assert.equal(await focusedId(chair), 'balance-btn');  // the focus stays where the chair was

    // Even counts in the lobby, on the chair's page and a participant's.
    for (const page of [chair, people.Ada]) {
      await counted(page, 'synergies', /^2 personnes$/);
      await counted(page, 'big-data', /^2 personnes$/);
      await counted(page, 'inclusiveness', /^1 personne$/);
    }
    await noViolations(chair, 'the chair console after a balance');

    // The two moved are at Big data and told why; the others stay, told nothing.
    await told;
    for (const name of ['Dee', 'Cy']) {
      const page = people[name];
      await page.waitForFunction(() => document.body.dataset.view === 'table', null, { timeout: WAIT });
      await page.locator('#people', { hasText: name }).waitFor({ timeout: WAIT });
      assert.match(await page.locator('#table-heading').textContent(), /Big data/);
    }
    await noViolations(people.Dee, 'a participant moved by the balance');
    for (const name of ['Ada', 'Bob', 'Eve']) {
      assert.doesNotMatch(await people[name].locator('#notice').textContent(), /équilibré/, name);
    }
    assert.match(await people.Ada.locator('#table-heading').textContent(), /Synergies/);

    // Balanced already: a second press moves nobody, and says so.
    await chair.keyboard.press('Enter');
    await chair.locator('#notice', { hasText: 'Les tables sont déjà équilibrées.' }).waitFor({ timeout: WAIT });
    assert.equal(await chair.locator('#balance-results li').count(), 0);
    await counted(chair, 'big-data', /^2 personnes$/);
    assert.deepEqual(env.errors, []);
  });
});
