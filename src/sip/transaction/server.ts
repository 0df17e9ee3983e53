/**
 * Server transactions (RFC 3261 §17.2): INVITE (with RFC 6026's Accepted
 * state) and non-INVITE. They absorb request retransmissions, resend the last
 * response, retransmit non-2xx finals over UDP until the ACK arrives, and
 * report a missing ACK (Timer H).
 */
import type { SipRequest, SipResponse } from '../message/message.ts';
import { INVITE_SERVER, NON_INVITE_SERVER, type InviteServerAction, type InviteServerEvent, type InviteServerState, type NonInviteServerAction, type NonInviteServerEvent, type NonInviteServerState } from './tables.ts';
import { Transaction, type Destination, type TransactionContext } from './transaction.ts';
import type { DerivedTimers } from './timers.ts';

export interface ServerTransactionUser {
  /** Timer H fired: the ACK for a non-2xx final never came. */
  onTimeout?(): void;
  /** An ACK for a 2xx reached the transaction in the Accepted state. */
  onAck?(ack: SipRequest): void;
  onTransportError?(): void;
}

/** What both server transactions do with responses: remember the last one sent, send the TU's next one. */
abstract class ResponderTransaction<S extends string, E extends string, A extends string> extends Transaction<S, E, A> {
  private lastBytes: Buffer | undefined;
  private pending: Buffer | undefined;
  user: ServerTransactionUser = {};

  /** Queue the TU's response; the table decides whether it goes out (a second final is dropped, §17.2.2). */
  protected stage(res: SipResponse): void {
    this.pending = res.toBuffer();
  }

  protected sendStaged(transportError: E): void {
    this.lastBytes = this.pending;
    if (this.lastBytes !== undefined) this.transmit(this.lastBytes, transportError);
  }

  protected resendLast(transportError: E): void {
    if (this.lastBytes !== undefined) this.retransmit(this.lastBytes, transportError);
  }
}

export class InviteServerTransaction extends ResponderTransaction<InviteServerState, InviteServerEvent, InviteServerAction> {
  private intervalG: number;
  private lastAck: SipRequest | undefined;
  /** Set by the layer when a matching CANCEL arrived (§9.2). */
  cancelled = false;
  /** The To tag of this INVITE's responses, once one was chosen (the CANCEL's 200 reuses it). */
  toTag: string | undefined;

  constructor(key: string, ctx: TransactionContext, dest: Destination, t: DerivedTimers, readonly request: SipRequest, private readonly T2: number) {
    super(key, INVITE_SERVER, 'proceeding', ctx, dest, t);
    this.intervalG = t.G;
  }

  /** The TU sends a response through the transaction. */
  respond(res: SipResponse): void {
    this.stage(res);
    this.fire(res.status < 200 ? 'send-provisional' : res.status < 300 ? 'send-success' : 'send-failure');
  }

  /** Has a final response been sent? */
  get answered(): boolean {
    return this.state !== 'proceeding';
  }

  receiveRetransmission(): void {
    this.fire('request-retransmit');
  }

  receiveAck(ack: SipRequest): void {
    this.lastAck = ack;
    this.fire('ack');
  }

  protected run(action: InviteServerAction): void {
    switch (action) {
      case 'send-response':
        return this.sendStaged('transport-error');
      case 'resend-last-response':
        return this.resendLast('transport-error');
      case 'start-timer-g':
        if (!this.reliable) this.startTimer('G', this.intervalG, 'timer-g');
        return;
      case 'double-timer-g':
        this.intervalG = Math.min(2 * this.intervalG, this.T2);
        this.startTimer('G', this.intervalG, 'timer-g');
        return;
      case 'cancel-timer-g':
        return this.stopTimer('G');
      case 'start-timer-h':
        return this.startTimer('H', this.t.H, 'timer-h');
      case 'cancel-timer-h':
        return this.stopTimer('H');
      case 'start-timer-i':
        return this.startTimer('I', this.t.I, 'timer-i');
      case 'start-timer-l':
        return this.startTimer('L', this.t.L, 'timer-l');
      case 'pass-ack':
        if (this.lastAck !== undefined) this.user.onAck?.(this.lastAck);
        return;
      case 'report-timeout':
        this.ctx.counters.timeouts++;
        return this.user.onTimeout?.();
      case 'report-transport-error':
        return this.user.onTransportError?.();
    }
  }
}

export class NonInviteServerTransaction extends ResponderTransaction<NonInviteServerState, NonInviteServerEvent, NonInviteServerAction> {
  constructor(key: string, ctx: TransactionContext, dest: Destination, t: DerivedTimers, readonly request: SipRequest) {
    super(key, NON_INVITE_SERVER, 'trying', ctx, dest, t);
  }

  respond(res: SipResponse): void {
    this.stage(res);
    this.fire(res.status < 200 ? 'send-provisional' : 'send-final');
  }

  get answered(): boolean {
    return this.state === 'completed' || this.state === 'terminated';
  }

  receiveRetransmission(): void {
    this.fire('request-retransmit');
  }

  protected run(action: NonInviteServerAction): void {
    switch (action) {
      case 'send-response':
        return this.sendStaged('transport-error');
      case 'resend-last-response':
        return this.resendLast('transport-error');
      case 'start-timer-j':
        return this.startTimer('J', this.t.J, 'timer-j');
      case 'report-transport-error':
        return this.user.onTransportError?.();
    }
  }
}
