// What the browser tests share: Chromium started headless, axe-core (WCAG 2.1
// A and AA) run on the page as it stands, and the element holding the focus.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

/** Fails the test with every violation's rule and elements, naming `view`. */
export async function axeCheck(page, view) {
  if (!await page.evaluate(() => typeof window.axe !== 'undefined')) await page.evaluate(`${AXE_SOURCE}\n;undefined`);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const details = result.violations.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.equal(result.violations.length, 0, `axe violations on ${view}:\n${details.join('\n')}`);
}

/** The focused element's id (or data-focus, or tag name). */
export const focusKey = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? a.id || a.dataset.focus || a.tagName.toLowerCase() : 'none';
});
