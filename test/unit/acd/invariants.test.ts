/**
 * Property-based tests of the ACD's invariants (see the header of src/acd/acd.ts).
 *
 * fast-check generates a small world — three queues: `ring` (ring-all, no
 * escalation), `esc` (escalation: target widening at 20 s, priority 7 at 40 s,
 * overflow to `plain` at 60 s) and `plain` (a single-agent strategy, no
 * escalation, max length 3); 3–6 agents with different skills and languages —
 * and a random interleaving of commands (enqueue with random priority,
 * language, kind and original enqueue time; cancel, requestCallback, accept,
 * reject, complete, transfer, login, logout, pause, ready, upsertAgent) and
 * clock advances (0–40 s, or to the next deadline, then `advance()`).
 *
 * The harness resolves each abstract command against what it has seen so far
 * (reservation ids from `offer` events, contact ids from enqueues; sometimes a
 * stale or unknown id on purpose), runs it, replays the emitted events into a
 * model of its own and compares that model with the ACD's views after every
 * command. An AcdError is an allowed answer to an illegal command; any other
 * exception fails the run.
 *
 *   0  An illegal command (AcdError) changes nothing: every agentView,
 *      contactView, queueSnapshot and nextDeadline is the same before and after.
 *   1  An agent holds at most one pending reservation and at most one call:
 *      no `offer` to an agent that holds one or talks; reservations end (missed,
 *      cancelled, answered) only while pending; in the views `reserved` ⇔
 *      reservationId and `on-call` ⇔ contactId, both equal to the events'.
 *   2  A contact is connected to at most one agent: one `contact-connected` per
 *      queue visit, none while connected, no offer still ringing when it
 *      connects; ring-all losers end with `answered-elsewhere`; only ring-all
 *      offers one contact to several agents.
 *   3  Place in line. The events give each contact its queue, state, priority
 *      (latest contact-queued / contact-escalated) and original enqueue time;
 *      these must match contactView, and `position()` must count the waiting
 *      contacts ahead (priority desc, enqueuedAt asc, arrival asc). Dispatch
 *      order too: in a queue without escalation, an agent is not offered a
 *      contact while a contact ahead of it (neither with a language) waits and
 *      the agent had not missed that one within retrySeconds.
 *   4  Work conservation (queues without escalation, contacts without
 *      language): no waiting contact while an available agent matching the
 *      queue target exists that had not missed it within retrySeconds.
 *   5  agent-state events form a chain per agent (`from` = previous `to`,
 *      starting logged-out) ending in agentView's state.
 *   6  Each queue visit (opened by contact-queued) ends with exactly one
 *      outcome: contact-connected / -abandoned / -timeout / -overflowed /
 *      -callback, or callback-cancelled for a contact queued as a callback. A
 *      requested callback is later served (contact-connected, kind callback)
 *      or withdrawn (callback-cancelled) without a new visit. A contact that
 *      leaves the ACD leaves no open visit; hasContact agrees with the events.
 *   7  Events are in non-decreasing time; a command's own events are at
 *      clock.now(), deadline-driven ones (advance) at or before it.
 *
 * Each invariant is a separate property, so each shrinks to its own
 * counterexample; a violation's message carries the resolved command script of
 * the failing run with the events every command emitted. Coverage counters
 * summed over a property's runs check that every path was exercised (offers,
 * misses by reject and timeout, cancels, ring-all cancels, escalations,
 * overflows, callbacks, transfers, ...), so no property passes vacuously.
 * Counterexamples found so far are pinned at the end of the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Acd } from '../../../src/acd/acd.ts';
import { ManualClock } from '../../../src/acd/clock.ts';
import { queueConfig } from '../../../src/acd/defaults.ts';
import { AcdError } from '../../../src/acd/errors.ts';
import {
  NOT_READY_REASONS,
  STRATEGIES,
  type AcdEvent,
  type AgentConfig,
  type AgentState,
  type ContactKind,
  type ContactRequest,
  type QueueConfig,
  type StrategyName,
} from '../../../src/acd/types.ts';

const S = 1000;
const T0 = 1_000_000;
const NUM_RUNS = 300;
/** Wall-clock cap per property: keeps a long shrink from stalling the suite (an interrupted shrink still fails). */
const TIME_BUDGET_MS = 4000;

// ─────────────────────────────── the world ───────────────────────────────

interface Profile {
  skills: Record<string, number>;
  languages: string[];
}

/** Skill sets agents start with or are switched to by upsertAgent. */
const PROFILES: readonly Profile[] = [
  { skills: { internet: 5 }, languages: ['ru'] },
  { skills: { internet: 3, tv: 6 }, languages: ['ru', 'en'] },
  { skills: { tv: 2 }, languages: ['en'] },
  { skills: { internet: 7, tv: 3 }, languages: ['ru', 'de'] },
  { skills: { internet: 1 }, languages: ['de'] },
  { skills: { tv: 5, internet: 2 }, languages: ['en'] },
  { skills: {}, languages: ['ru'] },
];

/** Contact languages; 'fr' is spoken by nobody. */
const LANGUAGES: readonly (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, 'ru', 'en', 'de', 'fr'];

const QUEUE_IDS = ['ring', 'esc', 'plain'] as const;
type QueueId = (typeof QUEUE_IDS)[number];

const SINGLE_STRATEGIES = STRATEGIES.filter((s): s is Exclude<StrategyName, 'ring-all'> => s !== 'ring-all');

function queues(escStrategy: StrategyName, plainStrategy: StrategyName): QueueConfig[] {
  return [
    queueConfig({
      id: 'ring',
      target: 'internet >= 3',
      strategy: 'ring-all',
      weight: 2,
      ringTimeoutSeconds: 10,
      retrySeconds: 30,
      wrapUpSeconds: 5,
      maxNoAnswer: 0,
      maxWaitSeconds: 90,
    }),
    queueConfig({
      id: 'esc',
      target: 'tv >= 5',
      strategy: escStrategy,
      weight: 1,
      ringTimeoutSeconds: 15,
      retrySeconds: 8,
      wrapUpSeconds: 10,
      maxNoAnswer: 2,
      maxWaitSeconds: 150,
      members: ['a3', 'a2'],
      escalation: [
        { afterSeconds: 20, target: 'tv >= 2 || internet >= 5' },
        { afterSeconds: 40, priority: 7 },
        { afterSeconds: 60, overflowTo: 'plain' },
      ],
    }),
    queueConfig({
      id: 'plain',
      target: 'internet >= 1',
      strategy: plainStrategy,
      weight: 1,
      ringTimeoutSeconds: 12,
      retrySeconds: 30,
      wrapUpSeconds: 0,
      maxNoAnswer: 3,
      maxWaitSeconds: null,
      maxLength: 3,
      members: ['a4', 'a1', 'a2'],
    }),
  ];
}

/** Queues without escalation, with an independent oracle of their targets (for work conservation). */
const SIMPLE_TARGETS: ReadonlyMap<string, (p: Profile) => boolean> = new Map([
  ['ring', (p: Profile) => (p.skills.internet ?? 0) >= 3],
  ['plain', (p: Profile) => (p.skills.internet ?? 0) >= 1],
]);

