// The study viewer: calibrated 12-lead (3×4 + lead II rhythm strip), the extra leads of 18-lead
// records, median beats with fiducials, measurements with ST elevation highlighted, the automatic
// read in Chinese and English, the serial comparison, the actions on the study's alerts and the
// signed report.

import { api } from './api.js';
import { alertPanel, nodeRecorder } from './forms.js';
import { reportPanel } from './signed_report.js';
import {
  EXTRA_LAYOUT, EXTRA_LEADS, FIDUCIALS, PORTRAIT_LAYOUT, STANDARD_LAYOUT, applyZoom, clientToMm, fitZoom,
  renderLeadGrid, renderMedian,
} from './ecg.js';
import { getLang, has, humanize, label, t, territoryLabel } from './i18n.js';
import { clear, el, fmtNum, fmtTime, svg as svgEl } from './util.js';

// Display settings survive navigation between studies. zoom: 'fit' (the screen) or a factor.
export const viewSettings = { mmPerS: 25, mmPerMv: 10, zoom: 'fit' };

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
      el('div', { class: 'read-zh', id: 'read-zh', lang: 'zh-CN' }, el('span', { class: 'k', text: t('auto_read_zh') }), ' ', humanize(f.explanation_zh, 'zh') || '—'),
      el('div', { class: 'read-en', id: 'read-en', lang: 'en' }, el('span', { class: 'k', text: t('auto_read_en') }), ' ', humanize(f.explanation_en, 'en') || '—')),
    list('territories', f.territories, territoryLabel),
    // The Chinese culprit hints are the "；提示：" clauses of the Chinese read, in the same order.
    list('culprit', (() => {
      const zh = String(f.explanation_zh || '').split('；提示：').slice(1);
      return getLang() === 'zh' && f.culprit_hints && zh.length === f.culprit_hints.length ? zh : f.culprit_hints;
    })()),
    list('confounders', f.confounders, (c) => (typeof c === 'string' ? label('conf', c) : c.reason || c.kind || JSON.stringify(c))),
    list('notes', f.notes, humanize),
    // Folded by default: the statements repeat the read as codes, and the ECG below is what the
    // eye should reach first.
    f.statements && f.statements.length
      ? el('details', { class: 'kv statements', id: 'read-statements' },
        el('summary', { class: 'k', text: `${t('statements')} (${f.statements.length})` }),
        // Standard codes (STE_, ASMI…) are shown; the station's own snake_case codes stay in
        // the title, not in the reader's text.
        el('ul', null, ...f.statements.map((s) => el('li', { 'data-code': s.code, title: s.code },
          /^[A-Z0-9_]+$/.test(s.code) ? el('code', { text: s.code }) : '', ' ',
          el('span', { lang: 'zh-CN', text: s.text_zh }), ' · ',
          el('span', { lang: 'en', class: 'muted', text: s.text_en })))))
      : '',
    problems.length
      ? el('div', { class: 'kv quality' }, el('span', { class: 'k', text: t('quality_problems') }),
        el('ul', null, ...problems.map((p) => el('li', {
          'data-kind': p.kind,
          title: p.detail || '',
          text: `${p.lead ? `${p.lead}: ` : ''}${has(`qp_${p.kind}`) ? t(`qp_${p.kind}`) : t('qp_other')}${getLang() === 'en' && p.detail ? ` — ${p.detail}` : ''}`,
        }))))
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
  const readText = analysis && analysis.finding
    ? (getLang() === 'zh' ? analysis.finding.explanation_zh : analysis.finding.explanation_en) || ''
    : '';
  const zoomNote = el('span', { class: 'muted zoom-note', id: 'ecg-zoom-note' });
  const caliperOut = el('span', { class: 'caliper-readout', id: 'caliper-readout', role: 'status', 'aria-live': 'polite' });
  // Calipers: two points in the drawing's millimetres (so they survive zooming); null when off.
  let calipers = null;
  let zoomNow = 1;
  let layoutKey = '';

  const shortLandscape = () => window.innerWidth > window.innerHeight && window.innerHeight < 600;
  const portrait = () => window.innerHeight > window.innerWidth && (viewer.clientWidth || window.innerWidth) < 700;

  function ecgSvgs() {
    return [...root.querySelectorAll('#ecg-12, #ecg-extra')];
  }

  function setZoom(z) {
    zoomNow = z;
    for (const svgNode of ecgSvgs()) applyZoom(svgNode, z);
    zoomNote.textContent = `${Math.round(z * 100)}%`;
  }

  function drawCalipers() {
    const svg12 = root.querySelector('#ecg-12');
    if (!svg12) return;
    svg12.classList.toggle('caliper-on', calipers !== null);
    svg12.querySelector('.caliper')?.remove();
    if (!calipers) {
      caliperOut.textContent = '';
      return;
    }
    const g = svgEl('g', { class: 'caliper' });
    const h = Number(svg12.dataset.heightMm);
    const w = Number(svg12.dataset.widthMm);
    for (const p of calipers) {
      g.append(svgEl('path', { class: 'caliper-line', d: `M${p.x} 0V${h}M0 ${p.y}H${w}`, 'vector-effect': 'non-scaling-stroke', 'stroke-dasharray': '4 3' }));
      g.append(svgEl('circle', { class: 'caliper-dot', cx: p.x, cy: p.y, r: 0.8 }));
    }
    svg12.append(g);
    if (calipers.length < 2) {
      caliperOut.textContent = t('caliper_hint');
      delete caliperOut.dataset.ms;
      delete caliperOut.dataset.mv;
      return;
    }
    const [a, b] = calipers;
    const ms = (Math.abs(b.x - a.x) / viewSettings.mmPerS) * 1000;
    const mv = (a.y - b.y) / viewSettings.mmPerMv;  // up is positive
    caliperOut.dataset.ms = ms.toFixed(1);
    caliperOut.dataset.mv = mv.toFixed(3);
    caliperOut.textContent = t('caliper_result', { ms: Math.round(ms), bpm: ms > 0 ? Math.round(60000 / ms) : '—', mv: mv.toFixed(2) });
  }

  function draw() {
    const opts = { ...viewSettings, zoom: 1, stByLead: st };
    const upright = portrait();
    const key = `${upright}|${viewSettings.mmPerS}|${viewSettings.mmPerMv}`;
    if (key !== layoutKey && calipers) calipers = [];
    layoutKey = key;
    if (samples && samples.samples_uv && samples.samples_uv.length) {
      const d = { fs: samples.sample_rate_hz, leads: samples.leads, samples: samples.samples_uv };
      const svg12 = renderLeadGrid(d, {
        ...opts,
        id: 'ecg-12',
        layout: upright ? PORTRAIT_LAYOUT : STANDARD_LAYOUT,
        rhythmLead: samples.leads.includes('II') ? 'II' : samples.leads[0],
        rhythmMaxS: upright ? 5 : undefined,
      });
      svg12.setAttribute('aria-label', t('ecg_alt', { speed: viewSettings.mmPerS, gain: viewSettings.mmPerMv, read: readText }));
      viewer.replaceChildren(svg12);
      if (extraLeads.length) {
        // Landscape: a posterior row and a right-sided row; upright: a column of each, as wide
        // as the 12 leads' 6×2.
        const rows = EXTRA_LAYOUT.map((r) => r.filter((l) => extraLeads.includes(l))).filter((r) => r.length);
        const note = (leads) => (leads.some((l) => l.endsWith('R')) ? t('territory_right') : t('territory_posterior'));
        const layout = upright ? Array.from({ length: Math.max(...rows.map((r) => r.length)) }, (_, i) => rows.map((r) => r[i] || '')) : rows;
        const svgX = renderLeadGrid(d, upright
          ? { ...opts, id: 'ecg-extra', layout, colNotes: rows.map(note) }
          : { ...opts, id: 'ecg-extra', layout, rowNotes: rows.map(note) });
        svgX.setAttribute('aria-label', t('extra_leads'));
        extra.replaceChildren(svgX);
      }
      const z = viewSettings.zoom === 'fit'
        ? fitZoom(svg12, viewer.clientWidth || window.innerWidth - 32, shortLandscape() ? window.innerHeight - 4 : null)
        : viewSettings.zoom;
      setZoom(z);
      drawCalipers();
    } else {
      viewer.replaceChildren(el('p', { class: 'muted', text: samplesError ? t('error', { msg: samplesError.message }) : t('no_samples') }));
    }
    if (median && median.samples_uv && median.samples_uv.length) {
      const m = renderMedian(median, { ...opts, mmPerS: viewSettings.mmPerS * 2, id: 'ecg-median', lateOffsetMs: lateMs, columns: upright ? 2 : undefined });
      m.setAttribute('aria-label', t('median_beats'));
      medianWrap.replaceChildren(m);
      applyZoom(m, viewSettings.zoom === 'fit' ? fitZoom(m, medianWrap.clientWidth || window.innerWidth - 32) : viewSettings.zoom);
    } else {
      medianWrap.replaceChildren(el('p', { class: 'muted', text: t('no_median') }));
    }
  }

  // Pinch (two fingers) and ctrl + wheel (a trackpad pinch) zoom the tracing; one finger pans
  // (the container scrolls); with the calipers on, a tap sets a caliper point.
  const pointers = new Map();
  let pinch = null;
  viewer.addEventListener('pointerdown', (ev) => {
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pointers.size === 2) {
      const [p, q] = [...pointers.values()];
      pinch = { dist: Math.hypot(p.x - q.x, p.y - q.y) || 1, zoom: zoomNow };
    }
  });
  viewer.addEventListener('pointermove', (ev) => {
    if (!pointers.has(ev.pointerId)) return;
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pinch && pointers.size === 2) {
      const [p, q] = [...pointers.values()];
      const z = Math.min(4, Math.max(0.2, pinch.zoom * (Math.hypot(p.x - q.x, p.y - q.y) / pinch.dist)));
      viewSettings.zoom = z;
      setZoom(z);
      zoomSel.value = '';
    }
  });
  const lift = (ev) => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
  };
  viewer.addEventListener('pointerup', lift);
  viewer.addEventListener('pointercancel', lift);
  viewer.addEventListener('wheel', (ev) => {
    if (!ev.ctrlKey) return;
    ev.preventDefault();
    const z = Math.min(4, Math.max(0.2, zoomNow * Math.exp(-ev.deltaY * 0.002)));
    viewSettings.zoom = z;
    setZoom(z);
    zoomSel.value = '';
  }, { passive: false });
  viewer.addEventListener('click', (ev) => {
    if (calipers === null) return;
    const svg12 = ev.target.closest && ev.target.closest('#ecg-12');
    if (!svg12) return;
    const p = clientToMm(svg12, ev.clientX, ev.clientY);
    calipers = calipers.length >= 2 ? [p] : [...calipers, p];
    drawCalipers();
  });
  const caliperBtn = el('button', {
    class: 'btn',
    type: 'button',
    id: 'caliper-toggle',
    'aria-pressed': 'false',
    text: t('caliper'),
    onclick: () => {
      calipers = calipers === null ? [] : null;
      caliperBtn.classList.toggle('active', calipers !== null);
      caliperBtn.setAttribute('aria-pressed', String(calipers !== null));
      drawCalipers();
    },
  });

  const zoomSel = el('select', { id: 'ecg-zoom', onchange: () => {
    if (!zoomSel.value) return;
    viewSettings.zoom = zoomSel.value === 'fit' ? 'fit' : Number(zoomSel.value);
    draw();
  } },
  el('option', { value: 'fit', text: t('zoom_fit') }),
  ...[0.5, 0.75, 1, 1.5, 2].map((v) => el('option', { value: String(v), text: `${v}×` })),
  el('option', { value: '', text: '—', hidden: true }));
  zoomSel.value = viewSettings.zoom === 'fit' ? 'fit' : [0.5, 0.75, 1, 1.5, 2].includes(viewSettings.zoom) ? String(viewSettings.zoom) : '';

  const controls = el('div', { class: 'toolbar ecg-controls' },
    el('label', null, t('speed'), ' ', select('ecg-speed', [25, 50], viewSettings.mmPerS, (v) => t('mm_per_s', { v }), (v) => { viewSettings.mmPerS = v; draw(); })),
    el('label', null, t('gain'), ' ', select('ecg-gain', [5, 10, 20], viewSettings.mmPerMv, (v) => t('mm_per_mv', { v }), (v) => { viewSettings.mmPerMv = v; draw(); })),
    el('label', null, t('zoom'), ' ', zoomSel),
    zoomNote,
    caliperBtn,
    caliperOut,
    samples && samples.derived && samples.derived.length ? el('span', { class: 'muted', text: t('derived_leads', { leads: samples.derived.join(', ') }) }) : '');

  const alertsBox = el('div', { class: 'alerts', id: 'study-alerts' });
  for (const a of data.alerts || []) {
    const panel = alertPanel({ ...a, study_id: study.study_id });
    if (params.get('alert') === String(a.alert_id)) panel.node.classList.add('focused');
    alertsBox.append(panel.node);
    disposers.push(panel.dispose);
  }

  const report = reportPanel(study.study_id, analysis, data.reports);
  disposers.push(report.dispose);

  const age = study.age_years === null || study.age_years === undefined ? '' : t('years', { n: study.age_years });
  const header = el('div', { class: 'study-head' },
    el('a', { href: '#/worklist', class: 'back', text: t('back') }), ' ',
    el('h1', { text: `${t('study')} #${study.study_id}` }),
    el('span', { class: 'study-meta' },
      el('span', { text: study.clinic || '—' }),
      el('span', { text: [study.sex ? label('sex', study.sex) : '', age].filter(Boolean).join(' ') || '—' }),
      study.chest_pain ? el('span', { class: 'badge chest-pain', text: t('chest_pain') }) : '',
      study.patient_id ? el('span', { class: 'pt-id', text: study.patient_id }) : '',
      el('span', { text: `${t('acquired')}: ${fmtTime(study.acquired_ms)}` }),
      study.source ? el('span', { class: 'muted', id: 'study-source', translate: 'no',
        text: `${t('source_file')}: ${[study.source.format, study.source.file,
          [study.source.manufacturer, study.source.model].filter(Boolean).join(' '),
          study.source.software].filter(Boolean).join(' · ')}` }) : '',
      el('span', { class: 'muted', 'data-ident': '', translate: 'no', text: `${study.device_id} · ${study.study_uid}` }),
      caseId ? el('a', { href: `#/case/${caseId}`, id: 'open-case', text: t('open_case') }) : ''));

  const legend = el('div', { class: 'fid-legend' },
    ...FIDUCIALS.map(([cls, key]) => el('span', { class: `legend-item ${cls}` }, el('span', { class: 'swatch' }), t(key))));

  // On a desktop the tracing is what the eye lands on (first, left), the alert actions and the
  // read beside it; on a phone the tracing first, then the actions.
  clear(root).append(
    header,
    el('div', { class: 'study-layout' },
      el('section', { class: 'panel', id: 'panel-ecg' },
        el('h2', { text: t('twelve_lead') }), controls, viewer,
        extraLeads.length ? el('div', { class: 'extra-leads', id: 'panel-extra' }, el('h3', { text: t('extra_leads') }), extra) : ''),
      el('div', { class: 'study-side' },
        section('panel-alerts', 'alerts', alertsBox),
        section('panel-read', 'auto_read', autoRead(analysis))),
      section('panel-median', 'median_beats', legend, medianWrap),
      section('panel-measure', 'measurements', measurementTable(study, analysis, previous)),
      section('panel-serial', 'serial', serialPanel(previous)),
      report.node,
      caseId ? nodeRecorder(caseId) || '' : ''));
  draw();
  if (shortLandscape()) root.querySelector('#ecg-12')?.scrollIntoView({ block: 'start' });
  // Turning the phone or resizing the window re-fits the tracing.
  let pending = 0;
  const onResize = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      draw();
      if (shortLandscape()) root.querySelector('#ecg-12')?.scrollIntoView({ block: 'start' });
    });
  };
  window.addEventListener('resize', onResize);
  disposers.push(() => window.removeEventListener('resize', onResize));
  return () => disposers.forEach((d) => d());
}
