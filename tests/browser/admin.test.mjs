// The admin pages (issue 15) in real Chromium: the admin adds a user (the password is generated
// and shown once), that user logs in and replaces it with their own; the admin disables them
// (their session ends, the login is refused), re-enables them, changes their role and display name and resets their password; the
// roster is set from a phone (tomorrow's shift keeps today's, a disabled user is refused); the
// audit page shows each action; a cardiologist sees no admin page and the server refuses the
// API. No raw key in either language, nothing wider than 390 px, screenshots in GC_ARTIFACTS.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  SAMPLES, addDevice, addUser, artifactsDir, assertFits, launchBrowser, login, newPage,
  parseJsonLine, rawKeys, startCart, startServer,
} from './lib.mjs';

// User names without underscores, so that the raw-key scan cannot mistake one for a key.
const PW = 'Admin-pages-2026!';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 };

let server;
let browser;
const pages = [];
const state = {};  // what one test leaves for the next (they run in order)

before(async () => {
  server = await startServer();
  addUser(server, 'chief', 'admin', PW);
  addUser(server, 'drli', 'cardiologist', PW);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function open(opts, who = 'chief', password = PW) {
  const p = await newPage(browser, opts);
  pages.push(p);
  await login(p.page, server.url, who, password);
  return p;
}

async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: path.join(artifactsDir(), `issue15-admin-${name}.png`), fullPage });
}

async function goto(page, hash, ready) {
  await page.evaluate(() => { document.body.dataset.ready = 'false'; });
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  if (ready) await page.waitForSelector(ready);
}

const card = (name) => `.user-card[data-username="${name}"]`;

// A fresh login page: returns the error text shown, or null when the worklist opened.
async function tryLogin(page, username, password) {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  const outcome = await Promise.race([
    page.waitForSelector('body[data-view="worklist"]').then(() => 'in'),
    page.waitForSelector('#login-error:not(.hidden)').then(() => 'refused'),
  ]);
  return outcome === 'in' ? null : page.textContent('#login-error');
}

