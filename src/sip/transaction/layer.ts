/**
 * The transaction layer (RFC 3261 §17): matches incoming messages to
 * transactions (§17.1.3, §17.2.3), creates server transactions for new
 * requests, handles CANCEL (§9.2), routes responses back per §18.2.2 and
 * RFC 3581, and hands everything else to its user (the SIP core above).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createResponse, type SipRequest, type SipResponse } from '../message/message.ts';
import type { TimerScheduler } from '../scheduler.ts';
import { InviteClientTransaction, NonInviteClientTransaction, type ClientTransactionUser } from './client.ts';
import { InviteServerTransaction, NonInviteServerTransaction } from './server.ts';
import { deriveTimers, DEFAULT_TIMERS, type DerivedTimers, type TimerConfig } from './timers.ts';
import type { AnyTransaction, Destination, MessageSender, TransactionContext } from './transaction.ts';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

/** Where a message came from. */
export type Source = Destination;

export interface TransactionLayerUser {
  /** A new request with its server transaction (an INVITE has already been answered 100 Trying). */
  onRequest(req: SipRequest, tx: ServerTransaction, source: Source): void;
  /** An ACK matching no transaction: the ACK for a 2xx (§13.3.1.4), for the dialog layer. */
  onAck(ack: SipRequest, source: Source): void;
  /** A CANCEL matched an INVITE not yet answered; the CANCEL got its 200 (§9.2). The user answers the INVITE 487. */
  onCancel(invite: InviteServerTransaction, cancel: SipRequest): void;
  /** A response matching no client transaction, e.g. a retransmitted 2xx after the transaction ended. */
  onStrayResponse(res: SipResponse, source: Source): void;
}

export interface TransactionLayerOptions {
  sender: MessageSender;
  scheduler: TimerScheduler;
  user: TransactionLayerUser;
  log: Logger;
  timers?: Partial<TimerConfig>;
  /** RFC 3261 §18.1.1: requests larger than this over UDP go over TCP. */
  udpMtuLimit?: number;
}

const MAGIC_COOKIE = 'z9hG4bK';

export class TransactionLayer {
  private readonly server = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  private readonly config: TimerConfig;
  private readonly unreliable: DerivedTimers;
  private readonly reliable: DerivedTimers;
  private readonly ctx: TransactionContext;
  readonly counters = { retransmissions: 0, timeouts: 0, strayResponses: 0, cancelsWithoutInvite: 0 };

  constructor(private readonly opts: TransactionLayerOptions) {
    this.config = { ...DEFAULT_TIMERS, ...opts.timers };
    this.unreliable = deriveTimers(this.config, false);
    this.reliable = deriveTimers(this.config, true);
    this.ctx = {
      sender: opts.sender,
      scheduler: opts.scheduler,
      log: opts.log,
      counters: this.counters,
      onTerminated: (tx: AnyTransaction) => {
        if (this.server.get(tx.key) === tx) this.server.delete(tx.key);
        if (this.client.get(tx.key) === tx) this.client.delete(tx.key);
      },
    };
  }

  get timerConfig(): TimerConfig {
    return this.config;
  }

  get size(): { server: number; client: number } {
    return { server: this.server.size, client: this.client.size };
  }

  /** A fresh branch with the RFC 3261 magic cookie (§8.1.1.7). */
  newBranch(): string {
    return MAGIC_COOKIE + randomBytes(9).toString('base64url');
  }

  // ───────────────────────────── incoming ─────────────────────────────

