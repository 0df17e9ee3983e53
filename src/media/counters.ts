/**
 * Engine-wide counters, bumped in place on the packet path (no allocation, no events) and
 * copied into a stats message for the metrics on the main thread.
 */
export class MediaCounters {
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Sequence gaps seen on received streams (RFC 3550 A.3 "lost", only increases). */
  packetsLost = 0;
  /** Datagrams that were not RTP/RTCP we expect: malformed, unknown payload type, wrong source after latching. */
  packetsDropped = 0;
  rtcpIn = 0;
  rtcpOut = 0;
  /** Relayed packets between bridged legs (counted once per packet forwarded). */
  packetsRelayed = 0;
  dtmfDigits = 0;
  rtpTimeouts = 0;
  sendErrors = 0;
}
