/**
 * One CallSession per inbound call: the caller's dialog and media endpoint,
 * a child logger with the callId, an AbortSignal that fires on hang-up, the
 * call's variables and language, and the CDR being assembled. It implements
 * the verbs IVR nodes use (CallContext) on top of the SIP and media ports.
 *
 * Life cycle: answered → walking the flow (IVR, queue, talk) → ended. However
 * it ends — caller BYE, our hang-up, media timeout, server shutdown — `end()`
 * runs once: the signal fires, every await in the walk ends, legs are torn
 * down, the ACD is told, and the CDR is handed to the store.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { CallEndedError, type CallContext, type CollectOutcome, type CollectRequest, type QueueOutcome, type QueueRequest, type VarValue } from '../ivr/context.ts';
import type { LoadedFlow } from '../ivr/flow.ts';
import { runFlow } from '../ivr/interpreter.ts';
import type { PromptRef } from '../ivr/schema.ts';
import { MediaError } from '../media/errors.ts';
import type { Endpoint } from '../media/media-server.ts';
import type { Dialog } from '../sip/dialog/dialog.ts';
import type { CallRecord } from './cdr.ts';
import { DigitReader } from './digit-reader.ts';
import { isHoldSdp } from './sdp-direction.ts';
import type { CallServices } from './services.ts';
import { QueueWait } from './queue-wait.ts';
import { bridgeToExternal } from './external-leg.ts';

/** Longest wait for the IVR walk to unwind after a hang-up before the call is torn down anyway. */
const WALK_UNWIND_LIMIT_MS = 5_000;

export type SessionState = 'ivr' | 'queued' | 'talking' | 'external' | 'ended';

export class CallSession implements CallContext {
  readonly callId: string;
  readonly log: Logger;
  readonly vars = new Map<string, VarValue>();
  readonly digits: DigitReader;
  readonly record: CallRecord;
  language: string;
  state: SessionState = 'ivr';
  /** The call is being recorded (one recording per call, across transfers). */
  recording = false;
  /** The queue wait in progress, if any (the center routes ACD events to it). */
  queueWait: QueueWait | null = null;
  /**
   * The caller's place in line after leaving a queue: with the leave key the contact became a
   * callback request at once (it keeps its place; no offer rings a caller who is choosing);
   * after the max wait only the original enqueue time is left. A callback node confirms it;
   * if the caller declines or hangs up first, a pending request is withdrawn.
   */
  leftContact: { queue: string; enqueuedAt: number; pendingContactId: string | null } | null = null;
  private readonly abort = new AbortController();
  /** The IVR walk; on hang-up it unwinds (queue wait, talk tear-down) before the CDR is finished. */
  private walkFinished: Promise<unknown> = Promise.resolve();
  private queueSeq = 0;
  private readonly endHooks: Array<() => Promise<void> | void> = [];
  private endedResolve!: () => void;
  /** Resolves when the session has ended and its legs are gone. */
  readonly ended = new Promise<void>((r) => (this.endedResolve = r));

