/**
 * Discrete-event simulator of a contact center over the real ACD core (no
 * copy of its routing logic): Poisson arrivals shaped by day-of-week and
 * hour-of-day profiles, log-normal or exponential talk times, caller patience
 * (abandonment), operators' ring-to-answer delay, wrap-up (from the queue
 * configuration), shifts and breaks. Seeded: the same scenario and seed give
 * the same figures.
 *
 * Simulated time starts at 0 = Monday 00:00 local time.
 */
import { Acd } from './acd.ts';
import { ManualClock } from './clock.ts';
import { AcdError } from './errors.ts';
import { AsteriskHoldtime } from './ewt.ts';
import { IndexedHeap, type HeapItem } from './heap.ts';
import { SeededRandom } from './random.ts';
import { AgentStatistics, QueueStatistics, type QueueWindowStats } from './stats.ts';
import type { AcdEvent, AgentConfig, Millis, QueueConfig } from './types.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

export interface SimShift {
  /** Days the shift starts on, 0 = Monday … 6 = Sunday (default: every day). */
  days?: number[];
  startHour: number;
  /** May be ≤ startHour for a shift that ends the next day. */
  endHour: number;
}

export interface SimAgentGroup {
  idPrefix: string;
  count: number;
  skills: Record<string, number>;
  languages: string[];
  /** Empty: on duty for the whole run. */
  shifts: SimShift[];
  /** A break of `minutes` every `everyMinutes` of the shift (skipped at the shift's end). */
  breaks?: { everyMinutes: number; minutes: number };
}

export interface SimArrivalStream {
  queueId: string;
  callsPerWeek: number;
  /** 24 relative weights for the hours of the day (default flat). */
  hourlyProfile?: number[];
  /** 7 relative weights for Monday … Sunday (default flat). */
  dailyProfile?: number[];
  /** Callers' languages with shares (default: none required). */
  languages?: Array<{ language: string; share: number }>;
  priority?: number;
}

export interface SimulationScenario {
  /** Sees every ACD event as it happens (to record a simulated history, e.g. for store benchmarks). */
  onEvent?: (event: AcdEvent) => void;
  name: string;
  seed: number;
  durationMs: Millis;
  queues: QueueConfig[];
  agents: SimAgentGroup[];
  arrivals: SimArrivalStream[];
  talk: { distribution: 'exponential' | 'lognormal'; meanSeconds: number; cv?: number };
  /**
   * How long callers are willing to wait; null: nobody abandons. Exponential
   * is what Erlang A assumes; log-normal is closer to real callers, who seldom
   * hang up in the first seconds.
   */
  patience: { distribution?: 'exponential' | 'lognormal'; meanSeconds: number; cv?: number } | null;
  /** Seconds from offer to the operator answering (default 0). */
  answerDelaySeconds?: number;
  /** Measure EWT accuracy (costs a position scan per arrival). Default true. */
  trackEwt?: boolean;
}

/**
 * Median |estimate at arrival − actual wait| over answered calls. `waited`
 * counts only callers who found no free operator on arrival — the ones who
 * hear an announcement, and where estimators differ; `all` includes callers
 * offered at once.
 */
export interface EwtAccuracy {
  waited: EwtErrors;
  all: EwtErrors;
}

export interface EwtErrors {
  samples: number;
  /** hotline's position-aware estimator (ewt.ts). */
  positionAwareMedianErrorSeconds: number | null;
  /** Asterisk's (3·old + wait)/4 holdtime. */
  asteriskMedianErrorSeconds: number | null;
}

export interface SimulationResult {
  scenario: string;
  seed: number;
  simulatedDays: number;
  arrivals: number;
  /** All queues together; a contact that overflowed counts once, at its final outcome. */
  overall: QueueWindowStats;
  queues: Record<string, QueueWindowStats>;
  agentOccupancy: number | null;
  ewt: EwtAccuracy;
  events: number;
  wallMs: number;
}

type SimEvent =
  | { kind: 'arrival'; stream: number }
  | { kind: 'answer'; reservationId: string }
  | { kind: 'hangup'; contactId: string }
  | { kind: 'abandon'; contactId: string }
  | { kind: 'shift-start'; agentId: string; endAt: Millis; breaks: SimAgentGroup['breaks']; breakOffsetMs: Millis }
  | { kind: 'shift-end'; agentId: string }
  | { kind: 'break-start'; agentId: string; minutes: number }
  | { kind: 'break-end'; agentId: string };

interface Scheduled extends HeapItem {
  at: Millis;
  seq: number;
  event: SimEvent;
}

const OVERALL = '*';

