/**
 * The calls layer's front door. Inbound INVITEs are routed by the dialled
 * number: a hotline number → its IVR flow (a CallSession); an operator's
 * feature code (*1…*4, authenticated) → a state change; anything else → 404.
 * ACD decisions are carried out here too: offers go to the OperatorDialer,
 * timeouts and withdrawals to the caller's session. CDRs are written once the
 * call has ended and the operator's wrap-up is over (so wrap-up time is in it).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AcdEvent } from '../acd/types.ts';
import type { FlowRegistry } from '../ivr/loader.ts';
import type { PromptLibrary } from '../ivr/prompts.ts';
import { MediaError } from '../media/errors.ts';
import type { Endpoint, MediaServer } from '../media/media-server.ts';
import type { InboundRequest, InboundResponder } from '../sip/inbound.ts';
import type { SipServer } from '../sip/server.ts';
import type { AcdHost } from './acd-host.ts';
import { CallbackDialer } from './callback-dialer.ts';
import { CallSession } from './call-session.ts';
import type { CallRecord, CallRecordStore } from './cdr.ts';
import { OperatorDialer } from './operator-dialer.ts';
import { featureFor, runFeatureCall, type FeatureCodes } from './operator-codes.ts';
import type { OutageBoard } from './outages.ts';
import type { CallEvent, CallServices, TransferTarget } from './services.ts';

export interface CallCenterOptions {
  sip: SipServer;
  media: MediaServer;
  acd: AcdHost;
  flows: FlowRegistry;
  prompts: PromptLibrary;
  outages: OutageBoard;
  cdr: CallRecordStore;
  log: Logger;
  timezone: string;
  /** Dialled number → flow id. */
  numbers: Map<string, string>;
  recordingsDir: string;
  recordCalls: boolean;
  featureCodes: FeatureCodes;
  transferCodes: Record<string, string>;
  transferDomain?: string;
}

/** A CDR waits at most this long for the operator's wrap-up to end before it is written anyway. */
const WRAP_UP_WAIT_LIMIT_MS = 15 * 60_000;

export class CallCenter implements CallServices {
  readonly events = new EventEmitter();
  readonly sessions = new Map<string, CallSession>();
  private readonly byContact = new Map<string, CallSession>();
  private readonly dialer: OperatorDialer;
  private readonly callbacks: CallbackDialer;
  /** CDRs of ended calls whose operator is still in wrap-up, by agent. */
  private readonly awaitingWrapUp = new Map<string, { record: CallRecord; timer: NodeJS.Timeout }>();
  private closing = false;

  readonly log: Logger;
  readonly acd: AcdHost;
  readonly sip: SipServer;
  readonly media: MediaServer;
  readonly prompts: PromptLibrary;
  readonly outages: OutageBoard;
  readonly timezone: string;
  readonly recordingsDir: string;
  readonly recordCalls: boolean;

  constructor(private readonly opts: CallCenterOptions) {
    this.log = opts.log;
    this.acd = opts.acd;
    this.sip = opts.sip;
    this.media = opts.media;
    this.prompts = opts.prompts;
    this.outages = opts.outages;
    this.timezone = opts.timezone;
    this.recordingsDir = opts.recordingsDir;
    this.recordCalls = opts.recordCalls;
    this.events.setMaxListeners(100);
    this.dialer = new OperatorDialer({ acd: opts.acd, sip: opts.sip, media: opts.media, log: opts.log });
    this.callbacks = new CallbackDialer(this);
    opts.sip.invite((req, res) => this.onInvite(req, res));
    opts.acd.subscribe((e) => this.onAcdEvent(e));
  }

  /** Calls in progress (IVR, queue or talking). */
  get activeCalls(): number {
    return this.sessions.size;
  }

  // ─────────────────────────── inbound INVITE ───────────────────────────

