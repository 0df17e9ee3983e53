/**
 * Carries out the ACD's offers: ring the operator's registered softphone from
 * a new endpoint on the caller's media worker (so the two can be bridged),
 * CANCEL when the ACD withdraws the offer (ring timeout, the caller hung up,
 * answered elsewhere in ring-all), report refusals (486/603/480...) as a
 * rejected offer so the caller keeps their place, and on 200 OK accept the
 * reservation and hand the leg to the caller's queue wait.
 */
import type { Logger } from 'pino';
import { linkedSignal } from '../abort.ts';
import type { AcdEvent } from '../acd/types.ts';
import { AcdError } from '../acd/errors.ts';
import type { MediaServer } from '../media/media-server.ts';
import { SipError } from '../sip/errors.ts';
import type { SipServer } from '../sip/server.ts';
import type { AcdHost } from './acd-host.ts';
import type { CallSession } from './call-session.ts';

type Offer = Extract<AcdEvent, { type: 'offer' }>;

export class OperatorDialer {
  private readonly ringing = new Map<string, AbortController>();

  constructor(
    private readonly deps: { acd: AcdHost; sip: SipServer; media: MediaServer; log: Logger },
  ) {}

  get ringingCount(): number {
    return this.ringing.size;
  }

  /** The ACD withdrew or timed out an offer: stop ringing (CANCEL). */
  stop(reservationId: string, reason: 'timeout' | 'cancelled'): void {
    this.ringing.get(reservationId)?.abort(reason);
  }

  stopAll(): void {
    for (const c of this.ringing.values()) c.abort();
  }

  ring(offer: Offer, session: CallSession): void {
    // After the ACD command that made the offer has returned: the caller's `queued` comes first.
    void Promise.resolve()
      .then(() => this.dial(offer, session))
      .catch((err: unknown) => {
        session.log.error({ err, agentId: offer.agentId }, 'offering the call to the operator failed');
        this.rejectIfLive(offer.reservationId);
      });
  }

  private async dial(offer: Offer, session: CallSession): Promise<void> {
    const { acd, sip, media } = this.deps;
    const rec = session.record;
    const at = new Date().toISOString();
    rec.offeredAt ??= at;
    const targets = sip.locateUser(offer.agentId);
    const target = targets[0];
    session.event('offer', { agentId: offer.agentId, queue: offer.queueId, registered: target !== undefined });
    if (target === undefined) {
      // Logged in but no softphone registered: a missed offer (max-no-answer will set them Not ready).
      session.log.warn({ agentId: offer.agentId }, 'operator has no registered softphone');
      rec.offers.push({ agentId: offer.agentId, at, outcome: 'unreachable' });
      this.rejectIfLive(offer.reservationId);
      return;
    }
    const ctrl = new AbortController();
    this.ringing.set(offer.reservationId, ctrl);
    const linked = linkedSignal([ctrl.signal, session.signal]);
    const signal = linked.signal;
    let endpoint;
    try {
      endpoint = await media.createEndpoint({ near: session.endpoint, signal });
    } catch (err) {
      this.ringing.delete(offer.reservationId);
      linked.dispose();
      if (!signal.aborted) {
        session.log.error({ err }, 'no media endpoint for the operator leg');
        this.rejectIfLive(offer.reservationId);
      }
      return;
    }
    let dialog;
    try {
      dialog = await sip.createUAC(target.uri, {
        localSdp: endpoint.localSdp,
        destination: target.destination,
        signal,
        // The operator's phone shows the caller's number.
        from: `sip:${encodeURIComponent(session.caller)}@${sip.addresses[0]?.address ?? 'hotline.invalid'}`,
        headers: [['X-Hotline-Queue', offer.queueId]],
      });
    } catch (err) {
      this.ringing.delete(offer.reservationId);
      linked.dispose();
      await endpoint.destroy('not answered').catch(() => undefined);
      const status = err instanceof SipError ? err.status : undefined;
      if (signal.aborted) {
        // The ACD already knows (timeout → offer-missed, or it withdrew the offer).
        rec.offers.push({ agentId: offer.agentId, at, outcome: ctrl.signal.reason === 'timeout' ? 'no-answer' : 'cancelled' });
        return;
      }
      session.log.info({ agentId: offer.agentId, status }, 'operator did not take the call');
      rec.offers.push({ agentId: offer.agentId, at, outcome: 'rejected', ...(status !== undefined ? { status } : {}) });
      this.rejectIfLive(offer.reservationId);
      return;
    }
    this.ringing.delete(offer.reservationId);
    linked.dispose();
    if (signal.aborted || session.state === 'ended') {
      // Answered in the same instant the offer was withdrawn: hang the operator up again.
      await Promise.allSettled([dialog.destroy('offer withdrawn'), endpoint.destroy('offer withdrawn')]);
      return;
    }
    try {
      await endpoint.modify(dialog.remote.sdp);
    } catch (err) {
      session.log.warn({ err, agentId: offer.agentId }, "operator's answer SDP is not usable");
      await Promise.allSettled([dialog.destroy('bad SDP'), endpoint.destroy('bad SDP')]);
      rec.offers.push({ agentId: offer.agentId, at, outcome: 'rejected', status: 488 });
      this.rejectIfLive(offer.reservationId);
      return;
    }
    let events: AcdEvent[];
    try {
      events = acd.run((a) => a.accept(offer.reservationId));
    } catch (err) {
      if (!(err instanceof AcdError)) throw err;
      await Promise.allSettled([dialog.destroy('offer no longer valid'), endpoint.destroy('offer no longer valid')]);
      return;
    }
    rec.offers.push({ agentId: offer.agentId, at, outcome: 'answered', status: 200 });
    const connected = events.find((e) => e.type === 'contact-connected');
    const waitMs = connected !== undefined && connected.type === 'contact-connected' ? connected.waitMs : 0;
    const wait = session.queueWait;
    if (wait === null) {
      await Promise.allSettled([dialog.destroy('caller gone'), endpoint.destroy('caller gone')]);
      if (acd.acd.hasContact(offer.contactId)) acd.run((a) => a.complete(offer.contactId));
      return;
    }
    wait.connected({ agentId: offer.agentId, reservationId: offer.reservationId, dialog, endpoint, waitMs });
  }

  private rejectIfLive(reservationId: string): void {
    try {
      this.deps.acd.run((a) => a.reject(reservationId));
    } catch (err) {
      if (!(err instanceof AcdError)) throw err; // already withdrawn or timed out
    }
  }
}
