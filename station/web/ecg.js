// Calibrated ECG drawing in SVG.
//
// Geometry: every ECG SVG uses millimetres as user units (viewBox in mm) and is sized to
// W_mm × PX_PER_MM × zoom CSS pixels, so at zoom 1 one paper millimetre is one CSS millimetre
// (96 / 25.4 CSS px) on screen, and the browser's own zoom scales it like everything else.
// Each SVG carries data-mm-per-s, data-mm-per-mv, data-px-per-mm and data-zoom; calibration
// pulses are `path.cal-pulse` (exactly mm-per-mV tall: 1 mV), traces are `path.trace` with
// data-lead, data-t0-s / data-t1-s (time span drawn), data-min-uv / data-max-uv (extremes drawn).
// Grid lines and traces use vector-effect: non-scaling-stroke so they stay crisp at any zoom.

import { svg } from './util.js';
import { t } from './i18n.js';

export const PX_PER_MM = 96 / 25.4;

export const STANDARD_LAYOUT = [
  ['I', 'aVR', 'V1', 'V4'],
  ['II', 'aVL', 'V2', 'V5'],
  ['III', 'aVF', 'V3', 'V6'],
];
export const EXTRA_LAYOUT = [
  ['V7', 'V8', 'V9'],
  ['V3R', 'V4R', 'V5R'],
];
export const EXTRA_LEADS = EXTRA_LAYOUT.flat();
// A phone held upright: limb leads beside chest leads, 6 rows of 2 (each column 2.5 s).
export const PORTRAIT_LAYOUT = [
  ['I', 'V1'],
  ['II', 'V2'],
  ['III', 'V3'],
  ['aVR', 'V4'],
  ['aVL', 'V5'],
  ['aVF', 'V6'],
];

const CAL_PULSE_S = 0.2;  // 200 ms wide, 1 mV tall
const SEGMENT_S = 2.5;

function round5up(mm) {
  return Math.ceil(mm / 5) * 5;
}

export function rowHeightMm(mmPerMv) {
  return Math.max(15, round5up(3.5 * mmPerMv));
}

function sizeSvg(root, widthMm, heightMm, opts) {
  root.setAttribute('viewBox', `0 0 ${widthMm} ${heightMm}`);
  root.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  root.dataset.mmPerS = String(opts.mmPerS);
  root.dataset.mmPerMv = String(opts.mmPerMv);
  root.dataset.widthMm = String(widthMm);
  root.dataset.heightMm = String(heightMm);
  applyZoom(root, opts.zoom || 1);
}

// Screen size of a drawn ECG: zoom 1 is one paper millimetre per CSS millimetre. The drawing
// itself (in mm) does not change, so pinch-zoom only rewrites these attributes.
export function applyZoom(root, zoom) {
  const w = Number(root.dataset.widthMm);
  const h = Number(root.dataset.heightMm);
  root.setAttribute('width', (w * PX_PER_MM * zoom).toFixed(3));
  root.setAttribute('height', (h * PX_PER_MM * zoom).toFixed(3));
  root.dataset.pxPerMm = String(PX_PER_MM * zoom);
  root.dataset.zoom = String(zoom);
}

// The zoom at which an ECG fits the given CSS pixel box (maxHeightPx optional).
export function fitZoom(root, maxWidthPx, maxHeightPx) {
  const zw = maxWidthPx / (Number(root.dataset.widthMm) * PX_PER_MM);
  const zh = maxHeightPx ? maxHeightPx / (Number(root.dataset.heightMm) * PX_PER_MM) : Infinity;
  return Math.max(0.2, Math.min(zw, zh, 1.5));
}

// Client (CSS pixel) coordinates → the drawing's millimetres.
export function clientToMm(root, clientX, clientY) {
  const pt = root.createSVGPoint();
  pt.x = clientX;
  pt.y = clientY;
  const p = pt.matrixTransform(root.getScreenCTM().inverse());
  return { x: p.x, y: p.y };
}

// Paper speed and gain printed on the tracing itself (as a cart prints them), top left.
function scaleNote(x, opts) {
  return svg('text', { class: 'scale-note', x, y: 3.6, text: `${opts.mmPerS} mm/s · ${opts.mmPerMv} mm/mV` });
}

