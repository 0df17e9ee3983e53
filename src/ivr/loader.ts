/**
 * The flows in force: every *.yaml / *.yml of the flows folder that passed
 * validation, by flow id, kept current while the server runs.
 *
 * Hot reload: a saved file is validated again. A valid version replaces the
 * flow for new calls; a call in progress holds its own LoadedFlow (immutable),
 * so it finishes on the version it started with. An invalid version is refused
 * and the previous one stays in force — an administrator's typo must never take
 * the hotline down. A deleted file removes its flow.
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { FlowError } from './errors.ts';
import type { FlowEnvironment, LoadedFlow } from './flow.ts';
import { idFromFile, validateFlow } from './validate.ts';
import { lineAt, parseYaml } from '../yaml-lines.ts';

export interface FlowRegistryOptions {
  /** The flows folder (ivr-flows/). */
  dir: string;
  env: FlowEnvironment;
  log: Logger;
  /** Reload files when they change (default true; `hotline flow check` and tests may turn it off). */
  watch?: boolean;
  /** Called after start-up for every accepted, refused or removed file. */
  onChange?: (change: FlowChange) => void;
  /** Quiet time after the last event of a file before it is read again (ms, default 100). */
  debounceMs?: number;
}

export type FlowChange =
  | { type: 'updated'; flow: LoadedFlow; previous: LoadedFlow | undefined }
  | { type: 'rejected'; file: string; error: FlowError }
  | { type: 'removed'; flow: LoadedFlow };

export interface FlowRegistryEvents {
  /** A file was accepted: a new flow, or a new version (previous is the version it replaced). */
  updated: [flow: LoadedFlow, previous: LoadedFlow | undefined];
  /** A file was refused; the version in force (if any) stays. `file` is absolute. */
  rejected: [error: FlowError, file: string];
  /** A file was deleted (or renamed away) and its flow with it. */
  removed: [flow: LoadedFlow];
}

export type ReloadResult =
  | { status: 'updated'; flow: LoadedFlow }
  | { status: 'unchanged'; flow: LoadedFlow }
  | { status: 'rejected'; error: FlowError }
  | { status: 'removed'; flow: LoadedFlow }
  /** No such file, and no flow from it. */
  | { status: 'absent' };

const FLOW_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Dot files are editors' and tools' (".isp.yaml.swp" is filtered by extension, ".#isp.yaml" by the dot). */
function isFlowFile(name: string): boolean {
  return !name.startsWith('.') && FLOW_EXTENSIONS.has(extname(name));
}

export class FlowRegistry extends EventEmitter<FlowRegistryEvents> {
  readonly dir: string;
  readonly #env: FlowEnvironment;
  readonly #log: Logger;
  readonly #onChange: ((change: FlowChange) => void) | undefined;
  readonly #debounceMs: number;
  readonly #flows = new Map<string, LoadedFlow>();
  /** Absolute file → id of the flow it supplies. */
  readonly #fileIds = new Map<string, string>();
  readonly #errors = new Map<string, FlowError>();
  /** Files refused because another file has their id: retried when that id is freed. */
  readonly #waitingForId = new Map<string, string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Checks of one file run one after the other, in the order asked. */
  readonly #chains = new Map<string, Promise<ReloadResult>>();
  #watcher: FSWatcher | undefined;
  #started = false;
  #closed = false;

  private constructor(opts: FlowRegistryOptions) {
    super();
    this.dir = resolve(opts.dir);
    this.#env = opts.env;
    this.#log = opts.log;
    this.#onChange = opts.onChange;
    this.#debounceMs = opts.debounceMs ?? 100;
  }

