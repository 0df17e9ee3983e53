import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { MediaError, type MediaErrorCode } from '../../../src/media/errors.ts';
import {
  answerOffer,
  applyAnswer,
  bumpVersion,
  createOffer,
  createSdpSession,
  type LocalMediaAddress,
  type SdpSession,
} from '../../../src/media/sdp.ts';

const sdp = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');
const LOCAL: LocalMediaAddress = { address: '192.0.2.10', port: 40000 };
const session = (): SdpSession => ({ sessionId: '3900000000000042', version: 7 });

function mediaError(fn: () => unknown, code: MediaErrorCode): MediaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe(code);
    return err as MediaError;
  }
  throw new Error(`expected a MediaError ${code}`);
}

/** `sipp -sd uac_pcap` (SIPp 3.6), with [local_ip] = 127.0.0.1 and [auto_media_port] = 6000. */
const SIPP_UAC_PCAP = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-11,16',
);

/** Captured from baresip 1.0.0 (Debian baresip-core, g711 module) dialling hotline. */
const BARESIP = sdp(
  'v=0',
  'o=- 1787598787 598940788 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:baresip 1.0.0',
  'm=audio 30006 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=ssrc:3059769822 cname:sip:op1@127.0.0.1',
  'a=minptime:20',
  'a=ptime:20',
);

/** Linphone style: opus and speex first, G.729 static, telephone-event at three rates. */
const LINPHONE = sdp(
  'v=0',
  'o=alice 2203 1445 IN IP4 198.51.100.7',
  's=Talk',
  'c=IN IP4 198.51.100.7',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'm=audio 7078 RTP/AVP 96 97 98 18 0 8 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=fmtp:97 vbr=on',
  'a=rtpmap:98 speex/8000',
  'a=fmtp:98 vbr=on',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:* ccm tmmbr',
);

/** A PCMU-only offer from 203.0.113.5:5004 with extra lines after the audio attributes. */
function pcmuOffer(...extra: string[]): string {
  return sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event/8000', ...extra);
}

