/**
 * The SIP core's checks before anything else (RFC 3261 §8.2), fed as bytes
 * through SipStack.handleInbound: 420, 483, OPTIONS, 501, scanners, 400 with
 * a reason, malformed responses and garbage — never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SipError } from '../../../../src/sip/errors.ts';
import type { InboundRequest, InboundResponder } from '../../../../src/sip/inbound.ts';
import { createUAS } from '../../../../src/sip/ua.ts';
import { requestText, responseText, settle } from '../transaction/helpers.ts';
import { CALLER_UDP, OUR_SDP, setupStack } from './harness.ts';

describe('checks of the core on incoming requests', () => {
  it('Require with an unknown option tag → 420 listing it in Unsupported; the application never sees the INVITE', () => {
    const h = setupStack();
    const handler = vi.fn();
    h.stack.onInvite(handler);
    h.inbound(requestText({ headers: ['Require: foo, timer'] }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 420 Bad Extension']);
    const [res] = h.transports.responses(420);
    expect(res?.headers.get('unsupported')).toBe('foo');
    expect(res?.cseq()).toEqual({ seq: 1, method: 'INVITE' });
    expect(res?.topVia()?.params.get('branch')).toBe('z9hG4bK-a1b2c3');
    expect(h.transports.sent[0]?.dest).toEqual(CALLER_UDP);
    expect(handler).not.toHaveBeenCalled();
  });

  it('Require with supported tags only is accepted', () => {
    const h = setupStack();
    const handler = vi.fn();
    h.stack.onInvite(handler);
    h.inbound(requestText({ headers: ['Require: timer'] }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 100 Trying']);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('Max-Forwards: 0 on an INVITE → 483; an OPTIONS probe with Max-Forwards: 0 is still answered 200', () => {
    const h = setupStack();
    const handler = vi.fn();
    h.stack.onInvite(handler);
    h.inbound(requestText({ maxForwards: '0' }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 483 Too Many Hops']);
    expect(handler).not.toHaveBeenCalled();
    h.inbound(requestText({ method: 'OPTIONS', branch: 'z9hG4bK-opt', maxForwards: '0', contact: null }));
    expect(h.transports.lines().at(-1)).toBe('SIP/2.0 200 OK');
  });

  it('OPTIONS → 200 with Allow, Accept and Supported', () => {
    const h = setupStack();
    h.inbound(requestText({ method: 'OPTIONS', contact: null }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 200 OK']);
    const [res] = h.transports.responses(200);
    const allow = (res?.headers.getAll('allow') ?? []).map((m) => m.trim());
    for (const m of ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']) expect(allow).toContain(m);
    expect(res?.headers.get('accept')).toBe('application/sdp');
    expect(res?.tokens('supported')).toContain('timer');
  });

  it('an unknown method FOO → 501 with Allow', () => {
    const h = setupStack();
    h.inbound(requestText({ method: 'FOO', contact: null }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 501 Not Implemented']);
    expect(h.transports.responses(501)[0]?.headers.get('allow')).toBeDefined();
  });

  it('a scanner (User-Agent: friendly-scanner) gets no answer at all', () => {
    const h = setupStack();
    const handler = vi.fn();
    h.stack.onInvite(handler);
    h.inbound(requestText({ method: 'OPTIONS', contact: null, headers: ['User-Agent: friendly-scanner'] }));
    h.inbound(requestText({ branch: 'z9hG4bK-scan2', headers: ['User-Agent: Friendly-Scanner 1.0'] }));
    expect(h.transports.sent).toHaveLength(0);
    expect(handler).not.toHaveBeenCalled();
    expect(h.stack.counters.dropped).toBe(2);
  });

  it('a malformed request (bad CSeq) → 400 whose reason phrase names the problem', () => {
    const h = setupStack();
    const handler = vi.fn();
    h.stack.onInvite(handler);
    const text = requestText().replace('CSeq: 1 INVITE', 'CSeq: one INVITE');
    expect(() => h.inbound(text)).not.toThrow();
    expect(h.transports.lines()).toEqual(['SIP/2.0 400 Bad CSeq header']);
    expect(h.transports.sent[0]?.dest).toEqual(CALLER_UDP);
    expect(handler).not.toHaveBeenCalled();
  });

  it('other malformed requests name their problem too (missing Call-ID, CSeq method ≠ request method)', () => {
    const h = setupStack();
    h.inbound(requestText().replace(/Call-ID: [^\r]*\r\n/, ''));
    h.inbound(requestText({ branch: 'z9hG4bK-2', cseqMethod: 'BYE' }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 400 Missing Call-ID', 'SIP/2.0 400 CSeq method does not match request method']);
  });

  it('a malformed ACK is dropped silently (ACK is never answered)', () => {
    const h = setupStack();
    h.inbound(requestText({ method: 'ACK', toTag: 'x', contact: null }).replace('CSeq: 1 ACK', 'CSeq: x ACK'));
    expect(h.transports.sent).toHaveLength(0);
  });

  it('a malformed response is dropped: nothing sent, nothing thrown', () => {
    const h = setupStack();
    const badStatusLine = responseText(180, 'Ringing').replace('SIP/2.0 180 Ringing', 'SIP/2.0 18 Ringing');
    const badCSeq = responseText(180, 'Ringing').replace('CSeq: 1 INVITE', 'CSeq: INVITE');
    const noVia = responseText(200, 'OK').replace(/Via: [^\r]*\r\n/, '');
    for (const text of [badStatusLine, badCSeq, noVia]) expect(() => h.inbound(text, { protocol: 'udp', address: '203.0.113.20', port: 5060 })).not.toThrow();
    expect(h.transports.sent).toHaveLength(0);
    expect(h.stack.counters.parseErrors + h.stack.counters.dropped).toBeGreaterThanOrEqual(2);
  });

  it('garbage bytes: nothing sent, parseErrors counted, no throw', () => {
    const h = setupStack();
    const junk = [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('hello\r\n\r\n'), Buffer.from('\r\n\r\n\r\n')];
    for (const data of junk) expect(() => h.inbound(data)).not.toThrow();
    expect(h.transports.sent).toHaveLength(0);
    expect(h.stack.counters.parseErrors).toBe(junk.length);
  });

  it('any bytes at all: handleInbound never throws and only ever answers with responses (property)', () => {
    const valid = requestText({ method: 'OPTIONS', contact: null });
    const mutated = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, bytes]) => {
      const b = Buffer.from(valid);
      bytes.forEach((v, i) => {
        if (at + i < b.length) b[at + i] = v;
      });
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), mutated), (data) => {
        const h = setupStack();
        expect(() => h.inbound(data)).not.toThrow();
        for (const line of h.transports.lines()) expect(line).toMatch(/^SIP\/2\.0 \d{3} /);
      }),
      { numRuns: 300 },
    );
  });

  // BUG (layer.ts respondStateless line 175-177 + responseDestination line 253-257,
  // reached from stack.ts respondStateless line 179): RFC 3581 §4 — a request
  // whose top Via has `rport` (no value) must be answered to the source IP and
  // port. The core's stateless answers (400, 420, 483, 501-from-validation…)
  // never stamp the Via (stampVia runs only in receiveRequest), so
  // responseDestination sees a bare `rport`, ignores it, and sends to the Via
  // sent-by — a private address behind NAT. The caller never hears the error.
  it('stateless error responses honour rport: the 420 goes to the NAT source address and port (RFC 3581 §4)', () => {
    const h = setupStack();
    const nat = { protocol: 'udp' as const, address: '203.0.113.9', port: 40112 };
    h.inbound(requestText({ sentBy: '10.0.0.5:5060', viaParams: ';rport', headers: ['Require: foo'] }), nat);
    h.inbound(requestText({ sentBy: '10.0.0.5:5060', viaParams: ';rport', branch: 'z9hG4bK-b2', maxForwards: '0' }), nat);
    h.inbound(requestText({ sentBy: '10.0.0.5:5060', viaParams: ';rport', branch: 'z9hG4bK-b3' }).replace('CSeq: 1 INVITE', 'CSeq: one INVITE'), nat);
    expect(h.transports.lines()).toEqual(['SIP/2.0 420 Bad Extension', 'SIP/2.0 483 Too Many Hops', 'SIP/2.0 400 Bad CSeq header']);
    for (const s of h.transports.sent) expect(s.dest).toEqual(nat);
  });

  // BUG (inbound.ts InboundResponder.send, line 75: `needsTag = status > 100 &&
  // method === 'INVITE'`): RFC 3261 §8.2.6.2 — "If the request did not have a
  // tag in the To header field, the UAS core MUST add a tag to the To header
  // field in the response (with the exception of the 100 (Trying) response)".
  // Only INVITE responses get one; OPTIONS, FOO, REGISTER-405, out-of-dialog
  // BYE-481… are answered without. Fix: `const needsTag = status > 100;`
  // (createResponse already keeps a tag the request's To carries).
  it('every final response to an out-of-dialog request carries a To tag (§8.2.6.2)', () => {
    const h = setupStack();
    h.inbound(requestText({ method: 'OPTIONS', contact: null }));
    h.inbound(requestText({ method: 'FOO', branch: 'z9hG4bK-foo', contact: null }));
    h.inbound(requestText({ method: 'BYE', branch: 'z9hG4bK-bye', contact: null }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 501 Not Implemented', 'SIP/2.0 481 Call/Transaction Does Not Exist']);
    for (const status of [200, 501, 481]) expect(h.transports.responses(status)[0]?.to().params.get('tag')).toBeTruthy();
  });
});

describe('CANCEL through the core (§9.2)', () => {
  it('an INVITE still ringing: 200 to the CANCEL, 487 to the INVITE, the application hears cancel and can no longer answer', async () => {
    const h = setupStack();
    let inbound: { req: InboundRequest; res: InboundResponder } | undefined;
    h.stack.onInvite((req, res) => {
      inbound = { req, res };
      res.send(180, 'Ringing');
    });
    h.inbound(requestText());
    const onCancel = vi.fn();
    inbound?.req.on('cancel', onCancel);
    h.inbound(requestText({ method: 'CANCEL', contact: null }));
    expect(h.transports.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
    expect(h.transports.responses(200)[0]?.cseq().method).toBe('CANCEL');
    const [terminated] = h.transports.responses(487);
    expect(terminated?.cseq()).toEqual({ seq: 1, method: 'INVITE' });
    // The same To tag as the 180: one dialog attempt, one tag.
    expect(terminated?.to().params.get('tag')).toBe(h.transports.responses(180)[0]?.to().params.get('tag'));
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(inbound?.req.cancelled).toBe(true);
    if (inbound === undefined) throw new Error('no INVITE reached the application');
    await expect(createUAS(h.stack, inbound.req, inbound.res, { localSdp: OUR_SDP })).rejects.toEqual(new SipError(487, 'Request Terminated'));
    inbound.res.send(200, 'OK'); // too late: ignored
    expect(h.transports.responses(200)).toHaveLength(1);
    // The ACK for the 487 is absorbed by the transaction; nothing more is sent.
    h.inbound(requestText({ method: 'ACK', toTag: terminated?.to().params.get('tag') ?? '', contact: null }));
    await settle();
    expect(h.transports.sent).toHaveLength(4);
  });
});
