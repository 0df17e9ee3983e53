/**
 * Every RFC 4475 torture message (49) and every RFC 5118 IPv6 message (12),
 * sent to a RUNNING SipServer over UDP and over TCP, each judged by the
 * response the RFC asks for. The corpus is read in place from
 * $HOTLINE_RFC4475_DIR (default ../shared/testdata/rfc4475) and checked
 * against the SHA-256 sums in its SOURCES.md.
 *
 * The server is set up as an operator-facing hotline would be, minus digest
 * auth (so REGISTER reaches the registrar and INVITE the application; the
 * one message about authentication, regaut01, is also run against a server
 * with auth at the end):
 * - an INVITE handler that answers 486 Busy Here to everything;
 * - T1 = 20 ms instead of 500 ms (RFC 3261 §17.1.1.1 allows a smaller T1 on
 *   closed networks; loopback is one). Several corpus messages share a branch
 *   and sent-by by copy-paste (cparam01/02; the RFC 5118 REGISTERs; the two
 *   §4.10 OPTIONS): §17.2.3 rightly makes the second a retransmission of the
 *   first while that transaction lives (Timer J = 64·T1 over UDP). The test
 *   waits 64·T1 between such messages instead of 32 s;
 * - one server per transport pass, so the UDP pass leaves no registrar or
 *   transaction state behind for the TCP pass;
 * - before each REGISTER the bindings an earlier corpus message left for its
 *   AOR are removed through the registrar API (the RFC 5118 REGISTERs share
 *   Call-ID and CSeq; §10.3 step 7 would otherwise fail the later ones as
 *   out of order), so every message is judged on its own.
 *
 * How replies are caught: over UDP the server answers at the top Via's
 * `received` (our source address) and sent-by port (5060 by default,
 * §18.2.2) or at our source port with rport; each message is sent from a
 * loopback address of its own (127.44.x.y) bound to that port. Over TCP each
 * message gets its own connection and replies come back on it. No ACK is sent
 * for the INVITEs' non-2xx finals: the server retransmits them until Timer H
 * and the duplicates are ignored. "No response" means none within 2 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCredentialStore } from '../../../../src/sip/auth/index.ts';
import { parseMessage, SipParseError, validateRequest } from '../../../../src/sip/message/index.ts';
import { SipServer } from '../../../../src/sip/server.ts';
import { corpusDir, datFiles, header, rawHeaders, rfc5118Wire, tcpExchange, transactionOf, UdpClient, verifySources, type Exchange, type Response } from './wire.ts';

// ───────────────────────────── expectations ─────────────────────────────

interface Outcome {
  /** Acceptable final statuses, one list per request the server must answer, in order; [] = nothing may come back. */
  finals: number[][];
  /** The INVITE is processed: the first response is 100 Trying (§17.2.1). */
  trying?: boolean;
  /** TCP: the server closes the connection (true) or keeps it open (false); undefined = either. */
  closes?: boolean;
  /** The RFC allows dropping instead of answering (the finals above are then optional). */
  orSilent?: boolean;
  /** The finals answer different transactions and may arrive in any order (compared sorted by status). */
  anyOrder?: boolean;
  /** More checks on the responses (given in arrival order, retransmissions removed). */
  check?: (responses: Response[]) => void;
  /**
   * The RFC allows rejecting (400, or dropping) or processing: the outcome is
   * pinned to hotline's own parser and validateRequest verdict on these bytes
   * (their status; dropped when no response can be built; `accepted` when they
   * find nothing wrong), so the running server must agree with its parser.
   */
  parserDecides?: { accepted: Outcome; rejects: number[]; dropOk: boolean };
}

interface Row {
  file: string;
  /** RFC section the message comes from. */
  rfc: string;
  title: string;
  udp: Outcome;
  /** Defaults to the UDP outcome. */
  tcp?: Outcome;
  /** Why this outcome, and the choice made where the RFC allows several. */
  why: string;
}

const final = (...statuses: number[]): Outcome => ({ finals: [statuses] });
const invite = (...statuses: number[]): Outcome => ({ finals: [statuses], trying: true });
const silent: Outcome = { finals: [] };
/** RFC: either reject or process; which one is the parser's call (see Outcome.parserDecides). */
const either = (accepted: Outcome, rejects: number[] = [400], dropOk = false): Outcome => ({ finals: [], parserDecides: { accepted, rejects, dropOk } });
/** Stream framing is lost (Content-Length unusable): the connection is closed; a 400 first is allowed, not required. */
const framingLost: Outcome = { finals: [[400]], orSilent: true, closes: true };
/** Stream waits for bytes that never come: no answer, connection kept open. */
const waitsForMore: Outcome = { finals: [], closes: false };

