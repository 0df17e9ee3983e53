/**
 * Checks a UAS applies to a parsed request before processing it (RFC 3261
 * §8.2, §8.1.1, §8.2.2.1), and the matching checks for a response a UAC is
 * about to accept (§8.1.3). They read the headers the lazy parser left
 * alone, so a request that passed parseMessage can still fail here.
 *
 * Not decided here: Require/Proxy-Require (420), Max-Forwards reaching 0
 * (483), Content-Type (415), Accept (406), authentication — the server core
 * owns those. It reads req.tokens('require') and req.maxForwards().
 */
import { SipParseError } from './errors.ts';
import type { SipRequest, SipResponse } from './message.ts';

/** Max-Forwards to assume when a request has none (RFC 3261 §8.1.1.6; RFC 2543 peers, RFC 4475 §3.4.1). */
export const DEFAULT_MAX_FORWARDS = 70;

export interface RequestProblem {
  status: number;
  /** Reason phrase for the error response, naming the defect ("Missing Call-ID", "Bad CSeq header"). */
  reason: string;
}

export interface ValidateOptions {
  /**
   * Methods this element implements. When given, any other method is
   * answered 501 (§8.2.1) — before the CSeq method check, which makes RFC
   * 4475 §3.1.2.18 get the 501 it prefers. Leave it out in a proxy.
   */
  knownMethods?: readonly string[];
}

/** Mandatory in every request and response (§8.1.1); Max-Forwards is tolerated when absent. */
const MANDATORY: ReadonlyArray<readonly [key: string, name: string]> = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
];

/** Headers that must not repeat (RFC 4475 §3.3.8). Content-Length repeats are judged by the parser. */
const SINGLE: ReadonlyArray<readonly [key: string, name: string]> = [
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-type', 'Content-Type'],
];

type Message = SipRequest | SipResponse;

/** The problem a throwing accessor reports, or null; anything but SipParseError is a bug and propagates. */
function attempt(read: (m: Message) => unknown, m: Message): RequestProblem | null {
  try {
    read(m);
    return null;
  } catch (err) {
    if (err instanceof SipParseError) return { status: err.status, reason: err.reason };
    throw err;
  }
}

const READERS: ReadonlyArray<(m: Message) => unknown> = [
  (m) => m.via(),
  (m) => m.from(),
  (m) => m.to(),
  (m) => m.callId(),
  (m) => m.cseq(),
  (m) => m.maxForwards(),
  (m) => m.contact(),
  (m) => m.route(),
  (m) => m.recordRoute(),
  (m) => m.contentLength(),
];

/** Shared by requests and responses: version, presence, uniqueness, grammar of the core headers. */
function checkCommon(m: Message): RequestProblem | null {
  // §7.1, §21.5.6: a SIP/2.0 element answers other versions 505 (RFC 4475 §3.1.2.16).
  if (m.version.toUpperCase() !== 'SIP/2.0') return { status: 505, reason: 'Version Not Supported' };
  const h = m.headers;
  const absent = MANDATORY.filter(([key]) => h.indexOf(key) < 0).map(([, name]) => name);
  if (absent.length > 0) return { status: 400, reason: `Missing ${absent.join(', ')}` };
  for (const [key, name] of SINGLE) {
    if (h.countOf(key) > 1) return { status: 400, reason: `Multiple ${name} headers` };
  }
  for (const read of READERS) {
    const problem = attempt(read, m);
    if (problem !== null) return problem;
  }
  const length = m.contentLength();
  if (length !== undefined && length !== m.body.length) return { status: 400, reason: 'Bad Content-Length' };
  return null;
}

/**
 * null when the request may be processed, else the status and reason to
 * answer with. Never throws for anything a peer can send.
 */
export function validateRequest(req: SipRequest, opts?: ValidateOptions): RequestProblem | null {
  const common = checkCommon(req);
  if (common !== null) return common;
  let hasHeaders = false;
  try {
    hasHeaders = req.requestUri().headers.size > 0;
  } catch (err) {
    // 416 for an unknown scheme (§8.2.2.1, RFC 4475 §3.3.2), 400 for a malformed URI (RFC 5118 §4.6).
    if (err instanceof SipParseError) return { status: err.status, reason: err.reason };
    throw err;
  }
  // §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (hasHeaders) return { status: 400, reason: 'Headers not allowed in Request-URI' };
  if (opts?.knownMethods !== undefined && !opts.knownMethods.includes(req.method)) return { status: 501, reason: 'Not Implemented' };
  // §8.1.1.5: the CSeq method matches the request method, case-sensitively (RFC 4475 §3.1.2.17).
  if (req.cseq().method !== req.method) return { status: 400, reason: 'CSeq method does not match request method' };
  return null;
}

/**
 * null when a response is well formed enough to hand to a transaction; else
 * the defect. The caller drops such a response (§18.1.2; RFC 4475 §3.1.2.5):
 * responses are never answered.
 */
export function validateResponse(res: SipResponse): { reason: string } | null {
  const common = checkCommon(res);
  return common === null ? null : { reason: common.reason };
}