interface World {
  profiles: number[];
  /** How many agents (from a1) log in before the generated commands. */
  loggedIn: number;
  escStrategy: StrategyName;
  plainStrategy: StrategyName;
  seed: number;
}

/** Profiles that can serve the ring-all queue: the first two or three agents have one, so ring-all rings several phones. */
const RING_PROFILES = [0, 1, 3];

const worldArb: fc.Arbitrary<World> = fc.record({
  profiles: fc
    .tuple(fc.array(fc.constantFrom(...RING_PROFILES), { minLength: 2, maxLength: 3 }), fc.array(fc.nat({ max: PROFILES.length - 1 }), { minLength: 1, maxLength: 3 }))
    .map(([ring, rest]) => [...ring, ...rest]),
  loggedIn: fc.nat({ max: 6 }),
  escStrategy: fc.constantFrom(...SINGLE_STRATEGIES),
  plainStrategy: fc.constantFrom(...SINGLE_STRATEGIES),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

// ────────────────────────────── the commands ─────────────────────────────

const pick = fc.nat({ max: 1000 });

const cmdArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('enqueue' as const),
      q: fc.nat({ max: 30 }), // 0–11 ring, 12–20 esc, 21–29 plain, 30 an unknown queue
      priority: fc.oneof(fc.constant(0), fc.nat({ max: 9 })),
      lang: fc.nat({ max: LANGUAGES.length - 1 }),
      callback: fc.nat({ max: 4 }).map((n) => n === 0),
      agoS: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 120 }) }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('reuseId' as const), c: pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), c: pick, any: fc.nat({ max: 5 }).map((n) => n === 0) }) },
  {
    weight: 3,
    // recent: the caller an operator just missed asks for a callback (a common moment to give up waiting).
    arbitrary: fc.record({ k: fc.constant('callback' as const), c: pick, any: fc.nat({ max: 5 }).map((n) => n === 0), recent: fc.boolean() }),
  },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('accept' as const), r: pick, stale: fc.nat({ max: 6 }).map((n) => n === 0) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('reject' as const), r: pick, stale: fc.nat({ max: 6 }).map((n) => n === 0) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('complete' as const), c: pick, any: fc.nat({ max: 5 }).map((n) => n === 0) }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('transfer' as const), c: pick, q: fc.nat({ max: 2 }), priority: fc.nat({ max: 9 }), any: fc.nat({ max: 5 }).map((n) => n === 0) }),
  },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('login' as const), a: pick, notReady: fc.nat({ max: 4 * NOT_READY_REASONS.length }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('logout' as const), a: pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pause' as const), a: pick, reason: fc.nat({ max: NOT_READY_REASONS.length - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('ready' as const), a: pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('upsertAgent' as const), a: pick, profile: fc.nat({ max: PROFILES.length - 1 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      ms: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }).map((s) => s * S) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).map((s) => s * S) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 * S }) },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('toNextDeadline' as const) }) },
);

type Cmd = typeof cmdArb extends fc.Arbitrary<infer T> ? T : never;

const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 80, size: 'max' });

// ─────────────────────────────── the model ───────────────────────────────

type Invariant =
  | '0 illegal commands change nothing'
  | '1 one reservation and one call per agent'
  | '2 one connection per contact'
  | '3 place in line'
  | '4 work conservation'
  | '5 agent state chain'
  | '6 one outcome per queue visit'
  | '7 event time';

const INVARIANTS: readonly Invariant[] = [
  '0 illegal commands change nothing',
  '1 one reservation and one call per agent',
  '2 one connection per contact',
  '3 place in line',
  '4 work conservation',
  '5 agent state chain',
  '6 one outcome per queue visit',
  '7 event time',
];

interface MAgent {
  id: string;
  profile: Profile;
  state: AgentState;
  pending: string | null;
  onCall: string | null;
}

type MStatus = 'waiting' | 'offered' | 'connected' | 'limbo';

interface MContact {
  id: string;
  arrival: number;
  language: string | undefined;
  queueId: string | null;
  /** limbo: between leaving a queue and the event that says where it went. */
  status: MStatus;
  pending: Set<string>;
  priority: number;
  enqueuedAt: number;
  kind: ContactKind;
  agentId: string | null;
  /** Agent id → until when the agent is skipped for this contact (from offer-missed). */
  misses: Map<string, number>;
  visit: 'none' | 'open' | 'closed';
  visitQueue: string | null;
  closedBy: AcdEvent['type'] | null;
}

interface MReservation {
  id: string;
  contactId: string;
  agentId: string;
  queueId: string;
}


/** Paths the generated runs went through, summed over all runs of a property. */
interface Coverage {
  commands: number;
  illegal: number;
  offers: number;
  ringAllMulti: number;
  missedRejected: number;
  missedTimeout: number;
  missLimit: number;
  cancelled: number;
  cancelledNotReady: number;
  ringAllCancelled: number;
  connected: number;
  connectedCallback: number;
  completed: number;
  escalated: number;
  overflowed: number;
  callbacks: number;
  callbackCancelled: number;
  transferred: number;
  abandoned: number;
  timedOut: number;
  refused: number;
  positionChecks: number;
  workChecks: number;
  workExcusedByMiss: number;
}

function emptyCoverage(): Coverage {
  return {
    commands: 0,
    illegal: 0,
    offers: 0,
    ringAllMulti: 0,
    missedRejected: 0,
    missedTimeout: 0,
    missLimit: 0,
    cancelled: 0,
    cancelledNotReady: 0,
    ringAllCancelled: 0,
    connected: 0,
    connectedCallback: 0,
    completed: 0,
    escalated: 0,
    overflowed: 0,
    callbacks: 0,
    callbackCancelled: 0,
    transferred: 0,
    abandoned: 0,
    timedOut: 0,
    refused: 0,
    positionChecks: 0,
    workChecks: 0,
    workExcusedByMiss: 0,
  };
}

class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function nth<T>(items: readonly T[], i: number): T | undefined {
  return items.length === 0 ? undefined : items[i % items.length];
}

function fmtTime(t: number): string {
  return `${(t - T0) / S}s`;
}

function fmtEvent(e: AcdEvent, now: number): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(e)) {
    if (k === 'type' || k === 'at') continue;
    parts.push(`${k}=${k === 'enqueuedAt' || k === 'expiresAt' ? fmtTime(v as number) : String(v)}`);
  }
  return `${e.type}${e.at !== now ? `@${fmtTime(e.at)}` : ''}(${parts.join(' ')})`;
}

/** Contact a is ahead of b in line: priority desc, original enqueue time asc, arrival asc. */
function ahead(a: MContact, b: MContact): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.enqueuedAt !== b.enqueuedAt) return a.enqueuedAt < b.enqueuedAt;
  return a.arrival < b.arrival;
}

