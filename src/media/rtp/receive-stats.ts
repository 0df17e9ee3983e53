/**
 * Receiver statistics of ONE incoming RTP stream (one SSRC), as RFC 3550 Appendix A computes
 * them, and the reception report block (§6.4.1) they feed.
 *
 *  - A.1  sequence number validation: a new source is on probation until MIN_SEQUENTIAL
 *         packets arrive in sequence; a jump of MAX_DROPOUT or more (or a packet more than
 *         MAX_MISORDER behind) is discarded, unless the next packet follows it (bad_seq),
 *         in which case the sender is taken to have restarted and the counters re-sync.
 *         16-bit wrap-arounds are counted in `cycles`.
 *  - A.3  expected = extended highest seq − base seq + 1; lost = expected − received (negative
 *         when duplicates arrive); fraction lost over the interval since the previous report.
 *  - A.8  interarrival jitter in timestamp units: D = (Rj − Ri) − (Sj − Si), J += (|D| − J)/16,
 *         with the arrival time converted to the stream's RTP clock.
 *
 * Hot path: `update` allocates nothing and never throws; `takeReportBlock` fills a
 * caller-owned object. Time is passed in (milliseconds from any monotonic origin), never read.
 */
import { RtpError } from './packet.ts';
import type { ReportBlockFields } from './rtcp.ts';

export const RTP_SEQ_MOD = 0x10000;
/** A.1: sequential packets needed before a new source is valid. */
export const MIN_SEQUENTIAL = 2;
/** A.1: the largest forward gap still taken as loss rather than as a restart. */
export const MAX_DROPOUT = 3000;
/** A.1: how far behind the highest sequence number a packet may be and still count. */
export const MAX_MISORDER = 100;

/** RFC 3550 §6.4.1: cumulative number of packets lost is a signed 24-bit field. */
export const CUMULATIVE_LOST_MAX = 0x7fffff;
export const CUMULATIVE_LOST_MIN = -0x800000;

const TWO_POW_32 = 0x1_0000_0000;

export class RtpReceiveStats {
  readonly clockRate: number;
  readonly #unitsPerMs: number;

  #ssrc = 0;
  /** False until the first `reset` (or the first `update`, which resets implicitly). */
  #started = false;
  // A.1 `source` fields.
  #probation = MIN_SEQUENTIAL;
  #maxSeq = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  /** Shifted count of wrap-arounds (a multiple of 65536), as in A.1. */
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  // A.8 jitter state.
  #transit = 0;
  #haveTransit = false;
  #jitter = 0;
  // Last SR heard from this source, for LSR/DLSR.
  #lastSr = 0;
  #lastSrArrivalMs = 0;
  #haveSr = false;

  constructor(clockRate = 8000) {
    if (!Number.isFinite(clockRate) || clockRate <= 0) {
      throw new RtpError('RTP_BAD_FIELD', `RTP clock rate must be a positive number, got ${clockRate}`);
    }
    this.clockRate = clockRate;
    this.#unitsPerMs = clockRate / 1000;
  }

  /**
   * Start over with a new source (first packet, or the SSRC changed): everything is zeroed and
   * the source goes on probation. Call it with the first packet's sequence number, then pass
   * that same packet to `update` (A.1: `init_seq(s, seq); s->max_seq = seq - 1;
   * s->probation = MIN_SEQUENTIAL`).
   */
  reset(ssrc: number, seq: number): void {
    this.#ssrc = ssrc >>> 0;
    this.#started = true;
    this.#initSeq(seq & 0xffff);
    this.#maxSeq = (seq - 1) & 0xffff;
    this.#probation = MIN_SEQUENTIAL;
    this.#jitter = 0;
    this.#haveSr = false;
    this.#lastSr = 0;
    this.#lastSrArrivalMs = 0;
  }

  /**
   * Account for one received packet. Returns false when A.1 says to discard it: the source is
   * still on probation, or the sequence number jumped too far (the first packet of a possible
   * restart). Duplicates and packets reordered within MAX_MISORDER return true and count as
   * received. Jitter is updated for every packet that returns true, in order of arrival.
   * Before any `reset`, the first call resets with SSRC 0.
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    seq &= 0xffff;
    if (!this.#started) this.reset(0, seq);
    if (!this.#updateSeq(seq)) return false;
    this.#updateJitter(rtpTimestamp, arrivalMs);
    return true;
  }

  /**
   * Remember the SR just received from this source (its NTP timestamp's middle 32 bits, see
   * `ntpMiddle32`) and when it arrived, for the LSR/DLSR fields of the next report block.
   */
  noteSenderReport(ntpMiddle32: number, arrivalMs: number): void {
    this.#lastSr = ntpMiddle32 >>> 0;
    this.#lastSrArrivalMs = arrivalMs;
    this.#haveSr = true;
  }

