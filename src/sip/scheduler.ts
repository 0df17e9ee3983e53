/**
 * Timers for the SIP stack behind one small interface, so the transaction
 * and dialog layers are tested with a fake clock and never with real sleeps.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface TimerScheduler {
  now(): number;
  /** Call `fn` after `ms` milliseconds unless cancelled. */
  schedule(ms: number, fn: () => void): TimerHandle;
}

/** Real timers; unref'd so a pending retransmission never keeps the process alive. */
export const realScheduler: TimerScheduler = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduler whose time moves only through `advance()`: deterministic tests of every RFC timer. */
export class FakeScheduler implements TimerScheduler {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(ms: number, fn: () => void): TimerHandle {
    const t: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Move time forward, firing due timers in order (timers scheduled while firing run too if due). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: FakeTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === undefined) break;
      this.time = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.time = end;
  }

  /** Timers still pending (for leak checks in tests). */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
