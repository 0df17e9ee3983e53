/**
 * Is this offer putting the call on hold? RFC 3264 §8.4: a=sendonly or
 * a=inactive (on the session or the audio stream), or the RFC 2543 style
 * c=0.0.0.0 that older phones still send.
 */
export function isHoldSdp(sdp: string): boolean {
  return /^a=(sendonly|inactive)\s*$/m.test(sdp) || /^c=IN IP4 0\.0\.0\.0\s*$/m.test(sdp);
}