class Harness {
  readonly clock = new ManualClock(T0);
  readonly acd: Acd;
  private readonly queueCfg = new Map<string, QueueConfig>();
  private readonly agents = new Map<string, MAgent>();
  private readonly agentIds: string[];
  /** Contacts in the ACD, as the model sees them. */
  private readonly contacts = new Map<string, MContact>();
  /** Every contact id ever used (for illegal commands on gone contacts). */
  private readonly knownContacts: string[] = [];
  private readonly reservations = new Map<string, MReservation>();
  private readonly offeredIds: string[] = [];
  /** The contact of the latest offer-missed event. */
  private lastMissed: string | null = null;
  private readonly log: string[] = [];
  private lastAt = -Infinity;
  private arrival = 0;
  private contactSeq = 0;
  private now = T0;
  private advancing = false;
  /** Reservations that must end with 'answered-elsewhere' in the current accept. */
  private losers: string[] = [];
  private answeredContact: string | null = null;
  /** The request of the enqueue command being replayed. */
  private enqueueing: ContactRequest | null = null;

  constructor(
    world: World,
    private readonly enabled: ReadonlySet<Invariant>,
    private readonly cov: Coverage,
  ) {
    const qs = queues(world.escStrategy, world.plainStrategy);
    for (const q of qs) this.queueCfg.set(q.id, q);
    const agentCfgs: AgentConfig[] = world.profiles.map((p, i) => this.agentConfig(`a${i + 1}`, p));
    this.agentIds = agentCfgs.map((a) => a.id);
    for (const [i, p] of world.profiles.entries()) {
      const id = `a${i + 1}`;
      this.agents.set(id, { id, profile: PROFILES[p] as Profile, state: 'logged-out', pending: null, onCall: null });
    }
    this.acd = new Acd({ clock: this.clock, seed: world.seed, queues: qs, agents: agentCfgs });
    this.log.push(`world: agents ${world.profiles.map((p, i) => `a${i + 1}=${JSON.stringify(PROFILES[p])}`).join(', ')}; esc ${world.escStrategy}; plain ${world.plainStrategy}; seed ${world.seed}`);
  }

  private agentConfig(id: string, profile: number): AgentConfig {
    const p = PROFILES[profile] as Profile;
    return { id, name: id, skills: { ...p.skills }, languages: [...p.languages], weight: 1 + (Number(id.slice(1)) % 3) };
  }

  private fail(inv: Invariant, message: string): void {
    if (!this.enabled.has(inv)) return;
    throw new InvariantViolation(`[${inv}] at ${fmtTime(this.clock.now())}: ${message}\n--- run ---\n${this.log.join('\n')}`);
  }

  private cfg(queueId: string): QueueConfig {
    const q = this.queueCfg.get(queueId);
    if (q === undefined) throw new Error(`harness: unknown queue ${queueId}`);
    return q;
  }

  // ───────────────────────────── running commands ─────────────────────────

  run(cmds: readonly Cmd[], loggedIn: number): void {
    for (let a = 0; a < Math.min(loggedIn, this.agentIds.length); a++) this.exec({ k: 'login', a, notReady: NOT_READY_REASONS.length });
    for (const cmd of cmds) this.exec(cmd);
  }

  private exec(cmd: Cmd): void {
    this.cov.commands++;
    const r = this.resolve(cmd);
    this.enqueueing = null;
    const atomic = this.enabled.has('0 illegal commands change nothing');
    const before = atomic ? this.snapshot() : '';
    let events: AcdEvent[];
    try {
      events = r.call();
    } catch (e) {
      if (!(e instanceof AcdError)) throw e;
      this.cov.illegal++;
      this.log.push(`[${fmtTime(this.clock.now())}] ${r.label} → AcdError ${e.code}`);
      const after = atomic ? this.snapshot() : '';
      if (after !== before) this.fail('0 illegal commands change nothing', `${r.label} threw ${e.code} but changed the state:\nbefore ${before}\nafter  ${after}`);
      return;
    }
    this.log.push(`[${fmtTime(this.clock.now())}] ${r.label}${events.length > 0 ? '\n    ' + events.map((e) => fmtEvent(e, this.clock.now())).join('\n    ') : ''}`);
    this.now = this.clock.now();
    this.advancing = r.advancing;
    this.losers = r.losers;
    this.answeredContact = null;
    for (const e of events) this.apply(e);
    if (this.losers.length > 0) this.fail('2 one connection per contact', `ring-all losers ${this.losers.join(', ')} were not cancelled with answered-elsewhere`);
    if (r.cancelled !== null) {
      const c = this.contacts.get(r.cancelled);
      if (c !== undefined) this.depart(c, 'cancel');
    }
    this.checkViews();
  }

