// Issue 6 report check: the audit report HTML renders in headless Chromium with no console
// errors and its SVG charts present; the CSV totals agree with the JSON. Also through the
// station (/api/report) as an admin.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { addUser, artifactsDir, gc, launchBrowser, login, newPage, parseCsv, startServer, tempDir } from './lib.mjs';

const MONTH = '2026-05';
let dir;
let db;
let browser;
const files = {};

before(async () => {
  dir = tempDir('report');
  db = path.join(dir, 'gc.db');
  gc(['case', 'synth', '--month', MONTH, '--cases', '60', '--db', db]);
  for (const f of ['html', 'csv', 'json']) {
    files[f] = path.join(dir, `audit-${MONTH}.${f}`);
    gc(['report', '--from', `${MONTH}-01`, '--to', '2026-06-01', '--format', f, '--out', files[f], '--db', db]);
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

async function checkReportPage(page, problems, shotName) {
  await page.waitForLoadState('load');
  const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => {
    const r = s.getBoundingClientRect();
    const marks = [...s.querySelectorAll('rect, path, polyline, line, circle')]
      .filter((e) => {
        const b = e.getBoundingClientRect();
        return b.width > 0 || b.height > 0;
      }).length;
    return { cls: s.getAttribute('class'), width: r.width, height: r.height, marks, texts: s.querySelectorAll('text').length };
  }));
  assert.ok(charts.some((c) => /histogram/.test(c.cls)), `a histogram chart: ${JSON.stringify(charts)}`);
  assert.ok(charts.filter((c) => /bars/.test(c.cls)).length >= 2, 'bar charts');
  for (const c of charts) {
    assert.ok(c.width > 50 && c.height > 50, `chart rendered with a size: ${JSON.stringify(c)}`);
    assert.ok(c.marks >= 3, `chart has drawn marks: ${JSON.stringify(c)}`);
    assert.ok(c.texts >= 1, `chart has labels: ${JSON.stringify(c)}`);
  }
  // The stylesheet applied (no CSP or parse problem left the page unstyled): tables have borders
  // or padding set by the report's own CSS.
  const styled = await page.evaluate(() => {
    const td = document.querySelector('td');
    return td ? getComputedStyle(td).paddingLeft !== '0px' || getComputedStyle(td).borderBottomStyle !== 'none' : false;
  });
  assert.ok(styled, 'the report stylesheet applies');
  await page.screenshot({ path: path.join(artifactsDir(), shotName), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors');
  return charts.length;
}

test('(e) the audit report HTML renders in Chromium: no console errors, SVG charts present', async (t) => {
  const { page, problems, context } = await newPage(browser);
  await page.goto(pathToFileURL(files.html).href);
  const n = await checkReportPage(page, problems, `audit-${MONTH}.png`);
  t.diagnostic(`${n} SVG charts rendered`);
  await context.close();
});

function sections(csvText) {
  // Sections: the case table first, then "# name" blocks, separated by blank lines.
  const out = { cases: [] };
  let name = 'cases';
  for (const row of parseCsv(csvText)) {
    if (row.length === 1 && row[0] === '') continue;
    if (row.length === 1 && row[0].startsWith('# ')) {
      name = row[0].slice(2).trim();
      out[name] = [];
      continue;
    }
    out[name].push(row);
  }
  const table = (rows) => {
    const [head, ...body] = rows;
    return body.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, table(v)]));
}

const num = (s) => (s === '' || s === undefined ? null : Number(s));
const close = (a, b, tol, what) => {
  if (a === null || b === null || b === undefined) {
    assert.equal(a ?? null, b ?? null, what);
  } else {
    assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
  }
};

function checkCsvAgainstJson(csvText, json) {
  const s = sections(csvText);
  // Case rows: one per JSON case, same ids.
  assert.equal(s.cases.length, json.n_cases);
  assert.deepEqual(s.cases.map((c) => Number(c.case_id)).sort((a, b) => a - b), json.cases.map((c) => c.case_id).sort((a, b) => a - b));
  assert.ok(s.totals, 'a totals section');
  const groups = [['total', [json.totals]], ['month', json.months], ['clinic', json.clinics]];
  let compared = 0;
  for (const [section, list] of groups) {
    for (const g of list) {
      for (const r of g.rules) {
        const row = s.totals.find((x) => x.section === section && x.label === g.label && x.rule === r.key);
        assert.ok(row, `CSV row ${section}/${g.label}/${r.key}`);
        assert.equal(num(row.n_cases), g.n_cases);
        for (const f of ['n_applicable', 'n_measured', 'n_compliant']) assert.equal(num(row[f]), r[f], `${section}/${g.label}/${r.key} ${f}`);
        for (const f of ['pct_compliant', 'mean_min', 'median_min', 'min_min', 'max_min', 'target_min']) {
          close(num(row[f]), r[f] ?? null, 0.006, `${section}/${g.label}/${r.key} ${f}`);
        }
        compared += 1;
      }
    }
  }
  // The totals agree with the per-case rows they summarise.
  for (const r of json.totals.rules) {
    const measured = s.cases.filter((c) => c[`${r.key}_min`] !== '');
    assert.equal(measured.length, r.n_measured, `${r.key}: measured cases`);
    assert.equal(s.cases.filter((c) => c[`${r.key}_met`] === 'yes').length, r.n_compliant, `${r.key}: compliant cases`);
    if (measured.length) {
      const mean = measured.reduce((a, c) => a + Number(c[`${r.key}_min`]), 0) / measured.length;
      close(mean, r.mean_min, 0.011, `${r.key}: mean of the case rows`);
    }
  }
  // Accreditation checks.
  if (s.checks && json.checks) {
    for (const c of json.checks) {
      const row = s.checks.find((x) => x.check === c.key);
      assert.ok(row, `check ${c.key}`);
      close(num(row.value), c.value ?? null, 0.006, `check ${c.key}`);
      assert.equal(row.passed === 'yes', c.passed === true, `check ${c.key} passed`);
    }
  }
  return compared;
}

test('(e) the CSV totals agree with the JSON', (t) => {
  const json = JSON.parse(fs.readFileSync(files.json, 'utf8'));
  const compared = checkCsvAgainstJson(fs.readFileSync(files.csv, 'utf8'), json);
  t.diagnostic(`${compared} total/month/clinic rows compared, ${json.n_cases} cases`);
  assert.ok(compared >= 7);
});

test('(e) the station serves the same report to an admin: HTML renders, CSV agrees with JSON', { timeout: 60000 }, async () => {
  const server = await startServer(tempDir('report-serve'));
  try {
    gc(['case', 'synth', '--month', MONTH, '--cases', '60', '--db', server.db]);
    addUser(server, 'admin_zhao', 'admin', 'Admin-pass-2026!');
    const { page, problems, context } = await newPage(browser);
    await login(page, server.url, 'admin_zhao', 'Admin-pass-2026!');
    await page.click('#nav-reports');
    await page.fill('#report-month', MONTH);
    await page.click('#report-show');
    const href = await page.getAttribute('#report-html', 'href');
    assert.match(href, /^\/api\/report\?month=2026-05&format=html$/);
    const csvHref = await page.getAttribute('#report-csv', 'href');
    const jsonHref = await page.getAttribute('#report-json', 'href');
    const popupProblems = [];
    context.on('console', (m) => {
      if (m.type() === 'error' && m.page() !== page) popupProblems.push(`console: ${m.text()}`);
    });
    context.on('weberror', (e) => popupProblems.push(`pageerror: ${e.error().message}`));
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#report-html')]);
    await checkReportPage(popup, popupProblems, `audit-${MONTH}-station.png`);
    // Issue 15: the station's CSV is for a spreadsheet: UTF-8 BOM, headers in the page's language
    // (Chinese by default), data rows identical to the English file's.
    assert.match(csvHref, /[?&]lang=zh(&|$)/);
    const fetchCsv = (u) => page.evaluate(async (href) => {
      const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
      return { bom: [...bytes.slice(0, 3)], text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.slice(3)) };
    }, u);
    const zh = await fetchCsv(csvHref);
    const en = await fetchCsv(csvHref.replace('lang=zh', 'lang=en'));
    assert.deepEqual(zh.bom, [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    assert.deepEqual(en.bom, [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const zhRows = parseCsv(zh.text);
    const enRows = parseCsv(en.text);
    assert.equal(zhRows[0][0], '病例号');
    assert.ok(zhRows[0].includes('首次医疗接触') && zhRows[0].includes('诊所'), zhRows[0].join(','));
    for (const h of zhRows[0]) assert.doesNotMatch(h, /^[a-z0-9]+(_[a-z0-9]+)*$/, `untranslated header ${h}`);
    const totalsAt = zhRows.findIndex((r) => r[0] === '# totals');
    assert.equal(zhRows[totalsAt + 1][0], '分组');
    assert.equal(zhRows.length, enRows.length);
    zhRows.forEach((r, i) => {
      if (i !== 0 && i !== totalsAt + 1 && zhRows[i - 1]?.[0] !== '# checks') assert.deepEqual(r, enRows[i], `row ${i}`);
    });
    fs.writeFileSync(path.join(artifactsDir(), `audit-${MONTH}-station-zh.csv`), `\ufeff${zh.text}`);
    const json = await page.evaluate(async (u) => (await fetch(u)).json(), jsonHref);
    assert.equal(json.n_cases, 60);
    checkCsvAgainstJson(en.text, json);
    assert.deepEqual(problems.filter((e) => !/status of 401/.test(e)), []);
    await context.close();
  } finally {
    await server.stop();
  }
});
