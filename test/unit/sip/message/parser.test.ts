import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../../src/sip/message/errors.ts';
import { SipRequest, SipResponse } from '../../../../src/sip/message/message.ts';
import { parseMessage, validateRequest, validateResponse, type ParseOptions } from '../../../../src/sip/message/parser.ts';

const HEADERS = [
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
];

function wire(startLine: string, headers: string[], body = ''): Buffer {
  return Buffer.from(`${startLine}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`);
}

function parseError(buf: Buffer, opts?: ParseOptions): SipParseError {
  try {
    parseMessage(buf, opts);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('parsed without error');
}

describe('start lines (RFC 3261 §7.1, §7.2)', () => {
  it('reads a request', () => {
    const m = parseMessage(wire('INVITE sip:bob@biloxi.example.com SIP/2.0', HEADERS));
    expect(m).toBeInstanceOf(SipRequest);
    expect(m).toMatchObject({ method: 'INVITE', uri: 'sip:bob@biloxi.example.com', version: 'SIP/2.0' });
    expect(validateRequest(m as SipRequest)).toBeNull();
  });

  it('reads a response, with an empty or UTF-8 reason phrase', () => {
    const ok = parseMessage(wire('SIP/2.0 180 Ringing', HEADERS)) as SipResponse;
    expect(ok).toMatchObject({ status: 180, reason: 'Ringing', version: 'SIP/2.0' });
    expect((parseMessage(wire('SIP/2.0 200 ', HEADERS)) as SipResponse).reason).toBe('');
    expect((parseMessage(wire('SIP/2.0 200', HEADERS)) as SipResponse).reason).toBe('');
    expect((parseMessage(wire('SIP/2.0 486 Занято', HEADERS)) as SipResponse).reason).toBe('Занято');
    expect(validateResponse(ok)).toBeNull();
    // Responses are recognisable by their 'SIP/' prefix: 'status' in msg discriminates.
    expect('status' in ok).toBe(true);
  });

  it('keeps methods case-sensitive: "invite" is an extension method (§7.1)', () => {
    expect((parseMessage(wire('invite sip:a@b SIP/2.0', HEADERS)) as SipRequest).method).toBe('invite');
  });

  it('accepts a well-formed other version, answered 505 by validateRequest (RFC 4475 §3.1.2.16)', () => {
    const m = parseMessage(wire('OPTIONS sip:a@b SIP/3.0', HEADERS)) as SipRequest;
    expect(validateRequest(m)).toEqual({ status: 505, reason: 'Version Not Supported' });
    expect(validateResponse(parseMessage(wire('SIP/3.0 200 OK', HEADERS)) as SipResponse)).toEqual({ reason: 'Version Not Supported' });
  });

  it.each([
    ['INVITE  sip:a@b SIP/2.0', 'Bad Request-Line'],
    ['INVITE sip:a@b  SIP/2.0', 'Bad Request-Line'],
    ['INVITE sip:a@b SIP/2.0 ', 'Bad Request-Line'],
    ['INVITE sip:a@b', 'Bad Request-Line'],
    ['INVITE <sip:a@b> SIP/2.0', 'Bad Request-URI'],
    ['INVITE sip:a@b SIP/2', 'Bad SIP-Version'],
    ['INVITE sip:a@b HTTP/1.1', 'Bad SIP-Version'],
  ])('rejects request line %j with %s and a partial request', (line, reason) => {
    const e = parseError(wire(line, HEADERS));
    expect(e).toMatchObject({ status: 400, reason, kind: 'request' });
    expect(e.partial?.cseq()).toEqual({ seq: 314159, method: 'INVITE' });
  });

  it.each(['SIP/2.0 4294967301 big', 'SIP/2.0 99 Low', 'SIP/2.0 700 High', 'SIP/2.0 2000 OK', 'SIP/2.0  200 OK', 'SIP/2 200 OK'])('marks malformed status line %j as a response to drop', (line) => {
    const e = parseError(wire(line, HEADERS));
    expect(e.kind).toBe('response');
    expect(e.partial).toBeUndefined();
  });

  it('cannot tell what garbage was: no kind, no partial', () => {
    const e = parseError(Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'));
    expect(e.kind).toBeUndefined();
    expect(e.partial).toBeUndefined();
  });

  it('ignores CRLFs before the start line (§7.5) and refuses a message of nothing else', () => {
    const m = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), wire('OPTIONS sip:a@b SIP/2.0', HEADERS)]));
    expect(m.raw?.subarray(0, 7).toString()).toBe('OPTIONS');
    expect(parseError(Buffer.from('\r\n\r\n')).code).toBe('SIP_EMPTY_MESSAGE');
    expect(parseError(Buffer.alloc(0)).code).toBe('SIP_EMPTY_MESSAGE');
  });

  it('requires the empty line after the headers (§7)', () => {
    const e = parseError(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${HEADERS.join('\r\n')}\r\n`));
    expect(e).toMatchObject({ code: 'SIP_BAD_FRAMING', kind: 'request' });
    expect(e.partial).toBeDefined();
  });

  it('builds a partial request only when Via, From, To, Call-ID and CSeq were there', () => {
    const e = parseError(wire('INVITE  sip:a@b SIP/2.0', HEADERS.filter((h) => !h.startsWith('Call-ID'))));
    expect(e.partial).toBeUndefined();
  });
});

describe('body and Content-Length (RFC 3261 §18.3, §20.14)', () => {
  const withLength = (n: string, body: string) => wire('MESSAGE sip:a@b SIP/2.0', [...HEADERS, `Content-Length: ${n}`], body);

  it('takes exactly Content-Length octets', () => {
    expect(parseMessage(withLength('5', 'hello')).body.toString()).toBe('hello');
  });

  it('over UDP: truncates to a smaller Content-Length, keeps the rest when absent, refuses a larger one', () => {
    const m = parseMessage(withLength('3', 'hello'));
    expect(m.body.toString()).toBe('hel');
    expect(m.raw?.toString().endsWith('\r\n\r\nhel')).toBe(true);
    expect(parseMessage(wire('MESSAGE sip:a@b SIP/2.0', HEADERS, 'rest of datagram')).body.toString()).toBe('rest of datagram');
    const e = parseError(withLength('6', 'hello'));
    expect(e).toMatchObject({ code: 'SIP_BAD_CONTENT_LENGTH', status: 400, reason: 'Content-Length exceeds message size' });
    expect(e.partial).toBeDefined();
  });

  it('over a stream: needs Content-Length for a body, and the whole body', () => {
    const opts: ParseOptions = { transport: 'stream' };
    expect(parseMessage(wire('OPTIONS sip:a@b SIP/2.0', HEADERS), opts).body.length).toBe(0);
    expect(parseError(wire('MESSAGE sip:a@b SIP/2.0', HEADERS, 'x'), opts)).toMatchObject({ code: 'SIP_MISSING_HEADER', reason: 'Missing Content-Length' });
    expect(parseError(withLength('6', 'hello'), opts).reason).toBe('Incomplete message body');
  });

  it('refuses negative, non-numeric and conflicting values (RFC 4475 §3.1.2.3, §3.3.9); tolerates identical repeats', () => {
    for (const n of ['-1', 'five', '5 5', '99999999999']) expect(parseError(withLength(n, 'hello')).code, n).toBe('SIP_BAD_CONTENT_LENGTH');
    expect(parseError(wire('MESSAGE sip:a@b SIP/2.0', [...HEADERS, 'Content-Length: 5', 'l: 4'], 'hello')).code).toBe('SIP_BAD_CONTENT_LENGTH');
    expect(parseMessage(wire('MESSAGE sip:a@b SIP/2.0', [...HEADERS, 'Content-Length: 5', 'l: 5'], 'hello')).body.toString()).toBe('hello');
  });

  it('passes binary bodies through untouched', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10, 0x80]);
    const buf = Buffer.concat([Buffer.from(`MESSAGE sip:a@b SIP/2.0\r\n${HEADERS.join('\r\n')}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    expect(parseMessage(buf).body.equals(body)).toBe(true);
  });

  it('answers 513 beyond maxBytes and 413 beyond maxBodyBytes, with a partial request', () => {
    const big = withLength('2000', 'x'.repeat(2000));
    const e = parseError(big, { maxBytes: 1000 });
    expect(e).toMatchObject({ code: 'SIP_TOO_LARGE', status: 513, reason: 'Message Too Large' });
    expect(e.partial).toBeDefined();
    expect(parseError(big, { maxBodyBytes: 1000 })).toMatchObject({ code: 'SIP_BODY_TOO_LARGE', status: 413 });
    expect(parseMessage(big, { maxBytes: 4000 }).body.length).toBe(2000);
  });

  it('keeps views into a datagram but copies stream bytes (framers reuse their buffers)', () => {
    const udp = withLength('5', 'hello');
    const m1 = parseMessage(udp);
    const stream = withLength('5', 'hello');
    const m2 = parseMessage(stream, { transport: 'stream' });
    udp.fill(0x41);
    stream.fill(0x41);
    expect(m1.body.toString()).toBe('AAAAA');
    expect(m2.body.toString()).toBe('hello');
    expect(m2.raw?.toString().startsWith('MESSAGE')).toBe(true);
  });
});

