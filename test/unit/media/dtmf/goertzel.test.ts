import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DtmfDetector, type DtmfDetectorOptions } from '../../../../src/media/dtmf/goertzel.ts';
import { readWav } from '../../../support/wav.ts';

const FS = 8000;
const ROW: Record<string, number> = {};
const COL: Record<string, number> = {};
'123A456B789C*0#D'.split('').forEach((d, i) => {
  ROW[d] = [697, 770, 852, 941][i >> 2]!;
  COL[d] = [1209, 1336, 1477, 1633][i & 3]!;
});
/** Sine amplitude of 0 dBm0 in 16-bit linear PCM. */
const DBM0 = 32768 / Math.pow(10, 3.17 / 20);
const amp = (dbm0: number): number => DBM0 * Math.pow(10, dbm0 / 20);

/** mulberry32: seeded uniform [0,1). */
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

/** Float signal builder, rendered to Int16 at the end. */
class Signal {
  readonly parts: Float64Array[] = [];
  silence(ms: number): this {
    this.parts.push(new Float64Array((ms * FS) / 1000));
    return this;
  }
  tones(ms: number, freqs: Array<[hz: number, dbm0: number]>): this {
    const n = Math.round((ms * FS) / 1000);
    const out = new Float64Array(n);
    for (const [hz, db] of freqs) {
      const a = amp(db);
      const phase = hz / 7; // arbitrary, not 0
      for (let i = 0; i < n; i++) out[i]! += a * Math.sin((2 * Math.PI * hz * i) / FS + phase);
    }
    this.parts.push(out);
    return this;
  }
  digit(d: string, ms: number, dbm0 = -10): this {
    return this.tones(ms, [
      [ROW[d]!, dbm0],
      [COL[d]!, dbm0],
    ]);
  }
  render(noise?: { snrDb: number; seed: number }): Int16Array {
    const len = this.parts.reduce((s, p) => s + p.length, 0);
    const x = new Float64Array(len);
    let o = 0;
    for (const p of this.parts) x.set(p, (o += p.length) - p.length);
    if (noise !== undefined) {
      // Noise power against the power of the tone part of the signal.
      let power = 0;
      let active = 0;
      for (const v of x) {
        if (v === 0) continue;
        power += v * v;
        active++;
      }
      const sigma = Math.sqrt(power / active / Math.pow(10, noise.snrDb / 10));
      const r = rng(noise.seed);
      for (let i = 0; i < len; i++) {
        const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()); // Box–Muller
        x[i]! += sigma * g;
      }
    }
    return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
  }
}

function detect(samples: Int16Array, chunk = 160, options?: DtmfDetectorOptions): string {
  let got = '';
  const det = new DtmfDetector((d) => (got += d), options);
  for (let o = 0; o < samples.length; o += chunk) det.push(samples, o, Math.min(chunk, samples.length - o));
  return got;
}

const DIGITS = '0123456789*#ABCD'.split('');

