/**
 * RTCP (RFC 3550 §6): the compound packets an RTP leg sends — SR or RR, then SDES CNAME
 * (§6.1) — and a validating walker for the compound packets it receives.
 *
 * Sender report (§6.4.1); a receiver report (§6.4.2) is the same without the sender info:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|    RC   |   PT=SR=200   |             length            |
 *  |                         SSRC of sender                        |
 *  |              NTP timestamp, most significant word             |  sender
 *  |             NTP timestamp, least significant word             |  info
 *  |                         RTP timestamp                         |  (SR
 *  |                     sender's packet count                     |  only)
 *  |                      sender's octet count                     |
 *  |                 SSRC_1 (SSRC of first source)                 |  report
 *  | fraction lost |       cumulative number of packets lost       |  block
 *  |           extended highest sequence number received           |  × RC
 *  |                      interarrival jitter                      |
 *  |                         last SR (LSR)                         |
 *  |                   delay since last SR (DLSR)                  |
 *
 * SDES (§6.5): header with SC = chunk count, PT=202; each chunk is an SSRC followed by items
 * (type, length, text) and one to four null octets up to the next 32-bit boundary.
 * BYE (§6.6): header with SC, PT=203, SC SSRCs, optional reason.
 * `length` is always the packet length in 32-bit words minus one, padding included.
 *
 * Hot path: the writer reuses one Buffer; the parser allocates nothing and reports through a
 * visitor object, and it reads no byte before checking that the byte is there.
 */
import { RtpError } from './packet.ts';

export const RTCP_VERSION = 2;
export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const SDES_CNAME = 1;
/** RC is a 5-bit field. */
export const RTCP_MAX_REPORT_BLOCKS = 31;
export const RTCP_REPORT_BLOCK_LENGTH = 24;
export const RTCP_MAX_CNAME_BYTES = 255;
/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_SECONDS = 2208988800;

const SR_HEADER_LENGTH = 28; // header + SSRC + 20 bytes of sender info
const RR_HEADER_LENGTH = 8; // header + SSRC
const BYE_LENGTH = 8; // header + our SSRC, no reason
/** Largest compound the writer can produce: SR with 31 blocks, SDES with a 255-byte CNAME, BYE. */
export const RTCP_WRITER_BUFFER_SIZE =
  SR_HEADER_LENGTH + RTCP_MAX_REPORT_BLOCKS * RTCP_REPORT_BLOCK_LENGTH + sdesLength(RTCP_MAX_CNAME_BYTES) + BYE_LENGTH;

/** One reception report block (§6.4.1). */
export interface ReportBlockFields {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, fixed point /256 (0–255). */
  fractionLost: number;
  /** Signed 24-bit: negative when duplicates outnumber losses. Clamped when written. */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR from that source; 0 if none. */
  lastSr: number;
  /** Delay since that SR was received, in units of 1/65536 s; 0 if none. */
  delaySinceLastSr: number;
}

/** A zeroed report block to reuse. */
export function createReportBlock(): ReportBlockFields {
  return { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 };
}

/** 64-bit NTP timestamp as two unsigned 32-bit words. */
export interface NtpTimestamp {
  ntpSeconds: number;
  ntpFraction: number;
}

