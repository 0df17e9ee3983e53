import { performance } from 'node:perf_hooks';
import { ALAW_DECODE, ALAW_TO_ULAW, ULAW_DECODE, ULAW_TO_ALAW } from './codecs/g711.ts';
import { PlaylistCursor, silenceByte, type PreparedAudio } from './audio-source.ts';
import { DtmfDetector } from './dtmf/goertzel.ts';
import { DTMF_EVENT_DIGITS, Rfc4733Receiver, type DtmfDigitEvent } from './dtmf/rfc4733.ts';
import type { RtpHeader } from './rtp/packet.ts';
import { RTP_FIXED_HEADER_LENGTH } from './rtp/packet.ts';
import type { RtpLeg, RtpLegSink } from './rtp/rtp-leg.ts';
import type { FrameScheduler, FrameTask } from './scheduler.ts';
import type { CallRecorder } from './recorder.ts';
import type { G711Codec, SdpSession } from './sdp.ts';
import type { CollectReason, DtmfSource, EndpointStats } from './protocol.ts';

/** What an endpoint tells the engine; the engine turns it into messages for the main thread. */
export interface EndpointListener {
  onDigit(ep: EngineEndpoint, digit: string, source: DtmfSource, durationMs: number): void;
  onPlayDone(ep: EngineEndpoint, requestId: number, completed: boolean, playedMs: number): void;
  onCollectDone(ep: EngineEndpoint, requestId: number, digits: string, terminator: string, reason: CollectReason): void;
}

export interface CollectSpec {
  minDigits: number;
  maxDigits: number;
  terminators: string;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
}

interface ActiveCollect extends CollectSpec {
  requestId: number;
  digits: string;
  /** performance.now() after which the collect ends; +Inf while the prompt still plays. */
  deadlineMs: number;
}

/** A digit being sent as RFC 4733 events, one update packet per frame (§2.5.1.2). */
interface OutgoingDigit {
  code: number;
  startTs: number;
  /** Samples of tone sent so far. */
  sent: number;
  total: number;
  /** End packets still to send (one per frame). */
  endsLeft: number;
}

const MAX_FRAME_SAMPLES = 480; // 60 ms at 8 kHz
const DTMF_TONE_SAMPLES = 800; // 100 ms per digit
const DTMF_GAP_FRAMES = 5; // 100 ms between digits
const END_PACKETS = 3;

/**
 * The engine-side half of an endpoint: one RTP leg plus what it is doing — playing a
 * playlist, collecting digits, relaying to a bridged peer, recording, sending digits.
 * It is paced by the shared FrameScheduler while it generates audio itself; while bridged
 * it forwards the peer's packets as they arrive (the peer's phone does the pacing).
 */
export class EngineEndpoint implements RtpLegSink, FrameTask {
  readonly id: number;
  readonly leg: RtpLeg;
  readonly sdp: SdpSession;
  localSdp = '';
  /** Our offer while waiting for the answer (endpoint created without a remote SDP). */
  pendingOffer: string | null = null;
  /** Codecs this endpoint may use (createEndpoint's `codecs`); re-offers are answered within them. */
  codecs: G711Codec[] = ['PCMU', 'PCMA'];
  schedulerSlot = -1;
  peer: EngineEndpoint | null = null;
  recorder: CallRecorder | null = null;
  /** The current silence was already reported as rtpTimeout (reported once per silence). */
  rtpTimeoutReported = false;
  audioPacketsIn = 0;
  eventPacketsIn = 0;

  readonly #scheduler: FrameScheduler;
  readonly #listener: EndpointListener;
  readonly #dtmfRx: Rfc4733Receiver;
  readonly #inband: DtmfDetector | null;
  readonly #pcm = new Int16Array(MAX_FRAME_SAMPLES * 4);
  #play: PlaylistCursor | null = null;
  #playRequest = 0;
  #collect: ActiveCollect | null = null;
  /** Frame credit in samples: lets a 30/40/60 ms ptime run on the 20 ms clock. */
  #credit = 0;
  #digitsToSend = '';
  #digit: OutgoingDigit | null = null;
  #gapFrames = 0;
  /** Relay anchoring: outgoing ts = incoming ts + offset while the same source keeps sending. */
  #relaySsrc = -1;
  #relayOffset = 0;
  #relayValid = false;
  /** We are on the scheduler and sent (or skipped) the previous frame: our clock just advances. */
  #pacedRun = false;

