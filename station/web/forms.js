// Forms shared by the study and case views: alert action buttons (with the reject reason and the
// green-channel instructions) and the time-node recorder. The signed report: signed_report.js.

import { api, on } from './api.js';
import { ACTIONS, actionAllowed, canRecordNodes, errorText, performAction } from './actions.js';
import { NODE_KINDS, getLang, label, summaryOf, t } from './i18n.js';
import { el, fmtTime } from './util.js';

// One alert with its state and the buttons its role and state allow; follows live updates.
export function alertPanel(alert, onChange) {
  const box = el('div', { class: `alert-box tier-${alert.tier}`, dataset: { alertId: alert.alert_id } });
  const msg = el('div', { class: 'form-msg', role: 'status' });
  const reason = el('input', { type: 'text', class: 'reject-reason', 'data-i18n-placeholder': 'reject_reason', placeholder: t('reject_reason') });
  const instrZh = el('textarea', { class: 'instr-zh', rows: 2, placeholder: t('instructions_zh') });
  const instrEn = el('textarea', { class: 'instr-en', rows: 2, placeholder: t('instructions_en') });
  const closeReason = el('input', { type: 'text', class: 'close-reason', placeholder: t('close_reason'), 'aria-label': t('close_reason') });
  reason.setAttribute('aria-label', t('reject_reason'));
  instrZh.setAttribute('aria-label', t('instructions_zh'));
  instrEn.setAttribute('aria-label', t('instructions_en'));
  const confirmBox = el('div', { class: 'close-confirm hidden', role: 'alertdialog' });
  const messages = el('div', { class: 'clinic-messages' });
  const buttons = {};
  let state = alert;
  let transitions = alert.transitions || [];

  const critical = () => state.tier === 'critical';
  const run = async (action, confirmed = false) => {
    let body = {};
    if (action === 'close' && critical()) {
      // A suspected STEMI is closed with a reason and a second, explicit confirmation; the
      // server refuses a reasonless close of a critical alert too.
      if (!closeReason.value.trim()) {
        msg.textContent = t('close_reason_required');
        msg.className = 'form-msg error';
        closeRow.classList.remove('hidden');
        closeReason.focus();
        return;
      }
      if (!confirmed) {
        confirmBox.replaceChildren(
          el('span', { text: t('close_confirm_q', { id: state.alert_id }) }),
          el('button', { class: 'btn act-confirm close-yes', type: 'button', text: t('close_confirm_yes'), onclick: () => { confirmBox.classList.add('hidden'); run('close', true); } }),
          el('button', { class: 'btn close-no', type: 'button', text: t('cancel'), onclick: () => confirmBox.classList.add('hidden') }));
        confirmBox.classList.remove('hidden');
        confirmBox.querySelector('.close-yes').focus();
        return;
      }
      body = { reason: closeReason.value.trim() };
    } else if (action === 'reject') {
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
      if (res && res.transition && !transitions.some((tr) => tr.seq === res.transition.seq)) transitions = [...transitions, res.transition];
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
  const closeRow = el('div', { class: 'form-row close-row hidden' }, closeReason, confirmBox);
  box.append(head, summary,
    el('div', { class: 'form-row' }, buttons.acknowledge, buttons.confirm, buttons.close),
    closeRow, rejectRow, gcRow, msg, messages);

  // What the clinic was told: every transition reaches the cart (the green-channel one with the
  // instructions in its note), so each is listed with its time, who, and the words sent.
  function renderMessages() {
    const sent = transitions.filter((tr) => tr.to && tr.to !== 'raised');
    const instr = [...sent].reverse().find((tr) => tr.to === 'green_channel' && tr.note);
    messages.replaceChildren(
      el('h3', { class: 'k', text: t('clinic_messages') }),
      instr ? el('div', { class: 'gc-instructions', id: `gc-instructions-${state.alert_id}` },
        el('span', { class: 'k', text: `${t('gc_instructions')}：` }), el('span', { class: 'instr', text: instr.note })) : '',
      sent.length
        ? el('ol', { class: 'messages' }, ...sent.map((tr) => el('li', { dataset: { to: tr.to } },
          `${fmtTime(tr.at_ms)} · ${label('state', tr.to)} · ${tr.actor || ''}`,
          tr.reason ? ` · ${t('msg_reason')}: ${tr.reason}` : '',
          tr.note ? el('span', { class: 'instr', text: ` · ${tr.note}` }) : '')))
        : el('p', { class: 'muted', text: t('clinic_messages_none') }));
  }

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
    summary.textContent = summaryOf(state);
    for (const [a, b] of Object.entries(buttons)) {
      const ok = actionAllowed(a, state.state);
      b.disabled = !ok;
      b.classList.toggle('hidden', !ok && (a === 'reject' || a === 'green_channel'));
    }
    rejectRow.classList.toggle('hidden', !actionAllowed('reject', state.state));
    gcRow.classList.toggle('hidden', !actionAllowed('green_channel', state.state));
    closeRow.classList.toggle('hidden', !(actionAllowed('close', state.state) && critical()));
    renderMessages();
  }
  update(alert);
  const off = on('alert-item', (item) => {
    if (item.alert_id !== state.alert_id) return;
    // A change made elsewhere (another station, the escalation): fetch its transitions.
    if (item.state !== state.state && !transitions.some((tr) => tr.to === item.state && tr.at_ms >= (item.updated_ms || 0))) {
      api('GET', `/api/alerts/${encodeURIComponent(item.alert_id)}`).then((res) => {
        if (res && res.transitions) transitions = res.transitions;
        renderMessages();
      }, () => {});
    }
    update(item);
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
    ...NODE_KINDS.map(([k, zh, en]) => el('option', { value: k, text: getLang() === 'zh' ? zh : en })));
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
        at.value = '';
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