  private onInvite(req: InboundRequest, res: InboundResponder): void {
    const user = requestUser(req.uri);
    if (this.closing) return void res.send(503, 'Service Unavailable', { headers: [['Retry-After', '30']] });
    const flowId = user === undefined ? undefined : this.opts.numbers.get(user);
    if (flowId !== undefined) return void this.answerHotline(req, res, flowId, user as string);
    const action = user === undefined ? undefined : featureFor(this.opts.featureCodes, user);
    const agentId = req.authenticatedUser;
    if (action !== undefined && agentId !== undefined && this.acd.acd.agentIds().includes(agentId)) {
      return void this.answerFeatureCode(req, res, agentId, action);
    }
    res.send(404, 'Not Found');
  }

  private async answer(req: InboundRequest, res: InboundResponder): Promise<{ endpoint: Endpoint; dialog: Awaited<ReturnType<SipServer['createUAS']>> } | null> {
    let endpoint: Endpoint;
    try {
      endpoint = await this.media.createEndpoint({ remoteSdp: req.body });
    } catch (err) {
      const sdpProblem = err instanceof MediaError && (err.code === 'MEDIA_SDP_NO_COMMON_CODEC' || err.code === 'MEDIA_SDP_INVALID');
      this.log.warn({ callId: req.callId, err: err instanceof Error ? err.message : String(err) }, 'cannot answer: media');
      res.send(sdpProblem ? 488 : 503, sdpProblem ? 'Not Acceptable Here' : 'Service Unavailable');
      return null;
    }
    try {
      const dialog = await this.sip.createUAS(req, res, { localSdp: endpoint.localSdp });
      return { endpoint, dialog };
    } catch (err) {
      this.log.info({ callId: req.callId, err: err instanceof Error ? err.message : String(err) }, 'call gone before it was answered');
      await endpoint.destroy('not answered');
      return null;
    }
  }

  private async answerHotline(req: InboundRequest, res: InboundResponder, flowId: string, number: string): Promise<void> {
    const flow = this.opts.flows.get(flowId);
    if (flow === undefined) {
      this.log.error({ callId: req.callId, number, flow: flowId }, 'the flow for this number is not loaded: refusing the call');
      res.send(503, 'Service Unavailable');
      return;
    }
    const answered = await this.answer(req, res);
    if (answered === null) return;
    const session = new CallSession(this, answered.dialog, answered.endpoint, flow, requestUser(req.get('from') ?? '') ?? 'anonymous', number);
    this.sessions.set(session.callId, session);
    session.log.info({ number, flow: flow.id, version: flow.hash.slice(0, 12), caller: session.caller }, 'call answered');
    try {
      await session.run();
    } catch (err) {
      session.log.error({ err }, 'call session failed');
      await session.hangup('internal error');
    } finally {
      this.sessions.delete(session.callId);
    }
  }

  private async answerFeatureCode(req: InboundRequest, res: InboundResponder, agentId: string, action: ReturnType<typeof featureFor> & string): Promise<void> {
    const answered = await this.answer(req, res);
    if (answered === null) return;
    const state = await runFeatureCall({ acd: this.acd, prompts: this.prompts, ...answered, agentId, action, language: this.opts.flows.list()[0]?.def.language ?? 'ru', log: this.log.child({ callId: req.callId }) });
    this.emit({ callId: req.callId, type: 'feature-code', at: Date.now(), agentId, action, state });
  }

  // ───────────────────────────── ACD decisions ─────────────────────────────

