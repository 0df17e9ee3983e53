/**
 * The talk between a caller and the operator the ACD connected: bridge the two
 * endpoints (hold music stops first), record the call in stereo, and follow the
 * operator's leg — hang-up, hold/resume (re-INVITE sendonly: the caller hears
 * music, counted as hold time), blind transfer by REFER or by `##<code>` keys —
 * until the talk ends one way or another. Then the ACD is told (complete or
 * transfer) and the operator goes to wrap-up.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SipRequest } from '../sip/message/index.ts';
import type { Dialog, DialogResponder } from '../sip/dialog/dialog.ts';
import type { Endpoint } from '../media/media-server.ts';
import { MediaError } from '../media/errors.ts';
import type { CallSession } from './call-session.ts';
import type { TransferStep } from './cdr.ts';
import { bridgeToExternal } from './external-leg.ts';
import type { QueueWait } from './queue-wait.ts';
import { isHoldSdp } from './sdp-direction.ts';
import type { TransferTarget } from './services.ts';

export interface OperatorLeg {
  agentId: string;
  reservationId: string;
  dialog: Dialog;
  endpoint: Endpoint;
  /** From the original enqueue time to the answer. */
  waitMs: number;
}

export type TalkEnd = 'operator-hangup' | 'caller-hangup' | 'transferred-queue' | 'transferred-external';

/** Transfers come back into the ACD ahead of new callers (line 1 → line 2). */
const TRANSFER_PRIORITY = 5;
/** After `##`, the code is complete at `#` or after this long without a key. */
const CODE_DIGIT_TIMEOUT_MS = 2500;

export class ConnectedCall {
  private finish!: (end: TalkEnd) => void;
  private readonly done = new Promise<TalkEnd>((r) => (this.finish = r));
  private ended = false;
  private holdStartedAt: number | null = null;
  private holdMusic: AbortController | null = null;
  /** The NOTIFY owed to the operator's REFER, sent before their leg is hung up. */
  private referOutcome: { status: number; reason: string } | null = null;

  constructor(
    private readonly session: CallSession,
    private readonly leg: OperatorLeg,
    private readonly wait: QueueWait,
  ) {}

  async run(): Promise<TalkEnd> {
    const s = this.session;
    const { leg } = this;
    const rec = s.record;
    const now = new Date().toISOString();
    rec.connectedAt ??= now;
    rec.agentId = leg.agentId;
    rec.waitMs ??= leg.waitMs;
    rec.disposition = 'answered';
    rec.legs.push({ role: 'operator', callId: leg.dialog.callId, uri: leg.dialog.remote.uri, agentId: leg.agentId, startedAt: now, answeredAt: now, status: 200 });
    s.state = 'talking';

    // The operator's leg went away: their BYE, or our own hang-up of it (media timeout, a failed
    // bridge). Only when the caller is gone is it the caller's end.
    leg.dialog.on('destroy', () => this.end(s.signal.aborted ? 'caller-hangup' : 'operator-hangup'));
    leg.dialog.on('modify', (req, res) => this.onOperatorReinvite(req, res));
    leg.dialog.on('refer', (req, res) => this.onRefer(req, res));
    leg.endpoint.on('rtpTimeout', () => void leg.dialog.destroy('no media from the operator'));
    this.watchOperatorKeys();
    const onCallerGone = (): void => this.end('caller-hangup');
    s.signal.addEventListener('abort', onCallerGone, { once: true });
    if (s.signal.aborted) this.end('caller-hangup');

    try {
      await s.endpoint.bridge(leg.endpoint);
      s.event('connected', { agentId: leg.agentId, queue: this.wait.queue, waitMs: leg.waitMs });
      await this.startRecording();
    } catch (err) {
      if (!this.ended) s.log.error({ err }, 'could not bridge the caller to the operator');
      void leg.dialog.destroy('bridge failed');
    }

    const end = await this.done;
    s.signal.removeEventListener('abort', onCallerGone);
    await this.tearDown(end);
    return end;
  }

  private end(how: TalkEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(how);
  }

  private async startRecording(): Promise<void> {
    const s = this.session;
    if (!s.services.recordCalls || s.recording) return;
    const path = s.recordingPath();
    await mkdir(dirname(path), { recursive: true });
    await s.endpoint.record(path, { stereo: true });
    s.recording = true;
    s.event('recording', { path });
    s.onEnd(async () => {
      const r = await s.endpoint.stopRecording();
      s.record.recording = { path: r.path, durationMs: r.durationMs, bytes: r.bytes };
    });
  }

  /** The operator's leg is over (or moving): release the operator in the ACD, keep the caller. */
  private async tearDown(end: TalkEnd): Promise<void> {
    const s = this.session;
    const { leg } = this;
    this.stopHold();
    if (s.state !== 'ended') await s.endpoint.unbridge().catch(() => undefined);
    const opLeg = s.record.legs.find((l) => l.role === 'operator' && l.callId === leg.dialog.callId);
    if (opLeg !== undefined) opLeg.endedAt = new Date().toISOString();
    if (end === 'operator-hangup') s.record.hungUpBy = 'operator';
    if (end === 'caller-hangup') s.record.hungUpBy = 'caller';
    if (this.referOutcome !== null) await this.notify(this.referOutcome.status, this.referOutcome.reason);
    await Promise.allSettled([leg.dialog.destroy(end), leg.endpoint.destroy(end)]);
    // The transfer paths told the ACD themselves; every other end completes the contact.
    if (end !== 'transferred-queue' && s.services.acd.acd.hasContact(this.wait.contactId)) {
      const done = s.services.acd.run((acd) => acd.complete(this.wait.contactId)).find((e) => e.type === 'contact-completed');
      if (done !== undefined && done.type === 'contact-completed') s.record.talkMs += done.talkMs;
    }
    s.event('talk-ended', { how: end, agentId: leg.agentId });
    if (s.state === 'talking') s.state = 'ivr';
  }

