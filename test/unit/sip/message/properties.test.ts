/**
 * Property-based tests (fast-check, seeded: HOTLINE_FC_SEED overrides).
 *
 * Round trips: generated URIs, addresses, Vias and whole requests/responses
 * survive format → parse. Normalisation (the only differences allowed):
 * header values are trimmed of SP/HTAB; URI parameter names are lower-cased;
 * Content-Length is added or corrected to the body's length.
 *
 * Robustness: random mutations of the RFC 4475/5118 messages and random
 * bytes never make parseMessage, the accessors or validateRequest throw
 * anything but SipParseError, and each input is handled in bounded time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError } from '../../../../src/sip/message/errors.ts';
import { createRequest, createResponse, SipRequest, SipResponse, type SipMessage } from '../../../../src/sip/message/message.ts';
import { formatNameAddr, parseNameAddr } from '../../../../src/sip/message/name-addr.ts';
import { headerKey } from '../../../../src/sip/message/names.ts';
import { parseMessage, validateRequest, validateResponse } from '../../../../src/sip/message/parser.ts';
import { quote } from '../../../../src/sip/message/scan.ts';
import { KNOWN_METHODS, type NameAddr, type SipUri, type Via } from '../../../../src/sip/message/types.ts';
import { formatUri, parseUri } from '../../../../src/sip/message/uri.ts';
import { formatVia, parseVia } from '../../../../src/sip/message/via.ts';
import { listCorpus, readCorpus, toWireForm } from './corpus.ts';

const seed = Number(process.env.HOTLINE_FC_SEED ?? 4475);
function run<Ts extends unknown[]>(property: fc.IProperty<Ts>, numRuns: number): void {
  fc.assert(property, { seed, numRuns });
}

// ── arbitraries ───────────────────────────────────────────────────────────

const TOKEN_CHARS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"];
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
const lowerToken = token.map((t) => t.toLowerCase());
/** Any text a URI component may hold once escaped: ASCII controls and NUL included, and Unicode. */
const anyText = (minLength: number) =>
  fc.oneof(fc.string({ unit: 'binary-ascii', minLength, maxLength: 10 }), fc.string({ unit: 'grapheme', minLength, maxLength: 6 }));
