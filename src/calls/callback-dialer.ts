/**
 * Callbacks the ACD hands to an operator: the caller left a number and kept
 * their place in line; when their turn comes the operator's phone rings first
 * (so no subscriber waits for a busy operator), and on answer hotline dials the
 * subscriber and bridges the two. Refusal or no answer by the operator is a
 * missed offer like any other; an unreachable subscriber completes the
 * callback (one attempt) and is logged.
 */
import { linkedSignal } from '../abort.ts';
import type { AcdEvent } from '../acd/types.ts';
import { AcdError } from '../acd/errors.ts';
import type { Endpoint } from '../media/media-server.ts';
import type { Dialog } from '../sip/dialog/dialog.ts';
import type { CallServices } from './services.ts';

type Offer = Extract<AcdEvent, { type: 'offer' }>;

export class CallbackDialer {
  private readonly ringing = new Map<string, AbortController>();

  constructor(private readonly services: CallServices & { targetUri(target: string): string }) {}

  offer(offer: Offer): void {
    void this.run(offer).catch((err: unknown) => this.services.log.error({ err, contactId: offer.contactId }, 'callback failed'));
  }

  stop(reservationId: string): void {
    this.ringing.get(reservationId)?.abort();
  }

  stopAll(): void {
    for (const c of this.ringing.values()) c.abort();
  }

  private async run(offer: Offer): Promise<void> {
    const { acd, sip, media, log } = this.services;
    const contact = acd.acd.contactView(offer.contactId);
    const number = acd.acd.contactCallbackNumber(offer.contactId);
    const target = sip.locateUser(offer.agentId)[0];
    // A contact the calls layer did not create (placed by the API or a test) is not ours to carry out.
    if (contact === undefined || contact.kind !== 'callback' || number === undefined) return;
    if (target === undefined) {
      // The operator has no registered softphone: the offer is missed.
      this.reject(offer.reservationId);
      return;
    }
    const ctrl = new AbortController();
    this.ringing.set(offer.reservationId, ctrl);
    let opEndpoint: Endpoint | undefined;
    let operator: Dialog;
    try {
      opEndpoint = await media.createEndpoint({ signal: ctrl.signal });
      operator = await sip.createUAC(target.uri, { localSdp: opEndpoint.localSdp, destination: target.destination, signal: ctrl.signal, headers: [['X-Hotline-Callback', number]] });
      await opEndpoint.modify(operator.remote.sdp);
    } catch {
      this.ringing.delete(offer.reservationId);
      await opEndpoint?.destroy('not answered').catch(() => undefined);
      if (!ctrl.signal.aborted) this.reject(offer.reservationId);
      return;
    }
    this.ringing.delete(offer.reservationId);
    try {
      acd.run((a) => a.accept(offer.reservationId));
    } catch {
      await Promise.allSettled([operator.destroy('offer withdrawn'), opEndpoint.destroy('offer withdrawn')]);
      return;
    }
    log.info({ contactId: offer.contactId, agentId: offer.agentId, number }, 'callback: operator answered, calling the subscriber');
    const operatorGone = new AbortController();
    operator.on('destroy', () => operatorGone.abort());
    const ringback = new AbortController();
    void opEndpoint.play({ files: ['tone:ringback'], loop: true }, { signal: linkedSignal([ringback.signal, operatorGone.signal]).signal }).catch(() => undefined);
    let subEndpoint: Endpoint | undefined;
    try {
      subEndpoint = await media.createEndpoint({ near: opEndpoint, signal: operatorGone.signal });
      const subscriber = await sip.createUAC(this.services.targetUri(number), { localSdp: subEndpoint.localSdp, signal: linkedSignal([operatorGone.signal], 40_000).signal });
      ringback.abort();
      await subEndpoint.modify(subscriber.remote.sdp);
      await opEndpoint.bridge(subEndpoint);
      await new Promise<void>((resolve) => {
        subscriber.on('destroy', () => resolve());
        operator.on('destroy', () => resolve());
      });
      await subscriber.destroy('callback ended');
    } catch (err) {
      log.info({ contactId: offer.contactId, number, err: err instanceof Error ? err.message : String(err) }, 'callback: subscriber not reached');
    } finally {
      ringback.abort();
      await Promise.allSettled([operator.destroy('callback ended'), opEndpoint.destroy('callback ended'), subEndpoint?.destroy('callback ended')]);
      if (acd.acd.hasContact(offer.contactId)) acd.run((a) => a.complete(offer.contactId));
      this.services.emit({ callId: offer.contactId, type: 'callback-done', at: Date.now(), agentId: offer.agentId, number });
    }
  }

  private reject(reservationId: string): void {
    try {
      this.services.acd.run((a) => a.reject(reservationId));
    } catch (err) {
      if (!(err instanceof AcdError)) throw err;
    }
  }
}