test('users: add (password shown once), log in, disable (session ends, login refused), re-enable, role, display name, reset', { timeout: 120000 }, async () => {
  const A = await open(DESKTOP);
  await A.page.waitForSelector('#nav-admin:not(.hidden)');
  await A.page.click('#nav-admin');
  await A.page.waitForSelector(`${card('drli')}`);
  assert.equal(await A.page.textContent('#tab-users'), '用户管理');

  // Add: the generated password appears once, in its own box.
  await A.page.fill('#add-username', 'drwu');
  await A.page.fill('#add-display', '吴医生');
  await A.page.selectOption('#add-role', 'cardiologist');
  await A.page.click('#add-user-submit');
  await A.page.waitForSelector('#new-password:not(.hidden)');
  const password = (await A.page.textContent('#new-password-value')).trim();
  assert.match(password, /^[A-Za-z2-9]{16}$/);
  assert.match(await A.page.textContent('#new-password'), /只显示这一次/);
  await A.page.waitForSelector(`${card('drwu')}[data-status="active"]`);
  assert.match(await A.page.textContent(`${card('drwu')} .user-display-name`), /吴医生/);
  await shot(A.page, 'users-added-1440');
  await A.page.click('#new-password-done');
  await A.page.waitForSelector('#new-password', { state: 'hidden' });

  // The new user logs in with it and, the admin having seen it, first chooses their own.
  const W = await newPage(browser, DESKTOP);
  pages.push(W);
  await W.page.goto(`${server.url}/`);
  await W.page.waitForSelector('#login-form', { state: 'visible' });
  await W.page.fill('#login-username', 'drwu');
  await W.page.fill('#login-password', password);
  await W.page.click('#login-submit');
  await W.page.waitForSelector('body[data-view="password-required"] #password-form');
  const own = 'Wu-first-own-2026';
  await W.page.fill('#pw-current', password);
  await W.page.fill('#pw-new', own);
  await W.page.fill('#pw-again', own);
  await W.page.click('#pw-submit');
  await W.page.waitForSelector('body[data-view="worklist"]');
  await W.page.waitForSelector('#nav-admin.hidden', { state: 'attached' });

  // Disable (with a confirmation): their session ends, a new login is refused.
  await A.page.click(`${card('drwu')} .disable-user`);
  await A.page.waitForSelector(`${card('drwu')} .confirm-row:not(.hidden)`);
  await A.page.click(`${card('drwu')} .confirm-yes`);
  await A.page.waitForSelector(`${card('drwu')}[data-status="disabled"]`);
  assert.match(await A.page.textContent(`${card('drwu')} .badge.status-disabled`), /已停用/);
  const me = await W.page.evaluate(async () => (await fetch('/api/me')).status);
  assert.equal(me, 401, 'the disabled user\'s session has ended');
  assert.match(await tryLogin(W.page, 'drwu', own), /用户名或密码错误/);

  // Adding the name again says it is disabled and points at re-enabling.
  await A.page.fill('#add-username', 'drwu');
  await A.page.click('#add-user-submit');
  await A.page.waitForFunction(() => /重新启用/.test(document.querySelector('#add-user-form .form-msg').textContent));

  // Re-enable: the same password works again.
  await A.page.click(`${card('drwu')} .enable-user`);
  await A.page.waitForSelector(`${card('drwu')}[data-status="active"]`);
  assert.equal(await tryLogin(W.page, 'drwu', own), null);

  // Role: coordinator (the user's session ends; after logging in again the role is shown).
  await A.page.selectOption(`${card('drwu')} select.user-role`, 'coordinator');
  await A.page.click(`${card('drwu')} .save-role`);
  await A.page.waitForSelector(`${card('drwu')}[data-role="coordinator"]`);
  assert.equal(await tryLogin(W.page, 'drwu', own), null);
  assert.equal(await W.page.textContent('#user-role'), '胸痛中心协调员');

  // Display name.
  await A.page.fill(`${card('drwu')} input.user-display`, '吴主任');
  await A.page.click(`${card('drwu')} .save-display`);
  await A.page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '吴主任', `${card('drwu')} .user-display-name`);

  // Contact: how a page reaches them (the alert webhook carries it to the SMS / WeChat gateway).
  await A.page.fill(`${card('drwu')} input.user-contact`, ' 13900001111 ');
  await A.page.click(`${card('drwu')} .save-contact`);
  await A.page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '13900001111', `${card('drwu')} .user-contact-text`);

  // Reset: a new password shown once; the old one is refused, the new one works — once, to choose
  // the user's own (the forced change after a reset); the card says so until then.
  await A.page.click(`${card('drwu')} .reset-password`);
  await A.page.click(`${card('drwu')} .confirm-yes`);
  await A.page.waitForFunction((old) => {
    const v = document.querySelector('#new-password-value');
    return v && v.textContent.trim() !== old && !document.querySelector('#new-password').classList.contains('hidden');
  }, password);
  const given = (await A.page.textContent('#new-password-value')).trim();
  await A.page.waitForSelector(`${card('drwu')} .badge.must-change`);
  assert.match(await tryLogin(W.page, 'drwu', own), /用户名或密码错误/);
  await W.page.goto(`${server.url}/`);
  await W.page.waitForSelector('#login-form', { state: 'visible' });
  await W.page.fill('#login-username', 'drwu');
  await W.page.fill('#login-password', given);
  await W.page.click('#login-submit');
  await W.page.waitForSelector('body[data-view="password-required"] #password-form');
  const fresh = 'Wu-own-password-2026';
  await W.page.fill('#pw-current', given);
  await W.page.fill('#pw-new', fresh);
  await W.page.fill('#pw-again', fresh);
  await W.page.click('#pw-submit');
  await W.page.waitForSelector('body[data-view="worklist"]');
  assert.equal(await W.page.textContent('#user-name'), '吴主任', 'the top bar shows the Chinese name');
  await W.page.click('#logout');
  await W.page.waitForSelector('#login-form', { state: 'visible' });
  assert.equal(await tryLogin(W.page, 'drwu', fresh), null);  // straight in, no forced change
  state.wuPassword = fresh;

  // Admins cannot disable or demote themselves: the controls are off for their own card.
  assert.equal(await A.page.isDisabled(`${card('chief')} .disable-user`), true);
  assert.equal(await A.page.isDisabled(`${card('chief')} select.user-role`), true);
  await W.context.close();
  await A.context.close();
});

