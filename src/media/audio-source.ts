import { encodeAlaw, encodeUlaw } from './codecs/g711.ts';
import { MediaError } from './errors.ts';
import type { G711Codec } from './sdp.ts';
import { readWavFile } from './wav.ts';

/** One sound ready to send: decoded once, kept in both G.711 laws so a frame is a copy. */
export interface PreparedAudio {
  name: string;
  samples: number;
  ulaw: Buffer;
  alaw: Buffer;
}

export const ULAW_SILENCE = 0xff;
export const ALAW_SILENCE = 0xd5;

export function silenceByte(codec: G711Codec): number {
  return codec === 'PCMU' ? ULAW_SILENCE : ALAW_SILENCE;
}

/** Encode linear samples in both laws once, so that sending a frame is a plain copy. */
export function prepareAudio(name: string, pcm: Int16Array): PreparedAudio {
  const ulaw = Buffer.allocUnsafe(pcm.length);
  const alaw = Buffer.allocUnsafe(pcm.length);
  encodeUlaw(pcm, ulaw);
  encodeAlaw(pcm, alaw);
  return { name, samples: pcm.length, ulaw, alaw };
}

/**
 * A tone given as `tone:<name>` or `tone:<f1>[+<f2>]/<onMs>/<offMs>`; `silence:<ms>` is a pause.
 * Names follow the Russian/European telephone plan the demo hotline uses (425 Hz).
 */
const NAMED_TONES: Record<string, string> = {
  ringback: '425/1000/4000',
  busy: '425/350/350',
  congestion: '425/175/175',
  'ringback-us': '440+480/2000/4000',
  'busy-us': '480+620/500/500',
  beep: '1000/250/0',
};

/** Level of generated tones: −13 dBm0 per frequency, a comfortable ringback level. */
const TONE_AMPLITUDE = 32768 / Math.pow(10, 3.17 / 20) / Math.pow(10, 13 / 20);

function synthesizeTone(spec: string, name: string): PreparedAudio {
  const m = /^(\d+(?:\+\d+)*)\/(\d+)\/(\d+)$/.exec(spec);
  if (m === null) {
    throw new MediaError('MEDIA_BAD_ARGUMENT', `bad tone "${name}": use tone:ringback|busy|congestion|beep or tone:<Hz>[+<Hz>]/<onMs>/<offMs>`);
  }
  const freqs = m[1]!.split('+').map(Number);
  const on = Number(m[2]) * 8;
  const off = Number(m[3]) * 8;
  if (freqs.some((f) => f < 50 || f > 3800) || on < 8 || on + off > 8000 * 60) {
    throw new MediaError('MEDIA_BAD_ARGUMENT', `tone "${name}" out of range (50-3800 Hz, cadence up to 60 s)`);
  }
  const pcm = new Int16Array(on + off);
  const ramp = Math.min(40, on >> 2); // 5 ms ramps: no clicks at the cadence edges
  for (let i = 0; i < on; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / 8000);
    const env = Math.min(1, i / ramp, (on - 1 - i) / ramp);
    pcm[i] = Math.round(v * TONE_AMPLITUDE * env);
  }
  return prepareAudio(name, pcm);
}

/**
 * Prompts decoded once and kept (bounded by bytes, least recently used out first).
 * Concurrent requests for the same file share one read.
 */
export class PromptCache {
  readonly #entries = new Map<string, Promise<PreparedAudio>>();
  readonly #sizes = new Map<string, number>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** A file path, `tone:...` or `silence:<ms>`. Rejects with a MediaError naming the file. */
  get(name: string): Promise<PreparedAudio> {
    const hit = this.#entries.get(name);
    if (hit !== undefined) {
      this.#entries.delete(name); // move to the recent end
      this.#entries.set(name, hit);
      return hit;
    }
    const loading = this.#load(name);
    this.#entries.set(name, loading);
    loading.then(
      (audio) => this.#account(name, audio),
      () => this.#entries.delete(name), // a bad file is not cached: it may be fixed on disk
    );
    return loading;
  }

  async #load(name: string): Promise<PreparedAudio> {
    if (name.startsWith('tone:')) {
      const key = name.slice(5);
      return synthesizeTone(NAMED_TONES[key] ?? key, name);
    }
    if (name.startsWith('silence:')) {
      const text = name.slice(8);
      const ms = /^\d+$/.test(text) ? Number(text) : Number.NaN; // "silence:" alone is a mistake, not 0 ms
      if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw new MediaError('MEDIA_BAD_ARGUMENT', `bad silence "${name}": silence:<ms> up to 600000`);
      const n = ms * 8;
      return { name, samples: n, ulaw: Buffer.alloc(n, ULAW_SILENCE), alaw: Buffer.alloc(n, ALAW_SILENCE) };
    }
    const wav = await readWavFile(name);
    return prepareAudio(name, wav.samples);
  }

  #account(name: string, audio: PreparedAudio): void {
    if (!this.#entries.has(name)) return;
    const size = audio.samples * 2;
    this.#sizes.set(name, size);
    this.#bytes += size;
    for (const key of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes || key === name) break;
      const s = this.#sizes.get(key);
      if (s === undefined) continue; // still loading
      this.#entries.delete(key);
      this.#sizes.delete(key);
      this.#bytes -= s;
    }
  }
}

/**
 * A playlist being played: files one after another with no gap between them (a frame may
 * hold the end of one and the start of the next), optionally looping.
 */
export class PlaylistCursor {
  readonly #items: readonly PreparedAudio[];
  readonly #loop: boolean;
  #index = 0;
  #offset = 0;
  /** Samples sent so far, for "stopped after N ms" reports. */
  played = 0;

  constructor(items: readonly PreparedAudio[], loop: boolean) {
    this.#items = items;
    this.#loop = loop && items.some((i) => i.samples > 0);
  }

  /**
   * Write the next `n` samples encoded in `codec` at `out[offset]`. Returns false when the
   * playlist had already ended (nothing written); the last partial frame is padded with silence.
   */
  next(out: Buffer, offset: number, n: number, codec: G711Codec): boolean {
    if (this.#index >= this.#items.length) return false;
    let written = 0;
    while (written < n && this.#index < this.#items.length) {
      const item = this.#items[this.#index]!;
      const src = codec === 'PCMU' ? item.ulaw : item.alaw;
      const take = Math.min(n - written, item.samples - this.#offset);
      src.copy(out, offset + written, this.#offset, this.#offset + take);
      written += take;
      this.#offset += take;
      if (this.#offset >= item.samples) {
        this.#offset = 0;
        this.#index++;
        if (this.#index >= this.#items.length && this.#loop) this.#index = 0;
      }
    }
    if (written < n) out.fill(silenceByte(codec), offset + written, offset + n);
    this.played += written;
    return true;
  }

  get done(): boolean {
    return this.#index >= this.#items.length;
  }
}
