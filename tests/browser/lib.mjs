// Harness for the reading-station browser tests: the real `greenchannel serve` (temp database,
// ephemeral ports, self-signed TLS), users, carts, and headless Debian chromium via playwright-core.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const BIN = path.resolve(ROOT, process.env.GC_BIN || 'build/greenchannel');
export const ARTIFACTS = path.resolve(ROOT, process.env.GC_ARTIFACTS || 'build/test-artifacts');
export const CHROMIUM = process.env.GC_CHROMIUM || '/usr/bin/chromium';
export const SAMPLES = path.join(ROOT, 'sample_ecgs');
export const PX_PER_MM = 96 / 25.4;  // CSS reference: 1 mm = 96/25.4 px at zoom 1

// Temp directories (databases, records) are removed when the test process exits, unless
// GC_KEEP_TMP is set (to inspect a failure).
const tempDirs = [];
process.on('exit', () => {
  if (process.env.GC_KEEP_TMP) return;
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `gc-browser-${prefix}-`));
  tempDirs.push(d);
  return d;
}

export function artifactsDir() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

// Runs the CLI to completion; throws with its output when it fails.
export function gc(args, { input, env } = {}) {
  const r = spawnSync(BIN, args, { input, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120000 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`greenchannel ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

export function cliHelp(args) {
  const r = spawnSync(BIN, [...args, '--help'], { encoding: 'utf8', timeout: 20000 });
  return `${r.stdout}${r.stderr}`;
}

// A child process whose stdout lines are kept with the wall-clock ms they arrived at.
class LineProcess {
  constructor(cmd, args, opts) {
    this.lines = [];  // {at_ms, text}
    this.stderr = '';
    this.waiters = new Set();
    this.proc = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.code = code;
        this.signal = signal;
        for (const w of this.waiters) w.check(true);
        resolve({ code, signal });
      });
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (text) => {
      this.lines.push({ at_ms: Date.now(), text });
      for (const w of this.waiters) w.check(false);
    });
    this.proc.stderr.on('data', (d) => {
      this.stderr += d.toString();
      if (this.stderr.length > 200000) this.stderr = this.stderr.slice(-100000);
    });
  }

  // Resolves with the first line (from index `from`) matching pred; rejects on timeout or exit.
  waitLine(pred, timeoutMs, what, from = 0) {
    return new Promise((resolve, reject) => {
      const w = {
        check: (exited) => {
          const hit = this.lines.slice(from).find((l) => pred(l.text));
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (exited) {
            cleanup();
            reject(new Error(`${what}: process exited (${this.code ?? this.signal}) first\nstdout:\n${this.lines.map((l) => l.text).join('\n')}\nstderr:\n${this.stderr}`));
          }
        },
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what}: not seen within ${timeoutMs} ms\nstdout:\n${this.lines.map((l) => l.text).join('\n').slice(-4000)}\nstderr:\n${this.stderr.slice(-4000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(w);
      };
      this.waiters.add(w);
      w.check(this.code !== undefined);
    });
  }

  async stop(signal = 'SIGTERM', graceMs = 10000) {
    if (this.code !== undefined || this.signal) return this.exited;
    this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

// Starts `greenchannel serve` on ephemeral ports with a fresh database.
export async function startServer(dir = tempDir('serve'), extraArgs = []) {
  const db = path.join(dir, 'gc.db');
  const args = ['serve', '--tls', '--listen', '127.0.0.1:0', '--station-listen', '127.0.0.1:0', '--db', db,
    ...extraArgs];
  const p = new LineProcess(BIN, args, { cwd: dir });
  const listening = await p.waitLine((l) => /^listening on /.test(l), 20000, 'serve: listening line');
  const port = Number(/:(\d+)/.exec(listening.text.replace(/^listening on /, ''))[1]);
  const tls = await p.waitLine((l) => /fingerprint [0-9A-F:]+/.test(l), 20000, 'serve: TLS fingerprint line');
  const fingerprint = /fingerprint ([0-9A-F:]+)/.exec(tls.text)[1];
  const station = await p.waitLine((l) => /station on https?:\/\/\S+/.test(l), 20000, 'serve: station line');
  const url = /station on (https?:\/\/\S+)/.exec(station.text)[1].replace(/\/$/, '');
  return {
    dir,
    db,
    port,
    fingerprint,
    url,
    proc: p,
    async stop() {
      const r = await p.stop();
      return r;
    },
  };
}

export function addUser(server, name, role, password) {
  gc(['user', 'add', name, '--role', role, '--password-stdin', '--db', server.db], { input: `${password}\n` });
}

export function addDevice(server, clinic) {
  const out = gc(['device', 'add', '--clinic', clinic, '--db', server.db, '--json']);
  const j = JSON.parse(out.trim().split('\n').pop());
  return { id: j.device_id, secret: j.secret, clinic };
}

export function cartSupports(flag) {
  return cliHelp(['cart']).includes(flag);
}

// Streams records with `greenchannel cart --json`; stdout lines are timestamped on arrival.
export function startCart(server, device, records, extra = []) {
  const args = ['cart', '--server', `127.0.0.1:${server.port}`, '--device', device.id,
    '--fingerprint', server.fingerprint, '--json', '-q', ...extra, ...records];
  return new LineProcess(BIN, args, { env: { ...process.env, GC_CART_SECRET: device.secret } });
}

export function parseJsonLine(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Browser

// chromium.launch gives every launch a fresh temporary profile (user-data-dir) of its own.
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return browser;
}

// Extra context options (issue 15): deviceScaleFactor, isMobile, hasTouch, colorScheme,
// permissions.
export async function newPage(browser, { viewport = { width: 1500, height: 1000 }, ...contextOptions } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, deviceScaleFactor: 1, locale: 'zh-CN', ...contextOptions });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

export async function login(page, url, username, password) {
  await page.goto(`${url}/`);
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-view="worklist"]', { timeout: 15000 });
  await page.waitForSelector('#ws-status[data-status="live"]', { timeout: 15000 });
}

// Minimal RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF or LF).
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') ++i;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function percentile(values, p) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ---------------------------------------------------------------------------------------------
// Page checks shared by the issue-15 tests

// No element sticks out of the screen: the page does not scroll sideways and every visible
// element lies within [0, innerWidth].
export async function assertFits(page, what) {
  const bad = await page.evaluate(() => {
    const w = window.innerWidth;
    const out = [];
    if (document.documentElement.scrollWidth > w + 0.5) out.push(`document scrollWidth ${document.documentElement.scrollWidth} > ${w}`);
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const style = getComputedStyle(e);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      if (r.right > w + 0.5 || r.left < -0.5 || r.width > w + 0.5) {
        const id = e.id ? `#${e.id}` : '';
        const cls = typeof e.className === 'string' && e.className ? `.${e.className.trim().split(/\s+/).join('.')}` : '';
        out.push(`${e.tagName.toLowerCase()}${id}${cls} [${r.left.toFixed(0)}, ${r.right.toFixed(0)}] width ${r.width.toFixed(0)}`);
      }
    }
    return out;
  });
  assert.deepEqual(bad.slice(0, 12), [], `${what}: elements wider than the ${await page.evaluate(() => window.innerWidth)} px screen`);
}

// Visible text only, without identifiers the station shows as data (device id, study uid:
// marked data-ident) and without the English read, which is shown beside the Chinese on purpose.
// User names here have no underscore. Each hit comes with its context.
export async function rawKeys(page, lang) {
  return page.evaluate((zh) => {
    const found = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const host = n.parentElement;
      if (!host || !host.offsetParent && getComputedStyle(host).position !== 'fixed') continue;
      if (host.closest('[data-ident], script, style, [lang="en"]') && zh) continue;
      if (host.closest('[data-ident], script, style')) continue;
      const text = n.textContent;
      const hit = (m) => found.add(`${m[0]} «${text.slice(Math.max(0, m.index - 25), m.index + m[0].length + 25).replace(/\s+/g, ' ')}»`);
      for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) hit(m);
      if (zh) {
        for (const m of text.matchAll(/[:：]\s*(open|closed|pending|raised|acknowledged|confirmed|rejected|cart|station|server)\b/g)) hit(m);
        for (const m of text.matchAll(/\b(flat|saturation|not recorded|applies to|culprit)\b/g)) hit(m);
      }
    }
    return [...found];
  }, lang === 'zh');
}