  private resolve(cmd: Cmd): { label: string; call: () => AcdEvent[]; advancing: boolean; cancelled: string | null; losers: string[] } {
    const acd = this.acd;
    const plain = (label: string, call: () => AcdEvent[]) => ({ label, call, advancing: false, cancelled: null, losers: [] as string[] });
    const live = [...this.contacts.values()];
    const contactFor = (i: number, any: boolean, want: (c: MContact) => boolean): string => {
      const candidates = live.filter(want);
      if (!any && candidates.length > 0) return (nth(candidates, i) as MContact).id;
      return nth(this.knownContacts, i) ?? 'c-none';
    };
    const agent = (i: number) => nth(this.agentIds, i) as string;
    const reservation = (i: number, stale: boolean): string => {
      const pending = [...this.reservations.keys()];
      if (!stale && pending.length > 0) return nth(pending, i) as string;
      return nth(this.offeredIds, i) ?? 'r-none';
    };
    switch (cmd.k) {
      case 'enqueue': {
        const id = `c${++this.contactSeq}`;
        const queueId = cmd.q === 30 ? 'nope' : cmd.q < 12 ? 'ring' : cmd.q < 21 ? 'esc' : 'plain';
        const language = LANGUAGES[cmd.lang];
        const req: ContactRequest = { id, queueId, priority: cmd.priority };
        if (language !== undefined) req.language = language;
        if (cmd.callback) {
          req.kind = 'callback';
          req.callbackNumber = `+7900${this.contactSeq}`;
        }
        if (cmd.agoS > 0) req.enqueuedAt = this.clock.now() - cmd.agoS * S;
        this.knownContacts.push(id);
        return plain(`enqueue(${JSON.stringify(req)})`, () => {
          this.arrival++;
          this.enqueueing = req;
          return acd.enqueue(req);
        });
      }
      case 'reuseId': {
        // An id in the ACD (refused), else one that left it (a new arrival), else a fresh one.
        const id = nth(live, cmd.c)?.id ?? nth(this.knownContacts, cmd.c) ?? `c${++this.contactSeq}`;
        const req: ContactRequest = { id, queueId: 'plain' };
        if (!this.knownContacts.includes(id)) this.knownContacts.push(id);
        return plain(`enqueue(${JSON.stringify(req)}) [id reused]`, () => {
          this.arrival++;
          this.enqueueing = req;
          return acd.enqueue(req);
        });
      }
      case 'cancel': {
        const id = contactFor(cmd.c, cmd.any, (c) => c.status !== 'connected');
        return { label: `cancel(${id})`, call: () => acd.cancel(id), advancing: false, cancelled: id, losers: [] };
      }
      case 'callback': {
        const missed = this.lastMissed === null ? undefined : this.contacts.get(this.lastMissed);
        const id = cmd.recent && missed !== undefined && missed.status !== 'connected' && missed.kind === 'call' ? missed.id : contactFor(cmd.c, cmd.any, (c) => c.status !== 'connected' && c.kind === 'call');
        return plain(`requestCallback(${id})`, () => acd.requestCallback(id, '+100'));
      }
      case 'accept': {
        const rid = reservation(cmd.r, cmd.stale);
        const res = this.reservations.get(rid);
        const contact = res === undefined ? undefined : this.contacts.get(res.contactId);
        const losers = contact === undefined ? [] : [...contact.pending].filter((x) => x !== rid);
        return { label: `accept(${rid})`, call: () => acd.accept(rid), advancing: false, cancelled: null, losers };
      }
      case 'reject': {
        const rid = reservation(cmd.r, cmd.stale);
        return plain(`reject(${rid})`, () => acd.reject(rid));
      }
      case 'complete': {
        const id = contactFor(cmd.c, cmd.any, (c) => c.status === 'connected');
        return plain(`complete(${id})`, () => acd.complete(id));
      }
      case 'transfer': {
        const id = contactFor(cmd.c, cmd.any, (c) => c.status === 'connected');
        const to = QUEUE_IDS[cmd.q] as QueueId;
        return plain(`transfer(${id}, ${to}, {priority: ${cmd.priority}})`, () => acd.transfer(id, to, { priority: cmd.priority }));
      }
      case 'login': {
        const id = agent(cmd.a);
        const reason = cmd.notReady < NOT_READY_REASONS.length ? NOT_READY_REASONS[cmd.notReady] : undefined;
        return plain(`login(${id}${reason !== undefined ? `, ${reason}` : ''})`, () => acd.login(id, reason));
      }
      case 'logout': {
        const id = agent(cmd.a);
        return plain(`logout(${id})`, () => acd.logout(id));
      }
      case 'pause': {
        const id = agent(cmd.a);
        const reason = NOT_READY_REASONS[cmd.reason] ?? 'break';
        return plain(`pause(${id}, ${reason})`, () => acd.pause(id, reason));
      }
      case 'ready': {
        const id = agent(cmd.a);
        return plain(`ready(${id})`, () => acd.ready(id));
      }
      case 'upsertAgent': {
        const id = agent(cmd.a);
        const cfg = this.agentConfig(id, cmd.profile);
        return plain(`upsertAgent(${JSON.stringify(cfg)})`, () => {
          const events = acd.upsertAgent(cfg);
          const a = this.agents.get(id);
          if (a !== undefined) a.profile = PROFILES[cmd.profile] as Profile;
          return events;
        });
      }
      case 'advance':
        return {
          label: `clock +${cmd.ms / S}s; advance()`,
          call: () => {
            this.clock.advance(cmd.ms);
            return acd.advance();
          },
          advancing: true,
          cancelled: null,
          losers: [],
        };
      case 'toNextDeadline': {
        const next = acd.nextDeadline();
        return {
          label: `clock → next deadline ${next === undefined ? '(none)' : fmtTime(next)}; advance()`,
          call: () => {
            if (next !== undefined && next > this.clock.now()) this.clock.set(next);
            return acd.advance();
          },
          advancing: true,
          cancelled: null,
          losers: [],
        };
      }
    }
  }

  /** Everything an illegal command must leave untouched. */
  private snapshot(): string {
    const acd = this.acd;
    return JSON.stringify({
      agents: this.agentIds.map((id) => acd.agentView(id)),
      contacts: this.knownContacts.map((id) => acd.contactView(id) ?? null),
      queues: acd.queueIds().map((id) => acd.queueSnapshot(id)),
      nextDeadline: acd.nextDeadline() ?? null,
    });
  }

  // ──────────────────────────── replaying events ──────────────────────────

  private contact(id: string, inv: Invariant, what: string): MContact | undefined {
    const c = this.contacts.get(id);
    if (c === undefined) this.fail(inv, `${what} for contact ${id}, which is not in the ACD`);
    return c;
  }

  private agent(id: string): MAgent {
    const a = this.agents.get(id);
    if (a === undefined) throw new Error(`harness: unknown agent ${id}`);
    return a;
  }

  /** A reservation ends (missed, cancelled or answered): check and forget it. */
  private endReservation(rid: string, agentId: string, contactId: string, what: string): void {
    const r = this.reservations.get(rid);
    if (r === undefined || r.agentId !== agentId || r.contactId !== contactId) {
      this.fail('1 one reservation and one call per agent', `${what} ${rid} (${contactId}→${agentId}) is not a pending offer`);
    }
    this.reservations.delete(rid);
    const a = this.agent(agentId);
    if (a.pending !== rid) this.fail('1 one reservation and one call per agent', `${what} ${rid} but agent ${agentId} holds ${a.pending}`);
    if (a.pending === rid) a.pending = null;
    this.contacts.get(contactId)?.pending.delete(rid);
  }

  private outcome(e: Extract<AcdEvent, { contactId: string; queueId: string }>, c: MContact | undefined): void {
    const inv: Invariant = '6 one outcome per queue visit';
    if (c === undefined) return;
    if (c.visit === 'open' && c.visitQueue === e.queueId) {
      c.visit = 'closed';
      c.closedBy = e.type;
      return;
    }
    // A callback request ends the caller's visit; the callback is then served (or withdrawn) later in the same queue.
    const callbackEnds = (e.type === 'contact-connected' && e.kind === 'callback') || e.type === 'callback-cancelled';
    if (callbackEnds && c.visit === 'closed' && c.closedBy === 'contact-callback' && c.visitQueue === e.queueId) return;
    if (c.visit === 'open') this.fail(inv, `${e.type} for ${c.id} in ${e.queueId}, but its open visit is in ${c.visitQueue}`);
    else if (c.visit === 'none') this.fail(inv, `${e.type} for ${c.id} in ${e.queueId} without a contact-queued for that visit`);
    else this.fail(inv, `second outcome ${e.type} for ${c.id} in ${e.queueId}: its visit of ${c.visitQueue} already ended with ${c.closedBy}`);
  }

  /** The contact left the ACD. */
  private depart(c: MContact, how: string): void {
    if (c.visit === 'open') this.fail('6 one outcome per queue visit', `${c.id} left the ACD (${how}) with its visit of ${c.visitQueue} still open: no outcome event`);
    if (c.pending.size > 0) this.fail('2 one connection per contact', `${c.id} left the ACD with offers ${[...c.pending].join(', ')} still pending`);
    this.contacts.delete(c.id);
  }

  /** A contact whose last pending offer ended goes back to its place (unless connected or leaving). */
  private backToLine(c: MContact | undefined): void {
    if (c !== undefined && c.pending.size === 0 && c.status === 'offered') c.status = 'waiting';
  }

