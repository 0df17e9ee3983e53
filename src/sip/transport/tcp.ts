/**
 * SIP over TCP (RFC 3261 §18): a listening server plus the connections we
 * open, in one registry keyed by connectionId and by the peer's address:port.
 *
 * - Responses go back over the connection the request came on (§18.2.2);
 *   requests to a peer reuse a live connection to it (§18.1.1, RFC 5626
 *   flows), opening one only when none exists.
 * - Each connection is framed by Content-Length (§18.3, StreamFramer) and
 *   answers RFC 5626 §4.4.1 double-CRLF pings.
 * - Resource limits make hostile or broken peers cheap: per-source-IP and
 *   total connection caps, an idle timeout, a bounded write queue.
 *
 * Timeouts here are socket timers (connect, idle, shutdown grace), not the
 * injected Clock: they guard kernel resources, not protocol state.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import type { SipEndpointAddress } from '../message/types.ts';
import { canonicalIp, endpointKey, ipFamily } from './address.ts';
import { TransportError } from './errors.ts';
import { afterHandleCloseCallbacks } from './loop.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './stream-framer.ts';
import { nextConnectionId, TcpConnection, type ConnectionHost, type ConnectionLimits } from './tcp-connection.ts';
import {
  emptyStats,
  type ConnectionCloseReason,
  type ConnectionInfo,
  type ConnectionOrientedTransport,
  type SendDestination,
  type StreamCallbacks,
  type TransportCallbacks,
} from './transport.ts';

export interface TcpTuning {
  /** Outbound connect limit. Default 5 s. */
  connectTimeoutMs?: number;
  /** Close a connection after this long without traffic either way; 0 disables. Default 10 min. */
  idleTimeoutMs?: number;
  /** Concurrent inbound connections from one IP; more are destroyed at once and counted. Default 64. */
  maxConnectionsPerSource?: number;
  /** All connections, inbound and outbound (keep `ulimit -n` above it). Default 4096. */
  maxConnections?: number;
  /** Largest message accepted on a connection (RFC 3261 §18.3 framing). Default 65,535. */
  maxMessageBytes?: number;
  /** Bytes a connection may hold for a peer that does not read before it is destroyed. Default 256 KiB. */
  maxQueuedBytes?: number;
  /** On close(), how long a connection may take to finish after our FIN. Default 1 s. */
  closeGraceMs?: number;
}

export interface TcpTransportOptions extends TransportCallbacks, StreamCallbacks, TcpTuning {
  /** IP literal to listen on: '127.0.0.1', '::1', '0.0.0.0', '::'... */
  host: string;
  /** 0 (the default) lets the OS choose; read the result from `local.port`. */
  port?: number;
}

export const TCP_DEFAULTS: Required<TcpTuning> = {
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 600_000,
  maxConnectionsPerSource: 64,
  maxConnections: 4_096,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxQueuedBytes: 256 * 1024,
  closeGraceMs: 1_000,
};

export class TcpTransport implements ConnectionOrientedTransport, ConnectionHost {
  readonly protocol = 'tcp' as const;
  readonly stats = emptyStats();
  private readonly byId = new Map<string, TcpConnection>();
  /** Newest live connection per peer address:port. */
  private readonly byRemote = new Map<string, TcpConnection>();
  /** Inbound connections per canonical source IP. */
  private readonly perSource = new Map<string, number>();
  private readonly tuning: Required<TcpTuning>;
  private readonly limits: ConnectionLimits;
  /** true when bound to 0.0.0.0 / '::': each connection then reports its own local IP. */
  private readonly wildcard: boolean;
  private closing: Promise<void> | undefined;

