/**
 * RTP fixed header (RFC 3550 §5.1), read and written in place over a Buffer.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  |                           timestamp                           |
 *  |           synchronization source (SSRC) identifier            |
 *  |            contributing source (CSRC) identifiers  (CC x 32)  |
 *  |  defined by profile (16)      |  extension length (32-bit words)  (if X)
 *  |  extension data ...                                             (if X)
 *  |  payload ...                          | padding ... | pad count (if P)
 *
 * Hot path: nothing here allocates. `readRtpHeader` fills a caller-owned object and every
 * length is checked before the byte is read (rtp.js reads first and checks later — not here).
 */

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_LENGTH = 12;
export const RTP_MAX_CSRC = 15;

/** Parsed header. Offsets are relative to the start of the buffer given to `readRtpHeader`. */
export interface RtpHeader {
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** RFC 3550 §5.3.1 "defined by profile" field; 0 when there is no extension. */
  extensionProfile: number;
  /** Offset of the extension data (after its 4-byte header); 0 when there is no extension. */
  extensionOffset: number;
  /** Extension data length in bytes (length field × 4). */
  extensionLength: number;
  /** Offset of the first payload byte (12 + 4·CC + extension). */
  payloadOffset: number;
  /** Payload length in bytes, padding excluded. */
  payloadLength: number;
  /** Padding bytes at the end, count byte included (RFC 3550 §5.1 P bit). */
  paddingLength: number;
}

/** A zeroed header object to reuse across `readRtpHeader` calls. */
export function createRtpHeader(): RtpHeader {
  return {
    padding: false,
    extension: false,
    csrcCount: 0,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    extensionProfile: 0,
    extensionOffset: 0,
    extensionLength: 0,
    payloadOffset: 0,
    payloadLength: 0,
    paddingLength: 0,
  };
}

/**
 * Parse the RTP header of the datagram in `buf` (the whole buffer is the datagram) into `out`.
 * Returns false — and leaves `out` in an unspecified state — for anything that is not a
 * well-formed RTP v2 packet: too short for its fixed header, CSRC list or extension, bad
 * padding count, wrong version, or an RTCP packet multiplexed on the same port
 * (RFC 5761 §4: packet types 200–204 appear as marker + PT 72–76).
 * Never throws.
 */
export function readRtpHeader(buf: Buffer, out: RtpHeader): boolean {
  const len = buf.length;
  if (len < RTP_FIXED_HEADER_LENGTH) return false;
  const b0 = buf[0]!;
  if (b0 >>> 6 !== RTP_VERSION) return false;
  const b1 = buf[1]!;
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return false; // RTCP (RFC 5761 §4)
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_LENGTH + csrcCount * 4;
  if (offset > len) return false;
  const extension = (b0 & 0x10) !== 0;
  let extensionProfile = 0;
  let extensionOffset = 0;
  let extensionLength = 0;
  if (extension) {
    // RFC 3550 §5.3.1: 16-bit profile + 16-bit length in 32-bit words, header word excluded.
    if (offset + 4 > len) return false;
    extensionProfile = buf.readUInt16BE(offset);
    extensionLength = buf.readUInt16BE(offset + 2) * 4;
    extensionOffset = offset + 4;
    offset = extensionOffset + extensionLength;
    if (offset > len) return false;
  }
  const padding = (b0 & 0x20) !== 0;
  let paddingLength = 0;
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
    if (offset >= len) return false;
    paddingLength = buf[len - 1]!;
    if (paddingLength === 0 || offset + paddingLength > len) return false;
  }
  out.padding = padding;
  out.extension = extension;
  out.csrcCount = csrcCount;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = payloadType;
  out.sequenceNumber = buf.readUInt16BE(2);
  out.timestamp = buf.readUInt32BE(4);
  out.ssrc = buf.readUInt32BE(8);
  out.extensionProfile = extensionProfile;
  out.extensionOffset = extensionOffset;
  out.extensionLength = extensionLength;
  out.payloadOffset = offset;
  out.payloadLength = len - offset - paddingLength;
  out.paddingLength = paddingLength;
  return true;
}

/** CSRC number `index` (0-based) of a header read from `buf`; caller checks index < csrcCount. */
export function readRtpCsrc(buf: Buffer, index: number): number {
  return buf.readUInt32BE(RTP_FIXED_HEADER_LENGTH + index * 4);
}

/** Zero-copy view of the payload of a header read from `buf`. */
export function rtpPayload(buf: Buffer, header: RtpHeader): Buffer {
  return buf.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
}

/** Fields for `writeRtpHeader`. No extension and no padding are written. */
export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Up to 15 contributing sources. */
  csrc?: ArrayLike<number>;
}

export type RtpErrorCode = 'RTP_BUFFER_TOO_SMALL' | 'RTP_BAD_FIELD';

export class RtpError extends Error {
  override readonly name = 'RtpError';
  constructor(
    readonly code: RtpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Header length for a given CSRC count (no extension). */
export function rtpHeaderLength(csrcCount: number): number {
  return RTP_FIXED_HEADER_LENGTH + csrcCount * 4;
}

/**
 * Write an RTP v2 header at `offset`; returns the offset of the payload.
 * Throws RtpError on a field out of range or a buffer too small (programming errors, not
 * network input). Sequence number and timestamp are taken modulo 2^16 / 2^32.
 */
export function writeRtpHeader(buf: Buffer, offset: number, fields: RtpHeaderFields): number {
  const csrc = fields.csrc;
  const cc = csrc === undefined ? 0 : csrc.length;
  if (cc > RTP_MAX_CSRC) throw new RtpError('RTP_BAD_FIELD', `too many CSRC: ${cc}`);
  const pt = fields.payloadType;
  if (!Number.isInteger(pt) || pt < 0 || pt > 127) {
    throw new RtpError('RTP_BAD_FIELD', `payload type out of range: ${pt}`);
  }
  const end = offset + rtpHeaderLength(cc);
  if (offset < 0 || end > buf.length) {
    throw new RtpError('RTP_BUFFER_TOO_SMALL', `need ${end} bytes, have ${buf.length}`);
  }
  buf[offset] = (RTP_VERSION << 6) | cc;
  buf[offset + 1] = (fields.marker ? 0x80 : 0) | pt;
  buf.writeUInt16BE(fields.sequenceNumber & 0xffff, offset + 2);
  buf.writeUInt32BE(fields.timestamp >>> 0, offset + 4);
  buf.writeUInt32BE(fields.ssrc >>> 0, offset + 8);
  for (let i = 0; i < cc; i++) buf.writeUInt32BE(csrc![i]! >>> 0, offset + 12 + i * 4);
  return end;
}
