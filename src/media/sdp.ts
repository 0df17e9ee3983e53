/**
 * SDP offer/answer for the embedded media engine: audio only, G.711 (PCMU static PT 0, PCMA
 * static PT 8, RFC 3551 §6) plus RFC 4733 telephone-event/8000 at whatever number the peer uses.
 * Parsing is sdp-transform's; the SDP we send is written line by line (RFC 4566 §5 order).
 *
 * Versioning (RFC 3264 §8): answerOffer/createOffer write `session.version` exactly as given.
 * The caller calls `bumpVersion(session)` before building an SDP whose content differs from
 * the last one it sent in the dialog, and sends the same version when the content is unchanged.
 */
import { isIP } from 'node:net';
import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { MediaError } from './errors.ts';

export type G711Codec = 'PCMU' | 'PCMA';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** What was agreed for one leg, from our point of view. */
export interface NegotiatedMedia {
  codec: G711Codec;
  /** Payload type we send audio with and expect audio on (the offerer's number for it). */
  payloadType: number;
  /** telephone-event payload type, or null when the peer did not offer/accept RFC 4733. */
  dtmfPayloadType: number | null;
  /** Packetisation time in ms (a=ptime of the peer, default 20; clamp to 10..60 and multiples of 10, else 20). */
  ptime: number;
  /** Where we send RTP to (c= of the media or session level) — '0.0.0.0' / '::' means hold (don't send). */
  remoteAddress: string;
  remotePort: number;
  /** Remote RTCP: a=rtcp attribute if present (port and optional address), else remotePort + 1 and remoteAddress. */
  remoteRtcpPort: number;
  remoteRtcpAddress: string;
  /** Our direction: may we send, do we expect to receive. */
  direction: MediaDirection;
  /** true when the peer put us on hold (a=sendonly / a=inactive from them, or c=0.0.0.0 RFC 2543-style hold). */
  onHold: boolean;
}
export interface LocalMediaAddress {
  /** Address we put in c= and o= (IPv4 or IPv6; choose IN IP4/IP6 accordingly). */
  address: string;
  /** Our RTP port (even); RTCP is port + 1. */
  port: number;
}
/** Our session description state, for versioning on re-offers/answers (RFC 4566 §5.2 o=). */
export interface SdpSession {
  /** Numeric string, chosen once, kept for the life of the endpoint. */
  sessionId: string;
  /** Incremented (by the caller, with bumpVersion) each time our SDP content changes (RFC 3264 §8). */
  version: number;
}

const CODEC_PT: Record<G711Codec, number> = { PCMU: 0, PCMA: 8 };
/** RFC 3551 §6 static audio payload types, for readable error messages. */
const STATIC_PT: Record<number, string> = {
  0: 'PCMU/8000', 3: 'GSM/8000', 4: 'G723/8000', 8: 'PCMA/8000', 9: 'G722/8000', 13: 'CN/8000', 18: 'G729/8000',
};
const SENDS: Record<MediaDirection, boolean> = { sendrecv: true, sendonly: true, recvonly: false, inactive: false };
const RECEIVES: Record<MediaDirection, boolean> = { sendrecv: true, sendonly: false, recvonly: true, inactive: false };
const direction = (send: boolean, recv: boolean): MediaDirection =>
  send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
const NTP_UNIX_OFFSET_S = 2_208_988_800;
let sessionCounter = 0;

/** Audio m-line of a peer's SDP, read and checked (RFC 4566 §5.7 c=, §5.14 m=; RFC 3605 a=rtcp). */
interface RemoteMedia {
  /** G.711 formats in m-line (preference) order, with the peer's payload type numbers. */
  g711: Array<{ codec: G711Codec; pt: number }>;
  dtmfPayloadType: number | null;
  ptime: number | undefined;
  address: string;
  port: number;
  rtcpPort: number;
  rtcpAddress: string;
  /** The peer's direction as written (media level, else session level, else sendrecv: RFC 3264 §5.1). */
  direction: MediaDirection;
  /** c=0.0.0.0 (or ::): RFC 3264 §8.4, send neither RTP nor RTCP to the peer. */
  nullAddress: boolean;
}

