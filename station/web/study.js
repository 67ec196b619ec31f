// The study viewer: calibrated 12-lead (3×4 + lead II rhythm strip), the extra leads of 18-lead
// records, median beats with fiducials, measurements with ST elevation highlighted, the automatic
// read in Chinese and English, the serial comparison, and the actions on the study's alerts.

import { api } from './api.js';
import { alertPanel, diagnosisForm, nodeRecorder } from './forms.js';
import { EXTRA_LAYOUT, EXTRA_LEADS, FIDUCIALS, STANDARD_LAYOUT, renderLeadGrid, renderMedian } from './ecg.js';
import { label, t, territoryLabel } from './i18n.js';
import { clear, el, fmtNum, fmtTime } from './util.js';

// Display settings survive navigation between studies.
export const viewSettings = { mmPerS: 25, mmPerMv: 10, zoom: 1 };

function stByLead(analysis) {
  const out = {};
  const f = analysis && analysis.finding;
  if (!f) return out;
  for (const e of f.elevated || []) out[e.lead] = { ...e, elevated: true };
  for (const d of f.depressed || []) if (!out[d.lead]) out[d.lead] = { ...d, depressed: true };
  return out;
}

function section(id, titleKey, ...children) {
  return el('section', { class: 'panel', id }, el('h2', { text: t(titleKey) }), ...children);
}

function select(id, values, current, fmt, onchange) {
  const s = el('select', { id, onchange: () => onchange(Number(s.value)) },
    ...values.map((v) => el('option', { value: v, text: fmt(v) })));
  s.value = String(current);
  return s;
}

function autoRead(analysis) {
  if (!analysis) return el('p', { class: 'muted', text: t('no_analysis') });
  const f = analysis.finding || {};
  const list = (key, items, fmt = (x) => x) =>
    items && items.length ? el('div', { class: 'kv' }, el('span', { class: 'k', text: t(key) }), el('span', { class: 'v', text: items.map(fmt).join('、') })) : '';
  const problems = analysis.quality && analysis.quality.problems ? analysis.quality.problems : [];
  return el('div', { class: 'auto-read' },
    el('div', { class: 'read-head' },
      f.tier ? el('span', { class: `badge tier-${f.tier}`, text: label('tier', f.tier) }) : '',
      el('span', { class: `badge cat-${f.category}`, id: 'read-category', text: label('cat', f.category) })),
    el('div', { class: 'read-text' },
      el('div', { class: 'read-zh', id: 'read-zh', lang: 'zh-CN' }, el('span', { class: 'k', text: t('auto_read_zh') }), ' ', f.explanation_zh || '—'),
      el('div', { class: 'read-en', id: 'read-en', lang: 'en' }, el('span', { class: 'k', text: t('auto_read_en') }), ' ', f.explanation_en || '—')),
    list('territories', f.territories, territoryLabel),
    list('culprit', f.culprit_hints),
    list('confounders', f.confounders, (c) => (typeof c === 'string' ? label('conf', c) : c.reason || c.kind || JSON.stringify(c))),
    list('notes', f.notes),
    // Folded by default: the statements repeat the read as codes, and the ECG below is what the
    // eye should reach first.
    f.statements && f.statements.length
      ? el('details', { class: 'kv statements', id: 'read-statements' },
        el('summary', { class: 'k', text: `${t('statements')} (${f.statements.length})` }),
        el('ul', null, ...f.statements.map((s) => el('li', { 'data-code': s.code },
          el('code', { text: s.code }), ' ',
          el('span', { lang: 'zh-CN', text: s.text_zh }), ' · ',
          el('span', { lang: 'en', class: 'muted', text: s.text_en })))))
      : '',
    problems.length
      ? el('div', { class: 'kv quality' }, el('span', { class: 'k', text: t('quality_problems') }),
        el('ul', null, ...problems.map((p) => el('li', { text: `${p.lead ? `${p.lead}: ` : ''}${p.kind} — ${p.detail}` }))))
      : '');
}

