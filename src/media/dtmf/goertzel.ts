/**
 * In-band DTMF detection (ITU-T Q.23/Q.24 tones) for callers that send neither RFC 4733
 * events nor SIP INFO: Goertzel filters at the 8 DTMF frequencies over blocks of 8 kHz
 * linear PCM, the usual validity checks per block, and a two-block hit rule.
 *
 * Per block (default 106 samples = 13.25 ms, resolution 75 Hz):
 *  1. level     — best row and best column each above `minLevelDbm0`;
 *  2. twist     — row/column level difference within +maxRowOverColDb / −maxColOverRowDb;
 *  3. peak      — best row (column) at least `relativePeakDb` above every other row (column);
 *  4. purity    — the two tones carry ≥ `minEnergyRatio` of the block's total energy
 *                 (rejects speech, music, noise, and blocks only partly covered by a tone);
 *  5. harmonics — the 2nd harmonic of each tone at least `harmonicRejectDb` below it (voice is
 *                 rich in harmonics, DTMF generators are not). A row's harmonic is only tested
 *                 when it does not fall within 2 bins of the detected column (2×697 = 1394
 *                 is 58 Hz from 1336: the column leaks into that filter).
 * Hit rule (spandsp's): the reported state changes only after two successive blocks agree.
 *   -----ABB start of B | BBBBBABB still B | BBBBBB-- end of B | BBBB--BB B, then B again.
 * A digit is reported once, at its start. Allocation-free after construction.
 */
import { DtmfError, type DtmfDigit } from './rfc4733.ts';

const ROW_HZ = [697, 770, 852, 941] as const;
const COL_HZ = [1209, 1336, 1477, 1633] as const;
/** Row-major keypad: KEYPAD[row * 4 + col]. */
const KEYPAD = '123A456B789C*0#D';
/** Sine amplitude of 0 dBm0 in 16-bit linear PCM (G.711: full-scale sine = +3.17 dBm0). */
const DBM0_AMPLITUDE = 32768 / Math.pow(10, 3.17 / 20);

export interface DtmfDetectorOptions {
  sampleRate?: number;
  /** Block length in samples; 102–106 at 8 kHz. Default 106. */
  blockSize?: number;
  /** Minimum level of each tone, dBm0. Default −30. */
  minLevelDbm0?: number;
  /** Row (low group) may exceed column by this much, dB. Default 8. */
  maxRowOverColDb?: number;
  /** Column (high group) may exceed row by this much, dB. Default 4. */
  maxColOverRowDb?: number;
  /** Best tone over the others of its group, dB. Default 8. */
  relativePeakDb?: number;
  /** Share of block energy in the two tones, 0..1. Default 0.8. */
  minEnergyRatio?: number;
  /** 2nd harmonic must be at least this far below its fundamental, dB. Default 10. */
  harmonicRejectDb?: number;
}

export type DtmfDetectorHandler = (digit: DtmfDigit) => void;

function dbToPower(db: number): number {
  return Math.pow(10, db / 10);
}

export class DtmfDetector {
  readonly onDigit: DtmfDetectorHandler;
  readonly #n: number;
  readonly #block: Float64Array;
  #fill = 0;
  readonly #rowCoef: Float64Array;
  readonly #colCoef: Float64Array;
  readonly #rowHarmCoef: Float64Array;
  readonly #colHarmCoef: Float64Array;
  /** 1 where the row harmonic is testable for that (row, col) pair: [row * 4 + col]. */
  readonly #rowHarmUsable: Uint8Array;
  readonly #rowPower = new Float64Array(4);
  readonly #colPower = new Float64Array(4);
  readonly #minPower: number;
  readonly #rowOverCol: number;
  readonly #colOverRow: number;
  readonly #peak: number;
  readonly #ratio: number;
  readonly #harm: number;
  /** -1: none; else keypad index. */
  #lastHit = -1;
  #inDigit = -1;

