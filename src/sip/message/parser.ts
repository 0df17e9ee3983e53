/**
 * parseMessage: bytes → SipRequest | SipResponse (RFC 3261 §7, §18.3).
 *
 * One pass over the header section: find the empty line, decode the header
 * section once, split it into (name, value) strings — unfolding
 * continuation lines (§7.3.1) — and read Content-Length to delimit the body.
 * Nothing else is interpreted: Via, From, CSeq... are parsed when first read
 * (see message.ts), and validateRequest checks what a UAS needs.
 *
 * Errors are SipParseError. When the bytes were a request whose Via, From,
 * To, Call-ID and CSeq lines could be read, the error carries that request
 * as `partial` so the server can still answer it (§8.2.6); a malformed
 * response is marked kind 'response' and is to be dropped.
 */
import { CR, HTAB, LF, skipWs, SP, trimEnd } from './chars.ts';
import { SipParseError } from './errors.ts';
import { HeaderFieldsImpl } from './headers.ts';
import { SipRequest, SipResponse } from './message.ts';
import { commonSpelling, peerHeaderKey } from './names.ts';
import { parseStartLine, type StartLine } from './start-line.ts';
import { parseContentLength } from './values.ts';

export { SipParseError } from './errors.ts';
export { validateRequest, validateResponse, DEFAULT_MAX_FORWARDS, type RequestProblem, type ValidateOptions } from './validate.ts';

export interface ParseOptions {
  /** Largest message accepted; larger ones fail with SIP_TOO_LARGE (513). Default 65 535 (udp), 1 MiB (stream). */
  maxBytes?: number;
  /** Largest body accepted; larger ones fail with SIP_BODY_TOO_LARGE (413). Default: maxBytes only. */
  maxBodyBytes?: number;
  /**
   * 'udp' (default): datagram rules of RFC 3261 §18.3 — no Content-Length
   * means "the rest of the datagram", a smaller one truncates, a larger one
   * is an error. 'stream': the transport framed one message; Content-Length
   * is required when there is a body.
   */
  transport?: 'udp' | 'stream';
  /**
   * Copy the bytes instead of keeping views into `buf` (raw, body). Default:
   * false for udp (each datagram is a fresh Buffer), true for stream (framers
   * reuse their buffers).
   */
  copy?: boolean;
}

export const DEFAULT_MAX_DATAGRAM_BYTES = 65_535;
export const DEFAULT_MAX_STREAM_BYTES = 1 << 20;

const EMPTY_LINE = Buffer.from('\r\n\r\n');

/**
 * Buffer#toString('utf8', a, b) without its argument handling: Node's own
 * utf8Slice, when present (it is on every Buffer since Node 0.x). Invalid
 * UTF-8 decodes to U+FFFD either way.
 */
type Utf8Sliceable = Buffer & { utf8Slice?: (start: number, end: number) => string };
function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const b = buf as Utf8Sliceable;
  return b.utf8Slice !== undefined ? b.utf8Slice(start, end) : buf.toString('utf8', start, end);
}

/**
 * Header lines read from the header section; the first problem found is
 * kept, scanning goes on. Values stay in `head` as [start, end) spans;
 * `values[i]` is set only for folded lines.
 */
interface HeaderScan {
  names: string[];
  keys: string[];
  values: Array<string | undefined>;
  spans: number[];
  head: string;
  error: SipParseError | undefined;
}

function valueOf(scan: HeaderScan, i: number): string {
  return scan.values[i] ?? scan.head.slice(scan.spans[2 * i], scan.spans[2 * i + 1]);
}

function headersOf(scan: HeaderScan): HeaderFieldsImpl {
  return new HeaderFieldsImpl(scan.names, scan.keys, scan.values, scan.head, scan.spans);
}

function headerError(reason: string, detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason, detail });
}

function framingError(detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_FRAMING', status: 400, reason: 'Malformed message framing', detail });
}

/**
 * Split head (the header lines after the start line, each ending CRLF) into
 * lines. A malformed line is skipped — with the continuation lines that
 * follow it — so the rest can still serve a partial request.
 */
