import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MediaError } from '../../../src/media/errors.ts';
import { CallRecorder } from '../../../src/media/recorder.ts';
import { parseWav, readWavFile } from '../../../src/media/wav.ts';

/** Wall clock (ms) at which every recording opens; arbitrary, far from zero. */
const T0 = 1_700_000;
const CALLER = 0x1a2b3c4d;
const OPERATOR = 0x0badcafe;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-recorder-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Packet {
  /** Arrival (wall clock, ms). */
  at: number;
  channel: 0 | 1;
  ssrc: number;
  ts: number;
  samples: Int16Array;
}

/** 20 ms packets sent from `fromMs` to `toMs` (recording time); sample values are a function of the recording position. */
function stream(o: {
  channel: 0 | 1;
  ssrc: number;
  ts0: number;
  fromMs: number;
  toMs: number;
  value: (pos: number) => number;
}): Packet[] {
  const out: Packet[] = [];
  for (let ms = o.fromMs, k = 0; ms < o.toMs; ms += 20, k++) {
    const pos0 = ms * 8;
    const samples = Int16Array.from({ length: 160 }, (_, i) => o.value(pos0 + i));
    out.push({ at: T0 + ms, channel: o.channel, ssrc: o.ssrc, ts: (o.ts0 + k * 160) >>> 0, samples });
  }
  return out;
}

/** 400 Hz at 8 kHz: a 20-sample period. */
const sine400 = (p: number): number => Math.round(8000 * Math.sin((2 * Math.PI * 400 * p) / 8000));
/** Never zero, different per leg and per position: a misplaced or missing sample shows. */
const code =
  (leg: number) =>
  (p: number): number =>
    1000 + ((p * 13 + leg * 5000) % 20000);

/**
 * The engine, simulated: a 20 ms scheduler that ticks the recorder, packets pushed at their
 * arrival time just before the tick that follows. Pushes go through one reused array that is
 * scribbled over afterwards, as the engine reuses its decode buffer.
 */
class Sim {
  now = 0;
  private next = 0;
  private readonly frame = new Int16Array(480);
  private readonly queue: Packet[];

  constructor(
    private readonly rec: CallRecorder,
    packets: Packet[],
  ) {
    this.queue = [...packets].sort((a, b) => a.at - b.at);
  }

  advance(toMs: number): void {
    while (this.now < toMs) {
      this.now += 20;
      while (this.next < this.queue.length && (this.queue[this.next] as Packet).at <= T0 + this.now) {
        const p = this.queue[this.next++] as Packet;
        this.frame.set(p.samples);
        this.rec.push(p.channel, p.ssrc, p.ts, this.frame, p.samples.length, p.at);
        this.frame.fill(0x5555);
      }
      this.rec.tick(T0 + this.now);
    }
  }
}

/** Channels of a PCM16 WAV as hotline writes it (44-byte header), sized by the header's data size. */
function readPcm(path: string): Int16Array[] {
  const buf = readFileSync(path);
  expect(buf.toString('latin1', 0, 4)).toBe('RIFF');
  const channels = buf.readUInt16LE(22);
  const frames = buf.readUInt32LE(40) / (2 * channels);
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) (out[c] as Int16Array)[f] = buf.readInt16LE(44 + (f * channels + c) * 2);
  }
  return out;
}

/** The first position where `actual` differs from `want`, described; null when all match. */
function firstMismatch(actual: Int16Array, want: (p: number) => number, from = 0, to = actual.length): string | null {
  for (let p = from; p < to; p++) {
    if (actual[p] !== want(p)) return `position ${p} (${p / 8} ms): got ${actual[p]}, want ${want(p)}`;
  }
  return null;
}

function soxi(flag: string, path: string): string {
  return execFileSync('soxi', [flag, path], { encoding: 'utf8' }).trim();
}

/** Seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('CallRecorder', () => {
  it('records one leg in mono, sample-exact, for as long as the call lasted', async () => {
    const path = join(dir, 'mono.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: false });
    const sim = new Sim(rec, stream({ channel: 0, ssrc: CALLER, ts0: 912_345, fromMs: 0, toMs: 3000, value: sine400 }));
    sim.advance(3000);
    const res = await rec.stop(T0 + 3000);

    expect(res).toEqual({ path, bytes: 44 + 24000 * 2, durationMs: 3000, channels: 1 });
    const wav = await readWavFile(path);
    expect(wav.samples.length).toBe(24000);
    expect(firstMismatch(wav.samples, sine400)).toBeNull();
    expect(soxi('-D', path)).toBe('3.000000');
    expect(rec.lateSamplesDropped).toBe(0);
    expect(rec.reanchors).toBe(0);
  });

  it('puts jittered, reordered packets in place and lasts the wall time between open and stop', async () => {
    const path = join(dir, 'jitter.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: false });
    const random = rng(42);
    const packets = stream({ channel: 0, ssrc: CALLER, ts0: 7, fromMs: 0, toMs: 3000, value: code(0) });
    packets.forEach((p, k) => {
      if (k > 0) p.at += Math.floor(random() * 150); // network delay 0..150 ms, inside the 200 ms holdback
    });
    const sim = new Sim(rec, packets);
    sim.advance(3200);
    const res = await rec.stop(T0 + 3210);

    expect(res.durationMs).toBe(3210);
    const [mono] = readPcm(path) as [Int16Array];
    expect(firstMismatch(mono, code(0), 0, 24000)).toBeNull();
    expect(mono.subarray(24000).every((s) => s === 0)).toBe(true);
    expect(rec.lateSamplesDropped).toBe(0);
  });

  it('mixes both legs in mono with saturation', async () => {
    const path = join(dir, 'mix.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: false });
    const a = (p: number): number => (p < 8000 ? 20000 : p < 16000 ? -20000 : 1000);
    const b = (p: number): number => (p < 8000 ? 20000 : p < 16000 ? -20000 : -3000);
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 3000, value: a }),
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 55, fromMs: 0, toMs: 3000, value: b }),
    ]);
    sim.advance(3000);
    await rec.stop(T0 + 3000);
    const wav = await readWavFile(path);
    expect(firstMismatch(wav.samples, (p) => (p < 8000 ? 32767 : p < 16000 ? -32768 : -2000))).toBeNull();
  });

  it('records stereo with the operator joining 1 s later: right channel silent for exactly that second', async () => {
    const path = join(dir, 'stereo.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 4_000_000_000, fromMs: 0, toMs: 3000, value: code(0) }),
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 123_456, fromMs: 1000, toMs: 3000, value: code(1) }),
    ]);
    sim.advance(3000);
    const res = await rec.stop(T0 + 3000);

    expect(res).toEqual({ path, bytes: 44 + 24000 * 4, durationMs: 3000, channels: 2 });
    const [left, right] = readPcm(path) as [Int16Array, Int16Array];
    expect(left.length).toBe(24000);
    expect(firstMismatch(left, code(0))).toBeNull();
    expect(firstMismatch(right, () => 0, 0, 8000)).toBeNull();
    expect(firstMismatch(right, code(1), 8000)).toBeNull();
    expect(soxi('-c', path)).toBe('2');
    expect(soxi('-D', path)).toBe('3.000000');
  });

  it('a leg in silence suppression (DTX) for 5 s stays silent, then resumes in place', async () => {
    const path = join(dir, 'dtx.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 7000, value: code(0) }),
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 777, fromMs: 0, toMs: 1000, value: code(1) }),
      // no packets while the operator is quiet; the RTP clock keeps running
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 777 + 6000 * 8, fromMs: 6000, toMs: 7000, value: code(1) }),
    ]);
    sim.advance(7000);
    await rec.stop(T0 + 7000);
    const [left, right] = readPcm(path) as [Int16Array, Int16Array];
    expect(firstMismatch(left, code(0))).toBeNull();
    expect(firstMismatch(right, (p) => (p >= 8000 && p < 48000 ? 0 : code(1)(p)))).toBeNull();
    expect(rec.reanchors).toBe(0);
  });

  it('writes lost packets as silence of their exact length, places reordered ones, drops and counts the too late', async () => {
    const path = join(dir, 'loss.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: false });
    const packets = stream({ channel: 0, ssrc: CALLER, ts0: 99, fromMs: 0, toMs: 3000, value: code(0) });
    // 5 lost packets: 1000..1100 ms
    const sent = packets.filter((_, k) => k < 50 || k >= 55);
    // 1600 ms and 1620 ms swap places on the way
    const p80 = packets[80] as Packet;
    const p81 = packets[81] as Packet;
    [p80.at, p81.at] = [p81.at, p80.at];
    // 2000 ms arrives 300 ms late: its place was written 80 ms before
    (packets[100] as Packet).at += 300;
    const sim = new Sim(rec, sent);
    sim.advance(3000);
    await rec.stop(T0 + 3000);

    const wav = await readWavFile(path);
    expect(wav.samples.length).toBe(24000);
    const silent = (p: number): boolean => (p >= 8000 && p < 8800) || (p >= 16000 && p < 16160);
    expect(firstMismatch(wav.samples, (p) => (silent(p) ? 0 : code(0)(p)))).toBeNull();
    expect(wav.samples.subarray(8000, 8800).every((s) => s === 0)).toBe(true); // 800 zero samples exactly...
    expect(wav.samples[7999]).not.toBe(0); // ...between audio
    expect(wav.samples[8800]).not.toBe(0);
    expect(rec.lateSamplesDropped).toBe(160);
    expect(rec.reanchors).toBe(0); // one late packet does not move the timeline
  });

  it('re-anchors on an SSRC change without shifting earlier audio or the other leg', async () => {
    const path = join(dir, 'ssrc.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 5000, fromMs: 0, toMs: 1000, value: code(0) }),
      // a prompt player takes over the caller's side at 1 s; its timestamps run 300 ms "ahead" of the old source's
      ...stream({ channel: 0, ssrc: 0x50505050, ts0: 5000 + 8000 + 2400, fromMs: 1000, toMs: 2000, value: code(2) }),
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 1, fromMs: 0, toMs: 2000, value: code(1) }),
    ]);
    sim.advance(2000);
    await rec.stop(T0 + 2000);

    const [left, right] = readPcm(path) as [Int16Array, Int16Array];
    expect(left.length).toBe(16000);
    expect(firstMismatch(left, code(0), 0, 8000)).toBeNull();
    expect(firstMismatch(left, code(2), 8000, 16000)).toBeNull();
    expect(firstMismatch(right, code(1))).toBeNull();
    expect(rec.reanchors).toBe(1);
  });

  it('follows timestamp steps of one SSRC: a >10 s jump, a backward step, a forward step', async () => {
    const path = join(dir, 'steps.wav');
    const holdbackMs = 200;
    const rec = await CallRecorder.open(path, T0, { stereo: false, holdbackMs });
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 1000, value: code(0) }),
      // 20 s back: a new timeline, placed at arrival at once
      ...stream({ channel: 0, ssrc: CALLER, ts0: 8000 - 160_000, fromMs: 1000, toMs: 2000, value: code(0) }),
      // 3 s back: late at first; a stream that stays late is re-anchored instead of silenced for good
      ...stream({ channel: 0, ssrc: CALLER, ts0: 8000 - 160_000 + 8000 - 24_000, fromMs: 2000, toMs: 3000, value: code(0) }),
      // 2 s forward (< 10 s): kept as is, this leg would lag 2 s behind wall time for the rest of the call
      ...stream({ channel: 0, ssrc: CALLER, ts0: 8000 - 160_000 + 8000 - 24_000 + 8000 + 16_000, fromMs: 3000, toMs: 4000, value: code(0) }),
    ]);
    sim.advance(4000);
    const res = await rec.stop(T0 + 4000);

    expect(res.durationMs).toBe(4000);
    const wav = await readWavFile(path);
    expect(firstMismatch(wav.samples, code(0), 0, 16000)).toBeNull();
    let resumed = 16000;
    while (resumed < 24000 && wav.samples[resumed] === 0) resumed++;
    expect(resumed - 16000).toBeLessThanOrEqual((holdbackMs + 40) * 8); // lost at most the holdback and a frame or two
    expect(firstMismatch(wav.samples, code(0), resumed, 32000)).toBeNull();
    expect(rec.lateSamplesDropped).toBe(resumed - 16000);
    expect(rec.reanchors).toBe(3);
  });

  it('records across an RTP timestamp wrap-around at 2^32', async () => {
    const path = join(dir, 'wrap.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const sim = new Sim(rec, [
      ...stream({ channel: 0, ssrc: CALLER, ts0: 2 ** 32 - 4000, fromMs: 0, toMs: 2000, value: code(0) }), // wraps at 0.5 s
      ...stream({ channel: 1, ssrc: OPERATOR, ts0: 2 ** 32 - 100, fromMs: 500, toMs: 2000, value: code(1) }), // inside its first packet
    ]);
    sim.advance(2000);
    await rec.stop(T0 + 2000);
    const [left, right] = readPcm(path) as [Int16Array, Int16Array];
    expect(firstMismatch(left, code(0))).toBeNull();
    expect(firstMismatch(right, (p) => (p < 4000 ? 0 : code(1)(p)))).toBeNull();
    expect(rec.reanchors).toBe(0);
  });

  it('pause writes silence on both channels for exactly the paused time, even for audio arriving after resume', async () => {
    const path = join(dir, 'pause.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const caller = stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 3000, value: code(0) });
    (caller[99] as Packet).at += 60; // card digits said at 1980 ms arrive 40 ms after resume, within the holdback
    const sim = new Sim(rec, [...caller, ...stream({ channel: 1, ssrc: OPERATOR, ts0: 0, fromMs: 0, toMs: 3000, value: code(1) })]);
    sim.advance(1000);
    rec.pause(T0 + 1000);
    expect(rec.paused).toBe(true);
    sim.advance(2000);
    rec.resume(T0 + 2000);
    expect(rec.paused).toBe(false);
    sim.advance(3000);
    const res = await rec.stop(T0 + 3000);

    expect(res.durationMs).toBe(3000); // the timeline kept running
    const [left, right] = readPcm(path) as [Int16Array, Int16Array];
    const paused = (p: number): boolean => p >= 8000 && p < 16000;
    expect(firstMismatch(left, (p) => (paused(p) ? 0 : code(0)(p)))).toBeNull();
    expect(firstMismatch(right, (p) => (paused(p) ? 0 : code(1)(p)))).toBeNull();
    expect(rec.lateSamplesDropped).toBe(0); // the late digits were placed - and muted
  });

  it.each([
    { maxLossMs: undefined, mustHold: 2000 },
    { maxLossMs: 500, mustHold: 2500 },
  ])('leaves a readable file holding all but maxLossMs ($maxLossMs) of the call if the process dies', async ({ maxLossMs, mustHold }) => {
    const path = join(dir, `crash-${maxLossMs ?? 'default'}.wav`);
    const rec = await CallRecorder.open(path, T0, maxLossMs === undefined ? { stereo: false } : { stereo: false, maxLossMs });
    const sim = new Sim(rec, stream({ channel: 0, ssrc: CALLER, ts0: 3, fromMs: 0, toMs: 3000, value: code(0) }));
    sim.advance(3000);
    // no stop(): what is on disk now is what a crash would leave
    await vi.waitFor(() => expect(parseWav(readFileSync(path), path).durationMs).toBeGreaterThanOrEqual(mustHold));
    const onDisk = parseWav(readFileSync(path), path);
    expect(firstMismatch(onDisk.samples, code(0))).toBeNull();
    await rec.stop(T0 + 3000);
  });

  it('stop is idempotent and reports the size on disk and the duration; later calls are ignored', async () => {
    const path = join(dir, 'stop.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: true });
    const sim = new Sim(rec, stream({ channel: 1, ssrc: OPERATOR, ts0: 0, fromMs: 0, toMs: 1000, value: code(1) }));
    sim.advance(980);
    const first = rec.stop(T0 + 987); // the last packet (980..1000 ms) was pushed: it is kept
    const second = rec.stop(T0 + 5000);
    expect(second).toBe(first);
    const res = await first;
    expect(res).toEqual({ path, bytes: statSync(path).size, durationMs: 1000, channels: 2 });
    expect(res.bytes).toBe(44 + 8000 * 4);

    rec.push(0, CALLER, 0, new Int16Array(160).fill(1), 160, T0 + 1000);
    rec.tick(T0 + 2000);
    rec.pause(T0 + 2000);
    expect(rec.paused).toBe(false);
    expect(await rec.stop(T0 + 6000)).toBe(res);
    expect(statSync(path).size).toBe(res.bytes);
    expect(soxi('-D', path)).toBe('1.000000');
  });

  it('rejects a file it cannot create with a MediaError naming the file', async () => {
    const path = join(dir, 'no', 'such', 'dir', 'call.wav');
    const err: unknown = await CallRecorder.open(path, T0, { stereo: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ code: 'MEDIA_FILE_ERROR', file: path });
    expect((err as MediaError).message).toContain(path);
  });

  it('rejects options that cannot keep the crash promise, before creating the file', async () => {
    const path = join(dir, 'bad-options.wav');
    await expect(CallRecorder.open(path, T0, { stereo: false, holdbackMs: 200, maxLossMs: 200 })).rejects.toMatchObject({
      code: 'MEDIA_BAD_ARGUMENT',
      file: path,
    });
    expect(existsSync(path)).toBe(false);
  });

  it('keeps a write error from the disk, never throws from push/tick, and rejects stop with it', async () => {
    const path = join(dir, 'enospc.wav');
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realWrite = proto.write;
    let diskFull = false;
    const spy = vi.spyOn(proto, 'write').mockImplementation(function (this: FileHandle, ...args: unknown[]) {
      if (diskFull) {
        return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      }
      return realWrite.apply(this, args);
    });
    try {
      const rec = await CallRecorder.open(path, T0, { stereo: true });
      const sim = new Sim(rec, stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 5000, value: code(0) }));
      sim.advance(1000);
      diskFull = true;
      for (let i = 0; i < 200 && rec.writeError === null; i++) {
        expect(() => sim.advance(sim.now + 20)).not.toThrow();
        await new Promise((r) => setImmediate(r));
      }
      expect(rec.writeError).toMatchObject({ code: 'MEDIA_FILE_ERROR', file: path });
      expect(() => sim.advance(5000)).not.toThrow();

      const stopped = rec.stop(T0 + 5000);
      await expect(stopped).rejects.toBeInstanceOf(MediaError);
      await expect(stopped).rejects.toMatchObject({ code: 'MEDIA_FILE_ERROR', file: path });
      await expect(stopped).rejects.toThrow(`${path}: cannot write: ENOSPC`);
      expect(rec.stop(T0 + 6000)).toBe(stopped);
    } finally {
      spy.mockRestore();
    }
  });

  it('loses nothing when the scheduler stalls for longer than the ring (6 s without a tick)', async () => {
    const path = join(dir, 'stall.wav');
    const rec = await CallRecorder.open(path, T0, { stereo: false });
    const frame = new Int16Array(160);
    for (const p of stream({ channel: 0, ssrc: CALLER, ts0: 0, fromMs: 0, toMs: 6000, value: code(0) })) {
      frame.set(p.samples);
      rec.push(p.channel, p.ssrc, p.ts, frame, 160, p.at);
    }
    await rec.stop(T0 + 6000);
    const wav = await readWavFile(path);
    expect(wav.samples.length).toBe(48000);
    expect(firstMismatch(wav.samples, code(0))).toBeNull();
  });

  it('refuses a push longer than the samples given', async () => {
    const rec = await CallRecorder.open(join(dir, 'arg.wav'), T0, { stereo: false });
    expect(() => rec.push(0, CALLER, 0, new Int16Array(160), 161, T0)).toThrow(
      expect.objectContaining({ code: 'MEDIA_BAD_ARGUMENT' }) as Error,
    );
    await rec.stop(T0);
  });
});
