/**
 * host / port grammar shared by URIs (RFC 3261 §19.1.1) and Via sent-by
 * (§20.42): hostname, IPv4address and IPv6reference. IPv6 follows the
 * corrected ABNF (RFC 5954, RFC 3986 §3.2.2): "2001:db8:::1" is rejected,
 * "::ffff:192.0.2.1" accepted — with the one tolerance RFC 5118 §4.10 asks
 * for: ":::" directly before an embedded IPv4 address (the form RFC 3261's
 * original ABNF could produce) is read as "::".
 */
import { charClass, hexValue, HOSTNAME, isAlpha, isDigit } from './chars.ts';

/** dec-octet "." dec-octet "." dec-octet "." dec-octet; 1–3 digits each, ≤ 255. */
export function isIPv4(s: string, from = 0, to = s.length): boolean {
  let parts = 0;
  let i = from;
  while (true) {
    let value = 0;
    let digits = 0;
    while (i < to && isDigit(s.charCodeAt(i))) {
      value = value * 10 + (s.charCodeAt(i) - 0x30);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || value > 255) return false;
    parts++;
    if (i === to) return parts === 4;
    if (s.charCodeAt(i) !== 0x2e || parts === 4) return false;
    i++;
  }
}

/** IPv6address of RFC 4291 §2.2 (no brackets, no zone). */
export function isIPv6(s: string, from = 0, to = s.length): boolean {
  let i = from;
  let groups = 0;
  let compressed = false;
  if (to - from < 2) return false;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    compressed = true;
    i += 2;
    if (i === to) return true;
  }
  while (true) {
    const pieceStart = i;
    let digits = 0;
    while (i < to && hexValue(s.charCodeAt(i)) >= 0) {
      digits++;
      i++;
    }
    if (i < to && s.charCodeAt(i) === 0x2e) {
      // An embedded IPv4 address ends the address and counts for two groups.
      if (!isIPv4(s, pieceStart, to)) return false;
      groups += 2;
      break;
    }
    if (digits === 0 || digits > 4) return false;
    groups++;
    if (i === to) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < to && s.charCodeAt(i) === 0x3a) {
      if (compressed) return false; // a second "::"
      compressed = true;
      i++;
      if (i === to) break;
      // RFC 5118 §4.10: tolerate "hexseq ':::' IPv4address".
      if (s.charCodeAt(i) === 0x3a) {
        const tail = i + 1;
        let dot = tail;
        while (dot < to && s.charCodeAt(dot) !== 0x3a && s.charCodeAt(dot) !== 0x2e) dot++;
        if (dot < to && s.charCodeAt(dot) === 0x2e && isIPv4(s, tail, to)) {
          i = tail;
          continue;
        }
        return false; // ":::" anywhere else
      }
    } else if (i === to) {
      return false; // trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** hostname = *( domainlabel "." ) toplabel [ "." ]. Underscores are tolerated: real networks use them. */
export function isHostname(s: string, from = 0, to = s.length): boolean {
  if (to > from && s.charCodeAt(to - 1) === 0x2e) to--; // fully qualified trailing dot
  if (to <= from) return false;
  let labelStart = from;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (i === labelStart) return false;
      if (s.charCodeAt(labelStart) === 0x2d || s.charCodeAt(i - 1) === 0x2d) return false;
      labelStart = i + 1;
    } else if ((charClass(c) & HOSTNAME) === 0) {
      return false;
    }
  }
  // toplabel starts with ALPHA: keeps "192.0.2.300" from passing as a name.
  let top = to - 1;
  while (top > from && s.charCodeAt(top - 1) !== 0x2e) top--;
  return isAlpha(s.charCodeAt(top)) || s.charCodeAt(top) === 0x5f;
}

/** host = hostname / IPv4address / IPv6reference ("[" IPv6address "]"). */
export function isHost(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  if (s.charCodeAt(from) === 0x5b) return to - from > 2 && s.charCodeAt(to - 1) === 0x5d && isIPv6(s, from + 1, to - 1);
  if (isDigit(s.charCodeAt(to - 1)) && isIPv4(s, from, to)) return true;
  return isHostname(s, from, to);
}

/** port = 1*DIGIT, 0–65535; -1 when invalid. */
export function parsePort(s: string, from: number, to: number): number {
  if (to <= from || to - from > 5) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value <= 65535 ? value : -1;
}

/**
 * End of the host starting at s[from] — IPv6reference when s[from] is '[',
 * else hostname or IPv4address — found and validated in one pass; -1 when
 * no valid host is there. The caller judges the character that follows.
 */
export function scanHost(s: string, from: number, end: number): number {
  if (s.charCodeAt(from) === 0x5b) {
    const close = s.indexOf(']', from);
    return close > from && close < end && isIPv6(s, from + 1, close) ? close + 1 : -1;
  }
  let i = from;
  let labelStart = from;
  let lastLabelFirst = 0;
  // IPv4 is checked on the way: octet value and digit count per dotted part.
  // (A bad octet only matters if every label is numeric: "300.example" is a name.)
  let numeric = true;
  let octetsOk = true;
  let parts = 0;
  let octet = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (i === labelStart || s.charCodeAt(i - 1) === 0x2d) return -1;
      if (i - labelStart > 3 || octet > 255) octetsOk = false;
      parts++;
      octet = 0;
      labelStart = i + 1;
      continue;
    }
    if ((charClass(c) & HOSTNAME) === 0) break;
    if (i === labelStart) {
      if (c === 0x2d) return -1;
      lastLabelFirst = c;
    }
    if (numeric) {
      if (isDigit(c)) octet = octet * 10 + (c - 0x30);
      else numeric = false;
    }
  }
  if (i === from || s.charCodeAt(i - 1) === 0x2d) return -1;
  // All digits and dots: an IPv4address — four parts of 1-3 digits, each <= 255, no trailing dot.
  if (numeric) return octetsOk && parts === 3 && labelStart < i && i - labelStart <= 3 && octet <= 255 ? i : -1;
  // toplabel starts with ALPHA (RFC 3261 §25.1); '_' tolerated as in isHostname.
  return isAlpha(lastLabelFirst) || lastLabelFirst === 0x5f ? i : -1;
}
