/** The SIP transport layer (RFC 3261 §18): the public surface for the layers above. */
export { TransportError, type TransportErrorCode, type TransportErrorDetails } from './errors.ts';
export { StreamFramer, DEFAULT_MAX_MESSAGE_BYTES, type FramedItem, type StreamFramerOptions } from './stream-framer.ts';
export { UdpTransport, DEFAULT_UDP_SOCKET_BUFFER_BYTES, type UdpTransportOptions } from './udp.ts';
export { TcpTransport, TCP_DEFAULTS, type TcpTransportOptions, type TcpTuning } from './tcp.ts';
export { TransportSet, chooseTransportForRequest, type ListenSpec, type TransportSetOptions, type TransportSetDestination } from './transport-set.ts';
export { canonicalIp, ipFamily } from './address.ts';
export { isConnectionOriented, emptyStats } from './transport.ts';
export type {
  ConnectionCloseReason,
  ConnectionInfo,
  ConnectionOrientedTransport,
  InboundMessage,
  SendDestination,
  StreamCallbacks,
  Transport,
  TransportCallbacks,
  TransportProtocol,
  TransportStats,
} from './transport.ts';
