import { describe, expect, it } from 'vitest';
import { RtpError } from '../../../../src/media/rtp/packet.ts';
import { RtpReceiveStats } from '../../../../src/media/rtp/receive-stats.ts';
import { createReportBlock } from '../../../../src/media/rtp/rtcp.ts';

/** 20 ms G.711 packets at 8 kHz: 160 timestamp units apart. */
const PTIME_MS = 20;
const TS_STEP = 160;

/**
 * A stream starting at sequence number `first`, after reset + the probation packet.
 * `feed(seq)` sends the packet with that sequence number with timestamp and arrival time
 * derived from it (perfect pacing), so gaps and reorders do not disturb the jitter.
 */
function started(first: number, clockRate = 8000): { s: RtpReceiveStats; feed: (seq: number) => boolean } {
  const s = new RtpReceiveStats(clockRate);
  const feed = (seq: number): boolean => s.update(seq, (seq - first) * TS_STEP, (seq - first) * PTIME_MS);
  s.reset(0xcafe, first);
  expect(feed(first)).toBe(false); // probation: MIN_SEQUENTIAL = 2
  return { s, feed };
}

describe('RtpReceiveStats: sequence numbers (RFC 3550 A.1, A.3)', () => {
  it('counts an in-order stream with no loss and no jitter', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1049; seq++) expect(feed(seq)).toBe(true);
    expect(s.ssrc).toBe(0xcafe);
    expect(s.valid).toBe(true);
    // The probation packet 1000 is not counted: the base is 1001 (init_seq on the 2nd packet).
    expect(s.received).toBe(49);
    expect(s.expected).toBe(49);
    expect(s.lostSinceStart).toBe(0);
    expect(s.cumulativeLost).toBe(0);
    expect(s.extendedHighestSeq).toBe(1049);
    expect(s.cycles).toBe(0);
    expect(s.jitter).toBe(0);
    const rb = createReportBlock();
    s.takeReportBlock(1000, rb);
    expect(rb).toEqual({
      ssrc: 0xcafe,
      fractionLost: 0,
      cumulativeLost: 0,
      extendedHighestSeq: 1049,
      jitter: 0,
      lastSr: 0,
      delaySinceLastSr: 0,
    });
  });

  it('keeps jitter at 0 for perfectly paced arrivals on a wall-clock origin', () => {
    const s = new RtpReceiveStats();
    const t0 = 1_700_000_000_123.4; // Date.now()-sized, with a fraction: float rounding must not show
    s.reset(1, 7);
    for (let i = 0; i < 500; i++) s.update(7 + i, 0x1234 + i * TS_STEP, t0 + i * PTIME_MS);
    expect(s.jitter).toBe(0);
    expect(s.jitterMs).toBeLessThan(1e-3);
  });

  it('puts a source on probation until two packets arrive in sequence', () => {
    const s = new RtpReceiveStats();
    const rb = createReportBlock();
    s.reset(42, 1000);
    expect(s.update(1000, 0, 0)).toBe(false);
    expect(s.valid).toBe(false);
    expect(s.expected).toBe(0);
    expect(s.received).toBe(0);
    s.takeReportBlock(0, rb);
    expect(rb.extendedHighestSeq).toBe(0);
    expect(rb.fractionLost).toBe(0);
    expect(rb.cumulativeLost).toBe(0);
    // Out of sequence: probation restarts from 1005 (probation = MIN_SEQUENTIAL - 1).
    expect(s.update(1005, 800, 100)).toBe(false);
    expect(s.valid).toBe(false);
    // 1006 follows 1005: valid, and counting starts here.
    expect(s.update(1006, 960, 120)).toBe(true);
    expect(s.valid).toBe(true);
    expect(s.received).toBe(1);
    expect(s.expected).toBe(1);
    expect(s.extendedHighestSeq).toBe(1006);
  });

  it('completes probation across the 16-bit wrap (the RFC C code would not)', () => {
    // A.1 compares `seq == s->max_seq + 1` in int: with max_seq = 65535 it never matches.
    const a = new RtpReceiveStats();
    a.reset(1, 65535);
    expect(a.update(65535, 0, 0)).toBe(false);
    expect(a.update(0, 160, 20)).toBe(true);
    expect(a.extendedHighestSeq).toBe(0);
    expect(a.cycles).toBe(0);
    expect(a.expected).toBe(1);

    const b = new RtpReceiveStats();
    b.reset(1, 0); // max_seq = seq - 1 = 65535
    expect(b.update(0, 0, 0)).toBe(false);
    expect(b.update(1, 160, 20)).toBe(true);
    expect(b.expected).toBe(1);
  });

  it('counts a gap of 3 packets as loss and reports the fraction per interval', () => {
    const { s, feed } = started(1000);
    const rb = createReportBlock();
    for (let seq = 1001; seq <= 1005; seq++) feed(seq);
    // 1006, 1007, 1008 lost
    for (let seq = 1009; seq <= 1013; seq++) feed(seq);
    // expected = 1013 - 1001 + 1 = 13, received = 10, lost = 3
    expect(s.received).toBe(10);
    expect(s.expected).toBe(13);
    expect(s.cumulativeLost).toBe(3);
    s.takeReportBlock(0, rb);
    // fraction = floor(3 * 256 / 13) = floor(59.07) = 59
    expect(rb.fractionLost).toBe(59);
    expect(rb.cumulativeLost).toBe(3);
    expect(rb.extendedHighestSeq).toBe(1013);

    // Next interval, 1014..1023 without loss: fraction 0, cumulative unchanged.
    for (let seq = 1014; seq <= 1023; seq++) feed(seq);
    s.takeReportBlock(0, rb);
    expect(rb.fractionLost).toBe(0);
    expect(rb.cumulativeLost).toBe(3);

    // Next interval 1024..1033 without 1030: expected 10, received 9 → floor(1 * 256 / 10) = 25.
    for (let seq = 1024; seq <= 1033; seq++) if (seq !== 1030) feed(seq);
    s.takeReportBlock(0, rb);
    expect(rb.fractionLost).toBe(25);
    expect(rb.cumulativeLost).toBe(4);

    // An interval with no packet at all: expected_interval = 0 → fraction 0.
    s.takeReportBlock(0, rb);
    expect(rb.fractionLost).toBe(0);
  });

  it('accepts a gap just under MAX_DROPOUT as loss and discards one of MAX_DROPOUT', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1010; seq++) feed(seq);
    expect(feed(1010 + 3000)).toBe(false); // udelta = 3000: not < MAX_DROPOUT
    expect(s.received).toBe(10);
    expect(feed(1010 + 2999)).toBe(true); // udelta = 2999: 2998 packets lost
    expect(s.cumulativeLost).toBe(2998);
    expect(s.extendedHighestSeq).toBe(4009);
  });

  it('keeps duplicates as negative loss (signed, RFC 3550 §6.4.1), never a negative fraction', () => {
    // §6.4.1: "the number of packets expected less the number of packets actually received,
    // where the number of packets received includes any which are late or duplicates" — so
    // duplicates make it negative; the field is signed 24-bit and we report it as is.
    const { s, feed } = started(1000);
    const rb = createReportBlock();
    for (let seq = 1001; seq <= 1010; seq++) feed(seq);
    expect(feed(1005)).toBe(true);
    expect(feed(1005)).toBe(true);
    // expected 10, received 12
    expect(s.received).toBe(12);
    expect(s.lostSinceStart).toBe(-2);
    expect(s.cumulativeLost).toBe(-2);
    s.takeReportBlock(0, rb);
    expect(rb.cumulativeLost).toBe(-2);
    expect(rb.fractionLost).toBe(0); // lost_interval = 10 - 12 = -2 <= 0 → 0 (A.3)
    // The surplus of the previous interval does not hide a loss in the next one.
    for (let seq = 1011; seq <= 1020; seq++) if (seq !== 1015) feed(seq);
    s.takeReportBlock(0, rb);
    expect(rb.fractionLost).toBe(25); // floor(1 * 256 / 10)
    expect(rb.cumulativeLost).toBe(-1);
  });

  it('counts packets reordered within MAX_MISORDER and discards those further behind', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1005; seq++) feed(seq);
    feed(1007);
    expect(s.cumulativeLost).toBe(1); // 1006 missing for now
    expect(feed(1006)).toBe(true); // late, udelta = 65535: reordered
    expect(s.cumulativeLost).toBe(0);
    expect(s.extendedHighestSeq).toBe(1007); // max_seq unchanged by a late packet
    for (let seq = 1008; seq <= 1200; seq++) feed(seq);
    expect(s.received).toBe(200);
    // 99 behind: udelta = 65437 > 65536 - MAX_MISORDER → still a reorder, counted.
    expect(feed(1101)).toBe(true);
    expect(s.received).toBe(201);
    // 100 behind: udelta = 65436 → a "very large jump", discarded.
    expect(feed(1100)).toBe(false);
    expect(s.received).toBe(201);
  });

  it('counts sequence number wrap-arounds in cycles', () => {
    const { s, feed } = started(65533);
    for (const seq of [65534, 65535, 0, 1, 2]) expect(feed(seq)).toBe(true);
    expect(s.cycles).toBe(1);
    expect(s.extendedHighestSeq).toBe(65536 + 2);
    // base 65534: expected = 65538 - 65534 + 1 = 5
    expect(s.expected).toBe(5);
    expect(s.cumulativeLost).toBe(0);
    // A late 65535 after the wrap is a reorder, not a second wrap.
    expect(feed(65535)).toBe(true);
    expect(s.cycles).toBe(1);
    // Another full turn of the sequence space.
    for (let seq = 3; seq <= 65535; seq++) feed(seq);
    feed(0);
    expect(s.cycles).toBe(2);
    expect(s.extendedHighestSeq).toBe(2 * 65536);
  });

  it('re-syncs after a big jump followed by a sequential packet (A.1 bad_seq)', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1010; seq++) feed(seq);
    // The sender restarted at 20000: the first packet of the new run is discarded...
    expect(s.update(20000, 999_000, 500)).toBe(false);
    expect(s.received).toBe(10);
    expect(s.extendedHighestSeq).toBe(1010);
    // ...the next one (== bad_seq) re-syncs: init_seq(20001), counted as the first packet.
    expect(s.update(20001, 999_160, 520)).toBe(true);
    expect(s.received).toBe(1);
    expect(s.expected).toBe(1);
    expect(s.extendedHighestSeq).toBe(20001);
    expect(s.cumulativeLost).toBe(0);
    expect(s.update(20002, 999_320, 540)).toBe(true);
    expect(s.received).toBe(2);
    // The new timestamp base did not count as jitter (transit reference reset on re-sync).
    expect(s.jitter).toBe(0);
  });

  it('discards a single stray packet and carries on with the stream', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1010; seq++) feed(seq);
    expect(s.update(30000, 123, 456)).toBe(false);
    expect(feed(1011)).toBe(true);
    expect(s.received).toBe(11);
    expect(s.extendedHighestSeq).toBe(1011);
    expect(s.jitter).toBe(0); // the stray's timestamp never reached the jitter estimate
  });

  it('reset() starts a new source from scratch', () => {
    const { s, feed } = started(1000);
    for (let seq = 1001; seq <= 1010; seq++) feed(seq);
    s.noteSenderReport(0x11112222, 0);
    s.reset(0xbeef, 5);
    expect(s.ssrc).toBe(0xbeef);
    expect(s.valid).toBe(false);
    expect(s.received).toBe(0);
    expect(s.update(5, 0, 0)).toBe(false);
    expect(s.update(6, 160, 20)).toBe(true);
    const rb = createReportBlock();
    s.takeReportBlock(100, rb);
    expect(rb.ssrc).toBe(0xbeef);
    expect(rb.lastSr).toBe(0);
    expect(rb.delaySinceLastSr).toBe(0);
  });

  it('resets implicitly (SSRC 0) when update() comes first', () => {
    const s = new RtpReceiveStats();
    expect(s.update(10, 0, 0)).toBe(false);
    expect(s.update(11, 160, 20)).toBe(true);
    expect(s.ssrc).toBe(0);
    expect(s.received).toBe(1);
  });

  it('clamps cumulative lost to the signed 24-bit range', () => {
    // Steps of 2999 (< MAX_DROPOUT) lose 2998 packets each; about 2800 steps pass 2^23.
    const s = new RtpReceiveStats();
    s.reset(1, 0);
    s.update(0, 0, 0);
    let seq = 1;
    s.update(seq, 0, 0);
    let rejected = 0;
    while (s.lostSinceStart <= 0x7fffff) {
      seq = (seq + 2999) & 0xffff;
      if (!s.update(seq, 0, 0)) rejected++;
    }
    expect(rejected).toBe(0);
    expect(s.lostSinceStart).toBeGreaterThan(0x7fffff);
    expect(s.cumulativeLost).toBe(0x7fffff);
  });

  it('rejects a bad clock rate with a typed error', () => {
    expect(() => new RtpReceiveStats(0)).toThrow(RtpError);
  });
});

