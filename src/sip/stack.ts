/**
 * The SIP core: bytes in from the transports, checks a UAS applies before
 * anything else (RFC 3261 §8.2), the transaction layer, and dispatch to
 * dialogs, the registrar, OPTIONS keep-alives and the application's INVITE
 * handler. Outgoing requests and reliable 2xx retransmission live here too,
 * for the UAS/UAC code in ua.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Dialog, dialogId, type DialogHost } from './dialog/dialog.ts';
import { SipError } from './errors.ts';
import { InboundRequest, InboundResponder } from './inbound.ts';
import { createResponse, type SipRequest, type SipResponse } from './message/message.ts';
import { parseMessage, SipParseError, validateRequest, validateResponse } from './message/index.ts';
import { KNOWN_METHODS } from './message/types.ts';
import { parseUri } from './message/uri.ts';
import { SourceGuard, type SourceGuardOptions } from './source-guard.ts';
import type { TimerScheduler } from './scheduler.ts';
import { TransactionLayer, type ServerTransaction, type Source, type TransactionLayerUser } from './transaction/layer.ts';
import type { InviteServerTransaction } from './transaction/server.ts';
import type { TimerConfig } from './transaction/timers.ts';
import type { Destination } from './transaction/transaction.ts';

/** The transports as the core sees them. */
export interface SipTransports {
  send(data: Buffer, dest: Destination): Promise<void>;
  /** The address and port we advertise in Via and Contact for a transport protocol. */
  advertised(protocol: Destination['protocol']): { host: string; port: number };
}

/** REGISTER handling (registrar + auth), plugged in by the composition root. */
export interface RegisterHandler {
  (req: InboundRequest, res: InboundResponder): Promise<void>;
}

/** Decides whether a request must carry digest credentials, and checks them. */
export interface RequestAuthenticator {
  /** Resolves true when the request may proceed; otherwise it has answered (401/403) itself. */
  check(req: InboundRequest, res: InboundResponder): Promise<boolean>;
}

export type InviteHandler = (req: InboundRequest, res: InboundResponder) => void;

export interface SipStackOptions {
  transports: SipTransports;
  scheduler: TimerScheduler;
  log: Logger;
  timers?: Partial<TimerConfig>;
  /** The user part we put in our own Contact. */
  contactUser?: string;
  maxMessageBytes?: number;
  /** Option tags we support (Require with anything else gets 420, §8.2.2.3). */
  supported?: string[];
  guard?: SourceGuardOptions;
  userAgent?: string;
}

export const ALLOWED_METHODS = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, REGISTER';

export interface SipCounters {
  requestsIn: Record<string, number>;
  requestsOut: Record<string, number>;
  responsesOut: Record<string, number>;
  responsesIn: Record<string, number>;
  parseErrors: number;
  dropped: number;
}

export class SipStack implements TransactionLayerUser, DialogHost {
  readonly log: Logger;
  readonly scheduler: TimerScheduler;
  readonly transactions: TransactionLayer;
  readonly counters: SipCounters = { requestsIn: {}, requestsOut: {}, responsesOut: {}, responsesIn: {}, parseErrors: 0, dropped: 0 };
  readonly dialogs = new Map<string, Dialog>();
  private readonly guard: SourceGuard;
  private readonly supported: Set<string>;
  /** INVITEs still waiting for the application's answer, for CANCEL. Weak: a finished transaction takes its entry with it. */
  private readonly pending = new WeakMap<InviteServerTransaction, InboundRequest>();
  /** ACK waiters for our 2xx responses, keyed by Call-ID and CSeq number. */
  private readonly ackWaiters = new Map<string, (ack: SipRequest) => void>();
  /** Last ACK we sent for a 2xx, to re-ACK retransmitted 2xx (§13.2.2.4). */
  private readonly sentAcks = new Map<string, { data: Buffer; dest: Destination }>();
  private inviteHandler: InviteHandler | undefined;
  registerHandler: RegisterHandler | undefined;
  authenticator: RequestAuthenticator | undefined;

  constructor(private readonly opts: SipStackOptions) {
    this.log = opts.log;
    this.scheduler = opts.scheduler;
    this.guard = new SourceGuard(opts.scheduler, opts.guard);
    this.supported = new Set((opts.supported ?? ['timer', 'path', 'outbound']).map((s) => s.toLowerCase()));
    this.transactions = new TransactionLayer({
      sender: {
        send: (data, dest) => {
          this.countOutbound(data);
          return opts.transports.send(data, dest);
        },
      },
      scheduler: opts.scheduler,
      user: this,
      log: opts.log,
      ...(opts.timers !== undefined ? { timers: opts.timers } : {}),
    });
  }

