// The admin pages (issue 15): users (add with a generated password shown once, reset password,
// disable / re-enable, role, Chinese display name), the on-call roster (who is on call now and
// next; admins set a shift) and the audit log (filtered, newest first, paged). The server checks
// every call (station/API.md "Admin"); the page only hides what the role may not do.

import { api, session } from './api.js';
import { getLang, has, label, t } from './i18n.js';
import { centreDate, clear, el, fmtTime, serverNow } from './util.js';

const ROLES = ['cardiologist', 'coordinator', 'admin'];

export const isAdmin = () => Boolean(session.user && session.user.role === 'admin');

// The sub-navigation of the admin pages (the roster is also open to every role, without it).
function adminTabs(current) {
  if (!isAdmin()) return null;
  const tab = (name, key) => el('a', {
    href: `#/${name}`, class: `tab${name === current ? ' active' : ''}`, id: `tab-${name}`, text: t(key),
    'aria-current': name === current ? 'page' : null,
  });
  return el('nav', { class: 'admin-tabs', 'aria-label': t('nav_admin') },
    tab('users', 'nav_users'), tab('roster', 'nav_roster'), tab('audit', 'nav_audit'));
}

// Admins see "Admin" and the tabs (the active tab names the page); others only the roster's title.
function pageHead(key, current) {
  return el('div', { class: 'study-head admin-head' }, el('h1', { text: t(isAdmin() ? 'nav_admin' : key) }), adminTabs(current));
}

// A message for a failed admin call, by the server's code.
function failure(e) {
  const key = `admin_err_${e.code}`;
  if (e.code && has(key)) return t(key);
  if (e.status === 403) return t('action_forbidden');
  return t('action_failed', { msg: e.message });
}

function setMsg(node, text, kind) {
  node.textContent = text;
  node.className = `form-msg${kind ? ` ${kind}` : ''}`;
}

const userLabel = (u) => (u.display_name_zh ? `${u.display_name_zh} (${u.username})` : u.username);

// ---------------------------------------------------------------------------------------------
// Users

