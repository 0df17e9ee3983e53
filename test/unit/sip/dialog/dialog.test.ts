/**
 * Dialogs (RFC 3261 §12, §13.3.1.4, §14, §15; RFC 4028) through a real
 * SipStack: INVITE and ACK arrive as bytes through handleInbound, the
 * application answers with createUAS, and every send is recorded on a fake
 * clock.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Dialog, DestroyInfo } from '../../../../src/sip/dialog/dialog.ts';
import { SipError } from '../../../../src/sip/errors.ts';
import { SipRequest } from '../../../../src/sip/message/index.ts';
import { createUAC, createUAS } from '../../../../src/sip/ua.ts';
import { requestText, responseText, settle, T1, T2, type RequestSpec } from '../transaction/helpers.ts';
import { CALLER_SDP, OUR_SDP, setupStack, type StackFixture } from './harness.ts';

const S = 1000;
const RECORD_ROUTES = ['<sip:edge1.example.net:5080;lr>', '<sip:edge2.example.net;lr>'];

interface Call extends StackFixture {
  toTag: string;
  uas: Promise<Dialog>;
  /** The dialog once createUAS resolved (after the ACK). */
  dialog(): Dialog;
  /** An in-dialog request from the caller. */
  fromCaller(spec: RequestSpec): void;
}

/** An incoming call answered by the application with createUAS; ACKed unless told not to. */
async function answeredCall(opts: { ack?: boolean; headers?: string[] } = {}): Promise<Call> {
  const h = setupStack();
  let uas: Promise<Dialog> | undefined;
  let established: Dialog | undefined;
  h.stack.onInvite((req, res) => {
    uas = createUAS(h.stack, req, res, { localSdp: OUR_SDP });
    uas.then(
      (d) => void (established = d),
      () => undefined,
    );
  });
  h.inbound(requestText({ headers: ['Content-Type: application/sdp', ...RECORD_ROUTES.map((r) => `Record-Route: ${r}`), ...(opts.headers ?? [])], body: CALLER_SDP }));
  const ok = h.transports.responses(200)[0];
  if (uas === undefined) throw new Error('the INVITE handler did not run');
  const toTag = ok?.to().params.get('tag');
  if (toTag === undefined || toTag === null) throw new Error('no 200 with a To tag');
  if (opts.ack !== false) {
    h.inbound(requestText({ method: 'ACK', branch: 'z9hG4bK-ack-1', toTag, contact: null }));
    await settle();
  }
  return {
    ...h,
    toTag,
    uas,
    dialog: () => {
      if (established === undefined) throw new Error('dialog not established');
      return established;
    },
    fromCaller: (spec) => h.inbound(requestText({ toTag, contact: null, ...spec })),
  };
}