// Pink millimetre grid: 1 mm minor, 5 mm major lines, each set one path.
function grid(widthMm, heightMm) {
  const minor = [];
  const major = [];
  for (let x = 0; x <= widthMm + 1e-9; x += 1) {
    (Math.round(x) % 5 === 0 ? major : minor).push(`M${x} 0V${heightMm}`);
  }
  for (let y = 0; y <= heightMm + 1e-9; y += 1) {
    (Math.round(y) % 5 === 0 ? major : minor).push(`M0 ${y}H${widthMm}`);
  }
  return svg('g', { class: 'ecg-grid' },
    svg('rect', { class: 'grid-paper', x: 0, y: 0, width: widthMm, height: heightMm }),
    svg('path', { class: 'grid-minor', d: minor.join(''), 'vector-effect': 'non-scaling-stroke' }),
    svg('path', { class: 'grid-major', d: major.join(''), 'vector-effect': 'non-scaling-stroke' }));
}

function calPulse(x, baseline, opts, id) {
  const w = CAL_PULSE_S * opts.mmPerS;
  const h = opts.mmPerMv;
  return svg('path', {
    class: 'cal-pulse',
    id,
    d: `M${x} ${baseline}h1.5v${-h}h${w}v${h}h1.5`,
    'vector-effect': 'non-scaling-stroke',
    'data-mv': 1,
    'data-width-s': CAL_PULSE_S,
  });
}

function calPulseWidthMm(opts) {
  return CAL_PULSE_S * opts.mmPerS + 3;
}

// A trace of samples[i0, i1) starting at x0 on the given baseline.
function trace(samples, fs, i0, i1, x0, baseline, opts, attrs) {
  const n = Math.min(i1, samples.length) - i0;
  if (n < 2) return null;
  const mmPerSample = opts.mmPerS / fs;
  const k = opts.mmPerMv / 1000;
  const parts = new Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < n; ++j) {
    const v = samples[i0 + j];
    if (v < min) min = v;
    if (v > max) max = v;
    const x = x0 + j * mmPerSample;
    const y = baseline - v * k;
    parts[j] = `${j === 0 ? 'M' : 'L'}${x.toFixed(3)} ${y.toFixed(3)}`;
  }
  return svg('path', {
    class: 'trace',
    d: parts.join(''),
    'vector-effect': 'non-scaling-stroke',
    'data-t0-s': (i0 / fs).toFixed(4),
    'data-t1-s': ((i0 + n - 1) / fs).toFixed(4),
    'data-min-uv': min,
    'data-max-uv': max,
    ...attrs,
  });
}

function leadLabel(x, y, lead, st) {
  const g = svg('g', { class: 'lead-label-group' });
  const cls = st && st.elevated ? 'lead-label st-elev' : st && st.depressed ? 'lead-label st-dep' : 'lead-label';
  g.append(svg('text', { class: cls, x, y, text: lead, 'data-lead': lead }));
  if (st && (st.elevated || st.depressed)) {
    const mv = (st.st_j_uv / 1000).toFixed(2);
    g.append(svg('text', {
      class: st.elevated ? 'st-value st-elev' : 'st-value st-dep',
      x: x + 8,
      y,
      text: t(st.elevated ? 'st_elev_label' : 'st_dep_label', { mv: st.elevated ? mv : (-st.st_j_uv / 1000).toFixed(2) }),
      'data-lead': lead,
    }));
  }
  return g;
}