function measurementTable(study, analysis, previous) {
  const m = analysis && analysis.measurements;
  if (!m) return el('p', { class: 'muted', text: t('no_analysis') });
  const st = stByLead(analysis);
  const per = m.per_lead || {};
  const leads = (analysis.leads || study.leads || Object.keys(per)).filter((l) => per[l]);
  const late = Object.values(per).find((p) => p && p.st_late_offset_ms)?.st_late_offset_ms ?? 60;
  const prev = previous && previous.st ? previous.st : null;
  const head = ['lead', 'st_j', 'st_late', 'q_amp', 'r_amp', 's_amp', 't_amp', 'threshold'];
  if (prev) head.push('prev_st_j', 'delta_st');
  const globals = el('div', { class: 'globals', id: 'globals' },
    ...[
      ['hr', fmtNum(m.heart_rate_bpm, 0), 'bpm', 'g-hr'],
      ['pr', fmtNum(m.pr_ms, 0), 'ms', 'g-pr'],
      ['qrs', fmtNum(m.qrs_duration_ms, 0), 'ms', 'g-qrs'],
      ['qt', fmtNum(m.qt_ms, 0), 'ms', 'g-qt'],
      ['qtc', fmtNum(m.qtc_ms, 0), 'ms', 'g-qtc'],
      ['axis', fmtNum(m.qrs_axis_deg, 0), '°', 'g-axis'],
    ].map(([k, v, unit, id]) => el('div', { class: 'global', id }, el('span', { class: 'k', text: t(k) }), el('span', { class: 'v', text: `${v} ${unit}` }))));
  const rows = leads.map((lead) => {
    const p = per[lead];
    const s = st[lead];
    const cls = s && s.elevated ? 'st-elev' : s && s.depressed ? 'st-dep' : '';
    const cells = [
      el('th', { text: lead }),
      el('td', { class: 'num st-j', text: fmtNum(p.st_j_uv, 0) }),
      el('td', { class: 'num', text: fmtNum(p.st_j60_uv, 0) }),
      el('td', { class: 'num', text: fmtNum(p.q_amplitude_uv, 0) }),
      el('td', { class: 'num', text: fmtNum(p.r_amplitude_uv, 0) }),
      el('td', { class: 'num', text: fmtNum(p.s_amplitude_uv, 0) }),
      el('td', { class: 'num', text: fmtNum(p.t_amplitude_uv, 0) }),
      el('td', { class: 'num', text: s ? fmtNum(s.threshold_uv, 0) : '' }),
    ];
    if (prev) {
      const q = prev[lead];
      cells.push(el('td', { class: 'num', text: q ? fmtNum(q.st_j_uv, 0) : '—' }));
      cells.push(el('td', { class: 'num delta', text: q && Number.isFinite(p.st_j_uv) ? fmtNum(p.st_j_uv - q.st_j_uv, 0) : '—' }));
    }
    return el('tr', { class: `${cls}${p.analysable === false ? ' not-analysable' : ''}`, dataset: { lead } }, ...cells);
  });
  return el('div', null, globals,
    el('table', { class: 'measure', id: 'measurements' },
      el('thead', null, el('tr', null, ...head.map((k) => el('th', { text: t(k, { ms: late }) })))),
      el('tbody', null, ...rows)));
}

function serialPanel(previous) {
  if (!previous) return el('p', { class: 'muted', id: 'serial', text: t('serial_none') });
  return el('p', { id: 'serial' },
    el('a', { href: `#/study/${previous.study_id}`, text: t('serial_prev', { id: previous.study_id, at: fmtTime(previous.acquired_ms) }) }));
}