const contacts = (r: Response): string[] => header(r, 'contact').flatMap((v) => v.split(/,(?=\s*<)/).map((c) => c.trim()));

const ROWS: Row[] = [
  // ── RFC 4475 §3.1.1 valid messages: processed normally ──
  { file: 'wsinv.dat', rfc: '4475 §3.1.1.1', title: 'A Short Tortuous INVITE', udp: invite(481), why: 'Valid; its To has a tag, so it is a re-INVITE for a dialog that does not exist: 481 (§12.2.2).' },
  { file: 'intmeth.dat', rfc: '4475 §3.1.1.2', title: 'Wide Range of Valid Characters', udp: final(501), why: 'Valid; the method is unknown to hotline: 501 (§8.2.1).' },
  { file: 'esc01.dat', rfc: '4475 §3.1.1.3', title: 'Valid Use of the % Escaping Mechanism', udp: invite(486), why: 'Valid INVITE: reaches the application, which answers 486.' },
  {
    file: 'escnull.dat',
    rfc: '4475 §3.1.1.4',
    title: 'Escaped Nulls in URIs',
    udp: {
      ...final(200),
      check: (rs) => {
        const cs = rs.filter((r) => r.status === 200).flatMap(contacts);
        expect(cs.some((c) => c.startsWith('<sip:%00@host5.example.com>')), cs.join(' | ')).toBe(true);
        expect(cs.some((c) => c.startsWith('<sip:%00%00@host5.example.com>')), cs.join(' | ')).toBe(true);
      },
    },
    why: 'Valid REGISTER: 200 listing both contacts with their escaped nulls intact (not truncated at %00).',
  },
  { file: 'esc02.dat', rfc: '4475 §3.1.1.5', title: 'Use of % When It Is Not an Escape', udp: final(501), why: 'RE%47IST%45R is not REGISTER: an unknown method, 501 (§8.2.1).' },
  { file: 'lwsdisp.dat', rfc: '4475 §3.1.1.6', title: 'No LWS between Display Name and <', udp: final(200), why: 'Valid OPTIONS: 200 (§11.2).' },
  { file: 'longreq.dat', rfc: '4475 §3.1.1.7', title: 'Long Values in Header Fields', udp: invite(486), why: 'Valid INVITE: reaches the application, 486.' },
  {
    file: 'dblreq.dat',
    rfc: '4475 §3.1.1.8',
    title: 'Extra Trailing Octets in a UDP Datagram',
    udp: final(200),
    tcp: { finals: [[200], [486]], closes: true, anyOrder: true },
    why:
      'UDP: the REGISTER (Content-Length 0) is processed, 200, and the trailing octets are ignored (no 100/486). ' +
      'TCP: the trailing octets are the next messages on the stream: an INVITE framed by its Content-Length (150, five octets short of its SDP), ' +
      'then the left-over "LPC\\r\\n\\r\\n", which cannot be framed: the REGISTER and the INVITE were received whole and are both answered (200, and 100 + 486, in whichever order the two transactions finish), then the connection is closed.',
  },
  { file: 'semiuri.dat', rfc: '4475 §3.1.1.9', title: 'Semicolon-Separated Parameters in URI User Part', udp: final(200), why: 'Valid OPTIONS: 200.' },
  { file: 'transports.dat', rfc: '4475 §3.1.1.10', title: 'Varied and Unknown Transport Types', udp: final(200), why: 'Valid OPTIONS; only the top Via matters for the response: 200.' },
  { file: 'mpart01.dat', rfc: '4475 §3.1.1.11', title: 'Multipart MIME Message', udp: final(405, 501), why: 'Valid MESSAGE with a binary multipart body; hotline does not take MESSAGE: 405 or 501 (§8.2.1). Its Via has rport: answered at our source port.' },
  { file: 'unreason.dat', rfc: '4475 §3.1.1.12', title: 'Unusual Reason Phrase', udp: silent, why: 'A (valid) response matching no transaction: parsed and dropped; responses are never answered.' },
  { file: 'noreason.dat', rfc: '4475 §3.1.1.13', title: 'Empty Reason Phrase', udp: silent, why: 'A (valid) 100 matching no transaction: dropped.' },

  // ── RFC 4475 §3.1.2 invalid messages: 400 (or dropped where no response is possible) ──
  { file: 'badinv01.dat', rfc: '4475 §3.1.2.1', title: 'Extraneous Header Field Separators', udp: final(400), why: 'RFC: 400 Bad Request.' },
  { file: 'clerr.dat', rfc: '4475 §3.1.2.2', title: 'Content Length Larger Than Message', udp: final(400), tcp: waitsForMore, why: 'UDP: the datagram is shorter than Content-Length: 400 (§18.3). TCP: the 9999-octet body may still arrive; the server waits (no answer, connection open).' },
  { file: 'ncl.dat', rfc: '4475 §3.1.2.3', title: 'Negative Content-Length', udp: final(400), tcp: framingLost, why: 'UDP: 400. TCP: "the framing error is not recoverable, and the connection should be closed".' },
  { file: 'scalar02.dat', rfc: '4475 §3.1.2.4', title: 'Request Scalar Fields with Overlarge Values', udp: final(400), why: 'RFC: 400 because of the CSeq (2^65).' },
  { file: 'scalarlg.dat', rfc: '4475 §3.1.2.5', title: 'Response Scalar Fields with Overlarge Values', udp: silent, why: 'A malformed response: dropped (§18.1.2).' },
  { file: 'quotbal.dat', rfc: '4475 §3.1.2.6', title: 'Unterminated Quoted String in Display Name', udp: final(400), why: 'RFC: 400.' },
  { file: 'ltgtruri.dat', rfc: '4475 §3.1.2.7', title: '<> Enclosing Request-URI', udp: final(400), why: 'RFC: 400.' },
  { file: 'lwsruri.dat', rfc: '4475 §3.1.2.8', title: 'Malformed SIP Request-URI (embedded LWS)', udp: final(400), why: 'RFC: 400 (the request line has four elements).' },
  { file: 'lwsstart.dat', rfc: '4475 §3.1.2.9', title: 'Multiple SP Separating Request-Line Elements', udp: either(invite(486)), why: 'RFC: rejecting as malformed is acceptable, or ignore the extra SP (then the INVITE reaches the app: 486).' },
  { file: 'trws.dat', rfc: '4475 §3.1.2.10', title: 'SP Characters at End of Request-Line', udp: either(final(200)), why: 'RFC: reject (400) or ignore the trailing SP (OPTIONS 200).' },
  { file: 'escruri.dat', rfc: '4475 §3.1.2.11', title: 'Escaped Headers in SIP Request-URI', udp: either(invite(486)), why: 'RFC: 400 is acceptable, or ignore the escaped headers (app: 486).' },
  { file: 'baddate.dat', rfc: '4475 §3.1.2.12', title: 'Invalid Time Zone in Date Header Field', udp: either(invite(486)), why: 'RFC: 400, or ignore the (optional) Date (app: 486).' },
  { file: 'regbadct.dat', rfc: '4475 §3.1.2.13', title: 'Failure to Enclose name-addr URI in <>', udp: either(final(200)), why: 'RFC: 400 is reasonable; inferring the <> and registering (200) is allowed.' },
  { file: 'badaspec.dat', rfc: '4475 §3.1.2.14', title: 'Spaces within addr-spec', udp: either(final(200)), why: 'RFC: 400 is reasonable, or ignore the spaces (OPTIONS 200).' },
  {
    file: 'baddn.dat',
    rfc: '4475 §3.1.2.15',
    title: 'Non-token Characters in Display Name',
    udp: final(400),
    tcp: waitsForMore,
    why: 'RFC: 400. The archive bytes also lack the empty line ending the header section (SOURCES.md): over UDP still 400; over TCP the header section never ends, so the server waits (no answer, connection open).',
  },
  { file: 'badvers.dat', rfc: '4475 §3.1.2.16', title: 'Unknown Protocol Version', udp: final(505), why: 'RFC: 505 Version Not Supported.' },
  { file: 'mismatch01.dat', rfc: '4475 §3.1.2.17', title: 'Start Line and CSeq Method Mismatch', udp: final(400), why: 'RFC: 400.' },
  { file: 'mismatch02.dat', rfc: '4475 §3.1.2.18', title: 'Unknown Method with CSeq Method Mismatch', udp: either(final(501), [501, 400]), why: 'RFC: 501 preferred, 400 acceptable. (validateRequest gives 501 only when given knownMethods, which the server core does not pass.)' },
  { file: 'bigcode.dat', rfc: '4475 §3.1.2.19', title: 'Overlarge Response Code', udp: silent, why: 'A malformed response: dropped.' },

  // ── RFC 4475 §3.2 transaction layer ──
  { file: 'badbranch.dat', rfc: '4475 §3.2.1', title: 'Missing Transaction Identifier', udp: either(final(200)), why: 'RFC: reject with 400 (preferably statelessly), or fall back to RFC 2543 transaction matching (OPTIONS 200).' },

  // ── RFC 4475 §3.3 application layer ──
  {
    file: 'insuf.dat',
    rfc: '4475 §3.3.1',
    title: 'Missing Required Header Fields',
    udp: either(final(400), [400], true),
    why: 'RFC: must not break; "ideally" 400. A response copies From/To/Call-ID (§8.2.6.2), which are missing, so dropping is allowed too (DESIGN: "or dropped if no response is possible").',
  },
  { file: 'unkscm.dat', rfc: '4475 §3.3.2', title: 'Request-URI with Unknown Scheme', udp: final(416), why: 'RFC: 416 Unsupported URI Scheme (§8.2.2.1).' },
  { file: 'novelsc.dat', rfc: '4475 §3.3.3', title: 'Request-URI with Known but Atypical Scheme', udp: final(416), why: 'RFC: 416 from an element that never accepts soap.beep (hotline).' },
  { file: 'unksm2.dat', rfc: '4475 §3.3.4', title: 'Unknown URI Schemes in Header Fields', udp: final(400), why: 'RFC: a registrar rejects it with 400: the To must be a SIP/SIPS AOR.' },
  {
    file: 'bext01.dat',
    rfc: '4475 §3.3.5',
    title: 'Proxy-Require and Require',
    udp: {
      ...final(420),
      check: (rs) => {
        const unsupported = rs.filter((r) => r.status === 420).flatMap((r) => header(r, 'unsupported')).join(',');
        // Tokens compare case-insensitively (§7.3.1): the tags may come back in any case.
        expect(unsupported).toMatch(/nothingSupportsThis\b/i);
        expect(unsupported).toMatch(/nothingSupportsThisEither/i);
        expect(unsupported).not.toMatch(/noProxiesSupportThis/i);
      },
    },
    why: 'RFC: 420 Bad Extension with Unsupported naming the Require tags (a UAS answers for Require, not Proxy-Require, §8.2.2.3).',
  },
  {
    file: 'invut.dat',
    rfc: '4475 §3.3.6',
    title: 'Unknown Content-Type',
    udp: {
      ...final(415),
      check: (rs) => expect(rs.filter((r) => r.status === 415).flatMap((r) => header(r, 'accept')).join(',')).toMatch(/application\/sdp/),
    },
    why: 'RFC: an endpoint rejects it with 415 Unsupported Media Type; §8.2.3: MUST, with Accept listing what it understands.',
  },
  { file: 'regaut01.dat', rfc: '4475 §3.3.7', title: 'Unknown Authorization Scheme', udp: final(200), why: 'This server does not authenticate, so the Authorization header is not looked at: 200. The RFC’s 401 is checked against a server with auth below.' },
  { file: 'multi01.dat', rfc: '4475 §3.3.8', title: 'Multiple Values in Single Value Required Fields', udp: final(400), why: 'RFC: 400.' },
  { file: 'mcl01.dat', rfc: '4475 §3.3.9', title: 'Multiple Content-Length Values', udp: final(400), tcp: framingLost, why: 'RFC: 400. TCP: two Content-Length values make the framing undefined: the connection is closed.' },
  { file: 'bcast.dat', rfc: '4475 §3.3.10', title: '200 OK Response with Broadcast Via', udp: silent, why: 'A response matching no transaction: dropped, and never sent on to 255.255.255.255.' },
  { file: 'zeromf.dat', rfc: '4475 §3.3.11', title: 'Max-Forwards of Zero', udp: final(200), why: 'RFC: an endpoint processes it as if Max-Forwards were positive: OPTIONS 200.' },
  {
    file: 'cparam01.dat',
    rfc: '4475 §3.3.12',
    title: 'REGISTER with a Contact Header Parameter',
    udp: {
      ...final(200),
      check: (rs) => {
        const cs = rs.filter((r) => r.status === 200).flatMap(contacts);
        expect(cs.some((c) => c.startsWith('<sip:+19725552222@gw1.example.net>')), cs.join(' | ')).toBe(true);
        expect(cs.some((c) => /<[^>]*unknownparam[^>]*>/.test(c)), cs.join(' | ')).toBe(false);
      },
    },
    why: 'RFC: succeeds, and "unknownparam" is a contact-param, never a url-param of the binding.',
  },
  {
    file: 'cparam02.dat',
    rfc: '4475 §3.3.13',
    title: 'REGISTER with a url-parameter',
    udp: {
      ...final(200),
      check: (rs) => {
        const cs = rs.filter((r) => r.status === 200).flatMap(contacts);
        expect(cs.some((c) => c.startsWith('<sip:+19725552222@gw1.example.net;unknownparam>')), cs.join(' | ')).toBe(true);
      },
    },
    why: 'RFC: succeeds; "unknownparam" is a url-parameter and stays in the bound URI.',
  },
  {
    file: 'regescrt.dat',
    rfc: '4475 §3.3.14',
    title: 'REGISTER with a URL Escaped Header',
    udp: {
      ...final(200),
      check: (rs) => {
        const cs = rs.filter((r) => r.status === 200).flatMap(contacts);
        expect(cs.some((c) => c.startsWith('<sip:user@example.com?Route=%3Csip:sip.example.com%3E>')), `200 Contact: ${cs.join(' | ')}`).toBe(true);
      },
    },
    why: 'RFC: succeeds, and the binding keeps the escaped Route header: "a subsequent retrieval of the registration must include the escaped Route header in the contact URI".',
  },
  { file: 'sdp01.dat', rfc: '4475 §3.3.15', title: 'Unacceptable Accept Offering', udp: final(406, 400), why: 'RFC: 406 Not Acceptable (the answer could not be sent in text/nobodyKnowsThis), or 400 since every INVITE-capable UA supports application/sdp.' },

  // ── RFC 4475 §3.4 backward compatibility ──
  {
    file: 'inv2543.dat',
    rfc: '4475 §3.4.1',
    title: 'INVITE with RFC 2543 Syntax',
    udp: invite(486),
    tcp: framingLost,
    why: 'UDP: accepted for backward compatibility (no branch, no Max-Forwards, no From tag): reaches the app, 486. TCP: it has a body and no Content-Length, which a stream cannot frame (§18.3): connection closed.',
  },

  // ── RFC 5118 (archive LF bytes → CRLF, header section closed, Content-Length recounted) ──
  { file: 'rfc5118/ipv6-good.dat', rfc: '5118 §4.1', title: 'Valid SIP Message with an IPv6 Reference', udp: final(200), why: 'Valid REGISTER to sip:[2001:db8::10]: 200.' },
  { file: 'rfc5118/ipv6-bad.dat', rfc: '5118 §4.2', title: 'Invalid SIP Message with an IPv6 Reference', udp: final(400), why: 'The Request-URI has an IPv6 address without brackets: 400.' },
  { file: 'rfc5118/port-ambiguous.dat', rfc: '5118 §4.3', title: 'Port Ambiguous in a SIP URI', udp: final(200), why: '[2001:db8::10:5070] is an address without a port: valid, 200.' },
  { file: 'rfc5118/port-unambiguous.dat', rfc: '5118 §4.4', title: 'Port Unambiguous in a SIP URI', udp: final(200), why: '[2001:db8::10]:5070: valid, 200.' },
  {
    file: 'rfc5118/via-received-param-with-delim.dat',
    rfc: '5118 §4.5',
    title: 'IPv6 Reference Delimiters in Via Header (with [])',
    udp: final(481),
    why: 'Valid BYE for an unknown dialog: 481. Over UDP the answer goes to the packet source: §18.2.1 says the received parameter "MUST contain the source address from which the packet was received" (the one in the request is the sender’s claim).',
  },
  {
    file: 'rfc5118/via-received-param-no-delim.dat',
    rfc: '5118 §4.5',
    title: 'IPv6 Reference Delimiters in Via Header (without [])',
    udp: final(200),
    why: 'Valid OPTIONS: 200, at the packet source (as above).',
  },
  { file: 'rfc5118/ipv6-in-sdp.dat', rfc: '5118 §4.6', title: 'IPv6 Addresses in SDP Body', udp: invite(486), why: 'Valid INVITE: reaches the app, 486.' },
  { file: 'rfc5118/mult-ip-in-header.dat', rfc: '5118 §4.7', title: 'Multiple IP Addresses in SIP Headers', udp: final(481), why: 'Valid BYE for an unknown dialog: 481 (at received = our address, sent-by port 6050).' },
  { file: 'rfc5118/mult-ip-in-sdp.dat', rfc: '5118 §4.8', title: 'Multiple IP Addresses in SDP', udp: invite(486), why: 'Valid INVITE: 486.' },
  { file: 'rfc5118/ipv4-mapped-ipv6.dat', rfc: '5118 §4.9', title: 'IPv4-Mapped IPv6 Addresses', udp: invite(486), why: 'Valid INVITE: 486 (at received = our address, sent-by port 19823).' },
  { file: 'rfc5118/ipv6-bug-abnf-3-colons.dat', rfc: '5118 §4.10', title: 'IPv6 Reference Bug in RFC 3261 ABNF (3 colons)', udp: final(200), why: '"an implementation must tolerate both of the above constructs": OPTIONS 200.' },
  { file: 'rfc5118/ipv6-correct-abnf-2-colons.dat', rfc: '5118 §4.10', title: 'IPv6 Reference in RFC 3261 ABNF (2 colons)', udp: final(200), why: 'Valid OPTIONS: 200.' },
];

