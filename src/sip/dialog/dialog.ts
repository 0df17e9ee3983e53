/**
 * A SIP dialog (RFC 3261 §12) as the calls layer sees it, shaped like
 * drachtio-srf's Dialog: `modify(sdp)`, `request()`, `destroy()`, and events
 * `destroy`, `modify`, `info`, `refer`, `notify`. Promises only.
 *
 * In-dialog requests follow §12.2.1.1 (Request-URI = remote target, Route =
 * route set, loose routing); incoming ones §12.2.2 (CSeq ordering, target
 * refresh). Session timers (RFC 4028) are honoured when the peer asks: the
 * peer refreshes, and the dialog ends itself if no refresh arrives in time.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { createRequest, createResponse, type SipRequest, type SipResponse } from '../message/message.ts';
import type { TimerHandle, TimerScheduler } from '../scheduler.ts';
import { SipError } from '../errors.ts';
import type { Destination } from '../transaction/transaction.ts';
import type { ServerTransaction } from '../transaction/layer.ts';

/** What a dialog needs from the stack that owns it. */
export interface DialogHost {
  log: Logger;
  scheduler: TimerScheduler;
  /** Send a request in a new client transaction; resolves with the final response. */
  sendRequest(req: SipRequest, dest: Destination): Promise<SipResponse>;
  sendStateless(data: Buffer, dest: Destination): Promise<void>;
  /** A Via header value with a fresh branch, for a request to `dest`. */
  via(dest: Destination): string;
  /** Our Contact header value for a request or response travelling over `dest`'s transport. */
  contact(dest: Destination): string;
  /** Resolve a URI (route or remote target) to a destination. */
  resolve(uri: string): Destination;
  /** Send a 2xx to an INVITE reliably (retransmit until the ACK, §13.3.1.4); resolves with the ACK. */
  sendReliable2xx(tx: ServerTransaction, res: SipResponse): Promise<SipRequest>;
  forget(dialog: Dialog): void;
}

export interface DialogInit {
  type: 'uas' | 'uac';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From/To value, with our tag. */
  localUri: string;
  /** The peer's From/To value, with its tag. */
  remoteUri: string;
  localSeq: number;
  remoteSeq: number | undefined;
  remoteTarget: string;
  routeSet: string[];
  /** Where the peer actually is (symmetric signalling for phones behind NAT). */
  flow: Destination;
  localSdp: string;
  remoteSdp: string;
  /** The session timer the peer asked for (RFC 4028): its interval, and whether we are the refresher. */
  sessionTimer?: { seconds: number; weRefresh: boolean };
}

/** Answering an in-dialog request from an event listener. */
export interface DialogResponder {
  send(status: number, reason?: string, opts?: { headers?: Array<[string, string]>; body?: string; contentType?: string }): void;
}

export type DestroyInfo = { by: 'local' | 'remote'; reason: string };

export class Dialog extends EventEmitter {
  readonly type: 'uas' | 'uac';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  state: 'confirmed' | 'terminated' = 'confirmed';
  readonly local: { sdp: string; uri: string };
  readonly remote: { sdp: string; uri: string };
  private localSeq: number;
  private remoteSeq: number | undefined;
  private remoteTarget: string;
  private readonly routeSet: string[];
  private flow: Destination;
  private sessionTimer: TimerHandle | undefined;
  private weRefresh = false;
  private readonly log: Logger;

  constructor(
    private readonly host: DialogHost,
    init: DialogInit,
  ) {
    super();
    this.type = init.type;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = { sdp: init.localSdp, uri: init.localUri };
    this.remote = { sdp: init.remoteSdp, uri: init.remoteUri };
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.flow = init.flow;
    this.log = host.log.child({ callId: init.callId, dialog: init.type });
    if (init.sessionTimer !== undefined) {
      this.weRefresh = init.sessionTimer.weRefresh;
      this.armSessionTimer(init.sessionTimer.seconds);
    }
  }

  override on(event: 'destroy', fn: (info: DestroyInfo) => void): this;
  override on(event: 'modify' | 'info' | 'refer' | 'notify' | 'update', fn: (req: SipRequest, res: DialogResponder) => void): this;
  override on(event: string, fn: (...args: never[]) => void): this {
    return super.on(event, fn as unknown as (...args: unknown[]) => void);
  }

  /** Dialog id as RFC 3261 §12 defines it (Call-ID, local tag, remote tag). */
  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** Send a request inside the dialog and get the final response. Non-2xx finals resolve too: the caller decides. */
  async request(opts: { method: string; headers?: Array<[string, string]>; body?: string; contentType?: string }): Promise<SipResponse> {
    if (this.state === 'terminated') throw new SipError(481, 'Call/Transaction Does Not Exist');
    const { req, dest } = this.build(opts.method, opts.headers ?? [], opts.body, opts.contentType);
    return this.host.sendRequest(req, dest);
  }

