/**
 * User-agent roles on top of the core, shaped like drachtio-srf:
 * createUAS (answer an INVITE), createUAC (place a call, with digest auth and
 * CANCEL through an AbortSignal) and createB2BUA (both, glued together).
 */
import { linkedSignal } from '../abort.ts';
import { answerChallenge } from './auth/digest.ts';
import { Dialog, formatContactUri, sessionExpiresOf } from './dialog/dialog.ts';
import { SipError } from './errors.ts';
import type { InboundRequest, InboundResponder } from './inbound.ts';
import { createRequest, createResponse, type SipRequest, type SipResponse } from './message/message.ts';
import { ALLOWED_METHODS, resolveUri, type SipStack } from './stack.ts';
import { InviteServerTransaction } from './transaction/server.ts';
import type { Destination } from './transaction/transaction.ts';

/** RFC 4028 §5: the smallest session interval we accept. */
export const MIN_SESSION_EXPIRES = 90;

export interface UasOptions {
  localSdp: string;
  headers?: Array<[string, string]>;
}

/**
 * Answer an INVITE with 200 and our SDP; resolves with the dialog once the
 * ACK arrives. Without an ACK after 64·T1 the call is ended with BYE and the
 * promise rejects (RFC 3261 §13.3.1.4).
 */
export async function createUAS(stack: SipStack, req: InboundRequest, _res: InboundResponder, opts: UasOptions): Promise<Dialog> {
  if (req.cancelled) throw new SipError(487, 'Request Terminated');
  if (req.tx.answered) throw new SipError(500, 'INVITE already answered');
  const msg = req.msg;
  const headers: Array<[string, string]> = [['Contact', stack.contact(req.source)], ['Allow', ALLOWED_METHODS], ['Supported', 'timer'], ...(opts.headers ?? [])];
  // RFC 4028: honour a session timer the caller asks for; the caller refreshes.
  const se = sessionExpiresOf(msg);
  const refresher = /;\s*refresher\s*=\s*uas/i.test(msg.headers.get('session-expires') ?? '') ? 'uas' : 'uac';
  if (se !== undefined) {
    if (se < MIN_SESSION_EXPIRES) {
      req.tx.respond(createResponse(msg, 422, 'Session Interval Too Small', { toTag: stack.newTag(), headers: [['Min-SE', String(MIN_SESSION_EXPIRES)]] }));
      throw new SipError(422, 'Session Interval Too Small');
    }
    // RFC 4028 §9: keep the refresher the caller chose; by default the caller refreshes.
    headers.push(['Session-Expires', `${se};refresher=${refresher}`]);
    if (msg.tokens('supported').includes('timer')) headers.push(['Require', 'timer']);
  }
  headers.push(['Content-Type', 'application/sdp']);
  const toTag = (req.toTag ??= stack.newTag());
  if (req.tx instanceof InviteServerTransaction) req.tx.toTag = toTag;
  const ok = createResponse(msg, 200, 'OK', { toTag, headers, body: opts.localSdp });
  const dialog = new Dialog(stack, {
    type: 'uas',
    callId: msg.callId(),
    localTag: toTag,
    remoteTag: msg.from().params.get('tag') ?? '',
    localUri: withTag(msg.headers.get('to') ?? '', toTag),
    remoteUri: msg.headers.get('from') ?? '',
    localSeq: 0,
    remoteSeq: msg.cseq().seq,
    remoteTarget: formatContactUri(msg),
    routeSet: msg.headers.getAll('record-route'),
    flow: req.source,
    localSdp: opts.localSdp,
    remoteSdp: req.body,
    ...(se !== undefined ? { sessionTimer: { seconds: se, weRefresh: refresher === 'uas' } } : {}),
  });
  stack.addDialog(dialog);
  try {
    await stack.sendReliable2xx(req.tx, ok);
  } catch (err) {
    await dialog.destroy('no ACK for 200 OK');
    throw err;
  }
  return dialog;
}