export function scanHeaders(head: string, pos: number): HeaderScan {
  const names: string[] = [];
  const keys: string[] = [];
  const values: Array<string | undefined> = [];
  const spans: number[] = [];
  let error: SipParseError | undefined;
  let skipping = false;
  while (pos < head.length) {
    const nl = head.indexOf('\n', pos);
    const lineEnd = nl - 1;
    if (nl < 0 || head.charCodeAt(lineEnd) !== CR || head.indexOf('\r', pos) !== lineEnd) {
      // A bare CR or LF: RFC 3261 §7 lines end in CRLF, and quoted-pair excludes both.
      error ??= framingError('bare CR or LF in the header section');
      if (nl < 0) break;
      pos = nl + 1;
      skipping = true;
      continue;
    }
    const c0 = head.charCodeAt(pos);
    if (c0 === SP || c0 === HTAB) {
      // Continuation line (LWS = [*WSP CRLF] 1*WSP): joins the previous value with one SP (§7.3.1).
      if (names.length === 0 && !skipping) error ??= headerError('Malformed header line', 'continuation line before the first header');
      if (!skipping && names.length > 0) {
        const from = skipWs(head, pos);
        const more = head.slice(from, trimEnd(head, from, lineEnd));
        const last = names.length - 1;
        const prev = values[last] ?? head.slice(spans[2 * last], spans[2 * last + 1]);
        if (more.length > 0) values[last] = prev.length === 0 ? more : `${prev} ${more}`;
      }
      pos = nl + 1;
      continue;
    }
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > lineEnd || colon === pos) {
      error ??= headerError('Malformed header line', colon === pos ? 'empty header name' : 'no colon');
      skipping = true;
      pos = nl + 1;
      continue;
    }
    // HCOLON = *( SP / HTAB ) ":" SWS. The common "Name: value" shape takes no loops.
    let c = head.charCodeAt(colon - 1);
    const nameEnd = c === SP || c === HTAB ? trimEnd(head, pos, colon) : colon;
    let name: string;
    let key: string | undefined;
    const common = commonSpelling(head, pos, nameEnd);
    if (common !== undefined) {
      name = common.name;
      key = common.key;
    } else {
      name = head.slice(pos, nameEnd);
      key = peerHeaderKey(name);
      if (key === undefined) {
        error ??= headerError('Malformed header line', 'header name is not a token');
        skipping = true;
        pos = nl + 1;
        continue;
      }
    }
    skipping = false;
    let from = colon + 1;
    c = head.charCodeAt(from);
    if (c === SP) c = head.charCodeAt(++from);
    if (c === SP || c === HTAB) from = skipWs(head, from);
    let to = lineEnd;
    if (to > from) {
      c = head.charCodeAt(to - 1);
      if (c === SP || c === HTAB) to = trimEnd(head, from, to);
    }
    names.push(name);
    keys.push(key);
    spans.push(from, to > from ? to : from);
    pos = nl + 1;
  }
  return { names, keys, values, spans, head, error };
}

function has(keys: readonly string[], key: string): boolean {
  return keys.indexOf(key) >= 0;
}

/** The request as far as read, when it carries what a response needs (§8.2.6.2). */
function partialRequest(line: StartLine, scan: HeaderScan): SipRequest | undefined {
  if (line.kind !== 'request') return undefined;
  const k = scan.keys;
  if (!(has(k, 'via') && has(k, 'from') && has(k, 'to') && has(k, 'call-id') && has(k, 'cseq'))) return undefined;
  return new SipRequest({
    method: line.method ?? '',
    uri: line.uri ?? '',
    version: line.version ?? 'SIP/2.0',
    headers: headersOf(scan),
    trusted: true,
  });
}

function fail(err: SipParseError, line: StartLine, scan: HeaderScan | undefined): never {
  err.kind ??= line.kind;
  if (scan !== undefined) err.partial = partialRequest(line, scan);
  throw err;
}

/** Content-Length from the header lines: -2 absent, -1 malformed or conflicting (RFC 4475 §3.1.2.3, §3.3.9). */
function contentLengthOf(scan: HeaderScan): number {
  let length = -2;
  const keys = scan.keys;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== 'content-length') continue;
    const n = parseContentLength(valueOf(scan, i));
    if (n < 0 || (length >= 0 && n !== length)) return -1;
    length = n;
  }
  return length;
}

