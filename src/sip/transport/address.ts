/**
 * IP literal helpers shared by the transports. Addresses are keys in
 * connection maps, so "::1", "[::1]" and "0:0:0:0:0:0:0:1" must be one key.
 */
import { isIP } from 'node:net';

/** 4, 6, or 0 when not an IP literal. Accepts IPv6 in brackets. */
export function ipFamily(address: string): 0 | 4 | 6 {
  return isIP(stripBrackets(address)) as 0 | 4 | 6;
}

function stripBrackets(address: string): string {
  return address.length > 1 && address.charCodeAt(0) === 0x5b /* [ */ && address.charCodeAt(address.length - 1) === 0x5d /* ] */
    ? address.slice(1, -1)
    : address;
}

const V4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * The canonical text of an IP literal: brackets removed, IPv6 compressed and
 * lower-cased (RFC 5952, which is how Node reports socket addresses), and an
 * IPv4-mapped IPv6 address reduced to its IPv4 form. Returns undefined for a
 * non-literal. IPv4 text is returned as given: isIP only accepts dotted quads.
 */
export function canonicalIp(address: string): string | undefined {
  const bare = stripBrackets(address);
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return undefined;
  // Fast path: what sockets report is already canonical, except mapped IPv4.
  const mapped = V4_MAPPED.exec(bare);
  if (mapped) return mapped[1];
  // A zone index (fe80::1%eth0) is not valid in a URL; keep such addresses as written.
  if (bare.includes('%')) return bare.toLowerCase();
  // WHATWG URL serializes IPv6 hosts in RFC 5952 form.
  const host = new URL(`http://[${bare}]/`).hostname;
  const canonical = host.slice(1, -1);
  const v4 = V4_MAPPED.exec(canonical);
  return v4 ? v4[1] : canonical;
}

/** The connection-registry key of a remote endpoint (canonical address + port). */
export function endpointKey(canonicalAddress: string, port: number): string {
  return `${canonicalAddress}:${port}`;
}
