/**
 * A BindingStore in one JSON file, so registrations survive a restart until
 * the database store exists. Writes are debounced (many REGISTERs → one
 * write) and atomic: the file is written under a temporary name, fsync'd and
 * renamed over the old one, so a crash leaves either the old or the new file,
 * never half of one.
 *
 * save/remove resolve once the change is in memory, not on disk: a crash can
 * lose the last `debounceMs` of changes, which costs at most a re-REGISTER.
 * Call close() on shutdown to flush. Background write errors go to `onError`
 * and the write is retried on the next change or flush.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { bindingFromJson } from './codec.ts';
import { RegistrarError } from './errors.ts';
import type { Binding, BindingStore } from './types.ts';

const FORMAT_VERSION = 1;

export interface FileBindingStoreOptions {
  path: string;
  /** Delay between a change and its write. Default 200 ms. */
  debounceMs?: number;
  /** Background write failures and skipped file entries; default: ignored (use a logger). */
  onError?: (err: Error) => void;
}

export class FileBindingStore implements BindingStore {
  private readonly path: string;
  private readonly debounceMs: number;
  private readonly onError: (err: Error) => void;
  private readonly bindings = new Map<string, Binding>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  /** The write in progress, if any: flushes never overlap. */
  private writing: Promise<void> | undefined;
  private tmpSeq = 0;

  constructor(opts: FileBindingStoreOptions) {
    this.path = opts.path;
    this.debounceMs = opts.debounceMs ?? 200;
    this.onError = opts.onError ?? (() => undefined);
  }

  private static key(aor: string, contact: string): string {
    return `${aor}\u0000${contact}`;
  }

  async load(): Promise<Binding[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RegistrarError('REG_STORE_FAILED', `cannot read ${this.path}`, { cause: err });
    }
    const entries = this.parse(text);
    if (entries === undefined) {
      // Keep the unreadable file for a human to look at, start empty: phones re-register anyway.
      const aside = `${this.path}.corrupt`;
      await rename(this.path, aside).catch(() => undefined);
      this.onError(new RegistrarError('REG_STORE_CORRUPT', `${this.path} is not a binding file; moved to ${aside}`));
      return [];
    }
    this.bindings.clear();
    let skipped = 0;
    for (const e of entries) {
      const b = bindingFromJson(e);
      if (b === undefined) skipped++;
      else this.bindings.set(FileBindingStore.key(b.aor, b.contact), b);
    }
    if (skipped > 0) this.onError(new RegistrarError('REG_STORE_CORRUPT', `${this.path}: skipped ${skipped} malformed binding(s)`));
    return [...this.bindings.values()];
  }

  save(b: Binding): Promise<void> {
    this.bindings.set(FileBindingStore.key(b.aor, b.contact), b);
    this.changed();
    return Promise.resolve();
  }

  remove(aor: string, contact: string): Promise<void> {
    if (this.bindings.delete(FileBindingStore.key(aor, contact))) this.changed();
    return Promise.resolve();
  }

  removeAll(aor: string): Promise<void> {
    let any = false;
    for (const [k, b] of this.bindings) {
      if (b.aor === aor) any = this.bindings.delete(k) || any;
    }
    if (any) this.changed();
    return Promise.resolve();
  }

  /** Write pending changes now (and wait for a write already running). Rejects with REG_STORE_FAILED. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing !== undefined) await this.writing.catch(() => undefined);
    if (!this.dirty) return;
    this.dirty = false;
    const snapshot = JSON.stringify({ version: FORMAT_VERSION, bindings: [...this.bindings.values()] });
    this.writing = this.write(snapshot);
    try {
      await this.writing;
    } catch (err) {
      this.dirty = true; // retried by the next change or flush
      throw new RegistrarError('REG_STORE_FAILED', `cannot write ${this.path}`, { cause: err });
    } finally {
      this.writing = undefined;
    }
  }

  /** Flush and stop the debounce timer; call on shutdown. */
  async close(): Promise<void> {
    await this.flush();
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))));
    }, this.debounceMs);
    // A pending write must not keep a stopping process alive; close() is how shutdown flushes.
    this.timer.unref();
  }

  private async write(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${++this.tmpSeq}.tmp`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  private parse(text: string): unknown[] | undefined {
    try {
      const doc: unknown = JSON.parse(text);
      if (typeof doc !== 'object' || doc === null) return undefined;
      const { version, bindings } = doc as { version?: unknown; bindings?: unknown };
      return version === FORMAT_VERSION && Array.isArray(bindings) ? (bindings as unknown[]) : undefined;
    } catch {
      return undefined;
    }
  }
}