const invalid = (message: string): MediaError => new MediaError('MEDIA_SDP_INVALID', message);
const noCommon = (message: string): MediaError => new MediaError('MEDIA_SDP_NO_COMMON_CODEC', message);
const badArg = (message: string): MediaError => new MediaError('MEDIA_BAD_ARGUMENT', message);

/** `<pt> <name>/<rate>[/<channels>]` from a=rtpmap, else the static table (RFC 3551 §6). */
function formatName(m: MediaDescription, pt: number): string | undefined {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map === undefined) return STATIC_PT[pt];
  return `${map.codec}/${map.rate ?? ''}${map.encoding === undefined ? '' : `/${map.encoding}`}`;
}

/** The m= format tokens. sdp-transform turns a lone numeric value into a number, hence String(). */
const formatTokens = (m: MediaDescription): string[] => String(m.payloads ?? '').trim().split(/\s+/).filter(Boolean);

/** Formats of an m-line for messages: "8 PCMA/8000, 101 telephone-event/8000". */
function describeFormats(m: MediaDescription): string {
  const fmts = formatTokens(m);
  if (fmts.length === 0) return '(none)';
  return fmts
    .map((f) => {
      const name = /^\d+$/.test(f) ? formatName(m, Number(f)) : undefined;
      return name === undefined ? f : `${f} ${name}`;
    })
    .join(', ');
}

function payloadTypes(m: MediaDescription): number[] {
  return formatTokens(m).filter((f) => /^\d+$/.test(f)).map(Number).filter((pt) => pt <= 127);
}

/** RFC 4733 §2.4.1: the fmtp event list, absent meaning 0-15. We need at least 0-11 (digits, *, #). */
function coversKeypad(config: string | undefined): boolean {
  if (config === undefined) return true;
  const events = new Set<number>();
  for (const part of config.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (range === null) return true; // unreadable list: trust the rtpmap
    for (let e = Number(range[1]); e <= Number(range[2] ?? range[1]) && e <= 255; e++) events.add(e);
  }
  for (let e = 0; e <= 11; e++) if (!events.has(e)) return false;
  return true;
}

function readDirection(attr: string | undefined): MediaDirection | undefined {
  return attr !== undefined && Object.hasOwn(SENDS, attr) ? (attr as MediaDirection) : undefined;
}

/** RFC 4566 §5: an SDP starts with v=0 and has an o= line; sdp-transform itself skips anything it cannot read. */
function parseSdp(text: string, what: string): SessionDescription {
  const first = text.trimStart().split(/\r?\n/, 1)[0] ?? '';
  if (first.trim() !== 'v=0') throw invalid(`${what} is not SDP: the first line is "${first.slice(0, 40)}", expected "v=0"`);
  let sdp: SessionDescription;
  try {
    sdp = parse(text);
  } catch (cause) {
    throw new MediaError('MEDIA_SDP_INVALID', `${what} could not be parsed`, { cause });
  }
  if (sdp.origin === undefined) throw invalid(`${what} has no valid o= line`);
  sdp.media.forEach((m, i) => {
    const portOk = Number.isInteger(m.port) && m.port >= 0 && m.port <= 65535;
    if (typeof m.type !== 'string' || !portOk || typeof m.protocol !== 'string') {
      throw invalid(`${what}: m= line ${i + 1} is malformed (expected "m=<media> <port> <proto> <fmt>...")`);
    }
  });
  return sdp;
}

