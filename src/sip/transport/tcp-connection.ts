/**
 * One SIP stream connection: a socket, its StreamFramer, its write limit and
 * its life cycle. The TcpTransport owns the registry; a connection only
 * reports to it through the small ConnectionHost interface.
 *
 * Life cycle (one row per transition):
 *
 *   connecting ──connect──────────▶ open        outbound only
 *   connecting ──error / timeout──▶ closed      reason connect-failed; pending sends reject
 *   open ───────peer FIN / error──▶ closed      reason peer / error
 *   open ───────idle timeout──────▶ closed      reason idle
 *   open ───────framing error─────▶ closing     reason framing (RFC 3261 §18.3: the stream cannot be resynchronised);
 *                                               reading stops, answers to requests already delivered get a moment to leave
 *   open ───────write queue full──▶ closed      reason overload
 *   any ────────shutdown──────────▶ closing     FIN after queued bytes; destroyed after the grace period
 *   closing ────socket closed─────▶ closed
 */
import type { Socket } from 'node:net';
import type { SipEndpointAddress } from '../message/types.ts';
import { TransportError, type TransportErrorCode } from './errors.ts';
import { StreamFramer } from './stream-framer.ts';
import type { ConnectionCloseReason, TransportStats } from './transport.ts';

export type ConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

/** After a framing error: time for answers already on their way to leave, then a FIN with this much grace. */
const FRAMING_DRAIN_MS = 500;
const FRAMING_CLOSE_GRACE_MS = 1_000;

/** What a connection needs from its transport. */
export interface ConnectionHost {
  readonly stats: TransportStats;
  /** The connection is usable (inbound: at once; outbound: once connected). */
  opened(conn: TcpConnection): void;
  deliver(conn: TcpConnection, data: Buffer): void;
  framingError(conn: TcpConnection, reason: string): void;
  closed(conn: TcpConnection, reason: ConnectionCloseReason): void;
}

export interface ConnectionLimits {
  maxMessageBytes: number;
  idleTimeoutMs: number;
  maxQueuedBytes: number;
}

/** The RFC 5626 §4.4.1 pong: one CRLF. Shared, never modified. */
const PONG = Buffer.from('\r\n', 'latin1');

let lastId = 0;
/** Process-unique, so a connectionId can be looked up without knowing which transport owns it. */
export function nextConnectionId(protocol: string): string {
  lastId++;
  return `${protocol}-${lastId}`;
}

