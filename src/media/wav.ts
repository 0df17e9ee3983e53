/**
 * WAV (RIFF/WAVE) reading for prompts and writing for call recordings.
 *
 * Reader: walks the RIFF chunks (never assumes a 44-byte header: sox writes an
 * 18-byte `fmt ` and a `fact` chunk for G.711), understands `fmt ` chunks of
 * 16, 18 and 40 bytes (WAVE_FORMAT_EXTENSIBLE with a PCM / A-law / µ-law
 * sub-format GUID), skips unknown chunks and their pad byte, and accepts only
 * what hotline plays: 8000 Hz mono PCM 16-bit, A-law or µ-law. Anything else is
 * a MediaError naming the file and the format found.
 *
 * Writer: PCM 16-bit mono or stereo, buffered, all file I/O done by one
 * sequential drain loop. The header is written first with zero sizes and
 * patched on `sync()` (explicit, or every `syncEveryBytes` of audio) and on
 * `close()`, so a crash leaves a readable file holding everything up to the
 * last sync.
 */
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { decodeAlaw, decodeUlaw } from './codecs/g711.ts';
import { MediaError } from './errors.ts';

export type WavFormat = 'pcm16' | 'alaw' | 'ulaw';

export interface WavAudio {
  format: WavFormat;
  sampleRate: 8000;
  /** Decoded linear samples. */
  samples: Int16Array;
  durationMs: number;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag (…-0000-0010-8000-00AA00389B71). */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71] as const;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0055: 'MPEG Layer 3',
};

const WANTED = 'hotline plays 8000 Hz mono PCM 16-bit, A-law or µ-law';
const RATE = 8000;

interface FmtInfo {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function badWav(name: string, what: string): MediaError {
  return new MediaError('MEDIA_BAD_WAV', `${name}: not a valid WAV file: ${what}`, { file: name });
}

function fourCC(buf: Uint8Array, at: number): string {
  return String.fromCharCode(buf[at] ?? 0, buf[at + 1] ?? 0, buf[at + 2] ?? 0, buf[at + 3] ?? 0);
}

function printable(id: string): string {
  return JSON.stringify(id);
}

function describeFormat(fmt: FmtInfo): string {
  const channels = fmt.channels === 1 ? 'mono' : fmt.channels === 2 ? 'stereo' : `${fmt.channels}-channel`;
  let kind: string;
  switch (fmt.tag) {
    case WAVE_FORMAT_PCM:
      kind = `PCM ${fmt.bitsPerSample}-bit`;
      break;
    case WAVE_FORMAT_IEEE_FLOAT:
      kind = `IEEE float ${fmt.bitsPerSample}-bit`;
      break;
    case WAVE_FORMAT_ALAW:
      kind = fmt.bitsPerSample === 8 ? 'A-law' : `A-law ${fmt.bitsPerSample}-bit`;
      break;
    case WAVE_FORMAT_MULAW:
      kind = fmt.bitsPerSample === 8 ? 'µ-law' : `µ-law ${fmt.bitsPerSample}-bit`;
      break;
    default:
      kind = FORMAT_NAMES[fmt.tag] ?? `format tag 0x${fmt.tag.toString(16).padStart(4, '0')}`;
  }
  return `${fmt.sampleRate} Hz ${channels} ${kind}`;
}

function parseFmt(buf: Buffer, at: number, size: number, name: string): FmtInfo {
  if (size < 16) throw badWav(name, `fmt chunk of ${size} bytes (at least 16 expected)`);
  const fmt: FmtInfo = {
    tag: buf.readUInt16LE(at),
    channels: buf.readUInt16LE(at + 2),
    sampleRate: buf.readUInt32LE(at + 4),
    blockAlign: buf.readUInt16LE(at + 12),
    bitsPerSample: buf.readUInt16LE(at + 14),
  };
  if (fmt.tag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40 || buf.readUInt16LE(at + 16) < 22) {
      throw badWav(name, `WAVE_FORMAT_EXTENSIBLE fmt chunk of ${size} bytes (40 expected)`);
    }
    const guid = at + 24;
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (buf[guid + 2 + i] !== GUID_TAIL[i]) {
        const hex = buf.subarray(guid, guid + 16).toString('hex');
        throw new MediaError(
          'MEDIA_UNSUPPORTED_WAV',
          `${name}: WAVE_FORMAT_EXTENSIBLE with unknown sub-format GUID ${hex}; ${WANTED}`,
          { file: name },
        );
      }
    }
    fmt.tag = buf.readUInt16LE(guid);
  }
  return fmt;
}