/** Parse one SIP message. Throws SipParseError only. */
export function parseMessage(input: Buffer, opts?: ParseOptions): SipRequest | SipResponse {
  const stream = opts?.transport === 'stream';
  const maxBytes = opts?.maxBytes ?? (stream ? DEFAULT_MAX_STREAM_BYTES : DEFAULT_MAX_DATAGRAM_BYTES);
  const buf = (opts?.copy ?? stream) ? Buffer.from(input) : input;
  const len = buf.length;
  // §7.5: CRLFs before the start line are ignored (keep-alives, stream resynchronisation).
  let start = 0;
  while (start + 1 < len && buf[start] === CR && buf[start + 1] === LF) start += 2;
  if (start >= len) throw new SipParseError({ code: 'SIP_EMPTY_MESSAGE', status: 400, reason: 'Empty message' });

  const blank = buf.indexOf(EMPTY_LINE, start);
  // Without the empty line the header section runs to the last CRLF: read it for a partial request.
  const lastCrlf = blank >= 0 ? blank : buf.lastIndexOf('\r\n');
  const headEnd = lastCrlf >= start ? lastCrlf + 2 : -1;
  const headFits = headEnd > start && headEnd - start <= maxBytes;
  // One decode for start line and headers; an oversized or unterminated one only for its first line.
  const head = decodeUtf8(buf, start, headFits ? headEnd : Math.min(len, start + 8192));
  const firstLf = head.indexOf('\n');
  const startLineEnd = firstLf < 0 ? head.length : firstLf > 0 && head.charCodeAt(firstLf - 1) === CR ? firstLf - 1 : firstLf;
  const line = parseStartLine(head.slice(0, startLineEnd));
  if (line.error !== undefined && line.kind === undefined) throw line.error;

  let scan: HeaderScan | undefined;
  if (headFits && firstLf >= 0) scan = scanHeaders(head, firstLf + 1);
  if (line.error !== undefined) fail(line.error, line, scan);
  if (firstLf < 0 || startLineEnd === firstLf) fail(framingError('start line not ended by CRLF'), line, scan);
  if (blank < 0) {
    if (len - start > maxBytes) fail(tooLarge(maxBytes), line, scan);
    fail(framingError('no empty line ends the header section (RFC 3261 §7)'), line, scan);
  }
  if (scan === undefined) fail(tooLarge(maxBytes), line, undefined);
  if (scan.error !== undefined) fail(scan.error, line, scan);

  const bodyStart = blank + 4;
  const available = len - bodyStart;
  const declared = contentLengthOf(scan);
  let bodyLength: number;
  if (declared === -1) {
    fail(new SipParseError({ code: 'SIP_BAD_CONTENT_LENGTH', status: 400, reason: 'Bad Content-Length', detail: 'not a non-negative integer, or repeated with different values', header: 'content-length' }), line, scan);
  } else if (declared === -2) {
    // §18.3: over a datagram the body is the rest; a stream needs Content-Length to know.
    if (stream && available > 0) fail(new SipParseError({ code: 'SIP_MISSING_HEADER', status: 400, reason: 'Missing Content-Length', header: 'content-length' }), line, scan);
    bodyLength = stream ? 0 : available;
  } else {
    if (declared > available) {
      // §18.3: a datagram shorter than Content-Length is an error (RFC 4475 §3.1.2.2).
      fail(new SipParseError({ code: 'SIP_BAD_CONTENT_LENGTH', status: 400, reason: stream ? 'Incomplete message body' : 'Content-Length exceeds message size', header: 'content-length' }), line, scan);
    }
    bodyLength = declared; // a smaller one truncates: the rest is not part of the message
  }
  const end = bodyStart + bodyLength;
  if (end - start > maxBytes) fail(tooLarge(maxBytes), line, scan);
  if (opts?.maxBodyBytes !== undefined && bodyLength > opts.maxBodyBytes) {
    fail(new SipParseError({ code: 'SIP_BODY_TOO_LARGE', status: 413, reason: 'Request Entity Too Large', detail: `body of ${bodyLength} bytes` }), line, scan);
  }

  const headers = headersOf(scan);
  const body = buf.subarray(bodyStart, end);
  const raw = start === 0 && end === len ? buf : buf.subarray(start, end);
  if (line.kind === 'request') {
    return new SipRequest({ method: line.method!, uri: line.uri!, version: line.version!, headers, body, raw, trusted: true });
  }
  return new SipResponse({ status: line.status, reason: line.reason, version: line.version!, headers, body, raw, trusted: true });
}

function tooLarge(maxBytes: number): SipParseError {
  return new SipParseError({ code: 'SIP_TOO_LARGE', status: 513, reason: 'Message Too Large', detail: `over ${maxBytes} bytes` });
}
