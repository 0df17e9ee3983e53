import { describe, expect, it } from 'vitest';
import { SipMessageError, SipParseError } from '../../../../src/sip/message/errors.ts';
import { createRequest, createResponse, SipRequest, SipResponse } from '../../../../src/sip/message/message.ts';
import { parseMessage } from '../../../../src/sip/message/parser.ts';
import { defaultReason } from '../../../../src/sip/message/reasons.ts';
import { listCorpus, readCorpus } from './corpus.ts';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.101',
  'v: SIP/2.0/UDP relay.example.com;branch=z9hG4bKr1, SIP/2.0/TCP edge.example.com;branch=z9hG4bKe1',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Timestamp: 54.3 0.2',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'l: 4',
  '',
  'v=0\n',
].join('\r\n');

const parsed = (): SipRequest => parseMessage(Buffer.from(INVITE)) as SipRequest;

describe('toBuffer', () => {
  it('returns the received bytes, same Buffer, while nothing changed', () => {
    const buf = Buffer.from(INVITE);
    const m = parseMessage(buf);
    expect(m.toBuffer()).toBe(buf);
    m.topVia();
    m.from();
    m.headers.get('call-id');
    expect(m.toBuffer()).toBe(buf);
  });

  it('is byte-identical for every corpus message it accepts', () => {
    let count = 0;
    for (const file of listCorpus()) {
      const raw = readCorpus(file);
      let m;
      try {
        m = parseMessage(raw);
      } catch (err) {
        if (err instanceof SipParseError) continue;
        throw err;
      }
      const out = m.toBuffer();
      expect(raw.subarray(0, out.length).equals(out), file).toBe(true);
      count++;
    }
    expect(count).toBeGreaterThan(35);
  });

  it('rebuilds after a header change, keeping order and spelling, with a correct Content-Length', () => {
    const m = parsed();
    m.headers.append('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp', { prepend: true });
    m.headers.set('Max-Forwards', '69');
    const text = m.toBuffer().toString();
    expect(text.split('\r\n').slice(0, 5)).toEqual([
      'INVITE sip:bob@biloxi.example.com SIP/2.0',
      'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp',
      'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.101',
      'v: SIP/2.0/UDP relay.example.com;branch=z9hG4bKr1, SIP/2.0/TCP edge.example.com;branch=z9hG4bKe1',
      'Max-Forwards: 69',
    ]);
    expect(text).toContain('\r\nl: 4\r\n\r\nv=0\n');
    const again = parseMessage(m.toBuffer());
    expect(again.via()).toHaveLength(4);
    expect(again.body.toString()).toBe('v=0\n');
  });

  it('keeps Content-Length truthful when the body changes', () => {
    const m = parsed();
    m.body = Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
    expect(m.headers.get('content-length')).toBe(String(m.body.length));
    const text = m.toBuffer().toString();
    expect(text).toContain(`\r\nContent-Length: ${m.body.length}\r\n\r\nv=0\r\n`);
    expect(parseMessage(m.toBuffer(), { transport: 'stream' }).body.equals(m.body)).toBe(true);
  });

  it('adds Content-Length to a message that had none, and drops duplicates', () => {
    const noLength = parseMessage(readCorpus('inv2543.dat'));
    noLength.headers.set('Max-Forwards', '70');
    expect(noLength.toBuffer().toString()).toContain(`\r\nContent-Length: ${noLength.body.length}\r\n\r\n`);
    const dup = createRequest({ method: 'OPTIONS', uri: 'sip:a@b', headers: [['Content-Length', '7'], ['l', '7']] });
    expect(dup.toBuffer().toString().match(/content-length|\r\nl:/gi)).toHaveLength(1);
  });

  it('rebuilds after a start-line change and caches the result until the next change', () => {
    const m = parsed();
    m.uri = 'sip:bob@192.0.2.4';
    const first = m.toBuffer();
    expect(first.toString().startsWith('INVITE sip:bob@192.0.2.4 SIP/2.0\r\n')).toBe(true);
    expect(m.toBuffer()).toBe(first);
    expect(m.requestUri().host).toBe('192.0.2.4');
    m.headers.remove('Timestamp');
    expect(m.toBuffer()).not.toBe(first);
  });

  it('refuses start-line values that would break the message', () => {
    const m = parsed();
    expect(() => (m.method = 'IN VITE')).toThrow(SipMessageError);
    expect(() => (m.uri = 'sip:a@b\r\nVia: x')).toThrow(SipMessageError);
    const r = new SipResponse({ status: 200, reason: 'OK' });
    expect(() => (r.reason = 'OK\r\nX: y')).toThrow(SipMessageError);
    expect(() => (r.status = 99)).toThrow(SipMessageError);
  });
});

