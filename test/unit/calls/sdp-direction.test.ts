import { describe, expect, it } from 'vitest';
import { isHoldSdp } from '../../../src/calls/sdp-direction.ts';

/** A re-INVITE offer from a phone, with CRLF line ends as on the wire. */
function offer({ c = '192.0.2.10', direction = 'a=sendrecv' }: { c?: string; direction?: string } = {}): string {
  return ['v=0', 'o=- 1 2 IN IP4 192.0.2.10', 's=-', `c=IN IP4 ${c}`, 't=0 0', 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', direction, ''].join('\r\n');
}

describe('isHoldSdp', () => {
  it('sees hold in a=sendonly and a=inactive (RFC 3264 §8.4)', () => {
    expect(isHoldSdp(offer({ direction: 'a=sendonly' }))).toBe(true);
    expect(isHoldSdp(offer({ direction: 'a=inactive' }))).toBe(true);
  });

  it('sees hold in the old c=0.0.0.0 form (RFC 2543)', () => {
    expect(isHoldSdp(offer({ c: '0.0.0.0' }))).toBe(true);
  });

  it('sees hold with LF-only line ends as well', () => {
    expect(isHoldSdp(offer({ direction: 'a=sendonly' }).replace(/\r\n/g, '\n'))).toBe(true);
  });

  it('does not take a normal or resumed call for hold', () => {
    expect(isHoldSdp(offer())).toBe(false);
    expect(isHoldSdp(offer({ direction: '' }))).toBe(false); // no attribute: sendrecv
  });

  it('does not take recvonly for hold (the phone only stops sending)', () => {
    expect(isHoldSdp(offer({ direction: 'a=recvonly' }))).toBe(false);
  });

  it('does not take an address that merely starts with 0 for hold', () => {
    expect(isHoldSdp(offer({ c: '0.0.0.01' }))).toBe(false);
    expect(isHoldSdp(offer({ c: '10.0.0.0' }))).toBe(false);
  });
});

describe('isHoldSdp looks at the audio stream only', () => {
  const sdp = (...lines: string[]): string => ['v=0', 'o=- 1 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', ...lines, ''].join('\r\n');
  it('an inactive video stream does not put the audio on hold', () => {
    expect(isHoldSdp(sdp('m=audio 4000 RTP/AVP 0', 'a=sendrecv', 'm=video 4002 RTP/AVP 96', 'a=inactive'))).toBe(false);
  });
  it('the audio line direction overrides the session-level one', () => {
    expect(isHoldSdp(sdp('a=sendonly', 'm=audio 4000 RTP/AVP 0', 'a=sendrecv'))).toBe(false);
    expect(isHoldSdp(sdp('a=sendonly', 'm=audio 4000 RTP/AVP 0'))).toBe(true);
  });
});