  /** Load every flow file of `dir` (a bad one is logged and left out), then watch the folder. */
  static async open(opts: FlowRegistryOptions): Promise<FlowRegistry> {
    const registry = new FlowRegistry(opts);
    const isDir = await stat(registry.dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new FlowError('FLOW_NOT_FOUND', [{ file: opts.dir, message: 'the flows folder does not exist' }]);
    // Watch first: a file saved while the others load is then not missed.
    if (opts.watch ?? true) registry.#startWatching();
    for (const file of await registry.#flowFiles()) await registry.reload(file);
    registry.#started = true;
    registry.#log.info({ dir: registry.dir, flows: registry.list().map((f) => f.id) }, 'flows loaded');
    return registry;
  }

  get(id: string): LoadedFlow | undefined {
    return this.#flows.get(id);
  }

  /** The flows in force, by id. */
  list(): LoadedFlow[] {
    return [...this.#flows.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Why the last version of a file was refused (by file name, path or flow id); undefined once it loads again. */
  lastError(idOrFile: string): FlowError | undefined {
    const byFile = this.#errors.get(resolve(this.dir, idOrFile));
    if (byFile) return byFile;
    for (const [file, error] of this.#errors) {
      if (this.#fileIds.get(file) === idOrFile || idFromFile(file) === idOrFile) return error;
    }
    return undefined;
  }

  /** Check a file now (relative to the flows folder, or absolute), as if it had just been saved. */
  reload(file: string): Promise<ReloadResult> {
    const abs = resolve(this.dir, file);
    const previous = this.#chains.get(abs) ?? Promise.resolve<ReloadResult>({ status: 'absent' });
    const next = previous.then(() => this.#check(abs)).catch((err: unknown) => {
      // A bug here must not become an unhandled rejection in a file watcher.
      const message = `cannot be checked: ${err instanceof Error ? err.message : String(err)}`;
      return this.#reject(abs, new FlowError('FLOW_PARSE', [{ file: this.#display(abs), message }]));
    });
    this.#chains.set(abs, next);
    void next.then(() => {
      if (this.#chains.get(abs) === next) this.#chains.delete(abs);
    });
    return next;
  }

  /** Stop watching; resolves when checks under way have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#chains.values());
  }

  async #check(abs: string): Promise<ReloadResult> {
    let text: string;
    try {
      text = await readFile(abs, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.#remove(abs);
      const message = `the file cannot be read (${err instanceof Error ? err.message : String(err)})`;
      return this.#reject(abs, new FlowError('FLOW_NOT_FOUND', [{ file: this.#display(abs), message }]));
    }
    const current = this.#current(abs);
    if (current && current.text === text) {
      // Saved without a change, or put back as it was after a refused edit.
      this.#errors.delete(abs);
      return { status: 'unchanged', flow: current };
    }
    let flow: LoadedFlow;
    try {
      flow = validateFlow(text, this.#display(abs), this.#env);
    } catch (err) {
      const error = err instanceof FlowError ? err : new FlowError('FLOW_PARSE', [{ file: this.#display(abs), message: `cannot be validated: ${String(err)}` }]);
      return this.#reject(abs, error);
    }
    const owner = [...this.#fileIds].find(([file, id]) => id === flow.id && file !== abs)?.[0];
    if (owner !== undefined) {
      const line = lineAt(parseYaml(text), ['id']);
      const error = new FlowError('FLOW_REFERENCE', [
        { file: this.#display(abs), field: 'id', message: `flow id "${flow.id}" is already used by ${this.#display(owner)}`, ...(line !== undefined ? { line } : {}) },
      ]);
      this.#waitingForId.set(abs, flow.id);
      return this.#reject(abs, error);
    }
    this.#waitingForId.delete(abs);
    if (current && current.id !== flow.id) this.#release(current.id);
    this.#flows.set(flow.id, flow);
    this.#fileIds.set(abs, flow.id);
    this.#errors.delete(abs);
    this.#log.info({ flow: flow.id, hash: flow.hash, file: flow.file }, current ? 'flow updated: new calls use the new version' : 'flow loaded');
    this.#notify({ type: 'updated', flow, previous: current });
    return { status: 'updated', flow };
  }

  #reject(abs: string, error: FlowError): ReloadResult {
    this.#errors.set(abs, error);
    const kept = this.#current(abs);
    this.#log.error(
      { file: abs, code: error.code, ...(kept ? { flow: kept.id, keptHash: kept.hash } : {}) },
      `flow file refused${kept ? ', previous version kept' : ''}:\n${error.message}`,
    );
    this.#notify({ type: 'rejected', file: abs, error });
    return { status: 'rejected', error };
  }

  #remove(abs: string): ReloadResult {
    this.#errors.delete(abs);
    this.#waitingForId.delete(abs);
    const flow = this.#current(abs);
    if (!flow) return { status: 'absent' };
    this.#fileIds.delete(abs);
    this.#release(flow.id);
    this.#log.warn({ flow: flow.id, file: abs }, 'flow file deleted: flow removed');
    this.#notify({ type: 'removed', flow });
    return { status: 'removed', flow };
  }

  /** Drop a flow id; a file refused for wanting that id gets another chance. */
  #release(id: string): void {
    this.#flows.delete(id);
    for (const [file, wanted] of this.#waitingForId) {
      if (wanted === id && !this.#closed) void this.reload(file);
    }
  }

  #current(abs: string): LoadedFlow | undefined {
    const id = this.#fileIds.get(abs);
    return id === undefined ? undefined : this.#flows.get(id);
  }

  #notify(change: FlowChange): void {
    if (change.type === 'updated') this.emit('updated', change.flow, change.previous);
    else if (change.type === 'rejected') this.emit('rejected', change.error, change.file);
    else this.emit('removed', change.flow);
    if (!this.#started || !this.#onChange) return;
    try {
      this.#onChange(change);
    } catch (err) {
      this.#log.error({ err }, 'flow onChange handler failed');
    }
  }

  #startWatching(): void {
    // Not persistent: the watcher alone must not keep a process alive.
    this.#watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (this.#closed) return;
      // 'rename' as well as 'change': editors save by writing a temporary file and renaming it.
      if (name === null) void this.#rescan();
      else if (isFlowFile(name)) this.#schedule(join(this.dir, name));
    });
    this.#watcher.on('error', (err) => {
      this.#log.error({ err, dir: this.dir }, 'cannot watch the flows folder any more: flow changes are not picked up');
      this.#watcher?.close();
      this.#watcher = undefined;
    });
  }

  /** Editors fire several events per save: check once, when they have settled. */
  #schedule(abs: string): void {
    clearTimeout(this.#timers.get(abs));
    this.#timers.set(
      abs,
      setTimeout(() => {
        this.#timers.delete(abs);
        if (!this.#closed) void this.reload(abs);
      }, this.#debounceMs),
    );
  }

  /** The platform did not say which file changed: look at all of them. */
  async #rescan(): Promise<void> {
    const files = new Set([...(await this.#flowFiles().catch(() => [])), ...this.#fileIds.keys(), ...this.#errors.keys()]);
    for (const file of files) this.#schedule(file);
  }

  async #flowFiles(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && isFlowFile(e.name))
      .map((e) => join(this.dir, e.name))
      .sort();
  }

  /** As the administrator would type it: relative to the working directory when inside it. */
  #display(abs: string): string {
    const rel = relative(process.cwd(), abs);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
  }
}