  constructor(
    readonly services: CallServices,
    readonly dialog: Dialog,
    readonly endpoint: Endpoint,
    readonly flow: LoadedFlow,
    readonly caller: string,
    readonly number: string,
  ) {
    this.callId = dialog.callId;
    this.log = services.log.child({ callId: this.callId });
    this.language = flow.def.language;
    this.digits = new DigitReader(this.abort.signal);
    const now = new Date().toISOString();
    this.record = {
      callId: this.callId,
      caller,
      number,
      flow: { id: flow.id, hash: flow.hash },
      language: this.language,
      arrivedAt: now,
      ivrAnsweredAt: now,
      talkMs: 0,
      holdMs: 0,
      disposition: 'ivr-only',
      hungUpBy: null,
      transfers: [],
      offers: [],
      surveyScore: null,
      variables: {},
      legs: [{ role: 'caller', callId: this.callId, uri: dialog.remote.uri, startedAt: now, answeredAt: now, status: 200 }],
    };
    this.vars.set('caller', caller);
    this.vars.set('number', number);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get timezone(): string {
    return this.services.timezone;
  }

  now(): Date {
    return new Date();
  }

  /** Wire the legs' events and walk the flow; returns when the call has ended. */
  async run(): Promise<void> {
    this.dialog.on('destroy', (info) => void this.end(info.by === 'remote' ? 'caller' : 'system', `dialog: ${info.reason}`));
    this.dialog.on('info', (req, res) => {
      const digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(req.body.toString('utf8'))?.[1];
      res.send(digit === undefined ? 415 : 200);
      if (digit !== undefined) this.endpoint.injectDtmf(digit).catch(() => undefined);
    });
    this.dialog.on('modify', (req, res) => {
      // The caller put us on hold or moved: answer with our endpoint's new SDP.
      const sdp = req.body.toString('utf8');
      this.endpoint.modify(sdp).then(
        (r) => res.send(200, undefined, { body: r.localSdp }),
        (err: unknown) => res.send(err instanceof MediaError && err.code.startsWith('MEDIA_SDP') ? 488 : 500),
      );
      if (isHoldSdp(sdp)) this.event('caller-hold');
    });
    this.endpoint.on('dtmf', (e: { digit: string }) => {
      this.event('dtmf', { digit: e.digit });
      this.digits.push(e.digit);
    });
    this.endpoint.on('rtpTimeout', () => void this.hangup('no media from the caller'));
    this.endpoint.on('destroy', () => void this.end('system', 'media endpoint gone'));
    this.event('call-started', { flow: this.flow.id, version: this.flow.hash.slice(0, 12), caller: this.caller, number: this.number });

    const walking = runFlow(this);
    this.walkFinished = walking;
    const walk = await walking;
    if (walk.ended === 'error') this.log.error({ err: walk.error, node: walk.at }, 'flow failed: ending the call');
    if (walk.ended === 'step-limit') this.log.error({ node: walk.at }, 'flow ran too many steps without waiting: ending the call');
    this.event('flow-ended', { how: walk.ended, node: walk.at });
    // A caller transferred out stays on the line with the other party until one of them hangs up.
    if (this.state !== 'ended' && !(this.state === 'external' && walk.ended === 'flow-end')) await this.hangup(walk.ended === 'flow-end' ? 'flow ended' : walk.ended);
    await this.ended;
  }

  /** We end the call (BYE to the caller). */
  async hangup(reason: string): Promise<void> {
    await this.end('system', reason);
  }

  onEnd(fn: () => Promise<void> | void): void {
    this.endHooks.push(fn);
  }

  private async end(by: 'caller' | 'system', reason: string): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.record.hungUpBy ??= by === 'caller' ? 'caller' : 'system';
    this.log.info({ by, reason }, 'call ended');
    this.abort.abort(new CallEndedError(reason));
    this.onEnd(() => this.withdrawPendingCallback());
    // Let the walk see the hang-up and unwind first: the queue wait records the abandon, the
    // talk tells the ACD (talk time, wrap-up). Bounded, so a stuck step cannot keep the call.
    await Promise.race([this.walkFinished, new Promise((r) => setTimeout(r, WALK_UNWIND_LIMIT_MS).unref())]);
    for (const hook of this.endHooks.splice(0).reverse()) {
      try {
        await hook();
      } catch (err) {
        this.log.warn({ err }, 'call clean-up step failed');
      }
    }
    await Promise.allSettled([this.dialog.destroy(reason), this.endpoint.destroy(reason)]);
    const endedAt = new Date().toISOString();
    this.record.endedAt = endedAt;
    this.record.language = this.language;
    const caller = this.record.legs[0];
    if (caller !== undefined) caller.endedAt = endedAt;
    this.record.variables = Object.fromEntries([...this.vars].filter(([k]) => k !== 'caller' && k !== 'number'));
    this.services.finishRecord(this);
    this.event('call-ended', { by, reason, disposition: this.record.disposition });
    this.endedResolve();
  }

  // ─────────────────────────── CallContext verbs ───────────────────────────

  event(type: string, data: Record<string, unknown> = {}): void {
    this.services.emit({ callId: this.callId, type, at: Date.now(), ...data });
  }

  private files(prompts: PromptRef[]): string[] {
    // `file:` prompts are relative to the flow file's folder, as the validator checks them.
    const base = this.flow.file === '' ? undefined : dirname(this.flow.file);
    return prompts.map((p) => this.services.prompts.resolve(p, this.language, this.flow.def.language, base));
  }

  async play(prompts: PromptRef[]): Promise<void> {
    if (prompts.length === 0) return;
    this.event('prompt', { prompts: prompts.map((p) => (typeof p === 'string' ? p : (p[this.language] ?? Object.values(p)[0]))), language: this.language });
    await this.guard(this.endpoint.play(this.files(prompts), { signal: this.signal }));
  }

  /** Play with barge-in: the first key stops the prompt; it stays in the digit buffer. */
  async playInterruptible(prompts: PromptRef[]): Promise<void> {
    if (prompts.length === 0 || this.digits.pending > 0) return;
    const key = this.digits.whenKey();
    const playing = this.play(prompts);
    const stop = key.promise.then(() => this.endpoint.stopPlay().catch(() => undefined));
    try {
      await playing;
    } finally {
      key.cancel();
      void stop;
    }
  }

