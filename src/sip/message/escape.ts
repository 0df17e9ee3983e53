/**
 * %-escaping of URI components (RFC 3261 §19.1.2, §25.1 "escaped"; RFC 3986
 * §2.1). Escapes decode to octets, read as UTF-8. Decoding is never
 * recursive: "value%2541" is "value%41", not "valueA" (RFC 4475 §3.1.1.3).
 */
import { charClass, hexValue } from './chars.ts';

const HEX = '0123456789ABCDEF';

/**
 * Decoded s[from, to), or undefined when a "%" is not followed by two hex
 * digits. Octets that are not valid UTF-8 decode to U+FFFD.
 */
export function unescape(s: string, from: number, to: number): string | undefined {
  const pct = s.indexOf('%', from);
  if (pct < 0 || pct >= to) return s.slice(from, to);
  const bytes: number[] = [];
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= to) return undefined;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // Not legal in a URI, but when a caller passes it, keep its UTF-8 form.
      for (const b of Buffer.from(s.slice(i, i + (c >= 0xd800 && c < 0xdc00 ? 2 : 1)), 'utf8')) bytes.push(b);
      if (c >= 0xd800 && c < 0xdc00) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** s with every character outside `allowed` (a chars.ts flag) written as %XX of its UTF-8 octets. */
export function escape(s: string, allowed: number): string {
  let i = 0;
  while (i < s.length && (charClass(s.charCodeAt(i)) & allowed) !== 0) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((charClass(c) & allowed) !== 0) {
      out += s[i];
    } else if (c < 0x80) {
      out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    } else {
      const wide = c >= 0xd800 && c < 0xdc00 && i + 1 < s.length;
      for (const b of Buffer.from(s.slice(i, wide ? i + 2 : i + 1), 'utf8')) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
      if (wide) i++;
    }
  }
  return out;
}
