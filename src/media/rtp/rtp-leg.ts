import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { MediaCounters } from '../counters.ts';
import { MediaError } from '../errors.ts';
import type { NegotiatedMedia } from '../sdp.ts';
import { createRtpHeader, readRtpHeader, RTP_FIXED_HEADER_LENGTH, type RtpHeader } from './packet.ts';
import type { RtpPortPool } from './port-pool.ts';
import { RtpReceiveStats } from './receive-stats.ts';
import { RtcpLink } from './rtcp-link.ts';

/** What a leg reports to its owner; one object per endpoint, no closures per packet. */
export interface RtpLegSink {
  /** An audio packet of the negotiated payload type from the latched source. `packet` is Node's receive buffer. */
  onRtpAudio(leg: RtpLeg, packet: Buffer, header: RtpHeader, nowMs: number): void;
  /** A telephone-event packet (RFC 4733). */
  onRtpEvent(leg: RtpLeg, packet: Buffer, header: RtpHeader, nowMs: number): void;
}

/** Outgoing packets are built in a ring of buffers: Node's send may still hold the previous ones. */
const RING = 16;
/** 12-byte header + up to 60 ms of G.711 (480 bytes); larger frames are not negotiated. */
const MAX_PACKET = 512;

function randomUint32(): number {
  return (Math.random() * 0x1_0000_0000) >>> 0;
}

/**
 * One RTP session with one peer (RFC 3550): a UDP socket on an even port for RTP and one on
 * port + 1 for RTCP, our outgoing stream (SSRC, sequence, timestamp kept continuous across
 * prompts and bridging), receive statistics, and symmetric-RTP latching (RFC 4961 style):
 * until the first packet arrives we send where the SDP says; from then on we send back to
 * the address the peer's packets come from (a phone behind NAT) and ignore other sources.
 */
export class RtpLeg {
  readonly port: number;
  readonly ssrc = randomUint32();
  media: NegotiatedMedia | null = null;
  latched = false;
  /** performance.now() of the last accepted packet; the no-media timer reads it. */
  lastRxMs = performance.now();
  readonly rx = new RtpReceiveStats(8000);
  readonly #header = createRtpHeader();
  readonly #rtp: dgram.Socket;
  readonly #rtcp: RtcpLink;
  readonly #pool: RtpPortPool;
  /** Set by the owner right after open; packets arriving before that are dropped. */
  sink: RtpLegSink | null = null;
  readonly #counters: MediaCounters;
  #rxSsrc = -1;
  /**
   * After latching, the socket is connect()ed to the phone: sends skip Node's per-packet
   * address handling (~15 % cheaper) and the kernel drops other sources for us.
   * 0 unconnected, 1 connecting, 2 connected.
   */
  #connectState = 0;
  #disconnectWhenConnected = false;
  #dstAddress = '';
  #dstPort = 0;
  #seq = randomUint32() & 0xffff;
  /** RTP timestamp the next frame would carry if the stream ran continuously. */
  #nextTs = randomUint32();
  #lastSentMs = -1;
  /** Timestamp of the last frame sent (at #lastSentMs): the anchor of the SR's RTP time. */
  #lastTs = 0;
  #markNext = true;
  readonly #ring: Buffer[] = [];
  #ringIndex = 0;
  packetsSent = 0;
  octetsSent = 0;
  #closed = false;