  /**
   * Report the progress of a transfer we accepted (RFC 3515 §2.4.5): a NOTIFY
   * with Event: refer and the status line of the new call as message/sipfrag.
   * A final status (≥ 200) ends the implicit subscription.
   */
  async notifyRefer(status: number, reason: string): Promise<SipResponse> {
    const final = status >= 200;
    return this.request({
      method: 'NOTIFY',
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag',
    });
  }

  /**
   * Re-INVITE with a new offer (hold: a=sendonly; resume: a=sendrecv). Resolves
   * with the peer's answer; a non-2xx rejects with SipError (491 means "try
   * again later", RFC 3261 §14.1).
   */
  async modify(sdp: string): Promise<string> {
    if (this.state === 'terminated') throw new SipError(481, 'Call/Transaction Does Not Exist');
    const { req, dest } = this.build('INVITE', [], sdp, 'application/sdp');
    const res = await this.host.sendRequest(req, dest);
    if (res.status >= 300) throw new SipError(res.status, res.reason);
    // §13.2.2.4: the ACK for a 2xx is a new transaction, sent end to end.
    const ack = this.buildAck(req);
    await this.host.sendStateless(ack.req.toBuffer(), ack.dest);
    this.local.sdp = sdp;
    this.remote.sdp = res.body.toString('utf8');
    this.refreshTarget(res);
    return this.remote.sdp;
  }

  /** Hang up: BYE (§15.1.1). Resolves once the BYE is answered or timed out; the dialog is gone either way. */
  async destroy(reason = 'local hangup'): Promise<void> {
    if (this.state === 'terminated') return;
    const { req, dest } = this.build('BYE', [], undefined, undefined);
    this.terminate({ by: 'local', reason });
    try {
      await this.host.sendRequest(req, dest);
    } catch (err) {
      this.log.debug({ err }, 'BYE not answered');
    }
  }