describe('createRequest', () => {
  it('builds a request with a correct Content-Length, from a string or SipUri', () => {
    const req = createRequest({
      method: 'MESSAGE',
      uri: { scheme: 'sip', user: 'bob', password: undefined, host: 'biloxi.example.com', port: undefined, params: new Map([['transport', 'tcp']]), headers: new Map() },
      headers: [['Via', 'SIP/2.0/TCP a.example.com;branch=z9hG4bK1'], ['Content-Length', '999'], ['Content-Type', 'text/plain']],
      body: 'héllo',
    });
    expect(req.uri).toBe('sip:bob@biloxi.example.com;transport=tcp');
    expect(req.raw).toBeUndefined();
    const text = req.toBuffer().toString();
    expect(text).toBe('MESSAGE sip:bob@biloxi.example.com;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nhéllo');
  });

  it('refuses a method that is not a token or a header value with CR/LF', () => {
    expect(() => createRequest({ method: 'IN VITE', uri: 'sip:a@b', headers: [] })).toThrow(SipMessageError);
    expect(() => createRequest({ method: 'INVITE', uri: 'sip:a@b', headers: [['Subject', 'x\r\nVia: y']] })).toThrow(SipMessageError);
    expect(() => createRequest({ method: 'INVITE', uri: 'sip:a b', headers: [] })).toThrow(SipMessageError);
  });
});

describe('createResponse (RFC 3261 §8.2.6.2)', () => {
  it('copies every Via in order, From, To, Call-ID, CSeq; adds the To tag; Timestamp only on 100', () => {
    const req = parsed();
    const res = createResponse(req, 180, undefined, { toTag: 'a6c85cf' });
    expect(res.reason).toBe('Ringing');
    expect(res.headers.getAll('via')).toEqual(req.headers.getAll('via'));
    expect(res.via().map((v) => v.host)).toEqual(['pc33.atlanta.example.com', 'relay.example.com', 'edge.example.com']);
    expect(res.headers.get('from')).toBe(req.headers.get('from'));
    expect(res.headers.get('to')).toBe('Bob <sip:bob@biloxi.example.com>;tag=a6c85cf');
    expect(res.callId()).toBe(req.callId());
    expect(res.cseq()).toEqual(req.cseq());
    expect(res.headers.has('timestamp')).toBe(false);
    expect(res.headers.has('contact')).toBe(false);
    expect(createResponse(req, 100).headers.get('timestamp')).toBe('54.3 0.2');
    const bytes = res.toBuffer().toString();
    expect(bytes.startsWith('SIP/2.0 180 Ringing\r\n')).toBe(true);
    expect(bytes.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('keeps an existing To tag (in-dialog requests)', () => {
    const req = parsed();
    req.headers.set('To', 'Bob <sip:bob@biloxi.example.com>;tag=existing');
    expect(createResponse(req, 200, 'OK', { toTag: 'new' }).to().params.get('tag')).toBe('existing');
  });

  it('adds headers and a body after the copied ones', () => {
    const res = createResponse(parsed(), 200, undefined, { toTag: 't', headers: [['Contact', '<sip:bob@192.0.2.4>'], ['Content-Type', 'application/sdp']], body: 'v=0\r\n' });
    // Two Via lines: the second carries two values, copied as one line.
    expect(res.headers.fields().map((f) => f.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Content-Length']);
    expect(res.toBuffer().toString().endsWith('Content-Length: 5\r\n\r\nv=0\r\n')).toBe(true);
    const back = parseMessage(res.toBuffer()) as SipResponse;
    expect(back.status).toBe(200);
    expect(back.reason).toBe('OK');
  });

  it('answers a partial request from a parse error', () => {
    let partial: SipRequest | undefined;
    try {
      parseMessage(readCorpus('ncl.dat'));
    } catch (err) {
      partial = (err as SipParseError).partial;
    }
    expect(partial).toBeDefined();
    const res = createResponse(partial!, 400, 'Bad Content-Length');
    expect(res.toBuffer().toString()).toMatch(/^SIP\/2\.0 400 Bad Content-Length\r\nVia: SIP\/2\.0\/UDP 192\.0\.2\.53;branch=z9hG4bKkdjuw\r\n/);
  });

  it('has the standard reason phrases', () => {
    expect([100, 200, 404, 416, 420, 481, 483, 487, 488, 505, 513, 603].map(defaultReason)).toEqual([
      'Trying', 'OK', 'Not Found', 'Unsupported URI Scheme', 'Bad Extension', 'Call/Transaction Does Not Exist',
      'Too Many Hops', 'Request Terminated', 'Not Acceptable Here', 'Version Not Supported', 'Message Too Large', 'Decline',
    ]);
    expect(defaultReason(499)).toBe('Bad Request');
  });
});
