/**
 * All the transports hotline listens on (RFC 3261 §18: a UA or proxy MUST
 * implement UDP and TCP), with one send that picks the right one by protocol
 * and address family.
 */
import type { SipEndpointAddress } from '../message/types.ts';
import { ipFamily } from './address.ts';
import { TransportError } from './errors.ts';
import { TcpTransport, type TcpTuning } from './tcp.ts';
import { isConnectionOriented, type SendDestination, type StreamCallbacks, type Transport, type TransportCallbacks, type TransportProtocol } from './transport.ts';
import { UdpTransport } from './udp.ts';

export interface ListenSpec {
  protocol: TransportProtocol;
  /** IP literal: '127.0.0.1', '::1', '0.0.0.0', '::'... ('::' is IPv6 only; list '0.0.0.0' as well for both). */
  host: string;
  /** 0 lets the OS choose (tests). Give UDP and TCP the same port in production: one Via/Contact port for both. */
  port: number;
}

export interface TransportSetOptions extends TransportCallbacks, StreamCallbacks {
  tcp?: TcpTuning;
  udp?: { socketBufferBytes?: number };
}

export interface TransportSetDestination extends SendDestination {
  /**
   * Any SIP transport name, so the transaction layer's destinations pass
   * straight through; one with no listener here ('tls', 'ws'... until those
   * transports exist) is rejected with SIP_TRANSPORT_NO_ROUTE.
   */
  protocol: SipEndpointAddress['transport'];
}

export class TransportSet {
  /** Opens every listener; if one fails, closes those already open and rejects with its error. */
  static async listen(specs: readonly ListenSpec[], options: TransportSetOptions): Promise<TransportSet> {
    const opened: Transport[] = [];
    try {
      for (const spec of specs) {
        opened.push(
          spec.protocol === 'udp'
            ? await UdpTransport.listen({ ...options.udp, host: spec.host, port: spec.port, onMessage: options.onMessage, onError: options.onError })
            : await TcpTransport.listen({ ...options.tcp, ...streamCallbacks(options), host: spec.host, port: spec.port }),
        );
      }
    } catch (err) {
      await Promise.all(opened.map((t) => t.close()));
      throw err;
    }
    return new TransportSet(opened);
  }

  private closing: Promise<void> | undefined;

  private constructor(readonly transports: readonly Transport[]) {}

  /** The first transport of a protocol (and family, if given), in listen order. */
  get(protocol: SipEndpointAddress['transport'], family?: 4 | 6): Transport | undefined {
    return this.transports.find((t) => t.protocol === protocol && (family === undefined || t.family === family));
  }

  /**
   * A live `connectionId` wins whatever its family (a response goes back on
   * the request's connection, RFC 3261 §18.2.2); otherwise the first
   * transport of dest.protocol whose family matches dest.address.
   */
  send(data: Buffer, dest: TransportSetDestination): Promise<void> {
    if (this.closing) return Promise.reject(new TransportError('SIP_TRANSPORT_CLOSED', 'transports are closed'));
    if (dest.connectionId !== undefined) {
      for (const t of this.transports) {
        if (t.protocol === dest.protocol && isConnectionOriented(t) && t.hasConnection(dest.connectionId)) return t.send(data, dest);
      }
    }
    const family = ipFamily(dest.address);
    if (family === 0) return Promise.reject(new TransportError('SIP_TRANSPORT_BAD_ADDRESS', `not an IP literal: "${dest.address}"`));
    const transport = this.get(dest.protocol, family);
    if (transport === undefined) {
      return Promise.reject(new TransportError('SIP_TRANSPORT_NO_ROUTE', `no ${dest.protocol.toUpperCase()} transport for IPv${family} (${dest.address})`));
    }
    return transport.send(data, dest);
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(this.transports.map((t) => t.close())).then(() => undefined);
    return this.closing;
  }
}

function streamCallbacks(options: TransportSetOptions): TransportCallbacks & StreamCallbacks {
  return {
    onMessage: options.onMessage,
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onConnectionOpen ? { onConnectionOpen: options.onConnectionOpen } : {}),
    ...(options.onConnectionClose ? { onConnectionClose: options.onConnectionClose } : {}),
  };
}

/**
 * RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if
 * it is larger than 1300 bytes and the path MTU is unknown, the request MUST
 * be sent using an RFC 2914 congestion controlled transport protocol, such as
 * TCP." `mtuLimit` is that threshold: 1300 for an unknown path MTU, or the
 * known path MTU minus 200.
 *
 * The caller owns the consequences, which is why this is a pure helper: the
 * transaction layer builds the top Via before choosing, so when the answer
 * differs from `requested` it MUST rewrite the Via transport (UDP → TCP)
 * before sending (§18.1.1), and it may fall back to UDP if the TCP connect
 * fails. It does not apply to responses (§18.2.2 keeps the request's
 * transport), nor to an ACK for a non-2xx or a CANCEL, which must follow
 * their INVITE's transport (§17.1.1.3, §9.1).
 */
export function chooseTransportForRequest(sizeBytes: number, requested: TransportProtocol, mtuLimit = 1300): TransportProtocol {
  if (requested === 'tcp') return 'tcp';
  return sizeBytes > mtuLimit ? 'tcp' : 'udp';
}