describe('answering a call (createUAS, §13.3.1.4)', () => {
  it('the 200 carries our tag, Contact and SDP; the ACK establishes the dialog', async () => {
    const call = await answeredCall();
    expect(call.transports.lines()).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    const ok = call.transports.responses(200)[0];
    expect(ok?.headers.get('contact')).toBe('<sip:hotline@198.51.100.1:5060>');
    expect(ok?.headers.get('content-type')).toBe('application/sdp');
    expect(ok?.body.toString('utf8')).toBe(OUR_SDP);
    const dialog = call.dialog();
    expect(dialog.state).toBe('confirmed');
    expect(dialog.remote.sdp).toBe(CALLER_SDP);
    expect(call.stack.dialogs.get(dialog.id)).toBe(dialog);
  });

  it('the 200 is retransmitted at T1, 2T1, 4T1… capped at T2 until the ACK, then never again', async () => {
    const call = await answeredCall({ ack: false });
    const t0 = call.clock.now();
    call.clock.advance(12 * S);
    const times = call.transports.matching('SIP/2.0 200').map((s) => s.at - t0);
    expect(times).toEqual([0, T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2]); // 0, 500, 1500, 3500, 7500, 11500
    call.inbound(requestText({ method: 'ACK', branch: 'z9hG4bK-ack-1', toTag: call.toTag, contact: null }));
    await settle();
    expect(call.dialog().state).toBe('confirmed');
    call.clock.advance(60 * S);
    expect(call.transports.matching('SIP/2.0 200')).toHaveLength(6);
    expect(call.transports.requests('BYE')).toHaveLength(0);
  });

  it('over TCP the 200 is sent once (no retransmission) and the ACK still completes createUAS', async () => {
    const h = setupStack();
    const tcp = { protocol: 'tcp' as const, address: '192.0.2.10', port: 49500, connectionId: 'c-1' };
    let uas: Promise<Dialog> | undefined;
    h.stack.onInvite((req, res) => void (uas = createUAS(h.stack, req, res, { localSdp: OUR_SDP })));
    h.inbound(requestText({ transport: 'TCP', headers: ['Content-Type: application/sdp'], body: CALLER_SDP }), tcp);
    h.clock.advance(20 * S);
    expect(h.transports.matching('SIP/2.0 200')).toHaveLength(1);
    expect(h.transports.sent.every((s) => s.dest.connectionId === 'c-1')).toBe(true);
    const toTag = h.transports.responses(200)[0]?.to().params.get('tag') ?? '';
    h.inbound(requestText({ method: 'ACK', transport: 'TCP', branch: 'z9hG4bK-ack-tcp', toTag, contact: null }), tcp);
    const dialog = await uas;
    expect(dialog?.state).toBe('confirmed');
  });

  it('without an ACK for 64·T1: retransmissions stop, BYE goes out and createUAS rejects', async () => {
    const call = await answeredCall({ ack: false });
    const failed = vi.fn();
    call.uas.catch(failed);
    const destroyed = vi.fn();
    const t0 = call.clock.now();
    call.clock.advance(64 * T1 - 1);
    expect(call.transports.requests('BYE')).toHaveLength(0);
    const dialogs = [...call.stack.dialogs.values()];
    expect(dialogs).toHaveLength(1);
    dialogs[0]?.on('destroy', destroyed);
    call.clock.advance(1);
    await settle(); // createUAS hears the rejection and hangs up
    const byes = call.transports.requests('BYE');
    expect(byes).toHaveLength(1);
    expect(byes[0]?.to().params.get('tag')).toBe('from-1');
    expect(byes[0]?.from().params.get('tag')).toBe(call.toTag);
    expect(destroyed).toHaveBeenCalledWith({ by: 'local', reason: 'no ACK for 200 OK' } satisfies DestroyInfo);
    expect(call.stack.dialogs.size).toBe(0);
    const last200 = Math.max(...call.transports.matching('SIP/2.0 200').map((s) => s.at - t0));
    expect(last200).toBeLessThan(64 * T1);
    // The BYE is answered; createUAS then rejects.
    const bye = byes[0] as SipRequest;
    call.inbound(responseText(200, 'OK', { branch: bye.topVia()?.params.get('branch') ?? '', callId: bye.callId(), cseq: bye.cseq().seq, method: 'BYE' }), { protocol: 'udp', address: '192.0.2.10', port: 5060 });
    await settle();
    expect(failed).toHaveBeenCalledTimes(1);
    expect(failed.mock.calls[0]?.[0]).toBeInstanceOf(SipError);
    call.clock.advance(60 * S);
    expect(call.transports.matching('SIP/2.0 200').map((s) => s.at - t0).every((t) => t < 64 * T1)).toBe(true);
  });
});

