import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { MediaEngine } from './engine.ts';
import { MediaError, type MediaErrorCode } from './errors.ts';
import type {
  CollectResult,
  CreateResult,
  DtmfSource,
  EndpointStats,
  EngineCommand,
  EngineMessage,
  EngineOptions,
  EngineRequest,
  EngineStats,
  ModifyResult,
  NegotiatedSummary,
  PlayResult,
  RecordingResult,
} from './protocol.ts';
import type { G711Codec, MediaDirection } from './sdp.ts';

export type { CollectResult, EndpointStats, EngineStats, NegotiatedSummary, PlayResult, RecordingResult } from './protocol.ts';

export interface MediaServerOptions extends Partial<Omit<EngineOptions, 'idOffset' | 'idStride'>> {
  /** Run the engine in its own worker thread(s) (default). false runs it on this thread (tests, tools). */
  thread?: boolean;
  /**
   * Worker threads, each an engine with its share of the port range; endpoints go to the
   * least loaded one. Default 1. Bridged endpoints must share a worker: create the second
   * with `near: first`.
   */
  workers?: number;
}

export const MEDIA_DEFAULTS: EngineOptions = {
  bindAddress: '0.0.0.0',
  advertiseAddress: '127.0.0.1',
  portMin: 20000,
  portMax: 29999,
  rtpTimeoutMs: 60_000,
  codecs: ['PCMU', 'PCMA'],
  ptime: 20,
  promptCacheBytes: 64 * 1024 * 1024,
  idOffset: 0,
  idStride: 1,
};

/** Where requests go: a worker thread, or an engine on this thread. */
interface EngineChannel {
  send(req: EngineRequest): void;
  close(): Promise<void>;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface PlayOptions {
  files: string | string[];
  loop?: boolean;
}

export interface PlayCollectOptions {
  files?: string | string[];
  minDigits?: number;
  maxDigits?: number;
  /** Keys that end the input (not part of the digits). Default '#'. */
  terminators?: string;
  /** Wait for the first key after the prompt ended, ms. Default 5000. */
  firstDigitTimeout?: number;
  /** Wait between keys, ms. Default 3000. */
  interDigitTimeout?: number;
}

export interface CreateEndpointOptions {
  /** The caller's offer: we answer it. Without it we make an offer (`localSdp`) and `modify(answer)` follows. */
  remoteSdp?: string;
  /** Put the endpoint on the same media worker as this one (it will be bridged to it). */
  near?: Endpoint;
  inbandDtmf?: boolean;
  codecs?: G711Codec[];
  signal?: AbortSignal;
}

export interface DtmfEvent {
  digit: string;
  source: DtmfSource;
  durationMs: number;
}

function asError(info: { code: string; message: string; file?: string }): MediaError {
  return new MediaError(info.code as MediaErrorCode, info.message, info.file === undefined ? {} : { file: info.file });
}

function abortError(signal: AbortSignal): MediaError {
  return new MediaError('MEDIA_ABORTED', 'operation aborted', { cause: signal.reason });
}

/**
 * The MediaServer port (shaped like drachtio-fsmrf's MediaServer): the only way the calls
 * layer touches audio. Promises only; long operations take an AbortSignal. Requests cross
 * the thread boundary as small messages; the engine answers each one by id.
 */
export class MediaServer {
  readonly options: EngineOptions;
  readonly #waiters = new Map<number, Waiter>();
  readonly #endpoints = new Map<number, Endpoint>();
  /** One per engine; an endpoint's engine is `id % channels.length`. Empty once closed. */
  #channels: EngineChannel[] = [];
  /** Live endpoints per engine, for placing new ones. */
  #load: number[] = [];
  #nextId = 1;
  #down: string | null = null;

  private constructor(options: EngineOptions) {
    this.options = options;
  }

