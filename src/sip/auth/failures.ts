/**
 * Brute-force protection per source address: count authentication failures
 * in a sliding window; from failure slowAfter+1 on, ask the caller to delay
 * its answer (250 ms, 500 ms, 1 s, 2 s, 2 s...); the blockAfter-th failure
 * blocks the source for `blockSeconds` and is itself answered 403.
 *
 * State per source is a short list of failure times (never longer than
 * blockAfter) plus a block deadline, kept in an LRU bounded by
 * `maxSources`; entries that no longer matter are pruned as we go.
 * All time comes from the injected clock.
 */
import type { Millis } from '../../acd/types.ts';
import { AuthError } from './errors.ts';
import { BoundedLru } from './lru.ts';

export interface FailurePolicy {
  /** Failures in the window after which answers are delayed. Default 5. */
  slowAfter: number;
  /** Failures in the window after which the source is blocked. Default 20. */
  blockAfter: number;
  /** Sliding window for counting failures. Default 60 s. */
  windowSeconds: number;
  /** How long a block lasts. Default 300 s. */
  blockSeconds: number;
  /** First delay once slowed; doubles with each further failure. Default 250 ms. */
  baseDelayMs: number;
  /** Delay cap. Default 2000 ms. */
  maxDelayMs: number;
  /** Sources tracked at most (LRU). Default 10 000. */
  maxSources: number;
}

export const DEFAULT_FAILURE_POLICY: Readonly<FailurePolicy> = {
  slowAfter: 5,
  blockAfter: 20,
  windowSeconds: 60,
  blockSeconds: 300,
  baseDelayMs: 250,
  maxDelayMs: 2000,
  maxSources: 10_000,
};

interface SourceState {
  /** Failure times inside the window, oldest first. */
  failures: Millis[];
  /** Blocked while now < blockedUntil. */
  blockedUntil: Millis;
}

export type FailureVerdict = { blocked: true; until: Millis } | { blocked: false; delayMs: number };

/** How many stale entries one call may prune: keeps the cost per request constant. */
const PRUNE_PER_CALL = 4;

export class FailureTracker {
  readonly policy: Readonly<FailurePolicy>;
  private readonly sources: BoundedLru<string, SourceState>;

  constructor(policy: Partial<FailurePolicy> = {}) {
    const p = { ...DEFAULT_FAILURE_POLICY, ...policy };
    for (const [k, v] of Object.entries(p)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new AuthError('AUTH_BAD_CONFIG', `failurePolicy.${k} must be a non-negative number`);
    }
    if (p.blockAfter < 1 || p.slowAfter > p.blockAfter) throw new AuthError('AUTH_BAD_CONFIG', 'failurePolicy needs 0 <= slowAfter <= blockAfter and blockAfter >= 1');
    if (!Number.isInteger(p.maxSources) || p.maxSources < 1) throw new AuthError('AUTH_BAD_CONFIG', 'failurePolicy.maxSources must be a positive integer');
    this.policy = p;
    this.sources = new BoundedLru(p.maxSources);
  }

  /** Is the source blocked right now? An expired block is lifted (and its count reset) here. */
  check(source: string, now: Millis): FailureVerdict {
    const s = this.sources.peek(source);
    if (s === undefined || s.blockedUntil === 0) return { blocked: false, delayMs: 0 };
    if (now < s.blockedUntil) return { blocked: true, until: s.blockedUntil };
    this.sources.delete(source);
    return { blocked: false, delayMs: 0 };
  }

  /** Count one failure; returns the delay to apply, or the block it caused. */
  recordFailure(source: string, now: Millis): FailureVerdict {
    this.pruneSome(now);
    const windowMs = this.policy.windowSeconds * 1000;
    const s = this.sources.get(source) ?? { failures: [], blockedUntil: 0 };
    if (s.blockedUntil !== 0 && now >= s.blockedUntil) s.blockedUntil = 0;
    while (s.failures.length > 0 && (s.failures[0] ?? 0) <= now - windowMs) s.failures.shift();
    s.failures.push(now);
    // Never longer than blockAfter: that many failures block, older ones do not matter.
    if (s.failures.length > this.policy.blockAfter) s.failures.shift();
    this.sources.set(source, s);
    const n = s.failures.length;
    if (n >= this.policy.blockAfter) {
      s.blockedUntil = now + this.policy.blockSeconds * 1000;
      s.failures = [];
      return { blocked: true, until: s.blockedUntil };
    }
    return { blocked: false, delayMs: this.delayFor(n) };
  }

  /** A success forgives the source's earlier failures. */
  recordSuccess(source: string): void {
    this.sources.delete(source);
  }

  /** Delay for the n-th failure in the window: none up to slowAfter, then base·2^k, capped. */
  delayFor(n: number): number {
    if (n <= this.policy.slowAfter) return 0;
    const k = Math.min(n - this.policy.slowAfter - 1, 30);
    return Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** k);
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  /** Drop a few of the least recently used entries if nothing in them matters any more. */
  private pruneSome(now: Millis): void {
    const windowMs = this.policy.windowSeconds * 1000;
    let n = 0;
    for (const [key, s] of this.sources.entries()) {
      if (n++ >= PRUNE_PER_CALL) break;
      const last = s.failures[s.failures.length - 1];
      const stale = now >= s.blockedUntil && (last === undefined || last <= now - windowMs);
      if (!stale) break;
      this.sources.delete(key);
    }
  }
}