  /**
   * Fill a reception report block for this source (RFC 3550 §6.4.1, A.3) and start a new
   * reporting interval: fraction lost is computed over the packets since the previous call.
   * DLSR is the time from the last SR's arrival to `nowMs`, in units of 1/65536 s; LSR and
   * DLSR are 0 when no SR has been received.
   */
  takeReportBlock(nowMs: number, out: ReportBlockFields): void {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    let fraction = 0;
    if (expectedInterval > 0 && lostInterval > 0) {
      fraction = Math.floor((lostInterval * 256) / expectedInterval);
      if (fraction > 255) fraction = 255; // unreachable after A.1, kept for the 8-bit field
    }
    out.ssrc = this.#ssrc;
    out.fractionLost = fraction;
    out.cumulativeLost = this.cumulativeLost;
    out.extendedHighestSeq = this.extendedHighestSeq;
    out.jitter = this.jitter;
    if (this.#haveSr) {
      out.lastSr = this.#lastSr;
      let dlsr = Math.floor(((nowMs - this.#lastSrArrivalMs) * 65536) / 1000);
      if (dlsr < 0) dlsr = 0;
      else if (dlsr > 0xffffffff) dlsr = 0xffffffff;
      out.delaySinceLastSr = dlsr;
    } else {
      out.lastSr = 0;
      out.delaySinceLastSr = 0;
    }
  }

  get ssrc(): number {
    return this.#ssrc;
  }

  /** True once MIN_SEQUENTIAL packets have arrived in sequence (or after a re-sync). */
  get valid(): boolean {
    return this.#started && this.#probation === 0;
  }

  /** Packets counted since the source became valid (or re-synced), duplicates included. */
  get received(): number {
    return this.#received;
  }

  /** Number of 16-bit sequence number wrap-arounds. */
  get cycles(): number {
    return this.#cycles / RTP_SEQ_MOD;
  }

  /** Extended highest sequence number received, modulo 2^32 as in the report block. */
  get extendedHighestSeq(): number {
    if (!this.valid) return 0;
    return (this.#cycles + this.#maxSeq) >>> 0;
  }

  /** A.3: packets expected since the source became valid; 0 while on probation. */
  get expected(): number {
    if (!this.valid) return 0;
    return this.#cycles + this.#maxSeq - this.#baseSeq + 1;
  }

  /** expected − received, unclamped; negative when more duplicates than losses arrived. */
  get lostSinceStart(): number {
    return this.expected - this.#received;
  }

  /** `lostSinceStart` clamped to the signed 24-bit range of the report block field. */
  get cumulativeLost(): number {
    const lost = this.lostSinceStart;
    if (lost > CUMULATIVE_LOST_MAX) return CUMULATIVE_LOST_MAX;
    if (lost < CUMULATIVE_LOST_MIN) return CUMULATIVE_LOST_MIN;
    return lost;
  }

  /** Interarrival jitter in timestamp units, truncated to an integer as the report carries it. */
  get jitter(): number {
    return Math.floor(this.#jitter);
  }

  /** Interarrival jitter in milliseconds (unrounded). */
  get jitterMs(): number {
    return this.#jitter / this.#unitsPerMs;
  }

  /** A.1 init_seq. The jitter estimate survives a re-sync; its transit reference does not. */
  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1; // so seq === badSeq is false
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
    this.#haveTransit = false;
  }

  /** A.1 update_seq; true when the packet counts. */
  #updateSeq(seq: number): boolean {
    const maxSeq = this.#maxSeq;
    const udelta = (seq - maxSeq) & 0xffff;
    if (this.#probation > 0) {
      // The RFC compares `seq == s->max_seq + 1` in int arithmetic, which never matches when
      // max_seq is 65535; compare modulo 2^16 so that probation completes across the wrap.
      if (seq === ((maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
          return true;
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < maxSeq) this.#cycles += RTP_SEQ_MOD; // wrapped
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: a restart if the next packet follows this one, else a stray.
      if (seq === this.#badSeq) {
        this.#initSeq(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered within MAX_MISORDER — counted, max_seq unchanged.
    this.#received++;
    return true;
  }

  /** A.8, in floating point so that sub-unit arrival precision is kept. */
  #updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const transit = arrivalMs * this.#unitsPerMs - (rtpTimestamp >>> 0);
    if (!this.#haveTransit) {
      this.#transit = transit;
      this.#haveTransit = true;
      return;
    }
    let d = transit - this.#transit;
    this.#transit = transit;
    // RTP timestamps are modulo 2^32: bring a difference across their wrap back near zero.
    if (d > 0x7fffffff || d < -0x80000000) d -= Math.round(d / TWO_POW_32) * TWO_POW_32;
    if (d < 0) d = -d;
    this.#jitter += (d - this.#jitter) / 16;
  }
}
