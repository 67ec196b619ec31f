// Reading station entry point: login (and the new password after an admin's reset), top bar,
// hash router (#/worklist, #/study/ID, #/case/ID, #/reports, #/password), the live channel, and
// the global alarm banner.

import { ApiError, LiveChannel, emit, login, logout, me, on, session } from './api.js';
import { alarm } from './alarm.js';
import { applyStatic, getLang, label, onLangChange, setLang, t } from './i18n.js';
import { showCase } from './timeline.js';
import { showReports } from './reports.js';
import { isAdmin, showAudit, showRoster, showUsers } from './admin.js';
import { passwordForm, showPassword } from './password.js';
import { showStudy, viewSettings } from './study.js';
import { el, setTimeZone } from './util.js';
import { Worklist, metrics } from './worklist.js';
import { PX_PER_MM } from './ecg.js';

const $ = (id) => document.getElementById(id);

const live = new LiveChannel();
let worklist = null;
let disposeView = null;
let started = false;
// The page asked for when the session ended (a tap on an alert after the idle timeout): after
// the next login the station goes there instead of the worklist.
let returnTo = null;

// Hooks for tests and diagnostics (read-only figures).
window.gcStation = { metrics, alarm, viewSettings, PX_PER_MM, live };

function navigate(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function showLogin(reasonKey) {
  if (started && window.location.hash && !/^#\/?(worklist)?$/.test(window.location.hash)) {
    returnTo = window.location.hash;
  }
  started = false;
  live.stop();
  alarm.stop();
  if (worklist) worklist.reset();
  if (disposeView) disposeView();
  disposeView = null;
  $('app').classList.add('hidden');
  $('topbar').classList.add('hidden');
  $('notify-ask').classList.add('hidden');
  $('password-view').classList.add('hidden');
  $('login-view').classList.remove('hidden');
  const msg = $('login-error');
  msg.textContent = reasonKey ? t(reasonKey) : '';
  msg.classList.toggle('hidden', !reasonKey);
  $('login-password').value = '';
  $('login-username').focus();
  document.body.dataset.view = 'login';
}

// After an admin's reset: the new password first, nothing of the station before it (the server
// refuses every other call too). Signing out is the only other way.
function showPasswordRequired() {
  if (started) {
    started = false;
    live.stop();
    alarm.stop();
    if (disposeView) disposeView();
    disposeView = null;
  }
  $('app').classList.add('hidden');
  $('topbar').classList.add('hidden');
  $('login-view').classList.add('hidden');
  $('password-view').classList.remove('hidden');
  const f = passwordForm({ forced: true, onDone: () => startApp() });
  const out = el('button', {
    class: 'btn btn-link', type: 'button', id: 'pw-logout', text: t('logout'),
    onclick: async () => {
      try {
        await logout();
      } catch {
        // the session is gone either way
      }
      showLogin(null);
    },
  });
  const lang = el('button', {
    class: 'btn btn-link lang-toggle', type: 'button', id: 'pw-lang', text: t('lang_toggle'),
    onclick: () => setLang(getLang() === 'zh' ? 'en' : 'zh'),
  });
  f.node.append(out, lang);
  $('password-forced-box').replaceChildren(f.node);
  f.focus();
  document.body.dataset.view = 'password-required';
}

function enter() {
  if (session.user && session.user.must_change_password) showPasswordRequired();
  else startApp();
}

function renderUser() {
  const u = session.user;
  // The Chinese name when the admin set one (the account name beside it on hover).
  $('user-name').textContent = u ? u.display_name_zh || u.username : '';
  $('user-name').title = u && u.display_name_zh ? u.username : '';
  $('user-role').textContent = u ? label('role', u.role) : '';
  $('nav-reports').classList.toggle('hidden', !u);
  $('nav-admin').classList.toggle('hidden', !isAdmin());
}

// The admin pages (users, roster editing, audit log): the server refuses them to other roles,
// and the station does not offer them.
const ADMIN_PAGES = new Set(['users', 'audit']);

async function route() {
  if (!started) return;
  if (disposeView) disposeView();
  disposeView = null;
  const raw = window.location.hash.replace(/^#/, '') || '/worklist';
  const [path, query] = raw.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  const wl = $('worklist-view');
  const other = $('detail-view');
  const section = ADMIN_PAGES.has(parts[0]) ? 'users' : parts[0] || 'worklist';
  document.querySelectorAll('.nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === `#/${section}`));
  if (parts[0] === 'study' && parts[1]) {
    wl.classList.add('hidden');
    other.classList.remove('hidden');
    document.body.dataset.view = 'study';
    disposeView = await showStudy(other, parts[1], params);
  } else if (parts[0] === 'case' && parts[1]) {
    wl.classList.add('hidden');
    other.classList.remove('hidden');
    document.body.dataset.view = 'case';
    disposeView = await showCase(other, parts[1]);
  } else if (parts[0] === 'password') {
    wl.classList.add('hidden');
    other.classList.remove('hidden');
    document.body.dataset.view = 'password';
    disposeView = showPassword(other, navigate);
  } else if (parts[0] === 'reports') {
    wl.classList.add('hidden');
    other.classList.remove('hidden');
    document.body.dataset.view = 'reports';
    disposeView = showReports(other, worklist ? worklist.clinics : new Set());
  } else if (parts[0] === 'roster' || (ADMIN_PAGES.has(parts[0]) && isAdmin())) {
    wl.classList.add('hidden');
    other.classList.remove('hidden');
    document.body.dataset.view = parts[0];
    const show = { users: showUsers, roster: showRoster, audit: showAudit }[parts[0]];
    disposeView = show(other);
  } else {
    other.classList.add('hidden');
    wl.classList.remove('hidden');
    document.body.dataset.view = 'worklist';
  }
  document.body.dataset.ready = 'true';
}

function startApp() {
  started = true;
  setTimeZone(session.user.tz);
  $('login-view').classList.add('hidden');
  $('password-view').classList.add('hidden');
  $('app').classList.remove('hidden');
  $('topbar').classList.remove('hidden');
  renderUser();
  if (!worklist) {
    worklist = new Worklist($('worklist-view'), navigate);
    alarm.attach($('alarm-banner'), (item) => navigate(`#/study/${item.study_id}?alert=${item.alert_id}`), $('sound-state'));
  }
  if (returnTo) {
    const target = returnTo;
    returnTo = null;
    if (window.location.hash !== target) window.history.replaceState(null, '', target);
  }
  askNotificationPermission();
  worklist.refetch();
  live.start();
  route();
}

// System notifications need the user's permission, asked once after login with the reason shown
// (a bare browser prompt at page load is usually refused or ignored).
function askNotificationPermission() {
  const bar = $('notify-ask');
  let later = false;
  try {
    later = window.sessionStorage.getItem('gc.notify-later') === '1';
  } catch {
    // no storage: ask each time
  }
  const show = 'Notification' in window && Notification.permission === 'default' && !later;
  bar.classList.toggle('hidden', !show);
}

const THEME_KEY = 'gc.theme';
function applyTheme(theme) {
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  const button = $('theme-toggle');
  button.textContent = theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐';
  button.title = t(theme === 'dark' ? 'theme_dark' : theme === 'light' ? 'theme_light' : 'theme_auto');
}
function savedTheme() {
  try {
    return window.localStorage.getItem(THEME_KEY) || 'auto';
  } catch {
    return 'auto';
  }
}

function wire() {
  applyStatic(document);
  applyTheme(savedTheme());
  $('theme-toggle').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme === 'dark' ||
      (!document.documentElement.dataset.theme && window.matchMedia('(prefers-color-scheme: dark)').matches);
    const next = dark ? 'light' : 'dark';
    try {
      window.localStorage.setItem(THEME_KEY, next);
    } catch {
      // not remembered
    }
    applyTheme(next);
  });
  $('notify-allow').addEventListener('click', async () => {
    try {
      await Notification.requestPermission();
    } catch {
      // old callback-style API or refused: the bar goes away either way
    }
    $('notify-ask').classList.add('hidden');
  });
  $('notify-later').addEventListener('click', () => {
    try {
      window.sessionStorage.setItem('gc.notify-later', '1');
    } catch {
      // asked again next login
    }
    $('notify-ask').classList.add('hidden');
  });
  // Sticky table headers sit just below the sticky banner + top bar, whatever their height.
  const top = $('sticky-top');
  new ResizeObserver(() => {
    document.documentElement.style.setProperty('--sticky-top-h', `${top.offsetHeight}px`);
  }).observe(top);
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  for (const id of ['lang-toggle', 'lang-toggle-login']) {
    $(id).addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  }
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $('login-submit');
    button.disabled = true;
    const msg = $('login-error');
    try {
      await login($('login-username').value.trim(), $('login-password').value);
      msg.classList.add('hidden');
      enter();
    } catch (e) {
      const statusKeys = { 423: 'locked', 401: 'bad_credentials', 429: 'login_busy' };
      const key = e instanceof ApiError ? statusKeys[e.status] || null : null;
      msg.textContent = key ? t(key) : t('login_failed', { msg: e.message });
      msg.classList.remove('hidden');
    } finally {
      button.disabled = false;
    }
  });
  $('logout').addEventListener('click', async () => {
    try {
      await logout();
    } catch {
      // the session is gone either way
    }
    showLogin(null);
  });
  // Any 401 while working means the session ended (idle timeout, expiry, or the cookie is gone).
  on('logged-out', () => {
    if (started) showLogin('session_expired_return');
  });
  on('password-required', () => {
    if (session.user) session.user.must_change_password = true;
    if (started) showPasswordRequired();
  });
  on('ws:alert', (msg) => {
    if (msg.item) emit('alert-item', msg.item);
  });
  // Escalation pages (level ≥ 1: the primary did not acknowledge in time) are shown to everyone
  // on the station until the next page or a click, so the backup sees it was their turn.
  on('ws:page', (msg) => {
    if (!msg || !(msg.level >= 1)) return;
    const notice = $('page-notice');
    const at = new Date(msg.at_ms).toLocaleTimeString();
    notice.textContent = t('page_notice', {
      id: msg.alert_id, who: msg.who || t('page_nobody'), level: msg.level, at,
    });
    notice.dataset.alertId = String(msg.alert_id);
    notice.classList.remove('hidden');
  });
  $('page-notice').addEventListener('click', () => $('page-notice').classList.add('hidden'));
  on('ws-status', (status) => {
    const s = $('ws-status');
    s.dataset.status = status;
    s.textContent = t(status === 'live' ? 'ws_live' : status === 'connecting' ? 'ws_connecting' : 'ws_offline');
  });
  onLangChange(() => {
    renderUser();
    applyTheme(savedTheme());
    const s = $('ws-status');
    s.textContent = t(live.status === 'live' ? 'ws_live' : live.status === 'connecting' ? 'ws_connecting' : 'ws_offline');
    if (worklist) worklist.relabel();
    alarm.render();
    if (started) route();
    else if (document.body.dataset.view === 'password-required') showPasswordRequired();
  });
  window.addEventListener('hashchange', route);
}

async function boot() {
  wire();
  try {
    await me();
    enter();
  } catch (e) {
    showLogin(e.code === 'session_expired' ? 'session_expired' : null);
  }
  document.body.dataset.booted = 'true';
}

boot();
