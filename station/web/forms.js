// Forms shared by the study and case views: alert action buttons (with the reject reason and the
// green-channel instructions), the time-node recorder and the free-text diagnosis.

import { api, on } from './api.js';
import { ACTIONS, actionAllowed, canDiagnose, canRecordNodes, errorText, performAction } from './actions.js';
import { NODE_KINDS, getLang, label, t } from './i18n.js';
import { el, fmtTime } from './util.js';

// One alert with its state and the buttons its role and state allow; follows live updates.
export function alertPanel(alert, onChange) {
  const box = el('div', { class: `alert-box tier-${alert.tier}`, dataset: { alertId: alert.alert_id } });
  const msg = el('div', { class: 'form-msg', role: 'status' });
  const reason = el('input', { type: 'text', class: 'reject-reason', 'data-i18n-placeholder': 'reject_reason', placeholder: t('reject_reason') });
  const instrZh = el('textarea', { class: 'instr-zh', rows: 2, placeholder: t('instructions_zh') });
  const instrEn = el('textarea', { class: 'instr-en', rows: 2, placeholder: t('instructions_en') });
  const buttons = {};
  let state = alert;

  const run = async (action) => {
    let body = {};
    if (action === 'reject') {
      if (!reason.value.trim()) {
        msg.textContent = t('reason_required');
        msg.className = 'form-msg error';
        reason.focus();
        return;
      }
      body = { reason: reason.value.trim() };
    } else if (action === 'green_channel') {
      if (instrZh.value.trim()) body.instructions_zh = instrZh.value.trim();
      if (instrEn.value.trim()) body.instructions_en = instrEn.value.trim();
    }
    for (const b of Object.values(buttons)) b.disabled = true;
    msg.textContent = '';
    try {
      const res = await performAction(state.alert_id, action, body);
      if (res && res.item) update(res.item);
      if (onChange) onChange(res);
    } catch (e) {
      msg.textContent = errorText(e);
      msg.className = 'form-msg error';
      update(state);
    }
  };

  for (const a of ACTIONS) {
    buttons[a] = el('button', { class: `btn act-${a}`, 'data-action': a, text: t(`act_${a}`), onclick: () => run(a) });
  }
  const head = el('div', { class: 'alert-head' });
  const summary = el('div', { class: 'alert-summary' });
  const rejectRow = el('div', { class: 'form-row reject-row' }, reason, buttons.reject);
  const gcRow = el('div', { class: 'form-row gc-row' }, instrZh, instrEn, buttons.green_channel);
  box.append(head, summary,
    el('div', { class: 'form-row' }, buttons.acknowledge, buttons.confirm, buttons.close),
    rejectRow, gcRow, msg);

  function update(item) {
    state = { ...state, ...item };
    box.dataset.state = state.state;
    box.className = `alert-box tier-${state.tier} state-${state.state}`;
    head.replaceChildren(
      el('span', { class: `badge tier-${state.tier}`, text: label('tier', state.tier) }),
      el('span', { class: `badge state-${state.state}`, 'data-role': 'alert-state', text: label('state', state.state) }),
      el('span', { class: 'alert-cat', text: label('cat', state.category) }),
      el('span', { class: 'muted', text: `#${state.alert_id} · ${fmtTime(state.raised_ms)}` }),
      state.acknowledged_by ? el('span', { class: 'muted', text: `${t('col_ack')}: ${state.acknowledged_by}` }) : '');
    summary.textContent = getLang() === 'zh' ? state.summary_zh || state.summary_en || '' : state.summary_en || state.summary_zh || '';
    for (const [a, b] of Object.entries(buttons)) {
      const ok = actionAllowed(a, state.state);
      b.disabled = !ok;
      b.classList.toggle('hidden', !ok && (a === 'reject' || a === 'green_channel'));
    }
    rejectRow.classList.toggle('hidden', !actionAllowed('reject', state.state));
    gcRow.classList.toggle('hidden', !actionAllowed('green_channel', state.state));
  }
  update(alert);
  const off = on('alert-item', (item) => {
    if (item.alert_id === state.alert_id) update(item);
  });
  return { node: box, dispose: off };
}

// Local datetime-local value (in the browser's zone) → UnixMs.
function parseLocal(value) {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function nodeRecorder(caseId, onRecorded) {
  if (!canRecordNodes()) return null;
  const kind = el('select', { class: 'node-kind', id: 'node-kind' },
    ...NODE_KINDS.map(([k, zh, en]) => el('option', { value: k, text: `${getLang() === 'zh' ? zh : en} (${k})` })));
  const at = el('input', { type: 'datetime-local', step: 1, class: 'node-at', id: 'node-at' });
  const note = el('input', { type: 'text', class: 'node-note', id: 'node-note', placeholder: t('node_note') });
  const sup = el('input', { type: 'number', min: 1, class: 'node-supersedes', id: 'node-supersedes', placeholder: t('node_supersedes') });
  const msg = el('span', { class: 'form-msg', role: 'status' });
  const button = el('button', {
    class: 'btn',
    id: 'node-record',
    text: t('record'),
    onclick: async () => {
      const body = { kind: kind.value };
      if (at.value) {
        const ms = parseLocal(at.value);
        if (ms === null) return;
        body.at_ms = ms;
      }
      if (note.value.trim()) body.note = note.value.trim();
      if (sup.value) body.supersedes = Number(sup.value);
      button.disabled = true;
      try {
        const res = await api('POST', `/api/cases/${encodeURIComponent(caseId)}/nodes`, body);
        msg.textContent = `${t('saved')} #${res.seq}`;
        msg.className = 'form-msg ok';
        note.value = '';
        sup.value = '';
        if (onRecorded) onRecorded(res);
      } catch (e) {
        msg.textContent = errorText(e);
        msg.className = 'form-msg error';
      } finally {
        button.disabled = false;
      }
    },
  });
  return el('fieldset', { class: 'node-recorder' },
    el('legend', { text: t('record_node') }),
    el('label', null, t('node_kind'), ' ', kind),
    el('label', null, t('node_time'), ' ', at),
    el('label', null, t('node_note'), ' ', note),
    el('label', null, t('node_supersedes'), ' ', sup),
    button, msg);
}

export function diagnosisForm(studyId) {
  if (!canDiagnose()) return null;
  const text = el('textarea', { class: 'diagnosis-text', id: 'diagnosis-text', rows: 3 });
  const msg = el('span', { class: 'form-msg', role: 'status' });
  const button = el('button', {
    class: 'btn',
    id: 'diagnosis-save',
    text: t('save_diagnosis'),
    onclick: async () => {
      if (!text.value.trim()) return;
      button.disabled = true;
      try {
        const res = await api('POST', `/api/studies/${encodeURIComponent(studyId)}/diagnosis`, { text: text.value.trim() });
        msg.textContent = `${t('saved')} #${res.event_seq}`;
        msg.className = 'form-msg ok';
      } catch (e) {
        msg.textContent = errorText(e);
        msg.className = 'form-msg error';
      } finally {
        button.disabled = false;
      }
    },
  });
  return el('fieldset', { class: 'diagnosis' }, el('legend', { text: t('diagnosis') }), text, button, msg);
}
