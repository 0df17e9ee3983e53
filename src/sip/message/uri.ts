/**
 * SIP, SIPS (RFC 3261 §19.1, §25.1) and tel (RFC 3966) URIs.
 *
 * parseUri unescapes user, password, parameter names and values and header
 * names and values; formatUri escapes whatever the grammar does not allow
 * raw, so parseUri(formatUri(u)) reproduces u. Parameter names are
 * lower-cased (they compare case-insensitively, §19.1.4); values keep their
 * case. Hosts are kept as written, IPv6 references with their brackets.
 */
import { charClass, HNV, isAlpha, isDigit, PARAMCHAR, PASSWORD, USER } from './chars.ts';
import { escape, unescape } from './escape.ts';
import { badUri, SipParseError } from './errors.ts';
import { parsePort, scanHost } from './host.ts';
import type { SipUri, UriScheme } from './types.ts';

export const SUPPORTED_URI_SCHEMES: readonly UriScheme[] = ['sip', 'sips', 'tel'];

/**
 * The scheme of an absolute URI, lower-cased, or undefined when text does not
 * start with `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"` (RFC 3986 §3.1).
 */
export function uriScheme(text: string): string | undefined {
  const colon = schemeEnd(text);
  return colon < 0 ? undefined : text.slice(0, colon).toLowerCase();
}

/** Index of the ':' ending a syntactically valid scheme, or -1. */
export function schemeEnd(text: string): number {
  if (text.length === 0 || !isAlpha(text.charCodeAt(0))) return -1;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) return i;
    if (!(isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) return -1;
  }
  return -1;
}

/** Which supported scheme text[0, colon) spells, without allocating. */
function knownScheme(text: string, colon: number): UriScheme | undefined {
  const c0 = text.charCodeAt(0) | 0x20;
  const c1 = text.charCodeAt(1) | 0x20;
  const c2 = text.charCodeAt(2) | 0x20;
  if (colon === 3 && c0 === 0x73 && c1 === 0x69 && c2 === 0x70) return 'sip';
  if (colon === 4 && c0 === 0x73 && c1 === 0x69 && c2 === 0x70 && (text.charCodeAt(3) | 0x20) === 0x73) return 'sips';
  if (colon === 3 && c0 === 0x74 && c1 === 0x65 && c2 === 0x6c) return 'tel';
  return undefined;
}

export function unsupportedScheme(scheme: string): SipParseError {
  return new SipParseError({
    code: 'SIP_UNSUPPORTED_URI_SCHEME',
    status: 416,
    reason: 'Unsupported URI Scheme',
    detail: `scheme "${scheme.slice(0, 32)}"`,
  });
}

/** Parse a sip, sips or tel URI. Throws SipParseError: SIP_BAD_URI (400) or SIP_UNSUPPORTED_URI_SCHEME (416). */
export function parseUri(text: string): SipUri {
  const colon = schemeEnd(text);
  if (colon < 0) throw badUri('no scheme');
  const scheme = knownScheme(text, colon);
  if (scheme === undefined) throw unsupportedScheme(text.slice(0, colon));
  return scheme === 'tel' ? parseTel(text, colon + 1) : parseSip(text, colon + 1, scheme);
}

/** First index in [i, end) holding one of the two characters, or end. */
function scanTo(s: string, i: number, end: number, a: number, b: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === a || c === b) return i;
    i++;
  }
  return end;
}

/** s[from, to) made of `flag` characters and %-escapes, decoded. */
function component(s: string, from: number, to: number, flag: number, what: string): string {
  let escaped = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((charClass(c) & flag) !== 0) continue;
    if (c !== 0x25) throw badUri(`bad character in ${what}`);
    escaped = true;
  }
  if (!escaped) return s.slice(from, to);
  const value = unescape(s, from, to);
  if (value === undefined) throw badUri(`bad escape in ${what}`);
  return value;
}

const SEMI = 0x3b;
const QMARK = 0x3f;

/** uri-parameters = *( ";" pname [ "=" pvalue ] ), from s[i] === ';' to a '?' or the end. */
function parseParams(s: string, i: number, end: number, params: Map<string, string | null>): number {
  while (i < end && s.charCodeAt(i) === SEMI) {
    const pEnd = scanTo(s, i + 1, end, SEMI, QMARK);
    let eq = s.indexOf('=', i + 1);
    if (eq < 0 || eq > pEnd) eq = -1;
    const nameEnd = eq < 0 ? pEnd : eq;
    if (nameEnd === i + 1) throw badUri('empty URI parameter');
    const name = component(s, i + 1, nameEnd, PARAMCHAR, 'URI parameter').toLowerCase();
    const value = eq < 0 ? null : component(s, eq + 1, pEnd, PARAMCHAR, 'URI parameter');
    // RFC 3261 §19.1.4: a parameter appears once; keep the first if a peer repeats it.
    if (!params.has(name)) params.set(name, value);
    i = pEnd;
  }
  return i;
}

