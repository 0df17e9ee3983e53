/**
 * Public types of the ACD core. Everything here is plain data: the ACD takes
 * configuration and commands, and answers with events (decisions and facts).
 *
 * Times are milliseconds on the injected clock (epoch ms in production,
 * simulated ms in the simulator). Durations in configuration are seconds,
 * because that is how contact-center people write them.
 */

export type Millis = number;

/** Injected time source: the ACD never reads Date.now() itself. */
export interface Clock {
  now(): Millis;
}

export type StrategyName =
  | 'longest-idle'
  | 'ring-all'
  | 'round-robin'
  | 'top-down'
  | 'fewest-calls'
  | 'least-talk-time'
  | 'highest-skill-first'
  | 'random'
  | 'weighted-random';

export const STRATEGIES: readonly StrategyName[] = [
  'longest-idle',
  'ring-all',
  'round-robin',
  'top-down',
  'fewest-calls',
  'least-talk-time',
  'highest-skill-first',
  'random',
  'weighted-random',
];

/**
 * Service-level definitions in common use; see service-level.ts for the
 * formulas. A queue picks one as "the" service level.
 */
export type ServiceLevelDefinition =
  | 'asterisk-sl'
  | 'asterisk-sl2'
  | 'offered-excluding-short-abandons'
  | 'removed-within';

export const SERVICE_LEVEL_DEFINITIONS: readonly ServiceLevelDefinition[] = [
  'asterisk-sl',
  'asterisk-sl2',
  'offered-excluding-short-abandons',
  'removed-within',
];

/** One escalation step (FreeSWITCH tier rules / Twilio workflow targets). */
export interface EscalationStep {
  /** Seconds since the contact's original enqueue time. */
  afterSeconds: number;
  /** New target expression, usually wider (line 1 → line 1 + line 2). */
  target?: string;
  /** Raise the contact's priority to at least this value (0–9). */
  priority?: number;
  /** Move the contact to another queue, keeping its original enqueue time. */
  overflowTo?: string;
}

export interface QueueConfig {
  id: string;
  name?: string;
  /** Skill expression, e.g. `internet >= 3 && lang == ru`. */
  target: string;
  strategy: StrategyName;
  /** Weight across queues: an agent in several queues takes the higher weight first at equal priority. */
  weight: number;
  serviceLevelSeconds: number;
  shortAbandonSeconds: number;
  serviceLevelDefinition: ServiceLevelDefinition;
  /** null: wait without limit. */
  maxWaitSeconds: number | null;
  /** null: no limit on waiting contacts. */
  maxLength: number | null;
  wrapUpSeconds: number;
  ringTimeoutSeconds: number;
  /** Consecutive missed offers before the agent is set Not ready (0: never). */
  maxNoAnswer: number;
  /** Seconds before an agent who missed an offer is offered the same contact again. */
  retrySeconds: number;
  escalation: EscalationStep[];
  /** Optional explicit agent order for top-down and round-robin (otherwise agent creation order). */
  members?: string[];
}

export interface AgentConfig {
  id: string;
  name: string;
  /** Skill name → proficiency 1–10. */
  skills: Record<string, number>;
  languages: string[];
  /** Weight for weighted-random (default 1). */
  weight?: number;
}

export type AgentState = 'logged-out' | 'available' | 'reserved' | 'on-call' | 'wrap-up' | 'not-ready';

export type NotReadyReason = 'break' | 'lunch' | 'training' | 'missed-calls' | 'other';

export const NOT_READY_REASONS: readonly NotReadyReason[] = ['break', 'lunch', 'training', 'missed-calls', 'other'];

export type ContactKind = 'call' | 'callback';

export interface ContactRequest {
  id: string;
  queueId: string;
  /** 0–9, higher first. Default 0. */
  priority?: number;
  /** Original enqueue time (transfers, callbacks keep their place). Default: now. */
  enqueuedAt?: Millis;
  /** Language the caller chose; the agent must speak it. */
  language?: string;
  /** Extra minimum skill levels on top of the queue target. */
  skills?: Record<string, number>;
  attributes?: Record<string, string | number | boolean>;
  kind?: ContactKind;
  callbackNumber?: string;
}

export type ContactOutcome = 'answered' | 'abandoned' | 'timeout' | 'overflow' | 'transferred';

/**
 * Events the ACD emits. Events named after a decision (offer, offer-cancelled,
 * contact-timeout) are instructions for the host (ring the operator, stop
 * ringing, move the caller on in the flow); the others are facts to record.
 * `waitMs` is always measured from the contact's original enqueue time.
 */
export type AcdEvent =
  | { type: 'contact-queued'; at: Millis; contactId: string; queueId: string; priority: number; enqueuedAt: Millis; kind: ContactKind }
  | { type: 'contact-refused'; at: Millis; contactId: string; queueId: string; reason: 'queue-full' }
  | { type: 'offer'; at: Millis; reservationId: string; contactId: string; agentId: string; queueId: string; expiresAt: Millis }
  | { type: 'offer-cancelled'; at: Millis; reservationId: string; contactId: string; agentId: string; queueId: string; reason: 'caller-hangup' | 'answered-elsewhere' | 'agent-not-ready' | 'contact-left' }
  | { type: 'offer-missed'; at: Millis; reservationId: string; contactId: string; agentId: string; queueId: string; reason: 'rejected' | 'timeout' }
  | { type: 'contact-connected'; at: Millis; contactId: string; agentId: string; queueId: string; reservationId: string; waitMs: Millis; kind: ContactKind }
  | { type: 'contact-abandoned'; at: Millis; contactId: string; queueId: string; waitMs: Millis }
  | { type: 'contact-timeout'; at: Millis; contactId: string; queueId: string; waitMs: Millis }
  | { type: 'contact-overflowed'; at: Millis; contactId: string; queueId: string; toQueueId: string; waitMs: Millis }
  | { type: 'contact-escalated'; at: Millis; contactId: string; queueId: string; step: number; priority: number }
  | { type: 'contact-callback'; at: Millis; contactId: string; queueId: string; callbackNumber: string }
  /** A waiting callback request was withdrawn (by the caller or an administrator) before an agent took it. */
  | { type: 'callback-cancelled'; at: Millis; contactId: string; queueId: string }
  | { type: 'contact-completed'; at: Millis; contactId: string; agentId: string; queueId: string; talkMs: Millis }
  | { type: 'contact-transferred'; at: Millis; contactId: string; agentId: string; queueId: string; toQueueId: string; talkMs: Millis }
  | { type: 'wrap-up-ended'; at: Millis; agentId: string; queueId: string; wrapMs: Millis }
  | { type: 'agent-state'; at: Millis; agentId: string; from: AgentState; to: AgentState; reason?: NotReadyReason };

export type AcdEventType = AcdEvent['type'];
