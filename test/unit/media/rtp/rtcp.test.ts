import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RtpError } from '../../../../src/media/rtp/packet.ts';
import { RtpReceiveStats } from '../../../../src/media/rtp/receive-stats.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  RtcpWriter,
  createReportBlock,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  type ReportBlockFields,
  type RtcpVisitor,
  type SenderInfo,
} from '../../../../src/media/rtp/rtcp.ts';

type Event =
  | { kind: 'sr'; ssrc: number; ntpSeconds: number; ntpFraction: number; rtpTimestamp: number; packetCount: number; octetCount: number }
  | { kind: 'rr'; ssrc: number }
  | { kind: 'block'; reporter: number; block: ReportBlockFields }
  | { kind: 'bye'; ssrc: number };

/** Records what the parser reports (test code: allocation is fine here). */
class Recorder implements RtcpVisitor {
  readonly events: Event[] = [];
  senderReport(ssrc: number, ntpSeconds: number, ntpFraction: number, rtpTimestamp: number, packetCount: number, octetCount: number): void {
    this.events.push({ kind: 'sr', ssrc, ntpSeconds, ntpFraction, rtpTimestamp, packetCount, octetCount });
  }
  receiverReport(ssrc: number): void {
    this.events.push({ kind: 'rr', ssrc });
  }
  reportBlock(reporter: number, block: ReportBlockFields): void {
    this.events.push({ kind: 'block', reporter, block: { ...block } });
  }
  bye(ssrc: number): void {
    this.events.push({ kind: 'bye', ssrc });
  }
}

function parse(buf: Buffer): { ok: boolean; events: Event[] } {
  const r = new Recorder();
  const ok = parseRtcpCompound(buf, r);
  return { ok, events: r.events };
}

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
}

const BLOCK: ReportBlockFields = {
  ssrc: 0x0e1f2031,
  fractionLost: 5,
  cumulativeLost: 2,
  extendedHighestSeq: 66536,
  jitter: 42,
  lastSr: 0xa1b2c3d4,
  delaySinceLastSr: 0x18000,
};

/*
 * What a softphone such as baresip sends while receiving our audio: RR with one report block,
 * then SDES with its CNAME, no P bit (the SDES chunk ends with its own null octets).
 */
const RR_SDES_FIXTURE = hex(`
  81 c9 00 07   # V=2 P=0 RC=1, PT=201 RR, length 7 → 32 bytes
  5a 2b 3c 4d   # SSRC of the reporter
  0e 1f 20 31   # SSRC_1: the source reported on (us)
  05 00 00 02   # fraction lost 5/256, cumulative lost 2
  00 01 03 e8   # extended highest seq: 1 cycle, seq 1000 → 66536
  00 00 00 2a   # jitter 42 timestamp units
  a1 b2 c3 d4   # LSR
  00 01 80 00   # DLSR 0x18000 = 1.5 s in 1/65536 s
  81 ca 00 06   # V=2 P=0 SC=1, PT=202 SDES, length 6 → 28 bytes
  5a 2b 3c 4d   # chunk SSRC
  01 10         # CNAME, 16 bytes:
  62 6f 62 40 31 39 32 2e 31 36 38 2e 31 2e 32 30   # "bob@192.168.1.20"
  00 00         # null item + pad to the 32-bit boundary (2 + 16 + 2 = 20)
`);

