// Case timeline: every time node in effective order with raw and corrected time, source, actor
// and clock; superseded entries struck through; intervals against their targets; order
// violations flagged. Refetches when the server says the case changed.

import { api, on } from './api.js';
import { nodeRecorder } from './forms.js';
import { getLang, humanize, label, nodeLabel, t } from './i18n.js';
import { clear, el, fmtNum, fmtTime } from './util.js';

function bi(zh, en) {
  return getLang() === 'zh' ? zh || en : en || zh;
}

const KEY_RE = /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b(?:fmc)\b/g;

// Source / clock values ("cart", "station:nurse_li") in words.
function sourceLabel(v) {
  if (!v) return '';
  const [head, ...rest] = String(v).split(':');
  const word = label('source', head);
  return rest.length ? `${word}: ${rest.join(':')}` : word;
}

// workflow::IntervalValue::missing_reason() and the timeline's violations are English sentences
// naming node kinds by key; the station shows them in the reader's language.
function missingText(text) {
  if (!text) return '';
  const nodes = (s) => s.replace(KEY_RE, (k) => nodeLabel(k)).replace(/ \(or ([^)]+)\)/, (m, k) => `（${t('or_word')} ${k}）`);
  let m = /^applies to (\S+), case is (\S+)$/.exec(text);
  if (m) return t('missing_applies', { p: m[1].split('/').map((p) => label('pathway', p)).join(' / '), c: label('pathway', m[2]) });
  m = /^(\S+) is before (\S+) \(order violation\)$/.exec(text);
  if (m) return t('missing_before', { a: nodeLabel(m[1]), b: nodeLabel(m[2]) });
  m = /^(.+) not recorded$/.exec(text);
  if (m) return t('missing_not_recorded', { what: nodes(m[1].replace(/ and /, getLang() === 'zh' ? '、' : ' and ')) });
  return nodes(text);
}

// Notes the server writes on nodes it records itself ("alert 12 green_channel").
function noteText(note) {
  const m = /^alert (\d+) (\w+)$/.exec(note);
  if (m) return `${t('alerts')} #${m[1]} ${label('state', m[2])}`;
  return humanize(note);
}

function violationText(text) {
  const s = String(text);
  // "door_in (入门) is recorded 3.0 min before fmc (首次医疗接触), which must come first"
  const m = /^(\w+) \([^)]*\) is recorded ([\d.]+) min before (\w+) \([^)]*\), which must come first$/.exec(s);
  if (m && getLang() === 'zh') return `${nodeLabel(m[1])} 记录时间早于 ${nodeLabel(m[3])} ${m[2]} 分钟，顺序应相反`;
  if (m) return `${nodeLabel(m[1])} is recorded ${m[2]} min before ${nodeLabel(m[3])}, which must come first`;
  return s.replace(KEY_RE, (k) => nodeLabel(k));
}

