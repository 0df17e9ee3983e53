import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../../src/sip/message/errors.ts';
import { isHost, isIPv4, isIPv6, scanHost } from '../../../../src/sip/message/host.ts';
import type { SipUri } from '../../../../src/sip/message/types.ts';
import { formatUri, parseUri, uriScheme } from '../../../../src/sip/message/uri.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseUri: sip and sips (RFC 3261 §19.1)', () => {
  it('reads every component', () => {
    const u = parseUri('sips:alice:secret@Atlanta.example.com:5061;transport=TCP;LR;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toEqual<SipUri>({
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: 'Atlanta.example.com',
      port: 5061,
      params: new Map([['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]),
      headers: new Map([['subject', 'project x'], ['priority', 'urgent']]),
    });
  });

  it('accepts a host alone, a scheme in any case, and a fully qualified trailing dot', () => {
    expect(parseUri('SIP:example.com.')).toMatchObject({ scheme: 'sip', user: undefined, host: 'example.com.', port: undefined });
  });

  it('unescapes user, password, parameters and headers — once, never recursively (RFC 4475 §3.1.1.3)', () => {
    const u = parseUri('sip:%61lice%20b:p%40ss@host;n%61me=v%61lue%2541?h%65ader=%3Cx%3E');
    expect(u.user).toBe('alice b');
    expect(u.password).toBe('p@ss');
    expect(u.params.get('name')).toBe('value%41');
    expect(u.headers.get('header')).toBe('<x>');
  });

  it('keeps escaped NULs inside the user part (RFC 4475 §3.1.1.4)', () => {
    expect(parseUri('sip:null-%00-null@example.com').user).toBe('null-\0-null');
  });

  it('lets the user part hold ; ? / and an escaped @ (RFC 4475 §3.1.1.9)', () => {
    const u = parseUri('sip:user;par=u%40example.net@example.com');
    expect(u.user).toBe('user;par=u@example.net');
    expect(u.params.size).toBe(0);
  });

  it('decodes escaped UTF-8', () => {
    expect(parseUri('sip:%D0%B8%D0%B2%D0%B0%D0%BD@example.com').user).toBe('иван');
  });

  it.each([
    ['sip:', 'no host'],
    ['sip:@example.com', 'empty user'],
    ['sip:alice@', 'empty host'],
    ['sip:alice@exa mple.com', 'space'],
    ['sip:alice@example.com:', 'empty port'],
    ['sip:alice@example.com:65536', 'port too large'],
    ['sip:alice@example.com:50x', 'port not a number'],
    ['sip:al%ZZice@example.com', 'bad escape'],
    ['sip:alice@example.com;;lr', 'empty parameter'],
    ['sip:alice@example.com?subject', 'header without ='],
    ['sip:alice@-example.com', 'label starting with -'],
    ['sip:alice@example..com', 'empty label'],
    ['sip:alice@192.0.2.300', 'IPv4 octet above 255'],
    ['sip:a<b@example.com', 'character outside user'],
    ['nocolon', 'no scheme'],
    ['1sip:x', 'scheme starting with a digit'],
  ])('rejects %s (%s) with SIP_BAD_URI', (text) => {
    expect(codeOf(() => parseUri(text))).toBe('SIP_BAD_URI');
  });

  it('answers an unsupported scheme with 416 (RFC 3261 §8.2.2.1, RFC 4475 §3.3.2)', () => {
    for (const text of ['http://www.example.com', 'soap.beep://192.0.2.103:3002', 'nobodyKnowsThisScheme:totallyopaquecontent', 'isbn:2983792873']) {
      let error: unknown;
      try {
        parseUri(text);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SipParseError);
      expect(error).toMatchObject({ code: 'SIP_UNSUPPORTED_URI_SCHEME', status: 416, reason: 'Unsupported URI Scheme' });
    }
    expect(uriScheme('Soap.Beep://x')).toBe('soap.beep');
  });
});

describe('IPv6 references (RFC 5118)', () => {
  it.each([
    ['sip:[2001:db8::10]', '[2001:db8::10]', undefined],
    ['sip:[2001:db8::10]:5070', '[2001:db8::10]', 5070],
    ['sip:[2001:db8::10:5070]', '[2001:db8::10:5070]', undefined], // §4.2: inside the brackets it is address
    ['sip:user@[::ffff:192.0.2.2]', '[::ffff:192.0.2.2]', undefined], // §4.9
    ['sip:user@[2001:db8::192.0.2.1]', '[2001:db8::192.0.2.1]', undefined], // §4.10 correct form
    ['sip:user@[2001:db8:::192.0.2.1]', '[2001:db8:::192.0.2.1]', undefined], // §4.10: the 3-colon form RFC 3261's ABNF allowed, tolerated
    ['sip:[::1]:5060;transport=tcp', '[::1]', 5060],
    ['sip:[2001:0db8:0000:0000:0000:ff00:0042:8329]', '[2001:0db8:0000:0000:0000:ff00:0042:8329]', undefined],
  ])('%s', (text, host, port) => {
    const u = parseUri(text);
    expect(u.host).toBe(host);
    expect(u.port).toBe(port);
    expect(formatUri(u)).toBe(text);
  });

  it.each([
    'sip:2001:db8::10', // §4.6: no brackets
    'sip:user@[2001:db8:::1]', // ":::" not before an IPv4 tail
    'sip:[2001:db8::10', // unterminated
    'sip:[1:2:3:4:5:6:7:8:9]',
    'sip:[1::2::3]',
    'sip:[12345::1]',
    'sip:[::ffff:192.0.2.256]',
    'sip:[]',
  ])('rejects %s', (text) => {
    expect(codeOf(() => parseUri(text))).toBe('SIP_BAD_URI');
  });

  it('classifies addresses like RFC 4291 §2.2', () => {
    for (const ok of ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '::ffff:1.2.3.4', 'fe80::1:2']) expect(isIPv6(ok), ok).toBe(true);
    for (const bad of [':', ':1', '1:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2:3:4:5:6:7:8', 'g::1', '1:2:3:4:5:6:7:1.2.3.4']) expect(isIPv6(bad), bad).toBe(false);
    expect(isIPv4('192.0.2.1')).toBe(true);
    expect(isIPv4('192.0.2')).toBe(false);
  });
});