describe('RtcpWriter', () => {
  it('builds SR + SDES that parses back to the same fields', () => {
    const w = new RtcpWriter();
    const sender: SenderInfo = { ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0xfffffff0, packetCount: 1234, octetCount: 197440 };
    ntpFromUnixMs(1_700_000_000_250, sender);
    const buf = w.writeCompound(0x11223344, sender, [BLOCK], 'hotline@10.0.0.1');
    // SR: 28 + 24 = 52 bytes; SDES: 4 + 4 + 2 + 16 + 2 nulls = 28 bytes.
    expect(buf.length).toBe(80);
    expect([...buf.subarray(0, 4)]).toEqual([0x81, 200, 0, 12]);
    expect([...buf.subarray(52, 56)]).toEqual([0x81, 202, 0, 6]);
    const { ok, events } = parse(buf);
    expect(ok).toBe(true);
    expect(events).toEqual([
      { kind: 'sr', ssrc: 0x11223344, ntpSeconds: 1_700_000_000 + NTP_UNIX_OFFSET_SECONDS, ntpFraction: 2 ** 30, rtpTimestamp: 0xfffffff0, packetCount: 1234, octetCount: 197440 },
      { kind: 'block', reporter: 0x11223344, block: BLOCK },
    ]);
  });

  it('builds RR with one block, byte for byte what a softphone sends', () => {
    const w = new RtcpWriter();
    const buf = w.writeCompound(0x5a2b3c4d, null, [BLOCK], 'bob@192.168.1.20');
    expect(buf.toString('hex')).toBe(RR_SDES_FIXTURE.toString('hex'));
  });

  it('builds an RR with no block', () => {
    const buf = new RtcpWriter().writeCompound(7, null, [], 'x');
    expect(buf.length).toBe(8 + 12);
    expect([...buf.subarray(0, 4)]).toEqual([0x80, 201, 0, 1]);
    expect(parse(buf)).toEqual({ ok: true, events: [{ kind: 'rr', ssrc: 7 }] });
  });

  it('appends a BYE for our SSRC as the last packet when asked', () => {
    const w = new RtcpWriter();
    const buf = w.writeCompound(0x5a2b3c4d, null, [BLOCK], 'bob@192.168.1.20', true);
    expect(buf.length).toBe(RR_SDES_FIXTURE.length + 8);
    expect(buf.subarray(0, RR_SDES_FIXTURE.length).equals(RR_SDES_FIXTURE)).toBe(true);
    expect(buf.subarray(RR_SDES_FIXTURE.length).toString('hex')).toBe('81cb00015a2b3c4d');
    expect(parse(buf).events.at(-1)).toEqual({ kind: 'bye', ssrc: 0x5a2b3c4d });
    // The next report without BYE is back to RR + SDES.
    expect(w.writeCompound(0x5a2b3c4d, null, [BLOCK], 'bob@192.168.1.20').equals(RR_SDES_FIXTURE)).toBe(true);
  });

  it('pads the SDES CNAME chunk to 32 bits with 1 to 4 null octets (lengths 0..8)', () => {
    // header 4 + SSRC 4 + type 1 + length 1 + text n + nulls: 2 + n + nulls ≡ 0 (mod 4), nulls ≥ 1
    const expectedSdesBytes = [12, 12, 16, 16, 16, 16, 20, 20, 20];
    const w = new RtcpWriter();
    // A long CNAME first, so stale bytes would show if the nulls were not written.
    w.writeCompound(1, null, [], 'z'.repeat(40));
    for (let n = 0; n <= 8; n++) {
      const cname = 'abcdefgh'.slice(0, n);
      const buf = w.writeCompound(1, null, [], cname);
      const sdes = buf.subarray(8);
      expect(sdes.length).toBe(expectedSdesBytes[n]);
      expect(buf.length % 4).toBe(0);
      expect(sdes.readUInt16BE(2)).toBe(sdes.length / 4 - 1);
      expect(sdes[0]).toBe(0x81);
      expect(sdes[1]).toBe(202);
      expect(sdes.readUInt32BE(4)).toBe(1);
      expect(sdes[8]).toBe(1); // CNAME
      expect(sdes[9]).toBe(n);
      expect(sdes.toString('latin1', 10, 10 + n)).toBe(cname);
      const nulls = sdes.subarray(10 + n);
      expect(nulls.length).toBeGreaterThanOrEqual(1);
      expect(nulls.length).toBeLessThanOrEqual(4);
      expect([...nulls].every((b) => b === 0)).toBe(true);
      expect(parse(buf).ok).toBe(true);
    }
  });

  it('re-encodes the CNAME when it changes (UTF-8) and caches it otherwise', () => {
    const w = new RtcpWriter();
    const a = Buffer.from(w.writeCompound(1, null, [], 'agent-ü'));
    expect(a[8 + 9]).toBe(8); // 'ü' is 2 bytes
    expect(w.writeCompound(1, null, [], 'b').subarray(18, 19).toString()).toBe('b');
    expect(w.writeCompound(1, null, [], 'agent-ü').equals(a)).toBe(true);
  });

  it('returns a view of one reused buffer', () => {
    const w = new RtcpWriter();
    const a = w.writeCompound(1, null, [], 'c');
    const b = w.writeCompound(2, null, [], 'c');
    expect(a.buffer).toBe(b.buffer);
    expect(a.readUInt32BE(4)).toBe(2); // overwritten: send before building the next
  });

  it('writes negative and out-of-range cumulative loss as signed 24-bit', () => {
    const w = new RtcpWriter();
    const blocks = [
      { ...BLOCK, cumulativeLost: -2 },
      { ...BLOCK, cumulativeLost: -10_000_000 },
      { ...BLOCK, cumulativeLost: 10_000_000 },
    ];
    const buf = w.writeCompound(1, null, blocks, 'c');
    expect(buf.readUInt32BE(8 + 4)).toBe(0x05fffffe);
    const lost = parse(buf).events.filter((e) => e.kind === 'block').map((e) => e.block.cumulativeLost);
    expect(lost).toEqual([-2, -0x800000, 0x7fffff]);
  });

  it('throws a typed error for bad arguments', () => {
    const w = new RtcpWriter();
    const codeOf = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(RtpError);
        return (e as RtpError).code;
      }
      return undefined;
    };
    expect(codeOf(() => w.writeCompound(1, null, [], 'a'.repeat(256)))).toBe('RTP_BAD_FIELD');
    expect(codeOf(() => w.writeCompound(1, null, [], 'é'.repeat(128)))).toBe('RTP_BAD_FIELD'); // 256 bytes
    expect(codeOf(() => w.writeCompound(1, null, new Array<ReportBlockFields>(32).fill(BLOCK), 'a'))).toBe('RTP_BAD_FIELD');
    expect(codeOf(() => w.writeCompound(1, null, [{ ...BLOCK, fractionLost: 256 }], 'a'))).toBe('RTP_BAD_FIELD');
    // The largest compound fits: SR, 31 blocks, 255-byte CNAME.
    const sender: SenderInfo = { ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 };
    const big = w.writeCompound(1, sender, new Array<ReportBlockFields>(31).fill(BLOCK), 'a'.repeat(255), true);
    expect(big.length).toBe(28 + 31 * 24 + 268 + 8);
    const { ok, events } = parse(big);
    expect(ok).toBe(true);
    expect(events.length).toBe(33);
  });

  it('carries what RtpReceiveStats reports', () => {
    const stats = new RtpReceiveStats();
    stats.reset(0xabc, 10);
    for (let seq = 10; seq <= 30; seq++) if (seq !== 20) stats.update(seq, seq * 160, seq * 20 + (seq % 3));
    stats.noteSenderReport(ntpMiddle32(0x12345678, 0x9abcdef0), 1000);
    const rb = createReportBlock();
    stats.takeReportBlock(1250, rb);
    const { ok, events } = parse(new RtcpWriter().writeCompound(0xdef, null, [rb], 'c'));
    expect(ok).toBe(true);
    expect(events[1]).toEqual({ kind: 'block', reporter: 0xdef, block: rb });
    expect(rb).toMatchObject({ ssrc: 0xabc, fractionLost: 12, cumulativeLost: 1, extendedHighestSeq: 30, lastSr: 0x56789abc, delaySinceLastSr: 16384 });
  });
});

