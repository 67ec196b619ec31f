// Escalation seen from the reading station (issue 6 × issue 7): a critical alert nobody
// acknowledges pages the roster's backup at the deadline, and every logged-in station shows it.
// The server runs with a 1.2 s acknowledgement deadline so the test does not wait 5 minutes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SAMPLES, addDevice, addUser, gc, launchBrowser, login, newPage, parseJsonLine, startCart,
  startServer,
} from './lib.mjs';

const PASSWORD = 'Escalate-pass-2026!';
let server;
let browser;

before(async () => {
  server = await startServer(undefined, ['--ack-critical-min', '0.02']);
  // Everyone on the roster is a known, enabled user (`roster set` refuses other names, issue 15).
  for (const name of ['dr_primary', 'dr_backup', 'dr_head']) addUser(server, name, 'cardiologist', PASSWORD);
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  gc(['roster', 'set', '--db', server.db, '--by', 'admin',
    '--shift', `${iso(now - 3600000)}/${iso(now + 3600000)}:dr_primary,dr_backup,dr_head`]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const r = await server.stop();
    assert.equal(r.code, 0, `serve exited ${r.code ?? r.signal}`);
  }
});

test('an unacknowledged critical alert pages the backup at the deadline and the station shows it', { timeout: 90000 }, async () => {
  const p = await newPage(browser);
  await login(p.page, server.url, 'dr_backup', PASSWORD);
  const device = addDevice(server, 'Escalation test clinic');
  const cart = startCart(server, device, [path.join(SAMPLES, 'stemi_anterior.hea')],
    ['--chest-pain', '--patient', 'P-ESC-1']);
  const finding = await cart.waitLine((l) => parseJsonLine(l)?.finding, 60000, 'cart finding');
  assert.equal(JSON.parse(finding.text).finding.tier, 'critical');
  const raisedAt = Date.now();
  // Level 1 (the backup) after 1.2 s without an acknowledgement; level 2 (the head) 1.2 s later.
  await p.page.waitForSelector('#page-notice:not(.hidden)', { timeout: 20000 });
  const text = await p.page.textContent('#page-notice');
  assert.match(text, /dr_backup|dr_head/, `page notice names the paged doctor: ${text}`);
  assert.ok(Date.now() - raisedAt >= 1000, 'no page before the deadline');
  // The pages are stored: the alert's API view lists primary (level 0) and backup (level 1).
  const alertId = Number(await p.page.getAttribute('#page-notice', 'data-alert-id'));
  const pages = await p.page.evaluate(async (id) => {
    const r = await fetch(`/api/alerts/${id}`);
    return (await r.json()).pages;
  }, alertId);
  const who = pages.map((pg) => `${pg.level}:${pg.who}`);
  assert.ok(who.includes('0:dr_primary') && who.includes('1:dr_backup'), `pages: ${who.join(', ')}`);
  // The boot probe /api/me before login answers 401 by design; Chromium logs every non-2xx.
  assert.deepEqual(p.problems.filter((e) => !/status of 401/.test(e)), []);
  await cart.stop('SIGTERM', 2000);
});