describe('answerOffer', () => {
  it('answers the SIPp uac_pcap offer with PCMA 8 and telephone-event 101', () => {
    const { localSdp, media } = answerOffer(SIPP_UAC_PCAP, LOCAL, session());
    const answer = parse(localSdp);
    expect(answer.origin).toMatchObject({ username: 'hotline', sessionVersion: 7, ipVer: 4, address: '192.0.2.10' });
    expect(String(answer.origin.sessionId)).toBe('3900000000000042');
    expect(answer.name).toBe('hotline');
    expect(answer.connection).toEqual({ version: 4, ip: '192.0.2.10' });
    expect(answer.timing).toEqual({ start: 0, stop: 0 });
    expect(answer.media).toHaveLength(1);
    const audio = answer.media[0]!;
    expect(audio).toMatchObject({ type: 'audio', port: 40000, protocol: 'RTP/AVP', payloads: '8 101', ptime: 20, direction: 'sendrecv' });
    expect(audio.rtp).toEqual([
      { payload: 8, codec: 'PCMA', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(audio.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
    expect(localSdp).toMatch(/^v=0\r\no=hotline 3900000000000042 7 IN IP4 192\.0\.2\.10\r\ns=hotline\r\n/);
    expect(localSdp.endsWith('\r\n')).toBe(true);
    expect(media).toEqual({
      codec: 'PCMA',
      payloadType: 8,
      dtmfPayloadType: 101,
      ptime: 20,
      remoteAddress: '127.0.0.1',
      remotePort: 6000,
      remoteRtcpPort: 6001,
      remoteRtcpAddress: '127.0.0.1',
      direction: 'sendrecv',
      onHold: false,
    });
  });

  it('takes baresip\'s first codec (PCMU), or PCMA when we only allow PCMA', () => {
    const first = answerOffer(BARESIP, LOCAL, session());
    expect(first.media).toMatchObject({ codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, remotePort: 30006 });
    expect(parse(first.localSdp).media[0]).toMatchObject({ payloads: '0 101', ptime: 20 });
    expect(first.localSdp).toContain('a=rtpmap:0 PCMU/8000\r\n');
    expect(first.localSdp).not.toContain('rtcp-mux');

    const alawOnly = answerOffer(BARESIP, LOCAL, session(), { codecs: ['PCMA'] });
    expect(alawOnly.media).toMatchObject({ codec: 'PCMA', payloadType: 8 });
    expect(parse(alawOnly.localSdp).media[0]?.payloads).toBe('8 101');
  });

  it('skips opus/speex/G.729 in a Linphone offer and picks telephone-event/8000, not /48000', () => {
    const { localSdp, media } = answerOffer(LINPHONE, LOCAL, session());
    expect(media).toMatchObject({ codec: 'PCMU', payloadType: 0, dtmfPayloadType: 100, remoteAddress: '198.51.100.7', remotePort: 7078 });
    const audio = parse(localSdp).media[0]!;
    expect(audio.payloads).toBe('0 100');
    expect(audio.fmtp).toEqual([{ payload: 100, config: '0-16' }]);
  });

  it('answers an IPv6 offer from an IPv6 address with IN IP6', () => {
    const offer = sdp('v=0', 'o=- 5 5 IN IP6 ::1', 's=-', 'c=IN IP6 ::1', 't=0 0', 'm=audio 6002 RTP/AVP 0', 'a=sendrecv');
    const { localSdp, media } = answerOffer(offer, { address: '2001:db8::10', port: 40002 }, session());
    expect(localSdp).toContain('o=hotline 3900000000000042 7 IN IP6 2001:db8::10\r\n');
    expect(parse(localSdp).connection).toEqual({ version: 6, ip: '2001:db8::10' });
    expect(media).toMatchObject({ codec: 'PCMU', dtmfPayloadType: null, remoteAddress: '::1', remoteRtcpAddress: '::1', remoteRtcpPort: 6003 });
    expect(String(parse(localSdp).media[0]?.payloads)).toBe('0');
  });

  it('refuses video and a second audio stream with port 0, keeping m= lines in order (RFC 3264 §6)', () => {
    const offer = sdp(
      'v=0', 'o=- 9 9 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0',
      'm=video 9078 RTP/AVP 96 97', 'a=rtpmap:96 H264/90000', 'a=rtpmap:97 VP8/90000',
      'm=audio 9000 RTP/AVP 8 0', 'a=rtpmap:8 PCMA/8000',
      'm=audio 9002 RTP/AVP 0',
      'm=application 9004 UDP/BFCP *',
    );
    const { localSdp, media } = answerOffer(offer, LOCAL, session());
    const lines = parse(localSdp).media.map((m) => `${m.type} ${m.port} ${m.protocol} ${m.payloads ?? ''}`);
    expect(lines).toEqual(['video 0 RTP/AVP 96 97', 'audio 40000 RTP/AVP 8', 'audio 0 RTP/AVP 0', 'application 0 UDP/BFCP *']);
    expect(media).toMatchObject({ codec: 'PCMA', remotePort: 9000, dtmfPayloadType: null });
  });

  it('a=sendonly offer (hold): we answer recvonly and report onHold', () => {
    const { localSdp, media } = answerOffer(pcmuOffer('a=sendonly'), LOCAL, session());
    expect(parse(localSdp).media[0]?.direction).toBe('recvonly');
    expect(media).toMatchObject({ direction: 'recvonly', onHold: true });
  });

  it('a=inactive offer: we answer inactive and report onHold', () => {
    const { localSdp, media } = answerOffer(pcmuOffer('a=inactive'), LOCAL, session());
    expect(parse(localSdp).media[0]?.direction).toBe('inactive');
    expect(media).toMatchObject({ direction: 'inactive', onHold: true });
  });

  it('session-level a=sendonly applies to the audio stream (RFC 4566 §6)', () => {
    const offer = sdp('v=0', 'o=- 1 2 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'a=sendonly', 'm=audio 5004 RTP/AVP 0');
    expect(answerOffer(offer, LOCAL, session()).media).toMatchObject({ direction: 'recvonly', onHold: true });
  });

  it('c=0.0.0.0 (RFC 2543 hold): we do not send, and report onHold', () => {
    const offer = sdp('v=0', 'o=- 1 2 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0', 'm=audio 5004 RTP/AVP 0');
    const { localSdp, media } = answerOffer(offer, LOCAL, session());
    expect(parse(localSdp).media[0]?.direction).toBe('recvonly');
    expect(media).toMatchObject({ remoteAddress: '0.0.0.0', direction: 'recvonly', onHold: true });
  });

  it('a=recvonly offer: we may only send, the peer did not put us on hold', () => {
    const { localSdp, media } = answerOffer(pcmuOffer('a=recvonly'), LOCAL, session());
    expect(parse(localSdp).media[0]?.direction).toBe('sendonly');
    expect(media).toMatchObject({ direction: 'sendonly', onHold: false });
  });

  it('intersects the offer with our own direction (we hold the peer)', () => {
    expect(answerOffer(pcmuOffer('a=sendrecv'), LOCAL, session(), { localDirection: 'sendonly' }).media.direction).toBe('sendonly');
    const both = answerOffer(pcmuOffer('a=sendonly'), LOCAL, session(), { localDirection: 'sendonly' });
    expect(both.media.direction).toBe('inactive');
    expect(parse(both.localSdp).media[0]?.direction).toBe('inactive');
  });

  it('uses the peer\'s ptime 30, our ptime when they give none, and 20 for odd values', () => {
    const p30 = answerOffer(pcmuOffer('a=ptime:30'), LOCAL, session(), { ptime: 40 });
    expect(p30.media.ptime).toBe(30);
    expect(parse(p30.localSdp).media[0]?.ptime).toBe(30);
    const none = answerOffer(pcmuOffer(), LOCAL, session(), { ptime: 40 });
    expect(none.media.ptime).toBe(40);
    expect(none.localSdp).toContain('a=ptime:40\r\n');
    expect(answerOffer(pcmuOffer('a=ptime:25'), LOCAL, session()).media.ptime).toBe(20);
    expect(answerOffer(pcmuOffer('a=ptime:120'), LOCAL, session()).media.ptime).toBe(20);
  });

  it('recognises PCMA on a dynamic payload type (case-insensitive) and answers with that number', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/AVP 96 97', 'a=rtpmap:96 pcma/8000', 'a=rtpmap:97 Telephone-Event/8000', 'a=fmtp:97 0-15');
    const { localSdp, media } = answerOffer(offer, LOCAL, session());
    expect(media).toMatchObject({ codec: 'PCMA', payloadType: 96, dtmfPayloadType: 97 });
    const audio = parse(localSdp).media[0]!;
    expect(audio.payloads).toBe('96 97');
    expect(audio.rtp).toContainEqual({ payload: 96, codec: 'PCMA', rate: 8000 });
  });

  it('accepts static PT 0 without rtpmap, and telephone-event without fmtp (RFC 4733: 0-15)', () => {
    expect(answerOffer(pcmuOffer(), LOCAL, session()).media).toMatchObject({ codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  });

  it('ignores a telephone-event that cannot carry keypad digits (fmtp 16 only)', () => {
    const { localSdp, media } = answerOffer(pcmuOffer('a=fmtp:101 16'), LOCAL, session());
    expect(media.dtmfPayloadType).toBeNull();
    expect(String(parse(localSdp).media[0]?.payloads)).toBe('0');
    expect(localSdp).not.toContain('telephone-event');
  });

  it('reads a=rtcp with port and address (RFC 3605)', () => {
    const { media } = answerOffer(pcmuOffer('a=rtcp:53020 IN IP4 198.51.100.99'), LOCAL, session());
    expect(media).toMatchObject({ remotePort: 5004, remoteRtcpPort: 53020, remoteRtcpAddress: '198.51.100.99' });
    expect(answerOffer(pcmuOffer('a=rtcp:6000'), LOCAL, session()).media).toMatchObject({ remoteRtcpPort: 6000, remoteRtcpAddress: '203.0.113.5' });
  });

  it('prefers media-level c= over the session-level one', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/AVP 8', 'c=IN IP4 198.51.100.20');
    expect(answerOffer(offer, LOCAL, session()).media.remoteAddress).toBe('198.51.100.20');
  });

  it('accepts LF-only line endings', () => {
    expect(answerOffer(SIPP_UAC_PCAP.replace(/\r\n/g, '\n'), LOCAL, session()).media.codec).toBe('PCMA');
  });

  it('answers an RTP/AVPF offer in RTP/AVPF (RFC 4585: no feedback sent, still compatible)', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/AVPF 0', 'a=rtcp-fb:* trr-int 1000');
    expect(parse(answerOffer(offer, LOCAL, session()).localSdp).media[0]).toMatchObject({ port: 40000, protocol: 'RTP/AVPF' });
  });

  it('rejects SRTP (RTP/SAVP) and DTLS-SRTP offers: encryption is not supported', () => {
    const savp = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/SAVP 0 8', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32');
    expect(mediaError(() => answerOffer(savp, LOCAL, session()), 'MEDIA_SDP_NO_COMMON_CODEC').message).toMatch(/RTP\/SAVP: encryption .*not supported/);
    const dtls = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111 0', 'a=rtpmap:111 opus/48000/2', 'a=setup:actpass');
    expect(mediaError(() => answerOffer(dtls, LOCAL, session()), 'MEDIA_SDP_NO_COMMON_CODEC').message).toMatch(/encryption/);
  });

  it('takes the plain RTP/AVP stream when SRTP is offered beside it', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/SAVP 0', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', 'm=audio 5006 RTP/AVP 0');
    const { localSdp, media } = answerOffer(offer, LOCAL, session());
    expect(parse(localSdp).media.map((m) => `${m.port} ${m.protocol}`)).toEqual(['0 RTP/SAVP', '40000 RTP/AVP']);
    expect(media.remotePort).toBe(5006);
  });

  it('rejects an offer with no G.711, naming the offered formats', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 5004 RTP/AVP 9 3 96', 'a=rtpmap:96 opus/48000/2');
    const err = mediaError(() => answerOffer(offer, LOCAL, session()), 'MEDIA_SDP_NO_COMMON_CODEC');
    expect(err.message).toContain('9 G722/8000, 3 GSM/8000, 96 opus/48000/2');
  });

  it('rejects a PCMU-only offer when we only allow PCMA', () => {
    expect(mediaError(() => answerOffer(pcmuOffer(), LOCAL, session(), { codecs: ['PCMA'] }), 'MEDIA_SDP_NO_COMMON_CODEC').message).toContain('0 PCMU/8000');
  });

  it('rejects an offer whose audio stream has port 0, listing its formats', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 0 RTP/AVP 0 8');
    expect(mediaError(() => answerOffer(offer, LOCAL, session()), 'MEDIA_SDP_NO_COMMON_CODEC').message).toMatch(/port 0.*0 PCMU\/8000, 8 PCMA\/8000/);
  });

  it('rejects a video-only offer as not acceptable (488), not as malformed', () => {
    const offer = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=video 5004 RTP/AVP 96', 'a=rtpmap:96 H264/90000');
    expect(mediaError(() => answerOffer(offer, LOCAL, session()), 'MEDIA_SDP_NO_COMMON_CODEC').message).toContain('no audio stream (m=video)');
  });

  it('rejects garbage and malformed SDP with MEDIA_SDP_INVALID, saying what is wrong', () => {
    expect(mediaError(() => answerOffer('hello, this is not SDP', LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('first line is "hello, this is not SDP"');
    expect(mediaError(() => answerOffer('', LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('expected "v=0"');
    expect(mediaError(() => answerOffer(sdp('v=0', 's=-', 'm=audio 5004 RTP/AVP 0'), LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('o=');
    const noC = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 't=0 0', 'm=audio 5004 RTP/AVP 0');
    expect(mediaError(() => answerOffer(noC, LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('no c= line');
    const badC = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 pbx.example.com', 't=0 0', 'm=audio 5004 RTP/AVP 0');
    expect(mediaError(() => answerOffer(badC, LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('"pbx.example.com" is not an IPv4 address');
    const badPort = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio 70000 RTP/AVP 0');
    expect(mediaError(() => answerOffer(badPort, LOCAL, session()), 'MEDIA_SDP_INVALID').message).toContain('m= line 1 is malformed');
    const noPort = sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.5', 's=-', 'c=IN IP4 203.0.113.5', 't=0 0', 'm=audio RTP/AVP 0');
    mediaError(() => answerOffer(noPort, LOCAL, session()), 'MEDIA_SDP_INVALID');
  });

  it('refuses bad local arguments', () => {
    mediaError(() => answerOffer(BARESIP, { address: '192.0.2.10', port: 40001 }, session()), 'MEDIA_BAD_ARGUMENT');
    mediaError(() => answerOffer(BARESIP, { address: 'localhost', port: 40000 }, session()), 'MEDIA_BAD_ARGUMENT');
    mediaError(() => answerOffer(BARESIP, LOCAL, session(), { codecs: [] }), 'MEDIA_BAD_ARGUMENT');
  });
});

describe('createOffer', () => {
  it('offers PCMU 0, PCMA 8 and telephone-event 101 with ptime 20, sendrecv', () => {
    const offer = createOffer(LOCAL, session());
    const parsed = parse(offer);
    expect(parsed.origin).toMatchObject({ username: 'hotline', sessionVersion: 7, address: '192.0.2.10' });
    expect(parsed.connection).toEqual({ version: 4, ip: '192.0.2.10' });
    expect(parsed.media).toHaveLength(1);
    expect(parsed.media[0]).toMatchObject({ type: 'audio', port: 40000, protocol: 'RTP/AVP', payloads: '0 8 101', ptime: 20, direction: 'sendrecv' });
    expect(parsed.media[0]?.rtp).toEqual([
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 8, codec: 'PCMA', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(parsed.media[0]?.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
  });

  it('honours codec order, DTMF payload type, ptime and direction', () => {
    const m = parse(createOffer({ address: '2001:db8::10', port: 40010 }, session(), { codecs: ['PCMA', 'PCMU'], dtmfPayloadType: 96, ptime: 30, direction: 'sendonly' })).media[0]!;
    expect(m).toMatchObject({ payloads: '8 0 96', ptime: 30, direction: 'sendonly', port: 40010 });
    expect(m.fmtp).toEqual([{ payload: 96, config: '0-16' }]);
    expect(parse(createOffer(LOCAL, session(), { dtmfPayloadType: null })).media[0]?.payloads).toBe('0 8');
  });

  it('refuses a static number for telephone-event and an odd ptime', () => {
    mediaError(() => createOffer(LOCAL, session(), { dtmfPayloadType: 8 }), 'MEDIA_BAD_ARGUMENT');
    mediaError(() => createOffer(LOCAL, session(), { ptime: 25 }), 'MEDIA_BAD_ARGUMENT');
  });
});

describe('applyAnswer', () => {
  const ours = createOffer(LOCAL, session());

  it('reads a PCMA recvonly answer to our offer: we may only send', () => {
    const answer = sdp('v=0', 'o=- 77 78 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 16000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=recvonly');
    expect(applyAnswer(ours, answer)).toEqual({
      codec: 'PCMA',
      payloadType: 8,
      dtmfPayloadType: 101,
      ptime: 20,
      remoteAddress: '198.51.100.30',
      remotePort: 16000,
      remoteRtcpPort: 16001,
      remoteRtcpAddress: '198.51.100.30',
      direction: 'sendonly',
      onHold: false,
    });
  });

  it('an inactive or sendonly answer to our sendrecv offer puts us on hold', () => {
    const base = ['v=0', 'o=- 77 78 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 16000 RTP/AVP 0'];
    expect(applyAnswer(ours, sdp(...base, 'a=inactive'))).toMatchObject({ direction: 'inactive', onHold: true, dtmfPayloadType: null });
    expect(applyAnswer(ours, sdp(...base, 'a=sendonly'))).toMatchObject({ direction: 'recvonly', onHold: true });
  });

  it('an answer to our sendonly (hold) offer is not the peer holding us', () => {
    const hold = createOffer(LOCAL, session(), { direction: 'sendonly' });
    const answer = sdp('v=0', 'o=- 77 78 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 16000 RTP/AVP 0', 'a=recvonly');
    expect(applyAnswer(hold, answer)).toMatchObject({ direction: 'sendonly', onHold: false });
    const mute = createOffer(LOCAL, session(), { direction: 'inactive' });
    expect(applyAnswer(mute, answer.replace('a=recvonly', 'a=inactive'))).toMatchObject({ direction: 'inactive', onHold: false });
  });

  it('rejects an answer with a codec we did not offer, a refused stream, or the wrong m= count', () => {
    const alawOnly = createOffer(LOCAL, session(), { codecs: ['PCMA'] });
    const pcmu = sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 16000 RTP/AVP 0');
    expect(mediaError(() => applyAnswer(alawOnly, pcmu), 'MEDIA_SDP_NO_COMMON_CODEC').message).toContain('0 PCMU/8000');
    const refused = sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 0 RTP/AVP 0');
    expect(mediaError(() => applyAnswer(ours, refused), 'MEDIA_SDP_NO_COMMON_CODEC').message).toContain('port 0');
    const two = sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 16000 RTP/AVP 0', 'm=video 0 RTP/AVP 96');
    expect(mediaError(() => applyAnswer(ours, two), 'MEDIA_SDP_INVALID').message).toContain('2 m= lines');
  });

  it('round trip: our offer, answered by answerOffer, applied back', () => {
    const offer = createOffer(LOCAL, session(), { codecs: ['PCMA', 'PCMU'], dtmfPayloadType: 110 });
    const { localSdp, media: theirs } = answerOffer(offer, { address: '198.51.100.40', port: 41000 }, createSdpSession(), { localDirection: 'recvonly' });
    expect(theirs).toMatchObject({ codec: 'PCMA', dtmfPayloadType: 110, remotePort: 40000, direction: 'recvonly' });
    expect(applyAnswer(offer, localSdp)).toMatchObject({ codec: 'PCMA', payloadType: 8, dtmfPayloadType: 110, remoteAddress: '198.51.100.40', remotePort: 41000, direction: 'sendonly', onHold: false });
  });
});

describe('SDP session versioning', () => {
  it('creates distinct numeric session ids starting at version 1', () => {
    const a = createSdpSession(Date.UTC(2026, 0, 1));
    const b = createSdpSession(Date.UTC(2026, 0, 1));
    expect(a.sessionId).toMatch(/^\d+$/);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(a.version).toBe(1);
  });

  it('writes the version as given; bumpVersion increments it for changed content', () => {
    const s = createSdpSession();
    expect(parse(createOffer(LOCAL, s)).origin.sessionVersion).toBe(1);
    expect(parse(createOffer(LOCAL, s)).origin.sessionVersion).toBe(1);
    expect(bumpVersion(s)).toBe(s);
    const again = createOffer(LOCAL, s, { direction: 'sendonly' });
    expect(parse(again).origin.sessionVersion).toBe(2);
    expect(again).toContain(`o=hotline ${s.sessionId} 2 IN IP4`);
  });
});