export async function showStudy(root, studyId, params) {
  clear(root).append(el('p', { class: 'muted', text: t('loading') }));
  const disposers = [];
  let data;
  let samples = null;
  let samplesError = null;
  try {
    [data, samples] = await Promise.all([
      api('GET', `/api/studies/${encodeURIComponent(studyId)}`),
      api('GET', `/api/studies/${encodeURIComponent(studyId)}/samples`).catch((e) => {
        samplesError = e;
        return null;
      }),
    ]);
  } catch (e) {
    clear(root).append(el('p', { class: 'error', text: e.status === 404 ? t('not_found') : t('error', { msg: e.message }) }));
    return () => {};
  }
  const { study, analysis, median, previous } = data;
  const caseId = data.case_id ?? study.case_id ?? null;
  const st = stByLead(analysis);
  const lateMs = analysis && analysis.measurements && analysis.measurements.per_lead
    ? Object.values(analysis.measurements.per_lead)[0]?.st_late_offset_ms ?? 60 : 60;

  const viewer = el('div', { class: 'ecg-scroll', id: 'ecg-12-wrap' });
  const extra = el('div', { class: 'ecg-scroll', id: 'ecg-extra-wrap' });
  const medianWrap = el('div', { class: 'ecg-scroll', id: 'ecg-median-wrap' });
  const extraLeads = samples ? samples.leads.filter((l) => EXTRA_LEADS.includes(l)) : [];

  function draw() {
    const opts = { ...viewSettings, stByLead: st };
    if (samples && samples.samples_uv && samples.samples_uv.length) {
      const d = { fs: samples.sample_rate_hz, leads: samples.leads, samples: samples.samples_uv };
      viewer.replaceChildren(renderLeadGrid(d, { ...opts, id: 'ecg-12', layout: STANDARD_LAYOUT, rhythmLead: samples.leads.includes('II') ? 'II' : samples.leads[0] }));
      if (extraLeads.length) {
        const layout = EXTRA_LAYOUT.map((r) => r.filter((l) => extraLeads.includes(l))).filter((r) => r.length);
        extra.replaceChildren(renderLeadGrid(d, { ...opts, id: 'ecg-extra', layout }));
      }
    } else {
      viewer.replaceChildren(el('p', { class: 'muted', text: samplesError ? t('error', { msg: samplesError.message }) : t('no_samples') }));
    }
    if (median && median.samples_uv && median.samples_uv.length) {
      medianWrap.replaceChildren(renderMedian(median, { ...opts, mmPerS: viewSettings.mmPerS * 2, id: 'ecg-median', lateOffsetMs: lateMs }));
    } else {
      medianWrap.replaceChildren(el('p', { class: 'muted', text: t('no_median') }));
    }
  }

  const controls = el('div', { class: 'toolbar ecg-controls' },
    el('label', null, t('speed'), ' ', select('ecg-speed', [25, 50], viewSettings.mmPerS, (v) => t('mm_per_s', { v }), (v) => { viewSettings.mmPerS = v; draw(); })),
    el('label', null, t('gain'), ' ', select('ecg-gain', [5, 10, 20], viewSettings.mmPerMv, (v) => t('mm_per_mv', { v }), (v) => { viewSettings.mmPerMv = v; draw(); })),
    el('label', null, t('zoom'), ' ', select('ecg-zoom', [0.75, 1, 1.5, 2], viewSettings.zoom, (v) => `${v}×`, (v) => { viewSettings.zoom = v; draw(); })),
    samples && samples.derived && samples.derived.length ? el('span', { class: 'muted', text: t('derived_leads', { leads: samples.derived.join(', ') }) }) : '');

  const alertsBox = el('div', { class: 'alerts', id: 'study-alerts' });
  for (const a of data.alerts || []) {
    const panel = alertPanel({ ...a, study_id: study.study_id });
    if (params.get('alert') === String(a.alert_id)) panel.node.classList.add('focused');
    alertsBox.append(panel.node);
    disposers.push(panel.dispose);
  }

  const age = study.age_years === null || study.age_years === undefined ? '' : t('years', { n: study.age_years });
  const header = el('div', { class: 'study-head' },
    el('a', { href: '#/worklist', class: 'back', text: t('back') }),
    el('h1', { text: `${t('study')} #${study.study_id}` }),
    el('div', { class: 'study-meta' },
      el('span', { text: study.clinic || '—' }),
      el('span', { text: [study.sex ? label('sex', study.sex) : '', age].filter(Boolean).join(' ') || '—' }),
      study.chest_pain ? el('span', { class: 'badge chest-pain', text: t('chest_pain') }) : '',
      study.patient_id ? el('span', { class: 'pt-id', text: study.patient_id }) : '',
      el('span', { text: `${t('acquired')}: ${fmtTime(study.acquired_ms)}` }),
      el('span', { class: 'muted', text: `${study.device_id} · ${study.study_uid}` }),
      caseId ? el('a', { href: `#/case/${caseId}`, id: 'open-case', text: t('open_case') }) : ''));

  const legend = el('div', { class: 'fid-legend' },
    ...FIDUCIALS.map(([cls, key]) => el('span', { class: `legend-item ${cls}` }, el('span', { class: 'swatch' }), t(key))));

  clear(root).append(
    header,
    el('div', { class: 'study-top' },
      section('panel-alerts', 'alerts', alertsBox),
      section('panel-read', 'auto_read', autoRead(analysis))),
    section('panel-ecg', 'twelve_lead', controls, viewer),
    extraLeads.length ? section('panel-extra', 'extra_leads', extra) : '',
    section('panel-median', 'median_beats', legend, medianWrap),
    section('panel-measure', 'measurements', measurementTable(study, analysis, previous)),
    section('panel-serial', 'serial', serialPanel(previous)),
    diagnosisForm(study.study_id) || '',
    caseId ? nodeRecorder(caseId) || '' : '');
  draw();
  return () => disposers.forEach((d) => d());
}