  constructor(id: number, leg: RtpLeg, sdp: SdpSession, scheduler: FrameScheduler, listener: EndpointListener, inbandDtmf: boolean) {
    this.id = id;
    this.leg = leg;
    this.sdp = sdp;
    this.#scheduler = scheduler;
    this.#listener = listener;
    this.#dtmfRx = new Rfc4733Receiver(this.#onRfc4733Digit);
    this.#inband = inbandDtmf ? new DtmfDetector(this.#onInbandDigit) : null;
  }

  get playing(): boolean {
    return this.#play !== null;
  }

  get collecting(): boolean {
    return this.#collect !== null;
  }

  /** Start sending audio of our own (silence while idle keeps NAT bindings and peers' timers alive). */
  updatePacing(): void {
    const generates = this.#play !== null || this.#digit !== null || this.#digitsToSend.length > 0 || this.peer === null;
    if (generates && this.leg.media !== null) this.#scheduler.add(this);
    else {
      this.#scheduler.remove(this);
      this.#pacedRun = false; // back on the scheduler later: the first frame measures the pause
    }
  }

  /** Timestamp of our next paced frame (see RtpLeg.takeTimestamp on `continuous`). */
  #frameTimestamp(samples: number, nowMs: number): number {
    const ts = this.leg.takeTimestamp(samples, nowMs, this.#pacedRun);
    this.#pacedRun = true;
    return ts;
  }

  // ---------------------------------------------------------------- playback

  /** Replace whatever plays with `items`; the previous request resolves as not completed. */
  play(requestId: number, items: readonly PreparedAudio[], loop: boolean): void {
    this.stopPlay();
    this.#play = new PlaylistCursor(items, loop);
    this.#playRequest = requestId;
    this.leg.markTalkspurt();
    this.updatePacing();
  }

  /** Stop the current playback (if any) and report it. */
  stopPlay(requestId = this.#playRequest): void {
    const cursor = this.#play;
    if (cursor === null || requestId !== this.#playRequest) return;
    this.#play = null;
    this.#relayValid = false;
    const c = this.#collect;
    // The prompt of a playCollect cut short by another play(): the collect must still time
    // out, or it would wait for a key forever.
    if (c !== null && requestId === -c.requestId) this.#startDigitTimer(c);
    else this.#listener.onPlayDone(this, this.#playRequest, false, cursor.played / 8);
    this.updatePacing();
  }

  /** The prompt of a collect is over: the first-digit (or inter-digit) timer runs. */
  #startDigitTimer(c: ActiveCollect): void {
    c.deadlineMs = performance.now() + (c.digits.length === 0 ? c.firstDigitTimeoutMs : c.interDigitTimeoutMs);
  }

  // ---------------------------------------------------------------- digit collection

  collect(requestId: number, spec: CollectSpec, items: readonly PreparedAudio[]): void {
    this.cancelCollect();
    this.#collect = { ...spec, requestId, digits: '', deadlineMs: Number.POSITIVE_INFINITY };
    if (items.length > 0) this.play(-requestId, items, false);
    else this.#collect.deadlineMs = performance.now() + spec.firstDigitTimeoutMs;
  }

