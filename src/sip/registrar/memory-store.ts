/** A BindingStore that keeps nothing across restarts: tests, and deployments that accept re-registration after a restart. */
import type { Binding, BindingStore } from './types.ts';

export class MemoryBindingStore implements BindingStore {
  private readonly byAor = new Map<string, Map<string, Binding>>();

  load(): Promise<Binding[]> {
    return Promise.resolve([...this.byAor.values()].flatMap((m) => [...m.values()]));
  }

  save(b: Binding): Promise<void> {
    let m = this.byAor.get(b.aor);
    if (m === undefined) this.byAor.set(b.aor, (m = new Map()));
    m.set(b.contact, b);
    return Promise.resolve();
  }

  remove(aor: string, contact: string): Promise<void> {
    const m = this.byAor.get(aor);
    m?.delete(contact);
    if (m?.size === 0) this.byAor.delete(aor);
    return Promise.resolve();
  }

  removeAll(aor: string): Promise<void> {
    this.byAor.delete(aor);
    return Promise.resolve();
  }

  /** Number of bindings held (for tests). */
  get size(): number {
    let n = 0;
    for (const m of this.byAor.values()) n += m.size;
    return n;
  }
}