// ───────────────────────────── the corpus ─────────────────────────────

const CORPUS = corpusDir(); // throws, loudly, when the corpus is missing
const LISTED = verifySources(CORPUS);

/** hotline's own verdict on the bytes: a status to answer with, 'drop', or 'ok'. */
function parserVerdict(bytes: Buffer, transport: 'udp' | 'tcp'): number | 'drop' | 'ok' {
  try {
    const m = parseMessage(bytes, { transport: transport === 'udp' ? 'udp' : 'stream' });
    if ('status' in m) return 'drop';
    return validateRequest(m)?.status ?? 'ok';
  } catch (err) {
    if (!(err instanceof SipParseError)) throw err;
    return err.partial !== undefined ? err.status : 'drop';
  }
}

/** The outcome to hold the server to, with an either() row pinned to the parser's verdict. */
function resolveOutcome(row: Row, transport: 'udp' | 'tcp'): { o: Outcome; pinned?: string; outsideRfc?: string } {
  const o = transport === 'udp' ? row.udp : (row.tcp ?? row.udp);
  const d = o.parserDecides;
  if (d === undefined) return { o };
  const verdict = parserVerdict(wireBytes(row.file), transport);
  if (verdict === 'ok') return { o: d.accepted, pinned: 'parser accepts it' };
  if (verdict === 'drop') return { o: silent, pinned: 'parser drops it', ...(d.dropOk ? {} : { outsideRfc: 'the parser drops it, which the RFC does not offer' }) };
  return { o: final(verdict), pinned: `parser says ${verdict}`, ...(d.rejects.includes(verdict) ? {} : { outsideRfc: `the parser picks ${verdict}; the RFC allows ${d.rejects.join('/')}` }) };
}

