// The live worklist. Rows are keyed by alert_id: a WebSocket update touches one row (refill its
// cells, move it to its sorted place), never the whole table, so 500 rows and a steady stream of
// updates stay cheap. Filters refetch from the server. Every (re)connect's hello refetches.

import { api, on, session } from './api.js';
import { actionAllowed, errorText, performAction } from './actions.js';
import { getLang, label, summaryOf, t } from './i18n.js';
import { centreDate, clear, el, fmtElapsed, fmtTime, serverNow, setServerTime } from './util.js';
import { alarm } from './alarm.js';

const OPEN_STATES = new Set(['raised', 'acknowledged', 'confirmed', 'green_channel']);
const TIER_RANK = { critical: 0, urgent: 1, routine: 2 };

// Test and diagnostics hooks: durations of the synchronous DOM work, in ms.
export const metrics = {
  fullRenders: [],  // {rows, ms}
  updates: [],      // ms per upsert (DOM work)
  frames: [],       // ms from message to the next painted frame
};

// When each alert was first shown in this page (kept across refetches), for latency checks.
const firstSeen = new Map();

function compare(a, b) {
  const sa = a.state === 'raised' ? 0 : 1;
  const sb = b.state === 'raised' ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = TIER_RANK[a.tier] ?? 3;
  const tb = TIER_RANK[b.tier] ?? 3;
  if (ta !== tb) return ta - tb;
  if (a.raised_ms !== b.raised_ms) return b.raised_ms - a.raised_ms;
  return b.alert_id - a.alert_id;
}

const PAGE = 500;

function minutesSince(ms, now = serverNow()) {
  return t('minutes', { n: Math.max(0, Math.floor((now - ms) / 60000)) });
}

