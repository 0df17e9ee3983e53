import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { MediaCounters } from '../counters.ts';
import { ntpFromUnixMs, ntpMiddle32, parseRtcpCompound, RtcpWriter, type ReportBlockFields, type RtcpVisitor, type SenderInfo } from './rtcp.ts';
import type { RtpLeg } from './rtp-leg.ts';

/** RFC 3550 §6.2: 5 s minimum interval, randomised ±50 % so that calls do not report in step. */
const REPORT_INTERVAL_MS = 5000;
const CNAME = `hotline@${process.pid}`;

/**
 * The RTCP half of a leg (RFC 3550 §6): sends SR (when we have sent media) or RR with one
 * report block about the peer's stream, accepts the peer's SR/RR (for LSR/DLSR and the
 * round-trip time) and BYE.
 */
export class RtcpLink implements RtcpVisitor {
  readonly #leg: RtpLeg;
  readonly #socket: dgram.Socket;
  readonly #counters: MediaCounters;
  readonly #writer = new RtcpWriter();
  readonly #block: ReportBlockFields = { ssrc: 0, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 };
  readonly #blocks: ReportBlockFields[] = [this.#block];
  readonly #sender: SenderInfo = { ntpSeconds: 0, ntpFraction: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 };
  #address = '';
  #port = 0;
  #nextReportMs: number;
  /** Round-trip time from the peer's last report block about us, ms (RFC 3550 §6.4.1); -1 unknown. */
  roundTripMs = -1;
  peerSentBye = false;

  constructor(leg: RtpLeg, socket: dgram.Socket, counters: MediaCounters) {
    this.#leg = leg;
    this.#socket = socket;
    this.#counters = counters;
    this.#nextReportMs = performance.now() + REPORT_INTERVAL_MS * (0.5 + Math.random());
    socket.on('message', this.#onMessage);
    socket.on('error', () => counters.sendErrors++);
  }

  setRemote(address: string, port: number): void {
    this.#address = address;
    this.#port = port;
  }

  maybeReport(nowMs: number): void {
    if (nowMs < this.#nextReportMs) return;
    this.#nextReportMs = nowMs + REPORT_INTERVAL_MS * (0.5 + Math.random());
    this.#send(nowMs, false);
  }

  sendBye(): void {
    this.#send(performance.now(), true);
  }

  close(): void {
    this.#socket.close();
  }

  #send(nowMs: number, bye: boolean): void {
    const leg = this.#leg;
    if (!leg.canSend || this.#port === 0) return;
    let sender: SenderInfo | null = null;
    if (leg.packetsSent > 0) {
      sender = this.#sender;
      ntpFromUnixMs(performance.timeOrigin + nowMs, sender);
      sender.rtpTimestamp = leg.timestampAt(nowMs);
      sender.packetCount = leg.packetsSent >>> 0;
      sender.octetCount = leg.octetsSent >>> 0;
    }
    const haveBlock = leg.rx.received > 0;
    if (haveBlock) leg.rx.takeReportBlock(nowMs, this.#block);
    const packet = this.#writer.writeCompound(leg.ssrc, sender, haveBlock ? this.#blocks : [], CNAME, bye);
    this.#socket.send(packet, 0, packet.length, this.#port, this.#address);
    this.#counters.rtcpOut++;
  }

  readonly #onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    this.#counters.rtcpIn++;
    if (this.#leg.latched && rinfo.address !== this.#leg.remoteAddress) return;
    this.#arrivalMs = performance.now();
    if (!parseRtcpCompound(msg, this)) this.#counters.packetsDropped++;
  };

  #arrivalMs = 0;
  readonly #ntp = { ntpSeconds: 0, ntpFraction: 0 };

  senderReport(ssrc: number, ntpSeconds: number, ntpFraction: number): void {
    this.#leg.rx.noteSenderReport(ntpMiddle32(ntpSeconds, ntpFraction), this.#arrivalMs);
  }

  reportBlock(_reporterSsrc: number, block: ReportBlockFields): void {
    if (block.ssrc !== this.#leg.ssrc || block.lastSr === 0) return;
    // RTT = A − LSR − DLSR in 1/65536 s (RFC 3550 §6.4.1).
    const ntp = this.#ntp;
    ntpFromUnixMs(performance.timeOrigin + this.#arrivalMs, ntp);
    const a = ntpMiddle32(ntp.ntpSeconds, ntp.ntpFraction);
    const rtt = (a - block.lastSr - block.delaySinceLastSr) >>> 0;
    if (rtt < 65536 * 10) this.roundTripMs = (rtt * 1000) / 65536;
  }

  bye(): void {
    this.peerSentBye = true;
  }
}
