/**
 * The ACD's internal records: mutable, owned by the Acd instance, never handed
 * out. Callers see ids and events only.
 */
import { IndexedHeap, type HeapItem } from './heap.ts';
import type { SkillPredicate, SkillSubject } from './expression.ts';
import type { DeadlineHandle } from './timers.ts';
import type { AgentConfig, AgentState, ContactKind, Millis, NotReadyReason, QueueConfig } from './types.ts';

export class AgentRec implements SkillSubject {
  skills: Map<string, number>;
  languages: Set<string>;
  state: AgentState = 'logged-out';
  reason: NotReadyReason | undefined;
  /** When the agent last became free after work (longest-idle key). */
  idleSince: Millis = 0;
  reservation: Reservation | null = null;
  /** The contact the agent is talking to (on-call) or wrapping up. */
  contact: ContactRec | null = null;
  callStartedAt: Millis = 0;
  /** Queue whose wrap-up time applies and whose AHT this call feeds. */
  workQueue: QueueRec | null = null;
  wrapStartedAt: Millis = 0;
  /** Bumped whenever wrap-up starts or ends, so stale wrap timers are ignored. */
  wrapGen = 0;
  /** A break requested during a call: applied when the call ends. */
  pendingPause: NotReadyReason | null = null;
  missedInRow = 0;
  callsHandled = 0;
  talkMs: Millis = 0;
  /** Queues this agent can serve at some escalation step. */
  queues: QueueRec[] = [];
  /** Whether the agent is in its queues' `available` sets (only while available and not routed at once). */
  inAvailableSets = false;
  /** The lanes this agent may take contacts from, valid while `lanesVersion` matches the ACD's. */
  lanes: Lane[] = [];
  lanesVersion = -1;

  constructor(
    public cfg: AgentConfig,
    readonly order: number,
  ) {
    this.skills = new Map(Object.entries(cfg.skills));
    this.languages = new Set(cfg.languages);
  }

  get id(): string {
    return this.cfg.id;
  }
}

/** One escalation step, compiled. Step 0 is the queue's own target. */
export interface CompiledStep {
  afterMs: Millis;
  /** Index of the step whose target is in force from this step on. */
  targetStep: number;
  predicate: SkillPredicate;
  priority: number | undefined;
  overflowTo: string | undefined;
}

/**
 * Contacts of one queue that share the same eligibility rule (the target in
 * force and the contact's own extra requirements), ordered by priority, then
 * original enqueue time. Few lanes exist per queue (steps × languages), so an
 * agent compares a handful of lane heads instead of scanning contacts.
 */
export class Lane {
  readonly heap = new IndexedHeap<ContactRec>(contactBefore);
  /**
   * Eligibility of each agent (by creation order) for this lane: 0 unknown,
   * 1 yes, 2 no. Evaluating a skill expression costs several Map lookups; the
   * routing path asks the same question for the same agent over and over.
   */
  private eligible = new Uint8Array(0);

  constructor(
    readonly key: string,
    readonly predicate: SkillPredicate,
  ) {}

  accepts(agent: AgentRec): boolean {
    const i = agent.order;
    if (i >= this.eligible.length) {
      const grown = new Uint8Array(Math.max(64, (i + 1) * 2));
      grown.set(this.eligible);
      this.eligible = grown;
    }
    let v = this.eligible[i] as number;
    if (v === 0) {
      v = this.predicate(agent) ? 1 : 2;
      this.eligible[i] = v;
    }
    return v === 1;
  }

  /** An agent's skills changed: ask the predicate again next time. */
  forget(agent: AgentRec): void {
    if (agent.order < this.eligible.length) this.eligible[agent.order] = 0;
  }
}

/** Order inside a queue: higher priority first, then earlier original enqueue time, then arrival order. */
export function contactBefore(a: ContactRec, b: ContactRec): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt < b.enqueuedAt;
  return a.seq < b.seq;
}

export class QueueRec {
  steps: CompiledStep[] = [];
  /** Union of every step's target: who can serve this queue at all. */
  servable: SkillPredicate = () => false;
  rankSkills: string[] = [];
  readonly lanes = new Map<string, Lane>();
  /** The same lanes as an array: iterated on every agent-side decision. */
  laneList: Lane[] = [];
  /** Available agents that can serve this queue (at some step). */
  readonly available = new Set<AgentRec>();
  /** Every agent that can serve this queue at some step, whatever its state (for snapshots and wait estimates). */
  readonly members = new Set<AgentRec>();
  /** Contacts in the queue: waiting, being offered, or callbacks. */
  readonly contacts = new Set<ContactRec>();
  /** Position in `members` for top-down and round-robin. */
  memberOrder = new Map<string, number>();
  rrLastPosition = -1;
  /** Exponentially weighted handle time (talk + wrap-up) for wait estimates. */
  ahtEwmaMs: Millis | null = null;
  /** Exponentially weighted time from offer to answer. */
  ringEwmaMs: Millis | null = null;

  constructor(
    public cfg: QueueConfig,
    readonly order: number,
  ) {}

  get id(): string {
    return this.cfg.id;
  }

  /** Linear position of an agent for top-down / round-robin. */
  position(agent: AgentRec): number {
    return this.memberOrder.get(agent.id) ?? 1_000_000 + agent.order;
  }
}

export type ContactState = 'waiting' | 'offered' | 'connected';

export class ContactRec implements HeapItem {
  heapIndex = -1;
  state: ContactState = 'waiting';
  lane: Lane | null = null;
  /** Next escalation step to apply (index into queue.steps). */
  nextStep = 1;
  /** Step whose target is in force. */
  targetStep = 0;
  /** Bumped when the contact leaves or changes queue: stale timers are ignored. */
  gen = 0;
  readonly reservations: Reservation[] = [];
  /** Agents that missed this contact, and until when they are skipped. */
  declined: Map<AgentRec, Millis> | null = null;
  /** Pending escalation / max-wait / retry deadlines, cancelled when the contact leaves the queue. */
  deadlines: DeadlineHandle[] = [];
  agent: AgentRec | null = null;
  visitedQueues: string[] = [];
  queuedAt: Millis;

  constructor(
    readonly id: string,
    public queue: QueueRec,
    public priority: number,
    readonly enqueuedAt: Millis,
    readonly seq: number,
    public kind: ContactKind,
    public callbackNumber: string | undefined,
    /** Contact's own requirement (language, extra skills) and its lane key part. */
    readonly extra: SkillPredicate | null,
    readonly extraKey: string,
    now: Millis,
  ) {
    this.queuedAt = now;
  }

  isDeclinedBy(agent: AgentRec, now: Millis): boolean {
    if (this.declined === null) return false;
    const until = this.declined.get(agent);
    return until !== undefined && until > now;
  }
}

export type ReservationState = 'pending' | 'accepted' | 'missed' | 'cancelled';

export class Reservation {
  state: ReservationState = 'pending';
  expiry: DeadlineHandle | null = null;
  constructor(
    readonly id: string,
    readonly contact: ContactRec,
    readonly agent: AgentRec,
    readonly queue: QueueRec,
    readonly createdAt: Millis,
    readonly expiresAt: Millis,
  ) {}
}
