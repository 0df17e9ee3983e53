/**
 * Character classes of the RFC 3261 §25.1 grammar as one lookup table of bit
 * flags: a parser tests `CLASS[c] & FLAG` instead of running regular
 * expressions or chains of comparisons on the hot path.
 */

export const TOKEN = 1; // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
export const UNRESERVED = 2; // alphanum / mark ("-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")")
export const USER = 4; // unreserved / user-unreserved ("&" "=" "+" "$" "," ";" "?" "/"), escapes handled apart
export const PASSWORD = 8; // unreserved / "&" / "=" / "+" / "$" / ","
export const PARAMCHAR = 16; // unreserved / param-unreserved ("[" "]" "/" ":" "&" "+" "$")
export const HNV = 32; // unreserved / hnv-unreserved ("[" "]" "/" "?" ":" "+" "$")
export const HOSTNAME = 64; // alphanum / "-" / "." (and "_", tolerated)
export const GENVALUE = 128; // gen-value without quotes: token / host, i.e. token chars plus ":" "[" "]" (§25.1)

const table = new Uint8Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)]! |= flag;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MARK = "-_.!~*'()";
mark(ALNUM + "-.!%*_+`'~", TOKEN);
mark(ALNUM + MARK, UNRESERVED | USER | PASSWORD | PARAMCHAR | HNV);
mark('&=+$,;?/', USER);
mark('&=+$,', PASSWORD);
mark('[]/:&+$', PARAMCHAR);
mark('[]/?:+$', HNV);
mark(ALNUM + '-._', HOSTNAME);
mark(ALNUM + "-.!%*_+`'~" + ':[]', GENVALUE);

/** Flags of a UTF-16 code unit; 0 outside ASCII. */
export function charClass(c: number): number {
  return c < 128 ? table[c]! : 0;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (table[c]! & TOKEN) === 0) return false;
  }
  return true;
}

export const SP = 0x20;
export const HTAB = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;

export function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Index of the first non-SP/HTAB at or after i (s.length if none). */
export function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

/** Exclusive end of s[from, to) with trailing SP/HTAB removed. */
export function trimEnd(s: string, from: number, to: number): number {
  while (to > from) {
    const c = s.charCodeAt(to - 1);
    if (c !== SP && c !== HTAB) break;
    to--;
  }
  return to;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
