/** The SIP message layer's public surface (RFC 3261 §7, §19, §20, §25). */
export * from './types.ts';
export { SipMessage, SipRequest, SipResponse, createRequest, createResponse } from './message.ts';
export type { HeaderField, HeaderFields, HeaderInit, SipRequestInit, SipResponseInit, CreateRequestInit, CreateResponseOptions } from './message.ts';
export { parseMessage, DEFAULT_MAX_DATAGRAM_BYTES, DEFAULT_MAX_STREAM_BYTES, type ParseOptions } from './parser.ts';
export { validateRequest, validateResponse, DEFAULT_MAX_FORWARDS, type RequestProblem, type ValidateOptions } from './validate.ts';
export { SipParseError, SipMessageError, type SipParseErrorCode, type SipMessageErrorCode, type SipMessageKind } from './errors.ts';
export { parseUri, formatUri, uriScheme, SUPPORTED_URI_SCHEMES } from './uri.ts';
export { parseNameAddr, formatNameAddr } from './name-addr.ts';
export { parseVia, formatVia } from './via.ts';
export { parseCSeq } from './values.ts';
export { quote, unquote } from './scan.ts';
export { COMPACT_FORMS } from './names.ts';
export { REASON_PHRASES, defaultReason } from './reasons.ts';
