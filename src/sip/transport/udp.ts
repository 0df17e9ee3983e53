/**
 * SIP over UDP (RFC 3261 §18): one datagram is one message, handed up as is.
 * The message parser applies the datagram rules of §18.3 (a missing
 * Content-Length means "the rest of the datagram"; a shorter datagram is a 400).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { SipEndpointAddress } from '../message/types.ts';
import { canonicalIp, ipFamily } from './address.ts';
import { TransportError } from './errors.ts';
import { afterHandleCloseCallbacks } from './loop.ts';
import { emptyStats, type SendDestination, type Transport, type TransportCallbacks } from './transport.ts';

export interface UdpTransportOptions extends TransportCallbacks {
  /** IP literal to bind: '127.0.0.1', '::1', '0.0.0.0', '::'... */
  host: string;
  /** 0 (the default) lets the OS choose; read the result from `local.port`. */
  port?: number;
  /**
   * SO_RCVBUF/SO_SNDBUF to ask for. A SIP burst (a REGISTER storm after a
   * trunk flap, SIPp at full rate) overruns the usual 200 KB default and the
   * kernel drops datagrams silently. The kernel caps the request at
   * net.core.rmem_max/wmem_max; a refusal is not an error. 0 keeps the OS
   * default. Default 4 MiB.
   */
  socketBufferBytes?: number;
}

export const DEFAULT_UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly stats = emptyStats();
  private closing: Promise<void> | undefined;

  /** Binds the socket; rejects with SIP_TRANSPORT_BIND_FAILED (or BAD_ADDRESS for a non-literal host). */
  static async listen(options: UdpTransportOptions): Promise<UdpTransport> {
    const family = ipFamily(options.host);
    if (family === 0) throw new TransportError('SIP_TRANSPORT_BAD_ADDRESS', `UDP bind address must be an IP literal, got "${options.host}"`);
    // ipv6Only: '::' then means IPv6 only, so '0.0.0.0' can be bound beside it on the same port.
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only: family === 6 });
    const port = options.port ?? 0;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        const failure = new TransportError('SIP_TRANSPORT_BIND_FAILED', `cannot bind UDP ${options.host}:${port}: ${err.message}`, { cause: err });
        const fail = (): void => {
          void afterHandleCloseCallbacks().then(() => reject(failure));
        };
        try {
          socket.close(fail);
        } catch {
          fail(); // already closed
        }
      };
      socket.once('error', onError);
      socket.bind({ address: canonicalIp(options.host) ?? options.host, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    setBufferSizes(socket, options.socketBufferBytes ?? DEFAULT_UDP_SOCKET_BUFFER_BYTES);
    const bound = socket.address();
    const local: SipEndpointAddress = Object.freeze({ transport: 'udp', address: bound.address, port: bound.port });
    return new UdpTransport(socket, local, family, options);
  }

  private constructor(
    private readonly socket: Socket,
    readonly local: SipEndpointAddress,
    readonly family: 4 | 6,
    private readonly callbacks: TransportCallbacks,
  ) {
    socket.on('message', this.onDatagram);
    socket.on('error', this.onSocketError);
  }

  send(data: Buffer, dest: SendDestination): Promise<void> {
    if (this.closing) return this.rejectSend('SIP_TRANSPORT_CLOSED', 'UDP transport is closed');
    const family = ipFamily(dest.address);
    if (family === 0) return this.rejectSend('SIP_TRANSPORT_BAD_ADDRESS', `not an IP literal: "${dest.address}"`);
    if (family !== this.family) return this.rejectSend('SIP_TRANSPORT_NO_ROUTE', `IPv${this.family} UDP transport cannot reach ${dest.address}`);
    if (!Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) {
      return this.rejectSend('SIP_TRANSPORT_BAD_ADDRESS', `bad port ${dest.port}`);
    }
    const address = canonicalIp(dest.address) ?? dest.address;
    // One closure per send is the floor: dgram reports the outcome only
    // through a callback without context (and allocates its own closure per
    // send anyway). The buffer is sent as is: no copy, no concatenation.
    return new Promise<void>((resolve, reject) => {
      this.socket.send(data, dest.port, address, (err) => {
        if (err) {
          reject(this.sendFailed(err, address, dest.port));
          return;
        }
        this.stats.messagesOut++;
        this.stats.bytesOut += data.length;
        resolve();
      });
    });
  }

  /** What the kernel granted for SO_RCVBUF/SO_SNDBUF (Linux reports twice the request). For diagnostics. */
  bufferSizes(): { receive: number; send: number } {
    return { receive: this.socket.getRecvBufferSize(), send: this.socket.getSendBufferSize() };
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.socket.close(() => {
        void afterHandleCloseCallbacks().then(resolve);
      });
    });
    return this.closing;
  }

  /** Arrow property: one function for the transport's life, not one per datagram. */
  private readonly onDatagram = (data: Buffer, rinfo: RemoteInfo): void => {
    this.stats.bytesIn += data.length;
    // Zero-length datagrams and bare CRLF keep-alives carry no message; UDP has no pong (RFC 5626 §4.4.2 uses STUN, out of scope).
    if (isBlank(data)) {
      this.stats.datagramsIgnored++;
      return;
    }
    this.stats.messagesIn++;
    const source: SipEndpointAddress = { transport: 'udp', address: rinfo.address, port: rinfo.port };
    try {
      this.callbacks.onMessage({ data, source, local: this.local });
    } catch (err) {
      this.stats.handlerErrors++;
      this.report(new TransportError('SIP_TRANSPORT_HANDLER_FAILED', `onMessage threw: ${String(err)}`, { remote: source, cause: err }));
    }
  };

  private readonly onSocketError = (err: Error): void => {
    this.report(new TransportError('SIP_TRANSPORT_SOCKET_ERROR', `UDP ${this.local.address}:${this.local.port}: ${err.message}`, { cause: err }));
  };

  private sendFailed(err: Error, address: string, port: number): TransportError {
    this.stats.sendErrors++;
    const code = (err as NodeJS.ErrnoException).code === 'EMSGSIZE' ? 'SIP_TRANSPORT_MESSAGE_TOO_LARGE' : 'SIP_TRANSPORT_SEND_FAILED';
    return new TransportError(code, `UDP send to ${address}:${port} failed: ${err.message}`, {
      remote: { transport: 'udp', address, port },
      cause: err,
    });
  }

  private rejectSend(code: 'SIP_TRANSPORT_CLOSED' | 'SIP_TRANSPORT_BAD_ADDRESS' | 'SIP_TRANSPORT_NO_ROUTE', message: string): Promise<never> {
    this.stats.sendErrors++;
    return Promise.reject(new TransportError(code, message));
  }

  private report(err: TransportError): void {
    try {
      this.callbacks.onError?.(err);
    } catch {
      // A failing error callback must not take the socket down with it.
    }
  }
}

function setBufferSizes(socket: Socket, bytes: number): void {
  if (bytes <= 0) return;
  // Throws when the kernel refuses (e.g. inside some containers): keep the default then.
  try {
    socket.setRecvBufferSize(bytes);
  } catch {
    /* OS default stays */
  }
  try {
    socket.setSendBufferSize(bytes);
  } catch {
    /* OS default stays */
  }
}

/** true for a datagram of nothing but CR, LF, SP and HT (stops at the first other byte, usually byte 0). */
function isBlank(data: Buffer): boolean {
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== 0x0d && b !== 0x0a && b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}
