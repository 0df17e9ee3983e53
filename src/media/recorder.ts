/**
 * Call recorder: turns the decoded audio of a call's two legs into one WAV file,
 * time-aligned by RTP timestamps, written incrementally.
 *
 * Timeline. Every sample has a "recording position": samples since `open()` at
 * 8 kHz. Wall time maps to positions as round((nowMs - startMs) * 8). Each leg
 * (channel 0 = caller, 1 = operator) keeps an anchor that maps its RTP timestamps
 * onto positions: the first packet of a stream is placed at its arrival time, and
 * every later packet at anchorPos + (rtpTimestamp - anchorTs) (32-bit wrap-safe).
 * So packet loss, silence suppression (DTX) and a leg that starts later all come
 * out as silence of the right length, and reordered packets land in place.
 *
 * Per leg a ring buffer (>= 4 s) holds samples not yet written. `tick(now)` writes
 * every position older than now - holdbackMs: the mix (mono, summed with Int16
 * saturation) or the interleaved pair (stereo), zeros wherever nothing arrived.
 * Audio for positions already written is dropped and counted (`lateSamplesDropped`);
 * a duplicate simply overwrites the same samples.
 *
 * A stream is re-anchored at its arrival time (counted in `reanchors`) when
 *  - its SSRC changes (a new source: prompt player, transfer, re-INVITE);
 *  - its timestamp jumps more than 10 s either way from where the stream was;
 *  - a packet would land more than 1 s ahead of its arrival (a forward step of the
 *    sender's timestamps; kept would delay that leg for the rest of the call), which
 *    also keeps every push inside the ring;
 *  - its packets have kept arriving too late for more than holdbackMs of wall time
 *    (a backward step of the timestamps, or a sender clock slower than ours: without
 *    this the leg would be silent for the rest of the call). One late packet, or a
 *    burst after a network stall, is only dropped: the timeline stays as it was.
 *
 * Pause (PCI: the caller reads card data): the timeline keeps running and the
 * paused span is written as silence on both channels, so the channels stay aligned
 * with each other and with wall time (a listener hears exactly how long the pause
 * lasted). Muting is by position: audio placed inside a paused span is never written,
 * even if it arrives after resume().
 *
 * Crash safety: the writer patches the WAV header every (maxLossMs - holdbackMs) of
 * written audio, and the holdback window is still in memory, so a crash of the
 * process loses at most about maxLossMs (plus a write in flight). No fsync: a crash
 * of the machine may lose what the OS had not flushed.
 *
 * `nowMs` must be monotonic (performance.now(), a Clock), in ms, for every call.
 * push() and tick() never throw because of I/O: the first write error is kept
 * (`writeError`) and stop() rejects with it. No allocation in push(); tick() reuses
 * one scratch buffer.
 */
import { MediaError } from './errors.ts';
import { WavWriter } from './wav.ts';

export interface RecorderOptions {
  stereo: boolean;
  /** jitter window: audio is held this long before being written, so late packets still land in place. Default 200 ms */
  holdbackMs?: number;
  /**
   * Crash bound: at most about this much audio can be lost on a crash (the holdback
   * window plus audio written since the last header patch; the WavWriter patches the
   * header every maxLossMs - holdbackMs). Must exceed holdbackMs by at least 20 ms.
   * Default 1000 ms
   */
  maxLossMs?: number;
}

export interface RecordingResult {
  path: string;
  /** File size on disk, header included. */
  bytes: number;
  /** Samples written / 8000, in ms. */
  durationMs: number;
  channels: 1 | 2;
}

const SAMPLES_PER_MS = 8;
const DEFAULT_HOLDBACK_MS = 200;
const DEFAULT_MAX_LOSS_MS = 1000;
const FRAME_MS = 20;
/** A timestamp step larger than this (either way) is a new timeline, not loss or DTX. */
const JUMP_LIMIT = 10 * 8000;
/** Audio placed further than this ahead of its arrival means the anchor is wrong. */
const EARLY_LIMIT = 1000 * SAMPLES_PER_MS;
/** Minimum ring per leg: 2^15 samples = 4.096 s. */
const MIN_RING = 1 << 15;
/** Frames mixed/interleaved per WavWriter.write call. */
const CHUNK = 1024;

class Leg {
  readonly ring: Int16Array;
  anchored = false;
  ssrc = 0;
  /** RTP timestamp of the last placed packet and its position (a rolling anchor: differences stay small). */
  anchorTs = 0;
  anchorPos = 0;
  /** Timestamp just after the newest packet of this stream. */
  nextTs = 0;
  /** Arrival time of the first of a run of late packets, or NaN when the last packet was in time. */
  lateSince = Number.NaN;

  constructor(size: number) {
    this.ring = new Int16Array(size);
  }

  anchor(ssrc: number, ts: number, pos: number): void {
    this.anchored = true;
    this.ssrc = ssrc;
    this.anchorTs = ts;
    this.anchorPos = pos;
    this.nextTs = ts;
    this.lateSince = Number.NaN;
  }
}

