/**
 * SIP requests and responses (RFC 3261 §7). The abstract API below is the
 * contract other layers code against.
 *
 * A parsed message keeps its raw bytes and its header lines as strings.
 * Structured values (Via, From, CSeq...) are parsed on first access and
 * cached until the header changes; treat what the accessors return as
 * read-only and change a message through `headers`, `body` and the start-line
 * properties. toBuffer() returns the received bytes untouched while nothing
 * changed, and otherwise rebuilds the message with a correct Content-Length.
 */
import { SipMessageError, SipParseError } from './errors.ts';
import { HeaderFieldsImpl, Slot } from './headers.ts';
import { parseNameAddr, parseNameAddrList } from './name-addr.ts';
import { splitList } from './scan.ts';
import { serialize } from './serializer.ts';
import type { CSeq, NameAddr, SipUri, Via } from './types.ts';
import { parseUri } from './uri.ts';
import { isToken } from './chars.ts';
import { parseCallId, parseContentLength, parseCSeq, parseMaxForwards } from './values.ts';
import { parseTopVia, parseViaList } from './via.ts';

/** A header line as read or set: the name as written and its raw value (unfolded). */
export interface HeaderField {
  name: string;
  value: string;
}

export abstract class SipMessage {
  /** Header lines in order. Names keep their spelling; lookups are case-insensitive and understand compact forms (RFC 3261 §7.3.3). */
  abstract readonly headers: HeaderFields;
  abstract body: Buffer;
  /** The bytes as received (undefined for messages built locally). */
  abstract readonly raw: Buffer | undefined;

  abstract via(): Via[];
  abstract topVia(): Via | undefined;
  abstract from(): NameAddr;
  abstract to(): NameAddr;
  abstract callId(): string;
  abstract cseq(): CSeq;
  /** Contact header(s); '*' for a REGISTER removing all bindings. Empty array when absent. */
  abstract contact(): NameAddr[] | '*';
  abstract recordRoute(): NameAddr[];
  abstract route(): NameAddr[];
  abstract maxForwards(): number | undefined;
  /** Tokens of a comma-separated token header (Require, Supported, Allow...), lower-cased. */
  abstract tokens(name: string): string[];
  abstract toBuffer(): Buffer;
}

/** Case-insensitive, compact-form-aware, ordered header storage. */
export interface HeaderFields {
  /** First value of a header (raw string), or undefined. */
  get(name: string): string | undefined;
  /** All values: every line's value split at top-level commas (outside quotes and <>), except for headers that may not be split (WWW-Authenticate, Authorization, Date...). */
  getAll(name: string): string[];
  has(name: string): boolean;
  /** Replace every line of this header with one line per value. */
  set(name: string, value: string | string[]): void;
  /** Add a line at the end (or at the top with `prepend`, e.g. a new Via or Record-Route). */
  append(name: string, value: string, opts?: { prepend?: boolean }): void;
  remove(name: string): void;
  /** Lines in order. */
  fields(): readonly HeaderField[];
}

/** Headers a message may be built from: (name, value) pairs, or storage taken over as is. */
export type HeaderInit = HeaderFieldsImpl | Iterable<readonly [string, string]>;

function toHeaders(init: HeaderInit | undefined): HeaderFieldsImpl {
  if (init === undefined) return new HeaderFieldsImpl();
  return init instanceof HeaderFieldsImpl ? init : HeaderFieldsImpl.from(init);
}

function missing(name: string): SipParseError {
  return new SipParseError({ code: 'SIP_MISSING_HEADER', status: 400, reason: `Missing ${name}`, header: name.toLowerCase() });
}