export class Simulator {
  private readonly clock = new ManualClock(0);
  private readonly random: SeededRandom;
  private readonly acd: Acd;
  private readonly agenda = new IndexedHeap<Scheduled>((a, b) => (a.at !== b.at ? a.at < b.at : a.seq < b.seq));
  private readonly stats: QueueStatistics;
  private readonly overall: QueueStatistics;
  private readonly agentStats = new AgentStatistics();
  private readonly holdtimes = new Map<string, AsteriskHoldtime>();
  private readonly pendingOffers = new Set<string>();
  private readonly leavingAgents = new Set<string>();
  /** Per contact at arrival: position-aware estimate, asterisk estimate, whether it had to wait. */
  private readonly estimates = new Map<string, { ours: Millis; asterisk: Millis; waited: boolean }>();
  private readonly errors = { waited: { ours: [] as number[], asterisk: [] as number[] }, all: { ours: [] as number[], asterisk: [] as number[] } };
  private readonly streams: Array<SimArrivalStream & { peakPerMs: number; ratePerMs: (t: Millis) => number }>;
  private seq = 0;
  private contactSeq = 0;
  private arrivals = 0;
  private eventCount = 0;

  constructor(private readonly scenario: SimulationScenario) {
    this.random = new SeededRandom(scenario.seed);
    const agents: AgentConfig[] = [];
    for (const g of scenario.agents) {
      for (let i = 1; i <= g.count; i++) agents.push({ id: `${g.idPrefix}${i}`, name: `${g.idPrefix}${i}`, skills: g.skills, languages: g.languages });
    }
    this.acd = new Acd({ clock: this.clock, seed: scenario.seed, queues: scenario.queues, agents });
    const thresholds = new Map(scenario.queues.map((q) => [q.id, q]));
    const first = scenario.queues[0];
    if (first === undefined) throw new AcdError('ACD_BAD_ARGUMENT', 'a scenario needs at least one queue');
    this.stats = new QueueStatistics({ queue: (id) => thresholds.get(id) });
    this.overall = new QueueStatistics({ queue: (id) => (id === OVERALL ? first : undefined) });
    this.streams = scenario.arrivals.map((s) => ({ ...s, ...arrivalRate(s) }));
  }

  run(): SimulationResult {
    const started = performance.now();
    const end = this.scenario.durationMs;
    this.scheduleShifts(end);
    this.streams.forEach((_, i) => this.scheduleArrival(i, 0));
    for (;;) {
      const nextSim = this.agenda.peek()?.at ?? Infinity;
      const nextAcd = this.acd.nextDeadline() ?? Infinity;
      const t = Math.min(nextSim, nextAcd);
      if (t > end) break;
      this.clock.set(Math.max(t, this.clock.now()));
      if (nextAcd <= nextSim) this.process(this.acd.advance());
      else this.handle((this.agenda.pop() as Scheduled).event);
    }
    return this.result(performance.now() - started);
  }

  private schedule(at: Millis, event: SimEvent): void {
    this.agenda.push({ heapIndex: -1, at, seq: this.seq++, event });
  }

  private handle(e: SimEvent): void {
    const now = this.clock.now();
    switch (e.kind) {
      case 'arrival':
        this.arrive(e.stream, now);
        return;
      case 'answer':
        if (this.pendingOffers.has(e.reservationId)) this.process(this.acd.accept(e.reservationId));
        return;
      case 'hangup':
        this.process(this.acd.complete(e.contactId));
        return;
      case 'abandon': {
        const c = this.acd.contactView(e.contactId);
        if (c !== undefined && c.state !== 'connected' && c.kind === 'call') this.process(this.acd.cancel(e.contactId));
        return;
      }
      case 'shift-start': {
        const v = this.acd.agentView(e.agentId);
        this.leavingAgents.delete(e.agentId);
        if (v.state === 'logged-out') this.process(this.acd.login(e.agentId));
        this.schedule(e.endAt, { kind: 'shift-end', agentId: e.agentId });
        if (e.breaks !== undefined) {
          const every = e.breaks.everyMinutes * 60_000;
          for (let t = now + every / 2 + e.breakOffsetMs; t + e.breaks.minutes * 60_000 < e.endAt; t += every) {
            this.schedule(t, { kind: 'break-start', agentId: e.agentId, minutes: e.breaks.minutes });
          }
        }
        return;
      }
      case 'shift-end':
        this.leave(e.agentId);
        return;
      case 'break-start': {
        const v = this.acd.agentView(e.agentId);
        if (v.state === 'logged-out' || v.state === 'not-ready' || this.leavingAgents.has(e.agentId)) return;
        this.process(this.acd.pause(e.agentId, 'break'));
        this.schedule(now + e.minutes * 60_000, { kind: 'break-end', agentId: e.agentId });
        return;
      }
      case 'break-end': {
        const v = this.acd.agentView(e.agentId);
        if (this.leavingAgents.has(e.agentId)) return;
        if ((v.state === 'not-ready' && v.reason === 'break') || (v.state === 'on-call' && v.pendingPause === 'break')) this.process(this.acd.ready(e.agentId));
        return;
      }
    }
  }

