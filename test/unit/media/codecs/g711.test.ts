import { describe, expect, it } from 'vitest';
import {
  alawToLinear,
  alawToUlaw,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  transcodeAlawToUlaw,
  transcodeUlawToAlaw,
  ulawToAlaw,
  ulawToLinear,
} from '../../../../src/media/codecs/g711.ts';
import { MediaError } from '../../../../src/media/errors.ts';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

/** Index of a µ-law code in level order (0 = most negative ... 255 = most positive). */
function ulawRank(code: number): number {
  return code & 0x80 ? 0x80 + (0x7f - (code & 0x7f)) : code;
}

/** Index of an A-law code in level order. */
function alawRank(code: number): number {
  const x = code ^ 0x55;
  return x & 0x80 ? 128 + (x & 0x7f) : 127 - (x & 0x7f);
}

describe('G.711 µ-law', () => {
  it('decodes the reference levels (Sun/CCITT g711.c, 16-bit scale)', () => {
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0); // negative zero
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0xfe)).toBe(8);
    expect(ulawToLinear(0x7e)).toBe(-8);
    expect(ulawToLinear(0xf0)).toBe(120); // last level of segment 0
    expect(ulawToLinear(0xef)).toBe(132); // first level of segment 1
    expect(ulawToLinear(0x8f)).toBe(16764); // first level of segment 7
  });

  it('every code decodes and re-encodes to itself, except 0x7F (−0) → 0xFF (+0)', () => {
    for (let code = 0; code < 256; code++) {
      expect(linearToUlaw(ulawToLinear(code))).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('levels are symmetric: code and code ^ 0x80 are opposite', () => {
    for (let code = 0; code < 128; code++) expect(ulawToLinear(code) + ulawToLinear(code | 0x80)).toBe(0);
  });

  it('encoding is monotonic in the sample value', () => {
    let prev = -1;
    for (const s of ALL_SAMPLES) {
      const rank = ulawRank(linearToUlaw(s));
      expect(rank >= prev).toBe(true);
      prev = rank;
    }
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(linearToUlaw(32767)).toBe(0x80);
  });

  it('quantisation error stays within half a step of the segment (+3 for the 14-bit input)', () => {
    for (const s of ALL_SAMPLES) {
      const code = linearToUlaw(s);
      const seg = ((~code) & 0x70) >> 4;
      const step = 8 << seg;
      const err = Math.abs(ulawToLinear(code) - s);
      if (Math.abs(s) <= 32124) expect(err).toBeLessThanOrEqual(step / 2 + 3);
      else expect(err).toBeLessThanOrEqual(32768 - 32124); // clipping beyond the top level
    }
  });

  it('clamps and truncates out-of-range scalar input', () => {
    expect(linearToUlaw(1e9)).toBe(0x80);
    expect(linearToUlaw(-1e9)).toBe(0x00);
    expect(linearToUlaw(Number.NaN)).toBe(0xff);
    expect(ulawToLinear(0x1ff)).toBe(0); // low 8 bits
  });
});

describe('G.711 A-law', () => {
  it('decodes the reference levels (even-bit inversion 0x55, bit 7 set = positive)', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(alawToLinear(0xd4)).toBe(24);
    expect(alawToLinear(0xc5)).toBe(264); // first level of segment 1
  });

  it('every code decodes and re-encodes to itself', () => {
    for (let code = 0; code < 256; code++) expect(linearToAlaw(alawToLinear(code))).toBe(code);
  });

  it('levels are symmetric and there is no zero level', () => {
    for (let code = 0; code < 128; code++) {
      expect(alawToLinear(code) + alawToLinear(code | 0x80)).toBe(0);
      expect(alawToLinear(code)).not.toBe(0);
    }
  });

  it('encoding is monotonic in the sample value', () => {
    let prev = -Infinity;
    for (const s of ALL_SAMPLES) {
      const level = alawToLinear(linearToAlaw(s));
      expect(level >= prev).toBe(true);
      prev = level;
    }
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
  });

  it('quantisation error stays within half a step of the segment', () => {
    for (const s of ALL_SAMPLES) {
      const code = linearToAlaw(s);
      const seg = ((code ^ 0x55) & 0x70) >> 4;
      const step = seg < 2 ? 16 : 16 << (seg - 1);
      const err = Math.abs(alawToLinear(code) - s);
      if (Math.abs(s) <= 32256) expect(err).toBeLessThanOrEqual(step / 2);
      else expect(err).toBeLessThanOrEqual(32768 - 32256);
    }
  });
});

