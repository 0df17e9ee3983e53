import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRtpHeader, readRtpHeader, rtpPayload, writeRtpHeader } from '../../../../src/media/rtp/packet.ts';
import {
  DtmfError,
  Rfc4733Receiver,
  Rfc4733Sender,
  type DtmfDigitEvent,
} from '../../../../src/media/dtmf/rfc4733.ts';
import { readPcapUdp } from './pcap.ts';

const SIPP_DIR = '/usr/share/sip-tester';
const TELEPHONE_EVENT_PT = 101;

/** Receiver + collected digits; feeds whole RTP datagrams, dropping other payload types. */
function harness(): { rx: Rfc4733Receiver; digits: DtmfDigitEvent[]; feed: (pkt: Buffer) => void } {
  const digits: DtmfDigitEvent[] = [];
  const rx = new Rfc4733Receiver((d) => digits.push(d));
  const h = createRtpHeader();
  const feed = (pkt: Buffer): void => {
    if (!readRtpHeader(pkt, h)) throw new Error('test packet is not RTP');
    if (h.payloadType === TELEPHONE_EVENT_PT) rx.push(h, rtpPayload(pkt, h));
  };
  return { rx, digits, feed };
}

/** One telephone-event packet. */
function ev(code: number, ts: number, duration: number, end = false, seq = 0, volume = 10): Buffer {
  const buf = Buffer.alloc(16);
  writeRtpHeader(buf, 0, { marker: false, payloadType: TELEPHONE_EVENT_PT, sequenceNumber: seq, timestamp: ts, ssrc: 1 });
  buf[12] = code;
  buf[13] = (end ? 0x80 : 0) | volume;
  buf.writeUInt16BE(duration, 14);
  return buf;
}

