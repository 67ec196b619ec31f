// Issue 15 in real Chromium: the cardiologist's signed report on a STEMI study at 390×844 and
// 1440×900 (the automatic read's statements kept or dropped, a statement added from the
// vocabulary with its leads, free text, "confirm as is", the history with the signer's display
// name and time, earlier reports superseded, no element wider than the phone); the forced
// password change after an admin's reset and the top bar's own change; and the case view keeping
// what the user typed into the time-node form across a live refresh (commit 2ca4624).
// Screenshots in GC_ARTIFACTS.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SAMPLES, addDevice, addUser, artifactsDir, assertFits, launchBrowser, login, newPage,
  parseJsonLine, rawKeys, startCart, startServer,
} from './lib.mjs';

// User names without underscores, so the raw-key scan cannot mistake one for a key.
const PW = 'Report-shift-2026!';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 };

let server;
let browser;
const pages = [];
const S = {};

async function stream(device, record, extra) {
  const c = startCart(server, device, [record], extra);
  const line = await c.waitLine((l) => Boolean(parseJsonLine(l)?.finding), 60000, `cart finding of ${record}`);
  assert.equal((await c.exited).code, 0, c.stderr);
  return JSON.parse(line.text);
}

async function apiAs(page, method, url, body) {
  return page.evaluate(async ([m, u, b]) => {
    const me = await (await fetch('/api/me')).json();
    const r = await fetch(u, { method: m, headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
    return { status: r.status, json: await r.json().catch(() => null) };
  }, [method, url, body]);
}

async function open(opts, user = 'drchen', password = PW) {
  const p = await newPage(browser, opts);
  pages.push(p);
  await login(p.page, server.url, user, password);
  return p;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifactsDir(), `issue15-${name}.png`), fullPage: true });
}

before(async () => {
  server = await startServer();
  addUser(server, 'drchen', 'cardiologist', PW);
  addUser(server, 'drwang', 'cardiologist', PW);
  addUser(server, 'coordzhou', 'coordinator', PW);
  addUser(server, 'adminqian', 'admin', PW);
  const device = addDevice(server, '新庄镇卫生院');
  S.stemi = await stream(device, path.join(SAMPLES, 'stemi_anterior.hea'), ['--chest-pain', '--patient', 'P-REPORT-1']);
  browser = await launchBrowser();
  // The cardiologist's Chinese name, as the admin sets it, signs the reports.
  const A = await open(DESKTOP, 'adminqian');
  assert.equal((await apiAs(A.page, 'POST', '/api/users/drchen', { display_name_zh: '陈医生' })).status, 200);
  const row = `.wl-row[data-study-uid="${S.stemi.study_uid}"]`;
  await A.page.waitForSelector(row, { state: 'attached' });
  S.studyId = await A.page.getAttribute(row, 'data-study-id');
  S.caseId = await A.page.getAttribute(row, 'data-case-id');
  await A.context.close();
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    const r = await server.stop();
    assert.equal(r.code, 0, `serve exited ${r.code ?? r.signal}`);
  }
});

async function goStudy(page) {
  await page.goto(`${server.url}/#/study/${S.studyId}`);
  await page.waitForSelector('#ecg-12 path.trace');
  await page.waitForSelector('#report-form #report-read li');
  // The vocabulary is loaded into the select.
  await page.waitForFunction(() => document.querySelectorAll('#report-vocab option').length > 20);
}