describe('µ-law ↔ A-law transcoding (G.711 tables 3 and 4)', () => {
  it('µ → A → µ comes back within one µ-law step', () => {
    for (let code = 0; code < 256; code++) {
      const back = alawToUlaw(ulawToAlaw(code));
      expect(Math.abs(ulawRank(back) - ulawRank(code))).toBeLessThanOrEqual(1);
    }
  });

  it('A → µ → A comes back within one A-law step (µ-law merges a few A-law levels)', () => {
    let exact = 0;
    for (let code = 0; code < 256; code++) {
      const back = ulawToAlaw(alawToUlaw(code));
      if (back === code) exact++;
      expect(Math.abs(alawRank(back) - alawRank(code))).toBeLessThanOrEqual(1);
    }
    expect(exact).toBeGreaterThan(230);
  });

  it('keeps the sign and lands near the original level', () => {
    for (let code = 0; code < 256; code++) {
      const lin = ulawToLinear(code);
      const viaA = alawToLinear(ulawToAlaw(code));
      if (lin !== 0) expect(Math.sign(viaA)).toBe(Math.sign(lin));
      expect(Math.abs(viaA - lin)).toBeLessThanOrEqual(Math.max(16, Math.abs(lin) / 16));
    }
    expect(ulawToAlaw(0xff)).toBe(0xd5);
    expect(alawToUlaw(0xd5)).toBe(0xfe); // +8 → µ-law +8
  });
});

describe('bulk functions', () => {
  it('equal the scalar ones over every sample and code', () => {
    const mu = new Uint8Array(ALL_SAMPLES.length);
    const a = new Uint8Array(ALL_SAMPLES.length);
    expect(encodeUlaw(ALL_SAMPLES, mu)).toBe(65536);
    expect(encodeAlaw(ALL_SAMPLES, a)).toBe(65536);
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      const s = ALL_SAMPLES[i] as number;
      expect(mu[i]).toBe(linearToUlaw(s));
      expect(a[i]).toBe(linearToAlaw(s));
    }
    const lin = new Int16Array(256);
    decodeUlaw(ALL_CODES, lin);
    for (let c = 0; c < 256; c++) expect(lin[c]).toBe(ulawToLinear(c));
    decodeAlaw(ALL_CODES, lin);
    for (let c = 0; c < 256; c++) expect(lin[c]).toBe(alawToLinear(c));
    const t = new Uint8Array(256);
    transcodeUlawToAlaw(ALL_CODES, t);
    for (let c = 0; c < 256; c++) expect(t[c]).toBe(ulawToAlaw(c));
    transcodeAlawToUlaw(ALL_CODES, t);
    for (let c = 0; c < 256; c++) expect(t[c]).toBe(alawToUlaw(c));
  });

  it('write into a Buffer, honour n, and leave the rest of dst alone', () => {
    const src = Int16Array.from([0, 1000, -1000, 32767]);
    const dst = Buffer.alloc(6, 0xee);
    expect(encodeUlaw(src, dst, 2)).toBe(2);
    expect([...dst]).toEqual([0xff, linearToUlaw(1000), 0xee, 0xee, 0xee, 0xee]);
  });

  it('transcode in place (one RTP payload buffer relayed between legs)', () => {
    const payload = Buffer.from([0xff, 0x80, 0x00, 0x7f, 0x9a]);
    const expected = [...payload].map(ulawToAlaw);
    transcodeUlawToAlaw(payload, payload);
    expect([...payload]).toEqual(expected);
  });

  it('reject a short destination or a bad n with a coded MediaError', () => {
    const src = new Int16Array(160);
    expect(() => encodeUlaw(src, new Uint8Array(100))).toThrow(
      expect.objectContaining({ code: 'MEDIA_BUFFER_TOO_SMALL' }) as Error,
    );
    expect(() => decodeAlaw(new Uint8Array(10), new Int16Array(10), 11)).toThrow(MediaError);
    expect(() => decodeAlaw(new Uint8Array(10), new Int16Array(10), -1)).toThrow(
      expect.objectContaining({ code: 'MEDIA_BAD_ARGUMENT' }) as Error,
    );
  });
});