describe('requests inside the dialog (§12.2.2)', () => {
  it('BYE → 200 and destroy {by: remote}; the dialog is gone and a later request gets 481', async () => {
    const call = await answeredCall();
    const destroyed = vi.fn();
    call.dialog().on('destroy', destroyed);
    call.fromCaller({ method: 'BYE', branch: 'z9hG4bK-bye', cseq: 2 });
    const [ok] = call.transports.responses(200).filter((r) => r.cseq().method === 'BYE');
    expect(ok?.cseq()).toEqual({ seq: 2, method: 'BYE' });
    expect(ok?.to().params.get('tag')).toBe(call.toTag);
    expect(destroyed).toHaveBeenCalledTimes(1);
    expect(destroyed).toHaveBeenCalledWith({ by: 'remote', reason: 'BYE' });
    expect(call.dialog().state).toBe('terminated');
    expect(call.stack.dialogs.size).toBe(0);
    call.fromCaller({ method: 'INFO', branch: 'z9hG4bK-late', cseq: 3 });
    expect(call.transports.lines().at(-1)).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
  });

  it('a CSeq lower than the last one is answered 500 and not passed to the application', async () => {
    const call = await answeredCall();
    const info = vi.fn((_req: SipRequest, res: { send(status: number): void }) => res.send(200));
    call.dialog().on('info', info);
    call.fromCaller({ method: 'INFO', branch: 'z9hG4bK-i5', cseq: 5 });
    call.fromCaller({ method: 'INFO', branch: 'z9hG4bK-i3', cseq: 3 });
    expect(info).toHaveBeenCalledTimes(1);
    const answers = call.transports.sent.slice(-2).map((s) => s.data.toString('utf8'));
    expect(answers[0]).toMatch(/^SIP\/2\.0 200 /);
    expect(answers[1]).toMatch(/^SIP\/2\.0 500 /);
    expect(answers[1]).toContain('CSeq: 3 INFO');
    expect(call.dialog().state).toBe('confirmed');
  });

  it('a re-INVITE with a=sendonly emits modify; the listener\'s 200 is retransmitted until the ACK', async () => {
    const call = await answeredCall();
    const holdSdp = CALLER_SDP.replace('a=sendrecv', 'a=sendonly');
    const answer = OUR_SDP.replace('a=sendrecv', 'a=recvonly');
    const modify = vi.fn((req: SipRequest, res: { send(status: number, reason?: string, opts?: { body?: string }): void }) => res.send(200, 'OK', { body: answer }));
    call.dialog().on('modify', modify);
    call.transports.clear();
    const t0 = call.clock.now();
    call.fromCaller({ method: 'INVITE', branch: 'z9hG4bK-reinv', cseq: 2, contact: '<sip:alice@192.0.2.10:5060>', headers: ['Content-Type: application/sdp'], body: holdSdp });
    expect(modify).toHaveBeenCalledTimes(1);
    expect(modify.mock.calls[0]?.[0].body.toString('utf8')).toContain('a=sendonly');
    expect(call.dialog().remote.sdp).toBe(holdSdp);
    expect(call.dialog().local.sdp).toBe(answer);
    call.clock.advance(4 * S);
    const oks = call.transports.matching('SIP/2.0 200');
    expect(oks.map((s) => s.at - t0)).toEqual([0, 500, 1500, 3500]);
    expect(oks[0]?.data.toString('utf8')).toContain('a=recvonly');
    expect(oks[0]?.data.toString('utf8')).toContain('CSeq: 2 INVITE');
    call.fromCaller({ method: 'ACK', branch: 'z9hG4bK-reinv-ack', cseq: 2 });
    call.clock.advance(40 * S);
    expect(call.transports.matching('SIP/2.0 200')).toHaveLength(4);
    expect(call.transports.requests('BYE')).toHaveLength(0);
  });

  it('INFO with application/dtmf-relay reaches the info listener, which answers', async () => {
    const call = await answeredCall();
    const seen: string[] = [];
    call.dialog().on('info', (req, res) => {
      seen.push(`${req.headers.get('content-type')}|${req.body.toString('utf8')}`);
      res.send(200);
    });
    call.fromCaller({ method: 'INFO', branch: 'z9hG4bK-dtmf', cseq: 2, headers: ['Content-Type: application/dtmf-relay'], body: 'Signal=5\r\nDuration=160\r\n' });
    expect(seen).toEqual(['application/dtmf-relay|Signal=5\r\nDuration=160\r\n']);
    expect(call.transports.lines().at(-1)).toBe('SIP/2.0 200 OK');
  });

  it('REFER reaches the refer listener; without a listener it is declined 603', async () => {
    const call = await answeredCall();
    call.fromCaller({ method: 'REFER', branch: 'z9hG4bK-ref1', cseq: 2, headers: ['Refer-To: <sip:line2@198.51.100.1>'] });
    expect(call.transports.lines().at(-1)).toBe('SIP/2.0 603 Decline');
    const refer = vi.fn((req: SipRequest, res: { send(status: number, reason?: string): void }) => res.send(202, 'Accepted'));
    call.dialog().on('refer', refer);
    call.fromCaller({ method: 'REFER', branch: 'z9hG4bK-ref2', cseq: 3, headers: ['Refer-To: <sip:line2@198.51.100.1>'] });
    expect(refer).toHaveBeenCalledTimes(1);
    expect(refer.mock.calls[0]?.[0].headers.get('refer-to')).toBe('<sip:line2@198.51.100.1>');
    expect(call.transports.lines().at(-1)).toBe('SIP/2.0 202 Accepted');
  });

  it('OPTIONS inside the dialog → 200', async () => {
    const call = await answeredCall();
    call.fromCaller({ method: 'OPTIONS', branch: 'z9hG4bK-opt', cseq: 2 });
    const last = call.transports.responses(200).at(-1);
    expect(last?.cseq()).toEqual({ seq: 2, method: 'OPTIONS' });
    expect(last?.to().params.get('tag')).toBe(call.toTag);
  });

  it('a request for an unknown dialog gets 481', async () => {
    const call = await answeredCall();
    call.inbound(requestText({ method: 'BYE', branch: 'z9hG4bK-x', cseq: 2, toTag: 'no-such-tag', contact: null }));
    expect(call.transports.lines().at(-1)).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
    expect(call.dialog().state).toBe('confirmed');
  });
});

