/**
 * First line of defence, before parsing: a per-source token bucket (a flood
 * from one address cannot starve everyone else) and a block list of
 * User-Agents that only scanners send (friendly-scanner, sipvicious...).
 * Memory is bounded: at most `maxSources` addresses are tracked; the oldest
 * entry goes when a new one arrives.
 */
import type { TimerScheduler } from './scheduler.ts';

export interface SourceGuardOptions {
  /** Sustained messages per second per source address. */
  ratePerSecond?: number;
  /** Burst allowance. */
  burst?: number;
  maxSources?: number;
  /** Case-insensitive substrings of scanner User-Agents. */
  blockedUserAgents?: string[];
}

export const DEFAULT_BLOCKED_USER_AGENTS = ['friendly-scanner', 'sipvicious', 'sipcli', 'sip-scan', 'sipsak', 'vaxsipuseragent', 'pplsip', 'iwar', 'sundayddr', 'smap'];

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceGuard {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxSources: number;
  private readonly blocked: string[];
  rejected = 0;

  constructor(
    private readonly clock: Pick<TimerScheduler, 'now'>,
    opts: SourceGuardOptions = {},
  ) {
    // A trunk or SBC sends everything from one address: 1,500 calls/s is ~5,000 messages/s.
    this.rate = opts.ratePerSecond ?? 10_000;
    this.burst = opts.burst ?? 20_000;
    this.maxSources = opts.maxSources ?? 100_000;
    this.blocked = (opts.blockedUserAgents ?? DEFAULT_BLOCKED_USER_AGENTS).map((s) => s.toLowerCase());
  }

  /** true when a message from this address may be processed now. */
  admit(address: string): boolean {
    const now = this.clock.now();
    let b = this.buckets.get(address);
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.burst, at: now };
      this.buckets.set(address, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
      b.at = now;
    }
    if (b.tokens < 1) {
      this.rejected++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  isScanner(userAgent: string | undefined): boolean {
    if (userAgent === undefined) return false;
    const ua = userAgent.toLowerCase();
    return this.blocked.some((b) => ua.includes(b));
  }
}