describe('NTP helpers', () => {
  it('converts Unix milliseconds to NTP', () => {
    const t = { ntpSeconds: 0, ntpFraction: 0 };
    ntpFromUnixMs(0, t);
    expect(t).toEqual({ ntpSeconds: 2208988800, ntpFraction: 0 });
    ntpFromUnixMs(1500, t);
    expect(t).toEqual({ ntpSeconds: 2208988801, ntpFraction: 2 ** 31 });
    ntpFromUnixMs(1999.9999, t);
    expect(t.ntpSeconds).toBe(2208988801);
    expect(t.ntpFraction).toBeLessThanOrEqual(0xffffffff);
    // 2036-02-07T06:28:16Z: NTP era 1 starts, seconds wrap to 0.
    ntpFromUnixMs(Date.UTC(2036, 1, 7, 6, 28, 16), t);
    expect(t).toEqual({ ntpSeconds: 0, ntpFraction: 0 });
  });

  it('takes the middle 32 bits for LSR', () => {
    expect(ntpMiddle32(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
    expect(ntpMiddle32(0xffffffff, 0xffffffff)).toBe(0xffffffff);
  });
});

describe('parseRtcpCompound', () => {
  it('parses a captured RR + SDES', () => {
    expect(parse(RR_SDES_FIXTURE)).toEqual({
      ok: true,
      events: [
        { kind: 'rr', ssrc: 0x5a2b3c4d },
        { kind: 'block', reporter: 0x5a2b3c4d, block: BLOCK },
      ],
    });
  });

  it('rejects every truncation that does not end on a packet boundary, without throwing', () => {
    const sender: SenderInfo = { ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 };
    const full = Buffer.from(new RtcpWriter().writeCompound(9, sender, [BLOCK], 'hotline'));
    expect(parse(full).ok).toBe(true);
    for (let cut = 0; cut < full.length; cut++) {
      const { ok, events } = parse(full.subarray(0, cut));
      // Cut right after the SR, the SR alone is itself a valid compound (the parser cannot
      // know an SDES was meant to follow); every other cut is invalid and reports nothing.
      expect(ok, `cut at ${cut}`).toBe(cut === 52);
      expect(events.length, `cut at ${cut}`).toBe(cut === 52 ? 2 : 0);
    }
    const fixtureCuts = [];
    for (let cut = 0; cut < RR_SDES_FIXTURE.length; cut++) if (parse(RR_SDES_FIXTURE.subarray(0, cut)).ok) fixtureCuts.push(cut);
    expect(fixtureCuts).toEqual([32]);
  });

  it('rejects trailing garbage after the last packet', () => {
    expect(parse(Buffer.concat([RR_SDES_FIXTURE, Buffer.from([0x81, 0xca])])).ok).toBe(false);
    expect(parse(Buffer.concat([RR_SDES_FIXTURE, Buffer.alloc(4)])).ok).toBe(false); // version 0
  });

  it('rejects version 1, in the first packet or a later one', () => {
    const v1 = Buffer.from(RR_SDES_FIXTURE);
    v1[0] = 0x41;
    expect(parse(v1)).toEqual({ ok: false, events: [] });
    const later = Buffer.from(RR_SDES_FIXTURE);
    later[32] = 0x41;
    expect(parse(later)).toEqual({ ok: false, events: [] });
  });

  it('rejects a compound that does not start with SR or RR', () => {
    const sdesOnly = RR_SDES_FIXTURE.subarray(32);
    expect(parse(sdesOnly).ok).toBe(false);
    const bye = hex('81 cb 00 01 00 00 00 07');
    expect(parse(bye)).toEqual({ ok: false, events: [] });
    expect(parse(Buffer.alloc(0)).ok).toBe(false);
  });

  it('rejects an SR/RR/BYE whose count does not fit its length', () => {
    const rr = Buffer.from(RR_SDES_FIXTURE.subarray(0, 32));
    rr[0] = 0x82; // RC=2 with room for one block
    expect(parse(rr).ok).toBe(false);
    const bye = Buffer.concat([RR_SDES_FIXTURE, hex('83 cb 00 02 00 00 00 01 00 00 00 02')]); // SC=3, 2 SSRCs
    expect(parse(bye).ok).toBe(false);
  });

  it('reports BYE sources and skips SDES, APP and unknown packet types', () => {
    const buf = Buffer.concat([
      RR_SDES_FIXTURE,
      hex('81 cd 00 03  5a 2b 3c 4d  0e 1f 20 31  00 05 00 00'), // RTPFB generic NACK (RFC 4585)
      hex('80 cc 00 02  5a 2b 3c 4d  6e 61 6d 65'), // APP "name", no data
      hex('82 cb 00 03  5a 2b 3c 4d  00 00 00 63  03 62 79 65'), // BYE 2 SSRCs, reason "bye"
    ]);
    const { ok, events } = parse(buf);
    expect(ok).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['rr', 'block', 'bye', 'bye']);
    expect(events.slice(2)).toEqual([
      { kind: 'bye', ssrc: 0x5a2b3c4d },
      { kind: 'bye', ssrc: 0x63 },
    ]);
  });

  it('accepts padding on the last packet only', () => {
    // Lone RR with P=1: 8 bytes + 4 bytes of padding (last octet = 4), length 2 → 12 bytes.
    const padded = hex('a0 c9 00 02  00 00 00 07  00 00 00 04');
    expect(parse(padded)).toEqual({ ok: true, events: [{ kind: 'rr', ssrc: 7 }] });
    // RR + SDES with P on the SDES.
    const sdesPadded = Buffer.concat([RR_SDES_FIXTURE.subarray(0, 32), hex('a1 ca 00 03  5a 2b 3c 4d  01 01 61 00  00 00 00 04')]);
    expect(parse(sdesPadded).ok).toBe(true);
    // P on a packet that is not the last one (the same padded RR, then an SDES).
    expect(parse(Buffer.concat([padded, RR_SDES_FIXTURE.subarray(32)])).ok).toBe(false);
    // Padding count 0, or larger than the packet body.
    expect(parse(hex('a0 c9 00 02  00 00 00 07  00 00 00 00')).ok).toBe(false);
    expect(parse(hex('a0 c9 00 02  00 00 00 07  00 00 00 09')).ok).toBe(false);
    // Padding that eats into the report block RC=1 announces.
    const rr = Buffer.concat([RR_SDES_FIXTURE.subarray(0, 32), Buffer.alloc(4)]);
    rr[0] = 0xa1;
    rr.writeUInt16BE(8, 2);
    rr[35] = 8;
    expect(parse(rr).ok).toBe(false);
    rr[35] = 4;
    expect(parse(rr).ok).toBe(true);
  });

  it('never throws on arbitrary bytes or on a corrupted valid compound', () => {
    const visitor = new Recorder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const ok = parseRtcpCompound(Buffer.from(bytes), visitor);
        expect(typeof ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(RR_SDES_FIXTURE.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const buf = Buffer.from(RR_SDES_FIXTURE);
        buf[at] = value;
        expect(typeof parseRtcpCompound(buf, visitor)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
