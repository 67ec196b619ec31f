// Accessibility of every station page (issue 15): axe-core (WCAG 2.1 A/AA rules) reports no
// serious or critical violation, at 390×844 and 1440×900, in light and dark mode.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  SAMPLES, addDevice, addUser, launchBrowser, login, newPage, parseJsonLine, startCart, startServer,
} from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const PW = 'Access-pass-2026!';
let server;
let browser;
const ids = {};

async function stream(device, record, extra) {
  const c = startCart(server, device, [record], extra);
  const line = await c.waitLine((l) => Boolean(parseJsonLine(l)?.finding), 60000, 'cart finding');
  assert.equal((await c.exited).code, 0, c.stderr);
  return JSON.parse(line.text).study_uid;
}

before(async () => {
  server = await startServer();
  addUser(server, 'drli', 'cardiologist', PW);
  addUser(server, 'chief', 'admin', PW);
  const device = addDevice(server, '新庄镇卫生院');
  ids.stemi = await stream(device, path.join(SAMPLES, 'stemi_anterior.hea'), ['--chest-pain', '--patient', 'P-AXE-1']);
  ids.rv = await stream(device, path.join(SAMPLES, 'stemi_inferior_rv.hea'), ['--patient', 'P-AXE-2']);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

for (const [size, opts] of [
  ['390', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true }],
  ['1440', { viewport: { width: 1440, height: 900 } }],
]) {
  for (const scheme of ['light', 'dark']) {
    test(`axe-core: no serious or critical violation on any page (${size} px, ${scheme})`, { timeout: 120000 }, async () => {
      // bypassCSP: the station's CSP (script-src 'self') would refuse the injected checker.
      const { page, context } = await newPage(browser, { ...opts, colorScheme: scheme, bypassCSP: true });
      const found = [];
      await page.goto(`${server.url}/`);
      await page.waitForSelector('#login-form', { state: 'visible' });
      found.push(...(await axe(page)).map((v) => `login: ${v}`));
      await login(page, server.url, 'drli', PW);
      const row = `.wl-row[data-study-uid="${ids.stemi}"]`;
      await page.waitForSelector(row, { state: 'attached' });
      const studyId = await page.getAttribute(row, 'data-study-id');
      const caseId = await page.getAttribute(row, 'data-case-id');
      const rvId = await page.getAttribute(`.wl-row[data-study-uid="${ids.rv}"]`, 'data-study-id');
      found.push(...(await axe(page)).map((v) => `worklist: ${v}`));
      for (const [name, hash, ready] of [
        ['study', `#/study/${studyId}`, '#ecg-12 path.trace'],
        ['study 18-lead', `#/study/${rvId}`, '#ecg-extra path.trace'],
        ['case', `#/case/${caseId}`, '#timeline tbody tr'],
        ['reports', '#/reports', '#report-links a'],
        ['roster (cardiologist)', '#/roster', '#shift-list li'],
      ]) {
        await page.goto(`${server.url}/${hash}`);
        await page.waitForSelector(ready);
        found.push(...(await axe(page)).map((v) => `${name}: ${v}`));
      }
      await context.close();
      // The admin pages (issue 15), with a confirmation open and a generated password shown.
      const admin = await newPage(browser, { ...opts, colorScheme: scheme, bypassCSP: true });
      await login(admin.page, server.url, 'chief', PW);
      for (const [name, hash, ready, act] of [
        ['users', '#/users', '.user-card[data-username="drli"]', async (p) => {
          await p.click('.user-card[data-username="drli"] .disable-user');
          await p.click('.user-card[data-username="drli"] .reset-password');
        }],
        ['roster (admin)', '#/roster', '#shift-form[data-ready="true"]'],
        ['audit', '#/audit', '#audit-rows tr'],
      ]) {
        await admin.page.goto(`${server.url}/${hash}`);
        await admin.page.waitForSelector(ready);
        if (act) await act(admin.page);
        found.push(...(await axe(admin.page)).map((v) => `${name}: ${v}`));
      }
      await admin.context.close();
      assert.deepEqual(found, []);
    });
  }
}