  // ─────────────────────────────── hold ───────────────────────────────

  private onOperatorReinvite(req: SipRequest, res: DialogResponder): void {
    const s = this.session;
    const sdp = req.body.toString('utf8');
    this.leg.endpoint.modify(sdp).then(
      (r) => res.send(200, undefined, { body: r.localSdp }),
      (err: unknown) => res.send(err instanceof MediaError && err.code.startsWith('MEDIA_SDP') ? 488 : 500),
    );
    const hold = isHoldSdp(sdp);
    if (hold && this.holdStartedAt === null) {
      this.holdStartedAt = Date.now();
      s.event('hold', { agentId: this.leg.agentId });
      const music = new AbortController();
      this.holdMusic = music;
      void s.endpoint
        .unbridge()
        .then(() => s.endpoint.play({ files: [s.services.prompts.resolve('music/hold', s.language)], loop: true }, { signal: music.signal }))
        .catch(() => undefined);
    } else if (!hold && this.holdStartedAt !== null) {
      this.stopHold();
      s.event('resume', { agentId: this.leg.agentId });
      void s.endpoint.bridge(this.leg.endpoint).catch((err: unknown) => s.log.warn({ err }, 'could not re-bridge after hold'));
    }
  }

  private stopHold(): void {
    if (this.holdStartedAt === null) return;
    this.session.record.holdMs += Date.now() - this.holdStartedAt;
    this.holdStartedAt = null;
    this.holdMusic?.abort();
    this.holdMusic = null;
  }

  // ───────────────────────────── transfers ─────────────────────────────

  /** Blind transfer (RFC 3515): accept, carry it out, report the outcome in NOTIFY sipfrag. */
  private onRefer(req: SipRequest, res: DialogResponder): void {
    const referTo = req.headers.get('refer-to');
    const uri = referTo === undefined ? undefined : /<([^>]+)>/.exec(referTo)?.[1] ?? referTo.trim();
    if (uri === undefined || uri === '') {
      res.send(400, 'Missing Refer-To');
      return;
    }
    const target = this.session.services.resolveTransfer(userOf(uri) ?? uri);
    res.send(202, 'Accepted');
    void this.transfer(target, 'operator-refer', uri);
  }

  /** `##` then a transfer code, for phones without REFER. */
  private watchOperatorKeys(): void {
    let keys = '';
    let timer: NodeJS.Timeout | undefined;
    const fire = (): void => {
      const code = keys.slice(2).replace(/#$/, '');
      keys = '';
      if (code !== '') void this.transfer(this.session.services.resolveTransfer(code), 'operator-dtmf', code);
    };
    this.leg.endpoint.on('dtmf', (e: { digit: string }) => {
      clearTimeout(timer);
      keys += e.digit;
      if (!'##'.startsWith(keys.slice(0, 2))) keys = e.digit === '#' ? '#' : '';
      if (keys.length > 2 && e.digit === '#') fire();
      else if (keys.length > 2) timer = setTimeout(fire, CODE_DIGIT_TIMEOUT_MS);
    });
  }

  private async transfer(target: TransferTarget, by: TransferStep['by'], asked: string): Promise<void> {
    if (this.ended) return;
    const s = this.session;
    const step: TransferStep = { at: new Date().toISOString(), by, agentId: this.leg.agentId, to: target.kind === 'queue' ? target.queue : target.uri, kind: target.kind };
    s.log.info({ target, by, asked }, 'operator transfers the caller');
    if (target.kind === 'queue') {
      if (!s.services.queueExists(target.queue)) {
        await this.notify(404, 'Not Found');
        return;
      }
      const current = s.services.acd.acd.contactView(this.wait.contactId)?.priority ?? 0;
      const events = s.services.acd.run((acd) => acd.transfer(this.wait.contactId, target.queue, { priority: Math.max(current, TRANSFER_PRIORITY) }));
      const moved = events.find((e) => e.type === 'contact-transferred');
      if (moved !== undefined && moved.type === 'contact-transferred') s.record.talkMs += moved.talkMs;
      this.wait.queue = target.queue;
      s.record.transfers.push(step);
      s.event('transferred', { to: target.queue, by });
      if (by === 'operator-refer') this.referOutcome = { status: 200, reason: 'OK' };
      this.end('transferred-queue');
      return;
    }
    // An outside number: the caller leaves the contact center; the operator's part is done.
    await s.endpoint.unbridge().catch(() => undefined);
    const ok = await bridgeToExternal(s, target.uri, 30_000, { by, agentId: this.leg.agentId });
    if (ok) {
      s.record.transfers.push(step);
      if (by === 'operator-refer') this.referOutcome = { status: 200, reason: 'OK' };
      this.end('transferred-external');
      return;
    }
    if (by === 'operator-refer') await this.notify(503, 'Service Unavailable');
    if (!this.ended) await s.endpoint.bridge(this.leg.endpoint).catch(() => undefined);
  }

  private async notify(status: number, reason: string): Promise<void> {
    if (this.leg.dialog.state === 'terminated') return;
    await this.leg.dialog.notifyRefer(status, reason).catch(() => undefined);
  }
}

function userOf(uri: string): string | undefined {
  const m = /^sips?:([^@;>]+)@/i.exec(uri);
  if (m?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