function wireBytes(file: string): Buffer {
  const bytes = readFileSync(join(CORPUS, file));
  return file.startsWith('rfc5118/') ? rfc5118Wire(bytes) : bytes;
}

const T1 = 20;
const WINDOW_MS = 2_000;
const LINGER_MS = 150;

describe('the RFC 4475 / RFC 5118 corpus', () => {
  it('is complete, byte-exact, and every message has an expectation in the table', () => {
    const rfc4475 = datFiles(CORPUS);
    const rfc5118 = datFiles(join(CORPUS, 'rfc5118')).map((f) => `rfc5118/${f}`);
    expect(rfc4475).toHaveLength(49);
    expect(rfc5118).toHaveLength(12);
    for (const f of [...rfc4475, ...rfc5118]) expect(LISTED.has(f), `${f} not in SOURCES.md`).toBe(true);
    expect(ROWS.map((r) => r.file).sort()).toEqual([...rfc4475, ...rfc5118].sort());
  });
});

interface Running {
  server: SipServer;
  udp: { address: string; port: number };
  tcp: { address: string; port: number };
  logs: Array<{ level: number; msg?: string; err?: unknown }>;
  /** Last send of each (branch, sent-by, method): a message repeating one waits until the first transaction is over. */
  lastSent: Map<string, number>;
}