  /** The application's handler for new INVITEs (drachtio-srf's `srf.invite()`). */
  onInvite(handler: InviteHandler): void {
    this.inviteHandler = handler;
  }

  // ───────────────────────────── receive path ─────────────────────────────

  /** Bytes from a transport. Nothing a peer sends may throw out of here. */
  handleInbound(data: Buffer, source: Source): void {
    try {
      this.receive(data, source);
    } catch (err) {
      this.counters.dropped++;
      this.log.error({ err, source }, 'unexpected error handling a SIP message');
    }
  }

  private receive(data: Buffer, source: Source): void {
    if (!this.guard.admit(source.address)) {
      this.counters.dropped++;
      return;
    }
    let msg;
    try {
      msg = parseMessage(data, { transport: source.protocol === 'udp' ? 'udp' : 'stream', ...(this.opts.maxMessageBytes !== undefined ? { maxBytes: this.opts.maxMessageBytes } : {}) });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      this.counters.parseErrors++;
      this.log.debug({ source, code: err.code, reason: err.reason }, 'unparseable SIP message');
      // A malformed request we can answer gets its status with the reason; anything else is dropped (§8.2, RFC 4475 §3.1.2).
      const partial = err.partial;
      if (partial !== undefined && partial.method !== 'ACK') this.respondStateless(partial, err.status, err.reason, source);
      return;
    }
    if ('status' in msg) {
      this.count(this.counters.responsesIn, `${Math.floor(msg.status / 100)}xx`);
      // A response we cannot match safely (bad Via/CSeq/Call-ID) is dropped: nobody to answer (§18.1.2).
      if (validateResponse(msg) !== null) {
        this.counters.parseErrors++;
        return;
      }
      this.transactions.receiveResponse(msg, source);
      return;
    }
    const req = msg;
    this.count(this.counters.requestsIn, KNOWN_METHODS.includes(req.method as (typeof KNOWN_METHODS)[number]) ? req.method : 'other');
    if (this.guard.isScanner(req.headers.get('user-agent'))) {
      this.counters.dropped++;
      return; // do not help scanners: no answer at all
    }
    const problem = validateRequest(req);
    if (problem !== null) {
      if (req.method !== 'ACK') this.respondStateless(req, problem.status, problem.reason, source);
      return;
    }
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      // §8.2.2.3: Require with option tags we do not support → 420 listing them.
      const unsupported = req.tokens('require').filter((t) => !this.supported.has(t));
      if (unsupported.length > 0) {
        this.respondStateless(req, 420, 'Bad Extension', source, [['Unsupported', unsupported.join(', ')]]);
        return;
      }
      // §8.2.3: a body we cannot read in a request that must be understood → 415 (INFO, NOTIFY, MESSAGE carry other types on purpose).
      if ((req.method === 'INVITE' || req.method === 'UPDATE') && req.body.length > 0) {
        const type = (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (type !== 'application/sdp' && type !== 'multipart/mixed') {
          this.respondStateless(req, 415, 'Unsupported Media Type', source, [['Accept', 'application/sdp']]);
          return;
        }
      }
      // §21.4.7: a caller that cannot accept an SDP answer cannot be answered.
      if (req.method === 'INVITE' && req.headers.has('accept')) {
        const accepted = req.headers.getAll('accept').map((a) => (a.split(';')[0] ?? '').trim().toLowerCase());
        if (!accepted.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*' || a === '')) {
          this.respondStateless(req, 406, 'Not Acceptable', source);
          return;
        }
      }
      // §16.3 / §8.2: a request that has run out of hops is not extended by a B2BUA (OPTIONS is answered: it is a probe).
      if (req.maxForwards() === 0 && req.method !== 'OPTIONS' && req.method !== 'REGISTER') {
        this.respondStateless(req, 483, 'Too Many Hops', source);
        return;
      }
    }
    this.transactions.receiveRequest(req, source);
  }

  private respondStateless(req: SipRequest, status: number, reason: string, source: Source, headers: Array<[string, string]> = []): void {
    let res: SipResponse;
    try {
      res = createResponse(req, status, reason, { toTag: this.newTag(), headers });
    } catch (err) {
      this.log.debug({ err }, 'cannot build an error response: dropped');
      return;
    }
    this.transactions.respondStateless(req, res, source).catch((err: unknown) => this.log.debug({ err }, 'stateless response not sent'));
  }

  // ─────────────────────── transaction layer user ───────────────────────