function formatOf(fmt: FmtInfo): WavFormat | null {
  if (fmt.tag === WAVE_FORMAT_PCM && fmt.bitsPerSample === 16) return 'pcm16';
  if (fmt.tag === WAVE_FORMAT_ALAW && fmt.bitsPerSample === 8) return 'alaw';
  if (fmt.tag === WAVE_FORMAT_MULAW && fmt.bitsPerSample === 8) return 'ulaw';
  return null;
}

/**
 * Parse a WAV file held in memory. `name` (usually the path) is used in error
 * messages. Throws MediaError MEDIA_BAD_WAV (malformed, truncated, missing
 * chunks) or MEDIA_UNSUPPORTED_WAV (well-formed, but not 8000 Hz mono PCM16 /
 * A-law / µ-law).
 */
export function parseWav(input: Uint8Array, name: string): WavAudio {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < 12) throw badWav(name, `${buf.length} bytes, too short for a RIFF header`);
  const riff = fourCC(buf, 0);
  if (riff !== 'RIFF') {
    if (riff === 'RIFX' || riff === 'RF64') {
      throw new MediaError('MEDIA_UNSUPPORTED_WAV', `${name}: ${riff} container; ${WANTED} in a RIFF WAVE file`, {
        file: name,
      });
    }
    throw badWav(name, `starts with ${printable(riff)}, not "RIFF"`);
  }
  if (fourCC(buf, 8) !== 'WAVE') throw badWav(name, `RIFF type ${printable(fourCC(buf, 8))}, not "WAVE"`);

  // The RIFF size may be wrong (crashed writers, streamed files): trust the file length.
  const end = buf.length;
  let fmt: FmtInfo | null = null;
  let dataAt = -1;
  let dataSize = 0;
  let at = 12;
  while (at + 8 <= end) {
    const id = fourCC(buf, at);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'data') {
      if (size > end - body) throw badWav(name, `truncated: data chunk declares ${size} bytes, ${end - body} present`);
      if (dataAt < 0) {
        dataAt = body;
        dataSize = size;
      }
      if (fmt !== null) break; // everything needed; ignore trailing chunks
    } else if (size > end - body) {
      throw badWav(name, `truncated: ${printable(id)} chunk declares ${size} bytes, ${end - body} present`);
    } else if (id === 'fmt ') {
      if (fmt !== null) throw badWav(name, 'two fmt chunks');
      fmt = parseFmt(buf, body, size, name);
    }
    // fact, LIST, cue, bext, junk...: skipped. Chunks are word aligned (pad byte after odd sizes).
    at = body + size + (size & 1);
  }
  if (fmt === null) throw badWav(name, 'no fmt chunk');
  if (dataAt < 0) throw badWav(name, 'no data chunk');

  const format = formatOf(fmt);
  if (format === null || fmt.channels !== 1 || fmt.sampleRate !== RATE) {
    throw new MediaError('MEDIA_UNSUPPORTED_WAV', `${name}: ${describeFormat(fmt)}; ${WANTED}`, { file: name });
  }
  const bytesPerSample = format === 'pcm16' ? 2 : 1;
  if (fmt.blockAlign !== bytesPerSample) {
    throw badWav(name, `block align ${fmt.blockAlign} for ${describeFormat(fmt)} (${bytesPerSample} expected)`);
  }

  const count = Math.floor(dataSize / bytesPerSample); // a dangling half sample is dropped
  const samples = new Int16Array(count);
  const data = buf.subarray(dataAt, dataAt + dataSize);
  if (format === 'pcm16') {
    for (let i = 0; i < count; i++) samples[i] = data.readInt16LE(i * 2);
  } else if (format === 'alaw') {
    decodeAlaw(data, samples, count);
  } else {
    decodeUlaw(data, samples, count);
  }
  return { format, sampleRate: RATE, samples, durationMs: (count * 1000) / RATE };
}

/** Read and parse a WAV file. I/O failures are MediaError MEDIA_FILE_ERROR. */
export async function readWavFile(path: string): Promise<WavAudio> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new MediaError('MEDIA_FILE_ERROR', `${path}: cannot read: ${why}`, { file: path, cause: err });
  }
  return parseWav(buf, path);
}

// ---------------------------------------------------------------------------
// Writer

