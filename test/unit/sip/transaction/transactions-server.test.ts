/**
 * Server transactions (RFC 3261 §17.2, RFC 6026 §7.1) driven through the
 * TransactionLayer on a fake clock: the layer's 100 Trying, absorbing and
 * answering request retransmissions, Timer G/H/I/J/L.
 */
import { describe, expect, it, vi } from 'vitest';
import { createResponse, SipResponse } from '../../../../src/sip/message/index.ts';
import type { InviteServerTransaction, NonInviteServerTransaction } from '../../../../src/sip/transaction/server.ts';
import { CALLER, CALLER_PORT, parseRequest, requestText, setupLayer, tcpFrom, T1, T2, T4, udpFrom, type RequestSpec } from './helpers.ts';

const INVITE = requestText({ body: 'v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n', headers: ['Content-Type: application/sdp'] });
const ACK_NON2XX = requestText({ method: 'ACK', toTag: 'hl-1', contact: null }); // same branch as the INVITE (§17.1.1.3)

function startInviteServer(opts: { tcp?: boolean } = {}) {
  const f = setupLayer();
  const source = opts.tcp === true ? tcpFrom() : udpFrom();
  const receive = (text: string): void => f.layer.receiveRequest(parseRequest(text), source);
  receive(opts.tcp === true ? requestText({ transport: 'TCP' }) : INVITE);
  const tx = f.user.lastTx() as InviteServerTransaction;
  const onTimeout = vi.fn();
  const onAck = vi.fn();
  tx.user = { onTimeout, onAck };
  const respond = (status: number): SipResponse => {
    const res = createResponse(tx.request, status, undefined, { toTag: 'hl-1' });
    tx.respond(res);
    return res;
  };
  return { ...f, source, receive, tx, onTimeout, onAck, respond };
}

