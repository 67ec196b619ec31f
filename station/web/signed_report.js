// The signed report of a study (issue 15): the automatic read confirmed as it is, or amended as
// coded statements from the read's own vocabulary plus free text, signed by the cardiologist with
// the server's time. Reports are append-only: a correction is a newer report, the earlier ones
// stay listed as superseded. Everyone reads them; only a cardiologist signs.

import { api, on } from './api.js';
import { canDiagnose, errorText } from './actions.js';
import { getLang, label, t } from './i18n.js';
import { el, fmtTime } from './util.js';

let vocabularyPromise = null;
function vocabulary() {
  if (!vocabularyPromise) {
    vocabularyPromise = api('GET', '/api/statements').then((r) => r.statements, (e) => {
      vocabularyPromise = null;
      throw e;
    });
  }
  return vocabularyPromise;
}

// Lead names as the server takes them (dsp::canonical_lead_name), matched without case.
const LEADS = ['I', 'II', 'III', 'aVR', '-aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6',
  'V7', 'V8', 'V9', 'V3R', 'V4R', 'V5R'];
const leadName = (text) => LEADS.find((l) => l.toLowerCase() === text.replace('−', '-').toLowerCase()) || null;

const words = (s) => (getLang() === 'zh' ? s.text_zh || s.text_en : s.text_en || s.text_zh);
// Standard codes (STE_, IMI…) are shown; the station's own snake_case codes stay in the title.
const shownCode = (code) => (/^[A-Z0-9_]+$/.test(code) ? el('code', { text: code }) : '');
const leadsOf = (s) => (Array.isArray(s.leads) ? s.leads : []);

// A statement in both languages, the reader's first.
function statementText(s) {
  const zh = el('span', { lang: 'zh-CN', class: 'st-zh', text: s.text_zh });
  const en = el('span', { lang: 'en', class: 'st-en muted', text: s.text_en });
  return getLang() === 'zh' ? [shownCode(s.code), ' ', zh, ' · ', en] : [shownCode(s.code), ' ', en, ' · ', zh];
}

function signerText(r) {
  const who = r.signer_display_name ? `${r.signer_display_name}（${r.signer}）` : r.signer;
  return t('report_signed_by', { who, at: fmtTime(r.signed_ms) });
}

function reportEntry(r) {
  return el('article', {
    class: `report-entry${r.current ? ' current' : ' superseded'}`,
    dataset: { seq: r.event_seq, basis: r.basis, current: r.current ? 'true' : 'false' },
  },
  el('div', { class: 'report-head' },
    el('span', { class: `badge basis-${r.basis}`, text: label('basis', r.basis) }),
    el('span', { class: `badge ${r.current ? 'report-current' : 'superseded-badge'}`, text: t(r.current ? 'report_current' : 'report_superseded') }),
    el('span', { class: 'report-signer', text: signerText(r) })),
  r.statements && r.statements.length
    // Statements the reader added (not the read's) are marked as such.
    ? el('ul', { class: 'report-statements' }, ...r.statements.map((s) => el('li', { 'data-code': s.code, title: s.code }, ...statementText(s),
      s.from_read ? '' : el('span', { class: 'badge st-origin', text: t('report_by_reader') }))))
    : '',
  r.text ? el('p', { class: 'report-text' }, el('span', { class: 'k', text: `${t('report_comment')}：` }), el('span', { text: r.text })) : '');
}

