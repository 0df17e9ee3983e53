/**
 * What every transaction shares: a table-driven state machine, named timers
 * on the injected scheduler, and the transport it sends through. The four
 * concrete machines (client.ts, server.ts) only say what each action does.
 */
import type { Logger } from 'pino';
import type { SipEndpointAddress } from '../message/types.ts';
import type { TimerHandle, TimerScheduler } from '../scheduler.ts';
import type { Table } from './tables.ts';
import type { DerivedTimers } from './timers.ts';

/** Where a message goes: a transport protocol and address, optionally a known connection. */
export interface Destination {
  protocol: SipEndpointAddress['transport'];
  address: string;
  port: number;
  connectionId?: string;
}

/** The transport as the transaction layer sees it. */
export interface MessageSender {
  send(data: Buffer, dest: Destination): Promise<void>;
}

export interface TransactionContext {
  sender: MessageSender;
  scheduler: TimerScheduler;
  log: Logger;
  /** Called once when the transaction reaches Terminated (the layer forgets it). */
  onTerminated(tx: AnyTransaction): void;
  counters: { retransmissions: number; timeouts: number };
}

export interface AnyTransaction {
  readonly key: string;
  readonly state: string;
}

export abstract class Transaction<S extends string, E extends string, A extends string> implements AnyTransaction {
  state: S;
  protected readonly timers = new Map<string, TimerHandle>();
  protected readonly reliable: boolean;
  protected readonly log: Logger;

  constructor(
    readonly key: string,
    protected readonly table: Table<S, E, A>,
    initial: S,
    protected readonly ctx: TransactionContext,
    readonly dest: Destination,
    protected readonly t: DerivedTimers,
  ) {
    this.state = initial;
    this.reliable = dest.protocol !== 'udp';
    this.log = ctx.log;
  }

  /** Feed an event; unknown (state, event) pairs are ignored on purpose (see tables.ts). */
  protected fire(event: E): void {
    const row = this.table[this.state][event];
    if (row === undefined) {
      this.log.trace({ state: this.state, event }, 'event ignored in this state');
      return;
    }
    const from = this.state;
    this.state = row.to;
    if (from !== row.to) this.log.debug({ from, to: row.to, event, rfc: row.rfc }, 'transaction transition');
    for (const action of row.actions) this.run(action);
    if (row.to === 'terminated') this.terminate();
  }

  protected abstract run(action: A): void;

  protected startTimer(name: string, ms: number, event: E): void {
    this.stopTimer(name);
    this.timers.set(name, this.ctx.scheduler.schedule(ms, () => {
      this.timers.delete(name);
      this.fire(event);
    }));
  }

  protected stopTimer(name: string): void {
    this.timers.get(name)?.cancel();
    this.timers.delete(name);
  }

  /**
   * Send bytes; a transport failure becomes the `transport-error` event
   * (RFC 3261 §17.1.4, §17.2.4) instead of an unhandled rejection.
   */
  protected transmit(data: Buffer, transportError: E): void {
    this.ctx.sender.send(data, this.dest).catch((err: unknown) => {
      this.log.warn({ err, dest: this.dest }, 'transport error');
      this.fire(transportError);
    });
  }

  /** Resend bytes already sent once (counted as a retransmission). */
  protected retransmit(data: Buffer, transportError: E): void {
    this.ctx.counters.retransmissions++;
    this.transmit(data, transportError);
  }

  private terminate(): void {
    for (const handle of this.timers.values()) handle.cancel();
    this.timers.clear();
    this.ctx.onTerminated(this);
  }
}
