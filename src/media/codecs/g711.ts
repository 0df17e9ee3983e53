/**
 * G.711 (ITU-T Rec. G.711, 11/1988) µ-law and A-law companding, table driven.
 *
 * Linear samples are 16-bit signed (Int16). The companding arithmetic is the
 * reference algorithm of Sun Microsystems' public-domain g711.c (also used by
 * sox, SpanDSP, Asterisk...), which works on the 14-bit (µ-law) and 13-bit
 * (A-law) magnitudes of G.711 scaled up to 16 bits:
 *
 * - µ-law decodes to ±{0, 8, 16, ..., 120, 132, 148, ..., 32124}; bytes
 *   0x80..0xFF are positive (0xFF = +0, 0x80 = +32124), 0x00..0x7F negative
 *   (0x7F = −0, 0x00 = −32124).
 * - A-law decodes to ±{8, 24, ..., 32256} (no zero level); even bits are
 *   inverted (XOR 0x55), bit 7 set means positive: 0xD5 = +8, 0x55 = −8,
 *   0xAA = +32256, 0x2A = −32256.
 *
 * Every code decodes and re-encodes to itself, except µ-law 0x7F (−0), which
 * decodes to 0 and re-encodes as 0xFF (+0): 16-bit PCM has no negative zero.
 *
 * All tables are built once at module load. The bulk functions write into
 * caller-provided buffers and allocate nothing, so they are safe on the RTP path.
 * The tables are exported for inner loops that want to index them directly;
 * never write into them.
 */
import { MediaError } from '../errors.ts';

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159; // largest 14-bit magnitude µ-law can represent, before the bias
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) {
    if (value <= (ends[i] ?? 0)) return i;
  }
  return ends.length;
}