export interface UacOptions {
  localSdp: string;
  headers?: Array<[string, string]>;
  /** Digest credentials, used when the peer challenges (401/407). */
  auth?: { username: string; password: string };
  /** Send here instead of the URI's host (an operator's registered source address behind NAT). */
  destination?: Destination;
  /** Our From URI (default sip:hotline@our-address). */
  from?: string;
  /** Abort = CANCEL the call (ring timeout, caller hung up). */
  signal?: AbortSignal;
  onProvisional?: (res: SipResponse) => void;
}

/**
 * Place a call. Resolves with the dialog on 2xx (after sending the ACK);
 * rejects with SipError(status) on a failure response, SipError(487) when
 * cancelled through the signal, 408 on timeout, 503 on transport failure.
 */
export async function createUAC(stack: SipStack, uri: string, opts: UacOptions): Promise<Dialog> {
  const dest = opts.destination ?? resolveUri(uri);
  const callId = stack.newCallId();
  const fromTag = stack.newTag();
  const from = `<${opts.from ?? stack.localUri(dest)}>;tag=${fromTag}`;
  let cseq = 1;
  let authorization: [string, string] | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    // opts first: its own `from` (a bare URI) must not replace the tagged From built above.
    const invite = buildInvite(stack, uri, dest, { ...opts, callId, from, cseq, authorization });
    const res = await sendInvite(stack, invite, dest, opts);
    if ((res.status === 401 || res.status === 407) && opts.auth !== undefined && attempt === 0) {
      const challenge = res.headers.getAll(res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
      if (challenge.length === 0) throw new SipError(res.status, res.reason);
      const value = answerChallenge({ challenge, method: 'INVITE', uri, username: opts.auth.username, password: opts.auth.password });
      authorization = [res.status === 401 ? 'Authorization' : 'Proxy-Authorization', value];
      cseq++;
      continue;
    }
    if (res.status >= 300) throw new SipError(res.status, res.reason);
    return confirm(stack, invite, res, dest, opts);
  }
  throw new SipError(401, 'Unauthorized');
}

function buildInvite(stack: SipStack, uri: string, dest: Destination, o: UacOptions & { callId: string; from: string; cseq: number; authorization: [string, string] | undefined }): SipRequest {
  const headers: Array<[string, string]> = [
    ['Via', stack.via(dest)],
    ['Max-Forwards', '70'],
    ['From', o.from],
    ['To', `<${uri}>`],
    ['Call-ID', o.callId],
    ['CSeq', `${o.cseq} INVITE`],
    ['Contact', stack.contact(dest)],
    ['Allow', ALLOWED_METHODS],
    ...(o.authorization !== undefined ? [o.authorization] : []),
    ...(o.headers ?? []),
    ['Content-Type', 'application/sdp'],
  ];
  return createRequest({ method: 'INVITE', uri, headers, body: o.localSdp });
}

