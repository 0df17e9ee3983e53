/**
 * Scalar header values: CSeq (§20.16), Max-Forwards (§20.22), Content-Length
 * (§20.14), Call-ID (§20.8). Leading zeros are fine ("0068", RFC 4475
 * §3.1.1.1); values out of range are errors, never wrapped or clamped
 * (RFC 4475 §3.1.2.3, §3.1.2.4).
 */
import { isDigit, isToken, isWs, skipWs, trimEnd } from './chars.ts';
import { SipParseError } from './errors.ts';
import type { CSeq } from './types.ts';

/** 1*DIGIT in s[from, to) as a number no larger than max, or -1. */
export function parseDigits(s: string, from: number, to: number, max: number): number {
  if (to <= from) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
    if (value > max) return -1; // stops before precision is lost on absurd lengths
  }
  return value;
}

/** CSeq sequence numbers are 32-bit unsigned (§8.1.1.5, §20.16). */
export const MAX_CSEQ = 0xffffffff;

/** CSeq = 1*DIGIT LWS Method. */
export function parseCSeq(value: string): CSeq {
  const end = trimEnd(value, 0, value.length);
  let i = skipWs(value, 0);
  const digitsStart = i;
  while (i < end && isDigit(value.charCodeAt(i))) i++;
  const seq = parseDigits(value, digitsStart, i, MAX_CSEQ);
  if (seq < 0 || i >= end || !isWs(value.charCodeAt(i))) {
    throw new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad CSeq header', detail: 'sequence number missing or above 2**32-1', header: 'cseq' });
  }
  const method = value.slice(skipWs(value, i), end);
  if (!isToken(method)) throw new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad CSeq header', detail: 'method is not a token', header: 'cseq' });
  return { seq, method };
}

/** Max-Forwards = 1*DIGIT, 0–255 (§20.22). */
export function parseMaxForwards(value: string): number {
  const from = skipWs(value, 0);
  const n = parseDigits(value, from, trimEnd(value, from, value.length), 255);
  if (n < 0) throw new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad Max-Forwards header', detail: 'not an integer 0-255', header: 'max-forwards' });
  return n;
}

/** Content-Length = 1*DIGIT; -1 when malformed (negative, not a number, absurdly large). */
export function parseContentLength(value: string): number {
  const from = skipWs(value, 0);
  return parseDigits(value, from, trimEnd(value, from, value.length), 0x7fffffff);
}

/**
 * Call-ID = word [ "@" word ] (§25.1), checked loosely: non-empty, no
 * whitespace inside. Some user agents put '=' (base64 padding) in it, which
 * "word" does not allow; refusing their calls over that would help nobody.
 * (CR and LF cannot occur: the framing rejects them.)
 */
export function parseCallId(value: string): string {
  const from = skipWs(value, 0);
  const to = trimEnd(value, from, value.length);
  const id = from === 0 && to === value.length ? value : value.slice(from, to);
  if (id.length === 0 || id.indexOf(' ') >= 0 || id.indexOf('\t') >= 0) {
    throw new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad Call-ID header', detail: 'empty or containing whitespace', header: 'call-id' });
  }
  return id;
}