  cancelCollect(requestId?: number): void {
    const c = this.#collect;
    if (c === null || (requestId !== undefined && requestId !== c.requestId)) return;
    if (this.#playRequest === -c.requestId) this.stopPlay();
    this.#collect = null;
  }

  #finishCollect(terminator: string, reason: CollectReason): void {
    const c = this.#collect!;
    this.#collect = null;
    // Some keys, but fewer than asked for (a contract number cut short): the IVR re-prompts.
    if ((reason === 'terminator' || reason === 'timeout') && c.digits.length > 0 && c.digits.length < c.minDigits) reason = 'too-few-digits';
    if (this.#playRequest === -c.requestId) this.stopPlay();
    this.#listener.onCollectDone(this, c.requestId, c.digits, terminator, reason);
  }

  /** Digit timeouts; called by the engine's housekeeping (every 100 ms). */
  checkCollectTimeout(nowMs: number): void {
    const c = this.#collect;
    if (c === null || nowMs < c.deadlineMs) return;
    this.#finishCollect('', c.digits.length === 0 ? 'no-input' : 'timeout');
  }

  // ---------------------------------------------------------------- digits in

  /** A digit from RFC 4733, in-band detection or SIP INFO (fed by the calls layer). */
  digit(digit: string, source: DtmfSource, durationMs: number): void {
    this.#listener.onDigit(this, digit, source, durationMs);
    const c = this.#collect;
    if (c === null) return;
    if (this.#playRequest === -c.requestId) this.stopPlay(); // barge-in: a key stops the prompt
    if (c.terminators.includes(digit)) {
      this.#finishCollect(digit, 'terminator');
      return;
    }
    c.digits += digit;
    if (c.digits.length >= c.maxDigits) this.#finishCollect('', 'max-digits');
    else c.deadlineMs = performance.now() + c.interDigitTimeoutMs;
  }

  readonly #onRfc4733Digit = (e: DtmfDigitEvent): void => {
    this.digit(e.digit, 'rfc4733', e.durationMs);
  };

  readonly #onInbandDigit = (digit: string): void => {
    this.digit(digit, 'inband', 0);
  };

  /** An RFC 4733 digit that ended without its end packets: flush from housekeeping. */
  flushDtmf(): void {
    this.#dtmfRx.flush();
  }

  // ---------------------------------------------------------------- digits out

  sendDigits(digits: string): void {
    if (this.leg.media?.dtmfPayloadType === null) return; // caller falls back to in-band tones
    this.#digitsToSend += digits;
    this.updatePacing();
  }

  get sendsRfc4733(): boolean {
    return this.leg.media !== null && this.leg.media.dtmfPayloadType !== null;
  }

  /**
   * One frame of an outgoing digit: the start/update packet (§2.5.1.2), then the end packet in
   * three consecutive frames (§2.5.1.4: retransmitted so one lost packet does not lose the end;
   * spread out so one burst of loss cannot take all three). The end retransmissions count as
   * the first frames of the gap before the next digit.
   */
  #sendDigitFrame(frameSamples: number, nowMs: number): void {
    const leg = this.leg;
    const pt = leg.media!.dtmfPayloadType!;
    let d = this.#digit;
    if (d === null) {
      if (this.#gapFrames > 0) {
        this.#gapFrames--;
        this.#sendSilence(frameSamples, nowMs);
        return;
      }
      const code = DTMF_EVENT_DIGITS.indexOf(this.#digitsToSend[0]!);
      this.#digitsToSend = this.#digitsToSend.slice(1);
      d = this.#digit = { code, startTs: this.#frameTimestamp(frameSamples, nowMs), sent: 0, total: DTMF_TONE_SAMPLES, endsLeft: END_PACKETS };
      leg.markTalkspurt();
    } else {
      this.#frameTimestamp(frameSamples, nowMs); // keep the stream clock running during the event
    }
    if (d.sent < d.total) d.sent = Math.min(d.total, d.sent + frameSamples);
    const end = d.sent >= d.total;
    const buf = leg.packetBuffer();
    buf[12] = d.code;
    buf[13] = (end ? 0x80 : 0) | 10; // volume −10 dBm0
    buf.writeUInt16BE(d.sent, 14);
    leg.send(buf, 4, pt, d.startTs);
    if (end && --d.endsLeft === 0) {
      this.#digit = null;
      this.#gapFrames = this.#digitsToSend.length === 0 ? 0 : DTMF_GAP_FRAMES - (END_PACKETS - 1);
      this.#relayValid = false;
      this.updatePacing();
    }
  }


  // ---------------------------------------------------------------- paced sending

