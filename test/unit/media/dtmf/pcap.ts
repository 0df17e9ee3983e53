/**
 * Minimal libpcap reader for test captures: global header, per-record headers,
 * Ethernet (optionally one 802.1Q tag) → IPv4 → UDP → payload, as views into the file buffer.
 */

export interface UdpDatagram {
  /** Capture time, seconds (float). */
  time: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;

export function readPcapUdp(file: Buffer): UdpDatagram[] {
  if (file.length < 24) throw new Error('pcap: shorter than the global header');
  const magic = file.readUInt32LE(0);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xd4c3b2a1) le = false;
  else if (magic === 0xa1b23c4d) {
    le = true;
    nanos = true;
  } else if (magic === 0x4d3cb2a1) {
    le = false;
    nanos = true;
  } else throw new Error(`pcap: bad magic 0x${magic.toString(16)}`);
  const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  if (linkType !== LINKTYPE_ETHERNET) throw new Error(`pcap: link type ${linkType}, want Ethernet (1)`);
  const out: UdpDatagram[] = [];
  let o = 24;
  while (o < file.length) {
    if (o + 16 > file.length) throw new Error(`pcap: truncated record header at ${o}`);
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    o += 16;
    if (o + incl > file.length) throw new Error(`pcap: truncated record at ${o}`);
    const frame = file.subarray(o, o + incl);
    o += incl;
    const d = parseEthernetUdp(frame);
    if (d !== null) out.push({ time: sec + frac / (nanos ? 1e9 : 1e6), ...d });
  }
  return out;
}

function parseEthernetUdp(f: Buffer): Omit<UdpDatagram, 'time'> | null {
  let off = 12;
  if (f.length < off + 2) return null;
  let etherType = f.readUInt16BE(off);
  off += 2;
  if (etherType === 0x8100) {
    if (f.length < off + 4) return null;
    etherType = f.readUInt16BE(off + 2);
    off += 4;
  }
  if (etherType !== 0x0800) return null;
  if (f.length < off + 20) return null;
  const vihl = f[off]!;
  if (vihl >> 4 !== 4) return null;
  const ihl = (vihl & 0x0f) * 4;
  const totalLen = f.readUInt16BE(off + 2);
  const fragment = f.readUInt16BE(off + 6) & 0x3fff; // MF flag or offset
  if (f[off + 9] !== 17 || fragment !== 0 || ihl < 20) return null;
  if (f.length < off + totalLen || totalLen < ihl + 8) return null;
  const udp = off + ihl;
  const udpLen = f.readUInt16BE(udp + 4);
  if (udpLen < 8 || udp + udpLen > off + totalLen) return null;
  return {
    srcPort: f.readUInt16BE(udp),
    dstPort: f.readUInt16BE(udp + 2),
    payload: f.subarray(udp + 8, udp + udpLen),
  };
}