test('roster on a phone: today\'s shift, then tomorrow\'s keeps it; a disabled user is refused', { timeout: 90000 }, async () => {
  const P = await open(PHONE);
  await goto(P.page, '#/roster', '#shift-form[data-ready="true"]');
  assert.match(await P.page.textContent('#oncall-now'), /无人值班/);
  // Local times in the centre's zone (Asia/Shanghai, the server's default): a shift from an hour
  // ago for 12 hours (covering now), then the 12 hours after it.
  const [start1, end1, end2, later] = await P.page.evaluate(() => {
    const f = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
    const local = (ms) => {
      const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
      return `${p.year}-${p.month}-${p.day}T${p.hour}:00`;
    };
    const now = Date.now();
    return [local(now - 3600e3), local(now + 11 * 3600e3), local(now + 23 * 3600e3), local(now + 30 * 3600e3)];
  });
  const setShift = async (start, end, chain) => {
    await P.page.fill('#shift-start', start);
    await P.page.fill('#shift-end', end);
    for (let i = 0; i < 3; ++i) await P.page.selectOption(`#shift-chain-${i}`, chain[i] || '');
    await P.page.tap('#shift-submit');
    await P.page.waitForFunction(() => !/^\s*$/.test(document.querySelector('#shift-msg').textContent));
    return P.page.textContent('#shift-msg');
  };
  assert.match(await setShift(start1, end1, ['drli', 'drwu']), /班次已保存/);
  await P.page.waitForSelector('#oncall-now .person[data-username="drli"]');
  assert.match(await setShift(end1, end2, ['drwu']), /班次已保存/);
  await P.page.waitForFunction(() => document.querySelectorAll('#shift-list li.shift').length === 2);
  const shifts = await P.page.$$eval('#shift-list li.shift', (lis) => lis.map((li) => [...li.querySelectorAll('.person')].map((p) => p.dataset.username).join(',')));
  assert.deepEqual(shifts, ['drli,drwu', 'drwu'], 'today\'s shift is kept');
  assert.match(await P.page.textContent('#oncall-now'), /drli/);
  await assertFits(P.page, 'roster (390)');
  await shot(P.page, 'roster-390');

  // The server refuses a disabled user (the page offers only enabled ones).
  const refused = await P.page.evaluate(async ([from, to]) => {
    const me = await (await fetch('/api/me')).json();
    await fetch('/api/users/drli', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' }, body: JSON.stringify({ disabled: true }) });
    const r = await fetch('/api/roster', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' }, body: JSON.stringify({ start: from, end: to, chain: ['drli'] }) });
    await fetch('/api/users/drli', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' }, body: JSON.stringify({ disabled: false }) });
    return [r.status, (await r.json()).code];
  }, [end2, later]);
  assert.deepEqual(refused, [400, 'roster_user']);
  // A cardiologist sees the roster but not the form.
  const D = await open(PHONE, 'drli');
  await goto(D.page, '#/roster', '#shift-list li.shift');
  assert.equal(await D.page.$('#shift-form'), null);
  assert.equal(await D.page.$('.admin-tabs'), null);
  await D.context.close();
  await P.context.close();
});

test('audit log: newest first, filtered by action and user, paged; on a phone and a desktop', { timeout: 90000 }, async () => {
  const A = await open(DESKTOP);
  await goto(A.page, '#/audit', '#audit-rows tr');
  const seqs = await A.page.$$eval('#audit-rows tr', (rows) => rows.map((r) => Number(r.dataset.seq)));
  assert.ok(seqs.length > 10);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');

  // Each of the previous tests' actions is there, by the admin, on drwu.
  for (const [action, words] of [['user_add', '添加用户'], ['user_disable', '停用用户'], ['user_enable', '重新启用用户'], ['user_role', '更改角色'], ['user_display_name', '更改中文姓名'], ['user_password_reset', '重置密码'], ['roster_set', '设置值班表']]) {
    await A.page.selectOption('#audit-action', action);
    await A.page.click('#audit-search');
    await A.page.waitForFunction((a) => {
      const rows = [...document.querySelectorAll('#audit-rows tr')];
      return rows.length > 0 && rows.every((r) => r.dataset.action === a);
    }, action);
    const rows = await A.page.$$eval('#audit-rows tr', (trs) => trs.map((r) => [...r.children].map((td) => td.textContent)));
    const hit = rows.find((r) => r[1] === 'station:chief' && (action === 'roster_set' || r[3] === 'drwu'));
    assert.ok(hit, `${action} by station:chief on drwu: ${JSON.stringify(rows)}`);
    assert.equal(hit[2], words, `${action}: the action in words`);
  }
  // By user: drwu's logins (and refusals are on the record too, under the name tried).
  await A.page.selectOption('#audit-action', '');
  await A.page.fill('#audit-user', 'drwu');
  await A.page.click('#audit-search');
  await A.page.waitForFunction(() => [...document.querySelectorAll('#audit-rows tr')].some((r) => r.dataset.action === 'login'));
  const actors = await A.page.$$eval('#audit-rows tr td:nth-child(2)', (tds) => [...new Set(tds.map((td) => td.textContent))]);
  assert.deepEqual(actors, ['station:drwu']);
  // The export link carries the same filter: a CSV with a BOM and Chinese headers.
  const csv = await A.page.evaluate(async () => {
    const r = await fetch(document.querySelector('#audit-export').href);
    return { type: r.headers.get('content-type'), bytes: [...new Uint8Array(await r.arrayBuffer())] };
  });
  assert.match(csv.type, /^text\/csv/);
  assert.deepEqual(csv.bytes.slice(0, 3), [0xef, 0xbb, 0xbf]);
  const text = new TextDecoder().decode(new Uint8Array(csv.bytes.slice(3)));
  const lines = text.trim().split('\r\n');
  assert.equal(lines[0], '序号,时间,操作者,操作,对象,详情');
  assert.ok(lines.length > 1 && lines.slice(1).every((l) => l.split(',')[2] === 'station:drwu'), text);
  await shot(A.page, 'audit-1440');

  // Paging: 100 at a time, "load older" appends older rows.
  await A.page.fill('#audit-user', '');
  await A.page.click('#audit-search');
  await A.page.waitForSelector('#audit-rows tr');
  const visible = await A.page.isVisible('#audit-more');
  if (visible) {
    const before = await A.page.$$eval('#audit-rows tr', (r) => r.length);
    await A.page.click('#audit-more');
    await A.page.waitForFunction((n) => document.querySelectorAll('#audit-rows tr').length > n, before);
    const all = await A.page.$$eval('#audit-rows tr', (rows) => rows.map((r) => Number(r.dataset.seq)));
    assert.deepEqual(all, [...all].sort((a, b) => b - a));
    assert.equal(new Set(all).size, all.length);
  } else {
    assert.ok((await A.page.$$eval('#audit-rows tr', (r) => r.length)) < 100);
  }
  await A.context.close();

  const P = await open(PHONE);
  await goto(P.page, '#/audit', '#audit-rows tr');
  await P.page.selectOption('#audit-action', 'user_disable');
  await P.page.tap('#audit-search');
  await P.page.waitForFunction(() => [...document.querySelectorAll('#audit-rows tr')].every((r) => r.dataset.action === 'user_disable'));
  await assertFits(P.page, 'audit (390)');
  await shot(P.page, 'audit-filtered-390', false);
  await P.context.close();
});

test('a cardiologist has no admin page, and the server refuses the admin API', { timeout: 60000 }, async () => {
  const D = await open(DESKTOP, 'drli');
  assert.equal(await D.page.isVisible('#nav-admin'), false);
  await D.page.goto(`${server.url}/#/users`);
  await D.page.waitForSelector('body[data-view="worklist"]');
  assert.equal(await D.page.$('#add-user-form'), null);
  const statuses = await D.page.evaluate(async () => {
    const me = await (await fetch('/api/me')).json();
    const post = (u, b) => fetch(u, { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token, 'Content-Type': 'application/json' }, body: JSON.stringify(b) }).then((r) => r.status);
    return [
      await fetch('/api/users').then((r) => r.status),
      await post('/api/users', { username: 'mallory', role: 'admin' }),
      await post('/api/users/chief', { disabled: true }),
      await post('/api/users/chief/password', {}),
      await post('/api/roster', { start: '2030-01-01 08:00', end: '2030-01-02 08:00', chain: ['drli'] }),
      await fetch('/api/audit').then((r) => r.status),
    ];
  });
  assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403]);
  await D.context.close();
});