async function startServer(opts: { auth?: boolean } = {}): Promise<Running> {
  const logs: Running['logs'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Running['logs'][number]) });
  const credentials = new MemoryCredentialStore();
  credentials.setPassword('j.user', 'hotline', 'secret');
  const server = await SipServer.start({
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    log,
    timers: { T1 },
    ...(opts.auth === true ? { auth: { realm: 'hotline', credentials } } : {}),
  });
  server.invite((_req, res) => res.send(486, 'Busy Here'));
  const at = (p: 'udp' | 'tcp'): { address: string; port: number } => {
    const a = server.addresses.find((x) => x.protocol === p);
    if (a === undefined) throw new Error(`no ${p} listener`);
    return { address: a.address, port: a.port };
  };
  return { server, udp: at('udp'), tcp: at('tcp'), logs, lastSent: new Map() };
}

/** §10.3: remove what earlier corpus messages registered for this REGISTER's AOR (another Call-ID removes regardless of CSeq). */
async function clearAor(run: Running, msg: Buffer, n: number): Promise<void> {
  if (!/^REGISTER /.test(msg.toString('latin1'))) return;
  const to = rawHeaders(msg, ['to', 't'])[0] ?? '';
  const uri = /(sips?:[^\s>;?]+)/i.exec(to)?.[1];
  if (uri === undefined) return;
  await run.server.registrar.register({ aor: uri, callId: `corpus-reset-${n}`, cseq: 1, contacts: '*', expiresHeader: 0, path: [], source: { transport: 'udp', address: '127.0.0.1', port: 9 } });
}

