/**
 * A caller waiting in an ACD queue: enqueue, hold music, periodic position and
 * wait-time announcements, a leave key; then the talk with the operator the
 * ACD picked (ConnectedCall), and back to waiting if the operator transfers the
 * caller to another queue. The wait is event-driven: the center wakes it with
 * the ACD's decisions (connected, timeout); nothing polls.
 */
import { linkedSignal } from '../abort.ts';
import type { ContactRequest } from '../acd/types.ts';
import { CallEndedError, type QueueOutcome, type QueueRequest } from '../ivr/context.ts';
import { minutesWord, numberPrompts } from '../ivr/speak.ts';
import { MediaError } from '../media/errors.ts';
import type { CallSession } from './call-session.ts';
import { ConnectedCall, type OperatorLeg } from './connected-call.ts';

type Wake = { type: 'connected'; leg: OperatorLeg } | { type: 'timeout' } | { type: 'left' };

export class QueueWait {
  /** The queue the contact is in now (overflow and transfers change it). */
  queue: string;
  private wake: ((w: Wake) => void) | null = null;
  private pendingWake: Wake | null = null;
  private inAcd = false;

  constructor(
    private readonly session: CallSession,
    private readonly req: QueueRequest,
    readonly contactId: string,
  ) {
    this.queue = req.queue;
  }

  async run(): Promise<QueueOutcome> {
    const s = this.session;
    const rec = s.record;
    s.withdrawPendingCallback();
    await s.play(this.req.prompts);
    s.services.bindContact(this.contactId, s);
    const request: ContactRequest = {
      id: this.contactId,
      queueId: this.req.queue,
      priority: this.req.priority,
      language: s.language,
      attributes: { caller: s.caller },
      ...(this.req.skills !== undefined ? { skills: this.req.skills } : {}),
    };
    const events = s.services.acd.run((acd) => acd.enqueue(request));
    if (events.some((e) => e.type === 'contact-refused')) {
      s.services.unbindContact(this.contactId);
      s.event('queue-full', { queue: this.queue });
      return 'full';
    }
    this.inAcd = true;
    rec.queue ??= this.req.queue;
    rec.queuedAt ??= new Date().toISOString();
    s.state = 'queued';
    s.event('queued', { queue: this.queue, contactId: this.contactId });
    // Keys typed during the entry prompts are dropped, except the leave key: a caller who
    // pressed * while hearing "press star for a callback" meant it.
    const leaveKey = this.req.leaveKey;
    const typedAhead: string[] = [];
    for (let d = s.digits.take(); d !== undefined; d = s.digits.take()) typedAhead.push(d);
    if (leaveKey !== undefined && typedAhead.includes(leaveKey)) {
      s.digits.push(leaveKey); // kept for the next node: the callback offer it answers
      this.notify({ type: 'left' });
    }
    const stopWatching = leaveKey === undefined ? () => false : s.digits.watch((d) => d === leaveKey && s.state === 'queued' && this.notify({ type: 'left' }));
    try {
      for (;;) {
        const hold = new AbortController();
        const music = this.holdLoop(hold.signal);
        let woke: Wake;
        try {
          woke = await this.nextWake();
        } finally {
          hold.abort();
          await music;
        }
        if (woke.type === 'timeout') {
          this.inAcd = false;
          s.leftContact = { queue: this.queue, enqueuedAt: this.enqueuedAt(rec.queuedAt), pendingContactId: null };
          rec.disposition = 'timeout';
          rec.waitMs = Date.now() - this.enqueuedAt(rec.queuedAt);
          s.event('queue-timeout', { queue: this.queue });
          return 'timeout';
        }
        if (woke.type === 'left') {
          // The place in line becomes a callback request at once (counted as one by the ACD's
          // statistics, not as an abandon); the flow's callback node confirms or withdraws it.
          const enqueuedAt = s.services.acd.acd.contactView(this.contactId)?.enqueuedAt ?? Date.now();
          s.services.acd.run((acd) => acd.requestCallback(this.contactId, s.caller));
          this.inAcd = false;
          s.leftContact = { queue: this.queue, enqueuedAt, pendingContactId: this.contactId };
          // The leave key stays in the digit buffer: "press star for a callback" is answered by that same press.
          s.event('queue-left', { queue: this.queue });
          return 'left';
        }
        const end = await new ConnectedCall(s, woke.leg, this).run();
        s.digits.clear();
        if (end === 'transferred-queue') {
          s.state = 'queued';
          continue;
        }
        this.inAcd = false;
        if (end === 'caller-hangup') throw new CallEndedError('caller hung up');
        return end === 'operator-hangup' ? 'after-call' : 'transferred-out';
      }
    } finally {
      stopWatching();
      s.services.unbindContact(this.contactId);
      if (this.inAcd && s.services.acd.acd.hasContact(this.contactId)) {
        // The caller hung up while waiting (or being offered): an abandon.
        const view = s.services.acd.acd.contactView(this.contactId);
        if (view !== undefined && view.state !== 'connected') {
          const ev = s.services.acd.run((acd) => acd.cancel(this.contactId)).find((e) => e.type === 'contact-abandoned');
          rec.disposition = 'abandoned';
          if (ev !== undefined && ev.type === 'contact-abandoned') rec.waitMs = ev.waitMs;
        }
      }
    }
  }