  /** Starts listening; rejects with SIP_TRANSPORT_BIND_FAILED (or BAD_ADDRESS for a non-literal host). */
  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const family = ipFamily(options.host);
    if (family === 0) throw new TransportError('SIP_TRANSPORT_BAD_ADDRESS', `TCP listen address must be an IP literal, got "${options.host}"`);
    const host = canonicalIp(options.host) ?? options.host;
    const port = options.port ?? 0;
    // noDelay: SIP writes whole messages; Nagle would hold a 180 behind an unacknowledged 100.
    const server = createServer({ allowHalfOpen: false, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        const failure = new TransportError('SIP_TRANSPORT_BIND_FAILED', `cannot listen on TCP ${host}:${port}: ${err.message}`, { cause: err });
        // Node has already closed the handle; let its close callback run before reporting.
        void afterHandleCloseCallbacks().then(() => reject(failure));
      };
      server.once('error', onError);
      // ipv6Only: '::' then means IPv6 only, so '0.0.0.0' can listen beside it on the same port.
      server.listen({ host, port, ipv6Only: family === 6, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new TransportError('SIP_TRANSPORT_BIND_FAILED', 'TCP server has no address');
    const local: SipEndpointAddress = Object.freeze({ transport: 'tcp', address: bound.address, port: bound.port });
    return new TcpTransport(server, local, family, options);
  }

  private constructor(
    private readonly server: Server,
    readonly local: SipEndpointAddress,
    readonly family: 4 | 6,
    private readonly options: TcpTransportOptions,
  ) {
    this.tuning = { ...TCP_DEFAULTS };
    for (const key of Object.keys(TCP_DEFAULTS) as (keyof TcpTuning)[]) {
      const value = options[key];
      if (value !== undefined) this.tuning[key] = value;
    }
    this.limits = {
      maxMessageBytes: this.tuning.maxMessageBytes,
      idleTimeoutMs: this.tuning.idleTimeoutMs,
      maxQueuedBytes: this.tuning.maxQueuedBytes,
    };
    this.wildcard = local.address === '0.0.0.0' || local.address === '::';
    server.on('connection', this.onConnection);
    server.on('error', (err: Error) => {
      this.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `TCP server ${local.address}:${local.port}: ${err.message}`, { cause: err }));
    });
  }

  /** true when `connectionId` names a live connection of this transport. */
  hasConnection(connectionId: string): boolean {
    return this.byId.get(connectionId)?.usable ?? false;
  }

  /** The live connection to a peer, if any (for RFC 5626 flow checks above). */
  connectionTo(address: string, port: number): ConnectionInfo | undefined {
    const ip = canonicalIp(address);
    const conn = ip === undefined ? undefined : this.byRemote.get(endpointKey(ip, port));
    return conn?.usable ? info(conn) : undefined;
  }