  async collect(req: CollectRequest): Promise<CollectOutcome> {
    let digits = '';
    const take = (d: string): CollectOutcome | null => {
      if (req.terminators.includes(d)) return { digits, reason: 'terminator' };
      digits += d;
      return digits.length >= req.maxDigits ? { digits, reason: 'max-digits' } : null;
    };
    // Keys typed ahead answer without the prompt (a caller who knows the menu).
    for (let d = this.digits.take(); d !== undefined; d = this.digits.take()) {
      const done = take(d);
      if (done !== null) return done;
    }
    if (digits === '') await this.playInterruptible(req.prompts);
    for (;;) {
      const d = await this.digits.next(digits === '' ? req.firstDigitTimeoutMs : req.interDigitTimeoutMs);
      if (d === null) return { digits, reason: digits === '' ? 'no-input' : 'timeout' };
      const done = take(d);
      if (done !== null) return done;
    }
  }

  queue(req: QueueRequest): Promise<QueueOutcome> {
    const contactId = `${this.callId}#${++this.queueSeq}`;
    const wait = new QueueWait(this, req, contactId);
    this.queueWait = wait;
    return wait.run().finally(() => {
      if (this.queueWait === wait) this.queueWait = null;
    });
  }

  async requestCallback(queue: string | undefined, number: string): Promise<boolean> {
    const left = this.leftContact;
    const q = queue ?? left?.queue;
    if (q === undefined || !this.services.queueExists(q)) return false;
    let ok: boolean;
    if (left?.pendingContactId != null && left.queue === q && this.services.acd.acd.hasContact(left.pendingContactId)) {
      // Confirm the request made when the caller pressed the leave key.
      const id = left.pendingContactId;
      if (number !== this.caller) this.services.acd.acd.setCallbackNumber(id, number);
      left.pendingContactId = null;
      ok = true;
    } else {
      this.withdrawPendingCallback();
      const enqueuedAt = left?.queue === q ? left.enqueuedAt : Date.now();
      ok = this.services.enqueueCallback({ id: `${this.callId}#cb`, queueId: q, enqueuedAt, callbackNumber: number, language: this.language });
    }
    this.leftContact = null;
    if (ok) {
      this.record.disposition = 'callback';
      this.record.callbackNumber = number;
    }
    return Promise.resolve(ok);
  }

  /** A callback request made by the leave key and never confirmed is withdrawn. */
  withdrawPendingCallback(): void {
    const id = this.leftContact?.pendingContactId;
    if (id == null) return;
    this.leftContact = null;
    if (this.services.acd.acd.hasContact(id) && this.services.acd.acd.contactView(id)?.kind === 'callback') this.services.acd.run((acd) => acd.cancel(id));
  }

  async recordMessage(opts: { maxMs: number; beep: boolean; terminators: string }): Promise<{ path: string; durationMs: number } | null> {
    if (opts.beep) await this.play(['beep']);
    const dir = join(this.services.recordingsDir, 'voicemail');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${safeName(this.callId)}.wav`);
    await this.guard(this.endpoint.record(path));
    let stopped = false;
    const stop = async (): Promise<{ path: string; durationMs: number } | null> => {
      if (stopped) return null;
      stopped = true;
      const r = await this.endpoint.stopRecording().catch(() => null);
      if (r === null) return null;
      this.record.voicemail = r.path;
      this.record.disposition = 'voicemail';
      this.event('voicemail', { path: r.path, durationMs: r.durationMs });
      return { path: r.path, durationMs: r.durationMs };
    };
    // Hanging up is the usual way to end a message: keep it.
    this.onEnd(async () => void (await stop()));
    const deadline = Date.now() + opts.maxMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const d = await this.digits.next(left);
      if (d === null || opts.terminators.includes(d)) break;
    }
    return stop();
  }

  async transfer(to: string, timeoutMs: number): Promise<boolean> {
    const uri = this.services.targetUri(to);
    const ok = await bridgeToExternal(this, uri, timeoutMs, { by: 'flow' });
    return ok;
  }

  outageNotices(area: string | undefined): string[] {
    return this.services.outages.current(area, this.now());
  }

  recordSurvey(score: number | null): void {
    this.record.surveyScore = score;
    this.event('survey', { score });
  }

  /** Await a media operation; a hang-up during it becomes CallEndedError. */
  async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (this.signal.aborted || (err instanceof MediaError && (err.code === 'MEDIA_ABORTED' || err.code === 'MEDIA_ENDPOINT_GONE'))) {
        throw new CallEndedError(this.signal.aborted ? 'caller hung up' : 'media gone');
      }
      throw err;
    }
  }

  /** Where to write this call's recording. */
  recordingPath(): string {
    const day = new Date().toISOString().slice(0, 10);
    return join(this.services.recordingsDir, day, `${safeName(this.callId)}.wav`);
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}
