/**
 * Messages between the MediaServer port (main thread) and the media engine (worker thread).
 * Small plain objects: one per command, reply or event — never per packet.
 */
import type { G711Codec, MediaDirection, NegotiatedMedia } from './sdp.ts';

export type DtmfSource = 'rfc4733' | 'inband' | 'info';
/**
 * Why a digit collection ended: `max-digits` reached, a `terminator` key, `timeout` between
 * keys (with at least minDigits), `no-input` at all, or `too-few-digits` (terminator or
 * timeout with fewer than minDigits).
 */
export type CollectReason = 'max-digits' | 'terminator' | 'timeout' | 'no-input' | 'too-few-digits';

export interface EngineOptions {
  /** Address RTP sockets bind to. Default 0.0.0.0. */
  bindAddress: string;
  /** Address written into our SDP (c=/o=). */
  advertiseAddress: string;
  portMin: number;
  portMax: number;
  /** No RTP from a phone that should send for this long → `rtpTimeout` event. Default 60 s. */
  rtpTimeoutMs: number;
  /** Codecs we accept, in our order of preference for offers. */
  codecs: G711Codec[];
  /** Packetisation we offer and use when the peer states none. Default 20. */
  ptime: number;
  promptCacheBytes: number;
  /**
   * Endpoint ids are `n · idStride + idOffset` (n = 1, 2, …): with several engines (one per
   * worker thread) an id is unique across them and names its engine (id % idStride).
   */
  idOffset: number;
  idStride: number;
}

export interface EndpointCreateOptions {
  /** The peer's offer (we answer) — or absent: we make an offer, the answer comes with `modify`. */
  remoteSdp?: string;
  /** Run the Goertzel detector on this endpoint's audio (phones that send no RFC 4733). */
  inbandDtmf?: boolean;
  codecs?: G711Codec[];
}

/** What the port reports of a negotiation (the RTCP address stays inside the engine). */
export type NegotiatedSummary = Omit<NegotiatedMedia, 'remoteRtcpPort' | 'remoteRtcpAddress'>;

export interface CreateResult {
  id: number;
  localSdp: string;
  port: number;
  /** null until an answer to our offer arrives. */
  media: NegotiatedSummary | null;
}

export interface ModifyResult {
  localSdp: string;
  media: NegotiatedSummary;
}

export interface PlayResult {
  /** false when stopped (by stopPlay, a new play, or an abort) before the end. */
  completed: boolean;
  playedMs: number;
}

export interface CollectResult {
  digits: string;
  /** The terminator key pressed, '' if none. */
  terminator: string;
  reason: CollectReason;
}

export interface RecordingResult {
  path: string;
  bytes: number;
  durationMs: number;
  channels: 1 | 2;
}

export interface PlayArgs {
  files: string[];
  loop: boolean;
}

export interface CollectArgs {
  files: string[];
  minDigits: number;
  maxDigits: number;
  terminators: string;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
}

export type EngineCommand =
  | { op: 'create'; options: EndpointCreateOptions }
  | { op: 'modify'; ep: number; remoteSdp: string; direction?: MediaDirection }
  | { op: 'play'; ep: number; args: PlayArgs }
  | { op: 'playCollect'; ep: number; args: CollectArgs }
  /** Stop one long request (`target` = its message id), or every play/collect when absent. */
  | { op: 'stop'; ep: number; target?: number }
  | { op: 'record'; ep: number; path: string; stereo: boolean }
  | { op: 'stopRecording'; ep: number }
  | { op: 'pauseRecording'; ep: number }
  | { op: 'resumeRecording'; ep: number }
  | { op: 'bridge'; ep: number; other: number }
  | { op: 'unbridge'; ep: number }
  | { op: 'sendDtmf'; ep: number; digits: string }
  /** A digit that arrived by signaling (SIP INFO), fed through the same `dtmf` event. */
  | { op: 'injectDtmf'; ep: number; digit: string; durationMs: number }
  | { op: 'destroy'; ep: number; reason: string }
  | { op: 'endpointStats'; ep: number }
  | { op: 'stats' };

export interface EngineRequest {
  id: number;
  cmd: EngineCommand;
}

export interface EngineErrorInfo {
  code: string;
  message: string;
  file?: string;
}

export type EngineReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: EngineErrorInfo };

export type EngineEvent =
  | { event: 'dtmf'; ep: number; digit: string; source: DtmfSource; durationMs: number }
  | { event: 'rtpTimeout'; ep: number; idleMs: number }
  | { event: 'destroy'; ep: number; reason: string };

export type EngineMessage = EngineReply | EngineEvent;

/** One endpoint's traffic, for tests, logs and the CDR's quality fields. */
export interface EndpointStats {
  audioPacketsIn: number;
  eventPacketsIn: number;
  packetsOut: number;
  /** RFC 3550 A.3 cumulative lost of the current incoming stream. */
  packetsLost: number;
  jitterMs: number;
  /** Round trip from RTCP (RFC 3550 §6.4.1), -1 when unknown. */
  roundTripMs: number;
  latched: boolean;
  remoteAddress: string;
  remotePort: number;
}

export interface EngineStats {
  endpoints: number;
  playing: number;
  recording: number;
  bridged: number;
  paced: number;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsLost: number;
  packetsDropped: number;
  packetsRelayed: number;
  rtcpIn: number;
  rtcpOut: number;
  dtmfDigits: number;
  rtpTimeouts: number;
  sendErrors: number;
  /** Mean interarrival jitter of live legs, ms (RFC 3550 A.8). */
  jitterMsMean: number;
  latenessBuckets: number[];
  latenessSumMs: number;
  latenessCount: number;
  latenessMaxMs: number;
  framesSkipped: number;
  promptCacheBytes: number;
}