  private onAcdEvent(e: AcdEvent): void {
    switch (e.type) {
      case 'offer': {
        const session = this.byContact.get(e.contactId);
        if (session !== undefined) this.dialer.ring(e, session);
        else this.callbacks.offer(e);
        return;
      }
      case 'offer-missed':
        this.dialer.stop(e.reservationId, e.reason === 'timeout' ? 'timeout' : 'cancelled');
        this.callbacks.stop(e.reservationId);
        return;
      case 'offer-cancelled':
        this.dialer.stop(e.reservationId, 'cancelled');
        this.callbacks.stop(e.reservationId);
        return;
      case 'contact-timeout':
        this.byContact.get(e.contactId)?.queueWait?.timedOut();
        return;
      case 'contact-overflowed': {
        const wait = this.byContact.get(e.contactId)?.queueWait;
        if (wait !== undefined && wait !== null) wait.queue = e.toQueueId;
        return;
      }
      case 'wrap-up-ended':
        this.wrapUpEnded(e.agentId, e.wrapMs);
        return;
      default:
        return;
    }
  }

  // ─────────────────────────────── CallServices ───────────────────────────────

  emit(event: CallEvent): void {
    this.events.emit('event', event);
  }

  queueExists(queueId: string): boolean {
    return this.acd.acd.queueConfig(queueId) !== undefined;
  }

  bindContact(contactId: string, session: CallSession): void {
    this.byContact.set(contactId, session);
  }

  unbindContact(contactId: string): void {
    this.byContact.delete(contactId);
  }

  enqueueCallback(req: { id: string; queueId: string; enqueuedAt: number; callbackNumber: string; language: string }): boolean {
    if (this.acd.acd.hasContact(req.id)) return false;
    const events = this.acd.run((a) => a.enqueue({ id: req.id, queueId: req.queueId, enqueuedAt: req.enqueuedAt, kind: 'callback', callbackNumber: req.callbackNumber, language: req.language }));
    return !events.some((e) => e.type === 'contact-refused');
  }

  resolveTransfer(target: string): TransferTarget {
    const mapped = this.opts.transferCodes[target] ?? target;
    if (this.queueExists(mapped)) return { kind: 'queue', queue: mapped };
    return { kind: 'external', uri: this.targetUri(mapped) };
  }

  targetUri(target: string): string {
    if (/^sips?:/i.test(target)) return target;
    const domain = this.opts.transferDomain ?? this.sip.addresses[0]?.address ?? '127.0.0.1';
    return `sip:${target}@${domain}`;
  }

  finishRecord(session: CallSession): void {
    const rec = session.record;
    const agentId = rec.agentId;
    if (agentId !== undefined && this.acd.acd.agentIds().includes(agentId) && this.acd.acd.agentView(agentId).state === 'wrap-up' && rec.disposition === 'answered') {
      const timer = setTimeout(() => this.wrapUpEnded(agentId, undefined), WRAP_UP_WAIT_LIMIT_MS);
      timer.unref();
      this.awaitingWrapUp.set(agentId, { record: rec, timer });
      return;
    }
    this.writeRecord(rec);
  }

  private wrapUpEnded(agentId: string, wrapMs: number | undefined): void {
    const pending = this.awaitingWrapUp.get(agentId);
    if (pending === undefined) return;
    this.awaitingWrapUp.delete(agentId);
    clearTimeout(pending.timer);
    if (wrapMs !== undefined) pending.record.wrapUpMs = wrapMs;
    this.writeRecord(pending.record);
  }

  private writeRecord(rec: CallRecord): void {
    this.opts.cdr.write(rec);
    this.emit({ callId: rec.callId, type: 'cdr', at: Date.now(), disposition: rec.disposition });
  }

  /** Refuse new calls, hang up every call in progress, write every CDR. */
  async close(): Promise<void> {
    this.closing = true;
    this.dialer.stopAll();
    this.callbacks.stopAll();
    await Promise.allSettled([...this.sessions.values()].map((s) => s.hangup('server shutting down')));
    for (const agentId of [...this.awaitingWrapUp.keys()]) this.wrapUpEnded(agentId, undefined);
    await this.opts.cdr.flush();
  }
}

/** The user part of a SIP URI or name-addr (sip:8800@host → 8800), unescaped. */
export function requestUser(uri: string): string | undefined {
  const m = /sips?:([^@;>]+)@/i.exec(uri);
  if (m?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