describe('local hang-up (§15.1.1)', () => {
  it('destroy() sends BYE with the next local CSeq, the route set and the remote target, and emits destroy {by: local}', async () => {
    const call = await answeredCall();
    const dialog = call.dialog();
    const destroyed = vi.fn();
    dialog.on('destroy', destroyed);
    // One request of ours first (CSeq 1), answered by the caller.
    const info = dialog.request({ method: 'INFO', body: 'Signal=1\r\nDuration=100\r\n', contentType: 'application/dtmf-relay' });
    const sentInfo = call.transports.requests('INFO')[0] as SipRequest;
    expect(sentInfo.cseq()).toEqual({ seq: 1, method: 'INFO' });
    call.inbound(responseText(200, 'OK', { branch: sentInfo.topVia()?.params.get('branch') ?? '', callId: sentInfo.callId(), cseq: 1, method: 'INFO' }));
    expect((await info).status).toBe(200);

    const done = dialog.destroy();
    expect(destroyed).toHaveBeenCalledWith({ by: 'local', reason: 'local hangup' });
    const byes = call.transports.matching('BYE ');
    expect(byes).toHaveLength(1);
    const bye = call.transports.requests('BYE')[0] as SipRequest;
    expect(bye.cseq()).toEqual({ seq: 2, method: 'BYE' });
    expect(bye.uri).toBe('sip:alice@192.0.2.10:5060'); // the caller's Contact
    expect(bye.headers.getAll('route')).toEqual(RECORD_ROUTES); // UAS: Record-Route in order (§12.1.1)
    expect(bye.to().params.get('tag')).toBe('from-1');
    expect(bye.from().params.get('tag')).toBe(call.toTag);
    expect(bye.callId()).toBe('call-1@192.0.2.10');
    expect(byes[0]?.dest).toMatchObject({ protocol: 'udp', address: 'edge1.example.net', port: 5080 }); // the first route
    call.inbound(responseText(200, 'OK', { branch: bye.topVia()?.params.get('branch') ?? '', callId: bye.callId(), cseq: 2, method: 'BYE' }));
    await done;
    expect(call.stack.dialogs.size).toBe(0);
    await expect(dialog.request({ method: 'INFO' })).rejects.toMatchObject({ status: 481 });
  });
});