// A grid of leads: rows of lead names, each column SEGMENT_S long (column c shows
// [c·2.5 s, (c+1)·2.5 s) as a cart's 3×4 printout does), optionally plus a rhythm strip.
//   data: {fs, leads: [...], samples: [[µV...]...]}
//   opts: {mmPerS, mmPerMv, zoom, layout, rhythmLead, rhythmMaxS, stByLead, id,
//          rowNotes / colNotes (a territory printed at the right of each row / top of each column)}
export function renderLeadGrid(data, opts) {
  const { fs } = data;
  const layout = opts.layout;
  const cols = Math.max(...layout.map((r) => r.length));
  const index = new Map(data.leads.map((l, i) => [l, i]));
  const rowH = rowHeightMm(opts.mmPerMv);
  const left = round5up(calPulseWidthMm(opts) + 2);
  const colW = SEGMENT_S * opts.mmPerS;
  const total = data.samples.length ? data.samples[0].length : 0;
  const rhythmS = opts.rhythmLead && index.has(opts.rhythmLead) ? Math.min(total / fs, opts.rhythmMaxS ?? Infinity) : 0;
  const width = Math.max(left + cols * colW, left + rhythmS * opts.mmPerS) + 5;
  const nRows = layout.length + (rhythmS > 0 ? 1 : 0);
  const height = 5 + nRows * rowH;
  const root = svg('svg', { class: 'ecg-svg', id: opts.id, xmlns: 'http://www.w3.org/2000/svg', role: 'img' });
  sizeSvg(root, Math.ceil(width), height, opts);
  root.append(grid(Math.ceil(width), height));
  const traces = svg('g', { class: 'ecg-traces' });
  const labels = svg('g', { class: 'ecg-labels' });
  const stBy = opts.stByLead || {};
  labels.append(scaleNote(left, opts));
  layout.forEach((row, r) => {
    const top = 5 + r * rowH;
    const baseline = top + round5up(rowH * 0.5);
    traces.append(calPulse(1, baseline, opts, `${opts.id}-cal-${r}`));
    if (r === 0 && opts.colNotes) {
      opts.colNotes.forEach((note, c) => {
        if (note) labels.append(svg('text', { class: 'territory-note', x: left + (c + 1) * colW - 1.5, y: top + 4.5, 'text-anchor': 'end', text: note }));
      });
    }
    if (opts.rowNotes && opts.rowNotes[r]) {
      labels.append(svg('text', { class: 'territory-note', x: left + row.length * colW - 1.5, y: top + 4.5, 'text-anchor': 'end', text: opts.rowNotes[r] }));
    }
    row.forEach((lead, c) => {
      const x0 = left + c * colW;
      if (c > 0) traces.append(svg('path', { class: 'col-sep', d: `M${x0} ${baseline - 3}V${baseline + 3}`, 'vector-effect': 'non-scaling-stroke' }));
      if (stBy[lead] && stBy[lead].elevated) {
        traces.append(svg('rect', { class: 'cell-elev', x: x0, y: top, width: colW, height: rowH, 'data-lead': lead }));
      }
      labels.append(leadLabel(x0 + 1.5, top + 4.5, lead, stBy[lead]));
      const li = index.get(lead);
      if (li === undefined) return;
      const i0 = Math.round(c * SEGMENT_S * fs);
      const i1 = Math.round((c + 1) * SEGMENT_S * fs);
      const p = trace(data.samples[li], fs, i0, i1, x0, baseline, opts, { 'data-lead': lead, id: `${opts.id}-trace-${lead}` });
      if (p) traces.append(p);
    });
  });
  if (rhythmS > 0) {
    const r = layout.length;
    const top = 5 + r * rowH;
    const baseline = top + round5up(rowH * 0.5);
    traces.append(calPulse(1, baseline, opts, `${opts.id}-cal-rhythm`));
    labels.append(svg('text', { class: 'lead-label rhythm-label', x: left + 1.5, y: top + 4.5, text: `${opts.rhythmLead} · ${t('rhythm_strip')}` }));
    const li = index.get(opts.rhythmLead);
    const p = trace(data.samples[li], fs, 0, Math.round(rhythmS * fs), left, baseline, opts, {
      'data-lead': opts.rhythmLead,
      id: `${opts.id}-rhythm`,
      class: 'trace rhythm',
    });
    if (p) traces.append(p);
  }
  root.append(traces, labels);
  return root;
}

