/**
 * Client transactions (RFC 3261 §17.1): INVITE (with RFC 6026's Accepted
 * state) and non-INVITE. They retransmit over UDP, time out, build the ACK
 * for a non-2xx final response, and pass responses to their user.
 */
import { createRequest } from '../message/message.ts';
import type { SipRequest, SipResponse } from '../message/message.ts';
import { INVITE_CLIENT, NON_INVITE_CLIENT, type InviteClientAction, type InviteClientEvent, type InviteClientState, type NonInviteClientAction, type NonInviteClientEvent, type NonInviteClientState } from './tables.ts';
import { Transaction, type Destination, type TransactionContext } from './transaction.ts';
import type { DerivedTimers } from './timers.ts';

export interface ClientTransactionUser {
  onResponse(res: SipResponse): void;
  /** Timer B/F (or C) fired without a final response: treat as 408 (§8.1.3.1). */
  onTimeout(): void;
  /** The transport could not deliver: treat as 503 (§8.1.3.1). */
  onTransportError(): void;
}

export class InviteClientTransaction extends Transaction<InviteClientState, InviteClientEvent, InviteClientAction> {
  private readonly bytes: Buffer;
  private intervalA: number;
  private lastResponse: SipResponse | undefined;
  private ackBytes: Buffer | undefined;

  constructor(key: string, ctx: TransactionContext, dest: Destination, t: DerivedTimers, readonly request: SipRequest, private readonly user: ClientTransactionUser) {
    super(key, INVITE_CLIENT, 'calling', ctx, dest, t);
    this.bytes = request.toBuffer();
    this.intervalA = t.A;
  }

  /** §17.1.1.2: send the INVITE, start Timer A (unreliable transports only) and Timer B. */
  start(): void {
    this.transmit(this.bytes, 'transport-error');
    if (!this.reliable) this.startTimer('A', this.intervalA, 'timer-a');
    this.startTimer('B', this.t.B, 'timer-b');
  }

  receive(res: SipResponse): void {
    this.lastResponse = res;
    this.fire(res.status < 200 ? 'provisional' : res.status < 300 ? 'success' : 'failure');
  }

  protected run(action: InviteClientAction): void {
    switch (action) {
      case 'retransmit-request':
        return this.retransmit(this.bytes, 'transport-error');
      case 'double-timer-a':
        this.intervalA *= 2;
        this.startTimer('A', this.intervalA, 'timer-a');
        return;
      case 'cancel-timer-a':
        return this.stopTimer('A');
      case 'cancel-timer-b':
        return this.stopTimer('B');
      case 'start-timer-c':
        return this.startTimer('C', this.t.C, 'timer-c');
      case 'cancel-timer-c':
        return this.stopTimer('C');
      case 'start-timer-d':
        return this.startTimer('D', this.t.D, 'timer-d');
      case 'start-timer-m':
        return this.startTimer('M', this.t.M, 'timer-m');
      case 'pass-response':
        if (this.lastResponse !== undefined) this.user.onResponse(this.lastResponse);
        return;
      case 'send-ack':
        this.ackBytes ??= buildNon2xxAck(this.request, this.lastResponse as SipResponse).toBuffer();
        this.transmit(this.ackBytes, 'transport-error');
        return;
      case 'report-timeout':
        this.ctx.counters.timeouts++;
        return this.user.onTimeout();
      case 'report-transport-error':
        return this.user.onTransportError();
    }
  }
}

/**
 * §17.1.1.3: the ACK for a non-2xx final response belongs to the INVITE
 * transaction: same Request-URI, Call-ID, From, CSeq number, the INVITE's top
 * Via only, the response's To (with its tag), and the INVITE's Route set.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: Array<[string, string]> = [];
  const topVia = invite.headers.getAll('via')[0];
  if (topVia !== undefined) headers.push(['Via', topVia]);
  for (const route of invite.headers.getAll('route')) headers.push(['Route', route]);
  headers.push(['Max-Forwards', '70']);
  headers.push(['From', invite.headers.get('from') ?? '']);
  headers.push(['To', response.headers.get('to') ?? invite.headers.get('to') ?? '']);
  headers.push(['Call-ID', invite.callId()]);
  headers.push(['CSeq', `${invite.cseq().seq} ACK`]);
  return createRequest({ method: 'ACK', uri: invite.uri, headers });
}

export class NonInviteClientTransaction extends Transaction<NonInviteClientState, NonInviteClientEvent, NonInviteClientAction> {
  private readonly bytes: Buffer;
  private intervalE: number;
  private lastResponse: SipResponse | undefined;

  constructor(key: string, ctx: TransactionContext, dest: Destination, t: DerivedTimers, readonly request: SipRequest, private readonly user: ClientTransactionUser, private readonly T2: number) {
    super(key, NON_INVITE_CLIENT, 'trying', ctx, dest, t);
    this.bytes = request.toBuffer();
    this.intervalE = t.E;
  }

  /** §17.1.2.2: send, Timer E (unreliable only), Timer F. */
  start(): void {
    this.transmit(this.bytes, 'transport-error');
    if (!this.reliable) this.startTimer('E', this.intervalE, 'timer-e');
    this.startTimer('F', this.t.F, 'timer-f');
  }

  receive(res: SipResponse): void {
    this.lastResponse = res;
    this.fire(res.status < 200 ? 'provisional' : 'final');
  }

  protected run(action: NonInviteClientAction): void {
    switch (action) {
      case 'retransmit-request':
        return this.retransmit(this.bytes, 'transport-error');
      case 'double-timer-e':
        this.intervalE = Math.min(2 * this.intervalE, this.T2);
        this.startTimer('E', this.intervalE, 'timer-e');
        return;
      case 'timer-e-t2':
        this.intervalE = this.T2;
        this.startTimer('E', this.intervalE, 'timer-e');
        return;
      case 'cancel-timer-e':
        return this.stopTimer('E');
      case 'cancel-timer-f':
        return this.stopTimer('F');
      case 'start-timer-k':
        return this.startTimer('K', this.t.K, 'timer-k');
      case 'pass-response':
        if (this.lastResponse !== undefined) this.user.onResponse(this.lastResponse);
        return;
      case 'report-timeout':
        this.ctx.counters.timeouts++;
        return this.user.onTimeout();
      case 'report-transport-error':
        return this.user.onTransportError();
    }
  }
}
