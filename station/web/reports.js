// Reports: month + clinic picker; the self-contained HTML report opens in its own window (the
// server forbids framing), with CSV and JSON downloads of the same month.

import { getLang, t } from './i18n.js';
import { clear, el, serverNow } from './util.js';

function currentMonth() {
  const d = new Date(serverNow());
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

let lastMonth = '';
let lastClinic = '';

export function showReports(root, clinics) {
  const month = el('input', { type: 'month', id: 'report-month', value: lastMonth || currentMonth(), required: true });
  const clinicList = el('datalist', { id: 'report-clinics' }, ...[...clinics].sort().map((c) => el('option', { value: c })));
  const clinic = el('input', { type: 'text', id: 'report-clinic', list: 'report-clinics', value: lastClinic });
  const links = el('div', { class: 'report-links hidden', id: 'report-links' });
  const update = () => {
    if (!/^\d{4}-\d{2}$/.test(month.value)) return;
    lastMonth = month.value;
    lastClinic = clinic.value.trim();
    const url = (format) => {
      const q = new URLSearchParams({ month: month.value, format });
      // The spreadsheet: UTF-8 BOM (Excel on a Chinese Windows) and headers in the reader's language.
      if (format === 'csv') q.set('lang', getLang());
      if (lastClinic) q.set('clinic', lastClinic);
      return `/api/report?${q}`;
    };
    const stem = `report-${month.value}${lastClinic ? `-${lastClinic.replace(/[^\w.-]+/g, '_')}` : ''}`;
    links.replaceChildren(
      el('a', { class: 'btn', id: 'report-html', href: url('html'), target: '_blank', rel: 'noopener', text: t('report_open') }),
      el('a', { class: 'btn', id: 'report-csv', href: url('csv'), download: `${stem}.csv`, text: t('report_csv') }),
      el('a', { class: 'btn', id: 'report-json', href: url('json'), download: `${stem}.json`, text: t('report_json') }));
    links.classList.remove('hidden');
  };
  const form = el('form', { class: 'toolbar', id: 'report-form' },
    el('label', null, t('report_month'), ' ', month),
    el('label', null, t('report_clinic'), ' ', clinic, clinicList),
    el('button', { class: 'btn', type: 'submit', id: 'report-show', text: t('report_show') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    update();
  });
  clear(root).append(
    el('div', { class: 'study-head' }, el('h1', { text: t('nav_reports') })),
    el('section', { class: 'panel' }, form, el('p', { class: 'muted', text: t('report_note') }), links));
  update();
  return () => {};
}