  receiveRequest(req: SipRequest, source: Source): void {
    stampVia(req, source);
    const base = serverKeyBase(req);
    const method = req.method;
    if (method === 'ACK') {
      const invite = this.server.get(`${base}|INVITE`);
      if (invite instanceof InviteServerTransaction && invite.state !== 'accepted') invite.receiveAck(req);
      else this.opts.user.onAck(req, source);
      return;
    }
    const key = `${base}|${method}`;
    const existing = this.server.get(key);
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return;
    }
    const dest = responseDestination(req, source);
    const timers = dest.protocol === 'udp' ? this.unreliable : this.reliable;
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(key, this.childCtx(req), dest, timers, req, this.config.T2);
      this.server.set(key, tx);
      // §17.2.1: 100 Trying at once, so the client stops retransmitting.
      tx.respond(createResponse(req, 100));
      this.opts.user.onRequest(req, tx, source);
      return;
    }
    const tx = new NonInviteServerTransaction(key, this.childCtx(req), dest, timers, req);
    this.server.set(key, tx);
    if (method === 'CANCEL') {
      this.handleCancel(req, tx, base);
      return;
    }
    this.opts.user.onRequest(req, tx, source);
  }

  receiveResponse(res: SipResponse, source: Source): void {
    const via = res.topVia();
    const branch = via?.params.get('branch');
    const tx = branch ? this.client.get(`${branch}|${res.cseq().method}`) : undefined;
    if (tx === undefined) {
      this.counters.strayResponses++;
      this.opts.user.onStrayResponse(res, source);
      return;
    }
    tx.receive(res);
  }

  /** §9.2: a CANCEL matches the INVITE with the same branch and sent-by. */
  private handleCancel(cancel: SipRequest, tx: NonInviteServerTransaction, base: string): void {
    const invite = this.server.get(`${base}|INVITE`);
    if (!(invite instanceof InviteServerTransaction)) {
      this.counters.cancelsWithoutInvite++;
      tx.respond(createResponse(cancel, 481, 'Call/Transaction Does Not Exist', { toTag: randomBytes(6).toString('hex') }));
      return;
    }
    // §8.2.6.2 / §9.2: the 200 to CANCEL carries a To tag, the one the INVITE's responses use.
    tx.respond(createResponse(cancel, 200, undefined, { toTag: invite.toTag ?? (invite.toTag = randomBytes(6).toString('hex')) }));
    if (!invite.answered && !invite.cancelled) {
      invite.cancelled = true;
      this.opts.user.onCancel(invite, cancel);
    }
  }

  // ───────────────────────────── outgoing ─────────────────────────────

  /**
   * Send a request in a new client transaction. The request's top Via must
   * carry a fresh branch (`newBranch()`). A UDP request larger than the MTU
   * limit goes over TCP instead, with its Via rewritten (§18.1.1).
   */
  sendRequest(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction {
    const target = this.chooseTransport(req, dest);
    const branch = req.topVia()?.params.get('branch');
    if (!branch) throw new Error('sendRequest: the request needs a top Via with a branch');
    const key = `${branch}|${req.method}`;
    const timers = target.protocol === 'udp' ? this.unreliable : this.reliable;
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(key, this.childCtx(req), target, timers, req, user)
        : new NonInviteClientTransaction(key, this.childCtx(req), target, timers, req, user, this.config.T2);
    this.client.set(key, tx);
    tx.start();
    return tx;
  }

  /** Send without a transaction: the ACK for a 2xx, 2xx retransmissions by the UAS core, stateless responses. */
  sendStateless(data: Buffer, dest: Destination): Promise<void> {
    return this.opts.sender.send(data, dest);
  }

  /** Answer a request outside any transaction (a malformed request's 400, for example). */
  respondStateless(req: SipRequest, res: SipResponse, source: Source): Promise<void> {
    return this.opts.sender.send(res.toBuffer(), responseDestination(req, source));
  }

  /** Find the server transaction of an INVITE (for the UAS core's 2xx retransmissions and CANCEL races). */
  inviteTransaction(req: SipRequest): InviteServerTransaction | undefined {
    const tx = this.server.get(`${serverKeyBase(req)}|INVITE`);
    return tx instanceof InviteServerTransaction ? tx : undefined;
  }

  private chooseTransport(req: SipRequest, dest: Destination): Destination {
    const limit = this.opts.udpMtuLimit ?? 1300;
    if (dest.protocol !== 'udp' || req.toBuffer().length <= limit) return dest;
    const vias = req.headers.getAll('via');
    const top = vias[0];
    if (top !== undefined) req.headers.set('via', [top.replace(/^(\s*SIP\s*\/\s*2\.0\s*\/\s*)UDP/i, '$1TCP'), ...vias.slice(1)]);
    return { ...dest, protocol: 'tcp' };
  }

  private childCtx(req: SipRequest): TransactionContext {
    return { ...this.ctx, log: this.opts.log.child({ callId: safeCallId(req), method: req.method }) };
  }
}

function safeCallId(req: SipRequest): string | undefined {
  try {
    return req.callId();
  } catch {
    return undefined;
  }
}

/**
 * §17.2.3: branch + sent-by identify a server transaction (the method is
 * added by the caller; ACK matches INVITE). Requests from RFC 2543 clients
 * (no magic cookie) fall back to Call-ID, CSeq number, From tag and sent-by.
 */
function serverKeyBase(req: SipRequest): string {
  const via = req.topVia();
  const sentBy = via === undefined ? '' : `${via.host.toLowerCase()}:${via.port ?? ''}`;
  const branch = via?.params.get('branch');
  if (branch && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${sentBy}`;
  return `2543|${req.callId()}|${req.cseq().seq}|${req.from().params.get('tag') ?? ''}|${sentBy}`;
}

/**
 * §18.2.1 and RFC 3581 §4: record where the request really came from in the
 * top Via — `received` when the sent-by host differs from the source address
 * (always, when the client asked for rport), and `rport` with the source port.
 */
function stampVia(req: SipRequest, source: Source): void {
  const via = req.topVia();
  if (via === undefined) return;
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  const hostDiffers = stripBrackets(via.host) !== source.address;
  const claimsReceived = via.params.has('received');
  if (!wantsRport && !hostDiffers && !claimsReceived) return;
  const vias = req.headers.getAll('via');
  // A received parameter written by the peer is never trusted (it would aim our responses elsewhere).
  let top = (vias[0] as string).replace(/;\s*received\s*=\s*[^;,\s]*/gi, '');
  if (wantsRport) top = top.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${source.port}`);
  if (hostDiffers || wantsRport) top += `;received=${source.address}`;
  req.headers.set('via', [top, ...vias.slice(1)]);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * §18.2.2 and RFC 3581 §4: where responses to a request go. Over a reliable
 * transport: back over the same connection. Over UDP: to the source address
 * and port when the client asked for rport, else to the source address (what
 * `received` records) at the sent-by port (default 5060). maddr (multicast)
 * is not supported: hotline answers unicast.
 */
export function responseDestination(req: SipRequest, source: Source): Destination {
  if (source.protocol !== 'udp') return source;
  let via;
  try {
    via = req.topVia();
  } catch {
    return source; // an unreadable Via: answer where the bytes came from
  }
  if (via === undefined) return source;
  // RFC 3581 §4: a client that asked for rport gets its answer where the request came from
  // (also for stateless answers, before the Via was stamped).
  if (via.params.has('rport')) {
    const rport = via.params.get('rport');
    return { protocol: 'udp', address: source.address, port: rport !== null && rport !== undefined && /^\d+$/.test(rport) ? Number(rport) : source.port };
  }
  // §18.2.2: to the `received` address — which is always the packet's source
  // (a peer-written received is never trusted) — at the sent-by port.
  return { protocol: 'udp', address: source.address, port: via.port ?? 5060 };
}