/** Sender info of an SR (§6.4.1). `ntpFromUnixMs` can fill its first two fields in place. */
export interface SenderInfo extends NtpTimestamp {
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/**
 * Unix time in milliseconds (fractions allowed) → NTP timestamp, written into `out`.
 * Seconds are taken modulo 2^32 (NTP era 1 starts in February 2036, RFC 5905 §6).
 */
export function ntpFromUnixMs(ms: number, out: NtpTimestamp): void {
  const seconds = Math.floor(ms / 1000);
  const remMs = ms - seconds * 1000;
  out.ntpSeconds = (seconds + NTP_UNIX_OFFSET_SECONDS) % 0x1_0000_0000;
  const fraction = Math.floor(remMs * 4294967.296); // 2^32 / 1000
  out.ntpFraction = fraction > 0xffffffff ? 0xffffffff : fraction;
}

/** The middle 32 bits of an NTP timestamp: the LSR field of a report block (§6.4.1). */
export function ntpMiddle32(ntpSeconds: number, ntpFraction: number): number {
  return (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
}

/** Bytes of an SDES packet with one chunk holding one CNAME item of `cnameBytes` bytes. */
function sdesLength(cnameBytes: number): number {
  const items = 2 + cnameBytes; // type + length + text
  return 8 + items + (4 - (items % 4)); // header + SSRC + items + 1..4 null octets
}

/**
 * Builds SR/RR + SDES CNAME compound packets into one buffer it owns. The returned Buffer is
 * a view of that buffer, valid until the next `writeCompound`: send it before building the next.
 */
export class RtcpWriter {
  readonly #buf = Buffer.alloc(RTCP_WRITER_BUFFER_SIZE);
  readonly #cnameBytes = Buffer.alloc(RTCP_MAX_CNAME_BYTES);
  #cname: string | undefined;
  #cnameLength = 0;

  /**
   * SR (PT 200) when `sender` is given, else RR (PT 201), with one report block per entry of
   * `blocks`, followed by an SDES with `cname`, and with `bye` a BYE for `ssrc` (no reason)
   * as the last packet (§6.6). Throws RtpError RTP_BAD_FIELD for more than 31 blocks, a CNAME
   * over 255 bytes of UTF-8 or a fraction lost outside 0–255.
   */
  writeCompound(
    ssrc: number,
    sender: SenderInfo | null,
    blocks: readonly ReportBlockFields[],
    cname: string,
    bye = false,
  ): Buffer {
    const count = blocks.length;
    if (count > RTCP_MAX_REPORT_BLOCKS) {
      throw new RtpError('RTP_BAD_FIELD', `too many RTCP report blocks: ${count} (max ${RTCP_MAX_REPORT_BLOCKS})`);
    }
    if (cname !== this.#cname) this.#setCname(cname);
    const buf = this.#buf;
    ssrc >>>= 0;

    // SR / RR.
    const headerLength = sender === null ? RR_HEADER_LENGTH : SR_HEADER_LENGTH;
    const reportLength = headerLength + count * RTCP_REPORT_BLOCK_LENGTH;
    buf[0] = (RTCP_VERSION << 6) | count;
    buf[1] = sender === null ? RTCP_RR : RTCP_SR;
    buf.writeUInt16BE(reportLength / 4 - 1, 2);
    buf.writeUInt32BE(ssrc, 4);
    if (sender !== null) {
      buf.writeUInt32BE(sender.ntpSeconds >>> 0, 8);
      buf.writeUInt32BE(sender.ntpFraction >>> 0, 12);
      buf.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
      buf.writeUInt32BE(sender.packetCount >>> 0, 20);
      buf.writeUInt32BE(sender.octetCount >>> 0, 24);
    }
    let off = headerLength;
    for (let i = 0; i < count; i++) {
      writeReportBlock(buf, off, blocks[i]!);
      off += RTCP_REPORT_BLOCK_LENGTH;
    }

    // SDES with one chunk: our SSRC, CNAME item, null octets to the 32-bit boundary.
    const n = this.#cnameLength;
    const sdes = sdesLength(n);
    buf[off] = (RTCP_VERSION << 6) | 1;
    buf[off + 1] = RTCP_SDES;
    buf.writeUInt16BE(sdes / 4 - 1, off + 2);
    buf.writeUInt32BE(ssrc, off + 4);
    buf[off + 8] = SDES_CNAME;
    buf[off + 9] = n;
    this.#cnameBytes.copy(buf, off + 10, 0, n);
    let end = off + sdes;
    buf.fill(0, off + 10 + n, end);

    if (bye) {
      buf[end] = (RTCP_VERSION << 6) | 1;
      buf[end + 1] = RTCP_BYE;
      buf.writeUInt16BE(BYE_LENGTH / 4 - 1, end + 2);
      buf.writeUInt32BE(ssrc, end + 4);
      end += BYE_LENGTH;
    }
    return buf.subarray(0, end);
  }

  #setCname(cname: string): void {
    const n = Buffer.byteLength(cname, 'utf8');
    if (n > RTCP_MAX_CNAME_BYTES) {
      throw new RtpError('RTP_BAD_FIELD', `RTCP CNAME is ${n} bytes of UTF-8, at most ${RTCP_MAX_CNAME_BYTES} fit`);
    }
    this.#cnameBytes.write(cname, 0, n, 'utf8');
    this.#cnameLength = n;
    this.#cname = cname;
  }
}

function writeReportBlock(buf: Buffer, off: number, b: ReportBlockFields): void {
  const fraction = b.fractionLost;
  if (!Number.isInteger(fraction) || fraction < 0 || fraction > 255) {
    throw new RtpError('RTP_BAD_FIELD', `fraction lost out of range: ${fraction}`);
  }
  let lost = Math.trunc(b.cumulativeLost);
  if (lost > 0x7fffff) lost = 0x7fffff;
  else if (lost < -0x800000) lost = -0x800000;
  buf.writeUInt32BE(b.ssrc >>> 0, off);
  buf.writeUInt32BE(((fraction << 24) | (lost & 0xffffff)) >>> 0, off + 4);
  buf.writeUInt32BE(b.extendedHighestSeq >>> 0, off + 8);
  buf.writeUInt32BE(b.jitter >>> 0, off + 12);
  buf.writeUInt32BE(b.lastSr >>> 0, off + 16);
  buf.writeUInt32BE(b.delaySinceLastSr >>> 0, off + 20);
}

/**
 * What `parseRtcpCompound` reports. Implement it once per leg (a class with methods), not as
 * closures built per packet. The `block` object is reused between calls: copy what you keep.
 */
export interface RtcpVisitor {
  senderReport(
    ssrc: number,
    ntpSeconds: number,
    ntpFraction: number,
    rtpTimestamp: number,
    packetCount: number,
    octetCount: number,
  ): void;
  /** An RR from `ssrc` (its blocks follow through `reportBlock`). Optional. */
  receiverReport?(ssrc: number): void;
  /** One report block of the SR or RR sent by `reporterSsrc`. */
  reportBlock(reporterSsrc: number, block: ReportBlockFields): void;
  /** One SSRC of a BYE packet. */
  bye(ssrc: number): void;
}

const scratchBlock = createReportBlock();

/**
 * Walk a compound RTCP packet (the whole buffer is one UDP datagram). It is first checked as
 * a whole (RFC 3550 §6.1, A.2): every packet version 2, the first one SR or RR, each packet's
 * length inside the buffer and the lengths adding up to exactly the buffer length, padding
 * only on the last packet with a count that fits, SR/RR/BYE long enough for their counts.
 * An invalid compound returns false and the visitor is not called at all; a valid one is
 * reported packet by packet (SR, RR, report blocks, BYE; SDES, APP and unknown types
 * skipped) and returns true. Never throws.
 */
export function parseRtcpCompound(buf: Buffer, visitor: RtcpVisitor): boolean {
  if (!validateCompound(buf)) return false;
  const len = buf.length;
  let off = 0;
  while (off < len) {
    const b0 = buf[off]!;
    const pt = buf[off + 1]!;
    const count = b0 & 0x1f;
    const end = off + (buf.readUInt16BE(off + 2) + 1) * 4;
    if (pt === RTCP_SR || pt === RTCP_RR) {
      const ssrc = buf.readUInt32BE(off + 4);
      let p: number;
      if (pt === RTCP_SR) {
        visitor.senderReport(
          ssrc,
          buf.readUInt32BE(off + 8),
          buf.readUInt32BE(off + 12),
          buf.readUInt32BE(off + 16),
          buf.readUInt32BE(off + 20),
          buf.readUInt32BE(off + 24),
        );
        p = off + SR_HEADER_LENGTH;
      } else {
        visitor.receiverReport?.(ssrc);
        p = off + RR_HEADER_LENGTH;
      }
      for (let i = 0; i < count; i++, p += RTCP_REPORT_BLOCK_LENGTH) {
        const lostWord = buf.readUInt32BE(p + 4);
        scratchBlock.ssrc = buf.readUInt32BE(p);
        scratchBlock.fractionLost = lostWord >>> 24;
        scratchBlock.cumulativeLost = (lostWord << 8) >> 8; // sign-extend 24 bits
        scratchBlock.extendedHighestSeq = buf.readUInt32BE(p + 8);
        scratchBlock.jitter = buf.readUInt32BE(p + 12);
        scratchBlock.lastSr = buf.readUInt32BE(p + 16);
        scratchBlock.delaySinceLastSr = buf.readUInt32BE(p + 20);
        visitor.reportBlock(ssrc, scratchBlock);
      }
    } else if (pt === RTCP_BYE) {
      for (let i = 0; i < count; i++) visitor.bye(buf.readUInt32BE(off + 4 + i * 4));
    }
    off = end;
  }
  return true;
}

/** Structural checks of the whole compound; reads nothing it has not bounds-checked. */
function validateCompound(buf: Buffer): boolean {
  const len = buf.length;
  if (len < 4) return false;
  const firstPt = buf[1]!;
  if (firstPt !== RTCP_SR && firstPt !== RTCP_RR) return false;
  let off = 0;
  while (off < len) {
    if (off + 4 > len) return false;
    const b0 = buf[off]!;
    if (b0 >>> 6 !== RTCP_VERSION) return false;
    const end = off + (buf.readUInt16BE(off + 2) + 1) * 4;
    if (end > len) return false;
    let contentEnd = end;
    if ((b0 & 0x20) !== 0) {
      // §6.4.1: padding only on the last packet; its last octet counts the padding octets.
      if (end !== len) return false;
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > end - off - 4) return false;
      contentEnd = end - pad;
    }
    const count = b0 & 0x1f;
    const pt = buf[off + 1]!;
    let need = 4;
    if (pt === RTCP_SR) need = SR_HEADER_LENGTH + count * RTCP_REPORT_BLOCK_LENGTH;
    else if (pt === RTCP_RR) need = RR_HEADER_LENGTH + count * RTCP_REPORT_BLOCK_LENGTH;
    else if (pt === RTCP_BYE) need = 4 + count * 4;
    if (off + need > contentEnd) return false;
    off = end;
  }
  return true;
}
