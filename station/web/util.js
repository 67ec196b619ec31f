// Small DOM and formatting helpers shared by the views. No innerHTML with data: text goes
// through textContent, so patient data can never become markup.

import { getLang } from './i18n.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

// el('div', {class: 'x', dataset: {id: 1}, onclick: fn}, child, 'text', ...)
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.setAttribute('class', v);
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, String(v));
    }
  }
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'value') node.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') node[k] = Boolean(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// The centre's time zone from /api/me ("Asia/Shanghai" or a fixed offset "+08:00").
let timeZone;
const formatters = new Map();

export function setTimeZone(tz) {
  timeZone = undefined;
  formatters.clear();
  if (!tz) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    timeZone = tz;
  } catch {
    timeZone = undefined;  // unknown to this browser: fall back to the browser's zone
  }
}

function formatter(kind) {
  const key = `${kind}|${getLang()}`;
  let f = formatters.get(key);
  if (!f) {
    const opts = { timeZone, hour12: false };
    if (kind === 'full') {
      Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } else {
      Object.assign(opts, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    }
    f = new Intl.DateTimeFormat(getLang() === 'zh' ? 'zh-CN' : 'en-GB', opts);
    formatters.set(key, f);
  }
  return f;
}

export function fmtTime(ms, kind = 'full') {
  if (ms === null || ms === undefined) return '—';
  return formatter(kind).format(new Date(ms));
}

// "YYYY-MM-DD" of ms in the centre's zone (the day filters of the worklist and the audit log,
// and the roster's defaults, are days there).
export function centreDate(ms) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

// Elapsed time h:mm:ss (or m:ss below an hour).
export function fmtElapsed(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const two = (n) => String(n).padStart(2, '0');
  return (neg ? '−' : '') + (h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`);
}

export function fmtNum(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  return Number(v).toFixed(digits);
}

// Clock offset: server_ms − Date.now() at the last hello / worklist fetch, so elapsed times
// count from the server's clock even when the workstation's clock is off.
let serverOffsetMs = 0;
export function setServerTime(serverMs) {
  if (Number.isFinite(serverMs)) serverOffsetMs = serverMs - Date.now();
}
export function serverNow() {
  return Date.now() + serverOffsetMs;
}