async function awaitTransactionGap(run: Running, msg: Buffer): Promise<void> {
  const tx = transactionOf(msg);
  if (tx === undefined) return;
  const key = `${tx.branch}|${tx.host.toLowerCase()}:${tx.port ?? ''}|${tx.method}`;
  const last = run.lastSent.get(key);
  const gap = 64 * T1 + 300;
  if (last !== undefined && Date.now() - last < gap) await new Promise((r) => setTimeout(r, gap - (Date.now() - last)));
  run.lastSent.set(key, Date.now());
}

/** What the server logged with an error attached since `mark` (why an answer went missing, for failure messages). */
function serverErrors(run: Running, mark: number): string[] {
  return run.logs
    .slice(mark)
    .filter((l) => l.err !== undefined && l.msg !== 'transaction transition')
    .map((l) => `${l.msg ?? ''}: ${(l.err as { message?: string }).message ?? ''}`);
}

function describeResult(ex: Exchange): string {
  const rs = ex.responses.map((r) => `${r.status} ${r.reason}`).join(', ') || 'no response';
  return `${rs}${ex.closedByServer ? ' (connection closed by server)' : ''}${ex.garbage > 0 ? ` (+${ex.garbage} non-SIP)` : ''}`;
}

function judge(row: Row, transport: 'udp' | 'tcp', o: Outcome, ex: Exchange, serverSaid: string[] = []): void {
  const what = `${row.file} (RFC ${row.rfc}) over ${transport.toUpperCase()}: got ${describeResult(ex)}${serverSaid.length > 0 ? ` [server log: ${serverSaid.join(' / ')}]` : ''}; expected ${
    o.finals.length === 0 ? 'no response' : o.finals.map((f) => f.join(' or ')).join(' then ')
  }${o.orSilent === true ? ' (or none)' : ''}${o.closes === true ? ', connection closed' : o.closes === false ? ', connection kept open' : ''} — ${row.why}`;
  const finals = ex.responses.filter((r) => r.status >= 200);
  expect(ex.garbage, what).toBe(0);
  if (o.finals.length === 0) {
    expect(ex.responses, what).toEqual([]);
  } else if (!(o.orSilent === true && finals.length === 0)) {
    expect(finals.map((r) => r.status), what).toHaveLength(o.finals.length);
    // Answers of different transactions may leave in either order.
    const got = o.anyOrder === true ? [...finals].sort((a, b) => a.status - b.status) : finals;
    o.finals.forEach((allowed, i) => expect(allowed, what).toContain(got[i]?.status));
  }
  if (o.trying === true) expect(ex.responses[0]?.status, what).toBe(100);
  if (transport === 'tcp' && o.closes !== undefined) expect(ex.closedByServer, what).toBe(o.closes);
  // Every answer belongs to this request (one request per message, except dblreq over TCP).
  if (o.finals.length === 1) {
    const callId = rawHeaders(wireBytes(row.file), ['call-id', 'i'])[0];
    if (callId !== undefined) for (const r of ex.responses) expect(header(r, 'call-id')[0], what).toBe(callId);
  }
  o.check?.(ex.responses);
}