/** Send the INVITE; an abort before the answer sends CANCEL once a provisional arrived (§9.1). */
function sendInvite(stack: SipStack, invite: SipRequest, dest: Destination, opts: UacOptions): Promise<SipResponse> {
  let provisional = false;
  let cancelWanted = false;
  let cancelSent = false;
  const sendCancel = (): void => {
    if (cancelSent) return;
    cancelSent = true;
    stack.sendRequest(buildCancel(invite), dest).catch((err: unknown) => stack.log.debug({ err }, 'CANCEL failed'));
  };
  const onAbort = (): void => {
    cancelWanted = true;
    if (provisional) sendCancel();
  };
  if (opts.signal?.aborted) return Promise.reject(new SipError(487, 'Request Terminated'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  return stack
    .sendRequest(invite, dest, (res) => {
      provisional = true;
      if (cancelWanted) sendCancel();
      opts.onProvisional?.(res);
    })
    .finally(() => opts.signal?.removeEventListener('abort', onAbort));
}

/** §9.1: CANCEL copies Request-URI, Call-ID, To, From, CSeq number and the top Via (same branch) of the INVITE. */
function buildCancel(invite: SipRequest): SipRequest {
  const headers: Array<[string, string]> = [['Via', invite.headers.getAll('via')[0] ?? '']];
  for (const r of invite.headers.getAll('route')) headers.push(['Route', r]);
  headers.push(['Max-Forwards', '70'], ['From', invite.headers.get('from') ?? ''], ['To', invite.headers.get('to') ?? ''], ['Call-ID', invite.callId()], ['CSeq', `${invite.cseq().seq} CANCEL`]);
  return createRequest({ method: 'CANCEL', uri: invite.uri, headers });
}

/** 2xx: ACK it (a new transaction, §13.2.2.4) and build the dialog. If we were cancelled meanwhile, hang up at once. */
async function confirm(stack: SipStack, invite: SipRequest, res: SipResponse, dest: Destination, opts: UacOptions): Promise<Dialog> {
  const routeSet = res.headers.getAll('record-route').reverse();
  const remoteTarget = formatContactUri(res) || invite.uri;
  const dialog = new Dialog(stack, {
    type: 'uac',
    callId: invite.callId(),
    localTag: invite.from().params.get('tag') ?? '',
    remoteTag: res.to().params.get('tag') ?? '',
    localUri: invite.headers.get('from') ?? '',
    remoteUri: res.headers.get('to') ?? '',
    localSeq: invite.cseq().seq,
    remoteSeq: undefined,
    remoteTarget,
    routeSet,
    flow: dest,
    localSdp: opts.localSdp,
    remoteSdp: res.body.toString('utf8'),
  });
  const ackDest = routeSet[0] !== undefined ? stack.resolve(routeSet[0].replace(/^[^<]*<|>.*$/g, '')) : dest;
  const headers: Array<[string, string]> = [['Via', stack.via(ackDest)]];
  for (const r of routeSet) headers.push(['Route', r]);
  headers.push(['Max-Forwards', '70'], ['From', invite.headers.get('from') ?? ''], ['To', res.headers.get('to') ?? ''], ['Call-ID', invite.callId()], ['CSeq', `${invite.cseq().seq} ACK`]);
  const ack = createRequest({ method: 'ACK', uri: remoteTarget, headers }).toBuffer();
  stack.rememberAck(invite.callId(), invite.cseq().seq, ack, ackDest);
  await stack.sendStateless(ack, ackDest);
  stack.addDialog(dialog);
  if (opts.signal?.aborted) {
    await dialog.destroy('cancelled after answer');
    throw new SipError(487, 'Request Terminated');
  }
  return dialog;
}

/**
 * Bridge an incoming INVITE to `uri` at the signalling level: the B leg gets
 * the caller's offer, ringing is relayed back, the answer goes to the caller,
 * and a hang-up on either side ends the other.
 */
export async function createB2BUA(stack: SipStack, req: InboundRequest, res: InboundResponder, uri: string, opts: Omit<UacOptions, 'localSdp'> = {}): Promise<{ uas: Dialog; uac: Dialog }> {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort();
  req.on('cancel', onCancel);
  const linked = linkedSignal([opts.signal, abort.signal]);
  let uac: Dialog;
  try {
    uac = await createUAC(stack, uri, {
      ...opts,
      localSdp: req.body,
      signal: linked.signal,
      onProvisional: (p) => {
        if (p.status === 180 || p.status === 183) res.send(p.status, p.reason, p.body.length > 0 ? { body: p.body.toString('utf8') } : {});
        opts.onProvisional?.(p);
      },
    });
  } catch (err) {
    if (!req.cancelled) res.send(err instanceof SipError ? err.status : 500, err instanceof SipError ? err.reason : 'Server Internal Error');
    throw err;
  } finally {
    req.off('cancel', onCancel);
    linked.dispose();
  }
  let uas: Dialog;
  try {
    uas = await createUAS(stack, req, res, { localSdp: uac.remote.sdp });
  } catch (err) {
    await uac.destroy('A leg failed');
    throw err;
  }
  uas.on('destroy', () => void uac.destroy('other leg hung up'));
  uac.on('destroy', () => void uas.destroy('other leg hung up'));
  return { uas, uac };
}

function withTag(nameAddr: string, tag: string): string {
  return /;\s*tag=/i.test(nameAddr) ? nameAddr : `${nameAddr};tag=${tag}`;
}