/** The shared reader for offers and answers: connection, ports, codecs, DTMF, ptime, direction. */
function parseRemoteMedia(sdp: SessionDescription, m: MediaDescription, what: string): RemoteMedia {
  const c = m.connection ?? sdp.connection; // RFC 4566 §5.7: media-level c= overrides the session's
  if (c === undefined) throw invalid(`${what}: the audio stream has no c= line at media or session level`);
  if (isIP(c.ip) !== c.version) throw invalid(`${what}: c= address "${c.ip}" is not an IPv${c.version} address`);
  if (m.port < 1) throw invalid(`${what}: audio port ${m.port} is out of range`);
  const g711: RemoteMedia['g711'] = [];
  let dtmfPayloadType: number | null = null;
  for (const pt of payloadTypes(m)) {
    const map = m.rtp.find((r) => r.payload === pt);
    const name = String(map?.codec ?? STATIC_PT[pt]?.split('/')[0] ?? '').toUpperCase();
    const rate = map === undefined ? 8000 : map.rate;
    if ((name === 'PCMU' || name === 'PCMA') && rate === 8000 && (map?.encoding ?? 1) === 1) g711.push({ codec: name, pt });
    const fmtp = m.fmtp.find((f) => f.payload === pt)?.config;
    const events = fmtp === undefined ? undefined : String(fmtp);
    if (name === 'TELEPHONE-EVENT' && rate === 8000 && dtmfPayloadType === null && coversKeypad(events)) dtmfPayloadType = pt;
  }
  const rtcp = m.rtcp;
  if (rtcp !== undefined && (!Number.isInteger(rtcp.port) || rtcp.port < 1 || rtcp.port > 65535)) {
    throw invalid(`${what}: a=rtcp port ${rtcp.port} is out of range`);
  }
  if (rtcp?.address !== undefined && isIP(rtcp.address) === 0) throw invalid(`${what}: a=rtcp address "${rtcp.address}" is not an IP address`);
  return {
    g711,
    dtmfPayloadType,
    ptime: m.ptime,
    address: c.ip,
    port: m.port,
    rtcpPort: rtcp?.port ?? m.port + 1,
    rtcpAddress: rtcp?.address ?? c.ip,
    direction: readDirection(m.direction) ?? readDirection(sdp.direction) ?? 'sendrecv',
    nullAddress: c.ip === '0.0.0.0' || c.ip === '::',
  };
}

/**
 * RFC 3264 §6.1 seen from our side: we may send when the peer receives (and gave a real address,
 * §8.4) and `mine` allows sending; we expect to receive when the peer sends and `mine` allows it.
 */
function ourDirection(peer: RemoteMedia, mine: MediaDirection): MediaDirection {
  return direction(RECEIVES[peer.direction] && !peer.nullAddress && SENDS[mine], SENDS[peer.direction] && RECEIVES[mine]);
}

/** a=ptime we honour: 10..60 ms in steps of 10; anything else falls back to 20. */
function normalisePtime(ptime: number | undefined): number | undefined {
  if (ptime === undefined) return undefined;
  return Number.isInteger(ptime) && ptime >= 10 && ptime <= 60 && ptime % 10 === 0 ? ptime : 20;
}

function checkLocal(local: LocalMediaAddress, session: SdpSession): void {
  if (isIP(local.address) === 0) throw badArg(`local media address "${local.address}" is not an IP address`);
  if (!Number.isInteger(local.port) || local.port < 2 || local.port > 65534 || local.port % 2 !== 0) {
    throw badArg(`local RTP port ${local.port} must be an even number in 2..65534`);
  }
  if (!/^\d+$/.test(session.sessionId) || !Number.isInteger(session.version) || session.version < 0) {
    throw badArg('SDP session id must be a numeric string and version a non-negative integer');
  }
}

function checkCodecs(codecs: G711Codec[] | undefined): void {
  if (codecs === undefined) return;
  if (codecs.length === 0 || new Set(codecs).size !== codecs.length || codecs.some((c) => !Object.hasOwn(CODEC_PT, c))) {
    throw badArg(`codecs must be a non-empty list of distinct PCMU/PCMA, got ${JSON.stringify(codecs)}`);
  }
}

function checkPtime(ptime: number | undefined): void {
  if (ptime !== undefined && normalisePtime(ptime) !== ptime) throw badArg(`ptime ${ptime} must be 10..60 ms in steps of 10`);
}

/** v=, o=, s=, c=, t= (RFC 4566 §5 order; c= at session level covers every m= line). */
function sessionLines(local: LocalMediaAddress, session: SdpSession): string[] {
  const net = isIP(local.address) === 6 ? 'IN IP6' : 'IN IP4';
  const origin = `o=hotline ${session.sessionId} ${session.version} ${net} ${local.address}`;
  return ['v=0', origin, 's=hotline', `c=${net} ${local.address}`, 't=0 0'];
}

