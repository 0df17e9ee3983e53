/**
 * The transaction layer around the machines: matching (§17.1.3, §17.2.3),
 * CANCEL (§9.2), where responses go (§18.2.1, §18.2.2, RFC 3581), UDP → TCP
 * for large requests (§18.1.1), and transport errors (§17.1.4, §17.2.4).
 */
import { describe, expect, it, vi } from 'vitest';
import { createResponse, SipRequest, SipResponse } from '../../../../src/sip/message/index.ts';
import type { InviteServerTransaction, NonInviteServerTransaction } from '../../../../src/sip/transaction/server.ts';
import { BOB_UDP, ClientUser, outgoingText, parseRequest, parseResponse, requestText, responseText, settle, setupLayer, tcpFrom, T1, udpFrom } from './helpers.ts';

describe('matching responses to client transactions (§17.1.3)', () => {
  it('a response with another branch, or the same branch but another CSeq method, is a stray response', () => {
    const { layer, user: layerUser } = setupLayer();
    const user = new ClientUser();
    layer.sendRequest(parseRequest(outgoingText()), BOB_UDP, user);
    const from = udpFrom('203.0.113.20');
    layer.receiveResponse(parseResponse(responseText(180, 'Ringing', { branch: 'z9hG4bK-someone-else', toTag: 'b' })), from);
    layer.receiveResponse(parseResponse(responseText(200, 'OK', { method: 'BYE', toTag: 'b' })), from);
    expect(user.responses).toHaveLength(0);
    expect(layerUser.strays.map((r) => [r.status, r.cseq().method])).toEqual([
      [180, 'INVITE'],
      [200, 'BYE'],
    ]);
    expect(layer.counters.strayResponses).toBe(2);
    // The right branch and method does match.
    layer.receiveResponse(parseResponse(responseText(180, 'Ringing', { toTag: 'b' })), from);
    expect(user.statuses()).toEqual([180]);
  });
});

describe('matching requests to server transactions (§17.2.3)', () => {
  it('the same branch from another sent-by is a new transaction', () => {
    const { layer, user, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: '192.0.2.10:5060' })), udpFrom('192.0.2.10'));
    layer.receiveRequest(parseRequest(requestText({ sentBy: '192.0.2.11:5060' })), udpFrom('192.0.2.11'));
    expect(user.requests).toHaveLength(2);
    expect(user.requests[0]?.tx).not.toBe(user.requests[1]?.tx);
    expect(layer.size.server).toBe(2);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);
  });

  it('the ACK for a non-2xx (same branch) belongs to the INVITE transaction', () => {
    const { layer, user } = setupLayer();
    layer.receiveRequest(parseRequest(requestText()), udpFrom());
    const tx = user.lastTx() as InviteServerTransaction;
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'hl' }));
    layer.receiveRequest(parseRequest(requestText({ method: 'ACK', toTag: 'hl', contact: null })), udpFrom());
    expect(tx.state).toBe('confirmed');
    expect(user.acks).toHaveLength(0);
    expect(user.requests).toHaveLength(1);
  });

  it('the ACK for a 2xx (a new branch) goes to the user', () => {
    const { layer, user } = setupLayer();
    layer.receiveRequest(parseRequest(requestText()), udpFrom());
    const tx = user.lastTx() as InviteServerTransaction;
    tx.respond(createResponse(tx.request, 200, undefined, { toTag: 'hl' }));
    layer.receiveRequest(parseRequest(requestText({ method: 'ACK', branch: 'z9hG4bK-ack', toTag: 'hl', contact: null })), udpFrom());
    expect(user.acks).toHaveLength(1);
    expect(user.acks[0]?.topVia()?.params.get('branch')).toBe('z9hG4bK-ack');
    expect(tx.state).toBe('accepted');
  });

  it('an RFC 2543 INVITE (no magic cookie) still matches its retransmissions, its ACK and its CANCEL', () => {
    for (const branch of [null, '1a2b3c-old-style']) {
      const { layer, user, sender } = setupLayer();
      const spec = { branch, callId: 'old@192.0.2.10', cseq: 7 };
      layer.receiveRequest(parseRequest(requestText(spec)), udpFrom());
      layer.receiveRequest(parseRequest(requestText(spec)), udpFrom());
      expect(user.requests).toHaveLength(1);
      expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);

      layer.receiveRequest(parseRequest(requestText({ ...spec, method: 'CANCEL', contact: null })), udpFrom());
      expect(user.cancels).toHaveLength(1);
      const tx = user.lastTx() as InviteServerTransaction;
      tx.respond(createResponse(tx.request, 487, undefined, { toTag: 'hl' }));
      layer.receiveRequest(parseRequest(requestText({ ...spec, method: 'ACK', toTag: 'hl', contact: null })), udpFrom());
      expect(tx.state).toBe('confirmed');
      expect(user.acks).toHaveLength(0);

      // Another CSeq is another transaction.
      layer.receiveRequest(parseRequest(requestText({ ...spec, cseq: 8 })), udpFrom());
      expect(user.requests).toHaveLength(2);
    }
  });
});

