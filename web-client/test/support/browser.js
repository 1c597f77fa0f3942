// What the browser tests share: Chromium launched headless, pages signed in
// (or on the join form), keyboard activation, and axe-core (WCAG 2.1 A and AA)
// expecting 0 violations.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startServer, serverBinary, serverAvailable } from './server.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT = 15000;

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

// Joined, with the connection open.
export const waitOpen = (page) => page.waitForFunction(() => document.body.dataset.view !== 'join' &&
  document.getElementById('conn').dataset.state === 'open', null, { timeout: WAIT });

// Activates a control the way a keyboard user does: focus, then a key.
export async function press(page, selector, key = 'Enter') {
  await page.locator(selector).focus();
  await page.keyboard.press(key);
}

export const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

/** The focused element's id (or data-focus, or tag name). */
export const focusKey = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? a.id || a.dataset.focus || a.tagName.toLowerCase() : 'none';
});

export async function noViolations(page, view) {
  if (!await page.evaluate(() => typeof window.axe !== 'undefined')) await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  assert.deepEqual(result.violations.map((v) => `${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], view);
}

// A page at `url` in a fresh context, reporting page errors into `errors`.
export async function openPage(browser, url, errors, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  return page;
}

// Joins from the join form as `name`, by keyboard.
export async function joinAs(page, name) {
  await page.locator('#join-name').focus();
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await waitOpen(page);
}

// For the enclosing describe: the server and Chromium, started before its
// tests and stopped after; `env.errors` collects the pages' errors. `options`
// go to startServer (e.g. `event`: an event config of the describe's own).
export function serverAndBrowser(options = {}) {
  const env = { server: null, browser: null, errors: [] };
  before(async () => {
    assert.ok(serverAvailable(), `roundtable-server not found at ${serverBinary()}`);
    env.server = await startServer(options);
    env.browser = await launchChromium();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    if (env.server) await env.server.stop();
  });
  return env;
}