export class Worklist {
  constructor(root, navigate) {
    this.root = root;
    this.navigate = navigate;
    this.entries = new Map();  // alert_id -> {item, row, cells}
    this.order = [];           // entries shown, sorted
    this.filters = { tier: '', clinic: '', scope: 'open', patient: '', from: '', to: '' };
    this.nextOffset = 0;   // the next page's offset when the server said has_more
    this.total = null;     // exact count of a patient search
    this.clinics = new Set();
    this.critical = new Map(); // alert_id -> item: critical + raised, whatever the filters
    this.fetchSeq = 0;
    this.build();
    on('alert-item', (item) => this.upsert(item, true));
    on('ws:hello', (msg) => {
      setServerTime(msg.server_ms);
      this.refetch();
    });
    this.timer = setInterval(() => this.tick(), 1000);
    this.cursor = null;  // the row chosen from the keyboard
    document.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  build() {
    const tierSel = el('select', { id: 'filter-tier', onchange: () => this.setFilter('tier', tierSel.value) },
      el('option', { value: '', text: t('all') }),
      ...['critical', 'urgent', 'routine'].map((k) => el('option', { value: k, text: label('tier', k) })));
    this.clinicSel = el('select', { id: 'filter-clinic', onchange: () => this.setFilter('clinic', this.clinicSel.value) },
      el('option', { value: '', text: t('all') }));
    const scopeSel = el('select', { id: 'filter-scope', onchange: () => this.setFilter('scope', scopeSel.value) },
      el('option', { value: 'open', text: t('scope_open') }),
      el('option', { value: 'all', text: t('scope_all') }));
    // Alerts raised on these days (the centre's), both included.
    const day = (name) => el('input', { type: 'date', id: `filter-${name}`, value: this.filters[name], onchange: (ev) => this.setFilter(name, ev.target.value) });
    const fromIn = day('from');
    const toIn = day('to');
    this.count = el('span', { class: 'wl-count', id: 'worklist-count', role: 'status' });
    let typing = 0;
    const search = el('input', {
      type: 'search',
      id: 'worklist-search',
      class: 'wl-search',
      placeholder: t('search_patient'),
      'aria-label': t('search_patient'),
      value: this.filters.patient,
      oninput: () => {
        clearTimeout(typing);
        typing = setTimeout(() => this.setFilter('patient', search.value.trim()), 300);
      },
    });
    this.moreButton = el('button', { class: 'btn wl-more hidden', id: 'worklist-more', type: 'button', text: t('load_more'), onclick: () => this.loadMore() });
    this.error = el('div', { class: 'error hidden', id: 'worklist-error' });
    // A grid of rows rather than a <table>: each row has content-visibility: auto, so a change
    // re-lays-out and repaints only what is on screen, not all 500 rows.
    const head = el('div', { class: 'wl-head', role: 'row' }, ...[
      'col_tier', 'col_state', 'col_clinic', 'col_patient', 'col_category', 'col_read',
      'col_raised', 'col_fmc', 'col_arrival', 'col_ack', 'col_actions',
    ].map((k) => el('div', { role: 'columnheader', text: t(k) })));
    this.tbody = el('div', { id: 'worklist-body', role: 'rowgroup' });
    this.empty = el('div', { class: 'wl-empty', id: 'worklist-empty', text: t('worklist_empty') });
    clear(this.root).append(
      el('div', { class: 'toolbar' },
        search,
        el('label', null, t('filter_tier'), ' ', tierSel),
        el('label', null, t('filter_clinic'), ' ', this.clinicSel),
        el('label', null, t('filter_scope'), ' ', scopeSel),
        // Folded: at night the open alerts are what counts; the days are for looking back.
        el('details', { class: 'wl-dates', id: 'filter-dates', open: Boolean(this.filters.from || this.filters.to) },
          el('summary', { text: t('filter_dates') }),
          el('label', null, t('filter_from'), ' ', fromIn),
          el('label', null, t('filter_to'), ' ', toIn)),
        this.count,
        el('span', { class: 'muted kbd-help', text: t('kbd_help') })),
      this.error,
      el('div', { class: 'worklist', id: 'worklist', role: 'table' }, head, this.tbody),
      this.empty,
      this.moreButton);
    tierSel.value = this.filters.tier;
    scopeSel.value = this.filters.scope;
    this.refreshClinics();
    this.clinicSel.value = this.filters.clinic;
  }

  setFilter(name, value) {
    this.filters[name] = value;
    this.refetch();
  }

  matches(item) {
    const f = this.filters;
    if (f.scope === 'open' && !OPEN_STATES.has(item.state)) return false;
    if (f.tier && item.tier !== f.tier) return false;
    if (f.clinic && item.clinic !== f.clinic) return false;
    if (f.patient && !String(item.patient_id || '').toLowerCase().includes(f.patient.toLowerCase())) return false;
    if (f.from || f.to) {
      const day = centreDate(item.raised_ms);
      if ((f.from && day < f.from) || (f.to && day > f.to)) return false;
    }
    return true;
  }

  async refetch() {
    if (!session.user) return;
    const seq = ++this.fetchSeq;
    const q = this.query(0);
    try {
      const wantCritical = (this.filters.tier !== '' && this.filters.tier !== 'critical') || this.filters.clinic !== '' || this.filters.patient !== '' || this.filters.from !== '' || this.filters.to !== '';
      const [data, crit] = await Promise.all([
        api('GET', `/api/worklist?${q}`),
        wantCritical ? api('GET', '/api/worklist?scope=open&tier=critical&limit=500') : null,
      ]);
      if (seq !== this.fetchSeq) return;  // a newer fetch superseded this one
      setServerTime(data.server_ms);
      this.error.classList.add('hidden');
      this.critical.clear();
      for (const it of (crit ? crit.items : data.items)) {
        if (it.tier === 'critical' && it.state === 'raised') this.critical.set(it.alert_id, it);
      }
      this.renderAll(data.items);
      this.paged(data);
    } catch (e) {
      if (e.status === 401) return;
      this.error.textContent = t('error', { msg: e.message });
      this.error.classList.remove('hidden');
    }
  }

  query(offset) {
    const q = new URLSearchParams({ scope: this.filters.scope, limit: String(PAGE), offset: String(offset) });
    if (this.filters.tier) q.set('tier', this.filters.tier);
    if (this.filters.clinic) q.set('clinic', this.filters.clinic);
    if (this.filters.patient) q.set('patient', this.filters.patient);
    if (this.filters.from) q.set('from', this.filters.from);
    if (this.filters.to) q.set('to', this.filters.to);
    return q;
  }

  // The server pages (no silent cap): say how many are shown and offer the next page.
  paged(data) {
    this.nextOffset = data.has_more ? (data.offset || 0) + data.items.length : 0;
    this.total = data.total ?? null;
    this.moreButton.classList.toggle('hidden', !data.has_more);
    this.afterChange();
  }

  async loadMore() {
    if (!this.nextOffset) return;
    const seq = this.fetchSeq;
    this.moreButton.disabled = true;
    try {
      const data = await api('GET', `/api/worklist?${this.query(this.nextOffset)}`);
      if (seq !== this.fetchSeq) return;
      for (const item of data.items) this.upsert(item, false);
      this.paged(data);
    } catch (e) {
      if (e.status !== 401) {
        this.error.textContent = t('error', { msg: e.message });
        this.error.classList.remove('hidden');
      }
    } finally {
      this.moreButton.disabled = false;
    }
  }

  renderAll(items) {
    const t0 = performance.now();
    this.entries.clear();
    this.order = [];
    const frag = document.createDocumentFragment();
    const sorted = items.filter((it) => this.matches(it)).sort(compare);
    for (const item of sorted) {
      const entry = this.makeEntry(item);
      this.entries.set(item.alert_id, entry);
      this.order.push(entry);
      frag.append(entry.row);
      this.clinics.add(item.clinic);
    }
    clear(this.tbody).append(frag);
    this.refreshClinics();
    this.afterChange();
    metrics.fullRenders.push({ rows: sorted.length, ms: performance.now() - t0 });
  }

  refreshClinics() {
    const have = new Set([...this.clinicSel.options].map((o) => o.value));
    for (const c of [...this.clinics].sort()) {
      if (c && !have.has(c)) this.clinicSel.append(el('option', { value: c, text: c }));
    }
  }

  makeEntry(item) {
    const cells = {
      tier: el('div', { class: 'c-tier', role: 'cell' }),
      state: el('div', { class: 'c-state', role: 'cell' }),
      clinic: el('div', { class: 'c-clinic', role: 'cell' }),
      patient: el('div', { class: 'c-patient', role: 'cell' }),
      category: el('div', { class: 'c-category', role: 'cell' }),
      read: el('div', { class: 'c-read', role: 'cell' }),
      raised: el('div', { class: 'c-raised', role: 'cell' }),
      fmc: el('div', { class: 'c-fmc', role: 'cell' }),
      arrival: el('div', { class: 'c-arrival', role: 'cell' }),
      ack: el('div', { class: 'c-ack', role: 'cell' }),
      actions: el('div', { class: 'c-actions', role: 'cell' }),
    };
    if (!firstSeen.has(item.alert_id)) firstSeen.set(item.alert_id, Date.now());
    const row = el('div', { class: 'wl-row', role: 'row', dataset: { alertId: item.alert_id, firstSeenMs: firstSeen.get(item.alert_id) } }, ...Object.values(cells));
    row.addEventListener('click', (ev) => {
      if (ev.target.closest('button, a')) return;
      this.navigate(`#/study/${item.study_id}?alert=${item.alert_id}`);
    });
    const entry = { item, row, cells };
    this.fill(entry);
    return entry;
  }

  fill(entry) {
    const { item, row, cells } = entry;
    row.dataset.tier = item.tier;
    row.dataset.state = item.state;
    row.dataset.studyId = item.study_id;
    row.dataset.studyUid = item.study_uid || '';
    row.dataset.caseId = item.case_id ?? '';
    row.className = `wl-row tier-${item.tier} state-${item.state}`;
    cells.tier.replaceChildren(el('span', { class: `badge tier-${item.tier}`, text: label('tier', item.tier) }));
    cells.state.replaceChildren(el('span', { class: `badge state-${item.state}`, text: label('state', item.state) }));
    cells.clinic.textContent = item.clinic || '—';
    const age = item.age_years === null || item.age_years === undefined ? '' : t('years', { n: item.age_years });
    const sex = item.sex ? label('sex', item.sex) : '';
    cells.patient.replaceChildren(
      el('span', { class: 'pt-demo', text: [sex, age].filter(Boolean).join(' ') || '—' }),
      item.chest_pain ? el('span', { class: 'badge chest-pain', text: t('chest_pain') }) : '',
      item.patient_id ? el('span', { class: 'pt-id', text: item.patient_id }) : '');
    cells.category.textContent = label('cat', item.category);
    const zh = item.summary_zh || '';
    const en = item.summary_en || '';
    cells.read.textContent = summaryOf(item);
    cells.read.title = getLang() === 'zh' ? en : zh;
    cells.raised.textContent = fmtTime(item.raised_ms, 'short');
    cells.fmc.dataset.fmcMs = item.fmc_ms ?? '';
    cells.fmc.textContent = item.fmc_ms ? fmtElapsed(serverNow() - item.fmc_ms) : '—';
    // On a phone the cells are a card: each time says what it counts from.
    cells.fmc.dataset.label = t('card_fmc');
    cells.arrival.dataset.label = t('card_arrival');
    cells.arrival.textContent = minutesSince(item.raised_ms);
    cells.ack.textContent = item.acknowledged_by ? `${item.acknowledged_by} ${fmtTime(item.acknowledged_ms, 'short')}` : '—';
    const buttons = [];
    if (actionAllowed('acknowledge', item.state)) {
      buttons.push(el('button', {
        class: 'btn btn-ack',
        'data-action': 'acknowledge',
        text: t('act_acknowledge'),
        onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            await performAction(item.alert_id, 'acknowledge');
          } catch (e) {
            this.error.textContent = errorText(e);
            this.error.classList.remove('hidden');
            ev.target.disabled = false;
          }
        },
      }));
    }
    buttons.push(el('a', { class: 'btn btn-link', href: `#/study/${item.study_id}?alert=${item.alert_id}`, text: t('open_study') }));
    cells.actions.replaceChildren(...buttons);
  }

  // Keyboard (worklist only, not while typing): j / ↓ next row, k / ↑ previous, n the next
  // unacknowledged critical alert, a acknowledge the chosen row, Enter / o open it.
  onKey(ev) {
    if (document.body.dataset.view !== 'worklist' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.target.closest && ev.target.closest('input, select, textarea, button, a')) return;
    const rows = this.order;
    if (!rows.length) return;
    let at = this.cursor ? rows.indexOf(this.cursor) : -1;
    const choose = (i) => {
      if (this.cursor) this.cursor.row.classList.remove('kbd-cursor');
      this.cursor = rows[Math.max(0, Math.min(rows.length - 1, i))];
      this.cursor.row.classList.add('kbd-cursor');
      this.cursor.row.tabIndex = -1;
      this.cursor.row.focus();
    };
    if (ev.key === 'j' || ev.key === 'ArrowDown') choose(at + 1);
    else if (ev.key === 'k' || ev.key === 'ArrowUp') choose(at < 0 ? 0 : at - 1);
    else if (ev.key === 'n') {
      const next = rows.findIndex((e, i) => i > at && e.item.tier === 'critical' && e.item.state === 'raised');
      const first = rows.findIndex((e) => e.item.tier === 'critical' && e.item.state === 'raised');
      if (next >= 0 || first >= 0) choose(next >= 0 ? next : first);
      else return;
    } else if (ev.key === 'a' && this.cursor) {
      const button = this.cursor.row.querySelector('button[data-action="acknowledge"]');
      if (button && !button.disabled) button.click();
    } else if ((ev.key === 'Enter' || ev.key === 'o') && this.cursor) {
      this.navigate(`#/study/${this.cursor.item.study_id}?alert=${this.cursor.item.alert_id}`);
    } else {
      return;
    }
    ev.preventDefault();
  }

  // One alert changed (WebSocket or our own action): touch only its row.
  upsert(item, timed) {
    const t0 = performance.now();
    if (item.tier === 'critical' && item.state === 'raised') this.critical.set(item.alert_id, item);
    else this.critical.delete(item.alert_id);
    const existing = this.entries.get(item.alert_id);
    if (existing && existing.item.updated_ms > item.updated_ms) return;  // stale
    if (!this.matches(item)) {
      if (existing) {
        existing.row.remove();
        this.entries.delete(item.alert_id);
        this.order.splice(this.order.indexOf(existing), 1);
      }
      this.afterChange();
      return;
    }
    let entry = existing;
    if (entry) {
      const moved = compare(entry.item, item) !== 0;
      entry.item = item;
      this.fill(entry);
      if (moved) {
        this.order.splice(this.order.indexOf(entry), 1);
        this.place(entry);
      }
    } else {
      entry = this.makeEntry(item);
      this.entries.set(item.alert_id, entry);
      this.place(entry);
      if (!this.clinics.has(item.clinic)) {
        this.clinics.add(item.clinic);
        this.refreshClinics();
      }
    }
    this.afterChange();
    if (timed) {
      metrics.updates.push(performance.now() - t0);
      requestAnimationFrame(() => setTimeout(() => metrics.frames.push(performance.now() - t0), 0));
    }
  }

  place(entry) {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(this.order[mid].item, entry.item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, entry);
    const next = this.order[lo + 1];
    this.tbody.insertBefore(entry.row, next ? next.row : null);
  }

  afterChange() {
    this.count.textContent = this.total !== null && this.total !== undefined
      ? t('search_count', { n: this.total, shown: this.order.length })
      : this.nextOffset ? t('worklist_count_more', { n: this.order.length }) : t('worklist_count', { n: this.order.length });
    this.empty.classList.toggle('hidden', this.order.length > 0);
    const crit = [...this.critical.values()].sort(compare);
    alarm.set(crit.length, crit.length ? crit[0] : null, crit);
  }

  tick() {
    const now = serverNow();
    for (const entry of this.order) {
      const fmc = entry.item.fmc_ms;
      if (fmc) entry.cells.fmc.textContent = fmtElapsed(now - fmc);
      // Whole minutes: the text (and so the DOM) changes once a minute per row, not each second.
      const arrival = minutesSince(entry.item.raised_ms, now);
      if (entry.cells.arrival.textContent !== arrival) entry.cells.arrival.textContent = arrival;
    }
  }

  relabel() {
    this.build();
    this.moreButton.classList.toggle('hidden', !this.nextOffset);
    for (const entry of this.order) {
      this.fill(entry);
      this.tbody.append(entry.row);
    }
    this.afterChange();
  }

  reset() {
    this.entries.clear();
    this.order = [];
    this.critical.clear();
    clear(this.tbody);
    this.afterChange();
  }

  item(alertId) {
    const e = this.entries.get(alertId);
    return e ? e.item : null;
  }
}
