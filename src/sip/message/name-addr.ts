/**
 * From, To, Contact, Route, Record-Route, Reply-To, Refer-To values
 * (RFC 3261 §20.10, §25.1):
 *
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * Parameter ownership follows §20.10: in the addr-spec form everything after
 * the first ';' belongs to the header, not to the URI (RFC 4475 §3.3.12), and
 * a URI that has headers ('?') must be in angle brackets (RFC 4475
 * §3.1.2.13).
 */
import { charClass, isWs, skipWs, TOKEN, trimEnd } from './chars.ts';
import { SipParseError } from './errors.ts';
import { parseUri } from './uri.ts';
import { cursor, readParams, readQuoted, quote, splitList } from './scan.ts';
import type { NameAddr } from './types.ts';
import { formatUri } from './uri.ts';

/** Name of the header being parsed, as it appears in reason phrases: "From", "Contact"... */
export type AddressHeader = string;

function bad(header: AddressHeader, detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: `Bad ${header} header`, detail, header: header.toLowerCase() });
}

/** The URI of a header parsed; an unsupported scheme is a 400 here (416 is for the Request-URI only, §8.2.2.1). */
function uriOf(text: string, header: AddressHeader): NameAddr['uri'] {
  try {
    return parseUri(text);
  } catch (err) {
    if (err instanceof SipParseError && err.code === 'SIP_UNSUPPORTED_URI_SCHEME') {
      throw new SipParseError({
        code: 'SIP_UNSUPPORTED_URI_SCHEME',
        status: 400,
        reason: `Unsupported URI scheme in ${header} header`,
        detail: err.message,
        header: header.toLowerCase(),
      });
    }
    if (err instanceof SipParseError) throw bad(header, err.message);
    throw err;
  }
}

/** Parse one name-addr / addr-spec with its header parameters. Throws SipParseError (400). */
export function parseNameAddr(value: string, header: AddressHeader = 'address'): NameAddr {
  const end = trimEnd(value, 0, value.length);
  const i = skipWs(value, 0);
  if (i >= end) throw bad(header, 'empty value');
  let displayName: string | undefined;
  let uriText: string;

  // Read "*(token LWS)" up to the first character that is neither: '<' makes it a name-addr.
  let j = i;
  while (j < end) {
    const c = value.charCodeAt(j);
    if (isWs(c) || (c < 128 && (charClass(c) & TOKEN) !== 0)) j++;
    else break;
  }
  const stop = j < end ? value.charCodeAt(j) : -1;
  if (stop === 0x22 && j === i) {
    const name = readQuoted(value, i, end);
    if (name === undefined) throw bad(header, 'unterminated quoted display name');
    displayName = name;
    j = skipWs(value, cursor.end);
    if (j >= end || value.charCodeAt(j) !== 0x3c) throw bad(header, "expected '<' after display name");
  } else if (stop === 0x3c) {
    const nameEnd = trimEnd(value, i, j);
    if (nameEnd > i) displayName = value.slice(i, nameEnd);
  } else {
    j = -1; // addr-spec
  }

  let paramsFrom: number;
  if (j >= 0) {
    // LAQUOT = SWS "<", RAQUOT = ">" SWS: no whitespace inside the brackets (RFC 4475 §3.1.2.14).
    const close = value.indexOf('>', j + 1);
    if (close < 0) throw bad(header, "missing '>'");
    if (close === j + 1 || isWs(value.charCodeAt(j + 1)) || isWs(value.charCodeAt(close - 1))) throw bad(header, 'whitespace or nothing inside <>');
    uriText = value.slice(j + 1, close);
    paramsFrom = close + 1;
  } else {
    let u = i;
    while (u < end) {
      const c = value.charCodeAt(u);
      if (c === 0x3b || isWs(c)) break;
      u++;
    }
    uriText = value.slice(i, u);
    if (uriText.indexOf('?') >= 0) throw bad(header, 'a URI with headers must be enclosed in <>');
    paramsFrom = u;
  }
  const uri = uriOf(uriText, header);
  const params = new Map<string, string | null>();
  const stopAt = readParams(value, paramsFrom, end, params);
  if (stopAt !== end) throw bad(header, stopAt < 0 ? 'malformed parameter' : 'unexpected text after the address');
  return { displayName, uri, params };
}

/** A list header (Contact, Route, Record-Route...): one NameAddr per comma-separated element. */
export function parseNameAddrList(values: readonly string[], header: AddressHeader): NameAddr[] {
  const out: NameAddr[] = [];
  for (const line of values) {
    for (const element of splitList(line)) {
      if (element.length === 0) throw bad(header, 'empty list element');
      out.push(parseNameAddr(element, header));
    }
  }
  return out;
}

/** Display names that can go out unquoted: *(token LWS). */
function isTokenWords(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c === 0x20 || (c < 128 && (charClass(c) & TOKEN) !== 0))) return false;
  }
  return s.charCodeAt(0) !== 0x20 && s.charCodeAt(s.length - 1) !== 0x20;
}

function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/**
 * The text form of a NameAddr. Always the name-addr form (<...>), which is
 * unambiguous whatever the URI holds (§20.10). Display names that are not
 * plain tokens are quoted.
 */
export function formatNameAddr(addr: NameAddr): string {
  const dn = addr.displayName;
  const display = dn === undefined ? '' : isTokenWords(dn) ? `${dn} ` : `${quote(dn)} `;
  return `${display}<${formatUri(addr.uri)}>${formatParams(addr.params)}`;
}
