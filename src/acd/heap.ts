/**
 * Binary min-heap that knows where each item sits, so any item can be removed
 * or re-positioned in O(log n). Items carry their own index (`heapIndex`), which
 * avoids a side Map on the hot path. `before(a, b)` is true when a must come
 * out first.
 */
export interface HeapItem {
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Items in heap order (not sorted): for scans that do not care about order. */
  values(): readonly T[] {
    return this.items;
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(item: T): boolean {
    const i = item.heapIndex;
    if (!this.has(item)) return false;
    const last = this.items.pop() as T;
    item.heapIndex = -1;
    if (i < this.items.length) {
      this.items[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    return true;
  }

  /** Call after changing an item's ordering key. */
  update(item: T): void {
    if (!this.has(item)) return;
    this.up(item.heapIndex);
    this.down(item.heapIndex);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i] as T;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (!this.before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && this.before(items[r] as T, items[l] as T)) child = r;
      const c = items[child] as T;
      if (!this.before(c, item)) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
