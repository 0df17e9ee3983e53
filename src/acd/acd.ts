/**
 * The ACD: agents, queues, contacts and reservations, and the routing
 * decisions between them. Pure and deterministic: no I/O, no timers, time from
 * the injected clock, randomness from a seed. Every command returns the events
 * it caused, in order; decisions (offer, offer-cancelled, contact-timeout) are
 * for the host to carry out.
 *
 * Dispatch is event-driven: a routing decision is taken when a contact arrives
 * or returns to line, or when an agent becomes available, never by polling.
 *
 * Invariants (tested with fast-check in test/unit/acd/invariants.test.ts):
 * - an agent holds at most one reservation and at most one call;
 * - a contact is connected to at most one agent;
 * - a contact whose offer is missed or cancelled returns to its place in line
 *   (its ordering key — priority, original enqueue time, arrival sequence — never
 *   changes because of an offer).
 */
import { nextAgentState, type AgentAction } from './agent-state.ts';
import { AcdError } from './errors.ts';
import { estimateWaitMs } from './ewt.ts';
import { compileSkillExpression, parseSkillExpression, referencedSkills, structuredRequirement, formatSkillExpression, type SkillPredicate } from './expression.ts';
import { SeededRandom } from './random.ts';
import { AgentRec, ContactRec, Lane, QueueRec, Reservation, contactBefore, type CompiledStep } from './records.ts';
import { pickAgent } from './strategies.ts';
import { DeadlineQueue, type Deadline } from './timers.ts';
import type { AcdEvent, AgentConfig, AgentState, Clock, ContactRequest, Millis, NotReadyReason, QueueConfig } from './types.ts';

export interface AcdOptions {
  clock: Clock;
  seed?: number;
  queues?: QueueConfig[];
  agents?: AgentConfig[];
  /** Handle time assumed for a queue before any call completed (EWT). Default 270 s. */
  defaultHandleSeconds?: number;
}

/** What the outside world may read about an agent. */
export interface AgentView {
  id: string;
  name: string;
  state: AgentState;
  reason: NotReadyReason | undefined;
  pendingPause: NotReadyReason | null;
  contactId: string | null;
  reservationId: string | null;
  idleSince: Millis;
  callsHandled: number;
  talkMs: Millis;
  missedInRow: number;
  queueIds: string[];
}

export interface ContactView {
  id: string;
  queueId: string;
  state: 'waiting' | 'offered' | 'connected';
  kind: 'call' | 'callback';
  priority: number;
  enqueuedAt: Millis;
  queuedAt: Millis;
  agentId: string | null;
}

export interface QueueSnapshot {
  id: string;
  waiting: number;
  offered: number;
  callbacks: number;
  longestWaitMs: Millis;
  agentsByState: Record<AgentState, number>;
}

/** Weight of the newest call in the queue's handle-time and ring-time averages. */
const HANDLE_EWMA_WEIGHT = 0.1;

export class Acd {
  private readonly clock: Clock;
  private readonly random: SeededRandom;
  private readonly agents = new Map<string, AgentRec>();
  private readonly queues = new Map<string, QueueRec>();
  private readonly contacts = new Map<string, ContactRec>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly deadlines = new DeadlineQueue();
  private readonly defaultHandleMs: Millis;
  private contactSeq = 0;
  private reservationSeq = 0;
  private agentSeq = 0;
  private queueSeq = 0;
  /** Scratch array reused by every dispatch (no allocation per decision). */
  private readonly candidates: AgentRec[] = [];
  private out: AcdEvent[] = [];
  /**
   * The ACD's own notion of "now" while it works: each due deadline runs at
   * its own time (so a late advance() replays the world in order), then the
   * command runs at the clock's time.
   */
  private time: Millis = 0;
  /** Contacts some agent is currently skipping after a missed offer (usually none). */
  private readonly declining = new Set<ContactRec>();
  /** Bumped whenever lanes or memberships change: agents rebuild their lane lists lazily. */
  private lanesVersion = 0;

