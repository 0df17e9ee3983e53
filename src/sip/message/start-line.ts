/**
 * Start lines (RFC 3261 §7.1, §7.2, §25.1):
 *
 *   Request-Line = Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 *
 * Strict on separators: one SP exactly, nothing after the version. RFC 4475
 * §3.1.2.9/§3.1.2.10 allow rejecting extra SP, and a server that rebuilds
 * start lines gains nothing from guessing. A response line without the SP
 * before an empty reason is accepted (§3.1.1.13 calls that liberal).
 */
import { isDigit, isToken } from './chars.ts';
import { SipParseError, type SipMessageKind } from './errors.ts';
import { looksLikeAbsoluteUri } from './uri.ts';

/** What a start line said; fields not read stay undefined. One object per parse. */
export interface StartLine {
  kind: SipMessageKind | undefined;
  method: string | undefined;
  uri: string | undefined;
  version: string | undefined;
  status: number;
  reason: string;
  error: SipParseError | undefined;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive on "SIP" (§7.1). */
export function isSipVersion(s: string): boolean {
  if (s.length < 7 || (s.charCodeAt(0) | 0x20) !== 0x73 || (s.charCodeAt(1) | 0x20) !== 0x69 || (s.charCodeAt(2) | 0x20) !== 0x70 || s.charCodeAt(3) !== 0x2f) return false;
  let i = 4;
  const majorStart = i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === majorStart || i - majorStart > 3 || s.charCodeAt(i) !== 0x2e) return false;
  const minorStart = ++i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i === s.length && i > minorStart && i - minorStart <= 3;
}

function fail(line: StartLine, code: 'SIP_BAD_START_LINE' | 'SIP_BAD_VERSION', reason: string, detail: string): StartLine {
  line.error = new SipParseError({ code, status: 400, reason, detail, ...(line.kind === undefined ? {} : { kind: line.kind }) });
  return line;
}

export function parseStartLine(text: string): StartLine {
  const line: StartLine = { kind: undefined, method: undefined, uri: undefined, version: undefined, status: 0, reason: '', error: undefined };
  const sp1 = text.indexOf(' ');
  const first = sp1 < 0 ? text : text.slice(0, sp1);
  // A method is a token and '/' is not a token character: "SIP/..." can only open a Status-Line.
  if (first.length >= 4 && (first.charCodeAt(0) | 0x20) === 0x73 && (first.charCodeAt(1) | 0x20) === 0x69 && (first.charCodeAt(2) | 0x20) === 0x70 && first.charCodeAt(3) === 0x2f) {
    line.kind = 'response';
    if (!isSipVersion(first)) return fail(line, 'SIP_BAD_VERSION', 'Bad SIP-Version', 'malformed SIP-Version in Status-Line');
    line.version = first;
    const c = sp1 + 1;
    if (sp1 < 0 || c + 3 > text.length || !isDigit(text.charCodeAt(c)) || !isDigit(text.charCodeAt(c + 1)) || !isDigit(text.charCodeAt(c + 2)) || (c + 3 < text.length && text.charCodeAt(c + 3) !== 0x20)) {
      return fail(line, 'SIP_BAD_START_LINE', 'Bad Status-Line', 'status code is not three digits followed by SP (RFC 4475 §3.1.2.19)');
    }
    const status = (text.charCodeAt(c) - 0x30) * 100 + (text.charCodeAt(c + 1) - 0x30) * 10 + (text.charCodeAt(c + 2) - 0x30);
    if (status < 100 || status > 699) return fail(line, 'SIP_BAD_START_LINE', 'Bad Status-Line', 'status code outside 100-699');
    line.status = status;
    line.reason = c + 4 <= text.length ? text.slice(c + 4) : '';
    if (line.reason.indexOf('\r') >= 0) return fail(line, 'SIP_BAD_START_LINE', 'Bad Status-Line', 'CR in Reason-Phrase');
    return line;
  }
  if (sp1 <= 0 || !isToken(first)) return fail(line, 'SIP_BAD_START_LINE', 'Bad start line', 'neither a Request-Line nor a Status-Line');
  line.kind = 'request';
  line.method = first;
  const sp2 = text.indexOf(' ', sp1 + 1);
  if (sp2 < 0) return fail(line, 'SIP_BAD_START_LINE', 'Bad Request-Line', 'missing SIP-Version');
  line.uri = text.slice(sp1 + 1, sp2);
  const version = text.slice(sp2 + 1);
  if (sp2 === sp1 + 1 || version.indexOf(' ') >= 0 || version.length === 0) {
    return fail(line, 'SIP_BAD_START_LINE', 'Bad Request-Line', 'elements must be separated by exactly one SP (RFC 4475 §3.1.2.8-10)');
  }
  if (!isSipVersion(version)) return fail(line, 'SIP_BAD_VERSION', 'Bad SIP-Version', 'malformed SIP-Version in Request-Line');
  line.version = version;
  if (!looksLikeAbsoluteUri(line.uri)) return fail(line, 'SIP_BAD_START_LINE', 'Bad Request-URI', 'not an absolute URI (RFC 4475 §3.1.2.7)');
  return line;
}