describe('session timers (RFC 4028)', () => {
  it('Session-Expires: 120 is accepted (refresher=uac) and, with no refresh, the dialog sends BYE', async () => {
    const call = await answeredCall({ headers: ['Supported: timer', 'Session-Expires: 120'] });
    const ok = call.transports.responses(200)[0];
    expect(ok?.headers.get('session-expires')).toBe('120;refresher=uac');
    expect(ok?.headers.get('require')).toBe('timer');
    const destroyed = vi.fn();
    call.dialog().on('destroy', destroyed);
    // RFC 4028 §10: the BYE leaves at 120 − min(32, 120/3) = 88 s (its retransmissions follow over UDP).
    call.clock.advance(88 * S);
    expect(call.transports.requests('BYE')).toHaveLength(1);
    expect(destroyed).toHaveBeenCalledWith({ by: 'local', reason: 'session timer expired' });
    expect(call.stack.dialogs.size).toBe(0);
  });

  it('a refresh re-INVITE pushes the BYE back by the time elapsed', async () => {
    const byeAt = async (refreshAfter: number | undefined): Promise<number> => {
      const call = await answeredCall({ headers: ['Supported: timer', 'Session-Expires: 120'] });
      const t0 = call.clock.now();
      if (refreshAfter !== undefined) {
        call.clock.advance(refreshAfter);
        call.fromCaller({ method: 'INVITE', branch: 'z9hG4bK-refresh', cseq: 2, contact: '<sip:alice@192.0.2.10:5060>', headers: ['Session-Expires: 120;refresher=uac', 'Content-Type: application/sdp'], body: CALLER_SDP });
        call.fromCaller({ method: 'ACK', branch: 'z9hG4bK-refresh-ack', cseq: 2 });
      }
      for (let i = 0; i < 400 && call.transports.requests('BYE').length === 0; i++) call.clock.advance(S);
      const bye = call.transports.matching('BYE ')[0];
      if (bye === undefined) throw new Error('no BYE');
      return bye.at - t0;
    };
    const without = await byeAt(undefined);
    const withRefresh = await byeAt(55 * S);
    expect(withRefresh - without).toBe(55 * S);
  });

  // BUG (dialog.ts armSessionTimer, line 271): RFC 4028 §10 — the side that does
  // not refresh SHOULD send its BYE slightly before the session expires, the
  // RECOMMENDED margin being min(32 s, interval/3): 120 − 32 = 88 s here. The
  // dialog waits interval + 32 s (152 s), 32 s after the session expired.
  it('RFC 4028 §10: with no refresh, the BYE goes out before the session expires (at 120 − min(32, 40) = 88 s)', async () => {
    const call = await answeredCall({ headers: ['Supported: timer', 'Session-Expires: 120'] });
    call.clock.advance(88 * S - 1);
    expect(call.transports.requests('BYE')).toHaveLength(0);
    call.clock.advance(1);
    expect(call.transports.requests('BYE')).toHaveLength(1);
  });

  it('Session-Expires: 30 is answered 422 with Min-SE: 90, and no dialog is made', async () => {
    const h = setupStack();
    const outcome = vi.fn();
    h.stack.onInvite((req, res) => {
      createUAS(h.stack, req, res, { localSdp: OUR_SDP }).then(
        () => outcome('resolved'),
        (err: unknown) => outcome(err),
      );
    });
    h.inbound(requestText({ headers: ['Supported: timer', 'Session-Expires: 30', 'Content-Type: application/sdp'], body: CALLER_SDP }));
    await settle();
    const [tooSmall] = h.transports.responses(422);
    expect(tooSmall?.reason).toBe('Session Interval Too Small');
    expect(tooSmall?.headers.get('min-se')).toBe('90');
    expect(tooSmall?.to().params.get('tag')).toBeTruthy();
    expect(outcome).toHaveBeenCalledWith(expect.objectContaining({ status: 422 }));
    expect(h.stack.dialogs.size).toBe(0);
    expect(h.transports.responses(200)).toHaveLength(0);
  });
});

describe('placing a call (createUAC): ACK for every 2xx', () => {
  // BUG (stack.ts sendRequest, lines 269-272, with rememberAck line 287): RFC 3261
  // §13.2.2.4 "The UAC core MUST generate an ACK request for each 2xx received
  // from the transaction layer", and RFC 6026 §7.2 hands 2xx retransmissions to
  // the TU while the INVITE client transaction is Accepted (Timer M, 64·T1).
  // The stack resolves its promise on the first 2xx and drops every later one;
  // onStrayResponse (the only re-ACK path) is reached only after Timer M, when
  // rememberAck's entry (also 64·T1) is already gone. A lost ACK is never
  // repeated and the callee hangs up after 64·T1.
  it('a retransmitted 200 to our INVITE is ACKed again', async () => {
    const h = setupStack();
    const call = createUAC(h.stack, 'sip:bob@203.0.113.20', { localSdp: OUR_SDP });
    const invite = h.transports.requests('INVITE')[0] as SipRequest;
    const ok = responseText(200, 'OK', {
      branch: invite.topVia()?.params.get('branch') ?? '',
      callId: invite.callId(),
      toTag: 'bob-1',
      headers: ['Contact: <sip:bob@203.0.113.20:5060>', 'Content-Type: application/sdp'],
      body: CALLER_SDP,
    }).replace(';tag=our-tag', `;tag=${invite.from().params.get('tag') ?? ''}`);
    const bob = { protocol: 'udp' as const, address: '203.0.113.20', port: 5060 };
    h.inbound(ok, bob);
    await call;
    expect(h.transports.requests('ACK')).toHaveLength(1);
    h.clock.advance(T1); // our ACK was lost: Bob retransmits the 200
    h.inbound(ok, bob);
    await settle();
    expect(h.transports.requests('ACK')).toHaveLength(2);
  });
});

