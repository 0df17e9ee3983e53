import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RtpError,
  createRtpHeader,
  readRtpCsrc,
  readRtpHeader,
  rtpPayload,
  writeRtpHeader,
} from '../../../../src/media/rtp/packet.ts';

/** Hand-built packet: header bytes + payload. */
function packet(bytes: number[]): Buffer {
  return Buffer.from(bytes);
}

describe('readRtpHeader', () => {
  it('reads a plain G.711 packet', () => {
    const buf = Buffer.alloc(12 + 160, 0xd5);
    writeRtpHeader(buf, 0, { marker: true, payloadType: 8, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef });
    const h = createRtpHeader();
    expect(readRtpHeader(buf, h)).toBe(true);
    expect(h).toMatchObject({
      marker: true,
      payloadType: 8,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      csrcCount: 0,
      padding: false,
      extension: false,
      payloadOffset: 12,
      payloadLength: 160,
    });
    const p = rtpPayload(buf, h);
    expect(p.length).toBe(160);
    p[0] = 1; // a view, not a copy
    expect(buf[12]).toBe(1);
  });

  it('handles CSRC list, extension header and padding together', () => {
    const buf = packet([
      0xb2, 0x00, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3, // V=2 P X CC=2, PT 0
      0, 0, 0, 0x11, 0, 0, 0, 0x22, // CSRCs
      0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0, 0, // one-byte extension header, 1 word
      1, 2, 3, // payload
      0, 0, 3, // 3 bytes of padding
    ]);
    const h = createRtpHeader();
    expect(readRtpHeader(buf, h)).toBe(true);
    expect(h.csrcCount).toBe(2);
    expect(readRtpCsrc(buf, 1)).toBe(0x22);
    expect(h.extensionProfile).toBe(0xbede);
    expect(h.extensionOffset).toBe(24);
    expect(h.extensionLength).toBe(4);
    expect(h.payloadOffset).toBe(28);
    expect(h.paddingLength).toBe(3);
    expect([...rtpPayload(buf, h)]).toEqual([1, 2, 3]);
  });

  it.each([
    ['empty', []],
    ['11 bytes', [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['version 1', [0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['version 0 (STUN-like)', [0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0]],
    ['CSRC count beyond the end', [0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['extension header cut', [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde]],
    ['extension length beyond the end', [0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 2, 0, 0, 0, 0]],
    ['padding with no room for the count', [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['padding count zero', [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]],
    ['padding longer than the payload', [0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5]],
    ['RTCP sender report on the RTP port', [0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]],
  ])('rejects %s', (_name, bytes) => {
    expect(readRtpHeader(packet(bytes), createRtpHeader())).toBe(false);
  });

  it('accepts padding that fills the whole payload', () => {
    const h = createRtpHeader();
    expect(readRtpHeader(packet([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]), h)).toBe(true);
    expect(h.payloadLength).toBe(0);
  });

  it('random bytes never throw, and accepted packets have consistent offsets', () => {
    const h = createRtpHeader();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (bytes, forceV2) => {
        const buf = Buffer.from(bytes);
        if (forceV2 && buf.length > 0) buf[0] = (buf[0]! & 0x3f) | 0x80;
        if (readRtpHeader(buf, h)) {
          expect(h.payloadOffset).toBeGreaterThanOrEqual(12 + 4 * h.csrcCount);
          expect(h.payloadOffset + h.payloadLength + h.paddingLength).toBe(buf.length);
          expect(h.payloadLength).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('truncated packets are rejected before any byte past the end is read', () => {
    const full = packet([0xb1, 0x65, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 9, 0x10, 0, 0, 1, 7, 7, 7, 7, 1, 2, 0, 2]);
    const h = createRtpHeader();
    expect(readRtpHeader(full, h)).toBe(true);
    expect(h.payloadOffset).toBe(24);
    // Shorter than header + CSRC + extension: rejected. Longer cuts are indistinguishable from a
    // different padding count (the last byte moved), so they only need to parse consistently.
    for (let n = 0; n < full.length; n++) {
      const ok = readRtpHeader(full.subarray(0, n), h);
      if (n <= 24) expect(ok).toBe(false);
      else if (ok) expect(h.payloadOffset + h.payloadLength + h.paddingLength).toBe(n);
    }
  });
});

describe('writeRtpHeader', () => {
  it('round-trips any field values', () => {
    const h = createRtpHeader();
    fc.assert(
      fc.property(
        fc.record({
          marker: fc.boolean(),
          payloadType: fc.integer({ min: 0, max: 127 }).filter((pt) => pt < 72 || pt > 76),
          sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
          timestamp: fc.integer({ min: 0, max: 0xffffffff }),
          ssrc: fc.integer({ min: 0, max: 0xffffffff }),
          csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
        }),
        fc.integer({ min: 0, max: 8 }),
        (fields, offset) => {
          const buf = Buffer.alloc(offset + 12 + 60 + 10);
          const payloadAt = writeRtpHeader(buf, offset, fields);
          expect(payloadAt).toBe(offset + 12 + 4 * fields.csrc.length);
          const pkt = buf.subarray(offset);
          expect(readRtpHeader(pkt, h)).toBe(true);
          expect(h).toMatchObject({
            marker: fields.marker,
            payloadType: fields.payloadType,
            sequenceNumber: fields.sequenceNumber,
            timestamp: fields.timestamp,
            ssrc: fields.ssrc,
            csrcCount: fields.csrc.length,
            payloadOffset: payloadAt - offset,
          });
          fields.csrc.forEach((c, i) => expect(readRtpCsrc(pkt, i)).toBe(c));
        },
      ),
    );
  });

  it('refuses a buffer too small or a bad payload type with a coded error', () => {
    const f = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    expect(() => writeRtpHeader(Buffer.alloc(11), 0, f)).toThrow(expect.objectContaining({ code: 'RTP_BUFFER_TOO_SMALL' }));
    expect(() => writeRtpHeader(Buffer.alloc(12), 0, { ...f, payloadType: 128 })).toThrow(RtpError);
  });
});
