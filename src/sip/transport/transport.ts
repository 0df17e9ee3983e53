/**
 * The contract every SIP transport implements (RFC 3261 §18): UDP and TCP
 * now, TLS (sips, RFC 3261 §26.2) and WebSocket (RFC 7118) later. A transport
 * moves bytes: it delivers whole messages up (datagrams as they come, streams
 * framed by Content-Length, §18.3) and sends bytes down. It never parses SIP
 * beyond stream framing.
 *
 * Delivery is one callback, not an EventEmitter: a SIP stack has exactly one
 * consumer per transport and wants one dispatch path on the hot path.
 */
import type { SipEndpointAddress } from '../message/types.ts';
import type { TransportError } from './errors.ts';

export type TransportProtocol = 'udp' | 'tcp';

export interface InboundMessage {
  /** One whole SIP message (stream transports) or one datagram (UDP). Owned by the receiver; never reused by the transport. */
  data: Buffer;
  /** The peer's address and port as seen on the socket: the `received`/`rport` values of RFC 3261 §18.2.1 and RFC 3581 §4. Shared per connection: do not mutate. */
  source: SipEndpointAddress;
  /**
   * Where it arrived: the local IP of the socket (the connection's own local
   * IP on a wildcard TCP listener; the bound address, possibly 0.0.0.0/::, on
   * UDP) and the transport's listening port (also for connections we opened,
   * whose own port is ephemeral). Shared: do not mutate.
   */
  local: SipEndpointAddress;
  /** Stream transports: the connection it came on. Pass it back in `send` so responses and in-dialog requests reuse it (RFC 3261 §18.2.2, RFC 5626 flows). */
  connectionId?: string;
}

export interface SendDestination {
  /** An IP literal (IPv6 with or without brackets). Names are resolved above (RFC 3263). */
  address: string;
  port: number;
  /** Prefer this connection when it is still open (stream transports; ignored by UDP). */
  connectionId?: string;
  /**
   * Stream transports: never open a new connection; reject with
   * SIP_TRANSPORT_NO_ROUTE when neither `connectionId` nor a live connection
   * to address:port exists. For RFC 5626 §5.3 flow sends (answer 430 Flow
   * Failed instead of dialing a NATed peer).
   */
  noConnect?: boolean;
}

/** Counters and gauges of one transport. A later step maps them to prom-client; plain numbers here. */
export interface TransportStats {
  /** Messages delivered to onMessage. */
  messagesIn: number;
  /** Sends that completed. */
  messagesOut: number;
  /** Bytes read from the network, keep-alives and discarded bytes included. */
  bytesIn: number;
  /** Bytes handed to the network, keep-alive pongs included. */
  bytesOut: number;
  /** Sends that were rejected. */
  sendErrors: number;
  /** UDP: empty and whitespace-only datagrams ignored. */
  datagramsIgnored: number;
  /** Streams: double-CRLF pings answered with a CRLF pong (RFC 5626 §4.4.1). */
  keepalivePings: number;
  /** Streams: connections closed because framing was lost (RFC 3261 §18.3). */
  framingErrors: number;
  /** onMessage threw. */
  handlerErrors: number;
  /** Streams: connections accepted from peers. */
  connectionsAccepted: number;
  /** Streams: connections we opened. */
  connectionsOutbound: number;
  /** Streams: accepted connections destroyed at once by a per-source or total cap. */
  connectionsRejected: number;
  /** Streams: connections currently open or connecting (a gauge). */
  connectionsOpen: number;
  /** Streams: connections closed, any reason. */
  connectionsClosed: number;
  /** Streams: connections closed for lack of traffic. */
  idleTimeouts: number;
  /** Streams: connections destroyed because the peer did not read and the write queue hit its limit. */
  writeOverflows: number;
}

export function emptyStats(): TransportStats {
  return {
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    sendErrors: 0,
    datagramsIgnored: 0,
    keepalivePings: 0,
    framingErrors: 0,
    handlerErrors: 0,
    connectionsAccepted: 0,
    connectionsOutbound: 0,
    connectionsRejected: 0,
    connectionsOpen: 0,
    connectionsClosed: 0,
    idleTimeouts: 0,
    writeOverflows: 0,
  };
}

export interface Transport {
  readonly protocol: TransportProtocol;
  /** Bound address and real port (port 0 → the OS's choice). */
  readonly local: SipEndpointAddress;
  /** 4 or 6: the address family this transport speaks. */
  readonly family: 4 | 6;
  readonly stats: Readonly<TransportStats>;
  /** Resolves once the bytes are handed to the socket; rejects with TransportError. */
  send(data: Buffer, dest: SendDestination): Promise<void>;
  /** Closes every socket; resolves when all are closed. Idempotent. */
  close(): Promise<void>;
}

/** A transport with connections (TCP now; TLS and WebSocket later). */
export interface ConnectionOrientedTransport extends Transport {
  /** true when `connectionId` names a live (open or connecting) connection of this transport. */
  hasConnection(connectionId: string): boolean;
  /** The live connection to a peer address:port, if any (e.g. to check an RFC 5626 flow). */
  connectionTo(address: string, port: number): ConnectionInfo | undefined;
}

export function isConnectionOriented(t: Transport): t is ConnectionOrientedTransport {
  return typeof (t as Partial<ConnectionOrientedTransport>).hasConnection === 'function';
}

/** Why a stream connection closed, for RFC 5626 flow bookkeeping above. */
export type ConnectionCloseReason = 'peer' | 'idle' | 'framing' | 'overload' | 'error' | 'connect-failed' | 'shutdown';

export interface ConnectionInfo {
  connectionId: string;
  remote: SipEndpointAddress;
  local: SipEndpointAddress;
  /** true when the peer opened it. */
  inbound: boolean;
}

export interface TransportCallbacks {
  /** Every inbound message. Exceptions are caught, counted and reported to onError. */
  onMessage(msg: InboundMessage): void;
  /** Failures outside any send: socket errors, framing errors, a throwing onMessage. For logging. */
  onError?(err: TransportError): void;
}

export interface StreamCallbacks {
  /** A connection (inbound or outbound) is usable. */
  onConnectionOpen?(info: ConnectionInfo): void;
  /** A connection is gone: an RFC 5626 flow failed, bindings using it should go. */
  onConnectionClose?(info: ConnectionInfo, reason: ConnectionCloseReason): void;
}