function audioLines(
  port: number, proto: string, codecs: Array<{ codec: G711Codec; pt: number }>, dtmf: number | null, ptime: number, dir: MediaDirection,
): string[] {
  const pts = codecs.map((c) => c.pt).concat(dtmf === null ? [] : [dtmf]);
  const lines = [`m=audio ${port} ${proto} ${pts.join(' ')}`, ...codecs.map((c) => `a=rtpmap:${c.pt} ${c.codec}/8000`)];
  if (dtmf !== null) lines.push(`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`);
  return [...lines, `a=ptime:${ptime}`, `a=${dir}`];
}

const toText = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** A new session identity: NTP seconds (RFC 4566 §5.2) × 10⁶ + a per-process counter; version 1. */
export function createSdpSession(nowMs: number = Date.now()): SdpSession {
  sessionCounter = (sessionCounter + 1) % 1_000_000;
  const ntpSeconds = Math.floor(nowMs / 1000) + NTP_UNIX_OFFSET_S;
  return { sessionId: String(BigInt(ntpSeconds) * 1_000_000n + BigInt(sessionCounter)), version: 1 };
}

/** Marks a change of our SDP content (RFC 3264 §8: the o= version increases by one). */
export function bumpVersion(session: SdpSession): SdpSession {
  session.version += 1;
  return session;
}

/**
 * Answers a peer's offer (RFC 3264 §6). The first acceptable audio stream (RTP/AVP, or RTP/AVPF
 * answered as such without feedback messages (RFC 4585 §3.2), port ≠ 0, a G.711 codec in common)
 * is taken; every other m= line is refused with port 0 (§6).
 */
export function answerOffer(
  remoteSdp: string,
  local: LocalMediaAddress,
  session: SdpSession,
  opts: { codecs?: G711Codec[]; ptime?: number; localDirection?: MediaDirection } = {},
): { localSdp: string; media: NegotiatedMedia } {
  checkLocal(local, session);
  checkCodecs(opts.codecs);
  checkPtime(opts.ptime);
  const sdp = parseSdp(remoteSdp, 'SDP offer');
  const allowed = opts.codecs ?? ['PCMU', 'PCMA'];
  const refusals: string[] = [];
  let chosen: { index: number; proto: string; remote: RemoteMedia; codec: { codec: G711Codec; pt: number } } | undefined;
  sdp.media.forEach((m, index) => {
    if (chosen !== undefined || m.type !== 'audio') return;
    const fmts = describeFormats(m);
    if (m.port === 0) return void refusals.push(`audio stream ${index + 1} refused by the offerer (port 0; formats ${fmts})`);
    if (/SAVP|TLS/i.test(m.protocol)) return void refusals.push(`${m.protocol}: encryption (SRTP/DTLS) is not supported (formats ${fmts})`);
    if (!/^RTP\/AVPF?$/i.test(m.protocol)) return void refusals.push(`transport ${m.protocol} is not supported (formats ${fmts})`);
    const remote = parseRemoteMedia(sdp, m, 'SDP offer');
    const codec = remote.g711.find((c) => allowed.includes(c.codec)); // §6.1: the offerer's order
    if (codec === undefined) return void refusals.push(`offered formats ${fmts}; we accept ${allowed.map((c) => `${c}/8000`).join(', ')}`);
    chosen = { index, proto: m.protocol, remote, codec };
  });
  if (chosen === undefined) {
    const kinds = sdp.media.map((m) => `m=${m.type}`).join(', ') || 'no m= lines';
    if (refusals.length === 0) throw noCommon(`SDP offer has no audio stream (${kinds})`);
    throw noCommon(`no acceptable audio stream in the SDP offer: ${refusals.join('; ')}`);
  }
  const { remote, codec, index, proto } = chosen;
  const dir = ourDirection(remote, opts.localDirection ?? 'sendrecv'); // §6.1: mirrors the offer, narrowed by ours
  const ptime = normalisePtime(remote.ptime) ?? opts.ptime ?? 20;
  const lines = sessionLines(local, session);
  sdp.media.forEach((m, i) => {
    if (i === index) lines.push(...audioLines(local.port, proto, [codec], remote.dtmfPayloadType, ptime, dir));
    else lines.push(`m=${m.type} 0 ${m.protocol} ${formatTokens(m).join(' ')}`.trimEnd()); // §6: refused
  });
  const media: NegotiatedMedia = {
    codec: codec.codec,
    payloadType: codec.pt,
    dtmfPayloadType: remote.dtmfPayloadType,
    ptime,
    remoteAddress: remote.address,
    remotePort: remote.port,
    remoteRtcpPort: remote.rtcpPort,
    remoteRtcpAddress: remote.rtcpAddress,
    direction: dir,
    onHold: !RECEIVES[remote.direction] || remote.nullAddress,
  };
  return { localSdp: toText(lines), media };
}

