/**
 * RFC 4733 telephone-events (DTMF named events 0–15, §3.2) — receiver and sender.
 *
 * Payload (RFC 4733 §2.3):
 *   0                   1                   2                   3
 *  |     event     |E|R| volume    |          duration             |
 *
 * An event is identified by its RTP timestamp (§2.5.1.1): all packets of one event carry the
 * timestamp of its start; duration grows; the last packet has E set and is sent 3 times
 * (§2.5.1.4). The receiver reports one digit per event, when the event ends.
 */
import { RTP_FIXED_HEADER_LENGTH, writeRtpHeader, type RtpHeader } from '../rtp/packet.ts';

export const TELEPHONE_EVENT_PAYLOAD_LENGTH = 4;

/** Event code → digit (RFC 4733 §3.2 Table 3). */
export const DTMF_EVENT_DIGITS = '0123456789*#ABCD';

export type DtmfDigit =
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9'
  | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export interface DtmfDigitEvent {
  readonly digit: DtmfDigit;
  /** Event duration from the last duration field seen, in ms. */
  readonly durationMs: number;
  /** Power level of the tone, in −dBm0 (0..63; 10 means −10 dBm0), from the last packet seen. */
  readonly volume: number;
}

export type DtmfDigitHandler = (event: DtmfDigitEvent) => void;

export type DtmfErrorCode = 'DTMF_BAD_DIGIT' | 'DTMF_BAD_DURATION' | 'DTMF_BAD_OPTION';

