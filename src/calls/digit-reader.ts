/**
 * Keys the caller pressed, in order, with type-ahead: a key pressed while a
 * prompt plays (or between nodes) waits here for the next menu or collect, as
 * on FreeSWITCH's digit queue. Waiting for a key ends at once on hang-up.
 */
import { CallEndedError } from '../ivr/context.ts';

export class DigitReader {
  private readonly buffer: string[] = [];
  private waiter: ((digit: string | null) => void) | null = null;
  private readonly listeners = new Set<(digit: string) => void>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake(null), { once: true });
  }

  /** A key arrived (RFC 4733, in-band or SIP INFO: the endpoint already merged them). */
  push(digit: string): void {
    for (const fn of this.listeners) fn(digit);
    if (this.waiter !== null) this.wake(digit);
    else this.buffer.push(digit);
  }

  /** Watch keys as they arrive without consuming them (leave key in a queue, operator codes). */
  watch(fn: (digit: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get pending(): number {
    return this.buffer.length;
  }

  take(): string | undefined {
    return this.buffer.shift();
  }

  clear(): void {
    this.buffer.length = 0;
  }

  /** The next key, or null after `timeoutMs` without one. Rejects CallEndedError on hang-up. */
  next(timeoutMs: number): Promise<string | null> {
    const queued = this.buffer.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.signal.aborted) return Promise.reject(new CallEndedError('caller hung up'));
    return new Promise<string | null>((resolve, reject) => {
      const timer = setTimeout(() => this.wake(null), timeoutMs);
      this.waiter = (digit) => {
        clearTimeout(timer);
        this.waiter = null;
        if (digit === null && this.signal.aborted) reject(new CallEndedError('caller hung up'));
        else resolve(digit);
      };
    });
  }

  /** Resolves when any key arrives (kept in the buffer); used to stop a prompt (barge-in). */
  whenKey(): { promise: Promise<void>; cancel(): void } {
    let stop = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      if (this.buffer.length > 0) return resolve();
      const off = this.watch(() => {
        off();
        resolve();
      });
      stop = off;
    });
    return { promise, cancel: () => stop() };
  }

  private wake(digit: string | null): void {
    const w = this.waiter;
    if (w !== null) w(digit);
  }
}