// Computations cached per header version (module functions: no closure per message).
const viaAll = (h: HeaderFieldsImpl): Via[] => parseViaList(h.lines('via'));
const viaTop = (h: HeaderFieldsImpl): Via | undefined => {
  const line = h.first('via');
  return line === undefined ? undefined : parseTopVia(line);
};
const fromOf = (h: HeaderFieldsImpl): NameAddr => {
  const v = h.first('from');
  if (v === undefined) throw missing('From');
  return parseNameAddr(v, 'From');
};
const toOf = (h: HeaderFieldsImpl): NameAddr => {
  const v = h.first('to');
  if (v === undefined) throw missing('To');
  return parseNameAddr(v, 'To');
};
const callIdOf = (h: HeaderFieldsImpl): string => {
  const v = h.first('call-id');
  if (v === undefined) throw missing('Call-ID');
  return parseCallId(v);
};
const cseqOf = (h: HeaderFieldsImpl): CSeq => {
  const v = h.first('cseq');
  if (v === undefined) throw missing('CSeq');
  return parseCSeq(v);
};
const maxForwardsOf = (h: HeaderFieldsImpl): number | undefined => {
  const v = h.first('max-forwards');
  return v === undefined ? undefined : parseMaxForwards(v);
};
/** Contact: "*" (only alone, RFC 3261 §10.2.2) or a list of addresses. */
const contactOf = (h: HeaderFieldsImpl): NameAddr[] | '*' => {
  const lines = h.lines('contact');
  if (lines.length === 1 && lines[0] === '*') return '*';
  for (const line of lines) {
    if (splitList(line).includes('*')) {
      throw new SipParseError({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Bad Contact header', detail: "'*' must be the only Contact", header: 'contact' });
    }
  }
  return parseNameAddrList(lines, 'Contact');
};
const routeOf = (h: HeaderFieldsImpl): NameAddr[] => parseNameAddrList(h.lines('route'), 'Route');
const recordRouteOf = (h: HeaderFieldsImpl): NameAddr[] => parseNameAddrList(h.lines('record-route'), 'Record-Route');

/** Common to requests and responses: headers, body, raw bytes, accessors, serialization. */
abstract class MessageCore extends SipMessage {
  readonly headers: HeaderFieldsImpl;
  private bodyBytes: Buffer;
  private readonly rawBytes: Buffer | undefined;
  /** The headers.revision the raw bytes describe; -1 once the start line or the body changed. */
  private rawRevision: number;
  private built: Buffer | undefined;
  private builtRevision = -1;

  constructor(headers: HeaderInit | undefined, body: Buffer | undefined, raw: Buffer | undefined) {
    super();
    this.headers = toHeaders(headers);
    this.bodyBytes = body ?? Buffer.alloc(0);
    this.rawBytes = raw;
    this.rawRevision = raw === undefined ? -1 : this.headers.revision;
  }

  get body(): Buffer {
    return this.bodyBytes;
  }

  /** Replacing the body keeps an existing Content-Length header truthful. */
  set body(value: Buffer) {
    this.bodyBytes = value;
    if (this.headers.has('content-length')) this.headers.set('Content-Length', String(value.length));
    this.touch();
  }

  get raw(): Buffer | undefined {
    return this.rawBytes;
  }

  /** The start line without CRLF. */
  protected abstract startLine(): string;

  /** The start line or body changed: raw bytes and any earlier serialization are stale. */
  protected touch(): void {
    this.rawRevision = -1;
    this.built = undefined;
  }

  via(): Via[] {
    return this.headers.cached(Slot.via, viaAll);
  }

  topVia(): Via | undefined {
    return this.headers.cached(Slot.topVia, viaTop);
  }

  from(): NameAddr {
    return this.headers.cached(Slot.from, fromOf);
  }

  to(): NameAddr {
    return this.headers.cached(Slot.to, toOf);
  }

  callId(): string {
    return this.headers.cached(Slot.callId, callIdOf);
  }

  cseq(): CSeq {
    return this.headers.cached(Slot.cseq, cseqOf);
  }

  contact(): NameAddr[] | '*' {
    return this.headers.cached(Slot.contact, contactOf);
  }

  recordRoute(): NameAddr[] {
    return this.headers.cached(Slot.recordRoute, recordRouteOf);
  }

  route(): NameAddr[] {
    return this.headers.cached(Slot.route, routeOf);
  }

  /** undefined when absent; the server core treats that as 70 (RFC 3261 §8.1.1.6, RFC 4475 §3.4.1). */
  maxForwards(): number | undefined {
    return this.headers.cached(Slot.maxForwards, maxForwardsOf);
  }

  tokens(name: string): string[] {
    return this.headers.getAll(name).map((t) => t.toLowerCase());
  }

  /** Content-Length header value; undefined when absent. Throws SipParseError when malformed. */
  contentLength(): number | undefined {
    const v = this.headers.first('content-length');
    if (v === undefined) return undefined;
    const n = parseContentLength(v);
    if (n < 0) throw new SipParseError({ code: 'SIP_BAD_CONTENT_LENGTH', status: 400, reason: 'Bad Content-Length', header: 'content-length' });
    return n;
  }

  toBuffer(): Buffer {
    const revision = this.headers.revision;
    if (this.rawBytes !== undefined && this.rawRevision === revision) return this.rawBytes;
    if (this.built !== undefined && this.builtRevision === revision) return this.built;
    this.built = serialize(this.startLine(), this.headers, this.bodyBytes);
    this.builtRevision = revision;
    return this.built;
  }
}

const VERSION_RE = /^SIP\/\d{1,3}\.\d{1,3}$/i;

function checkVersion(version: string): string {
  if (!VERSION_RE.test(version)) throw new SipMessageError('SIP_INVALID_VERSION', `bad SIP-Version "${version}"`);
  return version;
}

/** Request-URI text for a start line: non-empty, no whitespace or control characters. */
function checkUri(uri: string): string {
  if (uri.length === 0 || /[\x00-\x20\x7f]/.test(uri)) throw new SipMessageError('SIP_INVALID_URI', 'Request-URI empty or containing whitespace');
  return uri;
}

function checkMethod(method: string): string {
  if (!isToken(method)) throw new SipMessageError('SIP_INVALID_METHOD', `method "${method}" is not a token`);
  return method;
}

export interface SipRequestInit {
  method: string;
  uri: string;
  /** Default "SIP/2.0". */
  version?: string;
  headers?: HeaderInit;
  body?: Buffer;
  raw?: Buffer;
  /** Internal (parser): parts already validated, or a partial request kept as read. */
  trusted?: boolean;
}

export class SipRequest extends MessageCore {
  private methodText: string;
  private uriText: string;
  private versionText: string;
  private parsedUri: SipUri | undefined;

  constructor(init: SipRequestInit) {
    super(init.headers, init.body, init.raw);
    const trusted = init.trusted === true;
    this.methodText = trusted ? init.method : checkMethod(init.method);
    this.uriText = trusted ? init.uri : checkUri(init.uri);
    this.versionText = trusted ? (init.version ?? 'SIP/2.0') : checkVersion(init.version ?? 'SIP/2.0');
  }

  /** Case-sensitive (RFC 3261 §7.1): "invite" is an extension method, not INVITE. */
  get method(): string {
    return this.methodText;
  }

  set method(value: string) {
    this.methodText = checkMethod(value);
    this.touch();
  }

  /** The Request-URI as written. */
  get uri(): string {
    return this.uriText;
  }

  set uri(value: string) {
    this.uriText = checkUri(value);
    this.parsedUri = undefined;
    this.touch();
  }

  get version(): string {
    return this.versionText;
  }

  set version(value: string) {
    this.versionText = checkVersion(value);
    this.touch();
  }

  /**
   * The Request-URI parsed. Throws SipParseError: SIP_UNSUPPORTED_URI_SCHEME
   * (416, RFC 3261 §8.2.2.1) or SIP_BAD_URI with reason "Bad Request-URI".
   */
  requestUri(): SipUri {
    if (this.parsedUri !== undefined) return this.parsedUri;
    try {
      this.parsedUri = parseUri(this.uriText);
    } catch (err) {
      if (err instanceof SipParseError && err.code === 'SIP_BAD_URI') {
        throw new SipParseError({ code: 'SIP_BAD_URI', status: 400, reason: 'Bad Request-URI', detail: err.message });
      }
      throw err;
    }
    return this.parsedUri;
  }

  protected startLine(): string {
    return `${this.methodText} ${this.uriText} ${this.versionText}`;
  }
}

export interface SipResponseInit {
  status: number;
  reason: string;
  version?: string;
  headers?: HeaderInit;
  body?: Buffer;
  raw?: Buffer;
  trusted?: boolean;
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new SipMessageError('SIP_INVALID_STATUS', `status ${status} outside 100-699`);
  return status;
}

/** Reason-Phrase: anything but CR and LF (RFC 3261 §25.1; UTF-8 allowed). */
function checkReason(reason: string): string {
  if (reason.indexOf('\r') >= 0 || reason.indexOf('\n') >= 0) throw new SipMessageError('SIP_INVALID_REASON', 'CR or LF in reason phrase');
  return reason;
}

export class SipResponse extends MessageCore {
  private statusCode: number;
  private reasonText: string;
  private versionText: string;

  constructor(init: SipResponseInit) {
    super(init.headers, init.body, init.raw);
    const trusted = init.trusted === true;
    this.statusCode = trusted ? init.status : checkStatus(init.status);
    this.reasonText = trusted ? init.reason : checkReason(init.reason);
    this.versionText = trusted ? (init.version ?? 'SIP/2.0') : checkVersion(init.version ?? 'SIP/2.0');
  }

  get status(): number {
    return this.statusCode;
  }

  set status(value: number) {
    this.statusCode = checkStatus(value);
    this.touch();
  }

  /** Reason-Phrase as received (may be empty or UTF-8, RFC 4475 §3.1.1.12-13). */
  get reason(): string {
    return this.reasonText;
  }

  set reason(value: string) {
    this.reasonText = checkReason(value);
    this.touch();
  }

  get version(): string {
    return this.versionText;
  }

  set version(value: string) {
    this.versionText = checkVersion(value);
    this.touch();
  }

  protected startLine(): string {
    return `${this.versionText} ${this.statusCode} ${this.reasonText}`;
  }
}

// Builders live in their own file; other layers import them from here.
export { createRequest, createResponse, type CreateRequestInit, type CreateResponseOptions } from './builders.ts';