function render(root, data, caseId, reload) {
  const c = data.case;
  const nodes = [...(data.nodes || [])].sort((a, b) => {
    const ea = a.effective_ms ?? a.corrected_ms ?? a.raw_ms;
    const eb = b.effective_ms ?? b.corrected_ms ?? b.raw_ms;
    return ea - eb || a.seq - b.seq;
  });
  const violations = data.violations || [];
  const violatedKinds = new Set();
  for (const v of violations) for (const word of String(v).split(/\W+/)) violatedKinds.add(word);
  const rows = nodes.map((n) => el('tr', {
    class: `${n.superseded ? 'superseded' : ''}${violatedKinds.has(n.kind) && !n.superseded ? ' violation' : ''}`,
    dataset: { seq: n.seq, kind: n.kind, superseded: n.superseded ? 'true' : 'false' },
  },
  el('td', { class: 'num', text: n.seq }),
  el('td', { class: 'node-name', 'data-label': t('col_node') }, el('span', { text: n.label_zh && getLang() === 'zh' ? n.label_zh : n.label_en || nodeLabel(n.kind) })),
  el('td', { class: 'time-raw', 'data-label': t('col_raw'), text: fmtTime(n.raw_ms) }),
  el('td', { class: 'time-corr', 'data-label': t('col_corrected'), text: n.corrected_ms !== null && n.corrected_ms !== undefined ? fmtTime(n.corrected_ms) : '' }),
  el('td', { 'data-label': t('col_source'), text: sourceLabel(n.source) }),
  el('td', { 'data-label': t('col_actor'), text: n.actor || '' }),
  el('td', { 'data-label': t('col_clock'), text: n.clock ? label('clock', n.clock) : '' }),
  el('td', { 'data-label': t('col_note') },
    n.supersedes ? el('span', { class: 'badge', text: t('corrects_seq', { seq: n.supersedes }) }) : '',
    n.superseded ? el('span', { class: 'badge superseded-badge', text: t('superseded_by_later') }) : '',
    n.note ? ` ${noteText(n.note)}` : '')));
  const intervals = (data.intervals || []).map((iv) => el('tr', {
    class: iv.met === true ? 'met' : iv.met === false ? 'missed' : '',
    dataset: { key: iv.key },
  },
  el('td', { text: bi(iv.label_zh, iv.label_en) }),
  el('td', { class: 'num', text: iv.minutes === null || iv.minutes === undefined ? '—' : fmtNum(iv.minutes, 1) }),
  el('td', { class: 'num', text: iv.target_min ?? '—' }),
  el('td', { text: iv.met === true ? t('met_yes') : iv.met === false ? t('met_no') : '—' }),
  el('td', { class: 'muted', text: missingText(iv.missing) })));
  const alerts = (data.alerts || []).map((a) => el('div', { class: 'case-alert', dataset: { alertId: a.alert_id } },
    el('div', null,
      el('span', { class: `badge tier-${a.tier}`, text: label('tier', a.tier) }),
      el('span', { class: `badge state-${a.state}`, text: label('state', a.state) }),
      ` #${a.alert_id}`),
    el('ol', { class: 'transitions' }, ...(a.transitions || []).map((tr) => el('li', { dataset: { to: tr.to } },
      `${fmtTime(tr.at_ms)} · ${label('state', tr.from)} → ${label('state', tr.to)} · ${tr.actor || ''}${tr.reason ? ` · ${tr.reason}` : ''}${tr.note ? ` · ${tr.note}` : ''}`)))));

  clear(root).append(
    el('div', { class: 'study-head' },
      el('a', { href: '#/worklist', class: 'back', text: t('back') }),
      el('h1', { text: t('case_title', { id: c.case_id }) }),
      el('div', { class: 'study-meta' },
        el('span', { text: c.clinic || '—' }),
        c.patient_id ? el('span', { class: 'pt-id', text: c.patient_id }) : '',
        el('span', { text: `${t('case_opened')}: ${fmtTime(c.opened_ms)}` }),
        el('span', { id: 'case-state', text: `${t('case_state')}: ${label('case_state', c.state)}` }),
        el('span', { id: 'case-outcome', text: `${t('case_outcome')}: ${label('outcome', c.outcome)}` }),
        ...(data.studies || []).map((s) => el('a', { href: `#/study/${s}`, text: `${t('study')} #${s}` })))),
    el('section', { class: 'panel', id: 'panel-timeline' },
      el('h2', { text: t('timeline') }),
      el('table', { class: 'timeline', id: 'timeline' },
        el('thead', null, el('tr', null, ...['col_seq', 'col_node', 'col_raw', 'col_corrected', 'col_source', 'col_actor', 'col_clock', 'col_note'].map((k) => el('th', { text: t(k) })))),
        el('tbody', null, ...rows))),
    el('section', { class: 'panel', id: 'panel-violations' },
      el('h2', { text: t('violations') }),
      violations.length
        ? el('ul', { class: 'violations', id: 'violations' }, ...violations.map((v) => el('li', { class: 'violation', text: violationText(v) })))
        : el('p', { class: 'muted', id: 'violations', text: t('no_violations') })),
    el('section', { class: 'panel', id: 'panel-intervals' },
      el('h2', { text: t('intervals') }),
      el('table', { class: 'intervals', id: 'intervals' },
        el('thead', null, el('tr', null, ...['col_interval', 'col_minutes', 'col_target', 'col_met', 'col_missing'].map((k) => el('th', { text: t(k) })))),
        el('tbody', null, ...intervals))),
    alerts.length ? el('section', { class: 'panel', id: 'panel-transitions' }, el('h2', { text: t('transitions') }), ...alerts) : '',
    nodeRecorder(caseId, reload) || '');
}

export async function showCase(root, caseId) {
  clear(root).append(el('p', { class: 'muted', text: t('loading') }));
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const data = await api('GET', `/api/cases/${encodeURIComponent(caseId)}`);
      if (mine !== seq) return;
      // A live refresh (a change from another user or node) must not wipe what this user is
      // typing into the time-node form: its fields are carried over the re-render.
      const kept = {};
      for (const id of ['node-kind', 'node-at', 'node-supersedes', 'node-note']) {
        const f = root.querySelector(`#${id}`);
        if (f) kept[id] = f.value;
      }
      render(root, data, caseId, load);
      for (const [id, value] of Object.entries(kept)) {
        const f = root.querySelector(`#${id}`);
        if (f && value !== '') f.value = value;
      }
    } catch (e) {
      if (mine !== seq) return;
      clear(root).append(el('p', { class: 'error', text: e.status === 404 ? t('not_found') : t('error', { msg: e.message }) }));
    }
  };
  await load();
  const offCase = on('ws:case', (msg) => {
    if (String(msg.case_id) === String(caseId)) load();
  });
  const offHello = on('ws:hello', () => load());
  const offAlert = on('alert-item', (item) => {
    if (String(item.case_id) === String(caseId)) load();
  });
  return () => {
    offCase();
    offHello();
    offAlert();
  };
}
