/**
 * A Map with a size bound that forgets the least recently used entry first.
 * Every map keyed by something a peer controls (source address, nonce) goes
 * through one of these, so a flood of distinct keys costs bounded memory.
 * Map keeps insertion order; "use" re-inserts, so the first key is the oldest.
 */
export class BoundedLru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** Read and mark as recently used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Read without touching recency. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      const v = this.map.get(oldest.value) as V;
      this.map.delete(oldest.value);
      this.onEvict?.(oldest.value, v);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Oldest first (least recently used first). */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}
