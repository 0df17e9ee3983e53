/**
 * Cuts a byte stream (TCP now; TLS later) into SIP messages, RFC 3261 §18.3:
 *
 * - CRLFs before a start line are skipped (§7.5); a double CRLF between
 *   messages is an RFC 5626 §4.4.1 keep-alive ping, to be answered with a
 *   single CRLF pong by the transport.
 * - The header section ends at the first CRLFCRLF.
 * - Content-Length (compact form `l`, §7.3.3) is mandatory on streams
 *   (§18.3, §20.14); the body is exactly that many bytes.
 * - A message (header section + body) larger than maxMessageBytes is an error.
 *
 * An 'error' item means framing is lost: nothing after it can be trusted,
 * the connection must be closed, and the framer yields nothing more.
 *
 * Cost: each byte is searched for CRLFCRLF once (a scan offset survives
 * partial pushes, so a slow drip is linear, not quadratic); a message that
 * arrives inside one chunk is returned as a view of that chunk (Node hands
 * each read its own right-sized buffer, so the view holds nothing extra);
 * only a message split across chunks is copied, into a buffer of its own.
 */

export type FramedItem =
  | { readonly kind: 'message'; readonly data: Buffer }
  | { readonly kind: 'keepalive-ping' }
  | { readonly kind: 'error'; readonly reason: string };