/** Reference µ-law encoder (g711.c linear2ulaw), used only to fill the tables. */
function ulawEncodeReference(pcm16: number): number {
  let v = pcm16 >> 2; // 14-bit
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (v > ULAW_CLIP) v = ULAW_CLIP;
  v += ULAW_BIAS >> 2;
  const seg = segment(v, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Reference µ-law decoder (g711.c ulaw2linear). */
function ulawDecodeReference(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/** Reference A-law encoder (g711.c linear2alaw), used only to fill the tables. */
function alawEncodeReference(pcm16: number): number {
  let v = pcm16 >> 3; // 13-bit
  let mask: number;
  if (v >= 0) {
    mask = 0xd5; // sign bit (positive) + even-bit inversion
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const quant = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | quant) ^ mask;
}

/** Reference A-law decoder (g711.c alaw2linear). */
function alawDecodeReference(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** µ-law code → linear Int16 (256 entries). */
export const ULAW_DECODE: Int16Array = new Int16Array(256);
/** A-law code → linear Int16 (256 entries). */
export const ALAW_DECODE: Int16Array = new Int16Array(256);
/** (sample >> 2) + 8192 → µ-law code (16384 entries: µ-law only looks at 14 bits). */
export const ULAW_ENCODE: Uint8Array = new Uint8Array(1 << 14);
/** (sample >> 3) + 4096 → A-law code (8192 entries: A-law only looks at 13 bits). */
export const ALAW_ENCODE: Uint8Array = new Uint8Array(1 << 13);
/** µ-law code → A-law code, G.711 Table 3 (256 entries). */
export const ULAW_TO_ALAW: Uint8Array = new Uint8Array(256);
/** A-law code → µ-law code, G.711 Table 4 (256 entries). */
export const ALAW_TO_ULAW: Uint8Array = new Uint8Array(256);

const ULAW_OFFSET = 1 << 13;
const ALAW_OFFSET = 1 << 12;

for (let code = 0; code < 256; code++) {
  ULAW_DECODE[code] = ulawDecodeReference(code);
  ALAW_DECODE[code] = alawDecodeReference(code);
}
for (let i = 0; i < ULAW_ENCODE.length; i++) ULAW_ENCODE[i] = ulawEncodeReference((i - ULAW_OFFSET) << 2);
for (let i = 0; i < ALAW_ENCODE.length; i++) ALAW_ENCODE[i] = alawEncodeReference((i - ALAW_OFFSET) << 3);
/*
 * µ-law ↔ A-law code conversion, G.711 Tables 3 and 4 (as printed in Sun's
 * g711.c "copy from CCITT G.711 specifications", with the two known errata of
 * that copy corrected: u2a[80] = 80 and a2u[79] = 80). Indexed by the 7-bit
 * magnitude code (sign and inversion bits removed), values are 1-based.
 * (Re-quantising through the linear value would differ for a few dozen codes
 * near segment ends; interworking equipment uses the standard's tables.)
 */
// prettier-ignore
const U2A: readonly number[] = [
  1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8,
  9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
  25, 27, 29, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
  46, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
  64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
  80, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96,
  97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
  113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128,
];
// prettier-ignore
const A2U: readonly number[] = [
  1, 3, 5, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23,
  24, 25, 26, 27, 28, 29, 30, 31, 32, 32, 33, 33, 34, 34, 35, 35,
  36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 48, 49, 49,
  50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 64,
  65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80,
  80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95,
  96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111,
  112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127,
];
for (let code = 0; code < 256; code++) {
  // g711.c ulaw2alaw / alaw2ulaw
  ULAW_TO_ALAW[code] =
    code & 0x80 ? 0xd5 ^ ((U2A[0xff ^ code] as number) - 1) : 0x55 ^ ((U2A[0x7f ^ code] as number) - 1);
  ALAW_TO_ULAW[code] = code & 0x80 ? 0xff ^ (A2U[code ^ 0xd5] as number) : 0x7f ^ (A2U[code ^ 0x55] as number);
}

function clamp16(sample: number): number {
  const s = sample | 0; // NaN → 0, fractions truncated
  return s > 32767 ? 32767 : s < -32768 ? -32768 : s;
}

/** One linear sample (clamped to Int16) → µ-law code. */
export function linearToUlaw(sample: number): number {
  return ULAW_ENCODE[(clamp16(sample) >> 2) + ULAW_OFFSET] as number;
}

/** µ-law code (low 8 bits used) → linear Int16. */
export function ulawToLinear(code: number): number {
  return ULAW_DECODE[code & 0xff] as number;
}

/** One linear sample (clamped to Int16) → A-law code. */
export function linearToAlaw(sample: number): number {
  return ALAW_ENCODE[(clamp16(sample) >> 3) + ALAW_OFFSET] as number;
}

/** A-law code (low 8 bits used) → linear Int16. */
export function alawToLinear(code: number): number {
  return ALAW_DECODE[code & 0xff] as number;
}

/** µ-law code → A-law code. */
export function ulawToAlaw(code: number): number {
  return ULAW_TO_ALAW[code & 0xff] as number;
}

/** A-law code → µ-law code. */
export function alawToUlaw(code: number): number {
  return ALAW_TO_ULAW[code & 0xff] as number;
}

function checkLengths(what: string, n: number, srcLength: number, dstLength: number): void {
  if (!Number.isInteger(n) || n < 0 || n > srcLength) {
    throw new MediaError('MEDIA_BAD_ARGUMENT', `${what}: n=${n} outside the source (${srcLength} samples)`);
  }
  if (n > dstLength) {
    throw new MediaError('MEDIA_BUFFER_TOO_SMALL', `${what}: destination holds ${dstLength}, need ${n}`);
  }
}

/** Encode `n` (default: all) linear samples into `dst` as µ-law. Returns `n`. Allocates nothing. */
export function encodeUlaw(src: Int16Array, dst: Uint8Array, n: number = src.length): number {
  checkLengths('encodeUlaw', n, src.length, dst.length);
  const table = ULAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = table[((src[i] as number) >> 2) + ULAW_OFFSET] as number;
  return n;
}

/** Decode `n` (default: all) µ-law codes into `dst`. Returns `n`. Allocates nothing. */
export function decodeUlaw(src: Uint8Array, dst: Int16Array, n: number = src.length): number {
  checkLengths('decodeUlaw', n, src.length, dst.length);
  const table = ULAW_DECODE;
  for (let i = 0; i < n; i++) dst[i] = table[src[i] as number] as number;
  return n;
}

/** Encode `n` (default: all) linear samples into `dst` as A-law. Returns `n`. Allocates nothing. */
export function encodeAlaw(src: Int16Array, dst: Uint8Array, n: number = src.length): number {
  checkLengths('encodeAlaw', n, src.length, dst.length);
  const table = ALAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = table[((src[i] as number) >> 3) + ALAW_OFFSET] as number;
  return n;
}

/** Decode `n` (default: all) A-law codes into `dst`. Returns `n`. Allocates nothing. */
export function decodeAlaw(src: Uint8Array, dst: Int16Array, n: number = src.length): number {
  checkLengths('decodeAlaw', n, src.length, dst.length);
  const table = ALAW_DECODE;
  for (let i = 0; i < n; i++) dst[i] = table[src[i] as number] as number;
  return n;
}

/**
 * Transcode `n` µ-law codes to A-law (relaying between legs with different
 * codecs). `dst` may be `src` (in place). Returns `n`. Allocates nothing.
 */
export function transcodeUlawToAlaw(src: Uint8Array, dst: Uint8Array, n: number = src.length): number {
  checkLengths('transcodeUlawToAlaw', n, src.length, dst.length);
  const table = ULAW_TO_ALAW;
  for (let i = 0; i < n; i++) dst[i] = table[src[i] as number] as number;
  return n;
}

/** Transcode `n` A-law codes to µ-law; `dst` may be `src`. Returns `n`. Allocates nothing. */
export function transcodeAlawToUlaw(src: Uint8Array, dst: Uint8Array, n: number = src.length): number {
  checkLengths('transcodeAlawToUlaw', n, src.length, dst.length);
  const table = ALAW_TO_ULAW;
  for (let i = 0; i < n; i++) dst[i] = table[src[i] as number] as number;
  return n;
}