describe('CANCEL (§9.2)', () => {
  function withInvite() {
    const f = setupLayer();
    f.layer.receiveRequest(parseRequest(requestText()), udpFrom());
    const invite = f.user.lastTx() as InviteServerTransaction;
    const cancel = (): void => f.layer.receiveRequest(parseRequest(requestText({ method: 'CANCEL', contact: null })), udpFrom());
    return { ...f, invite, cancel };
  }

  it('an unanswered INVITE: 200 to the CANCEL, onCancel once; the application answers 487 and gets the ACK', () => {
    const { sender, user, invite, cancel, layer } = withInvite();
    user.onCancelHook = (tx) => tx.respond(createResponse(tx.request, 487, undefined, { toTag: 'hl' }));
    cancel();
    expect(user.cancels).toHaveLength(1);
    expect(user.cancels[0]?.invite).toBe(invite);
    expect(user.cancels[0]?.cancel.method).toBe('CANCEL');
    const [okToCancel] = sender.parsed('SIP/2.0 200') as SipResponse[];
    expect(okToCancel?.cseq()).toEqual({ seq: 1, method: 'CANCEL' });
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
    expect(invite.state).toBe('completed');
    // A retransmitted CANCEL gets its 200 again; the user hears nothing new.
    cancel();
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated', 'SIP/2.0 200 OK']);
    expect(user.cancels).toHaveLength(1);
    expect(user.requests).toHaveLength(1); // the CANCEL itself is the layer's business
    layer.receiveRequest(parseRequest(requestText({ method: 'ACK', toTag: 'hl', contact: null })), udpFrom());
    expect(invite.state).toBe('confirmed');
  });

  it('a CANCEL after the final response: 200 to the CANCEL, no onCancel', () => {
    const { sender, user, invite, cancel } = withInvite();
    invite.respond(createResponse(invite.request, 486, undefined, { toTag: 'hl' }));
    cancel();
    expect(user.cancels).toHaveLength(0);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here', 'SIP/2.0 200 OK']);
  });

  it('a CANCEL after a 2xx: 200 to the CANCEL, no onCancel', () => {
    const { sender, user, invite, cancel } = withInvite();
    invite.respond(createResponse(invite.request, 200, undefined, { toTag: 'hl' }));
    cancel();
    expect(user.cancels).toHaveLength(0);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect((sender.parsed('SIP/2.0 200')[1] as SipResponse).cseq().method).toBe('CANCEL');
  });

  it('a CANCEL matching no INVITE gets 481', () => {
    const { layer, user, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ method: 'CANCEL', contact: null })), udpFrom());
    expect(sender.lines()).toEqual(['SIP/2.0 481 Call/Transaction Does Not Exist']);
    expect(user.cancels).toHaveLength(0);
    expect(user.requests).toHaveLength(0);
    expect(layer.counters.cancelsWithoutInvite).toBe(1);
  });

  // BUG (layer.ts handleCancel, lines 137 and 140): RFC 3261 §8.2.6.2 — a
  // response to a request whose To has no tag MUST carry a To tag (only a 100
  // may omit it); §9.2 adds that the 200 to a CANCEL SHOULD reuse the tag of
  // the INVITE's response. The layer answers the CANCEL 200/481 with the To
  // copied as is. Fix: pass `{ toTag }` to createResponse (the INVITE's tag
  // when it has answered with one, else a fresh tag).
  it('the 200 and the 481 to a CANCEL carry a To tag (§8.2.6.2)', () => {
    const a = withInvite();
    a.cancel();
    const b = setupLayer();
    b.layer.receiveRequest(parseRequest(requestText({ method: 'CANCEL', contact: null })), udpFrom());
    const okToCancel = a.sender.parsed('SIP/2.0 200')[0] as SipResponse;
    const notFound = b.sender.parsed('SIP/2.0 481')[0] as SipResponse;
    expect(okToCancel.to().params.get('tag')).toBeTruthy();
    expect(notFound.to().params.get('tag')).toBeTruthy();
  });

  it('a CANCEL from another sent-by does not cancel the INVITE (481)', () => {
    const { layer, user, sender } = withInvite();
    layer.receiveRequest(parseRequest(requestText({ method: 'CANCEL', sentBy: '192.0.2.99:5060', contact: null })), udpFrom('192.0.2.99'));
    expect(user.cancels).toHaveLength(0);
    expect(sender.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 481 Call/Transaction Does Not Exist']);
  });
});