export interface StreamFramerOptions {
  /** Largest message (header section + body) accepted. Default 65,535. */
  maxMessageBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const CRLF = Buffer.from('\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const HYPHEN_AT = 7;

const PING: FramedItem = Object.freeze({ kind: 'keepalive-ping' });
const NOTHING: readonly FramedItem[] = Object.freeze([]);

/**
 * Where the framer is, between pushes:
 * - idle: between messages, skipping CRLFs (counting them for pings);
 * - headers: inside a header section, searching for CRLFCRLF;
 * - body: header section parsed, waiting for `messageLength` bytes;
 * - failed: framing lost, terminal.
 */
type Phase = 'idle' | 'headers' | 'body' | 'failed';

export class StreamFramer {
  private readonly max: number;
  private phase: Phase = 'idle';
  /** idle: how many bytes of "\r\n\r\n" have been seen in a row (0..3). */
  private crlfRun = 0;
  /** headers: bytes of the current message already searched for CRLFCRLF. */
  private scanned = 0;
  /** body: length of the current message, header section included. */
  private messageLength = 0;
  /** Bytes of a partial message, from its first byte (leading CRLFs are never kept). */
  private pending: Buffer | undefined;
  private pendingLength = 0;

  constructor(options: StreamFramerOptions = {}) {
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 16) throw new RangeError(`maxMessageBytes must be an integer >= 16, got ${max}`);
    this.max = max;
  }

  /** Bytes held for a message not yet complete. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** true once an 'error' item was returned. */
  get failed(): boolean {
    return this.phase === 'failed';
  }

  /**
   * Feed the next chunk of the stream. Returns what completed, in order.
   * The chunk must not be modified afterwards: returned messages may be views of it.
   */
  push(chunk: Buffer): readonly FramedItem[] {
    if (this.phase === 'failed' || chunk.length === 0) return NOTHING;

    let buf: Buffer;
    const fromChunk = this.pendingLength === 0;
    if (fromChunk) {
      buf = chunk;
    } else {
      this.append(chunk);
      // A view bounded to the live bytes: indexOf must not search stale capacity.
      buf = (this.pending as Buffer).subarray(0, this.pendingLength);
    }
    const len = buf.length;

    let out: FramedItem[] | undefined;
    let pos = 0; // first byte not yet consumed; the current message starts here

    while (pos < len) {
      if (this.phase === 'idle') {
        pos = this.skipCrlfs(buf, pos);
        if (this.crlfRun === 4) {
          this.crlfRun = 0;
          (out ??= []).push(PING);
          continue;
        }
        if (pos === len) break;
        // A start line begins. RFC 3261 §7.5: CRLFs before it are ignored.
        this.crlfRun = 0;
        this.phase = 'headers';
        this.scanned = 0;
      }

      if (this.phase === 'headers') {
        // Re-search only the last 3 bytes already seen: a CRLFCRLF may straddle pushes.
        const from = pos + (this.scanned > 3 ? this.scanned - 3 : 0);
        const end = buf.indexOf(CRLFCRLF, from);
        if (end === -1) {
          const have = len - pos;
          // Any CRLFCRLF still to come would end past max.
          if (have >= this.max) return this.fail(out, `header section larger than ${this.max} bytes`);
          this.scanned = have;
          break;
        }
        const headerLength = end + 4 - pos;
        if (headerLength > this.max) return this.fail(out, `header section larger than ${this.max} bytes`);
        const bodyLength = contentLength(buf, pos, end);
        if (typeof bodyLength === 'string') return this.fail(out, bodyLength);
        if (headerLength + bodyLength > this.max) {
          return this.fail(out, `message of ${headerLength + bodyLength} bytes larger than ${this.max}`);
        }
        this.messageLength = headerLength + bodyLength;
        this.phase = 'body';
      }

      // phase === 'body'
      if (len - pos < this.messageLength) break;
      const endOfMessage = pos + this.messageLength;
      // A view of the caller's chunk is safe to hand out; the pending buffer is reused, so copy from it.
      const data = fromChunk ? buf.subarray(pos, endOfMessage) : Buffer.from(buf.subarray(pos, endOfMessage));
      (out ??= []).push({ kind: 'message', data });
      pos = endOfMessage;
      this.phase = 'idle';
    }

    this.keep(buf, pos, fromChunk);
    return out ?? NOTHING;
  }

  /** Skips CR and LF, tracking "\r\n\r\n"; stops after a complete one so the caller can emit a ping. */
  private skipCrlfs(buf: Buffer, pos: number): number {
    const len = buf.length;
    while (pos < len) {
      const b = buf[pos];
      if (b === CR) {
        this.crlfRun = this.crlfRun === 0 || this.crlfRun === 2 ? this.crlfRun + 1 : 1;
      } else if (b === LF) {
        this.crlfRun = this.crlfRun === 1 || this.crlfRun === 3 ? this.crlfRun + 1 : 0;
        if (this.crlfRun === 4) return pos + 1;
      } else {
        return pos;
      }
      pos++;
    }
    return pos;
  }

  /** Keeps buf[pos..] (the start of an incomplete message) for the next push. */
  private keep(buf: Buffer, pos: number, fromChunk: boolean): void {
    const rest = buf.length - pos;
    if (rest === 0) {
      // Drop the buffer: an idle connection should hold no memory, and most messages arrive whole.
      this.pending = undefined;
      this.pendingLength = 0;
      return;
    }
    if (fromChunk) {
      this.pendingLength = 0;
      this.ensureCapacity(rest);
      buf.copy(this.pending as Buffer, 0, pos);
    } else if (pos > 0) {
      (this.pending as Buffer).copyWithin(0, pos, buf.length);
    }
    this.pendingLength = rest;
  }

  private append(chunk: Buffer): void {
    this.ensureCapacity(this.pendingLength + chunk.length);
    chunk.copy(this.pending as Buffer, this.pendingLength);
    this.pendingLength += chunk.length;
  }

  /** Grows the pending buffer by doubling (linear total copying on a slow drip). */
  private ensureCapacity(needed: number): void {
    const current = this.pending;
    if (current !== undefined && current.length >= needed) return;
    let size = current === undefined ? 2048 : current.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    if (current !== undefined && this.pendingLength > 0) current.copy(next, 0, 0, this.pendingLength);
    this.pending = next;
  }

  private fail(out: FramedItem[] | undefined, reason: string): readonly FramedItem[] {
    this.phase = 'failed';
    this.pending = undefined;
    this.pendingLength = 0;
    (out ??= []).push({ kind: 'error', reason });
    return out;
  }
}

/**
 * The Content-Length of the header section buf[start..end) (`end` is where its
 * final CRLFCRLF starts), or the reason it is unusable. Only header names are
 * looked at, byte by byte; a string is built for the Content-Length value alone.
 *
 * RFC 3261 §7.3.1: HCOLON allows SP/HT before the colon; a line starting with
 * SP/HT continues the previous header (folding), and folding equals one SP.
 * Two Content-Length headers that disagree make the framing ambiguous (the
 * classic request-smuggling shape), so that is an error too.
 */
function contentLength(buf: Buffer, start: number, end: number): number | string {
  let found: number | undefined;
  let value: string | undefined; // the value being collected, while inside a Content-Length header
  // Header lines start after the start line.
  let lineEnd = buf.indexOf(CRLF, start);
  while (lineEnd < end) {
    const lineStart = lineEnd + 2;
    lineEnd = buf.indexOf(CRLF, lineStart);
    const first = buf[lineStart];
    if (first === SP || first === HT) {
      if (value !== undefined) value += ' ' + buf.toString('latin1', lineStart, lineEnd);
      continue;
    }
    if (value !== undefined) {
      const result = settle(value, found);
      if (typeof result === 'string') return result;
      found = result;
      value = undefined;
    }
    const colon = isContentLengthName(buf, lineStart, lineEnd);
    if (colon !== -1) value = buf.toString('latin1', colon + 1, lineEnd);
  }
  if (value !== undefined) {
    const result = settle(value, found);
    if (typeof result === 'string') return result;
    found = result;
  }
  return found ?? 'missing Content-Length (mandatory on stream transports, RFC 3261 §18.3)';
}

/** Parses one Content-Length value and checks it against an earlier one. */
function settle(raw: string, earlier: number | undefined): number | string {
  const text = raw.trim();
  if (!/^[0-9]{1,10}$/.test(text)) return `bad Content-Length "${text.slice(0, 32)}"`;
  const n = Number(text);
  if (earlier !== undefined && earlier !== n) return `conflicting Content-Length values ${earlier} and ${n}`;
  return n;
}

/** If buf[lineStart..lineEnd) is a Content-Length (or `l`) header, the index of its colon; else -1. */
function isContentLengthName(buf: Buffer, lineStart: number, lineEnd: number): number {
  const first = (buf[lineStart] ?? 0) | 0x20; // ASCII lower-case (exact for letters)
  if (first !== 0x63 /* c */ && first !== 0x6c /* l */) return -1;
  const colon = buf.indexOf(COLON, lineStart);
  if (colon === -1 || colon > lineEnd) return -1;
  let nameEnd = colon;
  while (nameEnd > lineStart && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HT)) nameEnd--;
  const nameLength = nameEnd - lineStart;
  if (nameLength === 1) return first === 0x6c ? colon : -1;
  if (nameLength !== CONTENT_LENGTH.length) return -1;
  for (let i = 0; i < nameLength; i++) {
    const b = buf[lineStart + i] ?? 0;
    // `| 0x20` lower-cases letters but would also turn CR into '-': compare the hyphen exactly.
    if (i === HYPHEN_AT ? b !== 0x2d : (b | 0x20) !== CONTENT_LENGTH[i]) return -1;
  }
  return colon;
}
