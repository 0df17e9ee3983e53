import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_SILENCE, PlaylistCursor, PromptCache, prepareAudio, silenceByte, ULAW_SILENCE, type PreparedAudio } from '../../../src/media/audio-source.ts';
import { encodeAlaw, encodeUlaw, ulawToLinear } from '../../../src/media/codecs/g711.ts';
import { MediaError } from '../../../src/media/errors.ts';
import { wavBytes } from '../../support/wav.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-audio-source-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Samples whose µ-law and A-law bytes are easy to tell apart by position. */
function ramp(n: number, start: number): Int16Array {
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = ((start + i) * 97) % 20000 - 10000;
  return pcm;
}

function writeWav(name: string, pcm: Int16Array): string {
  const path = join(dir, name);
  writeFileSync(path, wavBytes(pcm));
  return path;
}

async function rejection(p: Promise<unknown>): Promise<MediaError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return err as MediaError;
  }
  throw new Error('expected a rejection');
}

/** Pull every frame of `cursor` (n samples each) until it reports the end. */
function drain(cursor: PlaylistCursor, n: number, codec: 'PCMU' | 'PCMA', limit = 1000): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < limit; i++) {
    const out = Buffer.alloc(12 + n, 0x55);
    if (!cursor.next(out, 12, n, codec)) break;
    expect(out.subarray(0, 12).every((b) => b === 0x55)).toBe(true); // the header area is not touched
    frames.push(out.subarray(12));
  }
  return frames;
}