describe('Rfc4733Receiver on the SIPp RFC 4733 captures', () => {
  const captures: Array<[string, string]> = [
    ...'0123456789'.split('').map((d): [string, string] => [d, d]),
    ['star', '*'],
    ['pound', '#'],
  ];
  it.each(captures)('dtmf_2833_%s.pcap yields exactly one %s', (name, digit) => {
    const path = `${SIPP_DIR}/dtmf_2833_${name}.pcap`;
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: install sip-tester (apt-get install -y sip-tester), as .ci/run does`);
    }
    const datagrams = readPcapUdp(readFileSync(path));
    expect(datagrams.length).toBeGreaterThan(3);
    const { rx, digits, feed } = harness();
    for (const d of datagrams) feed(d.payload);
    expect(digits).toEqual([{ digit, durationMs: 280, volume: 10 }]); // reported on the E bit
    rx.flush();
    expect(digits).toHaveLength(1);
  });
});

describe('Rfc4733Sender → Rfc4733Receiver', () => {
  it('builds the RFC 4733 §2.5 sequence: marker start, 50 ms updates, 3 identical end packets', () => {
    const tx = new Rfc4733Sender({ payloadType: TELEPHONE_EVENT_PT, ssrc: 42, sequenceNumber: 65534 });
    const n = tx.build('7', 180, 1000);
    const h = createRtpHeader();
    const seen: Array<[boolean, number, number, boolean, number]> = [];
    for (let i = 0; i < n; i++) {
      const pkt = tx.packet(i);
      expect(readRtpHeader(pkt, h)).toBe(true);
      expect(h.timestamp).toBe(1000);
      expect(h.ssrc).toBe(42);
      expect(h.sequenceNumber).toBe((65534 + i) & 0xffff);
      const p = rtpPayload(pkt, h);
      seen.push([h.marker, p[0]!, p.readUInt16BE(2), (p[1]! & 0x80) !== 0, p[1]! & 0x3f]);
    }
    expect(seen).toEqual([
      [true, 7, 400, false, 10],
      [false, 7, 800, false, 10],
      [false, 7, 1200, false, 10],
      [false, 7, 1440, true, 10],
      [false, 7, 1440, true, 10],
      [false, 7, 1440, true, 10],
    ]);
  });

  it('every digit and duration comes back once with its duration', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...'0123456789*#ABCD'.split('')), fc.integer({ min: 1, max: 5000 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (seq, ts0) => {
          const tx = new Rfc4733Sender({ payloadType: TELEPHONE_EVENT_PT, ssrc: 7 });
          const { digits, feed } = harness();
          let ts = ts0;
          for (const [digit, ms] of seq) {
            const n = tx.build(digit, ms, ts);
            for (let i = 0; i < n; i++) feed(tx.packet(i));
            ts = (ts + ms * 8 + 800) >>> 0; // next digit 100 ms after this one ends (wraps)
          }
          expect(digits).toEqual(seq.map(([digit, ms]) => ({ digit, durationMs: ms, volume: 10 })));
        },
      ),
    );
  });

  it('rejects a non-digit and an out-of-range duration with coded errors', () => {
    const tx = new Rfc4733Sender({ payloadType: TELEPHONE_EVENT_PT, ssrc: 7 });
    expect(() => tx.build('x', 100, 0)).toThrow(expect.objectContaining({ code: 'DTMF_BAD_DIGIT' }));
    expect(() => tx.build('1', 0, 0)).toThrow(DtmfError);
    expect(() => tx.build('1', 5001, 0)).toThrow(expect.objectContaining({ code: 'DTMF_BAD_DURATION' }));
  });
});

describe('Rfc4733Receiver: loss, duplication, reordering', () => {
  it('a duplicated end packet arriving much later does not repeat the digit', () => {
    const { digits, feed } = harness();
    feed(ev(5, 100, 400));
    feed(ev(5, 100, 800, true));
    feed(ev(5, 100, 800, true));
    feed(ev(5, 100, 400)); // late update of the finished event
    feed(ev(5, 100, 800, true));
    expect(digits.map((d) => d.digit)).toEqual(['5']);
  });

  it('a new timestamp before any end packet ends the previous event (end packets lost)', () => {
    const { digits, feed } = harness();
    feed(ev(1, 100, 400));
    feed(ev(1, 100, 800));
    feed(ev(2, 2000, 400)); // end of '1' lost
    feed(ev(2, 2000, 640, true));
    expect(digits).toEqual([
      { digit: '1', durationMs: 100, volume: 10 },
      { digit: '2', durationMs: 80, volume: 10 },
    ]);
  });

  it('the same digit twice with the first end lost gives two digits', () => {
    const { digits, feed } = harness();
    feed(ev(9, 100, 400));
    feed(ev(9, 2000, 400));
    feed(ev(9, 2000, 800, true));
    expect(digits.map((d) => d.digit)).toEqual(['9', '9']);
  });

  it('an event of which only the end packets arrive is reported once', () => {
    const { digits, feed } = harness();
    feed(ev(11, 500, 960, true));
    feed(ev(11, 500, 960, true));
    feed(ev(11, 500, 960, true));
    expect(digits).toEqual([{ digit: '#', durationMs: 120, volume: 10 }]);
  });

  it('out-of-order updates do not shrink the duration; old-event stragglers are ignored', () => {
    const { digits, feed } = harness();
    feed(ev(3, 100, 400));
    feed(ev(3, 100, 1200));
    feed(ev(3, 100, 800)); // reordered
    feed(ev(3, 100, 1200, true));
    feed(ev(4, 5000, 400));
    feed(ev(3, 100, 1200, true)); // straggler of the old event after the new one started
    feed(ev(4, 5000, 800, true));
    expect(digits).toEqual([
      { digit: '3', durationMs: 150, volume: 10 },
      { digit: '4', durationMs: 100, volume: 10 },
    ]);
  });

  it('flush() reports an event whose end never came, once', () => {
    const { rx, digits, feed } = harness();
    feed(ev(0, 100, 400));
    rx.flush();
    rx.flush();
    feed(ev(0, 100, 800, true)); // the end turns up after all: already reported
    expect(digits.map((d) => d.digit)).toEqual(['0']);
  });

  it('handles timestamp wrap-around and events 12–15 (A–D); ignores non-DTMF events and short payloads', () => {
    const { rx, digits, feed } = harness();
    feed(ev(12, 0xffffff00, 400, true));
    feed(ev(13, 0x00000100, 400, true)); // after the wrap: newer
    feed(ev(16, 0x00000200, 400, true)); // flash hook: not a digit
    const h = createRtpHeader();
    const short = ev(14, 0x300, 400).subarray(0, 14);
    expect(readRtpHeader(short, h)).toBe(true);
    rx.push(h, rtpPayload(short, h));
    expect(rx.malformed).toBe(1);
    expect(digits.map((d) => d.digit)).toEqual(['A', 'B']);
  });

  it('a long event split into segments (duration overflow, §2.5.1.3) is one digit', () => {
    const { digits, feed } = harness();
    feed(ev(8, 1000, 0xffff));
    feed(ev(8, 1000 + 0xffff, 800));
    feed(ev(8, 1000 + 0xffff, 1600, true));
    expect(digits).toEqual([{ digit: '8', durationMs: (0xffff + 1600) / 8, volume: 10 }]);
  });

  it('random packet streams never throw and report at most one digit per timestamp', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            code: fc.integer({ min: 0, max: 20 }),
            ts: fc.integer({ min: 0, max: 5 }).map((k) => k * 1000),
            dur: fc.integer({ min: 0, max: 0xffff }),
            end: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (pkts) => {
          const { rx, digits, feed } = harness();
          for (const p of pkts) feed(ev(p.code, p.ts, p.dur, p.end));
          rx.flush();
          expect(digits.length).toBeLessThanOrEqual(new Set(pkts.map((p) => p.ts)).size);
        },
      ),
    );
  });
});
