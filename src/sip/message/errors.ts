/**
 * Typed errors of the SIP message layer.
 *
 * SipParseError: the bytes (or a header value) are not valid SIP. It carries
 * the status a UAS answers with (RFC 3261 §8.2.6, §21.4) and a short reason
 * phrase naming the defect, so the server core maps it straight to a
 * response without inspecting messages itself.
 *
 * SipMessageError: a program (not a peer) tried to build or modify a message
 * with invalid parts — a CR/LF in a header value, a method that is not a
 * token. These are bugs in the caller, never answered on the wire.
 */
import type { SipRequest } from './message.ts';

export type SipParseErrorCode =
  /** Nothing but CRLFs (keep-alives are the transport's business, RFC 5626 §3.5.1). */
  | 'SIP_EMPTY_MESSAGE'
  /** Request-Line or Status-Line malformed (RFC 3261 §7.1, §7.2). */
  | 'SIP_BAD_START_LINE'
  /** SIP-Version not of the form SIP/x.y (§7.1; a well-formed but unsupported one is 505 in validateRequest). */
  | 'SIP_BAD_VERSION'
  /** Header section not closed by an empty line, or a bare CR/LF in it (§7, §7.5). */
  | 'SIP_BAD_FRAMING'
  /** A header line or a header value does not follow its grammar (§7.3, §25.1). */
  | 'SIP_BAD_HEADER'
  /** A mandatory header is absent (§8.1.1). */
  | 'SIP_MISSING_HEADER'
  /** A header that may appear once appears more than once (§7.3.1; RFC 4475 §3.3.8). */
  | 'SIP_DUPLICATE_HEADER'
  /** Content-Length malformed, repeated with different values, or larger than the datagram (§18.3, §20.14). */
  | 'SIP_BAD_CONTENT_LENGTH'
  /** Whole message larger than the configured limit: 513 (§21.5.10). */
  | 'SIP_TOO_LARGE'
  /** Body larger than the configured limit: 413 (§21.4.11). */
  | 'SIP_BODY_TOO_LARGE'
  /** A URI that does not follow RFC 3261 §19.1 / §25.1, RFC 3966 or RFC 5118. */
  | 'SIP_BAD_URI'
  /** A URI scheme other than sip, sips, tel: 416 for a Request-URI (§8.2.2.1). */
  | 'SIP_UNSUPPORTED_URI_SCHEME';

/** What the unparseable bytes looked like: a request gets an answer, a response is dropped (§18.1.2, §18.2.1). */
export type SipMessageKind = 'request' | 'response';

export interface SipParseErrorInit {
  code: SipParseErrorCode;
  /** Status to answer a request with. */
  status: number;
  /** Reason phrase for that answer: short, ASCII, never echoing peer bytes. */
  reason: string;
  /** Longer explanation for logs. */
  detail?: string;
  kind?: SipMessageKind;
  /** Canonical (lower-case, long form) name of the header at fault. */
  header?: string;
  partial?: SipRequest;
}

export class SipParseError extends Error {
  readonly code: SipParseErrorCode;
  readonly status: number;
  readonly reason: string;
  /** 'request' / 'response' when the start line said so; undefined when it was unrecognisable. */
  kind: SipMessageKind | undefined;
  readonly header: string | undefined;
  /**
   * For a request whose Via, From, To, Call-ID and CSeq lines were present:
   * the request as far as it could be read, enough for createResponse()
   * to build the error response (RFC 3261 §8.2.6). Its body is empty.
   */
  partial: SipRequest | undefined;

  constructor(init: SipParseErrorInit) {
    super(init.detail === undefined ? init.reason : `${init.reason}: ${init.detail}`);
    this.name = 'SipParseError';
    this.code = init.code;
    this.status = init.status;
    this.reason = init.reason;
    this.kind = init.kind;
    this.header = init.header;
    this.partial = init.partial;
  }
}

export type SipMessageErrorCode =
  | 'SIP_INVALID_METHOD'
  | 'SIP_INVALID_URI'
  | 'SIP_INVALID_VERSION'
  | 'SIP_INVALID_STATUS'
  | 'SIP_INVALID_REASON'
  | 'SIP_INVALID_HEADER_NAME'
  | 'SIP_INVALID_HEADER_VALUE';

export class SipMessageError extends Error {
  readonly code: SipMessageErrorCode;
  constructor(code: SipMessageErrorCode, message: string) {
    super(message);
    this.name = 'SipMessageError';
    this.code = code;
  }
}

/** A URI that does not follow its grammar: 400 (RFC 3261 §21.4.1). */
export function badUri(detail: string): SipParseError {
  return new SipParseError({ code: 'SIP_BAD_URI', status: 400, reason: 'Bad URI', detail });
}