describe('where responses go (§18.2.1, §18.2.2, RFC 3581)', () => {
  const NAT = { protocol: 'udp' as const, address: '203.0.113.9', port: 40112 };

  function topVia(res: SipResponse | SipRequest): Map<string, string | null> {
    const via = res.topVia();
    if (via === undefined) throw new Error('no Via');
    return via.params;
  }

  it('UDP with rport: to the source address and port; the Via gets rport=<port> and received=<addr>', () => {
    const { layer, sender, user } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: '10.0.0.5:5060', viaParams: ';rport' })), NAT);
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 40112 });
    const trying = sender.parsed('SIP/2.0 100')[0] as SipResponse;
    expect(topVia(trying).get('rport')).toBe('40112');
    expect(topVia(trying).get('received')).toBe('203.0.113.9');
    expect(topVia(trying).get('branch')).toBe('z9hG4bK-a1b2c3');
    expect(trying.headers.getAll('via')[0]).toMatch(/;rport=40112\b/);
    // The request the user sees carries the same stamp, so every later response goes the same way.
    const req = user.requests[0]?.req as SipRequest;
    expect(topVia(req).get('rport')).toBe('40112');
    const tx = user.lastTx();
    tx.respond(createResponse(req, 180, undefined, { toTag: 'hl' }));
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 40112 });
  });

  it('rport is honoured wherever it sits among the Via parameters', () => {
    const { layer, sender } = setupLayer();
    const text = requestText({ sentBy: '10.0.0.5:5060', branch: null, viaParams: ';rport;branch=z9hG4bK-x9' });
    layer.receiveRequest(parseRequest(text), NAT);
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 40112 });
    const trying = sender.parsed('SIP/2.0 100')[0] as SipResponse;
    expect(topVia(trying).get('rport')).toBe('40112');
    expect(topVia(trying).get('branch')).toBe('z9hG4bK-x9');
  });

  it('without rport and with a sent-by host other than the source: received is added and responses go to received:sent-by-port', () => {
    const { layer, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: '10.0.0.5:5070' })), NAT);
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 5070 });
    const trying = sender.parsed('SIP/2.0 100')[0] as SipResponse;
    expect(topVia(trying).get('received')).toBe('203.0.113.9');
    expect(topVia(trying).has('rport')).toBe(false);
  });

  it('a sent-by domain name also gets received; a missing sent-by port means 5060', () => {
    const { layer, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: 'phone.example.com' })), NAT);
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 5060 });
    expect(topVia(sender.parsed('SIP/2.0 100')[0] as SipResponse).get('received')).toBe('203.0.113.9');
  });

  it('a sent-by equal to the source: no received, responses to sent-by', () => {
    const { layer, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: '192.0.2.10:5062' })), udpFrom('192.0.2.10', 5062));
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '192.0.2.10', port: 5062 });
    expect(topVia(sender.parsed('SIP/2.0 100')[0] as SipResponse).has('received')).toBe(false);
  });

  it('TCP: responses go back on the same connection', () => {
    const { layer, sender, user } = setupLayer();
    const source = tcpFrom('conn-42', '203.0.113.9', 51000);
    layer.receiveRequest(parseRequest(requestText({ transport: 'TCP', sentBy: '10.0.0.5:5060', method: 'OPTIONS', contact: null })), source);
    user.lastTx().respond(createResponse(user.requests[0]?.req as SipRequest, 200));
    expect(sender.sent.map((s) => s.dest)).toEqual([source]);
    expect(sender.last().dest.connectionId).toBe('conn-42');
  });

  // BUG (layer.ts stampVia, line 234): §18.2.1 says the server MUST add `received`
  // holding the packet's source address. A `received` the peer wrote itself is
  // kept, so the responses go wherever the peer says (a reflection vector).
  it('a received parameter written by the peer is replaced by the real source address (§18.2.1)', () => {
    const { layer, sender } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ sentBy: '10.0.0.5:5060', viaParams: ';received=198.51.100.77' })), NAT);
    expect(sender.last().dest).toEqual({ protocol: 'udp', address: '203.0.113.9', port: 5060 });
  });
});