  constructor(onDigit: DtmfDetectorHandler, options: DtmfDetectorOptions = {}) {
    const fs = options.sampleRate ?? 8000;
    const n = options.blockSize ?? 106;
    if (!(fs > 0) || !Number.isInteger(n) || n < 16) {
      throw new DtmfError('DTMF_BAD_OPTION', `bad sampleRate ${fs} / blockSize ${n}`);
    }
    if (2 * COL_HZ[3] >= fs / 2) {
      throw new DtmfError('DTMF_BAD_OPTION', `sampleRate ${fs} too low for harmonic checks`);
    }
    this.onDigit = onDigit;
    this.#n = n;
    this.#block = new Float64Array(n);
    const coef = (hz: number): number => 2 * Math.cos((2 * Math.PI * hz) / fs);
    this.#rowCoef = Float64Array.from(ROW_HZ, coef);
    this.#colCoef = Float64Array.from(COL_HZ, coef);
    this.#rowHarmCoef = Float64Array.from(ROW_HZ, (f) => coef(2 * f));
    this.#colHarmCoef = Float64Array.from(COL_HZ, (f) => coef(2 * f));
    this.#rowHarmUsable = new Uint8Array(16);
    const guardHz = (2 * fs) / n;
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        this.#rowHarmUsable[r * 4 + c] = Math.abs(2 * ROW_HZ[r]! - COL_HZ[c]!) > guardHz ? 1 : 0;
      }
    }
    // Goertzel power of a sine of amplitude A at the filter frequency: (A·N/2)².
    const minAmp = DBM0_AMPLITUDE * Math.pow(10, (options.minLevelDbm0 ?? -30) / 20);
    this.#minPower = (minAmp * n * 0.5) ** 2;
    this.#rowOverCol = dbToPower(options.maxRowOverColDb ?? 8);
    this.#colOverRow = dbToPower(options.maxColOverRowDb ?? 4);
    this.#peak = dbToPower(options.relativePeakDb ?? 8);
    this.#ratio = options.minEnergyRatio ?? 0.8;
    this.#harm = dbToPower(-(options.harmonicRejectDb ?? 10));
  }

  /** Feed `length` samples of `samples` from `offset`. Any chunking works. */
  push(samples: Int16Array, offset: number, length: number): void {
    const end = Math.min(samples.length, offset + length);
    const block = this.#block;
    const n = this.#n;
    let fill = this.#fill;
    for (let i = Math.max(0, offset); i < end; i++) {
      block[fill++] = samples[i]!;
      if (fill === n) {
        this.#processBlock();
        fill = 0;
      }
    }
    this.#fill = fill;
  }

  /** Forget any partial block and digit in progress (e.g. after a media switch). */
  reset(): void {
    this.#fill = 0;
    this.#lastHit = -1;
    this.#inDigit = -1;
  }

  #goertzel(coef: number): number {
    const block = this.#block;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < this.#n; i++) {
      const s = block[i]! + coef * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    return s1 * s1 + s2 * s2 - coef * s1 * s2;
  }

  #classify(): number {
    const rowP = this.#rowPower;
    const colP = this.#colPower;
    let bestRow = 0;
    let bestCol = 0;
    for (let i = 0; i < 4; i++) {
      rowP[i] = this.#goertzel(this.#rowCoef[i]!);
      colP[i] = this.#goertzel(this.#colCoef[i]!);
      if (rowP[i]! > rowP[bestRow]!) bestRow = i;
      if (colP[i]! > colP[bestCol]!) bestCol = i;
    }
    const r = rowP[bestRow]!;
    const c = colP[bestCol]!;
    // 1. level, 2. twist
    if (r < this.#minPower || c < this.#minPower) return -1;
    if (r > c * this.#rowOverCol || c > r * this.#colOverRow) return -1;
    // 3. relative peak within each group
    for (let i = 0; i < 4; i++) {
      if (i !== bestRow && rowP[i]! * this.#peak > r) return -1;
      if (i !== bestCol && colP[i]! * this.#peak > c) return -1;
    }
    // 4. purity: tone energy (Goertzel power · 2/N) against total block energy
    const block = this.#block;
    let energy = 0;
    for (let i = 0; i < this.#n; i++) energy += block[i]! * block[i]!;
    if (((r + c) * 2) / this.#n < this.#ratio * energy) return -1;
    // 5. second harmonics
    if (this.#goertzel(this.#colHarmCoef[bestCol]!) > c * this.#harm) return -1;
    if (
      this.#rowHarmUsable[bestRow * 4 + bestCol] === 1 &&
      this.#goertzel(this.#rowHarmCoef[bestRow]!) > r * this.#harm
    ) {
      return -1;
    }
    return bestRow * 4 + bestCol;
  }

  #processBlock(): void {
    const hit = this.#classify();
    if (hit !== this.#inDigit && this.#lastHit !== this.#inDigit) {
      // Two successive blocks differ from the current state: the state changes.
      const next = hit === this.#lastHit ? hit : -1;
      if (next !== this.#inDigit) {
        this.#inDigit = next;
        if (next >= 0) this.onDigit(KEYPAD[next] as DtmfDigit);
      }
    }
    this.#lastHit = hit;
  }
}