function badOption(path: string, what: string): MediaError {
  return new MediaError('MEDIA_BAD_ARGUMENT', `${path}: recorder ${what}`, { file: path });
}

function asMediaError(path: string, err: unknown): MediaError {
  if (err instanceof MediaError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new MediaError('MEDIA_FILE_ERROR', `${path}: recording failed: ${why}`, { file: path, cause: err });
}

export class CallRecorder {
  readonly path: string;
  readonly channels: 1 | 2;

  private readonly writer: WavWriter;
  private readonly startMs: number;
  private readonly holdbackMs: number;
  private readonly legs: readonly [Leg, Leg];
  private readonly mask: number;
  private readonly scratch: Int16Array;
  /** Next position to write. Everything before it is in the writer. */
  private written = 0;
  /** End of the furthest audio placed in a ring. */
  private pushedEnd = 0;
  /** Paused spans [muteFrom[i], muteTo[i]) not yet entirely written; muteTo is Infinity while paused. */
  private readonly muteFrom: number[] = [];
  private readonly muteTo: number[] = [];
  private isPaused = false;
  private late = 0;
  private reanchorCount = 0;
  private failure: MediaError | null = null;
  private stopped: Promise<RecordingResult> | null = null;

  private constructor(path: string, writer: WavWriter, startMs: number, holdbackMs: number, stereo: boolean) {
    this.path = path;
    this.writer = writer;
    this.startMs = startMs;
    this.holdbackMs = holdbackMs;
    this.channels = stereo ? 2 : 1;
    let size = MIN_RING;
    while (size < (holdbackMs + 2 * FRAME_MS) * SAMPLES_PER_MS + EARLY_LIMIT * 2) size *= 2;
    this.mask = size - 1;
    this.legs = [new Leg(size), new Leg(size)];
    this.scratch = new Int16Array(CHUNK * 2);
  }

  /** Create (truncate) the WAV file at `path`; the recording's timeline starts at `nowMs`. */
  static async open(path: string, nowMs: number, opts: RecorderOptions): Promise<CallRecorder> {
    const holdbackMs = opts.holdbackMs ?? DEFAULT_HOLDBACK_MS;
    const maxLossMs = opts.maxLossMs ?? DEFAULT_MAX_LOSS_MS;
    if (!Number.isFinite(nowMs)) throw badOption(path, `start time ${nowMs}`);
    if (!Number.isFinite(holdbackMs) || holdbackMs < 0) throw badOption(path, `holdbackMs ${holdbackMs}`);
    if (!Number.isFinite(maxLossMs) || maxLossMs - holdbackMs < FRAME_MS) {
      throw badOption(
        path,
        `maxLossMs ${maxLossMs}: must exceed holdbackMs (${holdbackMs}) by at least ${FRAME_MS} ms, since held-back audio is not on disk yet`,
      );
    }
    const channels = opts.stereo ? 2 : 1;
    const syncFrames = Math.floor((maxLossMs - holdbackMs) * SAMPLES_PER_MS);
    const writer = await WavWriter.open(path, { channels, sampleRate: 8000, syncEveryBytes: syncFrames * channels * 2 });
    return new CallRecorder(path, writer, nowMs, holdbackMs, opts.stereo);
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Samples that arrived for positions already written (later than the holdback) and were dropped. */
  get lateSamplesDropped(): number {
    return this.late;
  }

  /** Times a stream was re-anchored after its first packet (SSRC change, timestamp jump, drift). */
  get reanchors(): number {
    return this.reanchorCount;
  }

  /** The first write error, if any (stop() rejects with it). Audio after it is lost. */
  get writeError(): MediaError | null {
    return this.failure;
  }

  /** Samples heard from one side. `channel` 0 = caller (left), 1 = operator (right); in mono both are mixed.
   *  `ssrc` + `rtpTimestamp` (of samples[0], 8 kHz units) place the audio; a new SSRC (or a timestamp jump of more than 10 s either way) re-anchors the stream at `nowMs` (wall clock of arrival).
   *  `samples` is only read during the call (the caller reuses the array); copy what you keep. No allocation per call in the steady state. */
  push(channel: 0 | 1, ssrc: number, rtpTimestamp: number, samples: Int16Array, length: number, nowMs: number): void {
    if (this.stopped !== null) return;
    const leg = channel === 0 ? this.legs[0] : channel === 1 ? this.legs[1] : null;
    if (leg === null || !Number.isInteger(length) || length < 0 || length > samples.length || length > (this.mask + 1) >> 2) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `${this.path}: push of ${length} samples on channel ${String(channel)}`, {
        file: this.path,
      });
    }
    if (length === 0) return;
    const ts = rtpTimestamp >>> 0;
    const src = ssrc >>> 0;
    const nowPos = Math.round((nowMs - this.startMs) * SAMPLES_PER_MS);

    let pos: number;
    if (!leg.anchored) {
      leg.anchor(src, ts, nowPos);
      pos = nowPos;
    } else {
      const jump = (ts - leg.nextTs) | 0;
      pos = leg.anchorPos + ((ts - leg.anchorTs) | 0);
      if (src !== leg.ssrc || jump > JUMP_LIMIT || jump < -JUMP_LIMIT || pos - nowPos > EARLY_LIMIT) {
        pos = this.reanchor(leg, src, ts, nowPos);
      } else if (pos < this.written) {
        if (Number.isNaN(leg.lateSince)) leg.lateSince = nowMs;
        else if (nowMs - leg.lateSince > this.holdbackMs) pos = this.reanchor(leg, src, ts, nowPos);
      } else {
        leg.lateSince = Number.NaN;
      }
    }
    leg.anchorTs = ts;
    leg.anchorPos = pos;
    const tsEnd = (ts + length) >>> 0;
    if (((tsEnd - leg.nextTs) | 0) > 0) leg.nextTs = tsEnd;

    const end = pos + length;
    if (end <= this.written) {
      this.late += length;
      return;
    }
    // The scheduler fell behind (no tick for seconds): make room rather than lose this audio.
    const size = this.mask + 1;
    if (end - this.written > size) this.writeUpTo(end - size);
    let i = 0;
    if (pos < this.written) {
      i = this.written - pos;
      this.late += i;
    }
    const ring = leg.ring;
    const mask = this.mask;
    for (; i < length; i++) ring[(pos + i) & mask] = samples[i] as number;
    if (end > this.pushedEnd) this.pushedEnd = end;
  }

  /** Start writing silence from now on (the timeline keeps running). No-op when already paused or stopped. */
  pause(nowMs: number): void {
    if (this.stopped !== null || this.isPaused) return;
    this.isPaused = true;
    this.muteFrom.push(Math.max(this.written, Math.round((nowMs - this.startMs) * SAMPLES_PER_MS)));
    this.muteTo.push(Number.POSITIVE_INFINITY);
  }

  /** Record audio again from now on. No-op when not paused or stopped. */
  resume(nowMs: number): void {
    if (this.stopped !== null || !this.isPaused) return;
    this.isPaused = false;
    const last = this.muteFrom.length - 1;
    this.muteTo[last] = Math.max(this.muteFrom[last] as number, Math.round((nowMs - this.startMs) * SAMPLES_PER_MS));
  }

  /** Called by the engine's 20 ms scheduler: writes everything older than nowMs - holdbackMs (silence where nothing arrived). */
  tick(nowMs: number): void {
    if (this.stopped !== null) return;
    this.writeUpTo(Math.floor((nowMs - this.holdbackMs - this.startMs) * SAMPLES_PER_MS));
  }

  /** Flush everything up to nowMs (and whatever was pushed), close the file, report. Idempotent (second call returns the same promise). */
  stop(nowMs: number): Promise<RecordingResult> {
    if (this.stopped === null) {
      this.writeUpTo(Math.max(Math.floor((nowMs - this.startMs) * SAMPLES_PER_MS), this.pushedEnd));
      this.stopped = this.finish();
    }
    return this.stopped;
  }

  private reanchor(leg: Leg, ssrc: number, ts: number, nowPos: number): number {
    leg.anchor(ssrc, ts, nowPos);
    this.reanchorCount++;
    return nowPos;
  }

  private async finish(): Promise<RecordingResult> {
    const res = await this.writer.close().catch((err: unknown) => {
      throw this.failure ?? asMediaError(this.path, err);
    });
    if (this.failure !== null) throw this.failure;
    return { path: this.path, bytes: res.bytes, durationMs: res.durationMs, channels: this.channels };
  }

  /** Write positions [written, target): mixed or interleaved, silence where nothing arrived or paused. */
  private writeUpTo(target: number): void {
    const r0 = this.legs[0].ring;
    const r1 = this.legs[1].ring;
    const mask = this.mask;
    const out = this.scratch;
    const stereo = this.channels === 2;
    while (this.written < target) {
      const from = this.written;
      const n = Math.min(CHUNK, target - from);
      for (let k = 0; k < n; k++) {
        const idx = (from + k) & mask;
        const l = r0[idx] as number;
        const r = r1[idx] as number;
        r0[idx] = 0; // the slot comes round again for position + ring size: leave silence
        r1[idx] = 0;
        if (stereo) {
          out[2 * k] = l;
          out[2 * k + 1] = r;
        } else {
          const s = l + r;
          out[k] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
        }
      }
      this.mute(from, n);
      this.written = from + n;
      if (this.failure === null) {
        try {
          this.writer.write(out, stereo ? 2 * n : n);
        } catch (err) {
          this.failure = asMediaError(this.path, err);
        }
      }
    }
  }

  /** Zero the paused parts of the chunk in scratch that starts at position `from`; forget spans written. */
  private mute(from: number, n: number): void {
    const to = from + n;
    const width = this.channels;
    for (let i = 0; i < this.muteFrom.length; i++) {
      const a = Math.max(this.muteFrom[i] as number, from);
      const b = Math.min(this.muteTo[i] as number, to);
      if (a < b) this.scratch.fill(0, (a - from) * width, (b - from) * width);
    }
    while (this.muteTo.length > 0 && (this.muteTo[0] as number) <= to) {
      this.muteFrom.shift();
      this.muteTo.shift();
    }
  }
}