  /** A request for this dialog arrived (the stack matched Call-ID and tags). */
  handleRequest(req: SipRequest, tx: ServerTransaction): void {
    const seq = req.cseq().seq;
    // §12.2.2: lower CSeq than the last one is out of order.
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq && req.method !== 'ACK') {
      tx.respond(createResponse(req, 500, 'CSeq out of order'));
      return;
    }
    this.remoteSeq = seq;
    const responder = this.responder(req, tx);
    switch (req.method) {
      case 'BYE':
        responder.send(200);
        this.terminate({ by: 'remote', reason: 'BYE' });
        return;
      case 'INVITE':
      case 'UPDATE':
        this.onOffer(req, tx);
        return;
      case 'INFO':
        if (this.listenerCount('info') > 0) this.emit('info', req, responder);
        else responder.send(200);
        return;
      case 'REFER':
        if (this.listenerCount('refer') > 0) this.emit('refer', req, responder);
        else responder.send(603, 'Decline');
        return;
      case 'NOTIFY':
        responder.send(200);
        this.emit('notify', req, responder);
        return;
      case 'OPTIONS':
        responder.send(200);
        return;
      default:
        responder.send(501, 'Not Implemented');
    }
  }

  /** A re-INVITE or UPDATE: hold/resume or a new address (§14.2). */
  private onOffer(req: SipRequest, tx: ServerTransaction): void {
    this.refreshTarget(req);
    const se = sessionExpiresOf(req);
    if (se !== undefined) this.armSessionTimer(se);
    const event = req.method === 'INVITE' ? 'modify' : 'update';
    const offer = req.body.length > 0 ? req.body.toString('utf8') : undefined;
    let answered = false;
    const responder: DialogResponder = {
      send: (status, reason, opts) => {
        if (answered) return;
        answered = true;
        const res = this.response(req, status, reason, opts);
        if (status >= 200 && status < 300) {
          if (offer !== undefined) this.remote.sdp = offer;
          if (opts?.body !== undefined) this.local.sdp = opts.body;
          if (req.method === 'INVITE') {
            this.host.sendReliable2xx(tx, res).catch((err: unknown) => this.log.warn({ err }, 're-INVITE 2xx never ACKed'));
            return;
          }
        }
        tx.respond(res);
      },
    };
    if (this.listenerCount(event) > 0) this.emit(event, req, responder);
    else responder.send(200, undefined, { body: this.local.sdp, contentType: 'application/sdp' });
  }

  private responder(req: SipRequest, tx: ServerTransaction): DialogResponder {
    let answered = false;
    return {
      send: (status, reason, opts) => {
        if (answered) return;
        answered = true;
        tx.respond(this.response(req, status, reason, opts));
      },
    };
  }

  private response(req: SipRequest, status: number, reason: string | undefined, opts?: { headers?: Array<[string, string]>; body?: string; contentType?: string }): SipResponse {
    const headers: Array<[string, string]> = [...(opts?.headers ?? [])];
    if (status >= 200 && status < 300 && (req.method === 'INVITE' || req.method === 'UPDATE')) headers.push(['Contact', this.host.contact(this.flow)]);
    if (opts?.body !== undefined) headers.push(['Content-Type', opts.contentType ?? 'application/sdp']);
    return createResponse(req, status, reason, { headers, ...(opts?.body !== undefined ? { body: opts.body } : {}) });
  }

  /** §12.2.1.1: build an in-dialog request and where to send it. */
  private build(method: string, extra: Array<[string, string]>, body: string | undefined, contentType: string | undefined): { req: SipRequest; dest: Destination } {
    const dest = this.destination();
    const headers: Array<[string, string]> = [['Via', this.host.via(dest)]];
    for (const r of this.routeSet) headers.push(['Route', r]);
    headers.push(['Max-Forwards', '70'], ['From', this.local.uri], ['To', this.remote.uri], ['Call-ID', this.callId], ['CSeq', `${++this.localSeq} ${method}`]);
    if (method === 'INVITE' || method === 'UPDATE' || method === 'REFER') headers.push(['Contact', this.host.contact(dest)]);
    headers.push(...extra);
    if (body !== undefined) headers.push(['Content-Type', contentType ?? 'application/sdp']);
    return { req: createRequest({ method, uri: this.remoteTarget, headers, ...(body !== undefined ? { body } : {}) }), dest };
  }

  private buildAck(invite: SipRequest): { req: SipRequest; dest: Destination } {
    const dest = this.destination();
    const headers: Array<[string, string]> = [['Via', this.host.via(dest)]];
    for (const r of this.routeSet) headers.push(['Route', r]);
    headers.push(['Max-Forwards', '70'], ['From', this.local.uri], ['To', this.remote.uri], ['Call-ID', this.callId], ['CSeq', `${invite.cseq().seq} ACK`]);
    return { req: createRequest({ method: 'ACK', uri: this.remoteTarget, headers }), dest };
  }

  /** With a route set, the first route; else the flow the peer uses (NAT-friendly), which is where the remote target is reachable. */
  private destination(): Destination {
    const first = this.routeSet[0];
    if (first !== undefined) return this.host.resolve(stripAngle(first));
    return this.flow;
  }

  /** §12.2.1.2 / §12.2.2: a target refresh replaces the remote target with the new Contact. */
  private refreshTarget(msg: SipRequest | SipResponse): void {
    const contact = msg.contact();
    if (contact !== '*' && contact[0] !== undefined) this.remoteTarget = formatContactUri(msg);
  }

  /**
   * RFC 4028 §10: the refresher refreshes at half the interval (we send a
   * re-INVITE with the same SDP); the other side sends BYE shortly before the
   * session would expire: at interval − min(32 s, interval / 3).
   */
  private armSessionTimer(seconds: number): void {
    this.sessionTimer?.cancel();
    if (this.weRefresh) {
      this.sessionTimer = this.host.scheduler.schedule((seconds * 1000) / 2, () => {
        this.modify(this.local.sdp).then(
          () => this.armSessionTimer(seconds),
          (err: unknown) => {
            this.log.info({ err }, 'session refresh failed');
            void this.destroy('session refresh failed');
          },
        );
      });
      return;
    }
    this.sessionTimer = this.host.scheduler.schedule((seconds - Math.min(32, seconds / 3)) * 1000, () => {
      this.log.info({ seconds }, 'session timer expired without refresh');
      void this.destroy('session timer expired');
    });
  }

  private terminate(info: DestroyInfo): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.sessionTimer?.cancel();
    this.host.forget(this);
    this.emit('destroy', info);
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

/** RFC 4028 Session-Expires in seconds, if present and sane. */
export function sessionExpiresOf(msg: SipRequest | SipResponse): number | undefined {
  const v = msg.headers.get('session-expires');
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function stripAngle(nameAddr: string): string {
  const m = /<([^>]*)>/.exec(nameAddr);
  return m?.[1] ?? nameAddr.split(';')[0]?.trim() ?? nameAddr;
}

/** The first Contact's URI as written (without header params). */
export function formatContactUri(msg: SipRequest | SipResponse): string {
  const raw = msg.headers.getAll('contact')[0] ?? '';
  return stripAngle(raw);
}