  private apply(e: AcdEvent): void {
    const cov = this.cov;
    // 7: time order.
    if (e.at < this.lastAt) this.fail('7 event time', `${fmtEvent(e, this.now)} at ${fmtTime(e.at)} after an event at ${fmtTime(this.lastAt)}`);
    if (this.advancing ? e.at > this.now : e.at !== this.now) this.fail('7 event time', `${fmtEvent(e, this.now)} at ${fmtTime(e.at)}, clock ${fmtTime(this.now)}`);
    this.lastAt = Math.max(this.lastAt, e.at);

    switch (e.type) {
      case 'contact-queued': {
        let c = this.contacts.get(e.contactId);
        if (c === undefined) c = this.newContact(e.contactId, e.enqueuedAt);
        if (c.visit === 'open') this.fail('6 one outcome per queue visit', `${c.id} queued in ${e.queueId} while its visit of ${c.visitQueue} has no outcome`);
        if (c.pending.size > 0) this.fail('2 one connection per contact', `${c.id} queued in ${e.queueId} with offers still pending`);
        if (c.status !== 'limbo' && c.status !== 'waiting') this.fail('3 place in line', `${c.id} queued in ${e.queueId} while ${c.status}`);
        if (c.enqueuedAt !== e.enqueuedAt) this.fail('3 place in line', `${c.id} queued with enqueuedAt ${fmtTime(e.enqueuedAt)}, was ${fmtTime(c.enqueuedAt)}`);
        c.visit = 'open';
        c.visitQueue = e.queueId;
        c.closedBy = null;
        c.queueId = e.queueId;
        c.status = 'waiting';
        c.priority = e.priority;
        c.kind = e.kind;
        c.agentId = null;
        return;
      }
      case 'contact-refused':
        cov.refused++;
        if (this.contacts.has(e.contactId)) this.fail('6 one outcome per queue visit', `${e.contactId} refused but already in the ACD`);
        return;
      case 'offer': {
        cov.offers++;
        const a = this.agent(e.agentId);
        const inv1: Invariant = '1 one reservation and one call per agent';
        if (a.pending !== null) this.fail(inv1, `offer ${e.reservationId} to ${a.id}, which still holds offer ${a.pending}`);
        if (a.onCall !== null) this.fail(inv1, `offer ${e.reservationId} to ${a.id}, which is on a call with ${a.onCall}`);
        if (a.state !== 'reserved') this.fail(inv1, `offer ${e.reservationId} to ${a.id} in state ${a.state}`);
        if (e.expiresAt !== e.at + this.cfg(e.queueId).ringTimeoutSeconds * S) this.fail('7 event time', `offer ${e.reservationId} expires at ${fmtTime(e.expiresAt)}`);
        const c = this.contact(e.contactId, '2 one connection per contact', 'offer');
        if (c !== undefined) {
          const inv2: Invariant = '2 one connection per contact';
          if (c.status === 'connected') this.fail(inv2, `offer ${e.reservationId} for ${c.id}, which is connected to ${c.agentId}`);
          if (c.queueId !== e.queueId) this.fail(inv2, `offer ${e.reservationId} for ${c.id} in ${e.queueId}, but it is in ${c.queueId}`);
          if (c.pending.size > 0 && this.cfg(e.queueId).strategy !== 'ring-all') this.fail(inv2, `second offer ${e.reservationId} for ${c.id} in ${e.queueId} (not ring-all)`);
          this.checkOfferOrder(c, a, e.queueId, e.at);
          if (c.pending.size > 0) cov.ringAllMulti++;
          c.pending.add(e.reservationId);
          c.status = 'offered';
        }
        a.pending = e.reservationId;
        this.reservations.set(e.reservationId, { id: e.reservationId, contactId: e.contactId, agentId: e.agentId, queueId: e.queueId });
        this.offeredIds.push(e.reservationId);
        return;
      }
      case 'offer-missed': {
        if (e.reason === 'rejected') cov.missedRejected++;
        else cov.missedTimeout++;
        this.endReservation(e.reservationId, e.agentId, e.contactId, 'offer-missed');
        this.lastMissed = e.contactId;
        const c = this.contacts.get(e.contactId);
        if (c !== undefined) {
          c.misses.set(e.agentId, e.at + this.cfg(e.queueId).retrySeconds * S);
          this.backToLine(c);
        }
        return;
      }
      case 'offer-cancelled': {
        cov.cancelled++;
        this.endReservation(e.reservationId, e.agentId, e.contactId, 'offer-cancelled');
        const c = this.contacts.get(e.contactId);
        const loser = this.losers.indexOf(e.reservationId);
        if (loser >= 0 && e.reason === 'answered-elsewhere') this.losers.splice(loser, 1);
        switch (e.reason) {
          case 'answered-elsewhere':
            cov.ringAllCancelled++;
            this.answeredContact = e.contactId;
            return; // stays offered until contact-connected
          case 'agent-not-ready':
            cov.cancelledNotReady++;
            this.backToLine(c);
            return;
          case 'caller-hangup':
          case 'contact-left':
            // Leaving (hang-up, max wait, overflow) or turning into a callback: the next event says which.
            if (c !== undefined && c.pending.size === 0 && c.status === 'offered') c.status = 'limbo';
            return;
        }
        return;
      }
      case 'contact-connected': {
        cov.connected++;
        if (e.kind === 'callback') cov.connectedCallback++;
        const inv2: Invariant = '2 one connection per contact';
        const c = this.contact(e.contactId, inv2, 'contact-connected');
        if (c !== undefined) {
          if (c.status === 'connected') this.fail(inv2, `${c.id} connected to ${e.agentId} while already connected to ${c.agentId}`);
          const others = [...c.pending].filter((r) => r !== e.reservationId);
          if (others.length > 0) this.fail(inv2, `${c.id} connected to ${e.agentId} while offers ${others.join(', ')} still ring`);
          if (!c.pending.has(e.reservationId)) this.fail(inv2, `${c.id} connected through ${e.reservationId}, which is not one of its pending offers`);
          if (c.queueId !== e.queueId) this.fail(inv2, `${c.id} connected in ${e.queueId} but it is in ${c.queueId}`);
        }
        if (this.answeredContact !== null && this.answeredContact !== e.contactId) this.fail(inv2, `answered-elsewhere for ${this.answeredContact} but ${e.contactId} connected`);
        this.answeredContact = null;
        this.endReservation(e.reservationId, e.agentId, e.contactId, 'contact-connected');
        const a = this.agent(e.agentId);
        if (a.onCall !== null) this.fail('1 one reservation and one call per agent', `${a.id} connected to ${e.contactId} while on a call with ${a.onCall}`);
        a.onCall = e.contactId;
        this.outcome(e, c);
        if (c !== undefined) {
          for (const [rid, r] of this.reservations) if (r.contactId === c.id) this.fail(inv2, `${c.id} connected while ${rid} still rings ${r.agentId}`);
          c.status = 'connected';
          c.agentId = e.agentId;
          c.queueId = null;
          c.pending.clear();
        }
        return;
      }
      case 'contact-abandoned':
      case 'contact-timeout': {
        if (e.type === 'contact-abandoned') cov.abandoned++;
        else cov.timedOut++;
        const c = this.contact(e.contactId, '6 one outcome per queue visit', e.type);
        this.outcome(e, c);
        if (c !== undefined) this.depart(c, e.type);
        return;
      }
      case 'contact-overflowed': {
        cov.overflowed++;
        let c = this.contacts.get(e.contactId);
        if (c === undefined) c = this.newContact(e.contactId, T0 - 1);
        this.outcome(e, c);
        if (c.pending.size > 0) this.fail('2 one connection per contact', `${c.id} overflowed with offers pending`);
        c.status = 'limbo';
        c.queueId = null;
        return;
      }
      case 'contact-callback': {
        cov.callbacks++;
        const c = this.contact(e.contactId, '6 one outcome per queue visit', 'contact-callback');
        this.outcome(e, c);
        if (c !== undefined) {
          c.kind = 'callback';
          if (c.status === 'limbo') c.status = 'waiting';
        }
        return;
      }
      case 'callback-cancelled': {
        cov.callbackCancelled++;
        const c = this.contact(e.contactId, '6 one outcome per queue visit', 'callback-cancelled');
        if (c !== undefined) {
          if (c.kind !== 'callback') this.fail('6 one outcome per queue visit', `callback-cancelled for ${c.id}, which is a ${c.kind}`);
          this.outcome(e, c);
          this.depart(c, 'callback-cancelled');
        }
        return;
      }
      case 'contact-escalated': {
        cov.escalated++;
        const c = this.contact(e.contactId, '3 place in line', 'contact-escalated');
        if (c !== undefined) {
          if (e.priority < c.priority) this.fail('3 place in line', `${c.id} escalated to lower priority ${e.priority} from ${c.priority}`);
          if (c.queueId !== e.queueId) this.fail('3 place in line', `${c.id} escalated in ${e.queueId} but it is in ${c.queueId}`);
          c.priority = e.priority;
        }
        return;
      }
      case 'contact-completed':
      case 'contact-transferred': {
        const a = this.agent(e.agentId);
        if (a.onCall !== e.contactId) this.fail('1 one reservation and one call per agent', `${e.type} of ${e.contactId} by ${a.id}, which is on a call with ${a.onCall}`);
        if (a.onCall === e.contactId) a.onCall = null;
        const c = this.contact(e.contactId, '2 one connection per contact', e.type);
        if (c !== undefined && (c.status !== 'connected' || c.agentId !== e.agentId)) this.fail('2 one connection per contact', `${e.type} of ${c.id} by ${e.agentId}, but it is ${c.status} to ${c.agentId}`);
        if (e.type === 'contact-completed') {
          cov.completed++;
          if (c !== undefined) this.depart(c, 'completed');
        } else {
          cov.transferred++;
          if (c !== undefined) {
            c.status = 'limbo';
            c.agentId = null;
            c.misses.clear(); // a transferred contact starts over with every agent
          }
        }
        return;
      }
      case 'wrap-up-ended':
        if (this.agent(e.agentId).state !== 'wrap-up') this.fail('5 agent state chain', `wrap-up-ended for ${e.agentId} in state ${this.agent(e.agentId).state}`);
        return;
      case 'agent-state': {
        const a = this.agent(e.agentId);
        if (a.state !== e.from) this.fail('5 agent state chain', `agent-state ${e.agentId} from ${e.from}, but the last state was ${a.state}`);
        if (e.to === 'not-ready' && e.reason === 'missed-calls') cov.missLimit++;
        a.state = e.to;
        return;
      }
      default: {
        const unknown: never = e;
        throw new Error(`harness: no model for event ${JSON.stringify(unknown)}`);
      }
    }
  }