describe('§18.1.1: large requests go over TCP', () => {
  const pad = (bytes: number): string => `v=0\r\ns=${'x'.repeat(bytes)}\r\n`;
  /** An INVITE of exactly `total` bytes (the Content-Length digits move with the body). */
  const inviteOfSize = (total: number): string => {
    let n = 0;
    let text = outgoingText({ body: pad(n) });
    while (Buffer.byteLength(text) !== total) {
      n += total - Buffer.byteLength(text);
      text = outgoingText({ body: pad(n) });
    }
    return text;
  };

  it('a 1400-byte INVITE meant for UDP is sent over TCP with its Via transport rewritten, and is not retransmitted', () => {
    const { layer, sender, clock } = setupLayer();
    const text = inviteOfSize(1400);
    expect(Buffer.byteLength(text)).toBe(1400);
    const user = new ClientUser();
    const tx = layer.sendRequest(parseRequest(text), BOB_UDP, user);
    expect(tx.dest).toEqual({ ...BOB_UDP, protocol: 'tcp' });
    expect(sender.sent).toHaveLength(1);
    expect(sender.last().dest.protocol).toBe('tcp');
    const sent = parseRequest(sender.last().data.toString('utf8'));
    expect(sent.topVia()?.transport).toBe('TCP');
    expect(sent.topVia()?.params.get('branch')).toBe('z9hG4bK-out-1');
    expect(sent.headers.getAll('via')[0]).toMatch(/^SIP\/2\.0\/TCP 198\.51\.100\.1:5060;/);
    expect(sent.body.toString('utf8')).toBe(parseRequest(text).body.toString('utf8'));
    clock.advance(10 * T1);
    expect(sender.sent).toHaveLength(1); // TCP: no Timer A
    // The responses still match the transaction.
    layer.receiveResponse(parseResponse(responseText(180, 'Ringing', { transport: 'TCP', toTag: 'b' })), tcpFrom());
    expect(user.statuses()).toEqual([180]);
  });

  it('the limit is "larger than 1300 bytes": 1300 stays on UDP, 1301 goes over TCP', () => {
    for (const [size, protocol] of [
      [1300, 'udp'],
      [1301, 'tcp'],
    ] as const) {
      const { layer, sender } = setupLayer();
      layer.sendRequest(parseRequest(inviteOfSize(size)), BOB_UDP, new ClientUser());
      expect(sender.last().dest.protocol).toBe(protocol);
      expect(sender.last().data.length).toBe(size);
    }
  });

  it('a small INVITE stays on UDP', () => {
    const { layer, sender } = setupLayer();
    layer.sendRequest(parseRequest(outgoingText({ body: pad(100) })), BOB_UDP, new ClientUser());
    expect(sender.last().dest).toEqual(BOB_UDP);
    expect(parseRequest(sender.last().data.toString('utf8')).topVia()?.transport).toBe('UDP');
  });
});

describe('transport errors (§17.1.4, §17.2.4)', () => {
  it('a failed INVITE send terminates the client transaction and reports onTransportError once', async () => {
    const { layer, sender, clock } = setupLayer();
    sender.failing = true;
    const user = new ClientUser();
    const tx = layer.sendRequest(parseRequest(outgoingText()), BOB_UDP, user);
    await settle();
    expect(tx.state).toBe('terminated');
    expect(user.transportErrors).toBe(1);
    expect(layer.size.client).toBe(0);
    clock.advance(64 * T1);
    await settle();
    expect(sender.sent).toHaveLength(1); // no retransmission, no Timer B timeout
    expect(user.timeouts).toBe(0);
    expect(user.transportErrors).toBe(1);
  });

  it('a failed retransmission of a non-INVITE request does the same', async () => {
    const { layer, sender, clock } = setupLayer();
    const user = new ClientUser();
    const tx = layer.sendRequest(parseRequest(outgoingText({ method: 'OPTIONS', branch: 'z9hG4bK-o' })), BOB_UDP, user);
    await settle();
    sender.failing = true;
    clock.advance(T1);
    await settle();
    expect(tx.state).toBe('terminated');
    expect(user.transportErrors).toBe(1);
    expect(layer.size.client).toBe(0);
  });

  it('a failed final response terminates the INVITE server transaction and tells its user', async () => {
    const { layer, sender, user, clock } = setupLayer();
    layer.receiveRequest(parseRequest(requestText()), udpFrom());
    const tx = user.lastTx() as InviteServerTransaction;
    const onTransportError = vi.fn();
    const onTimeout = vi.fn();
    tx.user = { onTransportError, onTimeout };
    sender.failing = true;
    tx.respond(createResponse(tx.request, 486, undefined, { toTag: 'hl' }));
    await settle();
    expect(tx.state).toBe('terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
    expect(layer.size.server).toBe(0);
    clock.advance(64 * T1);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(sender.timesOf('SIP/2.0 486')).toEqual([0]); // no Timer G retransmissions
  });

  it('a failed final response terminates the non-INVITE server transaction', async () => {
    const { layer, sender, user } = setupLayer();
    layer.receiveRequest(parseRequest(requestText({ method: 'OPTIONS', contact: null })), udpFrom());
    const tx = user.lastTx() as NonInviteServerTransaction;
    const onTransportError = vi.fn();
    tx.user = { onTransportError };
    sender.failing = true;
    tx.respond(createResponse(tx.request, 200));
    await settle();
    expect(tx.state).toBe('terminated');
    expect(onTransportError).toHaveBeenCalledTimes(1);
    expect(layer.size.server).toBe(0);
  });
});
