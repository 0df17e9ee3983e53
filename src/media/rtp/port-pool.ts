import { MediaError } from '../errors.ts';

/**
 * Hands out even RTP ports from a configured range (RTCP takes port + 1, RFC 3550 §11).
 * Allocation is round-robin so that a port just released is not reused at once: a late
 * packet from the previous call must not land in the next one. Ports the OS refuses
 * (taken by another program) are skipped by the caller via `markBusy`.
 */
export class RtpPortPool {
  readonly first: number;
  readonly last: number;
  readonly #inUse = new Set<number>();
  #next: number;

  /**
   * `start`: 'first' hands out `first` first (predictable, for tests); 'random' starts at a
   * random pair, so that engines sharing a range (several processes, tests running side by
   * side) do not all fight over its bottom end.
   */
  constructor(first: number, last: number, start: 'first' | 'random' = 'first') {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1024 || last > 65535 || last - first < 3) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `bad RTP port range ${first}-${last}: need 1024 <= first < last <= 65535 with room for two ports`);
    }
    this.first = first % 2 === 0 ? first : first + 1;
    this.last = last;
    this.#next = this.first;
    if (start === 'random') this.#next = this.first + 2 * Math.floor(Math.random() * this.capacity);
  }

  /** Number of RTP/RTCP pairs the range holds. */
  get capacity(): number {
    return Math.floor((this.last - this.first + 1) / 2);
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** Reserve the next free even port. Throws MEDIA_PORTS_EXHAUSTED when all are in use. */
  take(): number {
    const pairs = this.capacity;
    for (let i = 0; i < pairs; i++) {
      const port = this.#next;
      this.#next += 2;
      if (this.#next + 1 > this.last) this.#next = this.first;
      if (!this.#inUse.has(port)) {
        this.#inUse.add(port);
        return port;
      }
    }
    throw new MediaError('MEDIA_PORTS_EXHAUSTED', `all ${pairs} RTP ports of ${this.first}-${this.last} are in use`);
  }

  release(port: number): void {
    this.#inUse.delete(port);
  }
}