function rms(pcm: ArrayLike<number>, from = 0, to = pcm.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += pcm[i]! * pcm[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
}

function ulawToPcm(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ulawToLinear(bytes[i]!);
  return out;
}

/** Upward zero crossings per second → frequency of a single tone. */
function frequency(pcm: Int16Array, from: number, to: number): number {
  let crossings = 0;
  for (let i = from + 1; i < to; i++) if (pcm[i - 1]! < 0 && pcm[i]! >= 0) crossings++;
  return (crossings * 8000) / (to - from);
}

/** Goertzel power of `f` Hz over pcm[from, to), normalised to the amplitude of a sine at f. */
function amplitudeAt(pcm: Int16Array, f: number, from: number, to: number): number {
  const n = to - from;
  const w = (2 * Math.PI * f) / 8000;
  const coef = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s = pcm[i]! + coef * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coef * s1 * s2;
  return (2 * Math.sqrt(power)) / n;
}

/** −13 dBm0 sine peak in 16-bit PCM (G.711: a full-scale sine is +3.17 dBm0). */
const MINUS_13_DBM0_PEAK = 32768 / Math.pow(10, 3.17 / 20) / Math.pow(10, 13 / 20);

describe('PlaylistCursor', () => {
  const a = prepareAudio('a', ramp(250, 0));
  const b = prepareAudio('b', ramp(100, 5000));

  it('plays files back to back: one frame holds the end of one file and the start of the next', () => {
    const frames = drain(new PlaylistCursor([a, b], false), 160, 'PCMU');
    // 350 samples → 3 frames of 160, the last padded with silence.
    expect(frames).toHaveLength(3);
    const all = Buffer.concat(frames);
    expect(all.subarray(0, 250)).toEqual(a.ulaw);
    expect(all.subarray(250, 350)).toEqual(b.ulaw);
    expect(all.subarray(160, 320)).toEqual(Buffer.concat([a.ulaw.subarray(160), b.ulaw.subarray(0, 70)]));
    expect(all.subarray(350).every((x) => x === ULAW_SILENCE)).toBe(true);
  });

  it('pads the last frame with the silence of the codec and counts only real samples as played', () => {
    const cursor = new PlaylistCursor([a], false);
    const frames = drain(cursor, 160, 'PCMA');
    expect(frames).toHaveLength(2);
    expect(frames[1]!.subarray(0, 90)).toEqual(a.alaw.subarray(160));
    expect(frames[1]!.subarray(90).every((x) => x === ALAW_SILENCE)).toBe(true);
    expect(cursor.played).toBe(250);
    expect(cursor.done).toBe(true);
    // Past the end: nothing more, and the buffer is left alone.
    const out = Buffer.alloc(172, 0x33);
    expect(cursor.next(out, 12, 160, 'PCMA')).toBe(false);
    expect(out.every((x) => x === 0x33)).toBe(true);
  });

  it('an exact multiple of the frame ends without a padded frame', () => {
    const c = prepareAudio('c', ramp(320, 7));
    expect(drain(new PlaylistCursor([c], false), 160, 'PCMU')).toHaveLength(2);
  });

  it('µ-law and A-law frames are the same samples encoded by each law', () => {
    const pcm = ramp(160, 11);
    const item = prepareAudio('x', pcm);
    const u = Buffer.alloc(160);
    const l = Buffer.alloc(160);
    encodeUlaw(pcm, u);
    encodeAlaw(pcm, l);
    expect(drain(new PlaylistCursor([item], false), 160, 'PCMU')[0]).toEqual(u);
    expect(drain(new PlaylistCursor([item], false), 160, 'PCMA')[0]).toEqual(l);
    expect(u).not.toEqual(l);
    expect(silenceByte('PCMU')).toBe(0xff);
    expect(silenceByte('PCMA')).toBe(0xd5);
  });

  it('loops without a gap: the frame after the end holds the start again', () => {
    const cursor = new PlaylistCursor([a, b], true);
    const frames = drain(cursor, 160, 'PCMU', 10);
    expect(frames).toHaveLength(10); // never ends
    const all = Buffer.concat(frames);
    const once = Buffer.concat([a.ulaw, b.ulaw]);
    for (let i = 0; i < all.length; i++) {
      if (all[i] !== once[i % once.length]) throw new Error(`looped stream differs at sample ${i}`);
    }
    expect(cursor.done).toBe(false);
  });

  it('a loop of nothing but empty items ends instead of spinning', () => {
    const empty: PreparedAudio = { name: 'silence:0', samples: 0, ulaw: Buffer.alloc(0), alaw: Buffer.alloc(0) };
    const cursor = new PlaylistCursor([empty, empty], true);
    // At most one frame of padding silence, then the end.
    const frames = drain(cursor, 160, 'PCMU');
    expect(frames.length).toBeLessThanOrEqual(1);
    expect(frames.every((f) => f.every((x) => x === ULAW_SILENCE))).toBe(true);
    expect(cursor.done).toBe(true);
    expect(cursor.played).toBe(0);
    expect(drain(new PlaylistCursor([], true), 160, 'PCMU')).toHaveLength(0);
  });

  it('skips empty items in the middle of a playlist', () => {
    const empty: PreparedAudio = { name: 'silence:0', samples: 0, ulaw: Buffer.alloc(0), alaw: Buffer.alloc(0) };
    const all = Buffer.concat(drain(new PlaylistCursor([a, empty, b], false), 160, 'PCMU'));
    expect(all.subarray(0, 350)).toEqual(Buffer.concat([a.ulaw, b.ulaw]));
  });

  it('serves frames longer than 20 ms (ptime 30/60)', () => {
    const frames = drain(new PlaylistCursor([a, b], false), 240, 'PCMU');
    expect(frames).toHaveLength(2);
    expect(Buffer.concat(frames).subarray(0, 350)).toEqual(Buffer.concat([a.ulaw, b.ulaw]));
  });
});

describe('tones and silence', () => {
  const cache = new PromptCache();

  it('tone:<f>/<on>/<off>: the frequency, a −13 dBm0 level, then silence for the off time', async () => {
    const t = await cache.get('tone:1000/500/250');
    expect(t.samples).toBe(6000);
    const pcm = ulawToPcm(t.ulaw);
    expect(frequency(pcm, 100, 3900)).toBeCloseTo(1000, -1);
    const peak = amplitudeAt(pcm, 1000, 400, 3600);
    expect(peak / MINUS_13_DBM0_PEAK).toBeGreaterThan(0.93);
    expect(peak / MINUS_13_DBM0_PEAK).toBeLessThan(1.07);
    expect(rms(pcm, 400, 3600)).toBeCloseTo(MINUS_13_DBM0_PEAK / Math.SQRT2, -2);
    // Off part: digital silence in both laws.
    expect(t.ulaw.subarray(4000).every((x) => x === ULAW_SILENCE)).toBe(true);
    expect(t.alaw.subarray(4000).every((x) => x === ALAW_SILENCE)).toBe(true);
  });

  it('ramps in and out (no click at the cadence edges)', async () => {
    const pcm = ulawToPcm((await cache.get('tone:1000/100/0')).ulaw);
    expect(Math.abs(pcm[0]!)).toBeLessThan(200);
    expect(Math.abs(pcm[pcm.length - 1]!)).toBeLessThan(200);
    expect(rms(pcm, 0, 20)).toBeLessThan(rms(pcm, 100, 700) / 2);
  });

  it('dual tones: both frequencies at −13 dBm0 each, nothing between them', async () => {
    const t = await cache.get('tone:697+1209/200/0');
    const pcm = ulawToPcm(t.ulaw);
    for (const f of [697, 1209]) {
      const a = amplitudeAt(pcm, f, 80, 1520);
      expect(a / MINUS_13_DBM0_PEAK).toBeGreaterThan(0.9);
      expect(a / MINUS_13_DBM0_PEAK).toBeLessThan(1.1);
    }
    expect(amplitudeAt(pcm, 950, 80, 1520)).toBeLessThan(MINUS_13_DBM0_PEAK / 20);
  });

  it('named tones: ringback 425 Hz 1 s on / 4 s off, busy 425 Hz 0.35 s / 0.35 s, beep 1 kHz 250 ms', async () => {
    const ring = await cache.get('tone:ringback');
    expect(ring.samples).toBe(40_000);
    const rp = ulawToPcm(ring.ulaw);
    expect(frequency(rp, 100, 7900)).toBeCloseTo(425, -1);
    expect(rms(rp, 100, 7900)).toBeGreaterThan(3000);
    expect(ring.ulaw.subarray(8000).every((x) => x === ULAW_SILENCE)).toBe(true);

    const busy = await cache.get('tone:busy');
    expect(busy.samples).toBe(5600);
    expect(busy.ulaw.subarray(2800).every((x) => x === ULAW_SILENCE)).toBe(true);
    expect(rms(ulawToPcm(busy.ulaw), 100, 2700)).toBeGreaterThan(3000);

    const beep = await cache.get('tone:beep');
    expect(beep.samples).toBe(2000);
    expect(frequency(ulawToPcm(beep.ulaw), 100, 1900)).toBeCloseTo(1000, -1);
  });

  it('silence:<ms> is that many ms of codec silence', async () => {
    const s = await cache.get('silence:250');
    expect(s.samples).toBe(2000);
    expect(s.ulaw.every((x) => x === ULAW_SILENCE)).toBe(true);
    expect(s.alaw.every((x) => x === ALAW_SILENCE)).toBe(true);
  });

  it.each([
    'tone:',
    'tone:warble',
    'tone:425',
    'tone:425/100',
    'tone:abc/100/100',
    'tone:10/100/100', // below 50 Hz
    'tone:5000/100/100', // above 3800 Hz
    'tone:425/0/100', // no tone at all
    'tone:425/40000/30000', // cadence over 60 s
    'silence:-5',
    'silence:1.5',
    'silence:999999999',
    'silence:', // no length: a mistake, not 0 ms
  ])('%s is MEDIA_BAD_ARGUMENT naming the spec', async (spec) => {
    const err = await rejection(cache.get(spec));
    expect(err.code).toBe('MEDIA_BAD_ARGUMENT');
    expect(err.message).toContain(spec);
  });
});

describe('PromptCache', () => {
  it('returns the same prepared object for the same file, decoded once', async () => {
    const path = writeWav('same.wav', ramp(800, 3));
    const cache = new PromptCache();
    const [x, y] = await Promise.all([cache.get(path), cache.get(path)]);
    const z = await cache.get(path);
    expect(y).toBe(x);
    expect(z).toBe(x);
    expect(x.name).toBe(path);
    expect(x.samples).toBe(800);
    const u = Buffer.alloc(800);
    encodeUlaw(ramp(800, 3), u);
    expect(x.ulaw).toEqual(u);
    expect(cache.bytes).toBe(1600);
  });

  it('evicts the least recently used prompts when over its byte budget', async () => {
    // Each 1000-sample prompt accounts for 2000 bytes (µ-law + A-law copies); room for two.
    const p1 = writeWav('lru1.wav', ramp(1000, 1));
    const p2 = writeWav('lru2.wav', ramp(1000, 2));
    const p3 = writeWav('lru3.wav', ramp(1000, 3));
    const cache = new PromptCache(4000);
    const a1 = await cache.get(p1);
    const a2 = await cache.get(p2);
    expect(cache.bytes).toBe(4000);
    expect(await cache.get(p1)).toBe(a1); // p1 is now the most recently used
    await cache.get(p3); // over budget: p2 (least recently used) goes
    expect(cache.bytes).toBe(4000);
    expect(await cache.get(p1)).toBe(a1);
    const a2again = await cache.get(p2);
    expect(a2again).not.toBe(a2); // read again
    expect(a2again.ulaw).toEqual(a2.ulaw);
    expect(cache.bytes).toBeLessThanOrEqual(4000);
  });

  it('keeps a prompt larger than the whole budget only while it is the newest', async () => {
    const big = writeWav('big.wav', ramp(3000, 9));
    const small = writeWav('small.wav', ramp(100, 9));
    const cache = new PromptCache(1000);
    const b1 = await cache.get(big);
    expect(await cache.get(big)).toBe(b1);
    await cache.get(small);
    expect(cache.bytes).toBe(200);
    expect(await cache.get(big)).not.toBe(b1);
  });

  it('does not cache a failing file: fixed on disk, the next play reads it', async () => {
    const path = join(dir, 'later.wav');
    const cache = new PromptCache();
    const missing = await rejection(cache.get(path));
    expect(missing.code).toBe('MEDIA_FILE_ERROR');
    expect(missing.file).toBe(path);
    expect(missing.message).toContain(path);
    writeFileSync(path, Buffer.from('RIFF\0\0\0\0WAVEjunk'));
    const bad = await rejection(cache.get(path));
    expect(bad.code).toBe('MEDIA_BAD_WAV');
    expect(bad.file).toBe(path);
    expect(bad.message).toContain(path);
    expect(cache.bytes).toBe(0);
    writeFileSync(path, wavBytes(ramp(400, 1)));
    const ok = await cache.get(path);
    expect(ok.samples).toBe(400);
    expect(cache.bytes).toBe(800);
  });
});