export interface WavWriterOptions {
  /** 1 (one leg or a mix) or 2 (one leg per channel). Default 1. */
  channels?: 1 | 2;
  /** Default 8000. */
  sampleRate?: number;
  /** Size of each write buffer. Default 32 KiB (2 s of 8 kHz mono). */
  bufferBytes?: number;
  /** Patch the header sizes after this much new audio reaches the file. Default 5 s worth. 0 = only on sync/close. */
  syncEveryBytes?: number;
  /** Also fdatasync on sync() and close(). Default false. */
  fsync?: boolean;
}

export interface WavWriterResult {
  /** File size in bytes, header included. */
  bytes: number;
  durationMs: number;
}

const HEADER_BYTES = 44;
const PATCH = -1; // queue marker: patch the header sizes

function buildHeader(channels: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36, 4); // placeholder: no data yet
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(0, 40); // placeholder
  return h;
}

/**
 * Incremental PCM16 WAV writer. `write()` only copies into a buffer (no I/O,
 * no allocation in the steady state); full buffers go to a single sequential
 * drain loop. A write error is kept and thrown by the next write/sync/close.
 */
export class WavWriter {
  readonly path: string;
  readonly channels: 1 | 2;
  readonly sampleRate: number;

  private readonly fh: FileHandle;
  private readonly bufferBytes: number;
  private readonly syncEveryBytes: number;
  private readonly fsync: boolean;
  private readonly sizePatch = Buffer.alloc(4);
  private cur: Buffer;
  private curLen = 0;
  private readonly pool: Buffer[] = [];
  private readonly queue: Buffer[] = [];
  private readonly queueLens: number[] = [];
  private draining: Promise<void> | null = null;
  private failure: MediaError | null = null;
  /** Audio bytes accepted by write(). */
  private acceptedBytes = 0;
  /** Audio bytes on disk. */
  private flushedBytes = 0;
  /** Audio bytes the on-disk header declares. */
  private patchedBytes = 0;
  private closed: Promise<WavWriterResult> | null = null;

  private constructor(path: string, fh: FileHandle, opts: WavWriterOptions) {
    this.path = path;
    this.fh = fh;
    this.channels = opts.channels ?? 1;
    this.sampleRate = opts.sampleRate ?? RATE;
    this.bufferBytes = opts.bufferBytes ?? 32 * 1024;
    this.syncEveryBytes = opts.syncEveryBytes ?? this.sampleRate * this.channels * 2 * 5;
    this.fsync = opts.fsync ?? false;
    this.cur = Buffer.allocUnsafe(this.bufferBytes);
  }

