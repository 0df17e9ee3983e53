/**
 * Send a caller to an outside number or SIP URI (a transfer node, or an
 * operator's blind transfer out of the contact center): dial it from a new
 * endpoint on the caller's media worker, bridge on answer, and tie the two
 * legs' ends together. The caller hears ringback meanwhile.
 */
import { linkedSignal } from '../abort.ts';
import { SipError } from '../sip/errors.ts';
import type { CallSession } from './call-session.ts';
import type { TransferStep } from './cdr.ts';

export async function bridgeToExternal(session: CallSession, uri: string, timeoutMs: number, meta: { by: TransferStep['by']; agentId?: string }): Promise<boolean> {
  const s = session;
  const { media, sip } = s.services;
  const linked = linkedSignal([s.signal], timeoutMs);
  const signal = linked.signal;
  const endpoint = await media.createEndpoint({ near: s.endpoint, signal }).catch(() => null);
  if (endpoint === null) return false;
  const startedAt = new Date().toISOString();
  const ringback = new AbortController();
  void s.endpoint.play({ files: ['tone:ringback'], loop: true }, { signal: ringback.signal }).catch(() => undefined);
  s.event('transfer-dialling', { uri, by: meta.by });
  try {
    const dialog = await sip.createUAC(uri, { localSdp: endpoint.localSdp, signal, from: `sip:${encodeURIComponent(s.caller)}@${sip.addresses[0]?.address ?? 'hotline.invalid'}` });
    ringback.abort();
    linked.dispose();
    await endpoint.modify(dialog.remote.sdp);
    await s.endpoint.bridge(endpoint);
    s.state = 'external';
    s.record.disposition = s.record.agentId !== undefined ? s.record.disposition : 'transferred-out';
    s.record.legs.push({ role: 'transfer-target', callId: dialog.callId, uri, startedAt, answeredAt: new Date().toISOString(), status: 200 });
    s.event('transfer-answered', { uri });
    dialog.on('destroy', () => void s.hangup('transfer target hung up'));
    s.onEnd(async () => {
      const leg = s.record.legs.find((l) => l.callId === dialog.callId);
      if (leg !== undefined) leg.endedAt = new Date().toISOString();
      await Promise.allSettled([dialog.destroy('caller hung up'), endpoint.destroy('call ended')]);
    });
    return true;
  } catch (err) {
    ringback.abort();
    linked.dispose();
    await endpoint.destroy('transfer failed').catch(() => undefined);
    const status = err instanceof SipError ? err.status : undefined;
    s.record.legs.push({ role: 'transfer-target', callId: '', uri, startedAt, endedAt: new Date().toISOString(), ...(status !== undefined ? { status } : {}) });
    s.event('transfer-failed', { uri, status: status ?? null });
    if (s.signal.aborted) return false;
    s.log.info({ uri, status, err: err instanceof Error ? err.message : String(err) }, 'transfer target did not answer');
    return false;
  }
}