  /** Shift over: log out now if idle, otherwise after the current call. */
  private leave(agentId: string): void {
    const v = this.acd.agentView(agentId);
    if (v.state === 'logged-out') return;
    if (v.state === 'available' || v.state === 'not-ready') {
      this.process(this.acd.logout(agentId));
      return;
    }
    this.leavingAgents.add(agentId);
    this.process(this.acd.pause(agentId, 'other'));
  }

  private arrive(stream: number, now: Millis): void {
    const s = this.streams[stream];
    if (s === undefined) return;
    this.scheduleArrival(stream, now);
    this.arrivals++;
    const id = `c${++this.contactSeq}`;
    const language = pickLanguage(s.languages, this.random);
    const events = this.acd.enqueue({ id, queueId: s.queueId, priority: s.priority ?? 0, ...(language !== undefined ? { language } : {}) });
    if (this.scenario.trackEwt !== false && this.acd.hasContact(id)) {
      const waited = this.acd.contactView(id)?.state === 'waiting';
      const ours = this.acd.estimateWaitMs(id) ?? 0;
      const asterisk = this.holdtime(s.queueId).estimateMs();
      this.estimates.set(id, { ours, asterisk, waited });
    }
    const patience = this.scenario.patience;
    if (patience !== null && this.acd.hasContact(id)) {
      const mean = patience.meanSeconds * 1000;
      const wait = patience.distribution === 'lognormal' ? this.random.logNormal(mean, patience.cv ?? 1) : this.random.exponential(mean);
      this.schedule(now + wait, { kind: 'abandon', contactId: id });
    }
    this.process(events);
  }

  /** Next arrival of a stream by thinning a Poisson process at the peak rate. */
  private scheduleArrival(stream: number, from: Millis): void {
    const s = this.streams[stream];
    if (s === undefined || s.peakPerMs <= 0) return;
    let t = from;
    for (;;) {
      t += this.random.exponential(1 / s.peakPerMs);
      if (t > this.scenario.durationMs) return;
      if (this.random.next() * s.peakPerMs <= s.ratePerMs(t)) break;
    }
    this.schedule(t, { kind: 'arrival', stream });
  }

  private process(events: AcdEvent[]): void {
    const now = this.clock.now();
    for (const e of events) {
      this.eventCount++;
      this.scenario.onEvent?.(e);
      this.stats.record(e);
      if (e.type !== 'contact-overflowed' && 'queueId' in e) this.overall.record({ ...e, queueId: OVERALL });
      else if (e.type === 'agent-state') this.overall.record(e);
      this.agentStats.record(e);
      switch (e.type) {
        case 'offer':
          this.pendingOffers.add(e.reservationId);
          this.schedule(now + (this.scenario.answerDelaySeconds ?? 0) * 1000, { kind: 'answer', reservationId: e.reservationId });
          break;
        case 'offer-missed':
        case 'offer-cancelled':
          this.pendingOffers.delete(e.reservationId);
          break;
        case 'contact-connected': {
          this.pendingOffers.delete(e.reservationId);
          this.schedule(now + this.talkMs(), { kind: 'hangup', contactId: e.contactId });
          if (e.kind === 'call') this.holdtime(e.queueId).record(e.waitMs);
          const est = this.estimates.get(e.contactId);
          if (est !== undefined) {
            for (const bucket of est.waited ? [this.errors.waited, this.errors.all] : [this.errors.all]) {
              bucket.ours.push(Math.abs(est.ours - e.waitMs));
              bucket.asterisk.push(Math.abs(est.asterisk - e.waitMs));
            }
            this.estimates.delete(e.contactId);
          }
          break;
        }
        case 'contact-abandoned':
        case 'contact-timeout':
          this.estimates.delete(e.contactId);
          break;
        case 'agent-state':
          if (e.to === 'not-ready' && this.leavingAgents.has(e.agentId)) {
            this.leavingAgents.delete(e.agentId);
            this.process(this.acd.logout(e.agentId));
          }
          break;
        default:
          break;
      }
    }
  }

  private talkMs(): Millis {
    const t = this.scenario.talk;
    const mean = t.meanSeconds * 1000;
    return t.distribution === 'exponential' ? this.random.exponential(mean) : this.random.logNormal(mean, t.cv ?? 1);
  }