export function reportPanel(studyId, analysis, initialReports) {
  let reports = [...(initialReports || [])];
  const history = el('div', { class: 'report-history', id: 'report-history' });
  const renderHistory = () => {
    history.replaceChildren(reports.length
      ? el('div', null, el('h3', { text: t('report_history') }), ...reports.map(reportEntry))
      : el('p', { class: 'muted', id: 'report-none', text: t('report_none') }));
  };
  renderHistory();
  // A report signed elsewhere (another cardiologist, another station) is listed at once; a
  // reconnect refetches. The form and what is typed in it stay as they are.
  let seq = 0;
  const refetch = async () => {
    const mine = ++seq;
    try {
      const res = await api('GET', `/api/studies/${encodeURIComponent(studyId)}/diagnosis`);
      if (mine !== seq) return;
      reports = res.reports || [];
      renderHistory();
    } catch {
      // the next message or reconnect tries again
    }
  };
  const offReport = on('ws:report', (m) => {
    if (String(m.study_id) === String(studyId) && !reports.some((r) => r.event_seq === m.event_seq)) refetch();
  });
  const offHello = on('ws:hello', refetch);
  const dispose = () => {
    offReport();
    offHello();
  };
  const panel = el('section', { class: 'panel', id: 'panel-report' }, el('h2', { text: t('report_title') }), history);
  if (!canDiagnose()) return { node: panel, dispose };

  // What the read says, one checkbox per statement (all kept to begin with).
  const read = (analysis && analysis.finding && analysis.finding.statements) || [];
  const readBoxes = read.map((s, i) => el('input', { type: 'checkbox', checked: true, id: `report-keep-${i}`, class: 'report-keep', dataset: { code: s.code } }));
  const readList = read.length
    ? el('ul', { class: 'report-choices', id: 'report-read' }, ...read.map((s, i) => el('li', { title: s.code },
      el('label', { for: `report-keep-${i}` }, readBoxes[i], ' ', ...statementText(s)))))
    : el('p', { class: 'muted', text: t('report_no_read_statements') });

  // Statements the reader adds from the vocabulary, each with optional leads.
  const added = [];
  const addedList = el('ul', { class: 'report-choices', id: 'report-added' });
  const renderAdded = () => {
    addedList.replaceChildren(...added.map((s, i) => el('li', { 'data-code': s.code, title: s.code },
      el('span', null, shownCode(s.code), ' ', words(s), s.leads.length ? ` ${s.leads.join(getLang() === 'zh' ? '、' : ', ')}` : ''), ' ',
      el('button', { class: 'btn btn-link report-remove', type: 'button', text: t('report_remove'), onclick: () => { added.splice(i, 1); renderAdded(); } }))));
  };
  const search = el('input', { type: 'search', id: 'report-search', placeholder: t('report_search'), 'aria-label': t('report_search'), autocomplete: 'off' });
  const choose = el('select', { id: 'report-vocab', 'aria-label': t('report_add') }, el('option', { value: '', text: t('report_choose') }));
  const leads = el('input', { type: 'text', id: 'report-leads', placeholder: t('report_leads'), 'aria-label': t('report_leads'), autocomplete: 'off' });
  let entries = [];
  const fillChoices = () => {
    const q = search.value.trim().toLowerCase();
    const shown = entries.filter((e) => e.addable && (!q || e.code.toLowerCase().includes(q) ||
      e.text_en.toLowerCase().includes(q) || e.text_zh.includes(q)));
    choose.replaceChildren(el('option', { value: '', text: t('report_choose') }),
      ...shown.map((e) => el('option', { value: e.code, text: `${words(e)}${/^[A-Z0-9_]+$/.test(e.code) ? ` [${e.code}]` : ''}` })));
    if (shown.length === 1) choose.value = shown[0].code;
  };
  search.addEventListener('input', fillChoices);
  vocabulary().then((v) => {
    entries = v;
    fillChoices();
  }, (e) => {
    msg.textContent = errorText(e);
    msg.className = 'form-msg error';
  });
  const addButton = el('button', {
    class: 'btn', type: 'button', id: 'report-add', text: t('report_add_button'),
    onclick: () => {
      const entry = entries.find((e) => e.code === choose.value);
      if (!entry) return;
      const typed = leads.value.split(/[\s,，、;；]+/).filter(Boolean);
      const unknown = typed.filter((l) => !leadName(l));
      if (unknown.length) return fail('report_err_bad_leads', { leads: unknown.join(' ') });
      const named = [...new Set(typed.map(leadName))];
      added.push({ ...entry, leads: entry.takes_leads ? named : [] });
      leads.value = '';
      msg.textContent = '';
      renderAdded();
      return null;
    },
  });

  const text = el('textarea', { class: 'diagnosis-text', id: 'diagnosis-text', rows: 3, 'aria-label': t('report_text'), placeholder: t('report_text') });
  const msg = el('div', { class: 'form-msg', role: 'status', id: 'report-msg' });
  const confirmButton = el('button', { class: 'btn report-confirm', type: 'button', id: 'report-confirm', text: t('report_confirm'), disabled: !read.length });
  const signButton = el('button', { class: 'btn btn-primary', type: 'button', id: 'diagnosis-save', text: t('report_sign') });
  const fail = (key, params) => {
    msg.textContent = t(key, params);
    msg.className = 'form-msg error';
  };
  const sign = async (body) => {
    confirmButton.disabled = true;
    signButton.disabled = true;
    msg.textContent = '';
    try {
      const res = await api('POST', `/api/studies/${encodeURIComponent(studyId)}/diagnosis`, body);
      if (!reports.some((r) => r.event_seq === res.event_seq)) {
        reports = [res.report, ...reports.map((r) => (r.current ? { ...r, current: false, superseded_by: res.report.event_seq } : r))];
        renderHistory();
      }
      msg.textContent = `${t('report_signed')} #${res.event_seq} · ${signerText(res.report)}`;
      msg.className = 'form-msg ok';
      text.value = '';
    } catch (e) {
      const key = `report_err_${e.code}`;
      if (e.status === 400 && ['unknown_statement', 'basis_mismatch'].includes(e.code)) fail(key);
      else fail('action_failed', { msg: e.message });
    } finally {
      confirmButton.disabled = !read.length;
      signButton.disabled = false;
    }
  };
  confirmButton.addEventListener('click', () => {
    if (readBoxes.some((b) => !b.checked) || added.length) return fail('report_confirm_changed');
    const body = { basis: 'confirmed' };
    if (text.value.trim()) body.text = text.value.trim();
    sign(body);
  });
  signButton.addEventListener('click', () => {
    const statements = [
      ...read.filter((s, i) => readBoxes[i].checked).map((s) => ({ code: s.code, leads: leadsOf(s) })),
      ...added.map((s) => ({ code: s.code, leads: s.leads })),
    ];
    if (!statements.length && !text.value.trim()) return fail('report_empty');
    const body = { basis: 'amended', statements };
    if (text.value.trim()) body.text = text.value.trim();
    sign(body);
  });

  panel.append(el('fieldset', { class: 'diagnosis report-form', id: 'report-form' },
    el('legend', { text: t('report_compose') }),
    el('h3', { text: t('report_from_read') }), readList,
    el('h3', { text: t('report_added') }), addedList,
    el('div', { class: 'report-add-row' },
      el('label', { class: 'sr-only', for: 'report-search', text: t('report_search') }), search, choose, leads, addButton),
    text,
    el('div', { class: 'form-row report-buttons' }, confirmButton, signButton),
    msg));
  return { node: panel, dispose };
}
