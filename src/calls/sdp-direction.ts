/**
 * Is this offer putting the call on hold? RFC 3264 §8.4: the audio stream is
 * a=sendonly or a=inactive, or it carries the RFC 2543 style c=0.0.0.0 that
 * older phones still send. Only the audio m= section counts (a softphone may
 * keep its video inactive while talking), and its own attributes override the
 * session-level ones (RFC 4566 §6).
 */
export function isHoldSdp(sdp: string): boolean {
  const lines = sdp.split(/\r?\n/);
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  const session = firstMedia === -1 ? lines : lines.slice(0, firstMedia);
  const audioStart = lines.findIndex((l) => l.startsWith('m=audio'));
  const audio: string[] = [];
  if (audioStart !== -1) {
    for (let i = audioStart + 1; i < lines.length && !(lines[i] ?? '').startsWith('m='); i++) audio.push(lines[i] as string);
  }
  const direction = directionOf(audio) ?? directionOf(session) ?? 'sendrecv';
  const connection = connectionOf(audio) ?? connectionOf(session);
  return direction === 'sendonly' || direction === 'inactive' || connection === '0.0.0.0';
}

function directionOf(lines: string[]): string | undefined {
  for (const l of lines) {
    const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(l);
    if (m !== null) return m[1];
  }
  return undefined;
}

function connectionOf(lines: string[]): string | undefined {
  for (const l of lines) {
    const m = /^c=IN IP[46] (\S+)/.exec(l);
    if (m !== null) return m[1];
  }
  return undefined;
}