describe('DtmfDetector on generated tones', () => {
  it.each(DIGITS)('detects %s (60 ms at −10 dBm0 per tone) exactly once, at any alignment', (d) => {
    for (let lead = 0; lead < 106; lead += 13) {
      const s = new Signal().tones(lead / 8, []).silence(40).digit(d, 60).silence(100).render();
      expect(detect(s), `lead ${lead} samples`).toBe(d);
    }
  });

  it.each(DIGITS)('detects %s in white noise at 15 dB SNR (seeded)', (d) => {
    for (let seed = 1; seed <= 5; seed++) {
      const s = new Signal().silence(40).digit(d, 60).silence(100).render({ snrDb: 15, seed: seed * 7919 + d.charCodeAt(0) });
      expect(detect(s), `seed ${seed}`).toBe(d);
    }
  });

  it('detects a dialled sequence with twist and quiet tones, fed in odd-sized chunks', () => {
    const sig = new Signal().silence(30);
    for (const d of '8005553535') sig.tones(70, [[ROW[d]!, -16], [COL[d]!, -13]]).silence(60);
    sig.tones(70, [[ROW['#']!, -20], [COL['#']!, -26]]).silence(60); // row 6 dB over column
    expect(detect(sig.render(), 37)).toBe('8005553535#');
  });

  it('does not detect a 20 ms tone pair (too short), at any alignment', () => {
    for (const d of DIGITS) {
      for (let lead = 0; lead < 106; lead += 5) {
        const s = new Signal().tones(lead / 8, []).silence(40).digit(d, 20).silence(100).render();
        expect(detect(s), `${d} lead ${lead}`).toBe('');
      }
    }
  });

  it('two same digits separated by 50 ms of silence are two detections', () => {
    for (const d of DIGITS) {
      const s = new Signal().silence(40).digit(d, 60).silence(50).digit(d, 60).silence(100).render();
      expect(detect(s)).toBe(d + d);
    }
  });

  it('a long tone is still one digit', () => {
    expect(detect(new Signal().silence(20).digit('5', 2000).silence(50).render())).toBe('5');
  });

  it('a single frequency is not a digit', () => {
    for (const hz of [697, 770, 852, 941, 1209, 1336, 1477, 1633]) {
      expect(detect(new Signal().silence(20).tones(500, [[hz, -10]]).silence(50).render()), `${hz} Hz`).toBe('');
    }
  });

  it('too much twist, too low a level, or a third tone are rejected', () => {
    expect(detect(new Signal().tones(200, [[770, -10], [1336, -22]]).render())).toBe(''); // row 12 dB over
    expect(detect(new Signal().tones(200, [[770, -20], [1336, -12]]).render())).toBe(''); // column 8 dB over
    expect(detect(new Signal().digit('5', 200, -40).render())).toBe('');
    expect(detect(new Signal().tones(200, [[770, -10], [1336, -10], [2000, -10]]).render())).toBe('');
  });

  it('tones with strong 2nd harmonics (voice-like) are rejected by the harmonic check', () => {
    const harmonic = (d: string): Int16Array =>
      new Signal()
        .tones(200, [
          [ROW[d]!, -10],
          [COL[d]!, -10],
          [2 * ROW[d]!, -18],
          [2 * COL[d]!, -18],
        ])
        .render();
    expect(detect(harmonic('1'))).toBe('');
    expect(detect(harmonic('#'))).toBe('');
    // The same signal passes when the harmonic check is switched off: it is that check at work.
    expect(detect(harmonic('1'), 160, { harmonicRejectDb: -100 })).toBe('1');
    expect(detect(harmonic('#'), 160, { harmonicRejectDb: -100 })).toBe('#');
  });

  it('music-like chords off the DTMF grid produce nothing', () => {
    const chords: Array<number[]> = [
      [523.25, 659.25, 783.99], // C major
      [783.99, 1318.5, 1567.98], // G5 E6 G6: two notes within 20 Hz of 770 and 1336
      [440, 880, 1320], // harmonic series
      [698.46, 1174.66, 1760], // F5 D6 A6
    ];
    for (const c of chords) {
      const s = new Signal().silence(20).tones(1000, c.map((hz): [number, number] => [hz, -12])).silence(20).render();
      expect(detect(s), c.join('+')).toBe('');
    }
  });

  it('noise alone produces nothing', () => {
    const r = rng(1234);
    const s = Int16Array.from({ length: FS * 5 }, () => Math.round((r() - 0.5) * 20000));
    expect(detect(s)).toBe('');
  });
});

describe('DtmfDetector on speech (espeak-ng → sox 8 kHz)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-dtmf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function speech(voice: string, text: string, name: string): Int16Array {
    const raw = join(dir, `${name}-raw.wav`);
    const out = join(dir, `${name}.wav`);
    try {
      execFileSync('espeak-ng', ['-v', voice, '-w', raw, text]);
      execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', out]);
    } catch (err) {
      throw new Error(`espeak-ng and sox are required (apt-get install -y espeak-ng sox): ${String(err)}`);
    }
    const wav = readWav(readFileSync(out));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toBe(1);
    expect(wav.samples.length).toBeGreaterThan(8000);
    return wav.samples;
  }

  const texts: Array<[string, string, string]> = [
    [
      'ru',
      'ru',
      'Здравствуйте! Вы позвонили на горячую линию. Ваш звонок очень важен для нас. ' +
        'Оператор ответит вам через несколько минут. Пожалуйста, оставайтесь на линии. ' +
        'Чтобы узнать баланс, нажмите один. Чтобы сообщить о неисправности, нажмите два.',
    ],
    [
      'en',
      'en',
      'Hello, and thank you for calling the hotline. All our operators are busy at the moment. ' +
        'Your call is important to us, please stay on the line. Press one for billing, two for technical support, ' +
        'or hold for the next available agent. Seven, eight, nine, star, pound.',
    ],
    ['en-us', 'en-us-f', 'She sells sea shells by the sea shore; the quick brown fox jumps over the lazy dog. Oh, ee, ah, oo, mmm.'],
  ];

  it.each(texts)('%s speech produces zero detections', (voice, name, text) => {
    const s = speech(voice, text, name);
    expect(detect(s)).toBe('');
    // Louder (+6 dB, clipped) and quieter (−10 dB) copies too.
    expect(detect(Int16Array.from(s, (v) => Math.max(-32768, Math.min(32767, v * 2))))).toBe('');
    expect(detect(Int16Array.from(s, (v) => Math.round(v * 0.316)))).toBe('');
  });

  it('a digit mixed into speech is still detected', () => {
    const s = speech('en', 'Please enter your contract number now.', 'mix');
    const tone = new Signal().silence(500).digit('7', 80, -8).render();
    const mixed = Int16Array.from(s, (v, i) => Math.max(-32768, Math.min(32767, v * 0.3 + (tone[i] ?? 0))));
    expect(detect(mixed)).toContain('7');
  });
});
