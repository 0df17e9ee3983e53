/**
 * Typed errors of the SIP transport layer (RFC 3261 §18). `code` is stable and
 * safe to match on: the transaction layer maps a rejected send to a
 * "transport error" (RFC 3261 §8.1.3.1, §17.1.4) and, for
 * SIP_TRANSPORT_MESSAGE_TOO_LARGE over UDP, may retry over TCP (§18.1.1).
 */
import type { SipEndpointAddress } from '../message/types.ts';

export type TransportErrorCode =
  /** The transport (or the connection a send was waiting on) is closed or closing. */
  | 'SIP_TRANSPORT_CLOSED'
  /** Binding a listening socket failed (address in use, not available...). */
  | 'SIP_TRANSPORT_BIND_FAILED'
  /** An outbound TCP connect was refused or failed. */
  | 'SIP_TRANSPORT_CONNECT_FAILED'
  /** An outbound TCP connect did not complete within connectTimeoutMs. */
  | 'SIP_TRANSPORT_CONNECT_TIMEOUT'
  /** A connection cap or the write-queue byte limit was hit. */
  | 'SIP_TRANSPORT_OVERLOADED'
  /** No transport or connection can reach the destination (wrong family, dead flow with noConnect...). */
  | 'SIP_TRANSPORT_NO_ROUTE'
  /** The destination address is not an IP literal (name resolution, RFC 3263, is the layer above). */
  | 'SIP_TRANSPORT_BAD_ADDRESS'
  /** The datagram is larger than the socket can send (EMSGSIZE): retry over TCP (RFC 3261 §18.1.1). */
  | 'SIP_TRANSPORT_MESSAGE_TOO_LARGE'
  /** The socket reported an error while sending. */
  | 'SIP_TRANSPORT_SEND_FAILED'
  /** Stream framing was lost (RFC 3261 §18.3); the connection was closed. Reported through onError. */
  | 'SIP_TRANSPORT_FRAMING'
  /** A socket or server failed outside any send. Reported through onError. */
  | 'SIP_TRANSPORT_SOCKET_ERROR'
  /** The onMessage callback threw; the transport carried on. Reported through onError. */
  | 'SIP_TRANSPORT_HANDLER_FAILED';

export interface TransportErrorDetails {
  /** The peer involved, when there is one. */
  remote?: SipEndpointAddress;
  connectionId?: string;
  cause?: unknown;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly remote: SipEndpointAddress | undefined;
  readonly connectionId: string | undefined;

  constructor(
    readonly code: TransportErrorCode,
    message: string,
    details: TransportErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.remote = details.remote;
    this.connectionId = details.connectionId;
  }
}