test('signed report on a STEMI at 390 px: some of the read kept, a statement added with leads, free text; history shows the signer', { timeout: 90000 }, async () => {
  const { page } = await open(PHONE);
  await goStudy(page);
  const read = await page.$$eval('#report-read li', (lis) => lis.map((l) => l.getAttribute('title')));
  assert.ok(read.includes('STE_'), `the read's statements: ${read}`);
  assert.equal(await page.textContent('#report-none'), '尚无签名报告');
  await assertFits(page, 'study with the report form (390)');

  // Drop the read's last statement, add hyperacute T waves in V2 and V3 (searched in Chinese).
  const last = read.length - 1;
  await page.uncheck(`#report-keep-${last}`);
  await page.fill('#report-search', '超急性');
  await page.waitForFunction(() => document.querySelector('#report-vocab').value === 'hyperacute_t');
  await page.fill('#report-leads', 'v2 V13');
  await page.click('#report-add');
  assert.equal(await page.textContent('#report-msg'), '导联名称无法识别：V13');
  assert.equal(await page.locator('#report-added li').count(), 0);
  await page.fill('#report-leads', 'v2, V3');
  await page.click('#report-add');
  await page.waitForSelector('#report-added li[data-code="hyperacute_t"]');
  assert.match(await page.textContent('#report-added li'), /超急性 T 波 V2、V3/);
  // "Confirm as is" with a changed read is stopped in the page.
  await page.click('#report-confirm');
  assert.match(await page.textContent('#report-msg'), /已修改了自动判读的陈述/);
  await page.fill('#diagnosis-text', '前降支近段闭塞可能；已通知导管室');
  await page.click('#diagnosis-save');
  await page.waitForSelector('#report-history .report-entry.current');
  const entry = await page.$eval('#report-history .report-entry.current', (e) => ({
    basis: e.dataset.basis,
    signer: e.querySelector('.report-signer').textContent,
    codes: [...e.querySelectorAll('.report-statements li')].map((l) => l.dataset.code),
    text: e.querySelector('.report-text')?.textContent || '',
  }));
  assert.equal(entry.basis, 'amended');
  assert.match(entry.signer, /^签名：陈医生（drchen），\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.ok(entry.codes.includes('hyperacute_t') && entry.codes.includes('STE_'), entry.codes.join());
  assert.ok(!entry.codes.includes(read[last]), `${read[last]} was dropped`);
  assert.equal(entry.codes.length, read.length);  // one dropped, one added
  assert.match(entry.text, /前降支近段闭塞可能/);
  assert.match(await page.textContent('#report-msg'), /已签名 #\d+/);
  await assertFits(page, 'study after signing (390)');
  assert.deepEqual(await rawKeys(page, 'zh'), []);
  await page.$eval('#panel-report', (p) => p.scrollIntoView());
  await shot(page, 'signed-report-390');
  await page.locator('#panel-report').screenshot({ path: path.join(artifactsDir(), 'issue15-signed-report-panel-390.png') });
});

test('signed report at 1440 px: confirm the read as is; the earlier report stays, superseded; a coordinator reads but does not sign', { timeout: 90000 }, async () => {
  const { page } = await open(DESKTOP, 'drwang');
  await goStudy(page);
  assert.equal(await page.locator('#report-history .report-entry').count(), 1);
  // Dr Chen still has the study open on another station: the new report reaches it live.
  const other = await open(DESKTOP);
  await goStudy(other.page);
  await other.page.fill('#diagnosis-text', '草稿：尚未签名');
  await page.click('#report-confirm');
  await other.page.waitForFunction(() => document.querySelectorAll('#report-history .report-entry').length === 2);
  assert.equal(await other.page.getAttribute('#report-history .report-entry.current', 'data-basis'), 'confirmed');
  assert.equal(await other.page.inputValue('#diagnosis-text'), '草稿：尚未签名', 'the draft stays');
  await other.context.close();
  await page.waitForFunction(() => document.querySelectorAll('#report-history .report-entry').length === 2);
  const entries = await page.$$eval('#report-history .report-entry', (es) => es.map((e) => ({
    current: e.dataset.current, basis: e.dataset.basis, signer: e.querySelector('.report-signer').textContent,
  })));
  assert.equal(entries[0].current, 'true');
  assert.equal(entries[0].basis, 'confirmed');
  assert.match(entries[0].signer, /drwang/);
  assert.equal(entries[1].current, 'false');
  assert.match(entries[1].signer, /陈医生（drchen）/);
  // After a reload, from the server: same history, newest first.
  await goStudy(page);
  const again = await page.$$eval('#report-history .report-entry', (es) => es.map((e) => [e.dataset.current, e.dataset.basis]));
  assert.deepEqual(again, [['true', 'confirmed'], ['false', 'amended']]);
  assert.match(await page.textContent('#report-history .report-entry.superseded .badge.superseded-badge'), /已被更正/);
  // The PDF carries the current report.
  const pdf = await page.evaluate(async (id) => {
    const r = await fetch(`/api/studies/${id}/export.pdf`);
    return { status: r.status, type: r.headers.get('content-type') };
  }, S.studyId);
  assert.deepEqual(pdf, { status: 200, type: 'application/pdf' });
  await page.$eval('#panel-report', (p) => p.scrollIntoView());
  await shot(page, 'signed-report-1440');
  await page.locator('#panel-report').screenshot({ path: path.join(artifactsDir(), 'issue15-signed-report-panel-1440.png') });
  // English labels.
  await page.click('#lang-toggle');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#report-form');
  assert.match(await page.textContent('#report-history .report-entry.current .report-signer'), /^Signed by drwang at /);
  assert.equal(await page.textContent('#report-confirm'), 'Confirm the read as is and sign');
  assert.deepEqual(await rawKeys(page, 'en'), []);
  await page.click('#lang-toggle');

  const C = await open(DESKTOP, 'coordzhou');
  await C.page.goto(`${server.url}/#/study/${S.studyId}`);
  await C.page.waitForSelector('#report-history .report-entry');
  assert.equal(await C.page.locator('#report-form').count(), 0);
  const refused = await apiAs(C.page, 'POST', `/api/studies/${S.studyId}/diagnosis`, { basis: 'confirmed' });
  assert.equal(refused.status, 403);
});

test('forced password change after an admin reset: nothing else before it; then the station; the top bar changes it again', { timeout: 90000 }, async () => {
  const A = await open(DESKTOP, 'adminqian');
  const reset = await apiAs(A.page, 'POST', '/api/users/coordzhou/password');
  assert.equal(reset.status, 200);
  const given = reset.json.password;

  const { page } = await (async () => {
    const p = await newPage(browser, PHONE);
    pages.push(p);
    return p;
  })();
  await page.goto(`${server.url}/`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#login-username', 'coordzhou');
  await page.fill('#login-password', given);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-view="password-required"] #password-form');
  assert.equal(await page.isVisible('#topbar'), false);
  assert.equal(await page.isVisible('#worklist-view'), false);
  assert.match(await page.textContent('#pw-forced'), /管理员已重置您的密码/);
  assert.equal(await page.textContent('#pw-user'), '账户：coordzhou');
  // The server refuses everything else meanwhile.
  const blocked = await apiAs(page, 'GET', '/api/worklist');
  assert.equal(blocked.status, 403);
  assert.equal(blocked.json.code, 'password_change_required');
  await assertFits(page, 'forced password change (390)');
  await shot(page, 'password-forced-390');
  // In English too, and back.
  await page.click('#pw-lang');
  await page.waitForFunction(() => document.querySelector('#password-form h2')?.textContent === 'Change your password');
  assert.match(await page.textContent('#pw-forced'), /An admin reset your password/);
  assert.deepEqual(await rawKeys(page, 'en'), []);
  await page.click('#pw-lang');
  await page.waitForFunction(() => document.querySelector('#password-form h2')?.textContent === '修改密码');

  const mine = 'Coordinator-own-2026';
  await page.fill('#pw-current', 'wrong password here');
  await page.fill('#pw-new', mine);
  await page.fill('#pw-again', mine);
  await page.click('#pw-submit');
  await page.waitForSelector('#pw-msg.error');
  assert.equal(await page.textContent('#pw-msg'), '当前密码错误');
  await page.fill('#pw-current', given);
  await page.fill('#pw-again', `${mine}x`);
  await page.click('#pw-submit');
  assert.equal(await page.textContent('#pw-msg'), '两次输入的新密码不一致');
  await page.fill('#pw-again', mine);
  await page.click('#pw-submit');
  await page.waitForSelector('body[data-view="worklist"]');
  await page.waitForSelector('#ws-status[data-status="live"]');
  assert.equal((await apiAs(page, 'GET', '/api/worklist')).status, 200);

  // Signing in again with the new password goes straight to the worklist.
  const again = await open(DESKTOP, 'coordzhou', mine);
  // The top bar's entry: the user's own change; the other session (the phone) ends.
  await again.page.click('#change-password');
  await again.page.waitForSelector('body[data-view="password"] #password-form');
  assert.equal(await again.page.isVisible('#pw-forced'), false);
  const next = 'Coordinator-next-2026';
  await again.page.fill('#pw-current', mine);
  await again.page.fill('#pw-new', next);
  await again.page.fill('#pw-again', next);
  await again.page.click('#pw-submit');
  await again.page.waitForSelector('#pw-msg.ok');
  await shot(again.page, 'password-change-1440');
  assert.equal((await apiAs(again.page, 'GET', '/api/worklist')).status, 200);
  assert.equal((await apiAs(page, 'GET', '/api/worklist')).status, 401);
  await A.context.close();
});

test('case view: a live refresh keeps what the user typed into the time-node form', { timeout: 60000 }, async () => {
  assert.ok(S.caseId, 'the STEMI opened a case');
  const { page } = await open(DESKTOP);
  await page.goto(`${server.url}/#/case/${S.caseId}`);
  await page.waitForSelector('#timeline tbody tr');
  await page.selectOption('#node-kind', 'door_in');
  await page.fill('#node-at', '2026-05-12T08:31:15');
  await page.fill('#node-note', '患者已到达急诊，正在转运');
  await page.fill('#node-supersedes', '2');
  const rows = await page.locator('#timeline tbody tr').count();
  // Another user records a node on the same case: the server pushes "case changed", the view
  // refetches and re-renders.
  const C = await open(DESKTOP, 'drwang');
  const posted = await apiAs(C.page, 'POST', `/api/cases/${S.caseId}/nodes`, { kind: 'ecg_transmitted', note: 'from the other station' });
  assert.equal(posted.status, 201);
  await page.waitForFunction((n) => document.querySelectorAll('#timeline tbody tr').length === n + 1, rows);
  await page.waitForSelector('#timeline tr[data-kind="ecg_transmitted"]');
  assert.deepEqual(await page.evaluate(() => ['node-kind', 'node-at', 'node-note', 'node-supersedes'].map((id) => document.getElementById(id).value)),
    ['door_in', '2026-05-12T08:31:15', '患者已到达急诊，正在转运', '2']);
});

test('no page errors', () => {
  const errors = pages.flatMap((p) => p.problems)
    // 401 of the ended session and 403 of the refused calls: provoked above.
    .filter((e) => !/status of 40[013]/.test(e));
  assert.deepEqual(errors, []);
});
