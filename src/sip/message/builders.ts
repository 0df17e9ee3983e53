/**
 * Building messages locally: requests from parts, and responses to a request
 * following RFC 3261 §8.2.6.2. Re-exported from message.ts, where the other
 * layers import them.
 */
import { isToken } from './chars.ts';
import { SipMessageError, SipParseError } from './errors.ts';
import { HeaderFieldsImpl } from './headers.ts';
import { SipRequest, SipResponse } from './message.ts';
import { defaultReason } from './reasons.ts';
import type { SipUri } from './types.ts';
import { formatUri } from './uri.ts';

export type BodyInit = Buffer | Uint8Array | string;

function toBody(body: BodyInit | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export interface CreateRequestInit {
  method: string;
  uri: string | SipUri;
  /** Header lines in order. A Content-Length given here is corrected to the body's length. */
  headers: ReadonlyArray<readonly [string, string]>;
  body?: BodyInit;
  version?: string;
}

/** A request built from parts. Throws SipMessageError on a non-token method, a CR/LF in a value... */
export function createRequest(init: CreateRequestInit): SipRequest {
  const body = toBody(init.body);
  const headers = HeaderFieldsImpl.from(init.headers);
  headers.set('Content-Length', String(body.length));
  const uri = typeof init.uri === 'string' ? init.uri : formatUri(init.uri);
  return new SipRequest({ method: init.method, uri, headers, body, ...(init.version === undefined ? {} : { version: init.version }) });
}

export interface CreateResponseOptions {
  /** Added to To when the request's To has no tag (§8.2.6.2; a UAS answering outside a dialog). */
  toTag?: string;
  /** Extra header lines, after the copied ones. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: BodyInit;
}

/** Whether a To value already carries a tag; a To that does not parse is judged by its text. */
function hasTag(req: SipRequest, to: string): boolean {
  try {
    return req.to().params.has('tag');
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    return /;\s*tag\s*=/i.test(to);
  }
}

/**
 * A response to `req` (RFC 3261 §8.2.6.2): every Via in order, From, To
 * (with `toTag` added when it has none), Call-ID and CSeq copied as
 * received; Timestamp copied into a 100 (§8.2.6.1). Headers the request
 * lacks are skipped, so even a partial request (SipParseError.partial) can
 * be answered. `reason` defaults to the standard phrase.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts: CreateResponseOptions = {}): SipResponse {
  const src = req.headers;
  const h = new HeaderFieldsImpl();
  for (let i = 0; i < src.count; i++) if (src.keys[i] === 'via') h.append('Via', src.value(i));
  const from = src.first('from');
  if (from !== undefined) h.append('From', from);
  const to = src.first('to');
  if (to !== undefined) {
    const tag = opts.toTag;
    if (tag !== undefined && !isToken(tag)) throw new SipMessageError('SIP_INVALID_HEADER_VALUE', 'To tag is not a token');
    h.append('To', tag !== undefined && !hasTag(req, to) ? `${to};tag=${tag}` : to);
  }
  const callId = src.first('call-id');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = src.first('cseq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  if (status === 100) {
    const timestamp = src.first('timestamp');
    if (timestamp !== undefined) h.append('Timestamp', timestamp);
  }
  for (const [name, value] of opts.headers ?? []) h.append(name, value);
  const body = toBody(opts.body);
  h.set('Content-Length', String(body.length));
  return new SipResponse({ status, reason: reason ?? defaultReason(status), headers: h, body });
}