describe('INVITE server transaction (§17.2.1)', () => {
  it('the layer answers 100 Trying at once, back to the caller, and passes the INVITE up once', () => {
    const { sender, user, tx } = startInviteServer();
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying']);
    expect(sender.sent[0]?.at).toBe(0);
    expect(sender.sent[0]?.dest).toEqual({ protocol: 'udp', address: CALLER, port: CALLER_PORT });
    const trying = sender.parsed('SIP/2.0 100')[0] as SipResponse;
    expect(trying.topVia()?.params.get('branch')).toBe('z9hG4bK-a1b2c3');
    expect(trying.to().params.has('tag')).toBe(false);
    expect(trying.cseq()).toEqual({ seq: 1, method: 'INVITE' });
    expect(user.requests).toHaveLength(1);
    expect(user.requests[0]?.req.method).toBe('INVITE');
    expect(tx.state).toBe('proceeding');
  });

  it('an INVITE retransmission makes the most recent provisional go out again', () => {
    const { sender, user, receive, respond, clock } = startInviteServer();
    receive(INVITE);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);
    respond(180);
    clock.advance(T1);
    receive(INVITE);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 180 Ringing']);
    expect(sender.sent[3]?.data.equals(sender.sent[2]?.data as Buffer)).toBe(true);
    expect(user.requests).toHaveLength(1); // never passed up twice
  });

  it('486: Timer G retransmits at T1, doubling, capped at T2, until the ACK; then Confirmed and Timer I = T4', () => {
    const { sender, clock, tx, receive, respond, onAck, onTimeout } = startInviteServer();
    clock.advance(1000);
    respond(486);
    expect(tx.state).toBe('completed');
    clock.advance(12_000 - 1);
    const times = sender.timesOf('SIP/2.0 486');
    expect(times).toEqual([1000, 1500, 2500, 4500, 8500, 12500]); // +T1, +2T1, +4T1, then every T2
    receive(ACK_NON2XX); // at 12 999
    expect(tx.state).toBe('confirmed');
    expect(onAck).not.toHaveBeenCalled(); // the ACK of a non-2xx stays in the transaction
    clock.advance(30_000);
    expect(sender.timesOf('SIP/2.0 486')).toEqual(times); // no more retransmissions after the ACK
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('Timer G intervals: T1, 2T1, 4T1, then T2 every time', () => {
    const { sender, clock, respond, layer } = startInviteServer();
    respond(486);
    clock.advance(64 * T1 - 1);
    const times = sender.timesOf('SIP/2.0 486');
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(Math.max(...gaps)).toBe(T2);
    expect(layer.counters.retransmissions).toBe(10);
  });

  it('Confirmed absorbs ACK and INVITE retransmissions and ends after Timer I = T4', () => {
    const { sender, clock, layer, tx, receive, respond, user } = startInviteServer();
    respond(486);
    clock.advance(100);
    receive(ACK_NON2XX);
    const sentBefore = sender.sent.length;
    receive(ACK_NON2XX);
    receive(INVITE);
    expect(sender.sent.length).toBe(sentBefore);
    expect(user.acks).toHaveLength(0);
    clock.advance(T4 - 1);
    expect(layer.size.server).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.server).toBe(0);
  });

  it('without an ACK, Timer H (64·T1) tells the user once and ends the transaction', () => {
    const { clock, layer, tx, respond, onTimeout, sender } = startInviteServer();
    respond(486);
    clock.advance(64 * T1 - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    clock.advance(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.server).toBe(0);
    const n = sender.sent.length;
    clock.advance(60_000);
    expect(sender.sent.length).toBe(n);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(clock.pending()).toBe(0);
  });

  it('2xx → Accepted: INVITE retransmissions absorbed, the TU\'s own 2xx retransmissions pass, Timer L = 64·T1', () => {
    const { sender, clock, layer, tx, receive, respond, user } = startInviteServer();
    const ok = respond(200);
    expect(tx.state).toBe('accepted');
    const sentAfter200 = sender.sent.length;
    receive(INVITE);
    receive(INVITE);
    expect(sender.sent.length).toBe(sentAfter200); // nothing resent by the transaction
    expect(user.requests).toHaveLength(1);
    tx.respond(ok); // the UAS core retransmitting its 2xx (§13.3.1.4)
    expect(sender.lines().filter((l) => l === 'SIP/2.0 200 OK')).toHaveLength(2);
    // The ACK for the 2xx is its own transaction (new branch): it reaches the user.
    receive(requestText({ method: 'ACK', branch: 'z9hG4bK-ack-2xx', toTag: 'hl-1', contact: null }));
    expect(user.acks).toHaveLength(1);
    clock.advance(64 * T1 - 1);
    expect(layer.size.server).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.server).toBe(0);
  });

  it('over TCP: no Timer G, Timer H still runs, Timer I = 0', () => {
    const a = startInviteServer({ tcp: true });
    a.respond(486);
    a.clock.advance(64 * T1 - 1);
    expect(a.sender.timesOf('SIP/2.0 486')).toEqual([0]);
    expect(a.sender.last().dest).toEqual(tcpFrom());
    a.clock.advance(1);
    expect(a.onTimeout).toHaveBeenCalledTimes(1);

    const b = startInviteServer({ tcp: true });
    b.respond(486);
    b.receive(requestText({ method: 'ACK', toTag: 'hl-1', transport: 'TCP', contact: null }));
    expect(b.tx.state).toBe('confirmed');
    b.clock.advance(0);
    expect(b.tx.state).toBe('terminated');
    expect(b.layer.size.server).toBe(0);
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  const spec: RequestSpec = { method: 'OPTIONS', branch: 'z9hG4bK-opt-1', contact: null };

  function startNonInvite(opts: { tcp?: boolean } = {}) {
    const f = setupLayer();
    const source = opts.tcp === true ? tcpFrom() : udpFrom();
    const text = requestText({ ...spec, transport: opts.tcp === true ? 'TCP' : 'UDP' });
    const receive = (): void => f.layer.receiveRequest(parseRequest(text), source);
    receive();
    const tx = f.user.lastTx() as NonInviteServerTransaction;
    const respond = (status: number): void => tx.respond(createResponse(tx.request, status, undefined, { toTag: 'hl-2' }));
    return { ...f, receive, tx, respond };
  }

  it('a retransmission in Trying is discarded: nothing sent, nothing passed up', () => {
    const { sender, user, receive, tx } = startNonInvite();
    expect(sender.sent).toHaveLength(0); // no automatic 100 for non-INVITE
    receive();
    receive();
    expect(sender.sent).toHaveLength(0);
    expect(user.requests).toHaveLength(1);
    expect(tx.state).toBe('trying');
  });

  it('in Proceeding a retransmission gets the provisional again', () => {
    const { sender, receive, respond, tx } = startNonInvite();
    respond(100);
    expect(tx.state).toBe('proceeding');
    receive();
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);
  });

  it('after the final, a retransmission gets the final again; Timer J = 64·T1 over UDP', () => {
    const { sender, clock, layer, receive, respond, tx, user } = startNonInvite();
    respond(200);
    expect(tx.state).toBe('completed');
    clock.advance(3000);
    receive();
    expect(sender.lines()).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect(sender.sent[1]?.data.equals(sender.sent[0]?.data as Buffer)).toBe(true);
    expect(user.requests).toHaveLength(1);
    respond(500); // a second final from the TU is dropped
    expect(sender.sent).toHaveLength(2);
    clock.advance(64 * T1 - 3000 - 1);
    expect(layer.size.server).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.server).toBe(0);
    // The same request now is a new transaction.
    receive();
    expect(user.requests).toHaveLength(2);
  });

  it('Timer J = 0 over TCP', () => {
    const { clock, layer, respond, tx, sender } = startNonInvite({ tcp: true });
    respond(200);
    expect(sender.last().dest).toEqual(tcpFrom());
    clock.advance(0);
    expect(tx.state).toBe('terminated');
    expect(layer.size.server).toBe(0);
  });
});