describe('RtpReceiveStats: interarrival jitter (RFC 3550 A.8)', () => {
  it('follows J += (|D| - J) / 16 for arrivals alternating +10 / -10 ms', () => {
    const s = new RtpReceiveStats(8000);
    s.reset(1, 99);
    s.update(99, 0, 0); // probation packet: not used for jitter
    const offsets: number[] = [];
    for (let i = 0; i < 300; i++) {
      const off = i % 2 === 0 ? 10 : -10;
      s.update(100 + i, i * TS_STEP, 1000 + i * PTIME_MS + off);
      offsets.push(s.jitterMs);
    }
    // transit alternates +80 / -80 units (10 ms × 8 units/ms), so |D| = 160 every packet:
    //   J1 = 0 + (160 - 0) / 16       = 10
    //   J2 = 10 + (160 - 10) / 16     = 19.375
    //   J3 = 19.375 + (160 - 19.375) / 16 = 28.1640625
    // and J_n = 160 (1 - (15/16)^n) → 160 units (20 ms), not 80: the deviation between two
    // consecutive packets is 20 ms although each is only 10 ms off the ideal.
    expect(offsets[0]).toBe(0); // first valid packet only sets the transit reference
    expect(offsets[1]! * 8).toBeCloseTo(10, 9);
    expect(offsets[2]! * 8).toBeCloseTo(19.375, 9);
    expect(offsets[3]! * 8).toBeCloseTo(28.1640625, 9);
    expect(s.jitterMs * 8).toBeCloseTo(160 * (1 - (15 / 16) ** 299), 6);
    expect(s.jitter).toBe(159); // integer as the RR carries it: floor(159.99…)
    expect(s.jitterMs).toBeCloseTo(20, 3);
  });

  it('converges to 80 units when arrivals alternate on time / 10 ms late', () => {
    const s = new RtpReceiveStats(8000);
    s.reset(1, 0);
    s.update(0, 0, 0);
    for (let i = 1; i < 400; i++) s.update(i, i * TS_STEP, i * PTIME_MS + (i % 2 === 0 ? 10 : 0));
    expect(s.jitter).toBe(79); // → 80 from below
    expect(s.jitterMs).toBeCloseTo(10, 3);
  });

  it('uses the stream clock rate (48 kHz)', () => {
    const s = new RtpReceiveStats(48000);
    s.reset(1, 0);
    s.update(0, 0, 0);
    s.update(1, 960, 20);
    s.update(2, 1920, 45); // 5 ms late: D = 5 × 48 = 240 → J = 15
    expect(s.jitterMs * 48).toBeCloseTo(15, 9);
    s.update(3, 2880, 60); // back on time: D = -240 → J = 15 + (240 - 15) / 16 = 29.0625
    expect(s.jitterMs * 48).toBeCloseTo(29.0625, 9);
    expect(s.jitter).toBe(29);
  });

  it('is not disturbed by the RTP timestamp wrapping at 2^32', () => {
    const s = new RtpReceiveStats();
    s.reset(1, 0);
    for (let i = 0; i < 100; i++) s.update(i, (0xffffff00 + i * TS_STEP) >>> 0, i * PTIME_MS);
    expect(s.jitterMs).toBeLessThan(1e-9);
  });
});

describe('RtpReceiveStats: LSR / DLSR', () => {
  it('reports the last SR and the delay since it in 1/65536 s', () => {
    const { s, feed } = started(1);
    feed(2);
    const rb = createReportBlock();
    s.noteSenderReport(0x12345678, 10_000);
    s.takeReportBlock(11_500, rb);
    expect(rb.lastSr).toBe(0x12345678);
    expect(rb.delaySinceLastSr).toBe(1.5 * 65536);
    // A clock that went backwards never gives a negative delay.
    s.takeReportBlock(9_000, rb);
    expect(rb.delaySinceLastSr).toBe(0);
  });
});
