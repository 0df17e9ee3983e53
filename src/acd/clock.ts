import type { Clock, Millis } from './types.ts';

/** The real clock for production hosts. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to: for tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private current: Millis = 0) {}
  now(): Millis {
    return this.current;
  }
  set(t: Millis): void {
    if (t < this.current) throw new RangeError(`clock cannot go back from ${this.current} to ${t}`);
    this.current = t;
  }
  advance(ms: Millis): void {
    this.set(this.current + ms);
  }
}
