// Changing one's own password (POST /api/me/password): from the top bar at any time, and before
// anything else when an admin reset it (the server answers every other call with 403
// password_change_required until then).

import { api, session } from './api.js';
import { t } from './i18n.js';
import { el } from './util.js';

const ERROR_KEYS = {
  wrong_password: 'pw_err_wrong',
  weak_password: 'pw_err_weak',
  locked: 'locked',
  csrf: 'admin_err_csrf',
};

// The form; onDone(user) after a successful change (the /api/me object), onCancel when the user
// backs out (absent for a forced change: signing out is the only other way).
export function passwordForm({ forced, onDone, onCancel }) {
  const current = el('input', { type: 'password', id: 'pw-current', autocomplete: 'current-password', required: true });
  const fresh = el('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password', required: true, minlength: 10 });
  const again = el('input', { type: 'password', id: 'pw-again', autocomplete: 'new-password', required: true });
  const msg = el('div', { class: 'form-msg', id: 'pw-msg', role: 'alert' });
  const submit = el('button', { class: 'btn btn-primary', type: 'submit', id: 'pw-submit', text: t('pw_submit') });
  const fail = (key, params) => {
    msg.textContent = t(key, params);
    msg.className = 'form-msg error';
  };
  const form = el('form', {
    class: 'login-form password-form',
    id: 'password-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (fresh.value.length < 10) return fail('pw_err_short');
      if (fresh.value !== again.value) return fail('pw_err_mismatch');
      if (fresh.value === current.value) return fail('pw_err_same');
      submit.disabled = true;
      try {
        const user = await api('POST', '/api/me/password', { current: current.value, new: fresh.value });
        session.user = { ...session.user, ...user };
        current.value = '';
        fresh.value = '';
        again.value = '';
        msg.textContent = t('pw_done');
        msg.className = 'form-msg ok';
        if (onDone) onDone(session.user);
      } catch (e) {
        if (ERROR_KEYS[e.code]) fail(ERROR_KEYS[e.code]);
        else fail('action_failed', { msg: e.message });
      } finally {
        submit.disabled = false;
      }
    },
  },
  el('h2', { text: t('pw_title') }),
  session.user ? el('p', { class: 'muted', id: 'pw-user', text: t('pw_user', { user: session.user.display_name_zh ? `${session.user.display_name_zh}（${session.user.username}）` : session.user.username }) }) : '',
  forced ? el('p', { class: 'pw-forced', id: 'pw-forced', text: t('pw_forced') }) : '',
  el('p', { class: 'muted', text: t('pw_rules') }),
  el('label', null, el('span', { text: t('pw_current') }), current),
  el('label', null, el('span', { text: t('pw_new') }), fresh),
  el('label', null, el('span', { text: t('pw_again') }), again),
  msg,
  el('div', { class: 'form-row' }, submit,
    onCancel ? el('button', { class: 'btn', type: 'button', id: 'pw-cancel', text: t('cancel'), onclick: onCancel }) : ''));
  return { node: form, focus: () => current.focus() };
}

// The page behind the top bar's entry (#/password).
export function showPassword(root, navigate) {
  const f = passwordForm({
    forced: false,
    onDone: () => {},
    onCancel: () => navigate('#/worklist'),
  });
  root.replaceChildren(el('section', { class: 'panel password-page', id: 'panel-password' }, f.node));
  f.focus();
  return () => {};
}