  private newContact(id: string, enqueuedAt: number): MContact {
    const c: MContact = {
      id,
      arrival: this.arrival,
      language: undefined,
      queueId: null,
      status: 'limbo',
      pending: new Set(),
      priority: 0,
      enqueuedAt,
      kind: 'call',
      agentId: null,
      misses: new Map(),
      visit: 'none',
      visitQueue: null,
      closedBy: null,
    };
    const req = this.enqueueing;
    if (req?.id === id) {
      c.language = req.language;
      c.enqueuedAt = req.enqueuedAt ?? this.now;
      c.kind = req.kind ?? 'call';
    }
    this.contacts.set(id, c);
    return c;
  }

  /**
   * 3 (dispatch side): an agent offered a contact in a queue without escalation
   * is not passing over a waiting contact ahead of it in the same lane (no
   * language requirement on either) that the agent had not missed less than
   * retrySeconds before the offer's time.
   */
  private checkOfferOrder(c: MContact, a: MAgent, queueId: string, at: number): void {
    if (!SIMPLE_TARGETS.has(queueId) || c.language !== undefined) return;
    for (const d of this.contacts.values()) {
      if (d === c || d.queueId !== queueId || d.status !== 'waiting' || d.language !== undefined || !ahead(d, c)) continue;
      if ((d.misses.get(a.id) ?? -Infinity) > at) continue;
      this.fail('3 place in line', `dispatch order: ${a.id} offered ${c.id} while ${d.id}, ahead of it in ${queueId}, waits (priority ${d.priority} vs ${c.priority}, enqueued ${fmtTime(d.enqueuedAt)} vs ${fmtTime(c.enqueuedAt)})`);
    }
  }

  // ─────────────────────────── checks after a command ─────────────────────

  private checkViews(): void {
    const acd = this.acd;
    const now = this.clock.now();
    const inv1: Invariant = '1 one reservation and one call per agent';
    const inv2: Invariant = '2 one connection per contact';
    const inv3: Invariant = '3 place in line';
    const inv6: Invariant = '6 one outcome per queue visit';

    // Agents.
    const callOf = new Map<string, string>();
    for (const a of this.agents.values()) {
      const v = acd.agentView(a.id);
      if ((v.state === 'reserved') !== (v.reservationId !== null)) this.fail(inv1, `${a.id} is ${v.state} with reservation ${v.reservationId}`);
      if ((v.state === 'on-call') !== (v.contactId !== null)) this.fail(inv1, `${a.id} is ${v.state} with contact ${v.contactId}`);
      if (v.reservationId !== a.pending) this.fail(inv1, `${a.id} holds reservation ${v.reservationId}, events say ${a.pending}`);
      if (v.contactId !== a.onCall) this.fail(inv1, `${a.id} talks to ${v.contactId}, events say ${a.onCall}`);
      if (v.state !== a.state) this.fail('5 agent state chain', `${a.id} is ${v.state}, the last agent-state event said ${a.state}`);
      if (v.contactId !== null) {
        const other = callOf.get(v.contactId);
        if (other !== undefined) this.fail(inv2, `${v.contactId} is on a call with both ${other} and ${a.id}`);
        callOf.set(v.contactId, a.id);
      }
    }

    // Contacts.
    for (const c of this.contacts.values()) {
      const v = acd.contactView(c.id);
      if (v === undefined) {
        this.fail(inv6, `${c.id} (${c.status}) vanished from the ACD without an event`);
        continue;
      }
      if (c.status === 'limbo') this.fail(inv3, `${c.id}: the events leave it nowhere (view: ${v.state} in ${v.queueId})`);
      if (v.state !== c.status) this.fail(inv3, `${c.id} is ${v.state}, events say ${c.status}`);
      if (c.status !== 'connected' && v.queueId !== c.queueId) this.fail(inv3, `${c.id} is in ${v.queueId}, events say ${c.queueId}`);
      if (v.priority !== c.priority) this.fail(inv3, `${c.id} has priority ${v.priority}, events say ${c.priority}`);
      if (v.enqueuedAt !== c.enqueuedAt) this.fail(inv3, `${c.id} has enqueuedAt ${fmtTime(v.enqueuedAt)}, events say ${fmtTime(c.enqueuedAt)}`);
      if (v.kind !== c.kind) this.fail(inv3, `${c.id} is a ${v.kind}, events say ${c.kind}`);
      if (v.state === 'connected') {
        if (v.agentId === null || callOf.get(c.id) !== v.agentId) this.fail(inv2, `${c.id} connected to ${v.agentId}, but that agent talks to ${v.agentId === null ? '-' : acd.agentView(v.agentId).contactId}`);
      } else if (v.agentId !== null) this.fail(inv2, `${c.id} is ${v.state} with agent ${v.agentId}`);
    }
    for (const id of this.knownContacts) {
      if (!this.contacts.has(id) && acd.hasContact(id)) this.fail(inv6, `${id} is in the ACD, but the events say it left (or never entered)`);
    }
    for (const [rid, r] of this.reservations) {
      const c = this.contacts.get(r.contactId);
      if (c === undefined || c.status !== 'offered') this.fail(inv2, `pending offer ${rid} for ${r.contactId}, which is ${c?.status ?? 'gone'}`);
    }

    if (this.enabled.has(inv3)) this.checkPositions();
    if (this.enabled.has('4 work conservation')) this.checkWorkConservation(now);
  }

