// The unmissable alarm: a flashing banner and a repeating WebAudio beep while any critical alert
// is still in state "raised" (not acknowledged). No audio file: two short square-wave tones.
// For a tab that is in the background or a phone that is asleep: a system notification per new
// critical alert (Notification API, permission asked at login), the page title and favicon
// change, and a vibration where supported. Browsers keep audio off until a tap: the top bar
// then says so ("sound is off — tap to enable") instead of failing silently.

import { getLang, summaryOf, t } from './i18n.js';

const BASE_TITLE = document.title;
const ALARM_ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="8" fill="#c8102e"/><path d="M7 3h2v6H7zM7 11h2v2H7z" fill="#fff"/></svg>')}`;

class Alarm {
  constructor() {
    this.count = 0;
    this.first = null;
    this.banner = null;
    this.onOpen = null;
    this.ctx = null;
    this.timer = null;
    this.beeps = 0;  // tones started (tests read it)
    this.seen = new Set();     // critical alert ids already announced
    this.notifications = [];   // system notifications shown: {alert_id, title, body} (tests read it)
    this.vibrations = 0;
    this.soundButton = null;
    this.onNotificationClick = null;
    // Browsers start audio only after a user gesture: unlock on the first one.
    const unlock = () => {
      this.audio();
      if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    };
    window.addEventListener('pointerdown', unlock, { capture: true });
    window.addEventListener('keydown', unlock, { capture: true });
  }

  attach(banner, onOpen, soundButton) {
    this.banner = banner;
    this.onOpen = onOpen;
    this.onNotificationClick = onOpen;
    banner.addEventListener('click', () => {
      if (this.first && this.onOpen) this.onOpen(this.first);
    });
    // Reachable by keyboard: the banner is focusable and opens on Enter / Space.
    banner.addEventListener('keydown', (ev) => {
      if ((ev.key === 'Enter' || ev.key === ' ') && this.first && this.onOpen) {
        ev.preventDefault();
        this.onOpen(this.first);
      }
    });
    this.soundButton = soundButton || null;
    if (this.soundButton) {
      this.soundButton.addEventListener('click', () => {
        const ctx = this.audio();
        if (ctx && ctx.state !== 'running') ctx.resume().then(() => this.renderSound(), () => this.renderSound());
        this.renderSound();
      });
    }
    // Created now so that its state (suspended until a gesture) can be shown at once.
    this.audio();
    this.render();
  }

  get soundOn() {
    return Boolean(this.ctx && this.ctx.state === 'running');
  }

  renderSound() {
    if (!this.soundButton) return;
    const on = this.soundOn;
    this.soundButton.dataset.sound = on ? 'on' : 'off';
    this.soundButton.textContent = t(on ? 'sound_on' : 'sound_off');
  }

  // Whether a person looking at this screen would see the banner; if not, tell the system.
  static backgrounded() {
    return document.visibilityState !== 'visible' || !document.hasFocus();
  }

  announce(item) {
    try {
      // Chromium refuses (and logs) a vibration before the first tap on the page.
      const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
      if (navigator.vibrate && activated && navigator.vibrate([400, 150, 400, 150, 400])) this.vibrations += 1;
    } catch {
      // vibration refused (no user activation yet): the other signals remain
    }
    if (!('Notification' in window) || Notification.permission !== 'granted' || !Alarm.backgrounded()) return;
    const read = summaryOf(item);
    const title = t('notify_title');
    const body = [item.clinic, read].filter(Boolean).join(' · ');
    try {
      const n = new Notification(title, { body, tag: `gc-alert-${item.alert_id}`, requireInteraction: true, lang: getLang() === 'zh' ? 'zh-CN' : 'en' });
      n.onclick = () => {
        window.focus();
        if (this.onNotificationClick) this.onNotificationClick(item);
        n.close();
      };
      this.notifications.push({ alert_id: item.alert_id, title, body });
    } catch {
      // some platforms only allow notifications from a service worker
    }
  }

  audio() {
    if (this.ctx) return this.ctx;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    try {
      this.ctx = new Ctx();
      this.ctx.addEventListener('statechange', () => this.renderSound());
    } catch {
      this.ctx = null;
    }
    return this.ctx;
  }

  get active() {
    return this.count > 0;
  }

  // count and first: the unacknowledged critical alerts and the most urgent one; items: all of
  // them (each new one is announced once).
  set(count, first, items = first ? [first] : []) {
    const was = this.active;
    this.count = count;
    this.first = first;
    for (const item of items) {
      if (this.seen.has(item.alert_id)) continue;
      this.seen.add(item.alert_id);
      this.announce(item);
    }
    this.render();
    if (this.active && !was) {
      this.beep();
      this.timer = setInterval(() => this.beep(), 2000);
    } else if (!this.active && was) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  render() {
    document.body.dataset.alarm = this.active ? 'on' : 'off';
    document.title = this.active ? `${t('title_alarm', { n: this.count })}${BASE_TITLE}` : BASE_TITLE;
    const icon = document.getElementById('favicon');
    if (icon) icon.href = this.active ? ALARM_ICON : 'data:,';
    this.renderSound();
    if (!this.banner) return;
    this.banner.classList.toggle('hidden', !this.active);
    this.banner.classList.toggle('flashing', this.active);
    this.banner.textContent = this.active ? t('alarm_banner', { n: this.count }) : '';
  }

  beep() {
    const ctx = this.audio();
    this.beeps += 1;
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const now = ctx.currentTime;
    for (const [start, freq] of [[0, 880], [0.25, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.2, now + start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + start);
      osc.stop(now + start + 0.22);
    }
  }

  stop() {
    this.set(0, null);
    this.seen.clear();
  }
}

export const alarm = new Alarm();