function parseSip(s: string, start: number, scheme: 'sip' | 'sips'): SipUri {
  const end = s.length;
  let i = start;
  let user: string | undefined;
  let password: string | undefined;
  // '@' is allowed neither in user, password, parameters nor headers: the first one ends userinfo.
  const at = s.indexOf('@', i);
  if (at >= 0) {
    let pc = s.indexOf(':', i);
    if (pc > at) pc = -1;
    const userEnd = pc < 0 ? at : pc;
    if (userEnd === i) throw badUri('empty user');
    user = component(s, i, userEnd, USER, 'user');
    if (pc >= 0) password = component(s, pc + 1, at, PASSWORD, 'password');
    i = at + 1;
  }
  const hostEnd = scanHost(s, i, end);
  if (hostEnd < 0) throw badUri('bad host');
  if (hostEnd < end) {
    const c = s.charCodeAt(hostEnd);
    if (c !== 0x3a && c !== SEMI && c !== QMARK) throw badUri('bad host');
  }
  const host = s.slice(i, hostEnd);
  i = hostEnd;
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const portEnd = scanTo(s, i + 1, end, SEMI, QMARK);
    const p = parsePort(s, i + 1, portEnd);
    if (p < 0) throw badUri('bad port');
    port = p;
    i = portEnd;
  }
  const params = new Map<string, string | null>();
  i = parseParams(s, i, end, params);
  const headers = new Map<string, string>();
  if (i < end && s.charCodeAt(i) === QMARK) {
    i++;
    while (true) {
      let amp = s.indexOf('&', i);
      if (amp < 0) amp = end;
      const eq = s.indexOf('=', i);
      if (eq < 0 || eq > amp || eq === i) throw badUri('bad URI header');
      const name = component(s, i, eq, HNV, 'URI header');
      if (!headers.has(name)) headers.set(name, component(s, eq + 1, amp, HNV, 'URI header'));
      if (amp === end) break;
      i = amp + 1;
    }
    i = end;
  }
  if (i !== end) throw badUri('unexpected character');
  return { scheme, user, password, host, port, params, headers };
}

/** Characters of a telephone-subscriber (RFC 3966 §3): digits, hex, * # and visual separators. */
function isPhoneChar(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) || c === 0x2a || c === 0x23 || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29;
}

/**
 * tel URI basics (RFC 3966 §3): global ("+" digits) or local number, then
 * parameters. A local number without phone-context is accepted: trunks send
 * them, and refusing a caller's From over it would lose the call.
 */
function parseTel(s: string, start: number): SipUri {
  const end = s.length;
  const numEnd = scanTo(s, start, end, SEMI, QMARK);
  let i = start;
  if (i < numEnd && s.charCodeAt(i) === 0x2b) i++;
  let digits = 0;
  for (let j = i; j < numEnd; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x25) {
      j += 2; // an escaped character; checked by unescape below
      digits++;
      continue;
    }
    if (!isPhoneChar(c)) throw badUri('bad telephone number');
    if (!(c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29)) digits++;
  }
  if (digits === 0) throw badUri('empty telephone number');
  const user = unescape(s, start, numEnd);
  if (user === undefined) throw badUri('bad escape in telephone number');
  const params = new Map<string, string | null>();
  i = parseParams(s, numEnd, end, params);
  if (i !== end) throw badUri('unexpected character in tel URI');
  return { scheme: 'tel', user, password: undefined, host: '', port: undefined, params, headers: new Map() };
}

/** A '+' is raw only as the first character (global number); anything else outside the set is escaped. */
function telEscape(number: string): string {
  let out = '';
  let first = true;
  for (const ch of number) {
    const c = ch.charCodeAt(0);
    out += ch.length === 1 && (isPhoneChar(c) || (c === 0x2b && first)) ? ch : escape(ch, 0);
    first = false;
  }
  return out;
}

function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) {
    out += `;${escape(name, PARAMCHAR)}`;
    if (value !== null) out += `=${escape(value, PARAMCHAR)}`;
  }
  return out;
}

/** The text form of a URI; the inverse of parseUri. A bare IPv6 host gets its brackets (RFC 5118 §4.1). */
export function formatUri(uri: SipUri): string {
  if (uri.scheme === 'tel') return `tel:${telEscape(uri.user ?? '')}${formatParams(uri.params)}`;
  let out = `${uri.scheme}:`;
  if (uri.user !== undefined && uri.user !== '') {
    out += escape(uri.user, USER);
    if (uri.password !== undefined) out += `:${escape(uri.password, PASSWORD)}`;
    out += '@';
  }
  const host = uri.host.includes(':') && !uri.host.startsWith('[') ? `[${uri.host}]` : uri.host;
  out += host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  let sep = '?';
  for (const [name, value] of uri.headers) {
    out += `${sep}${escape(name, HNV)}=${escape(value, HNV)}`;
    sep = '&';
  }
  return out;
}

/**
 * True when text starts like an absolute URI: a scheme, then something
 * (RFC 4475 §3.1.2.7 "<sip:...>" fails here). The rest is checked when the
 * URI is parsed — by requestUri(), which validateRequest calls — so the
 * parse of every message does not walk it twice.
 */
export function looksLikeAbsoluteUri(text: string): boolean {
  const colon = schemeEnd(text);
  return colon > 0 && colon < text.length - 1;
}