export class TcpConnection {
  state: ConnectionState;
  /** Resolves when the socket is closed; never rejects. */
  readonly closed: Promise<void>;
  private readonly framer: StreamFramer;
  private reason: ConnectionCloseReason | undefined;
  private lastError: Error | undefined;
  private resolveClosed!: () => void;
  /** Outbound: settles when the connect completes or fails. */
  private ready: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** After a framing error nothing more is read; writes still go out until the connection closes. */
  private readClosed = false;
  /** Writes numbered in order; their callbacks run in the same order. */
  private writesStarted = 0;
  private writesSettled = 0;
  /**
   * Writes numbered above this were in flight when the socket was torn down.
   * Node then calls their callbacks without an error although the peer may
   * never get the bytes; they are reported as failed instead.
   */
  private lostAbove = Number.POSITIVE_INFINITY;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    readonly remote: SipEndpointAddress,
    /** Set once connected for outbound connections. */
    public local: SipEndpointAddress,
    readonly inbound: boolean,
    private readonly host: ConnectionHost,
    private readonly limits: ConnectionLimits,
    /** Registry key (canonical address + port) of the peer. */
    readonly key: string,
  ) {
    this.framer = new StreamFramer({ maxMessageBytes: limits.maxMessageBytes });
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.state = inbound ? 'open' : 'connecting';
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('data', this.onData);
    socket.on('timeout', this.onTimeout);
    if (inbound) this.startIdleTimer();
  }

  /**
   * Outbound: wait for the connect, at most `timeoutMs`. `localFor` names our
   * end once the socket knows it. Call once, right after construction.
   */
  awaitConnect(timeoutMs: number, localFor: (socket: Socket) => SipEndpointAddress): void {
    this.ready = new Promise<void>((resolve, reject) => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        reject(this.error('SIP_TRANSPORT_CONNECT_TIMEOUT', `connect to ${this.peer()} timed out after ${timeoutMs} ms`));
        this.destroy('connect-failed');
      }, timeoutMs);
      this.socket.once('connect', () => {
        this.clearTimer();
        if (this.state !== 'connecting') return; // shut down meanwhile
        this.state = 'open';
        this.local = localFor(this.socket);
        this.startIdleTimer();
        this.host.opened(this);
        resolve();
      });
      // Covers refusal, unreachable networks and shutdown before the connect completes.
      void this.closed.then(() => {
        if (this.reason === 'shutdown') {
          reject(this.error('SIP_TRANSPORT_CLOSED', `connect to ${this.peer()}: transport closed`));
          return;
        }
        const why = this.lastError?.message ?? 'connection closed';
        reject(this.error('SIP_TRANSPORT_CONNECT_FAILED', `connect to ${this.peer()} failed: ${why}`, this.lastError));
      });
    });
    // Sends observe the outcome; this keeps an unobserved failure from being an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** true while a send may use this connection. */
  get usable(): boolean {
    return this.state === 'open' || this.state === 'connecting';
  }

  /**
   * Resolves once the kernel has the bytes. The socket's own write buffer is
   * the queue: when the peer stops reading it grows, and past maxQueuedBytes
   * the connection is destroyed rather than let memory grow without bound.
   */
  write(data: Buffer): Promise<void> {
    if (this.state === 'connecting' && this.ready) {
      return this.ready.then(
        () => this.write(data),
        (err: unknown) => {
          this.host.stats.sendErrors++;
          throw err;
        },
      );
    }
    if (this.state !== 'open') return this.reject('SIP_TRANSPORT_CLOSED', `connection ${this.id} to ${this.peer()} is closed`);
    const queued = this.socket.writableLength;
    if (queued > 0 && queued + data.length > this.limits.maxQueuedBytes) {
      this.host.stats.writeOverflows++;
      this.destroy('overload');
      return this.reject('SIP_TRANSPORT_OVERLOADED', `peer ${this.peer()} is not reading: ${queued} bytes queued, limit ${this.limits.maxQueuedBytes}`);
    }
    const seq = ++this.writesStarted;
    return new Promise<void>((resolve, reject) => {
      this.socket.write(data, (err) => {
        this.writesSettled++;
        if (err || seq > this.lostAbove) {
          this.host.stats.sendErrors++;
          const why = err ? err.message : 'connection torn down before the write completed';
          reject(this.error('SIP_TRANSPORT_SEND_FAILED', `write to ${this.peer()} failed: ${why}`, err));
          return;
        }
        this.host.stats.messagesOut++;
        this.host.stats.bytesOut += data.length;
        resolve();
      });
    });
  }

  /** Transport shutdown: FIN after whatever is queued, destroy if the peer lingers. */
  shutdown(graceMs: number): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.reason ??= 'shutdown';
    if (this.state === 'connecting') {
      this.destroy('shutdown');
      return;
    }
    this.state = 'closing';
    this.clearTimer();
    this.socket.end();
    this.timer = setTimeout(() => this.socket.destroy(), graceMs);
  }

  /** Close at once for `reason` (the first reason given is the one reported). */
  destroy(reason: ConnectionCloseReason): void {
    if (this.state === 'closed') return;
    this.reason ??= reason;
    if (this.state !== 'closing') this.state = 'closing';
    this.markInFlightLost();
    this.socket.destroy();
  }

  private markInFlightLost(): void {
    if (this.writesSettled < this.lostAbove) this.lostAbove = this.writesSettled;
  }

  private startIdleTimer(): void {
    // Node refreshes a socket timeout on every read and write: "no traffic in either direction".
    if (this.limits.idleTimeoutMs > 0) this.socket.setTimeout(this.limits.idleTimeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // Arrow properties: bound once per connection, nothing allocated per chunk.
  private readonly onData = (chunk: Buffer): void => {
    if (this.readClosed) return;
    this.host.stats.bytesIn += chunk.length;
    const items = this.framer.push(chunk);
    for (const item of items) {
      // A handler may have closed us, or the transport is shutting down: deliver nothing more.
      if (this.state !== 'open') return;
      switch (item.kind) {
        case 'message':
          this.host.deliver(this, item.data);
          break;
        case 'keepalive-ping':
          // RFC 5626 §4.4.1: answer a double-CRLF ping with a single CRLF pong.
          this.host.stats.keepalivePings++;
          this.host.stats.bytesOut += PONG.length;
          this.socket.write(PONG);
          break;
        case 'error':
          this.host.framingError(this, item.reason);
          this.reason ??= 'framing';
          this.readClosed = true;
          this.socket.pause();
          this.clearTimer();
          this.timer = setTimeout(() => this.shutdown(FRAMING_CLOSE_GRACE_MS), FRAMING_DRAIN_MS);
          return;
      }
    }
  };

  private readonly onTimeout = (): void => {
    if (this.state !== 'open') return;
    this.host.stats.idleTimeouts++;
    this.destroy('idle');
  };

  private readonly onError = (err: Error): void => {
    // 'close' follows. Not reported through onError: resets are routine on the Internet.
    this.lastError = err;
    // Node destroys the socket after an error; writes still in flight never arrive.
    this.markInFlightLost();
    this.reason ??= this.state === 'connecting' ? 'connect-failed' : 'error';
  };

  private readonly onClose = (): void => {
    const wasConnecting = this.state === 'connecting';
    this.state = 'closed';
    this.clearTimer();
    this.reason ??= wasConnecting ? 'connect-failed' : 'peer';
    this.host.closed(this, this.reason);
    this.resolveClosed();
  };

  private peer(): string {
    return `${this.remote.address}:${this.remote.port}`;
  }

  private error(code: TransportErrorCode, message: string, cause?: unknown): TransportError {
    return new TransportError(code, message, { remote: this.remote, connectionId: this.id, cause });
  }

  private reject(code: TransportErrorCode, message: string): Promise<never> {
    this.host.stats.sendErrors++;
    return Promise.reject(this.error(code, message));
  }
}