describe('validateRequest (RFC 3261 §8.2)', () => {
  const req = (lines: string[], uri = 'sip:bob@biloxi.example.com', method = 'INVITE', body = ''): SipRequest =>
    parseMessage(wire(`${method} ${uri} SIP/2.0`, lines, body)) as SipRequest;

  it('accepts a complete request, tolerating an absent Max-Forwards', () => {
    expect(validateRequest(req(HEADERS))).toBeNull();
    expect(validateRequest(req(HEADERS.filter((h) => !h.startsWith('Max-Forwards'))))).toBeNull();
  });

  it('names every missing mandatory header', () => {
    expect(validateRequest(req(HEADERS.filter((h) => !h.startsWith('Call-ID'))))).toEqual({ status: 400, reason: 'Missing Call-ID' });
    expect(validateRequest(req(HEADERS.filter((h) => !/^(Via|CSeq)/.test(h))))).toEqual({ status: 400, reason: 'Missing Via, CSeq' });
  });

  it('refuses repeated single-valued headers (RFC 4475 §3.3.8)', () => {
    expect(validateRequest(req([...HEADERS, 'Call-ID: other@x']))).toEqual({ status: 400, reason: 'Multiple Call-ID headers' });
    expect(validateRequest(req([...HEADERS, 'Max-Forwards: 5']))).toEqual({ status: 400, reason: 'Multiple Max-Forwards headers' });
  });

  it('names the header that does not parse', () => {
    const broken = (prefix: string, replacement: string) => req(HEADERS.map((h) => (h.startsWith(prefix) ? replacement : h)));
    expect(validateRequest(broken('CSeq', 'CSeq: x INVITE'))).toEqual({ status: 400, reason: 'Bad CSeq header' });
    expect(validateRequest(broken('Max-Forwards', 'Max-Forwards: 256'))).toEqual({ status: 400, reason: 'Bad Max-Forwards header' });
    expect(validateRequest(broken('From', 'From: <sip:a@b'))).toEqual({ status: 400, reason: 'Bad From header' });
    expect(validateRequest(broken('Call-ID', 'Call-ID: a b'))).toEqual({ status: 400, reason: 'Bad Call-ID header' });
    expect(validateRequest(req([...HEADERS, 'Contact: <sip:a@b>;;']))).toEqual({ status: 400, reason: 'Bad Contact header' });
    expect(validateRequest(req([...HEADERS, 'Record-Route: sip:p@x;lr, <sip:q@y']))).toEqual({ status: 400, reason: 'Bad Record-Route header' });
  });

  it('answers 416 for an unsupported Request-URI scheme, 400 for a malformed one', () => {
    expect(validateRequest(req(HEADERS, 'http://example.com/'))).toEqual({ status: 416, reason: 'Unsupported URI Scheme' });
    expect(validateRequest(req(HEADERS, 'sip:a@b:99999'))).toEqual({ status: 400, reason: 'Bad Request-URI' });
    expect(validateRequest(req(HEADERS, 'tel:+15551234567'))).toBeNull();
  });

  it('refuses headers in the Request-URI (§19.1.1; RFC 4475 §3.1.2.11)', () => {
    expect(validateRequest(req(HEADERS, 'sip:a@b?Route=%3Csip:x%3E'))).toEqual({ status: 400, reason: 'Headers not allowed in Request-URI' });
  });

  it('checks the CSeq method against the request method (§8.1.1.5)', () => {
    expect(validateRequest(req(HEADERS, 'sip:a@b', 'OPTIONS'))).toEqual({ status: 400, reason: 'CSeq method does not match request method' });
  });

  it('answers 501 for methods outside a declared set, before the CSeq check', () => {
    const m = req(HEADERS.map((h) => (h.startsWith('CSeq') ? 'CSeq: 1 PUBLISH' : h)), 'sip:a@b', 'PUBLISH');
    expect(validateRequest(m)).toBeNull();
    expect(validateRequest(m, { knownMethods: ['INVITE', 'ACK'] })).toEqual({ status: 501, reason: 'Not Implemented' });
  });

  it('never throws for a peer-controlled defect', () => {
    const m = req(['Via: ;;;', 'From: "', 'To: <', 'Call-ID: ', 'CSeq: ', 'Max-Forwards: x']);
    expect(validateRequest(m)?.status).toBe(400);
  });
});