test('admin pages: no raw key in Chinese or English, nothing wider than 390 px, screenshots at both sizes and in dark mode', { timeout: 120000 }, async () => {
  const found = [];
  for (const [size, opts] of [['390', PHONE], ['1440', DESKTOP]]) {
    for (const lang of ['zh', 'en']) {
      const p = await newPage(browser, opts);
      pages.push(p);
      await p.page.addInitScript((l) => window.localStorage.setItem('gc.lang', l), lang);
      await login(p.page, server.url, 'chief', PW);
      for (const [name, hash, ready] of [
        ['users', '#/users', '.user-card'],
        ['roster', '#/roster', '#shift-form[data-ready="true"]'],
        ['audit', '#/audit', '#audit-rows tr'],
      ]) {
        await goto(p.page, hash, ready);
        // The confirmation a disable asks for is checked too (and cancelled before the picture).
        if (name === 'users') await p.page.click(`${card('drli')} .disable-user`);
        found.push(...(await rawKeys(p.page, lang)).map((k) => `${lang} ${size} ${name}: ${k}`));
        if (size === '390') await assertFits(p.page, `${name} (${lang})`);
        if (name === 'users') await p.page.click(`${card('drli')} .confirm-no`);
        // The audit log is long: the first screen of it.
        if (lang === 'zh') await shot(p.page, `${name}-${size}`, name !== 'audit');
      }
      await p.context.close();
    }
  }
  assert.deepEqual(found, [], 'untranslated keys on the admin pages');
  const dark = await newPage(browser, { ...PHONE, colorScheme: 'dark' });
  pages.push(dark);
  await login(dark.page, server.url, 'chief', PW);
  await goto(dark.page, '#/users', '.user-card');
  await shot(dark.page, 'users-dark-390');
  await dark.context.close();
});

