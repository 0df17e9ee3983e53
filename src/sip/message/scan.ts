/**
 * Low-level scanning of header values (RFC 3261 §7.3.1, §25.1): list
 * splitting at top-level commas, quoted strings, generic parameters. The
 * functions work on index ranges of one string so a value is sliced only
 * where a result is kept.
 */
import { charClass, GENVALUE, isWs, skipWs, TOKEN, trimEnd } from './chars.ts';

/** Result position of the last scan; module state instead of a tuple per call (hot path). */
export const cursor = { end: 0 };

/**
 * Elements of a comma-separated value, split at commas outside quoted
 * strings and <...>, each trimmed of SP/HTAB. Empty elements are kept so a
 * strict caller can reject them (RFC 4475 §3.1.2.1).
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return [trimmed(value)];
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++; // quoted-pair
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) {
      inQuote = true;
    } else if (c === 0x3c) {
      inAngle = true;
    } else if (c === 0x3e) {
      inAngle = false;
    } else if (c === 0x2c && !inAngle) {
      out.push(slice(value, start, i));
      start = i + 1;
    }
  }
  out.push(slice(value, start, value.length));
  return out;
}

function slice(s: string, from: number, to: number): string {
  from = skipWs(s, from);
  return s.slice(from, trimEnd(s, from, to));
}

export function trimmed(s: string): string {
  if (s.length === 0 || (!isWs(s.charCodeAt(0)) && !isWs(s.charCodeAt(s.length - 1)))) return s;
  return slice(s, 0, s.length);
}

/**
 * quoted-string starting at s[i] === '"': returns the unescaped content and
 * sets cursor.end past the closing quote, or returns undefined when the
 * string is not terminated (RFC 4475 §3.1.2.6) or a quoted-pair escapes CR/LF.
 */
export function readQuoted(s: string, i: number, end: number): string | undefined {
  let out = '';
  let run = i + 1;
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      cursor.end = j + 1;
      return out + s.slice(run, j);
    }
    if (c === 0x5c) {
      if (j + 1 >= end) return undefined;
      const next = s.charCodeAt(j + 1);
      if (next === 0x0a || next === 0x0d) return undefined; // quoted-pair excludes CR and LF
      out += s.slice(run, j);
      run = j + 1; // keep the escaped character, drop the backslash
      j++;
    } else if (c === 0x0a || c === 0x0d) {
      return undefined;
    }
  }
  return undefined;
}

/** End of the run of token characters starting at i. */
export function tokenEnd(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (charClass(c) & TOKEN) === 0) break;
    i++;
  }
  return i;
}

/** gen-value characters: token, plus ":" "[" "]" of host (IPv6 in received=, RFC 5118 §4.5). */
function valueEnd(s: string, i: number, end: number): number {
  while (i < end && (charClass(s.charCodeAt(i)) & GENVALUE) !== 0) i++;
  return i;
}

/**
 * *( SEMI generic-param ) from s[i] (RFC 3261 §25.1: SEMI = SWS ";" SWS,
 * EQUAL = SWS "=" SWS, gen-value = token / host / quoted-string). Names are
 * lower-cased; a parameter without value maps to null; a quoted value keeps
 * its quotes (it is data as written). Returns the index where parameters
 * stop (end, or a character the caller must judge), or -1 on a malformed
 * parameter — an empty one like ";;" included (RFC 4475 §3.1.2.1).
 */
export function readParams(s: string, i: number, end: number, params: Map<string, string | null>): number {
  while (true) {
    i = skipWs(s, i);
    if (i >= end || s.charCodeAt(i) !== 0x3b) return i;
    i = skipWs(s, i + 1);
    // token, noting upper case: most names are lower-case already and need no copy.
    let nameEnd = i;
    let upper = false;
    while (nameEnd < end) {
      const c = s.charCodeAt(nameEnd);
      if (c >= 128 || (charClass(c) & TOKEN) === 0) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
      nameEnd++;
    }
    if (nameEnd === i) return -1;
    const name = upper ? s.slice(i, nameEnd).toLowerCase() : s.slice(i, nameEnd);
    i = skipWs(s, nameEnd);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      if (i < end && s.charCodeAt(i) === 0x22) {
        if (readQuoted(s, i, end) === undefined) return -1;
        value = s.slice(i, cursor.end);
        i = cursor.end;
      } else {
        const vEnd = valueEnd(s, i, end);
        if (vEnd === i) return -1;
        value = s.slice(i, vEnd);
        i = vEnd;
      }
    }
    // A repeated parameter keeps its first value: a later "tag" must not override dialog identity.
    if (params.size === 0 || !params.has(name)) params.set(name, value);
  }
}

/** The content of a quoted parameter value ("a\"b" → a"b); other values unchanged. */
export function unquote(value: string): string {
  if (value.length < 2 || value.charCodeAt(0) !== 0x22) return value;
  const inner = readQuoted(value, 0, value.length);
  return inner !== undefined && cursor.end === value.length ? inner : value;
}

/** A string as a quoted-string, escaping '"' and '\' (RFC 3261 §25.1 quoted-pair). */
export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