  onRequest(msg: SipRequest, tx: ServerTransaction, source: Source): void {
    const req = new InboundRequest(msg, source, tx);
    const res = new InboundResponder(req, () => this.newTag());
    const toTag = msg.to().params.get('tag');
    if (toTag) {
      const dialog = this.dialogs.get(dialogId(msg.callId(), toTag, msg.from().params.get('tag') ?? ''));
      if (dialog !== undefined) dialog.handleRequest(msg, tx);
      else res.send(481, 'Call/Transaction Does Not Exist');
      return;
    }
    switch (msg.method) {
      case 'INVITE':
        this.pending.set(tx as InviteServerTransaction, req);
        tx.user = { onTransportError: () => this.pending.delete(tx as InviteServerTransaction), onTimeout: () => this.pending.delete(tx as InviteServerTransaction) };
        void this.dispatchInvite(req, res);
        return;
      case 'OPTIONS':
        // Keep-alive and capability probe (§11.2).
        res.send(200, 'OK', { headers: [['Allow', ALLOWED_METHODS], ['Accept', 'application/sdp'], ['Supported', [...this.supported].join(', ')]] });
        return;
      case 'REGISTER':
        if (this.registerHandler === undefined) res.send(405, 'Method Not Allowed', { headers: [['Allow', ALLOWED_METHODS.replace(', REGISTER', '')]] });
        else this.registerHandler(req, res).catch((err: unknown) => this.serverError(res, err));
        return;
      case 'BYE':
      case 'INFO':
      case 'UPDATE':
      case 'NOTIFY':
      case 'PRACK':
        res.send(481, 'Call/Transaction Does Not Exist');
        return;
      case 'SUBSCRIBE':
        res.send(489, 'Bad Event');
        return;
      case 'REFER':
        res.send(403, 'Out-of-dialog REFER not accepted');
        return;
      default:
        res.send(501, 'Not Implemented', { headers: [['Allow', ALLOWED_METHODS]] });
    }
  }

  private async dispatchInvite(req: InboundRequest, res: InboundResponder): Promise<void> {
    try {
      if (this.authenticator !== undefined && !(await this.authenticator.check(req, res))) return;
      if (req.cancelled) return;
      if (this.inviteHandler === undefined) res.send(480, 'Temporarily Unavailable');
      else this.inviteHandler(req, res);
    } catch (err) {
      this.serverError(res, err);
    }
  }

  private serverError(res: InboundResponder, err: unknown): void {
    this.log.error({ err }, 'request handler failed');
    if (err instanceof SipError) res.send(err.status, err.reason);
    else res.send(500, 'Server Internal Error');
  }

  onAck(ack: SipRequest): void {
    const waiter = this.ackWaiters.get(`${ack.callId()}|${ack.cseq().seq}`);
    waiter?.(ack);
  }

  onCancel(invite: InviteServerTransaction): void {
    const req = this.pending.get(invite);
    // §9.2: the INVITE gets 487 at once; the application hears 'cancel'.
    invite.respond(createResponse(invite.request, 487, 'Request Terminated', { toTag: invite.toTag ?? req?.toTag ?? this.newTag() }));
    this.pending.delete(invite);
    req?.markCancelled();
  }

  onStrayResponse(res: SipResponse): void {
    // A retransmitted 2xx to our INVITE: ACK it again (§13.2.2.4).
    if (res.status >= 200 && res.status < 300 && res.cseq().method === 'INVITE') {
      const sent = this.sentAcks.get(`${res.callId()}|${res.cseq().seq}`);
      if (sent !== undefined) void this.sendStateless(sent.data, sent.dest).catch(() => undefined);
    }
  }

  // ───────────────────────────── dialog host ─────────────────────────────

