/**
 * A tolerant but exact parser for the auth-param lists of WWW-Authenticate,
 * Proxy-Authenticate, Authorization and Proxy-Authorization (RFC 3261 §25.1,
 * RFC 7235 §2.1 and §4.1):
 *
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token SWS "=" SWS ( token / quoted-string )
 *   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *
 * Several challenges may share one header value ("Digest a=1, Digest a=2").
 * Parameter names are case-insensitive (stored lower-cased), values keep their
 * case; a name given twice in one challenge is an error (RFC 7235 §2.1).
 * Folded lines (CRLF + WSP) count as whitespace; any other control character
 * is an error. Every failure is an AuthError, nothing else is thrown: the
 * input is attacker-controlled.
 */
import { AuthError } from './errors.ts';

/** Longer values are refused before parsing; real ones are a few hundred bytes. */
export const MAX_AUTH_HEADER_LENGTH = 8192;

export interface AuthParam {
  /** Lower-cased parameter name. */
  name: string;
  /** Value with quotes removed and quoted-pairs resolved. */
  value: string;
  /** Whether it was written as a quoted-string (some params must be, some must not; callers decide how strict to be). */
  quoted: boolean;
}

export interface AuthItem {
  /** Scheme as written ("Digest"); compare case-insensitively. */
  scheme: string;
  params: Map<string, AuthParam>;
  /** token68 form (RFC 7235 §2.1), e.g. for Basic/Bearer; never used by Digest. */
  token68: string | undefined;
}

const TOKEN_EXTRA = new Set([...'-.!%*_+`\'~#$&^|']);
const TOKEN68_EXTRA = new Set([...'-._~+/']);

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** SIP token chars (RFC 3261 §25.1) plus the few extra HTTP tchars (RFC 7230 §3.2.6). */
function isTokenChar(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return isAlnum(c) || TOKEN_EXTRA.has(s.charAt(i));
}

function isToken68Char(s: string, i: number): boolean {
  return isAlnum(s.charCodeAt(i)) || TOKEN68_EXTRA.has(s.charAt(i));
}

function syntax(message: string, at: number): AuthError {
  return new AuthError('AUTH_SYNTAX', `${message} at offset ${at}`);
}

/** Skip SP/HTAB and folded line breaks (CRLF or bare LF followed by SP/HTAB). */
function skipLws(s: string, i: number): number {
  for (;;) {
    const c = s.charAt(i);
    if (c === ' ' || c === '\t') i++;
    else if (c === '\r' && s.charAt(i + 1) === '\n' && isWsp(s.charAt(i + 2))) i += 3;
    else if (c === '\n' && isWsp(s.charAt(i + 1))) i += 2;
    else return i;
  }
}

function isWsp(c: string): boolean {
  return c === ' ' || c === '\t';
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s, i)) i++;
  return i;
}

/** Reads a quoted-string starting at the opening DQUOTE; returns the unescaped value and the index after the closing DQUOTE. */
function readQuoted(s: string, start: number): { value: string; end: number } {
  let out = '';
  let i = start + 1;
  while (i < s.length) {
    const ch = s.charAt(i);
    const c = s.charCodeAt(i);
    if (ch === '"') return { value: out, end: i + 1 };
    if (ch === '\\') {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): anything but CR and LF.
      const next = s.charAt(i + 1);
      if (next === '' || next === '\r' || next === '\n') throw syntax('bad escape in quoted string', i);
      out += next;
      i += 2;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      // qdtext allows LWS, i.e. a folded line; a folded line reads as one space (RFC 3261 §7.3.1).
      const after = skipLws(s, i);
      if (after === i) throw syntax('line break in quoted string', i);
      out += ' ';
      i = after;
      continue;
    }
    if ((c < 0x20 && ch !== '\t') || c === 0x7f) throw syntax('control character in quoted string', i);
    out += ch;
    i++;
  }
  throw syntax('unterminated quoted string', start);
}

/** An unquoted value: a token in the grammar; we also accept other visible ASCII (":" "/" "@" "=") that sloppy clients leave unquoted. */
function readBareValue(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const ch = s.charAt(i);
    if (c <= 0x20 || c >= 0x7f || ch === ',' || ch === '"' || ch === '\\') break;
    i++;
  }
  return i;
}

/**
 * After a scheme: is what follows a token68, and where does it end? It is one
 * when the run of token68 characters (and its "=" padding) is followed by the
 * end or a comma: "abc==" is token68, "realm=x" is a parameter.
 */
function token68At(s: string, i: number): number | undefined {
  let j = i;
  while (j < s.length && isToken68Char(s, j)) j++;
  if (j === i) return undefined;
  while (s.charAt(j) === '=') j++;
  const k = skipLws(s, j);
  return k >= s.length || s.charAt(k) === ',' ? j : undefined;
}

/** Parse a header value holding one or more challenges or credentials. */
export function parseAuthItems(value: string): AuthItem[] {
  if (value.length > MAX_AUTH_HEADER_LENGTH) {
    throw new AuthError('AUTH_TOO_LONG', `auth header longer than ${MAX_AUTH_HEADER_LENGTH} characters`);
  }
  const s = value;
  const items: AuthItem[] = [];
  let current: AuthItem | undefined;
  let i = 0;
  for (;;) {
    i = skipLws(s, i);
    if (i >= s.length) break;
    // Empty list elements are allowed (RFC 7230 §7: "#" rule tolerates ", ,").
    if (s.charAt(i) === ',') {
      i++;
      continue;
    }
    const nameEnd = readToken(s, i);
    if (nameEnd === i) throw syntax(`unexpected ${JSON.stringify(s.charAt(i))}`, i);
    const name = s.slice(i, nameEnd);
    const afterName = skipLws(s, nameEnd);

    if (s.charAt(afterName) === '=' && current !== undefined) {
      i = parseParam(s, name, afterName + 1, current);
      continue;
    }
    if (s.charAt(afterName) === '=') throw syntax('parameter before any auth scheme', i);

    // A new scheme. It must be separated from what follows by whitespace.
    current = { scheme: name, params: new Map(), token68: undefined };
    items.push(current);
    if (afterName >= s.length || s.charAt(afterName) === ',') {
      i = afterName;
      continue;
    }
    if (afterName === nameEnd) throw syntax('missing space after auth scheme', nameEnd);
    const t68End = token68At(s, afterName);
    if (t68End !== undefined) {
      current.token68 = s.slice(afterName, t68End);
      i = expectSeparator(s, t68End);
      continue;
    }
    i = afterName;
  }
  return items;
}

function parseParam(s: string, rawName: string, afterEq: number, into: AuthItem): number {
  const name = rawName.toLowerCase();
  if (into.token68 !== undefined) throw syntax('parameter after token68', afterEq);
  if (into.params.has(name)) throw new AuthError('AUTH_DUPLICATE_PARAM', `parameter "${name}" given twice`);
  let i = skipLws(s, afterEq);
  let param: AuthParam;
  if (s.charAt(i) === '"') {
    const q = readQuoted(s, i);
    param = { name, value: q.value, quoted: true };
    i = q.end;
  } else {
    const end = readBareValue(s, i);
    if (end === i) throw syntax(`missing value for "${name}"`, i);
    param = { name, value: s.slice(i, end), quoted: false };
    i = end;
  }
  into.params.set(name, param);
  return expectSeparator(s, i);
}

/** After a value: only whitespace, then a comma or the end. */
function expectSeparator(s: string, i: number): number {
  const j = skipLws(s, i);
  if (j < s.length && s.charAt(j) !== ',') throw syntax('expected "," between parameters', j);
  return j;
}