export class DtmfError extends Error {
  override readonly name = 'DtmfError';
  constructor(
    readonly code: DtmfErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Is RTP timestamp `a` strictly older than `b` (serial-number arithmetic, RFC 1982)? */
function tsBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export interface Rfc4733ReceiverOptions {
  /** RTP clock rate of the negotiated telephone-event format (SDP rtpmap), default 8000. */
  clockRate?: number;
}

/**
 * Receives telephone-event packets of ONE negotiated payload type and SSRC; the caller
 * demultiplexes by payload type and passes (header, payload) — payload may be a view into the
 * datagram. The handler is set once; nothing is allocated per packet (one object per digit).
 *
 * Transitions (state: idle | active(ts)):
 *  - packet with ts older than the current / last finished event → ignored (late, §2.5.2.2)
 *  - packet with ts == last finished event → ignored (end retransmission, §2.5.1.4)
 *  - idle, new ts, no E → active(ts) (start; marker bit optional as it may be lost, §2.5.2.1)
 *  - idle, new ts, E → report at once (start packets lost, only the end arrived)
 *  - active(ts), same ts, no E → update duration / volume (§2.5.1.3)
 *  - active(ts), same ts, E → report, remember ts as finished (§2.5.1.4)
 *  - active(ts), newer ts → previous event ended with lost end packets: report it, then
 *    handle the packet as in idle (§2.5.2.1). Exception: same event, new ts exactly where
 *    the previous segment of a long event ended (duration overflow, §2.5.1.3) → continue.
 *  - flush() (caller's timer: no packet for a while) → report the active event, if any.
 */
export class Rfc4733Receiver {
  readonly #onDigit: DtmfDigitHandler;
  readonly #clockRate: number;
  #active = false;
  #ts = 0;
  #code = 0;
  /** Samples accumulated by earlier segments of a long event (§2.5.1.3). */
  #baseDuration = 0;
  #duration = 0;
  #volume = 0;
  #hasFinished = false;
  #finishedTs = 0;
  /** Counters, for metrics. */
  malformed = 0;
  ignored = 0;

  constructor(onDigit: DtmfDigitHandler, options: Rfc4733ReceiverOptions = {}) {
    const clockRate = options.clockRate ?? 8000;
    if (!(clockRate > 0)) throw new DtmfError('DTMF_BAD_OPTION', `bad clockRate ${clockRate}`);
    this.#onDigit = onDigit;
    this.#clockRate = clockRate;
  }

  /** Feed one packet. `payload` starts at the telephone-event payload. */
  push(header: RtpHeader, payload: Buffer): void {
    if (payload.length < TELEPHONE_EVENT_PAYLOAD_LENGTH) {
      this.malformed++;
      return;
    }
    const code = payload[0]!;
    const b1 = payload[1]!;
    const end = (b1 & 0x80) !== 0;
    const volume = b1 & 0x3f;
    const duration = payload.readUInt16BE(2);
    const ts = header.timestamp >>> 0;
    if (code >= DTMF_EVENT_DIGITS.length) {
      // Not a DTMF event (flash hook, line tones, §3.2): not reported.
      this.ignored++;
      return;
    }
    if (this.#hasFinished && (ts === this.#finishedTs || tsBefore(ts, this.#finishedTs))) {
      this.ignored++;
      return;
    }
    if (this.#active) {
      if (ts === this.#ts) {
        if (code !== this.#code) {
          this.malformed++;
          return;
        }
        // Updates may arrive out of order: duration only grows within a segment.
        if (duration > this.#duration || end) this.#duration = duration;
        this.#volume = volume;
        if (end) this.#finish();
        return;
      }
      if (tsBefore(ts, this.#ts)) {
        this.ignored++;
        return;
      }
      if (
        code === this.#code &&
        this.#duration === 0xffff &&
        ts === ((this.#ts + 0xffff) >>> 0)
      ) {
        // Next segment of a long-lasting event (§2.5.1.3).
        this.#baseDuration += 0xffff;
        this.#ts = ts;
        this.#duration = duration;
        this.#volume = volume;
        if (end) this.#finish();
        return;
      }
      this.#finish(); // end packets of the previous event were lost
    }
    this.#active = true;
    this.#ts = ts;
    this.#code = code;
    this.#baseDuration = 0;
    this.#duration = duration;
    this.#volume = volume;
    if (end) this.#finish();
  }

  /** Report the event in progress, if any (call when the stream has been quiet for a while). */
  flush(): void {
    if (this.#active) this.#finish();
  }

  #finish(): void {
    this.#active = false;
    this.#hasFinished = true;
    this.#finishedTs = this.#ts;
    const samples = this.#baseDuration + this.#duration;
    this.#onDigit({
      digit: DTMF_EVENT_DIGITS[this.#code] as DtmfDigit,
      durationMs: (samples * 1000) / this.#clockRate,
      volume: this.#volume,
    });
  }
}

export interface Rfc4733SenderOptions {
  payloadType: number;
  ssrc: number;
  /** First sequence number; then it keeps counting across digits. */
  sequenceNumber?: number;
  clockRate?: number;
  /** Interval between update packets, ms (RFC 4733 §2.5.1.2 suggests 50 ms). */
  packetIntervalMs?: number;
  /** Tone power in −dBm0 (0..63), default 10. */
  volume?: number;
  /** Longest digit accepted, ms; sizes the buffers. Default 5000 (one segment at 8 kHz). */
  maxDurationMs?: number;
}

const PACKET_LENGTH = RTP_FIXED_HEADER_LENGTH + TELEPHONE_EVENT_PAYLOAD_LENGTH;
const END_REPEATS = 3;

/**
 * Builds the packet sequence for one digit into reusable buffers (RFC 4733 §2.5.1):
 * packet 0 starts the event (marker bit, §2.5.1.1), then one update per `packetIntervalMs`
 * of duration (§2.5.1.2, §2.5.1.3), then the end packet 3 times with the same timestamp and
 * final duration (§2.5.1.4). All share the event's start timestamp; sequence numbers increment.
 * Send packet i at i × packetIntervalMs after the first. The views returned by `packet(i)`
 * are overwritten by the next `build`.
 */
export class Rfc4733Sender {
  readonly #payloadType: number;
  readonly #ssrc: number;
  readonly #clockRate: number;
  readonly #interval: number;
  readonly #volume: number;
  readonly #maxDurationMs: number;
  readonly #packets: Buffer[];
  #seq: number;
  #count = 0;
  readonly #fields = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };

  constructor(options: Rfc4733SenderOptions) {
    this.#payloadType = options.payloadType;
    this.#ssrc = options.ssrc >>> 0;
    this.#seq = (options.sequenceNumber ?? 0) & 0xffff;
    this.#clockRate = options.clockRate ?? 8000;
    const intervalMs = options.packetIntervalMs ?? 50;
    this.#volume = options.volume ?? 10;
    this.#maxDurationMs = options.maxDurationMs ?? 5000;
    if (!Number.isInteger(this.#payloadType) || this.#payloadType < 0 || this.#payloadType > 127) {
      throw new DtmfError('DTMF_BAD_OPTION', `bad payloadType ${this.#payloadType}`);
    }
    if (!(this.#clockRate > 0) || !(intervalMs > 0)) {
      throw new DtmfError('DTMF_BAD_OPTION', 'clockRate and packetIntervalMs must be > 0');
    }
    if (!Number.isInteger(this.#volume) || this.#volume < 0 || this.#volume > 63) {
      throw new DtmfError('DTMF_BAD_OPTION', `bad volume ${this.#volume}`);
    }
    if (!(this.#maxDurationMs > 0) || (this.#maxDurationMs * this.#clockRate) / 1000 > 0xffff) {
      throw new DtmfError('DTMF_BAD_OPTION', 'maxDurationMs must fit one 16-bit duration');
    }
    this.#interval = Math.round((intervalMs * this.#clockRate) / 1000);
    const max = Math.ceil(this.#maxDurationMs / intervalMs) + 1 + END_REPEATS;
    const block = Buffer.alloc(max * PACKET_LENGTH);
    this.#packets = [];
    for (let i = 0; i < max; i++) {
      this.#packets.push(block.subarray(i * PACKET_LENGTH, (i + 1) * PACKET_LENGTH));
    }
  }

  /** Number of packets of the last `build`. */
  get count(): number {
    return this.#count;
  }

  /** Packet i (0 ≤ i < count) of the last `build`: a view into the reusable buffer. */
  packet(i: number): Buffer {
    const p = this.#packets[i];
    if (p === undefined || i >= this.#count) {
      throw new DtmfError('DTMF_BAD_OPTION', `no packet ${i}`);
    }
    return p;
  }

  /** Build the packets of `digit` lasting `durationMs`, starting at RTP `timestamp`; returns count. */
  build(digit: string, durationMs: number, timestamp: number): number {
    const code = digit.length === 1 ? DTMF_EVENT_DIGITS.indexOf(digit) : -1;
    if (code < 0) throw new DtmfError('DTMF_BAD_DIGIT', `not a DTMF digit: ${JSON.stringify(digit)}`);
    if (!(durationMs > 0) || durationMs > this.#maxDurationMs) {
      throw new DtmfError('DTMF_BAD_DURATION', `duration out of range: ${durationMs} ms`);
    }
    const total = Math.max(1, Math.round((durationMs * this.#clockRate) / 1000));
    let n = 0;
    // Start packet (marker) and updates, each reporting the duration so far.
    let dur = Math.min(this.#interval, total);
    this.#write(n++, code, false, dur, timestamp, true);
    while (dur + this.#interval < total) {
      dur += this.#interval;
      this.#write(n++, code, false, dur, timestamp, false);
    }
    for (let r = 0; r < END_REPEATS; r++) this.#write(n++, code, true, total, timestamp, false);
    this.#count = n;
    return n;
  }

  #write(i: number, code: number, end: boolean, duration: number, ts: number, marker: boolean): void {
    const buf = this.#packets[i]!;
    const f = this.#fields;
    f.marker = marker;
    f.payloadType = this.#payloadType;
    f.sequenceNumber = this.#seq;
    f.timestamp = ts;
    f.ssrc = this.#ssrc;
    writeRtpHeader(buf, 0, f);
    this.#seq = (this.#seq + 1) & 0xffff;
    buf[12] = code;
    buf[13] = (end ? 0x80 : 0) | this.#volume;
    buf.writeUInt16BE(duration, 14);
  }
}