describe('scanHost', () => {
  it('agrees with isHost on every string: one pass finds and validates the same hosts', () => {
    const chars = fc.constantFrom(...'ab1-._:[]0.9fF'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 12 }), fc.domain(), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`)), (s) => {
        expect(scanHost(s, 0, s.length) === s.length).toBe(isHost(s));
      }),
      { seed: Number(process.env.HOTLINE_FC_SEED ?? 5118), numRuns: 3000 },
    );
  });
});

describe('tel URIs (RFC 3966 basics)', () => {
  it('reads global and local numbers with parameters', () => {
    expect(parseUri('tel:+1-201-555-0123;ext=1234')).toEqual<SipUri>({
      scheme: 'tel',
      user: '+1-201-555-0123',
      password: undefined,
      host: '',
      port: undefined,
      params: new Map([['ext', '1234']]),
      headers: new Map(),
    });
    expect(parseUri('tel:7042;phone-context=example.com').params.get('phone-context')).toBe('example.com');
    expect(parseUri('TEL:*21#').user).toBe('*21#');
  });

  it('rejects numbers without digits or with letters outside hex', () => {
    expect(codeOf(() => parseUri('tel:'))).toBe('SIP_BAD_URI');
    expect(codeOf(() => parseUri('tel:+1-800-FLOWERZ'))).toBe('SIP_BAD_URI');
    expect(codeOf(() => parseUri('tel:+12?x=1'))).toBe('SIP_BAD_URI');
  });

  it('formats back', () => {
    expect(formatUri(parseUri('tel:+1-201-555-0123;ext=1234'))).toBe('tel:+1-201-555-0123;ext=1234');
  });
});

describe('formatUri', () => {
  it('escapes what the grammar does not allow raw, so parseUri reads it back', () => {
    const u: SipUri = {
      scheme: 'sip',
      user: 'sips:user@example.com',
      password: 'a:b@c',
      host: 'example.net',
      port: 5060,
      params: new Map([['name', 'value%41'], ['flag', null], ['with space', 'a;b']]),
      headers: new Map([['Route', '<sip:example.com>'], ['x', '']]),
    };
    const text = formatUri(u);
    expect(text).toBe('sip:sips%3Auser%40example.com:a%3Ab%40c@example.net:5060;name=value%2541;flag;with%20space=a%3Bb?Route=%3Csip:example.com%3E&x=');
    expect(parseUri(text)).toEqual(u);
  });

  it('writes NULs escaped, never raw', () => {
    expect(formatUri(parseUri('sip:%00%00@host5.example.com'))).toBe('sip:%00%00@host5.example.com');
  });

  it('brackets a bare IPv6 host', () => {
    expect(formatUri({ scheme: 'sip', user: undefined, password: undefined, host: '2001:db8::1', port: 5060, params: new Map(), headers: new Map() })).toBe('sip:[2001:db8::1]:5060');
  });
});