  private constructor(port: number, rtp: dgram.Socket, rtcp: dgram.Socket, pool: RtpPortPool, counters: MediaCounters) {
    this.port = port;
    this.#rtp = rtp;
    this.#pool = pool;
    this.#counters = counters;
    this.#rtcp = new RtcpLink(this, rtcp, counters);
    for (let i = 0; i < RING; i++) this.#ring.push(Buffer.alloc(MAX_PACKET));
    rtp.on('message', this.#onMessage);
    rtp.on('error', () => counters.sendErrors++);
  }

  /** Bind the next free port pair of the pool (skipping ports the OS refuses). */
  static async open(pool: RtpPortPool, bindAddress: string, counters: MediaCounters): Promise<RtpLeg> {
    const type = isIPv6(bindAddress) ? 'udp6' : 'udp4';
    // Ports held by other programs are skipped; a range mostly taken by others still fails fast.
    for (let attempt = 0; attempt < Math.min(pool.capacity, 256); attempt++) {
      const port = pool.take();
      const rtp = dgram.createSocket({ type });
      const rtcp = dgram.createSocket({ type });
      try {
        await bind(rtp, port, bindAddress);
        await bind(rtcp, port + 1, bindAddress);
        return new RtpLeg(port, rtp, rtcp, pool, counters);
      } catch {
        rtp.close();
        rtcp.close();
        pool.release(port); // taken by another program: try the next pair
      }
    }
    throw new MediaError('MEDIA_PORTS_EXHAUSTED', `could not bind an RTP port pair in ${pool.first}-${pool.last} on ${bindAddress}`);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get roundTripMs(): number {
    return this.#rtcp.roundTripMs;
  }

  get remoteAddress(): string {
    return this.#dstAddress;
  }

  get remotePort(): number {
    return this.#dstPort;
  }

  /** Apply a (re)negotiated session. A new remote address or port undoes the latch. */
  configure(media: NegotiatedMedia): void {
    this.lastRxMs = performance.now(); // a new negotiation restarts the no-media timer
    const moved = this.media === null || media.remoteAddress !== this.media.remoteAddress || media.remotePort !== this.media.remotePort;
    this.media = media;
    if (moved) {
      this.#unlatch();
      this.#dstAddress = media.remoteAddress;
      this.#dstPort = media.remotePort;
      this.#rtcp.setRemote(media.remoteRtcpAddress, media.remoteRtcpPort);
    }
  }

  /** May we send? Not before an answer, not to a 0.0.0.0 hold address, not when the SDP forbids it. */
  get canSend(): boolean {
    const m = this.media;
    if (m === null || this.#closed || this.#dstPort === 0) return false;
    if (m.direction === 'recvonly' || m.direction === 'inactive') return false;
    return this.#dstAddress !== '0.0.0.0' && this.#dstAddress !== '::';
  }

  /** Does the peer promise to send us media (for the no-media timer)? */
  get expectsMedia(): boolean {
    const m = this.media;
    return m !== null && (m.direction === 'sendrecv' || m.direction === 'recvonly');
  }

  /** Next packet buffer; write the payload at offset 12 (RTP_FIXED_HEADER_LENGTH). */
  packetBuffer(): Buffer {
    const buf = this.#ring[this.#ringIndex]!;
    this.#ringIndex = (this.#ringIndex + 1) % RING;
    return buf;
  }

  /**
   * The timestamp for a frame of `samples` starting now. Frames sent back to back get
   * consecutive timestamps; after a pause in sending (a bridge whose peer went quiet, a
   * source change) the timestamp jumps by the wall time elapsed, and the marker bit flags
   * the new talkspurt (RFC 3551 §4.1).
   * `continuous`: the caller is the frame scheduler's task and sent the previous frame too.
   * Then the clock only advances by `samples`: the scheduler already accounts for late ticks
   * (catch-up frames) and dropped frames (skipSamples); measuring the wall time as well would
   * count a stall twice and leave the timestamps running ahead of the packets for good.
   */
  takeTimestamp(samples: number, nowMs: number, continuous = false): number {
    if (!continuous && this.#lastSentMs >= 0) {
      const elapsed = Math.round((nowMs - this.#lastSentMs) * 8);
      if (elapsed > samples * 3) {
        this.#nextTs = (this.#nextTs + elapsed - samples) >>> 0;
        this.#markNext = true;
      }
    }
    const ts = this.#nextTs;
    this.#nextTs = (this.#nextTs + samples) >>> 0;
    this.#lastSentMs = nowMs;
    this.#lastTs = ts;
    return ts;
  }

  /** A relayed packet carried `ts` for `samples`: keep the stream clock in step with it. */
  noteRelayed(ts: number, samples: number, nowMs: number): void {
    this.#nextTs = (ts + samples) >>> 0;
    this.#lastSentMs = nowMs;
    this.#lastTs = ts;
  }

  countRelayed(): void {
    this.#counters.packetsRelayed++;
  }

  /** The RTP timestamp our stream's clock shows at `nowMs` (for the SR, RFC 3550 §6.4.1). */
  timestampAt(nowMs: number): number {
    if (this.#lastSentMs < 0) return this.#nextTs;
    return (this.#lastTs + Math.round((nowMs - this.#lastSentMs) * 8)) >>> 0;
  }

  /** Dropped frames after a scheduler stall: keep the timestamp in step with the wall clock. */
  skipSamples(samples: number): void {
    this.#nextTs = (this.#nextTs + samples) >>> 0;
  }

  /** Force the marker bit on the next packet (a new source starts: prompt, bridge). */
  markTalkspurt(): void {
    this.#markNext = true;
  }

  /** Write the header into `buf` (from packetBuffer) and send 12 + payloadLength bytes. */
  send(buf: Buffer, payloadLength: number, payloadType: number, timestamp: number, marker = false): void {
    if (!this.canSend) {
      // On hold (or no address yet) the clock runs on without packets: when sending resumes,
      // the timestamp jump starts a new talkspurt and must carry the marker (RFC 3551 §4.1).
      this.#markNext = true;
      return;
    }
    const m = marker || this.#markNext;
    this.#markNext = false;
    buf[0] = 0x80;
    buf[1] = (m ? 0x80 : 0) | (payloadType & 0x7f);
    buf.writeUInt16BE(this.#seq, 2);
    buf.writeUInt32BE(timestamp >>> 0, 4);
    buf.writeUInt32BE(this.ssrc, 8);
    this.#seq = (this.#seq + 1) & 0xffff;
    const length = RTP_FIXED_HEADER_LENGTH + payloadLength;
    // No callback: Node then tries a synchronous send (uv_udp_try_send) and only queues a
    // request when the socket buffer is full; errors arrive as 'error' events (counted).
    if (this.#connectState === 2) this.#rtp.send(buf, 0, length);
    else this.#rtp.send(buf, 0, length, this.#dstPort, this.#dstAddress);
    this.packetsSent++;
    this.octetsSent += payloadLength;
    this.#counters.packetsOut++;
    this.#counters.bytesOut += length;
  }

  /** RTCP sender/receiver report, when due (every 5 s, RFC 3550 §6.2 minimum). */
  housekeeping(nowMs: number): void {
    this.#rtcp.maybeReport(nowMs);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#rtcp.sendBye();
    this.#rtp.close();
    this.#rtcp.close();
    this.#pool.release(this.port);
  }

  /** Symmetric RTP: from now on answer where the packets come from, not where the SDP said. */
  #latch(address: string, port: number): void {
    this.latched = true;
    this.#dstAddress = address;
    this.#dstPort = port;
    this.#rtcp.setRemote(address, port + 1);
    if (this.#connectState === 0) {
      this.#connectState = 1;
      this.#rtp.connect(port, address, this.#onConnected);
    }
  }

  #unlatch(): void {
    this.latched = false;
    if (this.#connectState === 2) {
      this.#rtp.disconnect();
      this.#connectState = 0;
    } else if (this.#connectState === 1) {
      this.#disconnectWhenConnected = true;
    }
  }

  readonly #onConnected = (): void => {
    if (this.#closed) return;
    if (this.#disconnectWhenConnected) {
      // The peer moved (re-INVITE) while we were connecting: start over unconnected.
      this.#disconnectWhenConnected = false;
      this.#rtp.disconnect();
      this.#connectState = 0;
      return;
    }
    this.#connectState = 2;
  };

  readonly #onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const c = this.#counters;
    c.packetsIn++;
    c.bytesIn += msg.length;
    const h = this.#header;
    const media = this.media;
    const sink = this.sink;
    if (media === null || sink === null || !readRtpHeader(msg, h)) {
      c.packetsDropped++;
      return;
    }
    if (!this.latched) {
      this.#latch(rinfo.address, rinfo.port);
    } else if (rinfo.port !== this.#dstPort || rinfo.address !== this.#dstAddress) {
      c.packetsDropped++; // another source after latching: not this call's media
      return;
    }
    const now = performance.now();
    if (h.ssrc !== this.#rxSsrc) {
      this.#rxSsrc = h.ssrc; // a new source (the peer restarted its stream): fresh statistics
      this.rx.reset(h.ssrc, h.sequenceNumber);
    }
    // Statistics only: a packet the RFC 3550 A.1 validation holds back (probation after a
    // jump) is still played — losing the first 20 ms of every new stream would be worse.
    const lostBefore = this.rx.cumulativeLost;
    this.rx.update(h.sequenceNumber, h.timestamp, now);
    const lostNow = this.rx.cumulativeLost;
    if (lostNow > lostBefore) c.packetsLost += lostNow - lostBefore;
    this.lastRxMs = now;
    if (h.payloadType === media.payloadType) sink.onRtpAudio(this, msg, h, now);
    else if (h.payloadType === media.dtmfPayloadType) sink.onRtpEvent(this, msg, h, now);
    else c.packetsDropped++; // comfort noise (13) and other formats we did not agree on
  };
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