  // ─────────────── woken by the center (ACD decisions) and the dialer ───────────────

  /** The operator answered and the ACD connected them: talk. */
  connected(leg: OperatorLeg): void {
    if (!this.notify({ type: 'connected', leg })) {
      // Nobody waits any more (the caller hung up in the same instant): drop the operator leg.
      void leg.dialog.destroy('caller gone');
      void leg.endpoint.destroy('caller gone');
    }
  }

  /** The queue's max wait passed; the ACD already removed the contact. */
  timedOut(): void {
    this.notify({ type: 'timeout' });
  }

  private notify(w: Wake): boolean {
    if (this.session.state === 'ended') return false;
    if (this.wake !== null) {
      const fn = this.wake;
      this.wake = null;
      fn(w);
    } else this.pendingWake ??= w;
    return true;
  }

  private nextWake(): Promise<Wake> {
    const pending = this.pendingWake;
    if (pending !== null) {
      this.pendingWake = null;
      return Promise.resolve(pending);
    }
    const signal = this.session.signal;
    if (signal.aborted) return Promise.reject(new CallEndedError('caller hung up'));
    return new Promise<Wake>((resolve, reject) => {
      const onAbort = (): void => {
        this.wake = null;
        reject(new CallEndedError('caller hung up'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.wake = (w) => {
        signal.removeEventListener('abort', onAbort);
        resolve(w);
      };
    });
  }

  private enqueuedAt(queuedAt: string | undefined): number {
    const v = this.session.services.acd.acd.contactView(this.contactId);
    return v?.enqueuedAt ?? (queuedAt === undefined ? Date.now() : Date.parse(queuedAt));
  }

  /** Music, then every `announceEvery` seconds the position and the estimated wait, until stopped. */
  private async holdLoop(stop: AbortSignal): Promise<void> {
    const s = this.session;
    const music = s.services.prompts.resolve(this.req.music, s.language);
    const every = this.req.announceEverySeconds * 1000;
    try {
      for (let round = 0; !stop.aborted; round++) {
        if (every > 0 && round > 0) await this.announce(stop);
        if (stop.aborted) break;
        const segment = linkedSignal([stop], every > 0 ? every : undefined);
        s.event('music', { queue: this.queue });
        await s.endpoint.play({ files: [music], loop: true }, { signal: segment.signal }).catch(ignoreAbort).finally(segment.dispose);
      }
    } catch (err) {
      if (!stop.aborted && !s.signal.aborted) s.log.warn({ err }, 'hold music failed');
    }
  }

  private async announce(stop: AbortSignal): Promise<void> {
    const s = this.session;
    const acd = s.services.acd.acd;
    if (!acd.hasContact(this.contactId)) return;
    const prompts: string[] = [];
    const position = acd.position(this.contactId) + 1;
    const ewtMs = acd.estimateWaitMs(this.contactId);
    const minutes = ewtMs === null ? null : Math.max(1, Math.round(ewtMs / 60_000));
    if (this.req.announcePosition && position > 0) prompts.push('your-position', ...numberPrompts(position));
    if (this.req.announceWait && minutes !== null) prompts.push('estimated-wait', ...numberPrompts(minutes, s.language === 'ru' ? 'f' : 'm'), minutesWord(minutes, s.language));
    const all = [...prompts, ...this.req.thanksPrompts.map((p) => (typeof p === 'string' ? p : (p[s.language] ?? Object.values(p)[0] ?? '')))];
    if (all.length === 0) return;
    s.event('announcement', { queue: this.queue, position, ewtSeconds: ewtMs === null ? null : Math.round(ewtMs / 1000) });
    s.event('prompt', { prompts: all, language: s.language });
    const files = all.map((p) => s.services.prompts.resolve(p, s.language, s.flow.def.language));
    await s.endpoint.play(files, { signal: stop }).catch(ignoreAbort);
  }
}

function ignoreAbort(err: unknown): void {
  if (err instanceof MediaError && (err.code === 'MEDIA_ABORTED' || err.code === 'MEDIA_ENDPOINT_GONE')) return;
  throw err;
}