  /**
   * Sends over, in order of preference: the connection named by
   * `connectionId`, a live connection to address:port, a new connection
   * (unless `noConnect`). A send on a connection still connecting waits for it.
   */
  send(data: Buffer, dest: SendDestination): Promise<void> {
    if (this.closing) return this.rejectSend('SIP_TRANSPORT_CLOSED', 'TCP transport is closed');
    if (dest.connectionId !== undefined) {
      const conn = this.byId.get(dest.connectionId);
      if (conn?.usable) return conn.write(data);
    }
    const family = ipFamily(dest.address);
    if (family === 0) return this.rejectSend('SIP_TRANSPORT_BAD_ADDRESS', `not an IP literal: "${dest.address}"`);
    if (family !== this.family) return this.rejectSend('SIP_TRANSPORT_NO_ROUTE', `IPv${this.family} TCP transport cannot reach ${dest.address}`);
    if (!Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) return this.rejectSend('SIP_TRANSPORT_BAD_ADDRESS', `bad port ${dest.port}`);
    const ip = canonicalIp(dest.address) ?? dest.address;
    const key = endpointKey(ip, dest.port);
    const existing = this.byRemote.get(key);
    if (existing?.usable) return existing.write(data);
    if (dest.noConnect) {
      return this.rejectSend('SIP_TRANSPORT_NO_ROUTE', `no connection to ${ip}:${dest.port}${dest.connectionId ? ` (${dest.connectionId} is gone)` : ''}`);
    }
    if (this.byId.size >= this.tuning.maxConnections) {
      return this.rejectSend('SIP_TRANSPORT_OVERLOADED', `connection limit ${this.tuning.maxConnections} reached`);
    }
    return this.open(ip, dest.port, key).write(data);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
    });
    const closing: Promise<void>[] = [serverClosed];
    for (const conn of this.byId.values()) {
      conn.shutdown(this.tuning.closeGraceMs);
      closing.push(conn.closed);
    }
    await Promise.all(closing);
    await afterHandleCloseCallbacks();
  }

  private open(ip: string, port: number, key: string): TcpConnection {
    const socket = netConnect({
      host: ip,
      port,
      family: this.family,
      noDelay: true,
      // Leave from the address we listen on, so the peer sees the IP our Via names.
      ...(this.wildcard ? {} : { localAddress: this.local.address }),
    });
    const remote: SipEndpointAddress = Object.freeze({ transport: 'tcp', address: ip, port });
    const conn = new TcpConnection(nextConnectionId('tcp'), socket, remote, this.local, false, this, this.limits, key);
    this.stats.connectionsOutbound++;
    this.register(conn);
    conn.awaitConnect(this.tuning.connectTimeoutMs, (s) => this.localOf(s));
    return conn;
  }

  private readonly onConnection = (socket: Socket): void => {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    const ip = address === undefined ? undefined : canonicalIp(address);
    if (this.closing || ip === undefined || port === undefined) {
      dropSocket(socket);
      return;
    }
    const fromSource = this.perSource.get(ip) ?? 0;
    if (fromSource >= this.tuning.maxConnectionsPerSource || this.byId.size >= this.tuning.maxConnections) {
      this.stats.connectionsRejected++;
      dropSocket(socket);
      return;
    }
    this.perSource.set(ip, fromSource + 1);
    const remote: SipEndpointAddress = Object.freeze({ transport: 'tcp', address: ip, port });
    const conn = new TcpConnection(nextConnectionId('tcp'), socket, remote, this.localOf(socket), true, this, this.limits, endpointKey(ip, port));
    this.stats.connectionsAccepted++;
    this.register(conn);
    this.opened(conn);
  };

  private register(conn: TcpConnection): void {
    this.byId.set(conn.id, conn);
    // Newest wins: a peer that reconnects from the same address:port is the same flow.
    this.byRemote.set(conn.key, conn);
    this.stats.connectionsOpen++;
  }

  /** Our end of a connection: its local IP on a wildcard listener, always the listening port (what a Via or Contact should name). */
  private localOf(socket: Socket): SipEndpointAddress {
    if (!this.wildcard) return this.local;
    const ip = socket.localAddress === undefined ? undefined : canonicalIp(socket.localAddress);
    return Object.freeze({ transport: 'tcp', address: ip ?? this.local.address, port: this.local.port });
  }

  // ConnectionHost

  opened(conn: TcpConnection): void {
    if (this.options.onConnectionOpen === undefined) return;
    try {
      this.options.onConnectionOpen(info(conn));
    } catch (err) {
      this.handlerFailed(err, conn);
    }
  }

  deliver(conn: TcpConnection, data: Buffer): void {
    this.stats.messagesIn++;
    try {
      this.options.onMessage({ data, source: conn.remote, local: conn.local, connectionId: conn.id });
    } catch (err) {
      this.handlerFailed(err, conn);
    }
  }

  framingError(conn: TcpConnection, reason: string): void {
    this.stats.framingErrors++;
    this.report(
      new TransportError('SIP_TRANSPORT_FRAMING', `closing ${conn.id} from ${conn.remote.address}:${conn.remote.port}: ${reason}`, {
        remote: conn.remote,
        connectionId: conn.id,
      }),
    );
  }

  closed(conn: TcpConnection, reason: ConnectionCloseReason): void {
    this.byId.delete(conn.id);
    if (this.byRemote.get(conn.key) === conn) this.byRemote.delete(conn.key);
    if (conn.inbound) {
      const left = (this.perSource.get(conn.remote.address) ?? 1) - 1;
      if (left > 0) this.perSource.set(conn.remote.address, left);
      else this.perSource.delete(conn.remote.address);
    }
    this.stats.connectionsOpen--;
    this.stats.connectionsClosed++;
    if (this.options.onConnectionClose === undefined) return;
    try {
      this.options.onConnectionClose(info(conn), reason);
    } catch (err) {
      this.handlerFailed(err, conn);
    }
  }

  private handlerFailed(err: unknown, conn: TcpConnection): void {
    this.stats.handlerErrors++;
    this.report(
      new TransportError('SIP_TRANSPORT_HANDLER_FAILED', `callback threw: ${String(err)}`, { remote: conn.remote, connectionId: conn.id, cause: err }),
    );
  }

  private rejectSend(code: 'SIP_TRANSPORT_CLOSED' | 'SIP_TRANSPORT_BAD_ADDRESS' | 'SIP_TRANSPORT_NO_ROUTE' | 'SIP_TRANSPORT_OVERLOADED', message: string): Promise<never> {
    this.stats.sendErrors++;
    return Promise.reject(new TransportError(code, message));
  }

  private report(err: TransportError): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error callback must not take the transport down with it.
    }
  }
}

function info(conn: TcpConnection): ConnectionInfo {
  return { connectionId: conn.id, remote: conn.remote, local: conn.local, inbound: conn.inbound };
}

/** Drops an accepted socket at once; the error listener keeps a late reset from becoming an uncaught 'error'. */
function dropSocket(socket: Socket): void {
  socket.on('error', () => undefined);
  socket.destroy();
}
