// HTTP API (station/API.md) and the live WebSocket channel.
// The CSRF token lives only in memory (never in storage); every POST carries X-CSRF-Token.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

export const session = {
  user: null,  // {username, role, csrf_token, expires_ms, tz, must_change_password}
};

const bus = new EventTarget();

export function on(type, fn) {
  const h = (e) => fn(e.detail);
  bus.addEventListener(type, h);
  return () => bus.removeEventListener(type, h);
}

export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') {
    if (session.user && session.user.csrf_token) headers['X-CSRF-Token'] = session.user.csrf_token;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && data.code, data && data.error);
    if (res.status === 401 && path !== '/api/login') {
      session.user = null;
      emit('logged-out', { code: err.code });
    }
    // An admin reset the password meanwhile: the new one is chosen before anything else.
    if (res.status === 403 && err.code === 'password_change_required') emit('password-required');
    throw err;
  }
  return data;
}

export async function login(username, password) {
  const user = await api('POST', '/api/login', { username, password });
  session.user = user;
  return user;
}

export async function me() {
  const user = await api('GET', '/api/me');
  session.user = user;
  return user;
}

export async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    session.user = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Live channel: reconnects with exponential backoff (0.5 s doubling to 15 s, with jitter). Each
// hello makes listeners refetch, so reconnects neither lose nor duplicate (upserts by alert_id).

export class LiveChannel {
  constructor() {
    this.ws = null;
    this.stopped = true;
    this.backoffMs = 500;
    this.timer = null;
    this.status = 'offline';
  }

  start() {
    this.stopped = false;
    this.backoffMs = 500;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.close();
    }
    this.setStatus('offline');
  }

  setStatus(status) {
    this.status = status;
    emit('ws-status', status);
  }

  connect() {
    if (this.stopped) return;
    const url = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/ws`;
    this.setStatus('connecting');
    let opened = false;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.schedule(false);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === 'hello') {
        this.backoffMs = 500;
        this.setStatus('live');
      } else if (msg.type === 'ping') {
        try {
          ws.send(JSON.stringify({ type: 'pong' }));
        } catch {
          // closing
        }
      }
      emit(`ws:${msg.type}`, msg);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.schedule(opened);
    };
  }

  async schedule(wasOpen) {
    if (this.stopped) return;
    this.setStatus('offline');
    if (!wasOpen) {
      // The upgrade was refused: maybe the session is gone. /api/me emits logged-out on 401.
      try {
        await me();
      } catch (e) {
        if (e.status === 401) return;
      }
    }
    if (this.stopped) return;
    const delay = this.backoffMs * (0.8 + 0.4 * Math.random());
    this.backoffMs = Math.min(this.backoffMs * 2, 15000);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
