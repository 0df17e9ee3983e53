import { describe, expect, it } from 'vitest';
import { SipMessageError, SipParseError } from '../../../../src/sip/message/errors.ts';
import { HeaderFieldsImpl } from '../../../../src/sip/message/headers.ts';
import { createRequest, SipRequest } from '../../../../src/sip/message/message.ts';
import { formatNameAddr, parseNameAddr } from '../../../../src/sip/message/name-addr.ts';
import { parseMessage } from '../../../../src/sip/message/parser.ts';
import { quote, splitList, unquote } from '../../../../src/sip/message/scan.ts';
import { parseCSeq, parseMaxForwards } from '../../../../src/sip/message/values.ts';
import { formatVia, parseVia } from '../../../../src/sip/message/via.ts';

const CORE = [
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
];

/** A request from header lines (CRLF added), parsed as a datagram. */
function request(...lines: string[]): SipRequest {
  return parseMessage(Buffer.from(`INVITE sip:bob@biloxi.example.com SIP/2.0\r\n${lines.join('\r\n')}\r\n\r\n`)) as SipRequest;
}

function parseErrorOf(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('header lines (RFC 3261 §7.3)', () => {
  it('looks names up case-insensitively and understands compact forms (§7.3.3)', () => {
    const m = request('v: SIP/2.0/UDP a.example.com', 'i: abc@x', 'f: <sip:a@x>;tag=1', 't: sip:b@x', 'm: <sip:a@y>', 'l: 0', 'c: text/plain', 'k: timer', 's: hi', 'e: gzip', 'o: refer', 'r: <sip:c@x>', 'b: <sip:d@x>', 'u: dialog', 'x: 90', 'CSEQ: 1 INVITE');
    expect(m.headers.get('Via')).toBe('SIP/2.0/UDP a.example.com');
    expect(m.headers.get('CALL-ID')).toBe('abc@x');
    expect(m.callId()).toBe('abc@x');
    expect(m.from().params.get('tag')).toBe('1');
    expect(m.to().uri.user).toBe('b');
    expect(m.headers.get('content-type')).toBe('text/plain');
    expect(m.tokens('Supported')).toEqual(['timer']);
    for (const name of ['Subject', 'Content-Encoding', 'Event', 'Refer-To', 'Referred-By', 'Allow-Events', 'Session-Expires']) expect(m.headers.has(name), name).toBe(true);
    expect(m.headers.get('cseq')).toBe('1 INVITE');
    // Names keep their spelling.
    expect(m.headers.fields().map((f) => f.name).slice(0, 3)).toEqual(['v', 'i', 'f']);
  });

  it('unfolds continuation lines into one SP, and allows whitespace before the colon', () => {
    const m = request('Subject  :  I know\r\n   you are\r\n\tthere  ', 'X-Empty:', 'X-Late:\r\n value');
    expect(m.headers.get('subject')).toBe('I know you are there');
    expect(m.headers.get('x-empty')).toBe('');
    expect(m.headers.get('x-late')).toBe('value');
  });

  it('rejects header lines that are not name ":" value, keeping the rest for a partial request', () => {
    const e = parseErrorOf(() => request(...CORE, 'Bad Header: x'));
    expect(e).toMatchObject({ code: 'SIP_BAD_HEADER', status: 400, reason: 'Malformed header line', kind: 'request' });
    expect(e.partial?.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(parseErrorOf(() => request(...CORE, 'NoColonHere')).code).toBe('SIP_BAD_HEADER');
  });

  it('rejects a bare CR or LF in the header section', () => {
    expect(parseErrorOf(() => request(...CORE, 'Subject: a\rb')).code).toBe('SIP_BAD_FRAMING');
    expect(parseErrorOf(() => request(...CORE, 'Subject: a\nb')).code).toBe('SIP_BAD_FRAMING');
  });
});

describe('HeaderFields', () => {
  it('splits list values at top-level commas only (§7.3.1)', () => {
    const m = request(
      'Accept: application/sdp , text/plain,,',
      'Contact: "Doe, John" <sip:j@x;a=1,2>;q=0.5, <sip:k@y>',
      'WWW-Authenticate: Digest realm="a, b", nonce="n"',
      'Date: Sat, 13 Nov 2010 23:29:00 GMT',
      'Supported: ',
    );
    expect(m.headers.getAll('accept')).toEqual(['application/sdp', 'text/plain']);
    expect(m.headers.get('accept')).toBe('application/sdp');
    expect(m.headers.getAll('contact')).toEqual(['"Doe, John" <sip:j@x;a=1,2>;q=0.5', '<sip:k@y>']);
    expect(m.headers.getAll('www-authenticate')).toEqual(['Digest realm="a, b", nonce="n"']);
    expect(m.headers.get('date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
    expect(m.headers.getAll('supported')).toEqual([]);
    expect(m.headers.getAll('absent')).toEqual([]);
    expect(m.headers.get('absent')).toBeUndefined();
  });

  it('set replaces every line in place, append adds at the end or on top of its kind, remove drops all', () => {
    const h = HeaderFieldsImpl.from([['Via', 'SIP/2.0/UDP a'], ['To', '<sip:b@x>'], ['v', 'SIP/2.0/UDP b'], ['Route', '<sip:r1>']]);
    h.append('Via', 'SIP/2.0/UDP new', { prepend: true });
    expect(h.fields().map((f) => f.value)).toEqual(['SIP/2.0/UDP new', 'SIP/2.0/UDP a', '<sip:b@x>', 'SIP/2.0/UDP b', '<sip:r1>']);
    h.append('Record-Route', '<sip:p1;lr>', { prepend: true }); // none yet: at the very top
    expect(h.fields()[0]).toEqual({ name: 'Record-Route', value: '<sip:p1;lr>' });
    h.set('VIA', ['SIP/2.0/TCP c', 'SIP/2.0/TCP d']);
    expect(h.fields().map((f) => `${f.name}: ${f.value}`)).toEqual(['Record-Route: <sip:p1;lr>', 'VIA: SIP/2.0/TCP c', 'VIA: SIP/2.0/TCP d', 'To: <sip:b@x>', 'Route: <sip:r1>']);
    h.remove('v');
    expect(h.has('via')).toBe(false);
    h.set('Max-Forwards', '69');
    expect(h.fields().at(-1)).toEqual({ name: 'Max-Forwards', value: '69' });
  });

  it('refuses names that are not tokens and values with CR or LF (header injection)', () => {
    const h = new HeaderFieldsImpl();
    expect(() => h.set('Bad Name', 'x')).toThrow(SipMessageError);
    expect(() => h.append('X', 'a\r\nVia: evil')).toThrow(SipMessageError);
    expect(() => HeaderFieldsImpl.from([['X', 'a\nb']])).toThrow(SipMessageError);
  });

  it('re-parses a structured value after its header changed, not before', () => {
    const m = request(...CORE);
    const first = m.topVia();
    expect(m.topVia()).toBe(first); // cached
    m.headers.append('Via', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew', { prepend: true });
    expect(m.topVia()?.host).toBe('proxy.example.com');
    expect(m.via()).toHaveLength(2);
    const to = m.to();
    m.headers.set('Subject', 'unrelated');
    expect(m.to()).toBe(to);
    m.headers.set('To', 'Bob <sip:bob@biloxi.example.com>;tag=x');
    expect(m.to().params.get('tag')).toBe('x');
  });

  it('throws for a missing mandatory header and returns undefined / [] for optional ones', () => {
    const m = request('Via: SIP/2.0/UDP a');
    expect(parseErrorOf(() => m.callId())).toMatchObject({ code: 'SIP_MISSING_HEADER', reason: 'Missing Call-ID' });
    expect(parseErrorOf(() => m.from()).reason).toBe('Missing From');
    expect(m.maxForwards()).toBeUndefined();
    expect(m.contact()).toEqual([]);
    expect(m.route()).toEqual([]);
  });
});

describe('quoted strings and escapes', () => {
  it('unescapes quoted-pairs in display names', () => {
    expect(parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>').displayName).toBe('J Rosenberg \\"');
    expect(parseNameAddr('"" <sip:a@b>').displayName).toBe('');
    expect(parseNameAddr('"<sip:not@uri>, still a name" <sip:a@b>').displayName).toBe('<sip:not@uri>, still a name');
  });

  it('rejects an unterminated quoted string (RFC 4475 §3.1.2.6)', () => {
    expect(parseErrorOf(() => parseNameAddr('"Mr. J. User <sip:j.user@example.com>', 'To')).reason).toBe('Bad To header');
  });

  it('quote/unquote invert each other', () => {
    for (const s of ['plain', 'with "quotes"', 'back\\slash', '']) expect(unquote(quote(s))).toBe(s);
    expect(unquote('token')).toBe('token');
  });

  it('splitList keeps commas inside quotes and angle brackets', () => {
    expect(splitList('a, "b,c" , <d,e>,f')).toEqual(['a', '"b,c"', '<d,e>', 'f']);
    expect(splitList(',,')).toEqual(['', '', '']);
  });
});

describe('name-addr and addr-spec (RFC 3261 §20.10)', () => {
  it('gives parameters after an addr-spec to the header, not to the URI (RFC 4475 §3.3.12)', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x');
    expect(a.uri.params.size).toBe(0);
    expect(a.params).toEqual(new Map([['unknownparam', null], ['tag', 'x']]));
  });

  it('gives parameters inside <> to the URI (RFC 4475 §3.3.13)', () => {
    const a = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>;expires=60');
    expect(a.uri.params).toEqual(new Map([['unknownparam', null]]));
    expect(a.params).toEqual(new Map([['expires', '60']]));
  });

  it('takes token display names, with or without LWS before < (RFC 4475 §3.1.1.6)', () => {
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323')).toMatchObject({ displayName: 'caller' });
    expect(parseNameAddr('A. G. Bell <sip:a@b>').displayName).toBe('A. G. Bell');
    expect(parseNameAddr('<sip:a@b>').displayName).toBeUndefined();
  });

  it('accepts LWS around ";" and "=" in parameters, and quoted parameter values kept as written', () => {
    const a = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n ; x="a;b"');
    expect(a.params).toEqual(new Map([['tag', '1918181833n'], ['x', '"a;b"']]));
  });

  it.each([
    ['Bell, Alexander <sip:a.g.bell@example.com>', 'non-token display name (RFC 4475 §3.1.2.15)'],
    ['"Watson, Thomas" < sip:t.watson@example.org >', 'spaces inside <> (RFC 4475 §3.1.2.14)'],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'addr-spec with headers (RFC 4475 §3.1.2.13)'],
    ['<sip:joe@example.org>;;;;', 'empty parameters (RFC 4475 §3.1.2.1)'],
    ['<sip:a@b> trailing', 'text after the address'],
    ['<sip:a@b', 'missing >'],
    ['', 'empty'],
  ])('rejects %s — %s', (value) => {
    expect(parseErrorOf(() => parseNameAddr(value, 'Contact')).reason).toBe('Bad Contact header');
  });

  it('formats as name-addr, quoting display names that are not tokens', () => {
    const a = parseNameAddr('"Doe, John" <sip:j@x.example.com;transport=tcp>;tag=abc');
    expect(formatNameAddr(a)).toBe('"Doe, John" <sip:j@x.example.com;transport=tcp>;tag=abc');
    expect(formatNameAddr(parseNameAddr('sip:a@b;tag=1'))).toBe('<sip:a@b>;tag=1');
    expect(parseNameAddr(formatNameAddr(a))).toEqual(a);
  });

  it('Contact: * alone is "*"; mixed with addresses it is an error (§10.2.2)', () => {
    expect(request(...CORE, 'Contact: *').contact()).toBe('*');
    expect(parseErrorOf(() => request(...CORE, 'Contact: *, <sip:a@b>').contact()).reason).toBe('Bad Contact header');
  });
});

describe('Via (RFC 3261 §20.42)', () => {
  it('reads sent-protocol, sent-by and parameters', () => {
    expect(parseVia('SIP/2.0/udp 192.0.2.1:5060;received=192.0.2.4;rport=5061;branch=z9hG4bK77ef4c2312983.1;maddr=224.2.0.1;ttl=16')).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5060,
      params: new Map([['received', '192.0.2.4'], ['rport', '5061'], ['branch', 'z9hG4bK77ef4c2312983.1'], ['maddr', '224.2.0.1'], ['ttl', '16']]),
    });
  });

  it('allows LWS around "/" ":" ";" "=" (RFC 4475 §3.1.1.1)', () => {
    const v = parseVia('SIP  /   2.0 /UDP    192.0.2.2 : 5070 ;  branch =  390skdjuw ; rport');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.2', port: 5070 });
    expect(v.params.get('branch')).toBe('390skdjuw');
    expect(v.params.get('rport')).toBeNull();
  });

  it('reads IPv6 sent-by and received with or without brackets (RFC 5118 §4.4, §4.5)', () => {
    expect(parseVia('SIP/2.0/TCP [2001:db8::9:1]:6050;received=[2001:db8::9:255]')).toMatchObject({ host: '[2001:db8::9:1]', port: 6050 });
    expect(parseVia('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255').params.get('received')).toBe('2001:db8::9:255');
  });

  it('splits several values on one line and across lines, top first', () => {
    const m = request('Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2', 'v: SIP/2.0/TLS c.example.com');
    expect(m.via().map((v) => v.host)).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
    expect(m.topVia()?.params.get('branch')).toBe('z9hG4bK1');
  });

  it.each([
    ['SIP/2.0/UDP 192.0.2.15;;,;,,', 'empty parameters and values (RFC 4475 §3.1.2.1)'],
    ['SIP/2.0 192.0.2.1', 'no transport'],
    ['SIP/2.0/UDP', 'no sent-by'],
    ['SIP/2.0/UDP2001:db8::1', 'no LWS before sent-by'],
    ['SIP/2.0/UDP 2001:db8::1', 'IPv6 without brackets'],
    ['SIP/2.0/UDP host:99999', 'port out of range'],
    ['SIP/2.0/UDP host;branch="unterminated', 'unterminated quoted value'],
  ])('rejects %s — %s', (value) => {
    const m = request(`Via: ${value}`);
    expect(parseErrorOf(() => m.via()).reason).toBe('Bad Via header');
  });

  it('formats back', () => {
    const text = 'SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKx;rport';
    expect(formatVia(parseVia(text))).toBe(text);
  });
});

describe('CSeq and Max-Forwards', () => {
  it('reads leading zeros and LWS (RFC 4475 §3.1.1.1)', () => {
    expect(parseCSeq('0009\t INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseMaxForwards('0068')).toBe(68);
  });

  it('rejects values out of range (RFC 4475 §3.1.2.4) or malformed', () => {
    for (const v of ['36893488147419103232 REGISTER', '4294967296 INVITE', '-1 INVITE', '1', 'INVITE', '1INVITE', '1 IN VITE']) {
      expect(() => parseCSeq(v), v).toThrow(SipParseError);
    }
    expect(parseCSeq('4294967295 ACK').seq).toBe(4294967295);
    for (const v of ['256', '300', '-1', '', 'seventy']) expect(() => parseMaxForwards(v), v).toThrow(SipParseError);
  });

  it('tokens() lower-cases a token list header', () => {
    const req = createRequest({ method: 'OPTIONS', uri: 'sip:x@example.com', headers: [['Require', '100rel, Timer'], ['Require', 'replaces']] });
    expect(req.tokens('require')).toEqual(['100rel', 'timer', 'replaces']);
  });
});
