/**
 * Replay protection for qop=auth (RFC 7616 §3.4, §5.11): remember the highest
 * nonce-count seen per nonce and refuse one that does not increase.
 *
 * Memory is bounded by an LRU. Forgetting a nonce must not reopen a replay
 * window, so we keep a watermark: the latest issue time among evicted nonces.
 * A nonce issued at or before the watermark that we no longer know is treated
 * as already used (the client gets stale=true and takes a fresh nonce).
 * Only nonces whose digest was verified get here, so an attacker cannot fill
 * the map without valid credentials.
 */
import type { Millis } from '../../acd/types.ts';
import { BoundedLru } from './lru.ts';

interface Seen {
  nc: number;
  issuedAt: Millis;
}

export class NonceCountTracker {
  private evictedUpTo = -Infinity;
  private readonly seen: BoundedLru<string, Seen>;

  constructor(capacity: number) {
    this.seen = new BoundedLru(capacity, (_nonce, s) => {
      if (s.issuedAt > this.evictedUpTo) this.evictedUpTo = s.issuedAt;
    });
  }

  /** Accept (and record) `nc` for `nonce` if it is higher than any seen before; false means replay. */
  accept(nonce: string, issuedAt: Millis, nc: number): boolean {
    const prev = this.seen.get(nonce);
    if (prev === undefined && issuedAt <= this.evictedUpTo) return false;
    if (prev !== undefined && nc <= prev.nc) return false;
    this.seen.set(nonce, { nc, issuedAt });
    return true;
  }

  /** Drop nonces that can no longer be valid (issued before `before`). Keeps the map small between bursts. */
  prune(before: Millis): void {
    for (const [nonce, s] of [...this.seen.entries()]) if (s.issuedAt < before) this.seen.delete(nonce);
  }

  get size(): number {
    return this.seen.size;
  }
}