/** Text without CR/LF (header values, display names, reason phrases). */
const lineText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary-ascii', maxLength: 20 })).map((s) => s.replace(/[\r\n]/g, ''));
const trimmed = lineText.map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''));
const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`));
const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined });
const mapOf = <V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>) =>
  fc.uniqueArray(fc.tuple(key, value), { selector: (t) => t[0], maxLength: 4 }).map((entries) => new Map(entries));

const sipUri: fc.Arbitrary<SipUri> = fc
  .record({
    scheme: fc.constantFrom('sip' as const, 'sips' as const),
    user: fc.option(anyText(1), { nil: undefined }),
    password: fc.option(anyText(0), { nil: undefined }),
    host,
    port,
    params: mapOf(anyText(1).map((n) => n.toLowerCase()), fc.option(anyText(0), { nil: null })),
    headers: mapOf(anyText(1), anyText(0)),
  })
  .map((u) => ({ ...u, password: u.user === undefined ? undefined : u.password }));

const telUri: fc.Arbitrary<SipUri> = fc
  .record({
    number: fc.tuple(fc.boolean(), fc.array(fc.constantFrom(...'0123456789-.()'.split('')), { minLength: 1, maxLength: 15 })).map(([plus, chars]) => `${plus ? '+' : ''}7${chars.join('')}`),
    params: mapOf(lowerToken, fc.option(token, { nil: null })),
  })
  .map(({ number, params }) => ({ scheme: 'tel' as const, user: number, password: undefined, host: '', port: undefined, params, headers: new Map<string, string>() }));

const uri = fc.oneof({ weight: 4, arbitrary: sipUri }, { weight: 1, arbitrary: telUri });

const headerParams = mapOf(lowerToken, fc.option(fc.oneof(token, lineText.map(quote)), { nil: null }));

const nameAddr: fc.Arbitrary<NameAddr> = fc.record({
  displayName: fc.option(lineText, { nil: undefined }),
  uri,
  params: headerParams,
});

const via: fc.Arbitrary<Via> = fc.record({
  protocol: fc.constant('SIP/2.0'),
  transport: fc.oneof(fc.constantFrom('UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'), token.map((t) => t.toUpperCase())),
  host,
  port,
  params: headerParams,
});

/** Headers with a grammar of their own (checked by validateRequest) are generated apart; 'v', 'f'... are compact forms. */
const STRUCTURED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'route', 'record-route', 'content-length', 'content-type']);
const extensionHeader = fc.tuple(token, trimmed).filter(([name]) => !STRUCTURED.has(headerKey(name)));
const body = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), lineText.map((s) => Buffer.from(s)));

// ── helpers ───────────────────────────────────────────────────────────────

/** Calls fn; a SipParseError is an allowed outcome, anything else fails the property. */
function allowed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
  }
}

/** Everything a server does with bytes from the network. */
function exercise(buf: Buffer): void {
  for (const transport of ['udp', 'stream'] as const) {
    let m: SipRequest | SipResponse;
    try {
      m = parseMessage(buf, { transport });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      if (err.partial !== undefined) createResponse(err.partial, err.status, err.reason, { toTag: 'fz' }).toBuffer();
      continue;
    }
    const msg: SipMessage = m;
    for (const read of [
      () => msg.via(), () => msg.topVia(), () => msg.from(), () => msg.to(), () => msg.callId(), () => msg.cseq(),
      () => msg.contact(), () => msg.route(), () => msg.recordRoute(), () => msg.maxForwards(), () => msg.tokens('require'),
      () => msg.headers.getAll('contact'), () => msg.headers.get('via'), () => msg.headers.fields(),
    ]) {
      allowed(read);
    }
    if (m instanceof SipRequest) {
      const req = m;
      allowed(() => req.requestUri());
      validateRequest(req);
      validateRequest(req, { knownMethods: KNOWN_METHODS });
      createResponse(req, 400, 'Bad Request', { toTag: 'fz' }).toBuffer();
    } else {
      validateResponse(m);
    }
    expect(m.toBuffer().length).toBeGreaterThan(0);
    // What was accepted and is then modified is rebuilt into something that parses again.
    m.headers.set('X-Fuzz', '1');
    parseMessage(m.toBuffer(), { transport: 'stream' });
  }
}

const CORPUS: Buffer[] = [
  ...listCorpus().map((f) => readCorpus(f)),
  ...listCorpus('rfc5118').map((f) => toWireForm(readCorpus(`rfc5118/${f}`))),
];

type Mutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; at: number; len: number };

const SYNTAX = [',', ';', '"', '\\', '<', '>', ':', '\r\n', '\r\n ', '\r', '\n', '%', '%0', '[', ']', '@', '=', ' ', '\t', '\0', '\xff', ';;;', ',,,', 'Content-Length: 99\r\n', 'l: 0\r\n', 'Via: SIP/2.0/UDP [::1]\r\n', '\r\n\r\n'];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(...SYNTAX).map((s) => Buffer.from(s, 'latin1')) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 128 }) }),
);

function mutate(input: Buffer, ops: readonly Mutation[]): Buffer {
  let buf = input;
  for (const m of ops) {
    const at = buf.length === 0 ? 0 : m.at % (buf.length + 1);
    switch (m.op) {
      case 'flip':
        if (at < buf.length) {
          buf = Buffer.from(buf);
          buf[at] = m.byte;
        }
        break;
      case 'delete':
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.len)]);
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
      case 'duplicate':
        buf = Buffer.concat([buf.subarray(0, at + m.len), buf.subarray(at)]);
        break;
    }
  }
  return buf;
}

/** Bounded time: generous for a loaded CI machine, far below what a super-linear path would take. */
const BUDGET_MS = 250;
function timed(fn: () => void): void {
  const t0 = performance.now();
  fn();
  expect(performance.now() - t0).toBeLessThan(BUDGET_MS);
}

// ── properties ────────────────────────────────────────────────────────────

describe('round trips', () => {
  it('parseUri(formatUri(u)) is u, for sip, sips (IPv4, IPv6, names) and tel', () => {
    run(fc.property(uri, (u) => {
      expect(parseUri(formatUri(u))).toEqual(u);
    }), 1000);
  });

  it('parseNameAddr(formatNameAddr(a)) is a', () => {
    run(fc.property(nameAddr, (a) => {
      expect(parseNameAddr(formatNameAddr(a))).toEqual(a);
    }), 500);
  });

  it('parseVia(formatVia(v)) is v', () => {
    run(fc.property(via, (v) => {
      expect(parseVia(formatVia(v))).toEqual(v);
    }), 500);
  });

  it('requests: method, Request-URI, headers in order, structured values and body survive serialize → parse', () => {
    const method = fc.oneof(fc.constantFrom(...KNOWN_METHODS), token);
    // Headers are not allowed in a Request-URI (RFC 3261 §19.1.1): validateRequest would refuse them.
    const requestUri = uri.map((u) => ({ ...u, headers: new Map<string, string>() }));
    run(
      fc.property(method, requestUri, via, nameAddr, nameAddr, fc.integer({ min: 0, max: 0xffffffff }), fc.array(extensionHeader, { maxLength: 8 }), body, fc.constantFrom('udp' as const, 'stream' as const),
        (m, u, v, from, to, seq, extra, b, transport) => {
          const headers: Array<[string, string]> = [['Via', formatVia(v)], ['From', formatNameAddr(from)], ['To', formatNameAddr(to)], ['Call-ID', 'f81d4fae-7dec@example.com'], ['CSeq', `${seq} ${m}`], ...extra];
          const sent = createRequest({ method: m, uri: u, headers, body: b });
          const got = parseMessage(sent.toBuffer(), { transport }) as SipRequest;
          expect(got).toBeInstanceOf(SipRequest);
          expect(got.method).toBe(m);
          expect(got.requestUri()).toEqual(u);
          expect(got.topVia()).toEqual(v);
          expect(got.from()).toEqual(from);
          expect(got.to()).toEqual(to);
          expect(got.cseq()).toEqual({ seq, method: m });
          expect(got.headers.fields()).toEqual([...headers.map(([name, value]) => ({ name, value })), { name: 'Content-Length', value: String(b.length) }]);
          expect(got.body.equals(b)).toBe(true);
          expect(validateRequest(got)).toBeNull();
        }),
      300,
    );
  });

  it('responses: status, reason (UTF-8, empty, spaces), headers and body survive serialize → parse', () => {
    run(
      fc.property(fc.integer({ min: 100, max: 699 }), lineText, fc.array(extensionHeader, { maxLength: 8 }), body, (status, reason, extra, b) => {
        const sent = new SipResponse({ status, reason, headers: extra, body: b });
        const got = parseMessage(sent.toBuffer()) as SipResponse;
        expect(got).toBeInstanceOf(SipResponse);
        expect([got.status, got.reason]).toEqual([status, reason]);
        expect(got.headers.fields()).toEqual([...extra.map(([name, value]) => ({ name, value })), { name: 'Content-Length', value: String(b.length) }]);
        expect(got.body.equals(b)).toBe(true);
      }),
      300,
    );
  });
});

describe('robustness', () => {
  it('mutated corpus messages: only SipParseError, bounded time', () => {
    run(
      fc.property(fc.nat(CORPUS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (index, ops) => {
        const buf = mutate(CORPUS[index]!, ops);
        timed(() => exercise(buf));
      }),
      2000,
    );
  });

  it('random bytes and random text: only SipParseError, bounded time', () => {
    run(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      timed(() => exercise(Buffer.from(bytes)));
    }), 300);
    run(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 1024 }), (text) => {
      timed(() => exercise(Buffer.from(`INVITE sip:a@b SIP/2.0\r\n${text}`, 'latin1')));
    }), 300);
  });

  it('pathological inputs stay linear: huge lists, parameter runs, quotes, folds and header counts', () => {
    const core = 'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n';
    const cases = [
      `Contact: ${'<sip:a@b>,'.repeat(5000)}<sip:a@b>\r\n`,
      `Via: SIP/2.0/UDP h${';a=b'.repeat(10000)}\r\n`,
      `Subject: ${'"\\"'.repeat(15000)}\r\n`,
      `To: "${'\\x'.repeat(20000)}" <sip:a@b>\r\n`,
      `X: a${'\r\n b'.repeat(15000)}\r\n`,
      'X: y\r\n'.repeat(10000),
      `Route: ${'<sip:r;lr>, '.repeat(4000)}<sip:r;lr>\r\n`,
      `Require: ${'x,'.repeat(25000)}\r\n`,
    ];
    for (const extra of cases) {
      const buf = Buffer.from(`INVITE sip:a@b SIP/2.0\r\n${core}${extra}\r\n`);
      expect(buf.length).toBeLessThan(65_535);
      timed(() => exercise(buf));
    }
  });
});