test('worklist by date on a phone: the alerts of the days chosen, in the centre\'s zone', { timeout: 90000 }, async () => {
  const cart = startCart(server, addDevice(server, '东湖村卫生室'), [path.join(SAMPLES, 'stemi_anterior.hea')], ['--chest-pain', '--patient', 'P-DATE-1']);
  const uid = JSON.parse((await cart.waitLine((l) => Boolean(parseJsonLine(l)?.finding), 60000, 'cart finding')).text).study_uid;
  assert.equal((await cart.exited).code, 0);
  const D = await open(PHONE, 'drli');
  const row = `.wl-row[data-study-uid="${uid}"]`;
  await D.page.waitForSelector(row);
  const [today, tomorrow] = await D.page.evaluate(() => {
    const d = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
    return [d(Date.now()), d(Date.now() + 86400e3)];
  });
  await D.page.tap('#filter-dates summary');
  await D.page.fill('#filter-from', tomorrow);
  await D.page.waitForSelector(row, { state: 'detached' });
  assert.match(await D.page.textContent('#worklist-empty'), /暂无警报/);
  await D.page.fill('#filter-from', today);
  await D.page.fill('#filter-to', today);
  await D.page.waitForSelector(row);
  await assertFits(D.page, 'worklist with the date filter open (390)');
  await shot(D.page, 'worklist-dates-390', false);
  await D.context.close();
});

test('no page errors', () => {
  const errors = pages.flatMap((p) => p.problems)
    // 401 before login and of the ended sessions, 403/409 provoked above.
    .filter((e) => !/status of 40[0139]/.test(e));
  assert.deepEqual(errors, []);
});