// Median beats with fiducials, laid out like the 3×4 (plus extra rows for 18-lead records).
//   median: {sample_rate_hz, leads, samples_uv, qrs_onset_samples, j_point_samples, t_end_samples}
//   opts: {mmPerS (median speed), mmPerMv, zoom, id, stByLead, lateOffsetMs}
export function renderMedian(median, opts) {
  const fs = median.sample_rate_hz;
  const have = new Set(median.leads);
  const layout = STANDARD_LAYOUT.map((r) => r.filter((l) => have.has(l)));
  for (const r of EXTRA_LAYOUT) {
    const present = r.filter((l) => have.has(l));
    if (present.length) layout.push(present);
  }
  const known = new Set(layout.flat());
  const rest = median.leads.filter((l) => !known.has(l));
  for (let i = 0; i < rest.length; i += 4) layout.push(rest.slice(i, i + 4));
  let rows = layout.filter((r) => r.length);
  if (opts.columns) {
    const flat = rows.flat();
    rows = [];
    for (let i = 0; i < flat.length; i += opts.columns) rows.push(flat.slice(i, i + opts.columns));
  }
  const len = Math.max(...median.samples_uv.map((s) => s.length));
  const cellW = round5up((len / fs) * opts.mmPerS) + 5;
  const rowH = rowHeightMm(opts.mmPerMv) + 5;
  const left = round5up(calPulseWidthMm(opts) + 2);
  const cols = Math.max(...rows.map((r) => r.length));
  const width = left + cols * cellW + 5;
  const height = 5 + rows.length * rowH;
  const root = svg('svg', { class: 'ecg-svg median-svg', id: opts.id, xmlns: 'http://www.w3.org/2000/svg', role: 'img' });
  sizeSvg(root, width, height, opts);
  root.append(grid(width, height));
  const g = svg('g', { class: 'ecg-traces' });
  g.append(scaleNote(left, opts));
  const index = new Map(median.leads.map((l, i) => [l, i]));
  const toX = (x0, i) => x0 + 2.5 + (i / fs) * opts.mmPerS;
  const fids = [
    ['fid-qrs-onset', median.qrs_onset_samples],
    ['fid-j', median.j_point_samples],
    ['fid-j60', Number.isFinite(median.j_point_samples) ? median.j_point_samples + Math.round(((opts.lateOffsetMs ?? 60) / 1000) * fs) : null],
    ['fid-t-end', median.t_end_samples],
  ];
  const stBy = opts.stByLead || {};
  rows.forEach((row, r) => {
    const top = 5 + r * rowH;
    const baseline = top + round5up(rowH * 0.5);
    g.append(calPulse(1, baseline, opts, `${opts.id}-cal-${r}`));
    row.forEach((lead, c) => {
      const x0 = left + c * cellW;
      const li = index.get(lead);
      for (const [cls, at] of fids) {
        if (!Number.isFinite(at)) continue;
        const x = toX(x0, at);
        g.append(svg('path', { class: `fiducial ${cls}`, d: `M${x.toFixed(3)} ${top + 1}V${top + rowH - 1}`, 'vector-effect': 'non-scaling-stroke', 'data-lead': lead, 'data-sample': at }));
      }
      if (li !== undefined) {
        const p = trace(median.samples_uv[li], fs, 0, median.samples_uv[li].length, x0 + 2.5, baseline, opts, { 'data-lead': lead, id: `${opts.id}-trace-${lead}`, class: 'trace median' });
        if (p) g.append(p);
        const j = median.j_point_samples;
        if (Number.isFinite(j) && j < median.samples_uv[li].length) {
          const y = baseline - (median.samples_uv[li][j] * opts.mmPerMv) / 1000;
          g.append(svg('circle', { class: 'fid-j-dot', cx: toX(x0, j).toFixed(3), cy: y.toFixed(3), r: 0.6, 'data-lead': lead }));
        }
      }
      g.append(leadLabel(x0 + 1.5, top + 4.5, lead, stBy[lead]));
    });
  });
  root.append(g);
  return root;
}

// Legend for the fiducial markers (HTML, next to the median panel).
export const FIDUCIALS = [
  ['fid-qrs-onset', 'fid_qrs_onset'],
  ['fid-j', 'fid_j'],
  ['fid-j60', 'fid_j60'],
  ['fid-t-end', 'fid_t_end'],
];