  /** Create (truncate) `path` and write the header. */
  static async open(path: string, opts: WavWriterOptions = {}): Promise<WavWriter> {
    const channels = opts.channels ?? 1;
    const sampleRate = opts.sampleRate ?? RATE;
    const bufferBytes = opts.bufferBytes ?? 32 * 1024;
    if (channels !== 1 && channels !== 2) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${path}: ${String(channels)} channels; 1 or 2 expected`, { file: path });
    }
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${path}: sample rate ${sampleRate}`, { file: path });
    }
    if (!Number.isInteger(bufferBytes) || bufferBytes < 4 || bufferBytes % 4 !== 0) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${path}: bufferBytes ${bufferBytes} (a multiple of 4 expected)`, {
        file: path,
      });
    }
    let fh: FileHandle;
    try {
      fh = await open(path, 'w');
    } catch (err) {
      throw fileError(path, 'cannot create', err);
    }
    try {
      await fh.write(buildHeader(channels, sampleRate), 0, HEADER_BYTES, 0);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw fileError(path, 'cannot write header', err);
    }
    return new WavWriter(path, fh, { ...opts, channels, sampleRate, bufferBytes });
  }

  /** Audio written so far (accepted, not necessarily on disk yet), in ms. */
  get durationMs(): number {
    return (this.acceptedBytes / (this.channels * 2) / this.sampleRate) * 1000;
  }

  /** Append samples: mono, or interleaved L/R when stereo. Never blocks; no I/O here. */
  write(samples: Int16Array, n: number = samples.length): void {
    this.checkWritable();
    if (!Number.isInteger(n) || n < 0 || n > samples.length || n % this.channels !== 0) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${this.path}: write of ${n} samples (${this.channels} channel(s))`, {
        file: this.path,
      });
    }
    for (let i = 0; i < n; i++) this.put(samples[i] as number);
    this.afterWrite(n * 2);
  }

  /** Append one stereo frame block from two legs (`left[i]`, `right[i]` interleaved). */
  writeStereo(left: Int16Array, right: Int16Array, n: number = Math.min(left.length, right.length)): void {
    this.checkWritable();
    if (this.channels !== 2 || !Number.isInteger(n) || n < 0 || n > left.length || n > right.length) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${this.path}: writeStereo of ${n} frames on a ${this.channels}-channel writer`, {
        file: this.path,
      });
    }
    for (let i = 0; i < n; i++) {
      this.put(left[i] as number);
      this.put(right[i] as number);
    }
    this.afterWrite(n * 4);
  }

  /**
   * Flush everything written so far and patch the header sizes, so the file on
   * disk is complete up to here (fdatasync too with `fsync: true`).
   */
  async sync(): Promise<void> {
    this.checkWritable();
    await this.flushAndPatch();
  }

  /** Flush, patch the header, close the file. Idempotent. */
  close(): Promise<WavWriterResult> {
    if (this.closed === null) this.closed = this.finish();
    return this.closed;
  }

  private async finish(): Promise<WavWriterResult> {
    let failure: unknown = null;
    try {
      await this.flushAndPatch();
    } catch (err) {
      failure = err;
    }
    try {
      await this.fh.close();
    } catch (err) {
      failure ??= fileError(this.path, 'cannot close', err);
    }
    if (failure !== null) throw failure;
    return {
      bytes: HEADER_BYTES + this.flushedBytes,
      durationMs: (this.flushedBytes / (this.channels * 2) / this.sampleRate) * 1000,
    };
  }

  private async flushAndPatch(): Promise<void> {
    this.throwIfFailed();
    this.enqueueCurrent();
    this.enqueue(null, PATCH);
    while (this.draining !== null) await this.draining;
    this.throwIfFailed();
    if (this.fsync) {
      try {
        await this.fh.datasync();
      } catch (err) {
        throw fileError(this.path, 'cannot sync', err);
      }
    }
  }

  private checkWritable(): void {
    if (this.closed !== null) {
      throw new MediaError('MEDIA_WRITER_CLOSED', `${this.path}: recording already closed`, { file: this.path });
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private put(sample: number): void {
    if (this.curLen === this.bufferBytes) this.enqueueCurrent();
    const b = this.cur;
    b[this.curLen++] = sample & 0xff;
    b[this.curLen++] = (sample >> 8) & 0xff;
  }

  private afterWrite(bytes: number): void {
    this.acceptedBytes += bytes;
    if (this.syncEveryBytes > 0 && this.acceptedBytes - this.patchedBytes >= this.syncEveryBytes) {
      this.enqueueCurrent();
      this.enqueue(null, PATCH);
      this.patchedBytes = this.acceptedBytes; // requested; the drain loop writes the real on-disk figure
    }
  }

  private enqueueCurrent(): void {
    if (this.curLen === 0) return;
    this.enqueue(this.cur, this.curLen);
    this.cur = this.pool.pop() ?? Buffer.allocUnsafe(this.bufferBytes);
    this.curLen = 0;
  }

  private enqueue(buf: Buffer | null, len: number): void {
    if (this.failure !== null) return;
    this.queue.push(buf ?? this.sizePatch);
    this.queueLens.push(len);
    // drain() awaits before it can clear `draining`, so this assignment always lands first.
    if (this.draining === null) this.draining = this.drain();
  }

  private async drain(): Promise<void> {
    await Promise.resolve();
    while (this.queue.length > 0 && this.failure === null) {
      const buf = this.queue.shift() as Buffer;
      const len = this.queueLens.shift() as number;
      try {
        if (len === PATCH) {
          await this.patchHeader();
        } else {
          await this.fh.write(buf, 0, len, HEADER_BYTES + this.flushedBytes);
          this.flushedBytes += len;
          this.pool.push(buf);
        }
      } catch (err) {
        this.failure = fileError(this.path, 'cannot write', err);
      }
    }
    this.queue.length = 0;
    this.queueLens.length = 0;
    this.draining = null;
  }

  private async patchHeader(): Promise<void> {
    const data = this.flushedBytes;
    this.sizePatch.writeUInt32LE(data, 0);
    await this.fh.write(this.sizePatch, 0, 4, 40); // data size first: readers trust it
    this.sizePatch.writeUInt32LE(36 + data, 0);
    await this.fh.write(this.sizePatch, 0, 4, 4);
  }
}

function fileError(path: string, what: string, err: unknown): MediaError {
  const why = err instanceof Error ? err.message : String(err);
  return new MediaError('MEDIA_FILE_ERROR', `${path}: ${what}: ${why}`, { file: path, cause: err });
}