  constructor(opts: AcdOptions) {
    this.clock = opts.clock;
    this.random = new SeededRandom(opts.seed ?? 1);
    this.defaultHandleMs = (opts.defaultHandleSeconds ?? 270) * 1000;
    for (const q of opts.queues ?? []) this.upsertQueue(q);
    for (const a of opts.agents ?? []) this.upsertAgent(a);
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /** Add or replace a queue. Waiting contacts keep their places under the new rules. */
  upsertQueue(cfg: QueueConfig): AcdEvent[] {
    for (const step of cfg.escalation) {
      if (step.overflowTo !== undefined && step.overflowTo === cfg.id) {
        throw new AcdError('ACD_BAD_ARGUMENT', `queue ${cfg.id}: escalation overflows to itself`);
      }
    }
    const steps = compileSteps(cfg);
    let q = this.queues.get(cfg.id);
    if (q === undefined) {
      q = new QueueRec(cfg, this.queueSeq++);
      this.queues.set(cfg.id, q);
    }
    q.cfg = cfg;
    q.steps = steps.steps;
    q.servable = steps.servable;
    q.rankSkills = steps.rankSkills;
    q.memberOrder = new Map((cfg.members ?? []).map((id, i) => [id, i]));
    q.lanes.clear();
    q.laneList = [];
    this.lanesVersion++;
    for (const c of q.contacts) {
      c.targetStep = Math.min(c.targetStep, q.steps.length - 1);
      const wasInHeap = c.lane?.heap.has(c) ?? false;
      if (wasInHeap) c.lane?.heap.remove(c);
      c.lane = this.laneFor(q, c);
      if (wasInHeap) c.lane.heap.push(c);
    }
    for (const a of this.agents.values()) this.refreshMembership(a);
    return this.run(() => {
      for (const c of [...q.contacts]) this.dispatchContact(c);
    });
  }

  /** Remove a queue that has no contacts. */
  removeQueue(queueId: string): void {
    const q = this.queue(queueId);
    if (q.contacts.size > 0) throw new AcdError('ACD_BAD_ARGUMENT', `queue ${queueId} still has ${q.contacts.size} contacts`);
    this.queues.delete(queueId);
    for (const a of this.agents.values()) this.refreshMembership(a);
  }

  /** Add an agent (logged out) or update one's skills and languages. */
  upsertAgent(cfg: AgentConfig): AcdEvent[] {
    let a = this.agents.get(cfg.id);
    if (a === undefined) {
      a = new AgentRec(cfg, this.agentSeq++);
      this.agents.set(cfg.id, a);
    } else {
      a.cfg = cfg;
      a.skills = new Map(Object.entries(cfg.skills));
      a.languages = new Set(cfg.languages);
      for (const q of this.queues.values()) for (const lane of q.laneList) lane.forget(a);
      a.lanesVersion = -1;
    }
    this.refreshMembership(a);
    const agent = a;
    return this.run(() => {
      if (agent.state === 'available') this.dispatchAgent(agent);
    });
  }

  /** Remove a logged-out agent. */
  removeAgent(agentId: string): void {
    const a = this.agent(agentId);
    if (a.state !== 'logged-out') throw new AcdError('ACD_ILLEGAL_TRANSITION', `agent ${agentId} must log out before removal (is ${a.state})`);
    for (const q of a.queues) q.members.delete(a);
    this.agents.delete(agentId);
  }

  // ──────────────────────────── agent commands ─────────────────────────────

  /** Log in, available at once or straight into not-ready with a reason. */
  login(agentId: string, notReady?: NotReadyReason): AcdEvent[] {
    const a = this.agent(agentId);
    return this.run(() => {
      if (notReady !== undefined) this.transition(a, 'login-not-ready', notReady);
      else this.transition(a, 'login');
    });
  }

  logout(agentId: string): AcdEvent[] {
    const a = this.agent(agentId);
    return this.run(() => this.transition(a, 'logout'));
  }

  /**
   * Not ready with a reason. During a call the break is remembered and starts
   * when the call ends; during an offer the offer is withdrawn and the contact
   * goes back to its place.
   */
  pause(agentId: string, reason: NotReadyReason): AcdEvent[] {
    const a = this.agent(agentId);
    return this.run(() => {
      if (a.state === 'on-call') {
        a.pendingPause = reason;
        return;
      }
      if (a.state === 'reserved' && a.reservation !== null) {
        this.withdrawReservation(a.reservation, 'agent-not-ready');
      }
      if (a.state === 'wrap-up') this.endWrapUp(a);
      this.transition(a, 'pause', reason);
    });
  }

  /** Ready: back from not-ready, end wrap-up early, or cancel a pending break. */
  ready(agentId: string): AcdEvent[] {
    const a = this.agent(agentId);
    return this.run(() => {
      if (a.state === 'on-call' && a.pendingPause !== null) {
        a.pendingPause = null;
        return;
      }
      if (a.state === 'wrap-up') this.endWrapUp(a);
      this.transition(a, 'ready');
    });
  }

  // ─────────────────────────── contact commands ────────────────────────────

  /** A contact joins a queue (a caller reaching a queue node, a transfer, a web callback). */
  enqueue(req: ContactRequest): AcdEvent[] {
    if (this.contacts.has(req.id)) throw new AcdError('ACD_DUPLICATE_CONTACT', `contact ${req.id} is already in the ACD`);
    const q = this.queue(req.queueId);
    return this.run((now) => {
      if (q.cfg.maxLength !== null && q.contacts.size >= q.cfg.maxLength) {
        this.emit({ type: 'contact-refused', at: now, contactId: req.id, queueId: q.id, reason: 'queue-full' });
        return;
      }
      const priority = clampPriority(req.priority ?? 0);
      const extraExpr = req.language !== undefined || req.skills !== undefined ? structuredRequirement({ skills: req.skills, language: req.language }) : null;
      const c = new ContactRec(
        req.id,
        q,
        priority,
        req.enqueuedAt ?? now,
        this.contactSeq++,
        req.kind ?? 'call',
        req.callbackNumber,
        extraExpr === null ? null : compileSkillExpression(extraExpr),
        extraExpr === null ? '' : formatSkillExpression(extraExpr),
        now,
      );
      this.contacts.set(c.id, c);
      this.placeInQueue(c, q);
    });
  }

  /** The caller hung up (or the callback was withdrawn) before being connected. */
  cancel(contactId: string): AcdEvent[] {
    const c = this.contact(contactId);
    if (c.state === 'connected') throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is connected: complete it instead`);
    return this.run((now) => {
      this.withdrawAll(c, 'caller-hangup');
      this.leaveQueue(c);
      this.contacts.delete(c.id);
      // A callback's queue episode already ended when it was requested: it is withdrawn, not abandoned.
      if (c.kind === 'call') this.emit({ type: 'contact-abandoned', at: now, contactId: c.id, queueId: c.queue.id, waitMs: now - c.enqueuedAt });
      else this.emit({ type: 'callback-cancelled', at: now, contactId: c.id, queueId: c.queue.id });
    });
  }

  /** The caller leaves a number to be called back and keeps their place in line. */
  requestCallback(contactId: string, callbackNumber: string): AcdEvent[] {
    const c = this.contact(contactId);
    if (c.state === 'connected') throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is connected`);
    if (c.kind === 'callback') throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is already a callback`);
    return this.run((now) => {
      this.withdrawAll(c, 'contact-left');
      c.kind = 'callback';
      c.callbackNumber = callbackNumber;
      this.dropContactDeadlines(c); // the max-wait deadline no longer applies; escalation and retries are re-armed below
      this.armEscalation(c);
      this.armRetry(c, now);
      this.emit({ type: 'contact-callback', at: now, contactId: c.id, queueId: c.queue.id, callbackNumber });
      this.dispatchContact(c);
    });
  }

  /** The offered operator answered. */
  accept(reservationId: string): AcdEvent[] {
    const r = this.reservation(reservationId);
    return this.run((now) => {
      const { contact: c, agent: a } = r;
      r.state = 'accepted';
      this.deadlines.cancel(r.expiry);
      this.reservations.delete(r.id);
      removeItem(c.reservations, r);
      a.reservation = null;
      a.missedInRow = 0;
      const ringMs = now - r.createdAt;
      c.queue.ringEwmaMs = c.queue.ringEwmaMs === null ? ringMs : c.queue.ringEwmaMs + HANDLE_EWMA_WEIGHT * (ringMs - c.queue.ringEwmaMs);
      this.withdrawAll(c, 'answered-elsewhere');
      this.leaveQueue(c);
      c.state = 'connected';
      c.agent = a;
      a.contact = c;
      a.workQueue = c.queue;
      a.callStartedAt = now;
      this.transition(a, 'answer');
      this.emit({ type: 'contact-connected', at: now, contactId: c.id, agentId: a.id, queueId: c.queue.id, reservationId: r.id, waitMs: now - c.enqueuedAt, kind: c.kind });
    });
  }

  /** The offered operator declined (busy, 486/603) — counts as a missed offer. */
  reject(reservationId: string): AcdEvent[] {
    const r = this.reservation(reservationId);
    return this.run(() => this.missOffer(r, 'rejected'));
  }

  /** The call between contact and operator ended: the operator goes to wrap-up. */
  complete(contactId: string): AcdEvent[] {
    const c = this.contact(contactId);
    const a = c.agent;
    if (c.state !== 'connected' || a === null) throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is not connected`);
    return this.run((now) => {
      this.contacts.delete(c.id);
      const talkMs = this.finishCall(a, now);
      this.emit({ type: 'contact-completed', at: now, contactId: c.id, agentId: a.id, queueId: c.queue.id, talkMs });
      this.afterCall(a);
    });
  }

  /**
   * The operator transferred the caller to another queue (e.g. line 1 → line 2).
   * The contact re-enters with its original enqueue time and at least the given priority.
   */
  transfer(contactId: string, toQueueId: string, opts: { priority?: number } = {}): AcdEvent[] {
    const c = this.contact(contactId);
    const a = c.agent;
    const target = this.queue(toQueueId);
    if (c.state !== 'connected' || a === null) throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is not connected`);
    return this.run((now) => {
      const from = c.queue;
      const talkMs = this.finishCall(a, now);
      this.emit({ type: 'contact-transferred', at: now, contactId: c.id, agentId: a.id, queueId: from.id, toQueueId: target.id, talkMs });
      c.agent = null;
      c.state = 'waiting';
      c.priority = Math.max(c.priority, clampPriority(opts.priority ?? 0));
      c.declined = null;
      this.afterCall(a);
      this.placeInQueue(c, target);
    });
  }

  /** Process every deadline due at the clock's current time. */
  advance(): AcdEvent[] {
    return this.run(() => undefined);
  }

  /** When the host should call `advance()` next (undefined: nothing pending). */
  nextDeadline(): Millis | undefined {
    return this.deadlines.next();
  }

  // ─────────────────────────────── queries ─────────────────────────────────

  agentView(agentId: string): AgentView {
    const a = this.agent(agentId);
    return {
      id: a.id,
      name: a.cfg.name,
      state: a.state,
      reason: a.reason,
      pendingPause: a.pendingPause,
      contactId: a.contact?.id ?? null,
      reservationId: a.reservation?.id ?? null,
      idleSince: a.idleSince,
      callsHandled: a.callsHandled,
      talkMs: a.talkMs,
      missedInRow: a.missedInRow,
      queueIds: a.queues.map((q) => q.id),
    };
  }

  agentIds(): string[] {
    return [...this.agents.keys()];
  }

  queueIds(): string[] {
    return [...this.queues.keys()];
  }

  queueConfig(queueId: string): QueueConfig | undefined {
    return this.queues.get(queueId)?.cfg;
  }

  hasContact(contactId: string): boolean {
    return this.contacts.has(contactId);
  }

  contactView(contactId: string): ContactView | undefined {
    const c = this.contacts.get(contactId);
    if (c === undefined) return undefined;
    return { id: c.id, queueId: c.queue.id, state: c.state, kind: c.kind, priority: c.priority, enqueuedAt: c.enqueuedAt, queuedAt: c.queuedAt, agentId: c.agent?.id ?? null };
  }

  /** Contacts ahead of this one in its queue (0: next in line). O(queue length). */
  /** The caller gave another number to be called back on (the request keeps its place). */
  setCallbackNumber(contactId: string, callbackNumber: string): void {
    const c = this.contact(contactId);
    if (c.kind !== 'callback') throw new AcdError('ACD_ILLEGAL_TRANSITION', `contact ${contactId} is not a callback`);
    c.callbackNumber = callbackNumber;
  }

  /** The number a callback contact asked to be called back on. */
  contactCallbackNumber(contactId: string): string | undefined {
    return this.contacts.get(contactId)?.callbackNumber;
  }

  position(contactId: string): number {
    const c = this.contact(contactId);
    let ahead = 0;
    for (const o of c.queue.contacts) if (o !== c && o.state === 'waiting' && contactBefore(o, c)) ahead++;
    return ahead;
  }

  queueSnapshot(queueId: string): QueueSnapshot {
    const q = this.queue(queueId);
    const now = this.clock.now();
    let waiting = 0;
    let offered = 0;
    let callbacks = 0;
    let oldest = Infinity;
    for (const c of q.contacts) {
      if (c.kind === 'callback') callbacks++;
      else if (c.state === 'offered') offered++;
      else waiting++;
      if (c.kind === 'call' && c.enqueuedAt < oldest) oldest = c.enqueuedAt;
    }
    const agentsByState: Record<AgentState, number> = { 'logged-out': 0, available: 0, reserved: 0, 'on-call': 0, 'wrap-up': 0, 'not-ready': 0 };
    for (const a of q.members) agentsByState[a.state]++;
    return { id: q.id, waiting, offered, callbacks, longestWaitMs: oldest === Infinity ? 0 : now - oldest, agentsByState };
  }

  /**
   * What wait estimators need to know about a queue: the handle time it has
   * seen, and the agents who can serve it — the busy ones with how long they
   * have been busy, and how many are free.
   */
  serviceView(queueId: string): { handleMs: Millis; free: number; busyElapsedMs: Millis[]; staffed: number } {
    const q = this.queue(queueId);
    const now = this.clock.now();
    const busyElapsedMs: Millis[] = [];
    let free = 0;
    for (const a of q.members) {
      if (a.state === 'available') free++;
      else if (a.state === 'on-call') busyElapsedMs.push(now - a.callStartedAt);
      else if (a.state === 'reserved') busyElapsedMs.push(0);
      else if (a.state === 'wrap-up') busyElapsedMs.push(now - a.callStartedAt);
    }
    return { handleMs: q.ahtEwmaMs ?? this.defaultHandleMs, free, busyElapsedMs, staffed: free + busyElapsedMs.length };
  }

  /**
   * Estimated wait for a contact at its current place (see ewt.ts): until an
   * agent frees up for it, plus the time operators of this queue usually take
   * to answer an offer. null when nobody serves the queue.
   */
  estimateWaitMs(contactId: string): Millis | null {
    const c = this.contact(contactId);
    const ring = c.queue.ringEwmaMs ?? 0;
    if (c.state === 'offered') return ring;
    const untilFree = estimateWaitMs(this.position(contactId), this.serviceView(c.queue.id));
    return untilFree === null ? null : untilFree + ring;
  }

  /** Estimated wait for a new contact joining the queue now at priority 0. */
  estimateWaitForNewMs(queueId: string): Millis | null {
    const q = this.queue(queueId);
    let ahead = 0;
    for (const c of q.contacts) if (c.state === 'waiting') ahead++;
    const untilFree = estimateWaitMs(ahead, this.serviceView(queueId));
    return untilFree === null ? null : untilFree + (q.ringEwmaMs ?? 0);
  }

  // ─────────────────────────────── internals ───────────────────────────────

  /** Run a command: first every deadline already due, then the command itself. */
  private run(command: (now: Millis) => void): AcdEvent[] {
    const now = this.clock.now();
    this.out = [];
    for (let due = this.deadlines.popDue(now); due !== undefined; due = this.deadlines.popDue(now)) {
      this.time = Math.max(this.time, due.at);
      this.fire(due.deadline, this.time);
    }
    this.time = now;
    command(now);
    const events = this.out;
    this.out = [];
    return events;
  }

  private emit(e: AcdEvent): void {
    this.out.push(e);
  }

  private fire(d: Deadline, now: Millis): void {
    switch (d.kind) {
      case 'offer-expiry':
        if (d.reservation.state === 'pending') this.missOffer(d.reservation, 'timeout');
        return;
      case 'wrap-end':
        if (d.agent.state === 'wrap-up' && d.agent.wrapGen === d.gen) {
          this.endWrapUp(d.agent);
          this.transition(d.agent, 'wrap-end');
        }
        return;
      case 'escalate':
        if (d.contact.gen === d.gen && d.contact.state !== 'connected' && this.contacts.get(d.contact.id) === d.contact) this.escalate(d.contact, d.step, now);
        return;
      case 'max-wait':
        if (d.contact.gen === d.gen && d.contact.state !== 'connected' && this.contacts.get(d.contact.id) === d.contact) {
          const c = d.contact;
          this.withdrawAll(c, 'contact-left');
          this.leaveQueue(c);
          this.contacts.delete(c.id);
          this.emit({ type: 'contact-timeout', at: now, contactId: c.id, queueId: c.queue.id, waitMs: now - c.enqueuedAt });
        }
        return;
      case 'retry':
        if (d.contact.gen === d.gen && this.contacts.get(d.contact.id) === d.contact) this.retryDeclined(d.contact, now);
        return;
    }
  }

  private transition(a: AgentRec, action: AgentAction, reason?: NotReadyReason): void {
    const from = a.state;
    const to = nextAgentState(a.id, from, action);
    const now = this.time;
    if (a.inAvailableSets) this.leaveAvailableSets(a);
    a.state = to;
    a.reason = to === 'not-ready' ? reason : undefined;
    if (from === 'on-call') a.pendingPause = null;
    // Idle time restarts when the agent is free after work or a break, not after a missed offer.
    if (to === 'available' && action !== 'release') a.idleSince = now;
    this.emit(a.reason === undefined ? { type: 'agent-state', at: now, agentId: a.id, from, to } : { type: 'agent-state', at: now, agentId: a.id, from, to, reason: a.reason });
    // Route first: when a contact is waiting the agent is reserved at once and
    // never enters the per-queue sets of free agents (the common case under load).
    if (to === 'available' && !this.dispatchAgent(a)) this.enterAvailableSets(a);
  }

  private enterAvailableSets(a: AgentRec): void {
    for (const q of a.queues) q.available.add(a);
    a.inAvailableSets = true;
  }

  private leaveAvailableSets(a: AgentRec): void {
    for (const q of a.queues) q.available.delete(a);
    a.inAvailableSets = false;
  }

  /** Put a contact in a queue (new, transferred or overflowed) and try to route it. */
  private placeInQueue(c: ContactRec, q: QueueRec): void {
    const now = this.time;
    c.queue = q;
    c.queuedAt = now;
    this.dropContactDeadlines(c);
    c.declined = null; // a new queue: every agent may be offered it
    this.declining.delete(c);
    c.visitedQueues.push(q.id);
    c.targetStep = 0;
    c.nextStep = 1;
    c.lane = this.laneFor(q, c);
    c.state = 'waiting';
    q.contacts.add(c);
    c.lane.heap.push(c);
    this.emit({ type: 'contact-queued', at: now, contactId: c.id, queueId: q.id, priority: c.priority, enqueuedAt: c.enqueuedAt, kind: c.kind });
    // Steps count from the original enqueue time: apply the ones already due
    // (a transferred or overflowed caller may be past some of them).
    while (c.nextStep < q.steps.length && c.enqueuedAt + (q.steps[c.nextStep] as CompiledStep).afterMs <= now) {
      if (this.applyStep(c, c.nextStep++, now)) return;
    }
    this.moveToLane(c);
    if (q.cfg.maxWaitSeconds !== null && c.kind === 'call') c.deadlines.push(this.deadlines.add(now + q.cfg.maxWaitSeconds * 1000, { kind: 'max-wait', contact: c, gen: c.gen }));
    this.armEscalation(c);
    this.dispatchContact(c);
  }

  /** After a step: the lane for the target in force, re-inserted because the priority may have changed. */
  private moveToLane(c: ContactRec): void {
    const lane = this.laneFor(c.queue, c);
    const inHeap = c.lane?.heap.remove(c) ?? false;
    c.lane = lane;
    if (inHeap) lane.heap.push(c);
  }

  private armEscalation(c: ContactRec): void {
    const step = c.queue.steps[c.nextStep];
    if (step !== undefined) c.deadlines.push(this.deadlines.add(c.enqueuedAt + step.afterMs, { kind: 'escalate', contact: c, gen: c.gen, step: c.nextStep }));
  }

  private escalate(c: ContactRec, stepIndex: number, now: Millis): void {
    if (stepIndex !== c.nextStep) return;
    c.nextStep++;
    if (this.applyStep(c, stepIndex, now)) return;
    this.moveToLane(c);
    this.armEscalation(c);
    this.dispatchContact(c);
  }

  /**
   * Apply escalation step `i` to a contact: widen the target, raise priority,
   * or overflow. Returns true when the contact overflowed to another queue.
   * Overflow never returns to a queue the contact has already been in (no loops).
   */
  private applyStep(c: ContactRec, i: number, now: Millis): boolean {
    const step = c.queue.steps[i] as CompiledStep;
    const target = step.overflowTo !== undefined ? this.queues.get(step.overflowTo) : undefined;
    // A callback request stays in the queue where it was made (its queue episode
    // ended when it was requested); widening and priority still apply to it.
    if (target !== undefined && c.kind === 'call' && !c.visitedQueues.includes(target.id)) {
      const from = c.queue;
      this.withdrawAll(c, 'contact-left');
      this.leaveQueue(c);
      this.emit({ type: 'contact-overflowed', at: now, contactId: c.id, queueId: from.id, toQueueId: target.id, waitMs: now - c.enqueuedAt });
      this.placeInQueue(c, target);
      return true;
    }
    c.targetStep = step.targetStep;
    if (step.priority !== undefined && step.priority > c.priority) c.priority = step.priority;
    if (c.queue.contacts.has(c)) this.emit({ type: 'contact-escalated', at: now, contactId: c.id, queueId: c.queue.id, step: i, priority: c.priority });
    return false;
  }

  private laneFor(q: QueueRec, c: ContactRec): Lane {
    const step = q.steps[c.targetStep] as CompiledStep;
    const key = `${c.targetStep}|${c.extraKey}`;
    let lane = q.lanes.get(key);
    if (lane === undefined) {
      const target = step.predicate;
      const extra = c.extra;
      const predicate: SkillPredicate = extra === null ? target : (s) => target(s) && extra(s);
      lane = new Lane(key, predicate);
      q.lanes.set(key, lane);
      q.laneList.push(lane);
      this.lanesVersion++;
    }
    return lane;
  }

  private leaveQueue(c: ContactRec): void {
    c.lane?.heap.remove(c);
    c.queue.contacts.delete(c);
    this.declining.delete(c);
    this.dropContactDeadlines(c);
  }

  /** Withdraw the contact's pending deadlines; its generation moves on so none can fire late. */
  private dropContactDeadlines(c: ContactRec): void {
    for (const d of c.deadlines) this.deadlines.cancel(d);
    c.deadlines.length = 0;
    c.gen++;
  }

  /** Route a waiting contact to available agents per the queue's strategy. */
  private dispatchContact(c: ContactRec): void {
    if (c.state !== 'waiting' || c.lane === null) return;
    const q = c.queue;
    if (q.available.size === 0) return;
    const now = this.time;
    const lane = c.lane;
    const candidates = this.candidates;
    candidates.length = 0;
    let declinedSkipped = false;
    for (const a of q.available) {
      if (!lane.accepts(a)) continue;
      if (c.isDeclinedBy(a, now)) {
        declinedSkipped = true;
        continue;
      }
      candidates.push(a);
    }
    if (candidates.length === 0) {
      if (declinedSkipped) this.armRetry(c, now);
      return;
    }
    // While some agent is skipping a contact after a miss, a free agent may
    // owe its next offer to a contact ahead of this one whose skip just ended:
    // let such an agent choose, and try the others for this contact.
    const careful = this.declining.size > 0;
    if (q.cfg.strategy === 'ring-all') {
      for (const a of candidates.slice()) {
        if (careful && this.bestContactFor(a) !== c) this.dispatchAgent(a);
        else this.reserve(c, a, now);
      }
    } else {
      const pool = candidates.slice();
      while (pool.length > 0 && c.state === 'waiting') {
        const a = pickAgent(q.cfg.strategy, pool, { queue: q, random: this.random });
        if (!careful || this.bestContactFor(a) === c) {
          this.reserve(c, a, now);
          break;
        }
        this.dispatchAgent(a);
        pool.splice(pool.indexOf(a), 1);
      }
    }
    candidates.length = 0;
  }

  /**
   * An agent became available: offer the best waiting contact across the
   * agent's queues — higher priority first, then higher queue weight, then
   * the longest wait.
   */
  private dispatchAgent(a: AgentRec): boolean {
    if (a.state !== 'available') return false;
    const best = this.bestContactFor(a);
    if (best === null) return false;
    this.reserve(best, a, this.time);
    return true;
  }

  private bestContactFor(a: AgentRec): ContactRec | null {
    const now = this.time;
    let best: ContactRec | null = null;
    const lanes = this.lanesOf(a);
    for (let j = 0; j < lanes.length; j++) {
      const lane = lanes[j] as Lane;
      if (lane.heap.size === 0) continue;
      const head = firstNotDeclined(lane, a, now);
      if (head !== null && (best === null || betterAcrossQueues(head, best))) best = head;
    }
    return best;
  }

  /** The lanes an agent may take contacts from (only those it is eligible for), rebuilt after lanes change. */
  private lanesOf(a: AgentRec): Lane[] {
    if (a.lanesVersion === this.lanesVersion) return a.lanes;
    const lanes: Lane[] = [];
    for (const q of a.queues) for (const lane of q.laneList) if (lane.accepts(a)) lanes.push(lane);
    a.lanes = lanes;
    a.lanesVersion = this.lanesVersion;
    return lanes;
  }

  private reserve(c: ContactRec, a: AgentRec, now: Millis): void {
    const ringMs = c.queue.cfg.ringTimeoutSeconds * 1000;
    const r = new Reservation(`r${++this.reservationSeq}`, c, a, c.queue, now, now + ringMs);
    this.reservations.set(r.id, r);
    c.reservations.push(r);
    if (c.state === 'waiting') {
      c.lane?.heap.remove(c);
      c.state = 'offered';
    }
    a.reservation = r;
    this.transition(a, 'reserve');
    r.expiry = this.deadlines.add(r.expiresAt, { kind: 'offer-expiry', reservation: r });
    this.emit({ type: 'offer', at: now, reservationId: r.id, contactId: c.id, agentId: a.id, queueId: c.queue.id, expiresAt: r.expiresAt });
  }

  /** An offer was rejected or rang out: the contact goes back to its place, the agent may be set not ready. */
  private missOffer(r: Reservation, reason: 'rejected' | 'timeout'): void {
    const now = this.time;
    const { contact: c, agent: a, queue: q } = r;
    r.state = 'missed';
    this.deadlines.cancel(r.expiry);
    this.reservations.delete(r.id);
    removeItem(c.reservations, r);
    a.reservation = null;
    a.missedInRow++;
    this.emit({ type: 'offer-missed', at: now, reservationId: r.id, contactId: c.id, agentId: a.id, queueId: q.id, reason });
    // The agent is skipped for this contact until the retry time; then everyone is tried again.
    const retryAt = now + q.cfg.retrySeconds * 1000;
    (c.declined ??= new Map()).set(a, retryAt);
    this.declining.add(c);
    c.deadlines.push(this.deadlines.add(retryAt, { kind: 'retry', contact: c, gen: c.gen }));
    this.returnToLine(c);
    if (q.cfg.maxNoAnswer > 0 && a.missedInRow >= q.cfg.maxNoAnswer) this.transition(a, 'miss-limit', 'missed-calls');
    else this.transition(a, 'release');
  }

  /** Cancel one pending reservation (not the agent's fault) and release the agent. */
  private withdrawReservation(r: Reservation, reason: 'caller-hangup' | 'answered-elsewhere' | 'agent-not-ready' | 'contact-left'): void {
    const now = this.time;
    const { contact: c, agent: a } = r;
    r.state = 'cancelled';
    this.deadlines.cancel(r.expiry);
    this.reservations.delete(r.id);
    removeItem(c.reservations, r);
    a.reservation = null;
    this.emit({ type: 'offer-cancelled', at: now, reservationId: r.id, contactId: c.id, agentId: a.id, queueId: r.queue.id, reason });
    if (reason === 'agent-not-ready') {
      // The agent moves to not-ready right after; the contact is routed again.
      this.returnToLine(c);
      return;
    }
    this.transition(a, 'release');
  }

  /**
   * Cancel every pending reservation of a contact; the agents become available
   * again. The contact is out of its lane while offered, so the released agents
   * cannot pick it again here; unless it was just answered, it then goes back
   * to its place.
   */
  private withdrawAll(c: ContactRec, reason: 'caller-hangup' | 'answered-elsewhere' | 'contact-left'): void {
    while (c.reservations.length > 0) this.withdrawReservation(c.reservations[0] as Reservation, reason);
    if (c.state === 'offered' && reason !== 'answered-elsewhere') {
      c.state = 'waiting';
      if (c.queue.contacts.has(c)) c.lane?.heap.push(c);
    }
  }

  /** After the last pending offer of a contact ends: back to its place, then route it again. */
  private returnToLine(c: ContactRec): void {
    if (c.reservations.length > 0 || c.state !== 'offered') return;
    c.state = 'waiting';
    c.lane?.heap.push(c);
    this.dispatchContact(c);
  }

  /**
   * Agents whose pause after missing this contact is over may be offered work
   * again. They choose from the line like any free agent does — the contact
   * that retried is not pushed ahead of others waiting longer.
   */
  private retryDeclined(c: ContactRec, now: Millis): void {
    if (c.declined === null) return;
    for (const [agent, until] of c.declined) {
      if (until > now) continue;
      c.declined.delete(agent);
      if (agent.state === 'available') this.dispatchAgent(agent);
    }
    if (c.declined.size === 0) {
      c.declined = null;
      this.declining.delete(c);
    } else this.armRetry(c, now); // the next decline to run out
  }

  private armRetry(c: ContactRec, now: Millis): void {
    if (c.declined === null) return;
    let soonest = Infinity;
    for (const until of c.declined.values()) if (until > now && until < soonest) soonest = until;
    if (soonest !== Infinity) c.deadlines.push(this.deadlines.add(soonest, { kind: 'retry', contact: c, gen: c.gen }));
  }

  /** Close the talk part of a call; returns the talk time. */
  private finishCall(a: AgentRec, now: Millis): Millis {
    const talkMs = now - a.callStartedAt;
    a.callsHandled++;
    a.talkMs += talkMs;
    a.contact = null;
    return talkMs;
  }

  /** The agent's next state after a call: wrap-up, a requested break, or available. */
  private afterCall(a: AgentRec): void {
    const now = this.time;
    const q = a.workQueue;
    const wrapMs = (q?.cfg.wrapUpSeconds ?? 0) * 1000;
    if (a.pendingPause !== null) {
      const reason = a.pendingPause;
      this.recordHandle(a, now);
      this.transition(a, 'hangup-pause', reason);
    } else if (wrapMs > 0) {
      a.wrapStartedAt = now;
      a.wrapGen++;
      this.deadlines.add(now + wrapMs, { kind: 'wrap-end', agent: a, gen: a.wrapGen });
      this.transition(a, 'hangup');
    } else {
      this.recordHandle(a, now);
      this.transition(a, 'hangup-no-wrap');
    }
  }

  private endWrapUp(a: AgentRec): void {
    const now = this.time;
    a.wrapGen++;
    const q = a.workQueue;
    this.recordHandle(a, now);
    if (q !== null) this.emit({ type: 'wrap-up-ended', at: now, agentId: a.id, queueId: q.id, wrapMs: now - a.wrapStartedAt });
  }

  /** Feed the queue's handle-time average (talk + wrap-up) for wait estimates. */
  private recordHandle(a: AgentRec, now: Millis): void {
    const q = a.workQueue;
    if (q === null) return;
    const handle = now - a.callStartedAt;
    q.ahtEwmaMs = q.ahtEwmaMs === null ? handle : q.ahtEwmaMs + HANDLE_EWMA_WEIGHT * (handle - q.ahtEwmaMs);
    a.workQueue = null;
  }

  private refreshMembership(a: AgentRec): void {
    if (a.inAvailableSets) this.leaveAvailableSets(a);
    for (const q of a.queues) q.members.delete(a);
    a.queues = [];
    a.lanesVersion = -1;
    for (const q of this.queues.values()) {
      if (!q.servable(a)) continue;
      a.queues.push(q);
      q.members.add(a);
    }
    if (a.state === 'available') this.enterAvailableSets(a);
  }

  private agent(id: string): AgentRec {
    const a = this.agents.get(id);
    if (a === undefined) throw new AcdError('ACD_UNKNOWN_AGENT', `unknown agent ${id}`);
    return a;
  }

  private queue(id: string): QueueRec {
    const q = this.queues.get(id);
    if (q === undefined) throw new AcdError('ACD_UNKNOWN_QUEUE', `unknown queue ${id}`);
    return q;
  }

  private contact(id: string): ContactRec {
    const c = this.contacts.get(id);
    if (c === undefined) throw new AcdError('ACD_UNKNOWN_CONTACT', `unknown contact ${id}`);
    return c;
  }

  private reservation(id: string): Reservation {
    const r = this.reservations.get(id);
    if (r === undefined || r.state !== 'pending') throw new AcdError('ACD_UNKNOWN_RESERVATION', `no pending reservation ${id}`);
    return r;
  }
}

/** Best contact for an agent across queues: priority, then queue weight, then longest wait. */
function betterAcrossQueues(a: ContactRec, b: ContactRec): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.queue.cfg.weight !== b.queue.cfg.weight) return a.queue.cfg.weight > b.queue.cfg.weight;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt < b.enqueuedAt;
  return a.seq < b.seq;
}

/**
 * The first contact of a lane this agent has not just missed. Declines are
 * rare and short-lived, so look a few places deep in heap order first, and
 * only then scan the whole lane.
 */
const DECLINE_LOOKAHEAD = 8;
function firstNotDeclined(lane: Lane, a: AgentRec, now: Millis): ContactRec | null {
  const head = lane.heap.peek();
  if (head === undefined) return null;
  if (!head.isDeclinedBy(a, now)) return head;
  const popped: ContactRec[] = [];
  let found: ContactRec | null = null;
  while (popped.length < DECLINE_LOOKAHEAD) {
    const c = lane.heap.pop();
    if (c === undefined) break;
    popped.push(c);
    if (!c.isDeclinedBy(a, now)) {
      found = c;
      break;
    }
  }
  for (const c of popped) lane.heap.push(c);
  if (found !== null || popped.length < DECLINE_LOOKAHEAD) return found;
  // Many declines at the head: the best remaining contact by a linear scan.
  for (const c of lane.heap.values()) if (!c.isDeclinedBy(a, now) && (found === null || contactBefore(c, found))) found = c;
  return found;
}

function compileSteps(cfg: QueueConfig): { steps: CompiledStep[]; servable: SkillPredicate; rankSkills: string[] } {
  const steps: CompiledStep[] = [];
  const predicates: SkillPredicate[] = [];
  const rank = new Set<string>();
  const base = parseSkillExpression(cfg.target);
  referencedSkills(base, rank);
  let current = compileSkillExpression(base);
  predicates.push(current);
  steps.push({ afterMs: 0, targetStep: 0, predicate: current, priority: undefined, overflowTo: undefined });
  let targetStep = 0;
  cfg.escalation.forEach((s, i) => {
    if (s.target !== undefined) {
      const e = parseSkillExpression(s.target);
      referencedSkills(e, rank);
      current = compileSkillExpression(e);
      predicates.push(current);
      targetStep = i + 1;
    }
    steps.push({ afterMs: s.afterSeconds * 1000, targetStep, predicate: current, priority: s.priority, overflowTo: s.overflowTo });
  });
  const servable: SkillPredicate = predicates.length === 1 ? (predicates[0] as SkillPredicate) : (s) => predicates.some((p) => p(s));
  return { steps, servable, rankSkills: [...rank] };
}

function clampPriority(p: number): number {
  if (!Number.isFinite(p)) throw new AcdError('ACD_BAD_ARGUMENT', `priority must be a number 0–9, got ${p}`);
  return Math.max(0, Math.min(9, Math.round(p)));
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
