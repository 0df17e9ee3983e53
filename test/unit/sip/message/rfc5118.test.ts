/**
 * RFC 5118 "SIP Torture Test Messages for IPv6", read in place. The archive
 * has LF line endings and two messages without the closing empty line (see
 * corpus.ts): the tests parse toWireForm() of each file — CRLF, closed
 * header section, recomputed Content-Length — which is the message the RFC
 * describes. The raw LF files themselves are not SIP and are refused.
 */
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../../src/sip/message/errors.ts';
import { SipRequest } from '../../../../src/sip/message/message.ts';
import { parseMessage, validateRequest } from '../../../../src/sip/message/parser.ts';
import { listCorpus, readCorpus, toWireForm } from './corpus.ts';

type Check = (m: SipRequest) => void;
type Expectation = { section: string; valid: true; check: Check } | { section: string; valid: false; status: number; reason: RegExp };

const contactHost = (m: SipRequest): string => {
  const c = m.contact();
  if (c === '*') throw new Error('unexpected *');
  return c[0]!.uri.host;
};

const CASES: Record<string, Expectation> = {
  'ipv6-good': {
    section: '4.1',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8::10]');
      expect(m.topVia()?.host).toBe('[2001:db8::9:1]');
      expect(contactHost(m)).toBe('[2001:db8::1]');
    },
  },
  // 4.2: the ":5070" is inside the brackets — part of the address, not a port.
  'port-ambiguous': {
    section: '4.2',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8::10:5070]');
      expect(m.requestUri().port).toBeUndefined();
    },
  },
  'port-unambiguous': {
    section: '4.3',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8::10]');
      expect(m.requestUri().port).toBe(5070);
    },
  },
  'via-received-param-with-delim': {
    section: '4.4',
    valid: true,
    check: (m) => expect(m.topVia()?.params.get('received')).toBe('[2001:db8::9:255]'),
  },
  'via-received-param-no-delim': {
    section: '4.5',
    valid: true,
    check: (m) => expect(m.topVia()?.params.get('received')).toBe('2001:db8::9:255'),
  },
  'ipv6-bad': { section: '4.6', valid: false, status: 400, reason: /^Bad Request-URI$/ },
  'mult-ip-in-header': {
    section: '4.7',
    valid: true,
    check: (m) => {
      expect(m.via().map((v) => [v.transport, v.host, v.port, v.params.get('received')])).toEqual([
        ['UDP', '[2001:db8::9:1]', 6050, undefined],
        ['UDP', '192.0.2.1', undefined, undefined],
        ['TCP', '[2001:db8::9:255]', undefined, '192.0.2.200'],
      ]);
    },
  },
  'mult-ip-in-sdp': {
    section: '4.8',
    valid: true,
    check: (m) => {
      expect(m.body.toString()).toContain('c=IN IP6 2001:db8::1\r\n');
      expect(m.body.toString()).toContain('c=IN IP4 192.0.2.1\r\n');
    },
  },
  'ipv4-mapped-ipv6': {
    section: '4.9',
    valid: true,
    check: (m) => {
      expect(m.via().map((v) => [v.host, v.port])).toEqual([
        ['[::ffff:192.0.2.10]', 19823],
        ['[::ffff:192.0.2.2]', undefined],
      ]);
      expect(contactHost(m)).toBe('[::ffff:192.0.2.2]');
    },
  },
  // 4.10: RFC 3261's IPv6reference ABNF let ":::" through before an IPv4 tail;
  // RFC 5118 asks implementations to tolerate it as well as the corrected form.
  'ipv6-bug-abnf-3-colons': {
    section: '4.10',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8:::192.0.2.1]');
    },
  },
  'ipv6-correct-abnf-2-colons': {
    section: '4.10',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8::192.0.2.1]');
      expect(m.to().uri.host).toBe('[2001:db8::192.0.2.1]');
    },
  },
  'ipv6-in-sdp': {
    section: '4.11',
    valid: true,
    check: (m) => {
      expect(m.requestUri().host).toBe('[2001:db8::10]');
      expect(m.body.toString()).toContain('c=IN IP6 2001:db8::20\r\n');
    },
  },
};

describe('RFC 5118 IPv6 torture messages', () => {
  it('has an expectation for each of the 12 messages', () => {
    expect(listCorpus('rfc5118').map((f) => f.replace(/\.dat$/, ''))).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, expectation] of Object.entries(CASES)) {
    it(`§${expectation.section} ${name}: ${expectation.valid ? 'valid' : `${expectation.status}`}`, () => {
      const wire = toWireForm(readCorpus(`rfc5118/${name}.dat`));
      const m = parseMessage(wire);
      expect(m).toBeInstanceOf(SipRequest);
      const req = m as SipRequest;
      if (expectation.valid) {
        expect(validateRequest(req)).toBeNull();
        expectation.check(req);
        expect(req.toBuffer().equals(wire)).toBe(true);
      } else {
        const problem = validateRequest(req);
        expect(problem?.status).toBe(expectation.status);
        expect(problem?.reason).toMatch(expectation.reason);
      }
    });
  }

  it('refuses the archive bytes as they are (LF line endings are not SIP framing)', () => {
    const raw = readCorpus('rfc5118/ipv6-good.dat');
    expect(() => parseMessage(raw)).toThrow(SipParseError);
    try {
      parseMessage(raw);
    } catch (err) {
      expect((err as SipParseError).code).toBe('SIP_BAD_FRAMING');
    }
  });
});