/** A plain OPTIONS from the test itself. */
function options(via: string, callId: string): Buffer {
  return Buffer.from(
    `OPTIONS sip:hotline@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:hotline@127.0.0.1>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

for (const transport of ['udp', 'tcp'] as const) {
  describe(`every corpus message over ${transport.toUpperCase()} to one running server`, () => {
    let run: Running;
    let udpClient: UdpClient;
    beforeAll(async () => {
      run = await startServer();
      udpClient = new UdpClient(run.udp);
    });
    afterAll(async () => {
      await run.server.close();
    });

    ROWS.forEach((row, n) => {
      const { o, pinned, outsideRfc } = resolveOutcome(row, transport);
      const expected = o.finals.length === 0 ? 'no response' : o.finals.map((f) => f.join('/')).join(' + ');
      it(`${row.file} — RFC ${row.rfc} ${row.title}: ${expected}${pinned !== undefined ? ` (either allowed; ${pinned})` : ''}`, { timeout: 15_000 }, async () => {
        expect(outsideRfc, `${row.file}: ${outsideRfc ?? ''} — ${row.why}`).toBeUndefined();
        const msg = wireBytes(row.file);
        await clearAor(run, msg, n);
        await awaitTransactionGap(run, msg);
        const rule = { finals: o.finals.length, close: transport === 'tcp' && o.closes === true, windowMs: WINDOW_MS, lingerMs: LINGER_MS };
        const mark = run.logs.length;
        const ex = transport === 'udp' ? await udpClient.exchange(msg, rule) : await tcpExchange(run.tcp, msg, rule);
        judge(row, transport, o, ex, serverErrors(run, mark));
      });
    });

    it('keeps serving after the whole corpus: OPTIONS gets 200 over UDP and TCP; counters moved; no internal error', async () => {
      const before = run.server.stack.counters.requestsIn.OPTIONS ?? 0;
      // A well-formed probe with rport, as phones send it: this checks that the server still serves, not Via routing (the rows above do).
      const overUdp = await udpClient.exchange(options('SIP/2.0/UDP probe.invalid;branch=z9hG4bK-final-udp;rport', 'final-udp@probe'), { finals: 1, windowMs: WINDOW_MS, lingerMs: 0 });
      expect(overUdp.responses.map((r) => r.status)).toEqual([200]);
      const overTcp = await tcpExchange(run.tcp, options('SIP/2.0/TCP probe.invalid;branch=z9hG4bK-final-tcp', 'final-tcp@probe'), { finals: 1, windowMs: WINDOW_MS, lingerMs: 0 });
      expect(overTcp.responses.map((r) => r.status)).toEqual([200]);

      const c = run.server.stack.counters;
      expect(c.requestsIn.OPTIONS ?? 0).toBe(before + 2);
      const requests = Object.values(c.requestsIn).reduce((a, b) => a + b, 0);
      expect(requests).toBeGreaterThan(30);
      expect(c.parseErrors).toBeGreaterThan(5);
      expect(c.responsesIn['2xx'] ?? 0).toBeGreaterThan(0); // bcast, unreason
      expect(c.responsesOut['4xx'] ?? 0).toBeGreaterThan(5);
      // `dropped` counts exceptions caught in handleInbound (and guard refusals, which these few messages cannot trigger).
      const internal = run.logs.filter((l) => l.level >= 50);
      expect(internal.map((l) => `${l.msg ?? ''} ${JSON.stringify(l.err ?? '')}`)).toEqual([]);
      expect(c.dropped).toBe(0);
    });
  });
}

describe('regaut01 against a server that authenticates (RFC 4475 §3.3.7)', () => {
  let run: Running;
  beforeAll(async () => {
    run = await startServer({ auth: true });
  });
  afterAll(async () => {
    await run.server.close();
  });
  const row = ROWS.find((r) => r.file === 'regaut01.dat') as Row;
  const o: Outcome = {
    ...final(401),
    check: (rs) => expect(rs.flatMap((r) => header(r, 'www-authenticate')).join('\n')).toMatch(/^Digest /m),
  };
  const authRow: Row = { ...row, why: 'RFC: an element that authenticates answers 401 (with a Digest challenge) to an unknown Authorization scheme.' };

  it('over UDP: 401 with a Digest challenge', async () => {
    await awaitTransactionGap(run, wireBytes(row.file));
    const ex = await new UdpClient(run.udp).exchange(wireBytes(row.file), { finals: 1, windowMs: WINDOW_MS, lingerMs: LINGER_MS });
    judge(authRow, 'udp', o, ex);
  });
  it('over TCP: 401 with a Digest challenge', async () => {
    // Same branch and sent-by as the UDP one: wait until that transaction is over (§17.2.3 would absorb it).
    await awaitTransactionGap(run, wireBytes(row.file));
    const ex = await tcpExchange(run.tcp, wireBytes(row.file), { finals: 1, windowMs: WINDOW_MS, lingerMs: LINGER_MS });
    judge(authRow, 'tcp', o, ex);
  });
});