  onFrame(nowMs: number): void {
    const leg = this.leg;
    const media = leg.media;
    if (media === null) return;
    const n = media.ptime * 8;
    this.#credit += 160;
    if (this.#credit < n) return;
    this.#credit -= n;
    if (this.#digit !== null || this.#digitsToSend.length > 0 || this.#gapFrames > 0) {
      if (this.sendsRfc4733) {
        this.#sendDigitFrame(n, nowMs);
        return;
      }
      // telephone-event was renegotiated away (re-INVITE) mid-send: drop the rest entirely.
      // Clearing only the queue left #digit/#gapFrames set, which kept us paced — and a
      // bridged leg then never went back to relaying its peer.
      this.#digitsToSend = '';
      this.#digit = null;
      this.#gapFrames = 0;
      this.updatePacing();
      if (this.schedulerSlot < 0) return; // bridged: the relay takes over
    }
    const cursor = this.#play;
    if (cursor !== null) {
      const buf = leg.packetBuffer();
      if (cursor.next(buf, RTP_FIXED_HEADER_LENGTH, n, media.codec)) {
        const ts = this.#frameTimestamp(n, nowMs);
        leg.send(buf, n, media.payloadType, ts);
        this.#tapOutgoing(buf, n, ts, nowMs);
        return;
      }
      this.#playEnded();
      if (this.peer !== null) return; // back to relaying the peer
    }
    this.#sendSilence(n, nowMs);
  }

  #sendSilence(n: number, nowMs: number): void {
    const leg = this.leg;
    const media = leg.media!;
    const buf = leg.packetBuffer();
    buf.fill(silenceByte(media.codec), RTP_FIXED_HEADER_LENGTH, RTP_FIXED_HEADER_LENGTH + n);
    const ts = this.#frameTimestamp(n, nowMs);
    leg.send(buf, n, media.payloadType, ts);
    this.#tapOutgoing(buf, n, ts, nowMs);
  }