  private holdtime(queueId: string): AsteriskHoldtime {
    let h = this.holdtimes.get(queueId);
    if (h === undefined) {
      h = new AsteriskHoldtime();
      this.holdtimes.set(queueId, h);
    }
    return h;
  }

  private scheduleShifts(end: Millis): void {
    for (const g of this.scenario.agents) {
      for (let i = 1; i <= g.count; i++) {
        const agentId = `${g.idPrefix}${i}`;
        // Breaks are staggered across the group so a team never leaves all at once.
        const breakOffsetMs = g.breaks === undefined ? 0 : (((i - 1) / g.count) - 0.5) * g.breaks.everyMinutes * 60_000;
        if (g.shifts.length === 0) this.schedule(0, { kind: 'shift-start', agentId, endAt: end + 1, breaks: g.breaks, breakOffsetMs });
        for (const shift of g.shifts) {
          const lengthMs = (((shift.endHour - shift.startHour + 24) % 24) || 24) * HOUR;
          for (let day = 0; day * DAY < end; day++) {
            if (shift.days !== undefined && !shift.days.includes(day % 7)) continue;
            const start = day * DAY + shift.startHour * HOUR;
            if (start >= end) continue;
            this.schedule(start, { kind: 'shift-start', agentId, endAt: start + lengthMs, breaks: g.breaks, breakOffsetMs });
          }
          // A night shift that started "yesterday" (before the simulation) is on at time 0.
          if (shift.endHour <= shift.startHour && (shift.days === undefined || shift.days.includes(6))) {
            this.schedule(0, { kind: 'shift-start', agentId, endAt: shift.endHour * HOUR, breaks: g.breaks, breakOffsetMs });
          }
        }
      }
    }
  }

  private result(wallMs: number): SimulationResult {
    const queues: Record<string, QueueWindowStats> = {};
    for (const q of this.scenario.queues) queues[q.id] = this.stats.totals(q.id);
    const occupancies: number[] = [];
    for (const id of this.agentStats.agentIds()) {
      const o = this.agentStats.agent(id, this.clock.now()).occupancy;
      if (o !== null) occupancies.push(o);
    }
    return {
      scenario: this.scenario.name,
      seed: this.scenario.seed,
      simulatedDays: this.scenario.durationMs / DAY,
      arrivals: this.arrivals,
      overall: this.overall.totals(OVERALL),
      queues,
      agentOccupancy: occupancies.length > 0 ? occupancies.reduce((a, b) => a + b, 0) / occupancies.length : null,
      ewt: { waited: errorSummary(this.errors.waited), all: errorSummary(this.errors.all) },
      events: this.eventCount,
      wallMs,
    };
  }
}

export function simulate(scenario: SimulationScenario): SimulationResult {
  return new Simulator(scenario).run();
}

/**
 * The arrival rate of a stream at time t (calls per ms), normalised so that a
 * week holds `callsPerWeek` calls on average, and its peak for thinning.
 */
function arrivalRate(s: SimArrivalStream): { peakPerMs: number; ratePerMs: (t: Millis) => number } {
  const hourly = s.hourlyProfile ?? Array.from({ length: 24 }, () => 1);
  const daily = s.dailyProfile ?? Array.from({ length: 7 }, () => 1);
  if (hourly.length !== 24 || daily.length !== 7) throw new AcdError('ACD_BAD_ARGUMENT', `arrival profile for ${s.queueId}: need 24 hourly and 7 daily weights`);
  let weekWeight = 0;
  let peakWeight = 0;
  for (const d of daily) {
    for (const h of hourly) {
      weekWeight += d * h;
      peakWeight = Math.max(peakWeight, d * h);
    }
  }
  const perWeightHour = weekWeight > 0 ? s.callsPerWeek / weekWeight / HOUR : 0;
  return {
    peakPerMs: peakWeight * perWeightHour,
    ratePerMs: (t) => {
      const inWeek = t % WEEK;
      const day = Math.floor(inWeek / DAY);
      const hour = Math.floor((inWeek % DAY) / HOUR);
      return (daily[day] as number) * (hourly[hour] as number) * perWeightHour;
    },
  };
}

function pickLanguage(languages: SimArrivalStream['languages'], random: SeededRandom): string | undefined {
  if (languages === undefined || languages.length === 0) return undefined;
  let r = random.next() * languages.reduce((a, l) => a + l.share, 0);
  for (const l of languages) {
    r -= l.share;
    if (r < 0) return l.language;
  }
  return languages[languages.length - 1]?.language;
}

function errorSummary(e: { ours: number[]; asterisk: number[] }): EwtErrors {
  return { samples: e.ours.length, positionAwareMedianErrorSeconds: median(e.ours), asteriskMedianErrorSeconds: median(e.asterisk) };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return m / 1000;
}

export { HOUR, DAY, WEEK };
