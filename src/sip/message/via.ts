/**
 * Via (RFC 3261 §20.42, §25.1):
 *
 *   Via           = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]        SLASH/COLON = SWS "/"|":" SWS
 *
 * A via-parm is read where it stands and reading stops at the COMMA that
 * ends it, so the top Via of a line costs no list splitting. received may
 * hold an IPv6 address with or without brackets (RFC 5118 §4.4, §4.5); both
 * are accepted and kept as written.
 */
import { isWs, skipWs, trimEnd } from './chars.ts';
import { SipParseError } from './errors.ts';
import { scanHost } from './host.ts';
import { readParams, tokenEnd } from './scan.ts';
import type { Via } from './types.ts';

function bad(detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad Via header', detail, header: 'via' });
}

/** Where the last via-parm read stopped: the end, or the COMMA before the next one. */
let stopped = 0;

function token(s: string, i: number, end: number, what: string): number {
  const e = tokenEnd(s, i, end);
  if (e === i) throw bad(`missing ${what}`);
  return e;
}

function slash(s: string, i: number, end: number): number {
  i = skipWs(s, i);
  if (i >= end || s.charCodeAt(i) !== 0x2f) throw bad("expected '/' in sent-protocol");
  return skipWs(s, i + 1);
}

/** "SIP/2.0/" at s[i], compared in place. */
function isSip20(s: string, i: number): boolean {
  return (
    s.charCodeAt(i) === 0x53 && s.charCodeAt(i + 1) === 0x49 && s.charCodeAt(i + 2) === 0x50 && s.charCodeAt(i + 3) === 0x2f &&
    s.charCodeAt(i + 4) === 0x32 && s.charCodeAt(i + 5) === 0x2e && s.charCodeAt(i + 6) === 0x30 && s.charCodeAt(i + 7) === 0x2f
  );
}

/** The usual transports as interned upper-case strings: no allocation for them. */
function transportOf(s: string, from: number, to: number): string {
  const c0 = s.charCodeAt(from);
  const c1 = s.charCodeAt(from + 1);
  const c2 = s.charCodeAt(from + 2);
  if (to - from === 3) {
    if (c0 === 0x55 && c1 === 0x44 && c2 === 0x50) return 'UDP';
    if (c0 === 0x54 && c1 === 0x43 && c2 === 0x50) return 'TCP';
    if (c0 === 0x54 && c1 === 0x4c && c2 === 0x53) return 'TLS';
    if (c0 === 0x57 && c1 === 0x53 && c2 === 0x53) return 'WSS';
  } else if (to - from === 2 && c0 === 0x57 && c1 === 0x53) {
    return 'WS';
  }
  return s.slice(from, to).toUpperCase();
}

/** One via-parm from s[i], up to end or a COMMA (then `stopped` is its index). */
function readVia(s: string, i: number, end: number): Via {
  i = skipWs(s, i);
  let protocol: string;
  if (isSip20(s, i)) {
    // The form every element sends; the general path handles LWS around "/" and other versions.
    protocol = 'SIP/2.0';
    i += 8;
  } else {
    const nameEnd = token(s, i, end, 'protocol name');
    const name = s.slice(i, nameEnd);
    i = slash(s, nameEnd, end);
    const versionEnd = token(s, i, end, 'protocol version');
    const version = s.slice(i, versionEnd);
    i = slash(s, versionEnd, end);
    protocol = name === 'SIP' && version === '2.0' ? 'SIP/2.0' : `${name.toUpperCase()}/${version}`;
  }
  const transportEnd = token(s, i, end, 'transport');
  const transport = transportOf(s, i, transportEnd);
  i = transportEnd;
  if (i >= end || !isWs(s.charCodeAt(i))) throw bad('expected whitespace before sent-by');
  i = skipWs(s, i);
  const hostEnd = scanHost(s, i, end);
  if (hostEnd < 0) throw bad('bad sent-by host');
  const host = s.slice(i, hostEnd);
  i = skipWs(s, hostEnd);
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    let to = skipWs(s, i + 1);
    const from = to;
    let p = 0;
    while (to < end) {
      const c = s.charCodeAt(to);
      if (c < 0x30 || c > 0x39) break;
      p = p * 10 + (c - 0x30);
      to++;
    }
    if (to === from || to - from > 5 || p > 65535) throw bad('bad sent-by port');
    port = p;
    i = to;
  }
  const params = new Map<string, string | null>();
  const stop = readParams(s, i, end, params);
  if (stop < 0) throw bad('malformed parameter');
  if (stop !== end && s.charCodeAt(stop) !== 0x2c) throw bad('unexpected text after sent-by');
  stopped = stop;
  return { protocol, transport, host, port, params };
}

/** Parse one via-parm; a COMMA after it is an error here. */
export function parseVia(value: string): Via {
  const end = trimEnd(value, 0, value.length);
  const via = readVia(value, 0, end);
  if (stopped !== end) throw bad('unexpected text after sent-by');
  return via;
}

/** Every via-parm of every Via line, top first. An empty element (",,") is an error (RFC 4475 §3.1.2.1). */
export function parseViaList(lines: readonly string[]): Via[] {
  const out: Via[] = [];
  for (const line of lines) {
    const end = trimEnd(line, 0, line.length);
    let i = 0;
    while (true) {
      if (skipWs(line, i) >= end) throw bad('empty Via value');
      out.push(readVia(line, i, end));
      if (stopped === end) break;
      i = stopped + 1; // past the COMMA
    }
  }
  return out;
}

/** The first via-parm of a Via line; the rest of the line is not read. */
export function parseTopVia(line: string): Via {
  const end = trimEnd(line, 0, line.length);
  if (skipWs(line, 0) >= end) throw bad('empty Via value');
  return readVia(line, 0, end);
}

/** The text form of a Via value. */
export function formatVia(via: Via): string {
  const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
  let out = `${via.protocol}/${via.transport} ${host}`;
  if (via.port !== undefined) out += `:${via.port}`;
  for (const [name, value] of via.params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
