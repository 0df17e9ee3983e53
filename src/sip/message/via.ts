/**
 * Via (RFC 3261 §20.42, §25.1):
 *
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]        SLASH/COLON = SWS "/"|":" SWS
 *
 * received may hold an IPv6 address with or without brackets (RFC 5118 §4.4,
 * §4.5); both are accepted and kept as written.
 */
import { isWs, skipWs, trimEnd } from './chars.ts';
import { SipParseError } from './errors.ts';
import { isHost, parsePort } from './host.ts';
import { readParams, splitList, tokenEnd } from './scan.ts';
import type { Via } from './types.ts';

function bad(detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad Via header', detail, header: 'via' });
}

/** End of the last token read (module state: no tuple allocated per token). */
let at = 0;
function token(s: string, i: number, end: number, what: string): string {
  const e = tokenEnd(s, i, end);
  if (e === i) throw bad(`missing ${what}`);
  at = e;
  return s.slice(i, e);
}

function slash(s: string, i: number, end: number): number {
  i = skipWs(s, i);
  if (i >= end || s.charCodeAt(i) !== 0x2f) throw bad("expected '/' in sent-protocol");
  return skipWs(s, i + 1);
}

/** Parse one via-parm (no commas). */
/** The usual transports as interned upper-case strings: no allocation for them. */
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'];
function transportOf(s: string, from: number, to: number): string {
  for (const t of TRANSPORTS) if (t.length === to - from && s.startsWith(t, from)) return t;
  return s.slice(from, to).toUpperCase();
}

export function parseVia(value: string): Via {
  const end = trimEnd(value, 0, value.length);
  let i = skipWs(value, 0);
  let protocol: string;
  if (value.startsWith('SIP/2.0/', i)) {
    // The form every element sends; the general path below handles LWS around "/" and other versions.
    protocol = 'SIP/2.0';
    i += 8;
  } else {
    const name = token(value, i, end, 'protocol name');
    i = slash(value, at, end);
    const version = token(value, i, end, 'protocol version');
    i = slash(value, at, end);
    protocol = name === 'SIP' && version === '2.0' ? 'SIP/2.0' : `${name.toUpperCase()}/${version}`;
  }
  const transportEnd = tokenEnd(value, i, end);
  if (transportEnd === i) throw bad('missing transport');
  const transport = transportOf(value, i, transportEnd);
  i = transportEnd;
  if (i >= end || !isWs(value.charCodeAt(i))) throw bad('expected whitespace before sent-by');
  i = skipWs(value, i);
  let hostEnd = i;
  if (value.charCodeAt(i) === 0x5b) {
    hostEnd = value.indexOf(']', i);
    if (hostEnd < 0 || hostEnd >= end) throw bad('unterminated IPv6 reference');
    hostEnd++;
  } else {
    while (hostEnd < end) {
      const c = value.charCodeAt(hostEnd);
      if (c === 0x3a || c === 0x3b || isWs(c)) break;
      hostEnd++;
    }
  }
  if (!isHost(value, i, hostEnd)) throw bad('bad sent-by host');
  const host = value.slice(i, hostEnd);
  i = skipWs(value, hostEnd);
  let port: number | undefined;
  if (i < end && value.charCodeAt(i) === 0x3a) {
    const from = skipWs(value, i + 1);
    let to = from;
    while (to < end && value.charCodeAt(to) >= 0x30 && value.charCodeAt(to) <= 0x39) to++;
    const p = parsePort(value, from, to);
    if (p < 0) throw bad('bad sent-by port');
    port = p;
    i = to;
  }
  const params = new Map<string, string | null>();
  const stop = readParams(value, i, end, params);
  if (stop !== end) throw bad(stop < 0 ? 'malformed parameter' : 'unexpected text after sent-by');
  return { protocol, transport, host, port, params };
}

/** Every via-parm of every Via line, top first. An empty element (",,") is an error (RFC 4475 §3.1.2.1). */
export function parseViaList(lines: readonly string[]): Via[] {
  const out: Via[] = [];
  for (const line of lines) {
    for (const element of splitList(line)) {
      if (element.length === 0) throw bad('empty Via value');
      out.push(parseVia(element));
    }
  }
  return out;
}

/** The first via-parm of a Via line, without splitting the rest of the line. */
export function parseTopVia(line: string): Via {
  if (line.indexOf(',') < 0) return parseVia(line);
  // splitList, not indexOf: a comma may sit inside a quoted parameter value.
  const first = splitList(line)[0] ?? '';
  if (first.length === 0) throw bad('empty Via value');
  return parseVia(first);
}

/** The text form of a Via value. */
export function formatVia(via: Via): string {
  const host = via.host.includes(':') && !via.host.startsWith('[') ? `[${via.host}]` : via.host;
  let out = `${via.protocol}/${via.transport} ${host}`;
  if (via.port !== undefined) out += `:${via.port}`;
  for (const [name, value] of via.params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