  static async start(opts: MediaServerOptions = {}): Promise<MediaServer> {
    const { thread = true, workers = 1, ...rest } = opts;
    const options: EngineOptions = { ...MEDIA_DEFAULTS, ...rest };
    const count = thread ? workers : 1;
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new MediaError('MEDIA_BAD_ARGUMENT', `workers must be a whole number from 1 to 64 (got ${workers})`);
    const server = new MediaServer(options);
    const slices = splitPortRange(options.portMin, options.portMax, count);
    try {
      for (let k = 0; k < count; k++) {
        const engineOptions: EngineOptions = { ...options, ...slices[k]!, idOffset: k, idStride: count };
        server.#channels.push(thread ? await server.#startWorker(engineOptions) : server.#startInline(engineOptions));
        server.#load.push(0);
      }
    } catch (err) {
      await Promise.allSettled(server.#channels.map((c) => c.close()));
      throw err;
    }
    return server;
  }

  /** Is every engine running (for /readyz)? */
  get up(): boolean {
    return this.#down === null && this.#channels.length > 0;
  }

  get workers(): number {
    return this.#channels.length;
  }

  get endpointCount(): number {
    return this.#endpoints.size;
  }

  async createEndpoint(opts: CreateEndpointOptions = {}): Promise<Endpoint> {
    const options: { remoteSdp?: string; inbandDtmf?: boolean; codecs?: G711Codec[] } = {};
    if (opts.remoteSdp !== undefined) options.remoteSdp = opts.remoteSdp;
    if (opts.inbandDtmf !== undefined) options.inbandDtmf = opts.inbandDtmf;
    if (opts.codecs !== undefined) options.codecs = opts.codecs;
    const engine = opts.near !== undefined ? this.#engineOf(opts.near.id) : this.#leastLoaded();
    this.#load[engine] = (this.#load[engine] ?? 0) + 1; // counted now, so concurrent creates spread out
    let created: CreateResult;
    try {
      created = (await this.request({ op: 'create', options }, undefined, engine)) as CreateResult;
    } catch (err) {
      this.#load[engine]!--;
      throw err;
    }
    const ep = new Endpoint(this, created);
    this.#endpoints.set(created.id, ep);
    if (opts.signal?.aborted === true) {
      await ep.destroy('aborted');
      throw abortError(opts.signal);
    }
    return ep;
  }

  /** Every engine's counters, summed (lateness histograms added bucket by bucket). */
  async stats(): Promise<EngineStats> {
    if (this.#down !== null || this.#channels.length === 0) throw new MediaError('MEDIA_ENGINE_DOWN', `media engine is not running: ${this.#down ?? 'not started'}`);
    const all = (await Promise.all(this.#channels.map((_, k) => this.request({ op: 'stats' }, undefined, k)))) as EngineStats[];
    return all.reduce(addStats);
  }

  /** Destroy every endpoint and stop the engines. */
  async close(): Promise<void> {
    const channels = this.#channels;
    if (channels.length === 0) return;
    await Promise.allSettled([...this.#endpoints.values()].map((ep) => ep.destroy('shutdown')));
    this.#fail('MEDIA_ENGINE_DOWN', 'media server closed');
    this.#channels = [];
    await Promise.allSettled(channels.map((c) => c.close()));
  }

  #engineOf(endpointId: number): number {
    return endpointId % this.#channels.length;
  }

  #leastLoaded(): number {
    let best = 0;
    for (let k = 1; k < this.#load.length; k++) if (this.#load[k]! < this.#load[best]!) best = k;
    return best;
  }

  /** @internal an endpoint is gone: its engine has room again. */
  _released(endpointId: number): void {
    if (this.#endpoints.delete(endpointId) && this.#channels.length > 0) this.#load[this.#engineOf(endpointId)]!--;
  }

  /**
   * @internal Send one command to the engine that owns its endpoint (or `engine`); resolves
   * with the reply.
   */
  request(cmd: EngineCommand, signal?: AbortSignal, engine?: number): Promise<unknown> {
    if (this.#down !== null || this.#channels.length === 0) {
      return Promise.reject(new MediaError('MEDIA_ENGINE_DOWN', `media engine is not running: ${this.#down ?? 'not started'}`));
    }
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (cmd.op === 'bridge' && this.#engineOf(cmd.ep) !== this.#engineOf(cmd.other)) {
      return Promise.reject(new MediaError('MEDIA_BAD_STATE', `endpoints ${cmd.ep} and ${cmd.other} are on different media workers: create the second one with { near: first }`));
    }
    const id = this.#nextId++;
    const channel = this.#channels[engine ?? ('ep' in cmd ? this.#engineOf(cmd.ep) : 0)]!;
    return new Promise((resolve, reject) => {
      if (signal === undefined) {
        this.#waiters.set(id, { resolve, reject });
      } else {
        // The await ends at once; the engine is told to stop and its late reply is dropped.
        const onAbort = (): void => {
          if (!this.#waiters.delete(id)) return;
          reject(abortError(signal));
          if ('ep' in cmd && this.#down === null) channel.send({ id: this.#nextId++, cmd: { op: 'stop', ep: cmd.ep, target: id } });
        };
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (): void => signal.removeEventListener('abort', onAbort);
        this.#waiters.set(id, {
          resolve: (v) => {
            done();
            resolve(v);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        });
      }
      channel.send({ id, cmd });
    });
  }

  #onMessage = (msg: EngineMessage): void => {
    if ('event' in msg) {
      const ep = this.#endpoints.get(msg.ep);
      if (ep === undefined) return;
      if (msg.event === 'destroy') {
        this._released(msg.ep);
        ep._destroyed(msg.reason);
      } else if (msg.event === 'dtmf') {
        ep.emit('dtmf', { digit: msg.digit, source: msg.source, durationMs: msg.durationMs } satisfies DtmfEvent);
      } else {
        ep.emit('rtpTimeout', { idleMs: msg.idleMs });
      }
      return;
    }
    const waiter = this.#waiters.get(msg.id);
    if (waiter === undefined) return; // aborted: nobody waits any more
    this.#waiters.delete(msg.id);
    if (msg.ok) waiter.resolve(msg.result);
    else waiter.reject(asError(msg.error));
  };

  /** The engine is gone: every waiting call fails, every endpoint reports its end. */
  #fail(code: MediaErrorCode, why: string): void {
    if (this.#down !== null) return;
    this.#down = why;
    for (const w of this.#waiters.values()) w.reject(new MediaError(code, why));
    this.#waiters.clear();
    for (const ep of this.#endpoints.values()) ep._destroyed('media-engine-down');
    this.#endpoints.clear();
  }

  #startInline(options: EngineOptions): EngineChannel {
    const engine = new MediaEngine(options, (msg) => queueMicrotask(() => this.#onMessage(msg)));
    return {
      send: (req) => engine.handle(req),
      close: () => engine.close(),
    };
  }

  async #startWorker(options: EngineOptions): Promise<EngineChannel> {
    const entry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url).href;
    const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { workerData: { entry, options } });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new MediaError('MEDIA_ENGINE_DOWN', `media worker failed to start: ${err.message}`, { cause: err }));
      worker.once('error', onError);
      worker.once('exit', (code) => reject(new MediaError('MEDIA_ENGINE_DOWN', `media worker exited during start (code ${code})`)));
      worker.once('message', (m: { ready?: boolean }) => {
        worker.off('error', onError);
        worker.removeAllListeners('exit');
        if (m.ready === true) resolve();
        else reject(new MediaError('MEDIA_ENGINE_DOWN', 'media worker sent an unexpected first message'));
      });
    });
    let closing = false;
    worker.on('message', (m: EngineMessage | { shutdownDone: true }) => {
      if ('shutdownDone' in m) return;
      this.#onMessage(m);
    });
    worker.on('error', (err) => this.#fail('MEDIA_ENGINE_DOWN', `media worker crashed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!closing) this.#fail('MEDIA_ENGINE_DOWN', `media worker exited (code ${code})`);
    });
    return {
      send: (req) => worker.postMessage(req),
      close: async () => {
        closing = true;
        const done = new Promise<void>((resolve) => {
          worker.on('message', (m: { shutdownDone?: boolean }) => {
            if (m.shutdownDone === true) resolve();
          });
          setTimeout(resolve, 2000).unref();
        });
        worker.postMessage({ shutdown: true });
        await done;
        await worker.terminate();
      },
    };
  }
}

/** Even-aligned, non-overlapping slices of [min, max], one per engine. */
function splitPortRange(min: number, max: number, parts: number): Array<{ portMin: number; portMax: number }> {
  if (parts === 1) return [{ portMin: min, portMax: max }]; // the engine validates it as given
  const first = min % 2 === 0 ? min : min + 1;
  const pairs = Math.floor((max - first + 1) / 2);
  const per = Math.floor(pairs / parts);
  if (per < 2) throw new MediaError('MEDIA_BAD_ARGUMENT', `RTP port range ${min}-${max} is too small for ${parts} media workers`);
  return Array.from({ length: parts }, (_, k) => ({ portMin: first + 2 * per * k, portMax: first + 2 * per * (k + 1) - 1 }));
}

function addStats(a: EngineStats, b: EngineStats): EngineStats {
  const sum = { ...a };
  for (const key of Object.keys(b) as Array<keyof EngineStats>) {
    const v = b[key];
    if (typeof v === 'number') (sum[key] as number) = (a[key] as number) + v;
  }
  sum.latenessBuckets = a.latenessBuckets.map((n, i) => n + (b.latenessBuckets[i] ?? 0));
  sum.latenessMaxMs = Math.max(a.latenessMaxMs, b.latenessMaxMs);
  const live = a.endpoints + b.endpoints;
  sum.jitterMsMean = live === 0 ? 0 : (a.jitterMsMean * a.endpoints + b.jitterMsMean * b.endpoints) / live;
  return sum;
}

/**
 * One media endpoint (shaped like drachtio-fsmrf's Endpoint). Events: `dtmf` (DtmfEvent),
 * `rtpTimeout` ({idleMs}: the phone stopped sending; the calls layer ends the call),
 * `destroy` ({reason}).
 */
export class Endpoint extends EventEmitter {
  readonly id: number;
  readonly port: number;
  localSdp: string;
  media: NegotiatedSummary | null;
  #destroyed = false;
  readonly #server: MediaServer;

  /** @internal created by MediaServer.createEndpoint */
  constructor(server: MediaServer, created: CreateResult) {
    super();
    this.#server = server;
    this.id = created.id;
    this.port = created.port;
    this.localSdp = created.localSdp;
    this.media = created.media;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  #req(cmd: EngineCommand, signal?: AbortSignal): Promise<unknown> {
    if (this.#destroyed) return Promise.reject(new MediaError('MEDIA_ENDPOINT_GONE', `endpoint ${this.id} is destroyed`));
    return this.#server.request(cmd, signal);
  }

  /** Apply the answer to our offer, or answer a new offer (re-INVITE: hold, resume, new address). */
  async modify(remoteSdp: string, opts: { direction?: MediaDirection; signal?: AbortSignal } = {}): Promise<ModifyResult> {
    const cmd: EngineCommand = opts.direction === undefined ? { op: 'modify', ep: this.id, remoteSdp } : { op: 'modify', ep: this.id, remoteSdp, direction: opts.direction };
    const result = (await this.#req(cmd, opts.signal)) as ModifyResult;
    this.localSdp = result.localSdp;
    this.media = result.media;
    return result;
  }

  /** Play files (or `tone:…` / `silence:<ms>`); resolves when they end or are stopped. */
  play(what: string | string[] | PlayOptions, opts: { signal?: AbortSignal } = {}): Promise<PlayResult> {
    const spec: PlayOptions = typeof what === 'string' || Array.isArray(what) ? { files: what } : what;
    const files = typeof spec.files === 'string' ? [spec.files] : spec.files;
    return this.#req({ op: 'play', ep: this.id, args: { files, loop: spec.loop === true } }, opts.signal) as Promise<PlayResult>;
  }

  /** Play a prompt and collect digits; a key pressed during the prompt stops it (barge-in). */
  playCollect(opts: PlayCollectOptions & { signal?: AbortSignal }): Promise<CollectResult> {
    const files = opts.files === undefined ? [] : typeof opts.files === 'string' ? [opts.files] : opts.files;
    const maxDigits = opts.maxDigits ?? 1;
    const args = {
      files,
      minDigits: opts.minDigits ?? 1,
      maxDigits,
      terminators: opts.terminators ?? '#',
      firstDigitTimeoutMs: opts.firstDigitTimeout ?? 5000,
      interDigitTimeoutMs: opts.interDigitTimeout ?? 3000,
    };
    return this.#req({ op: 'playCollect', ep: this.id, args }, opts.signal) as Promise<CollectResult>;
  }

  /** Stop whatever plays or collects; their promises resolve (play) or reject MEDIA_ABORTED (collect). */
  async stopPlay(): Promise<void> {
    await this.#req({ op: 'stop', ep: this.id });
  }

  /** Record to a WAV file: stereo puts the phone's audio left and what it hears right. */
  async record(path: string, opts: { stereo?: boolean } = {}): Promise<void> {
    await this.#req({ op: 'record', ep: this.id, path, stereo: opts.stereo === true });
  }

  stopRecording(): Promise<RecordingResult> {
    return this.#req({ op: 'stopRecording', ep: this.id }) as Promise<RecordingResult>;
  }

  /** Silence the recording (the caller reads card data); the timeline keeps running. */
  async pauseRecording(): Promise<void> {
    await this.#req({ op: 'pauseRecording', ep: this.id });
  }

  async resumeRecording(): Promise<void> {
    await this.#req({ op: 'resumeRecording', ep: this.id });
  }

  async bridge(other: Endpoint): Promise<void> {
    await this.#req({ op: 'bridge', ep: this.id, other: other.id });
  }

  async unbridge(): Promise<void> {
    await this.#req({ op: 'unbridge', ep: this.id });
  }

  /** Send digits as RFC 4733 events (in-band tones when the phone did not negotiate them). */
  async sendDtmf(digits: string): Promise<void> {
    await this.#req({ op: 'sendDtmf', ep: this.id, digits });
  }

  /** A digit received by signaling (SIP INFO): reported through the same `dtmf` event. */
  async injectDtmf(digit: string, durationMs = 100): Promise<void> {
    await this.#req({ op: 'injectDtmf', ep: this.id, digit, durationMs });
  }

  stats(): Promise<EndpointStats> {
    return this.#req({ op: 'endpointStats', ep: this.id }) as Promise<EndpointStats>;
  }

  async destroy(reason = 'destroyed'): Promise<void> {
    if (this.#destroyed) return;
    await this.#server.request({ op: 'destroy', ep: this.id, reason }).catch((err: unknown) => {
      if (!(err instanceof MediaError && err.code === 'MEDIA_ENGINE_DOWN')) throw err;
    });
    this.#server._released(this.id);
    this._destroyed(reason);
  }

  /** @internal */
  _destroyed(reason: string): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.emit('destroy', { reason });
  }
}