export function showUsers(root) {
  let disposed = false;
  const list = el('div', { class: 'user-list', id: 'user-list', 'aria-live': 'polite' });
  const listMsg = el('div', { class: 'form-msg', role: 'status' });
  const secret = el('div', { class: 'secret-box hidden', id: 'new-password', role: 'status', tabindex: '-1' });

  const showSecret = (username, password, key) => {
    secret.replaceChildren(
      el('p', { text: t(key, { user: username }) }),
      el('code', { class: 'secret', id: 'new-password-value', 'data-ident': '', text: password }),
      el('p', { class: 'muted', text: t('password_once') }),
      el('button', { class: 'btn', type: 'button', id: 'new-password-done', text: t('password_done'), onclick: () => secret.classList.add('hidden') }));
    secret.classList.remove('hidden');
    secret.focus();
  };

  // Add a user.
  const name = el('input', { id: 'add-username', name: 'username', 'aria-describedby': 'add-username-rule', autocomplete: 'off', required: true, maxlength: 64, pattern: '[A-Za-z0-9._\\-]+', spellcheck: 'false', autocapitalize: 'off' });
  const display = el('input', { id: 'add-display', name: 'display_name_zh', autocomplete: 'off', maxlength: 64 });
  const role = el('select', { id: 'add-role', name: 'role' }, ...ROLES.map((r) => el('option', { value: r, text: label('role', r) })));
  const addMsg = el('div', { class: 'form-msg', role: 'status' });
  const addForm = el('form', { class: 'admin-form', id: 'add-user-form' },
    el('h2', { text: t('user_add') }),
    el('p', { class: 'muted', id: 'add-username-rule', text: t('username_rule') }),
    el('label', null, el('span', { text: t('username') }), name),
    el('label', null, el('span', { text: t('display_name_zh') }), display),
    el('label', null, el('span', { text: t('role') }), role),
    el('button', { class: 'btn btn-primary', type: 'submit', id: 'add-user-submit', text: t('user_add_button') }),
    addMsg);
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const username = name.value.trim();
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(username)) {
      setMsg(addMsg, t('username_rule'), 'error');
      name.focus();
      return;
    }
    try {
      const res = await api('POST', '/api/users', { username, role: role.value, display_name_zh: display.value.trim() });
      setMsg(addMsg, t('user_added', { user: username }), 'ok');
      name.value = '';
      display.value = '';
      showSecret(username, res.password, 'password_new_user');
      await load();
    } catch (e) {
      setMsg(addMsg, failure(e), 'error');
    }
  });

  const card = (u) => {
    const me = session.user && u.username === session.user.username;
    const msg = el('div', { class: 'form-msg', role: 'status' });
    const confirmRow = el('div', { class: 'confirm-row hidden', role: 'alertdialog' });
    const call = async (path, body, okKey) => {
      try {
        const res = await api('POST', `/api/users/${encodeURIComponent(u.username)}${path}`, body);
        if (res && res.password) showSecret(u.username, res.password, 'password_reset_done');
        await load();
        const again = list.querySelector(`.user-card[data-username="${u.username}"] .form-msg`);
        if (again) setMsg(again, t(okKey), 'ok');
      } catch (e) {
        setMsg(msg, failure(e), 'error');
      }
    };
    const ask = (question, yesKey, action) => {
      confirmRow.replaceChildren(
        el('span', { text: question }),
        el('button', { class: 'btn act-confirm confirm-yes', type: 'button', text: t(yesKey), onclick: () => { confirmRow.classList.add('hidden'); action(); } }),
        el('button', { class: 'btn confirm-no', type: 'button', text: t('cancel'), onclick: () => confirmRow.classList.add('hidden') }));
      confirmRow.classList.remove('hidden');
      confirmRow.querySelector('.confirm-yes').focus();
    };
    const id = (what) => `${what}-${u.username.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const roleSel = el('select', { id: id('role'), class: 'user-role', disabled: me },
      ...ROLES.map((r) => el('option', { value: r, text: label('role', r), selected: r === u.role })));
    const nameIn = el('input', { id: id('display'), class: 'user-display', value: u.display_name_zh || '', maxlength: 64, autocomplete: 'off' });
    // How a page reaches the doctor (the alert webhook carries it to the SMS / WeChat gateway).
    const contactIn = el('input', { id: id('contact'), class: 'user-contact', value: u.contact || '', maxlength: 64, autocomplete: 'off', inputmode: 'tel', placeholder: t('contact_hint') });
    const disabled = u.status === 'disabled';
    return el('article', { class: `user-card status-${u.status}`, dataset: { username: u.username, status: u.status, role: u.role } },
      el('div', { class: 'user-title' },
        el('strong', { class: 'user-display-name', text: u.display_name_zh || '—' }),
        el('span', { class: 'user-name', 'data-ident': '', text: u.username }),
        el('span', { class: `badge status-${u.status}`, text: label('status', u.status) }),
        me ? el('span', { class: 'badge', text: t('user_you') }) : null,
        u.must_change_password ? el('span', { class: 'badge must-change', text: t('must_change_password') }) : null),
      el('dl', { class: 'user-facts' },
        el('dt', { text: t('role') }), el('dd', { class: 'user-role-text', text: label('role', u.role) }),
        el('dt', { text: t('last_login') }), el('dd', { text: u.last_login_ms ? fmtTime(u.last_login_ms) : t('never') }),
        el('dt', { text: t('created') }), el('dd', { text: fmtTime(u.created_ms) }),
        el('dt', { text: t('contact') }), el('dd', { class: 'user-contact-text', text: u.contact || '—' })),
      el('div', { class: 'form-row' },
        el('label', { for: id('role'), class: 'sr-only', text: t('role') }), roleSel,
        el('button', { class: 'btn save-role', type: 'button', disabled: me, text: t('role_change'),
          onclick: () => (roleSel.value === u.role ? null : call('', { role: roleSel.value }, 'role_changed')) })),
      el('div', { class: 'form-row' },
        el('label', { for: id('display'), class: 'sr-only', text: t('display_name_zh') }), nameIn,
        el('button', { class: 'btn save-display', type: 'button', text: t('display_name_save'),
          onclick: () => call('', { display_name_zh: nameIn.value.trim() }, 'saved') })),
      el('div', { class: 'form-row' },
        el('label', { for: id('contact'), class: 'sr-only', text: t('contact') }), contactIn,
        el('button', { class: 'btn save-contact', type: 'button', text: t('contact_save'),
          onclick: () => call('', { contact: contactIn.value.trim() }, 'saved') })),
      el('div', { class: 'form-row user-actions' },
        el('button', { class: 'btn reset-password', type: 'button', disabled: me, text: t('password_reset'),
          onclick: () => ask(t('password_reset_q', { user: u.username }), 'password_reset', () => call('/password', {}, 'password_reset_ok')) }),
        disabled
          ? el('button', { class: 'btn enable-user', type: 'button', text: t('user_enable'), onclick: () => call('', { disabled: false }, 'user_enabled') })
          : el('button', { class: 'btn disable-user', type: 'button', disabled: me, text: t('user_disable'),
            onclick: () => ask(t('user_disable_q', { user: u.username }), 'user_disable', () => call('', { disabled: true }, 'user_disabled')) })),
      confirmRow,
      msg);
  };

  async function load() {
    try {
      const res = await api('GET', '/api/users');
      if (disposed) return;
      list.replaceChildren(...res.users.map(card));
      setMsg(listMsg, t('users_count', { n: res.users.length }), 'muted');
    } catch (e) {
      setMsg(listMsg, failure(e), 'error');
    }
  }

  clear(root).append(
    pageHead('nav_users', 'users'),
    secret,
    el('section', { class: 'panel' }, addForm),
    el('section', { class: 'panel' },
      el('h2', { text: t('users_list') }),
      el('p', { class: 'muted', text: t('users_note') }),
      listMsg, list));
  const ready = load();
  root.dataset.loading = 'true';
  ready.finally(() => { root.dataset.loading = 'false'; });
  return () => { disposed = true; };
}

// ---------------------------------------------------------------------------------------------
// Roster

export function showRoster(root) {
  let disposed = false;
  const nowBox = el('div', { class: 'oncall-now', id: 'oncall-now', role: 'status' });
  const shifts = el('ol', { class: 'shift-list', id: 'shift-list' });
  const listMsg = el('div', { class: 'form-msg', role: 'status' });
  const person = (p) => el('span', {
    class: `person${p.enabled ? '' : ' person-off'}`, dataset: { username: p.username },
  }, el('span', { 'data-ident': '', text: userLabel(p) }),
  p.enabled ? null : el('span', { class: 'badge status-disabled', text: t(p.known ? 'status_disabled' : 'roster_unknown_user') }));
  const chainOf = (chain) => el('span', { class: 'chain' }, ...chain.flatMap((p, i) => [
    i ? el('span', { class: 'chain-sep', 'aria-hidden': 'true', text: ' → ' }) : null,
    el('span', { class: 'chain-level', text: t(i === 0 ? 'roster_primary' : i === 1 ? 'roster_backup' : 'roster_level', { n: i + 1 }) }),
    person(p)]));

  const render = (res) => {
    nowBox.replaceChildren(res.on_call_now.length
      ? el('p', null, el('strong', { text: t('roster_now') }), ' ', chainOf(res.on_call_now))
      : el('p', { class: 'error', text: t('roster_nobody') }));
    shifts.replaceChildren(...(res.shifts.length ? res.shifts.map((s) => el('li', {
      class: `shift${s.now ? ' shift-now' : ''}${s.end_ms <= res.server_ms ? ' shift-past' : ''}`,
      dataset: { start: s.start_ms, end: s.end_ms },
    }, el('div', { class: 'shift-time' },
      el('span', { text: `${fmtTime(s.start_ms)} – ${fmtTime(s.end_ms)}` }),
      s.now ? el('span', { class: 'badge state-green_channel', text: t('roster_current') }) : null),
    chainOf(s.chain))) : [el('li', { class: 'muted', text: t('roster_empty') })]));
  };

  async function load() {
    try {
      const res = await api('GET', '/api/roster');
      if (!disposed) render(res);
    } catch (e) {
      setMsg(listMsg, failure(e), 'error');
    }
  }

  let form = null;
  if (isAdmin()) {
    const today = centreDate(serverNow());
    const tomorrow = centreDate(serverNow() + 86400000);
    const start = el('input', { type: 'datetime-local', id: 'shift-start', required: true, value: `${today}T08:00` });
    const end = el('input', { type: 'datetime-local', id: 'shift-end', required: true, value: `${tomorrow}T08:00` });
    const picks = [0, 1, 2].map((i) => el('select', { id: `shift-chain-${i}`, class: 'shift-chain', required: i === 0 }));
    const msg = el('div', { class: 'form-msg', role: 'status', id: 'shift-msg' });
    form = el('form', { class: 'admin-form', id: 'shift-form' },
      el('h2', { text: t('roster_set') }),
      el('p', { class: 'muted', text: t('roster_set_note', { tz: (session.user && session.user.tz) || '' }) }),
      el('label', null, el('span', { text: t('roster_start') }), start),
      el('label', null, el('span', { text: t('roster_end') }), end),
      ...picks.map((p, i) => el('label', null, el('span', { text: t(i === 0 ? 'roster_primary' : i === 1 ? 'roster_backup' : 'roster_level', { n: i + 1 }) }), p)),
      el('button', { class: 'btn btn-primary', type: 'submit', id: 'shift-submit', text: t('roster_save') }),
      msg);
    // Only enabled accounts are offered (the server refuses the others anyway).
    api('GET', '/api/users').then((res) => {
      const people = res.users.filter((u) => u.status !== 'disabled');
      picks.forEach((p, i) => {
        p.replaceChildren(
          el('option', { value: '', text: i === 0 ? t('roster_choose') : t('roster_none') }),
          ...people.map((u) => el('option', { value: u.username, text: `${userLabel(u)} · ${label('role', u.role)}` })));
      });
      form.dataset.ready = 'true';
    }).catch((e) => setMsg(msg, failure(e), 'error'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const chain = picks.map((p) => p.value).filter(Boolean);
      if (!chain.length) {
        setMsg(msg, t('roster_need_primary'), 'error');
        picks[0].focus();
        return;
      }
      if (new Set(chain).size !== chain.length) {
        setMsg(msg, t('roster_twice'), 'error');
        return;
      }
      if (!start.value || !end.value || end.value <= start.value) {
        setMsg(msg, t('roster_bad_times'), 'error');
        end.focus();
        return;
      }
      try {
        const res = await api('POST', '/api/roster', { start: start.value, end: end.value, chain });
        render(res);
        setMsg(msg, t('roster_saved'), 'ok');
      } catch (e) {
        setMsg(msg, e.code === 'roster_user' ? t('admin_err_roster_user', { msg: e.message }) : failure(e), 'error');
      }
    });
  }

  clear(root).append(
    pageHead('nav_roster', 'roster'),
    el('section', { class: 'panel' }, nowBox),
    el('section', { class: 'panel' }, el('h2', { text: t('roster_shifts') }), listMsg, shifts),
    form ? el('section', { class: 'panel' }, form) : null);
  load();
  return () => { disposed = true; };
}

// ---------------------------------------------------------------------------------------------
// Audit log

// Every action the server writes (station/API.md); anything else is shown as its identifier.
export const AUDIT_ACTIONS = [
  'login', 'login_failed', 'login_refused', 'user_locked', 'logout', 'session_expired',
  'user_add', 'user_disable', 'user_enable', 'user_role', 'user_display_name', 'user_contact', 'user_password_reset',
  'password_change', 'password_change_refused', 'view_reports',
  'roster_set', 'view_roster', 'view_users', 'view_audit',
  'view_worklist', 'search_patient', 'view_study', 'view_samples', 'view_case', 'view_alert',
  'view_report', 'export_study', 'export_audit', 'diagnosis', 'record_node',
  'alert_acknowledge', 'alert_confirm', 'alert_reject', 'alert_green_channel', 'alert_close',
  'case_open', 'case_state', 'case_outcome', 'case_import', 'device_add', 'device_revoke',
];

const actionText = (a) => (has(`audit_${a}`) ? t(`audit_${a}`) : null);

let lastAuditFilter = {};

export function showAudit(root) {
  let disposed = false;
  let nextBefore = null;
  const f = lastAuditFilter;
  const user = el('input', { id: 'audit-user', value: f.user || '', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', maxlength: 64 });
  const action = el('select', { id: 'audit-action' },
    el('option', { value: '', text: t('all') }),
    ...AUDIT_ACTIONS.map((a) => el('option', { value: a, text: actionText(a), selected: a === f.action })));
  const target = el('input', { id: 'audit-target', value: f.target || '', autocomplete: 'off', maxlength: 256 });
  const from = el('input', { type: 'date', id: 'audit-from', value: f.from || '' });
  const to = el('input', { type: 'date', id: 'audit-to', value: f.to || '' });
  const msg = el('div', { class: 'form-msg', role: 'status', id: 'audit-msg' });
  const body = el('tbody', { id: 'audit-rows' });
  const more = el('button', { class: 'btn wl-more hidden', type: 'button', id: 'audit-more', text: t('audit_more') });
  const table = el('table', { class: 'timeline audit-table', id: 'audit-table' },
    el('caption', { class: 'sr-only', text: t('nav_audit') }),
    el('thead', null, el('tr', null, ...['audit_time', 'audit_actor', 'audit_action', 'audit_target', 'audit_detail'].map((k) => el('th', { scope: 'col', text: t(k) })))),
    body);

  const row = (r) => {
    const words = actionText(r.action);
    return el('tr', { dataset: { seq: r.seq, action: r.action } },
      el('td', { 'data-label': t('audit_time'), class: 'nowrap', text: fmtTime(r.at_ms) }),
      el('td', { 'data-label': t('audit_actor') }, el('span', { 'data-ident': '', text: r.actor || '—' })),
      el('td', { 'data-label': t('audit_action') }, words ? el('span', { text: words }) : el('span', { 'data-ident': '', text: r.action })),
      el('td', { 'data-label': t('audit_target') }, el('span', { 'data-ident': '', text: r.target || '—' })),
      el('td', { 'data-label': t('audit_detail'), class: 'audit-detail' }, el('span', { 'data-ident': '', text: r.detail || '' })));
  };

  const exportLink = el('a', { class: 'btn', id: 'audit-export', download: 'greenchannel-audit.csv', text: t('audit_export') });
  const query = (before, csv) => {
    const q = new URLSearchParams(csv ? { lang: getLang() } : { limit: '100' });
    if (user.value.trim()) q.set('user', user.value.trim());
    if (action.value) q.set('action', action.value);
    if (target.value.trim()) q.set('target', target.value.trim());
    if (from.value) q.set('from', from.value);
    if (to.value) q.set('to', to.value);
    if (before) q.set('before', String(before));
    return `/api/audit${csv ? '.csv' : ''}?${q}`;
  };

  async function load(append) {
    lastAuditFilter = { user: user.value.trim(), action: action.value, target: target.value.trim(), from: from.value, to: to.value };
    if (from.value && to.value && to.value < from.value) {
      setMsg(msg, t('audit_bad_dates'), 'error');
      return;
    }
    root.dataset.loading = 'true';
    exportLink.href = query(null, true);
    try {
      const res = await api('GET', query(append ? nextBefore : null));
      if (disposed) return;
      if (!append) body.replaceChildren();
      body.append(...res.items.map(row));
      nextBefore = res.next_before;
      more.classList.toggle('hidden', !res.has_more);
      const n = body.children.length;
      setMsg(msg, n ? t(res.has_more ? 'audit_count_more' : 'audit_count', { n }) : t('audit_empty'), 'muted');
    } catch (e) {
      setMsg(msg, failure(e), 'error');
    } finally {
      root.dataset.loading = 'false';
    }
  }

  const form = el('form', { class: 'toolbar audit-filters', id: 'audit-form' },
    el('label', null, el('span', { text: t('audit_user') }), ' ', user),
    el('label', null, el('span', { text: t('audit_action') }), ' ', action),
    el('label', null, el('span', { text: t('audit_target') }), ' ', target),
    el('label', null, el('span', { text: t('audit_from') }), ' ', from),
    el('label', null, el('span', { text: t('audit_to') }), ' ', to),
    el('button', { class: 'btn btn-primary', type: 'submit', id: 'audit-search', text: t('audit_search') }),
    exportLink);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(false);
  });
  more.addEventListener('click', () => load(true));

  clear(root).append(
    pageHead('nav_audit', 'audit'),
    el('section', { class: 'panel' }, form, el('p', { class: 'muted', text: t('audit_note') })),
    el('section', { class: 'panel' }, msg, el('div', { class: 'table-scroll' }, table), more));
  load(false);
  return () => { disposed = true; };
}