  #playEnded(): void {
    const cursor = this.#play!;
    this.#play = null;
    this.#relayValid = false;
    const requestId = this.#playRequest;
    const c = this.#collect;
    if (c !== null && requestId === -c.requestId) {
      this.#startDigitTimer(c); // the prompt of a playCollect ended: now the first-digit timer runs
    } else {
      this.#listener.onPlayDone(this, requestId, true, cursor.played / 8);
    }
    this.updatePacing();
  }

  onSkip(frames: number): void {
    const media = this.leg.media;
    if (media === null) return;
    this.leg.skipSamples(frames * 160);
  }

  // ---------------------------------------------------------------- receiving

  onRtpAudio(_leg: RtpLeg, packet: Buffer, h: RtpHeader, nowMs: number): void {
    const media = this.leg.media!;
    this.audioPacketsIn++;
    const n = Math.min(h.payloadLength, MAX_FRAME_SAMPLES * 4);
    if (this.recorder !== null || this.#inband !== null) {
      decodeInto(packet, h.payloadOffset, n, media.codec === 'PCMU', this.#pcm);
      if (this.recorder !== null) this.recorder.push(0, h.ssrc, h.timestamp, this.#pcm, n, nowMs);
      this.#inband?.push(this.#pcm, 0, n);
    }
    const peer = this.peer;
    if (peer !== null) peer.#relayAudio(packet, h, n, media.codec === 'PCMU', nowMs);
  }

  onRtpEvent(_leg: RtpLeg, packet: Buffer, h: RtpHeader, nowMs: number): void {
    this.eventPacketsIn++;
    this.#dtmfRx.push(h, packet.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength));
    // Bridged: the event travels on as RFC 4733 at the other leg's payload type.
    const peer = this.peer;
    if (peer !== null) peer.#relayEvent(packet, h, nowMs);
  }

  /** Map the source's timestamp onto our stream (re-anchored after anything else was sent). */
  #relayTimestamp(h: RtpHeader, samples: number, nowMs: number): number {
    if (!this.#relayValid || h.ssrc !== this.#relaySsrc) {
      // A new source or our own audio in between: continue our clock, keep the source's spacing from here on.
      const ts = this.leg.takeTimestamp(samples, nowMs);
      this.#relayOffset = (ts - h.timestamp) | 0;
      this.#relaySsrc = h.ssrc;
      this.#relayValid = true;
      this.leg.markTalkspurt();
      return ts;
    }
    const ts = (h.timestamp + this.#relayOffset) >>> 0;
    if (samples > 0) this.leg.noteRelayed(ts, samples, nowMs); // events keep their start ts: no clock update
    return ts;
  }

  /** Audio from the bridged peer: rewrite the header, transcode when the laws differ, record. */
  #relayAudio(packet: Buffer, h: RtpHeader, n: number, fromUlaw: boolean, nowMs: number): void {
    // Our own audio has the floor while we are paced: a prompt, a digit being sent, and the
    // gap between two digits (checking #play/#digit alone let the relay through in that gap,
    // mixing two timestamp clocks on the phone's stream).
    if (this.schedulerSlot >= 0) return;
    const leg = this.leg;
    const media = leg.media;
    if (media === null || !leg.canSend) return;
    const buf = leg.packetBuffer();
    const toUlaw = media.codec === 'PCMU';
    const src = h.payloadOffset;
    if (fromUlaw === toUlaw) packet.copy(buf, RTP_FIXED_HEADER_LENGTH, src, src + n);
    else {
      const table = fromUlaw ? ULAW_TO_ALAW : ALAW_TO_ULAW;
      for (let i = 0; i < n; i++) buf[RTP_FIXED_HEADER_LENGTH + i] = table[packet[src + i]!]!;
    }
    const ts = this.#relayTimestamp(h, n, nowMs);
    leg.send(buf, n, media.payloadType, ts, h.marker);
    leg.countRelayed();
    this.#tapOutgoing(buf, n, ts, nowMs);
  }

  #relayEvent(packet: Buffer, h: RtpHeader, nowMs: number): void {
    const leg = this.leg;
    const pt = leg.media?.dtmfPayloadType ?? null;
    if (pt === null || !leg.canSend || this.schedulerSlot >= 0 || h.payloadLength < 4) return; // as #relayAudio
    const buf = leg.packetBuffer();
    packet.copy(buf, RTP_FIXED_HEADER_LENGTH, h.payloadOffset, h.payloadOffset + 4);
    const ts = this.#relayTimestamp(h, 0, nowMs);
    leg.send(buf, 4, pt, ts, h.marker);
    leg.countRelayed();
  }

  /** The recorder's right channel is what this endpoint sends to its phone. */
  #tapOutgoing(buf: Buffer, n: number, ts: number, nowMs: number): void {
    const rec = this.recorder;
    if (rec === null) return;
    decodeInto(buf, RTP_FIXED_HEADER_LENGTH, n, this.leg.media!.codec === 'PCMU', this.#pcm);
    rec.push(1, this.leg.ssrc, ts, this.#pcm, n, nowMs);
  }

  /** Bridged or unbridged: our own sending resumes or stops, relay timing re-anchors. */
  setPeer(peer: EngineEndpoint | null): void {
    this.peer = peer;
    this.#relayValid = false;
    this.updatePacing();
  }

  stats(): EndpointStats {
    const leg = this.leg;
    return {
      audioPacketsIn: this.audioPacketsIn,
      eventPacketsIn: this.eventPacketsIn,
      packetsOut: leg.packetsSent,
      packetsLost: Math.max(0, leg.rx.cumulativeLost),
      jitterMs: leg.rx.jitterMs,
      roundTripMs: leg.roundTripMs,
      latched: leg.latched,
      remoteAddress: leg.remoteAddress,
      remotePort: leg.remotePort,
    };
  }

  /** Stop everything this endpoint does (destroy). Pending requests are reported by the engine. */
  shutdown(): { playRequest: number | null; collectRequest: number | null } {
    const result = {
      playRequest: this.#play !== null && this.#playRequest > 0 ? this.#playRequest : null,
      collectRequest: this.#collect?.requestId ?? null,
    };
    this.#play = null;
    this.#collect = null;
    this.#digitsToSend = '';
    this.#digit = null;
    this.#scheduler.remove(this);
    return result;
  }
}

function decodeInto(buf: Buffer, offset: number, n: number, ulaw: boolean, out: Int16Array): void {
  const table = ulaw ? ULAW_DECODE : ALAW_DECODE;
  for (let i = 0; i < n; i++) out[i] = table[buf[offset + i]!]!;
}
