// The unmissable alarm: a flashing banner and a repeating WebAudio beep while any critical alert
// is still in state "raised" (not acknowledged). No audio file: two short square-wave tones.

import { t } from './i18n.js';

class Alarm {
  constructor() {
    this.count = 0;
    this.first = null;
    this.banner = null;
    this.onOpen = null;
    this.ctx = null;
    this.timer = null;
    this.beeps = 0;  // tones started (tests read it)
    // Browsers start audio only after a user gesture: unlock on the first one.
    const unlock = () => {
      this.audio();
      if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    };
    window.addEventListener('pointerdown', unlock, { capture: true });
    window.addEventListener('keydown', unlock, { capture: true });
  }

  attach(banner, onOpen) {
    this.banner = banner;
    this.onOpen = onOpen;
    banner.addEventListener('click', () => {
      if (this.first && this.onOpen) this.onOpen(this.first);
    });
    this.render();
  }

  audio() {
    if (this.ctx) return this.ctx;
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    try {
      this.ctx = new Ctx();
    } catch {
      this.ctx = null;
    }
    return this.ctx;
  }

  get active() {
    return this.count > 0;
  }

  set(count, first) {
    const was = this.active;
    this.count = count;
    this.first = first;
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
  }
}

export const alarm = new Alarm();