  sendRequest(req: SipRequest, dest: Destination, onProvisional?: (res: SipResponse) => void): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let settled = false;
      this.transactions.sendRequest(req, dest, {
        onResponse: (res) => {
          if (res.status < 200) {
            onProvisional?.(res);
          } else if (!settled) {
            settled = true;
            resolve(res);
          } else {
            // RFC 3261 §13.2.2.4 / RFC 6026 §7.2: every 2xx retransmission to an INVITE is ACKed again.
            this.onStrayResponse(res);
          }
        },
        onTimeout: () => reject(new SipError(408, 'Request Timeout')),
        onTransportError: () => reject(new SipError(503, 'Service Unavailable (transport error)')),
      });
    });
  }

  sendStateless(data: Buffer, dest: Destination): Promise<void> {
    return this.transactions.sendStateless(data, dest);
  }

  /** Remember the ACK sent for a 2xx so a retransmitted 2xx is ACKed again. */
  rememberAck(callId: string, cseq: number, data: Buffer, dest: Destination): void {
    const key = `${callId}|${cseq}`;
    this.sentAcks.set(key, { data, dest });
    this.scheduler.schedule(64 * this.transactions.timerConfig.T1, () => this.sentAcks.delete(key));
  }

  via(dest: Destination): string {
    const a = this.opts.transports.advertised(dest.protocol);
    return `SIP/2.0/${dest.protocol.toUpperCase()} ${hostPort(a.host, a.port)};branch=${this.transactions.newBranch()};rport`;
  }

  contact(dest: Destination): string {
    return `<${this.localUri(dest)}${dest.protocol === 'udp' ? '' : `;transport=${dest.protocol}`}>`;
  }

  /** Our own SIP URI on the transport towards `dest` (sip:hotline@host:port). */
  localUri(dest: Destination): string {
    const a = this.opts.transports.advertised(dest.protocol);
    return `sip:${this.opts.contactUser ?? 'hotline'}@${hostPort(a.host, a.port)}`;
  }

  resolve(uri: string): Destination {
    return resolveUri(uri);
  }

  /**
   * §13.3.1.4: the UAS core retransmits a 2xx to INVITE (T1, doubling to T2)
   * until the ACK arrives; after 64·T1 without one it gives up (the caller
   * then ends the call with BYE, as §13.3.1.4 says).
   */
  sendReliable2xx(tx: ServerTransaction, res: SipResponse): Promise<SipRequest> {
    const { T1, T2 } = this.transactions.timerConfig;
    const key = `${res.callId()}|${res.cseq().seq}`;
    const reliable = tx.request.topVia()?.transport !== 'UDP';
    const bytes = res.toBuffer();
    const dest = tx.dest;
    tx.respond(res);
    return new Promise((resolve, reject) => {
      let interval = T1;
      let retransmit: { cancel(): void } | undefined;
      const giveUp = this.scheduler.schedule(64 * T1, () => {
        retransmit?.cancel();
        this.ackWaiters.delete(key);
        reject(new SipError(408, 'No ACK for 2xx'));
      });
      const again = (): void => {
        retransmit = this.scheduler.schedule(interval, () => {
          this.transactions.counters.retransmissions++;
          void this.sendStateless(bytes, dest).catch(() => undefined);
          interval = Math.min(2 * interval, T2);
          again();
        });
      };
      if (!reliable) again();
      this.ackWaiters.set(key, (ack) => {
        retransmit?.cancel();
        giveUp.cancel();
        this.ackWaiters.delete(key);
        resolve(ack);
      });
    });
  }

  forget(dialog: Dialog): void {
    this.dialogs.delete(dialog.id);
  }

  addDialog(dialog: Dialog): void {
    this.dialogs.set(dialog.id, dialog);
  }

  newTag(): string {
    return randomBytes(6).toString('hex');
  }

  newCallId(): string {
    return `${randomBytes(12).toString('base64url')}@hotline`;
  }

  /** Every message we send passes here: requests by method, responses by status class. Reads a few bytes, parses nothing. */
  private countOutbound(data: Buffer): void {
    if (data.length > 9 && data.toString('latin1', 0, 8) === 'SIP/2.0 ') {
      this.count(this.counters.responsesOut, `${String.fromCharCode(data[8] as number)}xx`);
      return;
    }
    const space = data.indexOf(0x20);
    const method = space > 0 && space < 16 ? data.toString('latin1', 0, space) : 'other';
    this.count(this.counters.requestsOut, KNOWN_METHODS.includes(method as (typeof KNOWN_METHODS)[number]) ? method : 'other');
  }

  private count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }
}

export function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/**
 * Where to send a request for a SIP URI: its host (an IP address; DNS NAPTR
 * and SRV, RFC 3263, are not implemented — operators' phones register and
 * are reached at their recorded source address), port or 5060, and the
 * transport parameter.
 */
export function resolveUri(uri: string): Destination {
  const u = parseUri(uri);
  const transport = (u.params.get('transport') ?? (u.scheme === 'sips' ? 'tls' : 'udp')).toLowerCase();
  const host = u.params.get('maddr') ?? u.host;
  const address = host.startsWith('[') ? host.slice(1, -1) : host === 'localhost' ? '127.0.0.1' : host;
  const protocol = transport === 'tcp' || transport === 'tls' || transport === 'ws' || transport === 'wss' ? transport : 'udp';
  return { protocol, address, port: u.port ?? (u.scheme === 'sips' ? 5061 : 5060) };
}