  /** 3: position() counts the waiting contacts ahead in the same queue, in the model's order. */
  private checkPositions(): void {
    const acd = this.acd;
    for (const q of QUEUE_IDS) {
      const waiting = [...this.contacts.values()].filter((c) => c.queueId === q && c.status === 'waiting');
      for (const c of waiting) {
        const expected = waiting.filter((d) => d !== c && ahead(d, c)).length;
        if (acd.hasContact(c.id)) {
          this.cov.positionChecks++;
          const got = acd.position(c.id);
          if (got !== expected) this.fail('3 place in line', `position(${c.id}) in ${q} is ${got}, expected ${expected}`);
        }
      }
    }
  }

  /**
   * 4: in a queue without escalation, a waiting contact without a language
   * requirement leaves no available agent idle that matches the queue target,
   * unless that agent missed this very contact less than retrySeconds ago.
   */
  private checkWorkConservation(now: number): void {
    const acd = this.acd;
    for (const c of this.contacts.values()) {
      if (c.status !== 'waiting' || c.language !== undefined || c.queueId === null) continue;
      const target = SIMPLE_TARGETS.get(c.queueId);
      if (target === undefined || acd.contactView(c.id)?.state !== 'waiting') continue;
      this.cov.workChecks++;
      for (const a of this.agents.values()) {
        if (acd.agentView(a.id).state !== 'available' || !target(a.profile)) continue;
        if ((c.misses.get(a.id) ?? -Infinity) > now) {
          this.cov.workExcusedByMiss++;
          continue;
        }
        this.fail('4 work conservation', `${c.id} waits in ${c.queueId} while ${a.id} (${JSON.stringify(a.profile)}) is available and has not just missed it`);
      }
    }
  }
}

// ─────────────────────────────── the tests ───────────────────────────────

/** Paths every property must have gone through at least once (else it is vacuous). */
const REQUIRED: readonly (keyof Coverage)[] = [
  'illegal',
  'offers',
  'ringAllMulti',
  'missedRejected',
  'missedTimeout',
  'missLimit',
  'cancelled',
  'cancelledNotReady',
  'ringAllCancelled',
  'connected',
  'connectedCallback',
  'completed',
  'escalated',
  'overflowed',
  'callbacks',
  'callbackCancelled',
  'transferred',
  'abandoned',
  'timedOut',
  'refused',
];

const REQUIRED_BY: Partial<Record<Invariant, readonly (keyof Coverage)[]>> = {
  '3 place in line': ['positionChecks'],
  '4 work conservation': ['workChecks', 'workExcusedByMiss'],
};

describe('ACD invariants under random command interleavings', () => {
  for (const inv of INVARIANTS) {
    it(inv, () => {
      const cov = emptyCoverage();
      fc.assert(
        fc.property(worldArb, cmdsArb, (world, cmds) => {
          new Harness(world, new Set([inv]), cov).run(cmds, world.loggedIn);
        }),
        { numRuns: NUM_RUNS, plugins: [fc.interruptAfterTimeLimit(TIME_BUDGET_MS)] },
      );
      const missing = [...REQUIRED, ...(REQUIRED_BY[inv] ?? [])].filter((k) => cov[k] === 0);
      expect(missing, `paths never exercised: ${JSON.stringify(cov)}`).toEqual([]);
    });
  }
});

// ─────────────────────── counterexamples found so far ─────────────────────

/**
 * Minimal command sequences that broke an invariant, found by the properties
 * above (shrunk by fast-check, then trimmed by hand). They run through the same
 * harness and checks, deterministically: a known bug fails every run rather
 * than when the random search happens to reach it, and a fixed one stays fixed.
 */
const enqueue = (queue: QueueId, extra: Partial<Extract<Cmd, { k: 'enqueue' }>> = {}): Cmd => ({
  k: 'enqueue',
  q: { ring: 0, esc: 12, plain: 21 }[queue],
  priority: 0,
  lang: 0,
  callback: false,
  agoS: 0,
  ...extra,
});
const advance = (seconds: number): Cmd => ({ k: 'advance', ms: seconds * S });
const world = (profiles: number[], loggedIn: number): World => ({ profiles, loggedIn, escStrategy: 'longest-idle', plainStrategy: 'longest-idle', seed: 1 });

interface Counterexample {
  /** The behaviour the invariant requires here. */
  name: string;
  /** Commits where it fails, and since when it passes. */
  history: string;
  inv: Invariant;
  world: World;
  cmds: Cmd[];
}