/** Our offer (RFC 3264 §5): PCMU 0 / PCMA 8 in the given order, telephone-event, ptime, direction. */
export function createOffer(
  local: LocalMediaAddress,
  session: SdpSession,
  opts: { codecs?: G711Codec[]; dtmfPayloadType?: number | null; ptime?: number; direction?: MediaDirection } = {},
): string {
  checkLocal(local, session);
  checkCodecs(opts.codecs);
  checkPtime(opts.ptime);
  const dtmf = opts.dtmfPayloadType === undefined ? 101 : opts.dtmfPayloadType;
  if (dtmf !== null && (!Number.isInteger(dtmf) || dtmf < 96 || dtmf > 127)) {
    throw badArg(`telephone-event payload type ${dtmf} must be dynamic (96..127)`);
  }
  const codecs = (opts.codecs ?? ['PCMU', 'PCMA']).map((codec) => ({ codec, pt: CODEC_PT[codec] }));
  const audio = audioLines(local.port, 'RTP/AVP', codecs, dtmf, opts.ptime ?? 20, opts.direction ?? 'sendrecv');
  return toText([...sessionLines(local, session), ...audio]);
}

/** Reads the answer to our offer (RFC 3264 §6.1 seen from the offerer's side). */
export function applyAnswer(offerSdpWeSent: string, answerSdp: string): NegotiatedMedia {
  const offer = parseSdp(offerSdpWeSent, 'our SDP offer');
  const answer = parseSdp(answerSdp, 'SDP answer');
  const index = offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  const ours = offer.media[index];
  if (ours === undefined) throw badArg('our SDP offer has no audio stream');
  if (answer.media.length !== offer.media.length) {
    throw invalid(`SDP answer has ${answer.media.length} m= lines, our offer had ${offer.media.length} (RFC 3264 §6)`);
  }
  const theirs = answer.media[index];
  if (theirs?.type !== 'audio') throw invalid(`SDP answer: m= line ${index + 1} is not audio`);
  if (theirs.port === 0) throw noCommon(`the peer refused the audio stream (port 0); we offered ${describeFormats(ours)}`);
  const offered = parseRemoteMedia(offer, ours, 'our SDP offer');
  const remote = parseRemoteMedia(answer, theirs, 'SDP answer');
  const codec = remote.g711.find((c) => offered.g711.some((o) => o.codec === c.codec));
  if (codec === undefined) {
    throw noCommon(`SDP answer formats ${describeFormats(theirs)} contain none we offered (${describeFormats(ours)})`);
  }
  const ourDir = offered.direction;
  return {
    codec: codec.codec,
    // §6.1: the answerer uses the offerer's numbers; ours is the one we receive on.
    payloadType: offered.g711.find((o) => o.codec === codec.codec)?.pt ?? codec.pt,
    dtmfPayloadType: offered.dtmfPayloadType === null ? null : remote.dtmfPayloadType,
    ptime: normalisePtime(remote.ptime) ?? normalisePtime(offered.ptime) ?? 20,
    remoteAddress: remote.address,
    remotePort: remote.port,
    remoteRtcpPort: remote.rtcpPort,
    remoteRtcpAddress: remote.rtcpAddress,
    direction: ourDirection(remote, ourDir),
    onHold: (!RECEIVES[remote.direction] && SENDS[ourDir]) || remote.nullAddress,
  };
}