const COUNTEREXAMPLES: Counterexample[] = [
  {
    // a1 rejects c1 and is offered c2; c1 asks for a callback while a1 rings (its retry
    // deadline goes stale: requestCallback bumps the contact's generation, and a1 is not
    // available to re-arm it); c2 hangs up, a1 is free but still skips c1. After the
    // retry delay nothing ever offers c1 again: it waits while a1 is idle.
    name: 'a declined contact that asks for a callback while its agent is busy is offered again when the decline ends',
    history: 'fails at 6f436aa (the retry deadline went stale); passes since bc653d4',
    inv: '4 work conservation',
    world: world([0], 1),
    cmds: [
      enqueue('ring'), // c1 → offer r1 to a1
      enqueue('ring'), // c2 waits
      { k: 'reject', r: 0, stale: false }, // reject r1 → a1 is offered c2 (r2)
      { k: 'callback', c: 0, any: false, recent: true }, // requestCallback(c1)
      { k: 'cancel', c: 1, any: false }, // cancel(c2) → a1 available, c1 still declined by a1
      advance(30), // ring retrySeconds: a1 may take c1 again, nobody offers it
    ],
  },
  {
    // The same stale retry through an overflow: a1 declines c1 in esc, c1 overflows to plain
    // while a1 rings for c2, a1 declines c2 too; when a1's decline of c1 ends, c1's retry
    // deadline is gone with the overflow and nothing offers c1 to a1.
    name: 'a declined contact that overflows while its agent is busy is offered again when the decline ends',
    history: 'fails at 6f436aa (the retry deadline went stale); passes since bc653d4',
    inv: '4 work conservation',
    world: world([3], 1),
    cmds: [
      enqueue('esc', { agoS: 55 }), // c1, target already widened → offer r1 to a1; overflow due at 5 s
      enqueue('plain'), // c2 waits
      { k: 'reject', r: 0, stale: false }, // reject r1 → a1 skips c1 until 8 s, is offered c2 (r2)
      advance(5), // c1 overflows to plain
      { k: 'reject', r: 0, stale: false }, // reject r2 → a1 available, skips c1 until 8 s and c2 until 35 s
      advance(5), // 10 s: a1 idle, c1 waits in plain
    ],
  },
  {
    // a1 rejects c1 (skips it until 30 s) and goes on a break; a2's offer rings out at 10 s
    // (skips c1 until 40 s). c1 asks for a callback: its retry deadlines are dropped and only
    // the soonest (30 s) is armed again. At 30 s a1 is not available and nothing is armed for
    // a2's 40 s: from then on c1 waits while a2 is idle.
    name: 'after a callback request every decline of the contact ends, not only the soonest',
    history: 'fails at bc653d4 (only the soonest retry was re-armed); passes since 037ac51',
    inv: '4 work conservation',
    world: world([0, 0], 2),
    cmds: [
      enqueue('ring'), // c1 → offers r1 (a1) and r2 (a2)
      { k: 'reject', r: 0, stale: false }, // reject r1 → a1 skips c1 until 30 s
      { k: 'pause', a: 0, reason: 0 }, // pause(a1, break)
      advance(10), // r2 rings out → a2 skips c1 until 40 s
      { k: 'callback', c: 0, any: false, recent: true }, // requestCallback(c1)
      advance(30), // 40 s: a2 may take c1 again; nobody offers it
    ],
  },
  {
    // ring has maxNoAnswer 0: a1 may miss offer after offer. After a1 rejected c1..c8 (each
    // skipped for 30 s), dispatchAgent looks only DECLINE_LOOKAHEAD = 8 places into the lane
    // and finds nothing: a1 stays idle while c9 and c10, which it never missed, wait.
    name: 'an agent that missed the first 8 contacts of a lane is offered the 9th',
    history: 'fails at 037ac51 and before: firstNotDeclined looks only DECLINE_LOOKAHEAD = 8 places deep; open',
    inv: '4 work conservation',
    world: world([0], 1),
    cmds: [...Array.from({ length: 10 }, () => enqueue('ring')), ...Array.from({ length: 8 }, (): Cmd => ({ k: 'reject', r: 0, stale: false }))],
  },
  {
    // c1 is declined by a1 and a2 until 30 s; r2 (a1 ringing c2) expires at 10 s. The clock
    // jumps to 30 s: the expiry is handled first, with now = 30 s, so c2 goes back and is
    // offered to a2, whose decline of c1 (ahead of c2) has just ended — before c1's retry
    // deadline (also due) is handled.
    name: 'with overdue deadlines, a contact behind is not offered before the one ahead whose declines just ended',
    history: 'fails at 6f436aa (deadlines ran at the clock time); passes since bc653d4',
    inv: '3 place in line',
    world: world([0, 0], 1),
    cmds: [
      enqueue('ring'), // c1 → offer r1 to a1
      enqueue('ring'), // c2 waits
      { k: 'reject', r: 0, stale: false }, // reject r1 → a1 is offered c2 (r2, expires 10 s)
      { k: 'login', a: 1, notReady: NOT_READY_REASONS.length }, // a2 → offered c1 (r3)
      { k: 'reject', r: 1, stale: false }, // reject r3
      advance(30),
    ],
  },
  {
    // Deadlines due at the same instant run in creation order. c1 (ahead) is declined by a2
    // until 30 s; r3 (a1 ringing c2) expires at 30 s. c1's callback request at 25 s re-arms
    // its retry for 30 s *after* r3's expiry, so at 30 s the expiry runs first: c2 goes back
    // and is offered to a2, whose decline of c1 ended at that very instant.
    name: 'deadlines due at the same instant: a contact behind is not offered before the one ahead whose decline ends then',
    history: 'fails at 037ac51 (found by the property as a rare failure); open',
    inv: '3 place in line',
    world: world([0, 0], 2),
    cmds: [
      enqueue('ring'), // c1 → offers r1 (a1) and r2 (a2)
      { k: 'reject', r: 1, stale: false }, // reject r2 → a2 skips c1 until 30 s
      { k: 'pause', a: 1, reason: 0 }, // pause(a2, break)
      advance(5),
      { k: 'reject', r: 0, stale: false }, // reject r1 → a1 skips c1 until 35 s
      advance(15),
      enqueue('ring'), // 20 s: c2 → offer r3 to a1, expires at 30 s
      advance(5),
      { k: 'ready', a: 1 }, // 25 s: a2 available, still skips c1
      { k: 'callback', c: 0, any: false, recent: false }, // requestCallback(c1): retry re-armed for 30 s
      advance(5), // 30 s
    ],
  },
  {
    name: 'a web callback (enqueued as kind callback) withdrawn with cancel() ends its visit with an outcome event',
    history: 'fails at 4df72aa (cancel emitted nothing); passes since 6f436aa (callback-cancelled)',
    inv: '6 one outcome per queue visit',
    world: world([0], 0),
    cmds: [enqueue('ring', { callback: true }), { k: 'cancel', c: 0, any: false }],
  },
  {
    name: 'a contact entering a queue whose overflow step is already due is queued there before it overflows',
    history: 'fails at 4df72aa (contact-overflowed without contact-queued); passes since bc653d4',
    inv: '6 one outcome per queue visit',
    world: world([0], 0),
    cmds: [enqueue('esc', { agoS: 60 })],
  },
  {
    name: 'a contact transferred into a queue whose overflow step is already due is queued there before it overflows',
    history: 'fails at 4df72aa (contact-overflowed without contact-queued); passes since bc653d4',
    inv: '6 one outcome per queue visit',
    world: world([0], 1),
    cmds: [
      enqueue('ring'), // c1 → offer r1 to a1
      { k: 'accept', r: 0, stale: false },
      advance(60),
      { k: 'transfer', c: 0, q: 1, priority: 0, any: false }, // to esc: overflow to plain is due at once
    ],
  },
  {
    name: 'a callback request ends the visit: escalation does not overflow the callback afterwards (no second outcome)',
    history: 'fails at 4df72aa (contact-callback then contact-overflowed); passes since bc653d4',
    inv: '6 one outcome per queue visit',
    world: world([0], 0),
    cmds: [enqueue('esc'), advance(10), { k: 'callback', c: 0, any: false, recent: false }, advance(50)],
  },
];

describe('counterexamples found by the properties', () => {
  for (const ce of COUNTEREXAMPLES) {
    it(`[${ce.inv}] ${ce.name}`, () => {
      new Harness(ce.world, new Set([ce.inv]), emptyCoverage()).run(ce.cmds, ce.world.loggedIn);
    });
  }
});
