/**
 * Queue and agent statistics, computed from the ACD's event stream.
 *
 * Pure code: no timers, no I/O, no clock. Every figure is a function of the
 * events recorded (their `at`) and an explicit `now` argument, so the same
 * event log always gives the same report, live or in a simulation.
 *
 * Queue episodes
 * --------------
 * A contact's stay in one queue (its "queue episode") ends with exactly one
 * outcome event, and every queue count is attributed to the time of that
 * outcome event (`at`), as Asterisk's queue_log does:
 *
 *   contact-connected   answered (kind 'call')
 *   contact-abandoned   the caller hung up while waiting
 *   contact-timeout     the queue's max wait was reached
 *   contact-overflowed  moved to another queue; the target queue then gets its
 *                       own contact-queued and its own episode
 *   contact-callback    the caller left a callback request: neither answered
 *                       nor abandoned
 *
 *   offered = answered + abandoned + timedOut + overflowed + callbacks
 *
 * The wait of an outcome is its `waitMs` (measured by the ACD from the
 * contact's original enqueue time). contact-callback carries no waitMs: its
 * wait is `at − enqueuedAt` of the contact-queued seen for that contact, and
 * unknown (no removedWithin, no longest wait) when that event was not seen.
 *
 * Thresholds (the queue's configuration at the time of the outcome event):
 *   answeredWithin   answered  with wait <= serviceLevelSeconds × 1000
 *   abandonedWithin  abandoned with wait <= serviceLevelSeconds × 1000
 *   removedWithin    any outcome with wait <= serviceLevelSeconds × 1000
 *   shortAbandoned   abandoned with wait <  shortAbandonSeconds × 1000 (strict)
 *
 * Callbacks: a contact-connected with kind 'callback' is a callback served
 * later; it counts as `callbacksConnected`, not as answered, and stays out of
 * every wait and service-level figure (its caller's episode was already
 * counted as a callback). Other outcomes of a contact queued with kind
 * 'callback' are not counted at all, for the same reason.
 *
 * Handling: handled = contact-completed + contact-transferred; talk time from
 * their `talkMs`, wrap-up time from wrap-up-ended `wrapMs`, each attributed to
 * its own event time. AHT = (talk + wrap) / handled.
 *
 * Events for a queue the `queue()` lookup does not know are not counted
 * (see `ignoredEvents`). Ratios are fractions in [0, 1]; a ratio or average
 * with a zero denominator is `null`, never 0 or NaN.
 */
import { AcdError } from './errors.ts';
import { allServiceLevels, serviceLevel, type ServiceLevelCounts } from './service-level.ts';
import type {
  AcdEvent,
  AgentState,
  Millis,
  NotReadyReason,
  ServiceLevelDefinition,
} from './types.ts';

/** What the statistics need to know of a queue (a QueueConfig fits). */
export interface QueueThresholds {
  serviceLevelSeconds: number;
  shortAbandonSeconds: number;
  serviceLevelDefinition: ServiceLevelDefinition;
}

export interface QueueStatisticsOptions {
  queue(queueId: string): QueueThresholds | undefined;
  /** Rolling windows to support; the longest sizes the ring. Default 15 min, 1 h, 24 h. */
  windowsMs?: readonly number[];
  /** Bucket width; the windows' granularity. Default 60 000 (1 min). */
  bucketMs?: number;
}

export interface IntervalReportOptions {
  queue(queueId: string): QueueThresholds | undefined;
  /** Interval length, e.g. 900 000 for 15-minute rows, 86 400 000 for days. */
  intervalMs: number;
  /**
   * Intervals start at originMs + k × intervalMs (default 0: aligned to UTC).
   * For local days in UTC+3, pass −3 h (local midnight is 21:00 UTC).
   */
  originMs?: number;
}

export interface QueueCounts extends ServiceLevelCounts {
  timedOut: number;
  overflowed: number;
  callbacks: number;
  callbacksConnected: number;
  handled: number;
  transferred: number;
  waitSumAnsweredMs: number;
  waitSumAbandonedMs: number;
  /** Longest wait of any outcome (0 when none). */
  maxWaitMs: number;
  talkSumMs: number;
  wrapSumMs: number;
}

export interface QueueWindowStats extends QueueCounts {
  queueId: string;
  /** All four definitions side by side. */
  serviceLevels: Record<ServiceLevelDefinition, number | null>;
  /** The queue's own definition (null when the queue is no longer configured). */
  serviceLevelDefinition: ServiceLevelDefinition | null;
  serviceLevel: number | null;
  /** Average speed of answer: waitSumAnswered / answered. */
  asaSeconds: number | null;
  /** Average handle time: (talk + wrap) / handled. */
  ahtSeconds: number | null;
  /** (waitSumAnswered + waitSumAbandoned) / (answered + abandoned). */
  averageWaitSeconds: number | null;
  /** Longest wait of any outcome; null when nothing was offered. */
  longestWaitSeconds: number | null;
  /** abandoned / offered. */
  abandonmentRate: number | null;
}

export interface IntervalRow extends QueueWindowStats {
  intervalStart: Millis;
  intervalEnd: Millis;
}

// ---------------------------------------------------------------------------
// Counts as flat Float64Array records: one layout for buckets, totals,
// interval rows and the per-event delta. MAX_WAIT is last: it merges by max,
// every other field by sum.
const OFFERED = 0;
const ANSWERED = 1;
const ABANDONED = 2;
const SHORT_ABANDONED = 3;
const TIMED_OUT = 4;
const OVERFLOWED = 5;
const CALLBACKS = 6;
const CALLBACKS_CONNECTED = 7;
const ANSWERED_WITHIN = 8;
const ABANDONED_WITHIN = 9;
const REMOVED_WITHIN = 10;
const WAIT_SUM_ANSWERED = 11;
const WAIT_SUM_ABANDONED = 12;
const TALK_SUM = 13;
const WRAP_SUM = 14;
const HANDLED = 15;
const TRANSFERRED = 16;
const MAX_WAIT = 17;
const FIELD_COUNT = 18;

function merge(target: Float64Array, targetOff: number, src: Float64Array, srcOff: number): void {
  for (let i = 0; i < MAX_WAIT; i++) target[targetOff + i] = target[targetOff + i]! + src[srcOff + i]!;
  const wait = src[srcOff + MAX_WAIT]!;
  if (wait > target[targetOff + MAX_WAIT]!) target[targetOff + MAX_WAIT] = wait;
}

function perSecond(sumMs: number, count: number): number | null {
  return count > 0 ? sumMs / count / 1000 : null;
}

function snapshot(queueId: string, b: Float64Array, o: number, cfg: QueueThresholds | undefined): QueueWindowStats {
  const counts: QueueCounts = {
    offered: b[o + OFFERED]!,
    answered: b[o + ANSWERED]!,
    abandoned: b[o + ABANDONED]!,
    shortAbandoned: b[o + SHORT_ABANDONED]!,
    timedOut: b[o + TIMED_OUT]!,
    overflowed: b[o + OVERFLOWED]!,
    callbacks: b[o + CALLBACKS]!,
    callbacksConnected: b[o + CALLBACKS_CONNECTED]!,
    answeredWithin: b[o + ANSWERED_WITHIN]!,
    abandonedWithin: b[o + ABANDONED_WITHIN]!,
    removedWithin: b[o + REMOVED_WITHIN]!,
    handled: b[o + HANDLED]!,
    transferred: b[o + TRANSFERRED]!,
    waitSumAnsweredMs: b[o + WAIT_SUM_ANSWERED]!,
    waitSumAbandonedMs: b[o + WAIT_SUM_ABANDONED]!,
    maxWaitMs: b[o + MAX_WAIT]!,
    talkSumMs: b[o + TALK_SUM]!,
    wrapSumMs: b[o + WRAP_SUM]!,
  };
  const def = cfg?.serviceLevelDefinition ?? null;
  return {
    queueId,
    ...counts,
    serviceLevels: allServiceLevels(counts),
    serviceLevelDefinition: def,
    serviceLevel: def === null ? null : serviceLevel(def, counts),
    asaSeconds: perSecond(counts.waitSumAnsweredMs, counts.answered),
    ahtSeconds: perSecond(counts.talkSumMs + counts.wrapSumMs, counts.handled),
    averageWaitSeconds: perSecond(
      counts.waitSumAnsweredMs + counts.waitSumAbandonedMs,
      counts.answered + counts.abandoned,
    ),
    longestWaitSeconds: counts.offered > 0 ? counts.maxWaitMs / 1000 : null,
    abandonmentRate: counts.offered > 0 ? counts.abandoned / counts.offered : null,
  };
}

type QueueLookup = Pick<QueueStatisticsOptions, 'queue'>;

interface OpenEpisode {
  queueId: string;
  enqueuedAt: Millis;
  callback: boolean;
}

/**
 * Turns events into count deltas. Remembers, per waiting contact, only what
 * outcome events lack: the enqueue time (for contact-callback's wait) and
 * the kind. An entry lives from contact-queued to the episode's outcome.
 */
class EpisodeCounter {
  private readonly open = new Map<string, OpenEpisode>();
  ignored = 0;

  constructor(private readonly lookup: QueueLookup) {}

  get openEpisodes(): number {
    return this.open.size;
  }

  /**
   * Fills `d` (all zero on entry) with the event's contribution and returns
   * its queue id, or undefined when the event counts for no queue.
   */
  delta(event: AcdEvent, d: Float64Array): string | undefined {
    switch (event.type) {
      case 'contact-queued':
        this.open.set(event.contactId, {
          queueId: event.queueId,
          enqueuedAt: event.enqueuedAt,
          callback: event.kind === 'callback',
        });
        return undefined;
      case 'contact-refused':
        this.close(event.contactId, event.queueId);
        return undefined;
      case 'contact-connected':
        this.close(event.contactId, event.queueId);
        if (event.kind === 'callback') return this.count(event.queueId, d, CALLBACKS_CONNECTED, 1);
        return this.outcome(event.queueId, d, ANSWERED, event.waitMs);
      case 'contact-abandoned':
        return this.callOutcome(event.contactId, event.queueId, d, ABANDONED, event.waitMs);
      case 'contact-timeout':
        return this.callOutcome(event.contactId, event.queueId, d, TIMED_OUT, event.waitMs);
      case 'contact-overflowed':
        return this.callOutcome(event.contactId, event.queueId, d, OVERFLOWED, event.waitMs);
      case 'contact-callback': {
        const episode = this.close(event.contactId, event.queueId);
        if (episode?.callback === true) return undefined;
        const waitMs = episode === undefined ? Number.NaN : event.at - episode.enqueuedAt;
        return this.outcome(event.queueId, d, CALLBACKS, waitMs);
      }
      case 'contact-completed':
        d[TALK_SUM] = event.talkMs;
        return this.count(event.queueId, d, HANDLED, 1);
      case 'contact-transferred':
        d[TALK_SUM] = event.talkMs;
        d[TRANSFERRED] = 1;
        return this.count(event.queueId, d, HANDLED, 1);
      case 'wrap-up-ended':
        return this.count(event.queueId, d, WRAP_SUM, event.wrapMs);
      default:
        return undefined;
    }
  }

  private close(contactId: string, queueId: string): OpenEpisode | undefined {
    const episode = this.open.get(contactId);
    if (episode === undefined || episode.queueId !== queueId) return undefined;
    this.open.delete(contactId);
    return episode;
  }

  /** Outcome of a contact that may have been queued as a callback (then not counted). */
  private callOutcome(contactId: string, queueId: string, d: Float64Array, field: number, waitMs: number): string | undefined {
    if (this.close(contactId, queueId)?.callback === true) return undefined;
    return this.outcome(queueId, d, field, waitMs);
  }

  private count(queueId: string, d: Float64Array, field: number, value: number): string | undefined {
    if (this.lookup.queue(queueId) === undefined) {
      this.ignored++;
      return undefined;
    }
    d[field] = value;
    return queueId;
  }

  /** One episode outcome; `waitMs` NaN when unknown. */
  private outcome(queueId: string, d: Float64Array, field: number, waitMs: number): string | undefined {
    const cfg = this.lookup.queue(queueId);
    if (cfg === undefined) {
      this.ignored++;
      return undefined;
    }
    d[OFFERED] = 1;
    d[field] = 1;
    if (!Number.isFinite(waitMs)) return queueId;
    const within = waitMs <= cfg.serviceLevelSeconds * 1000;
    d[MAX_WAIT] = waitMs;
    if (within) d[REMOVED_WITHIN] = 1;
    if (field === ANSWERED) {
      d[WAIT_SUM_ANSWERED] = waitMs;
      if (within) d[ANSWERED_WITHIN] = 1;
    } else if (field === ABANDONED) {
      d[WAIT_SUM_ABANDONED] = waitMs;
      if (within) d[ABANDONED_WITHIN] = 1;
      if (waitMs < cfg.shortAbandonSeconds * 1000) d[SHORT_ABANDONED] = 1;
    }
    return queueId;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new AcdError('ACD_BAD_ARGUMENT', `${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Fixed buckets of one queue in a ring, plus cumulative totals. */
class BucketRing {
  /** Absolute bucket index (floor(at / bucketMs)) held by each slot. */
  readonly index: Float64Array;
  readonly data: Float64Array;
  readonly totals = new Float64Array(FIELD_COUNT);

  constructor(readonly size: number) {
    this.index = new Float64Array(size).fill(-Infinity);
    this.data = new Float64Array(size * FIELD_COUNT);
  }

  /** Data offset of bucket `bucket`, recycling the older bucket in its slot; -1 if the slot holds a newer one. */
  slot(bucket: number): number {
    const s = mod(bucket, this.size);
    const off = s * FIELD_COUNT;
    const held = this.index[s]!;
    if (held === bucket) return off;
    if (held > bucket) return -1;
    this.index[s] = bucket;
    this.data.fill(0, off, off + FIELD_COUNT);
    return off;
  }
}

export const DEFAULT_WINDOWS_MS: readonly number[] = [15 * 60_000, 60 * 60_000, 24 * 60 * 60_000];

/**
 * Rolling-window queue statistics for wallboards and Prometheus gauges, plus
 * totals since start for Prometheus counters.
 *
 * Each queue has a ring of fixed buckets (`bucketMs` wide, aligned to
 * multiples of bucketMs): ceil(longest window / bucketMs) slots, e.g. 1440
 * for 24 h of 1-minute buckets, allocated as typed arrays when the queue's
 * first event arrives. Recording an event touches one bucket and allocates
 * nothing (apart from one small entry per waiting contact).
 *
 * A window of W ms at `now` sums the buckets whose start is > now − W and
 * <= now. Granularity is up to one bucket: the window really covers between
 * W − bucketMs and W of history, never more than W. With 1-minute buckets, a
 * 15-minute window at 10:00:00.000 sums the buckets starting 09:46 … 10:00
 * (14 minutes: an event at 09:45:30 is out), and at 10:00:59.999 the same
 * buckets (almost 15 minutes).
 * Events older than the ring's horizon relative to the newest recorded
 * bucket count in the totals only (see `lateEvents`).
 */
export class QueueStatistics {
  readonly bucketMs: number;
  readonly windowsMs: readonly number[];
  private readonly ringSize: number;
  private readonly rings = new Map<string, BucketRing>();
  private readonly counter: EpisodeCounter;
  private readonly delta = new Float64Array(FIELD_COUNT);
  private readonly sum = new Float64Array(FIELD_COUNT);
  private late = 0;

  constructor(private readonly options: QueueStatisticsOptions) {
    this.bucketMs = positive('bucketMs', options.bucketMs ?? 60_000);
    const windows = options.windowsMs ?? DEFAULT_WINDOWS_MS;
    if (windows.length === 0) throw new AcdError('ACD_BAD_ARGUMENT', 'windowsMs must not be empty');
    this.windowsMs = windows.map((w) => positive('windowsMs[]', w));
    this.ringSize = Math.max(...this.windowsMs.map((w) => Math.ceil(w / this.bucketMs)));
    this.counter = new EpisodeCounter(options);
  }

  /** Events for queues the lookup did not know (not counted anywhere). */
  get ignoredEvents(): number {
    return this.counter.ignored;
  }

  /** Events too old for the ring: in the totals, in no window. */
  get lateEvents(): number {
    return this.late;
  }

  /** Contacts queued whose outcome has not been seen yet. */
  get openEpisodes(): number {
    return this.counter.openEpisodes;
  }

  record(event: AcdEvent): void {
    const d = this.delta;
    d.fill(0);
    const queueId = this.counter.delta(event, d);
    if (queueId === undefined) return;
    let ring = this.rings.get(queueId);
    if (ring === undefined) {
      ring = new BucketRing(this.ringSize);
      this.rings.set(queueId, ring);
    }
    merge(ring.totals, 0, d, 0);
    const off = ring.slot(Math.floor(event.at / this.bucketMs));
    if (off < 0) this.late++;
    else merge(ring.data, off, d, 0);
  }

  /** Queues that have recorded at least one counted event, sorted. */
  queueIds(): string[] {
    return [...this.rings.keys()].sort(compareStrings);
  }

  /** The last `windowMs` before `now` (see the class comment for the granularity). */
  window(queueId: string, windowMs: number, now: Millis): QueueWindowStats {
    positive('windowMs', windowMs);
    const first = Math.floor((now - windowMs) / this.bucketMs) + 1;
    const last = Math.floor(now / this.bucketMs);
    if (last - first + 1 > this.ringSize) {
      throw new AcdError(
        'ACD_BAD_ARGUMENT',
        `window of ${windowMs} ms is longer than the longest configured window (${this.ringSize} buckets)`,
      );
    }
    const sum = this.sum;
    sum.fill(0);
    const ring = this.rings.get(queueId);
    if (ring !== undefined) {
      for (let bucket = first; bucket <= last; bucket++) {
        const s = mod(bucket, ring.size);
        if (ring.index[s] === bucket) merge(sum, 0, ring.data, s * FIELD_COUNT);
      }
    }
    return snapshot(queueId, sum, 0, this.options.queue(queueId));
  }

  /** Cumulative since this object was created (for Prometheus counters). */
  totals(queueId: string): QueueWindowStats {
    const ring = this.rings.get(queueId);
    if (ring !== undefined) return snapshot(queueId, ring.totals, 0, this.options.queue(queueId));
    this.sum.fill(0);
    return snapshot(queueId, this.sum, 0, this.options.queue(queueId));
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Fixed-interval report rows (15-minute, hourly, daily...). Interval k of a
 * queue covers [originMs + k × intervalMs, originMs + (k + 1) × intervalMs);
 * an event belongs to the interval containing its `at`. Only intervals in
 * which at least one counted event fell have a row. Memory grows with the
 * number of (queue, interval) pairs seen: build one report per period.
 */
export class IntervalReport {
  readonly intervalMs: number;
  readonly originMs: Millis;
  private readonly counter: EpisodeCounter;
  private readonly delta = new Float64Array(FIELD_COUNT);
  private readonly queues = new Map<string, Map<number, Float64Array>>();

  constructor(private readonly options: IntervalReportOptions) {
    this.intervalMs = positive('intervalMs', options.intervalMs);
    this.originMs = options.originMs ?? 0;
    if (!Number.isFinite(this.originMs)) throw new AcdError('ACD_BAD_ARGUMENT', 'originMs must be finite');
    this.counter = new EpisodeCounter(options);
  }

  get ignoredEvents(): number {
    return this.counter.ignored;
  }

  record(event: AcdEvent): void {
    const d = this.delta;
    d.fill(0);
    const queueId = this.counter.delta(event, d);
    if (queueId === undefined) return;
    let intervals = this.queues.get(queueId);
    if (intervals === undefined) {
      intervals = new Map();
      this.queues.set(queueId, intervals);
    }
    const k = Math.floor((event.at - this.originMs) / this.intervalMs);
    let counts = intervals.get(k);
    if (counts === undefined) {
      counts = new Float64Array(FIELD_COUNT);
      intervals.set(k, counts);
    }
    merge(counts, 0, d, 0);
  }

  /** One row per (queue, interval) with events, sorted by queue id then interval start. */
  rows(): IntervalRow[] {
    const rows: IntervalRow[] = [];
    for (const queueId of [...this.queues.keys()].sort(compareStrings)) {
      const intervals = this.queues.get(queueId)!;
      const cfg = this.options.queue(queueId);
      for (const k of [...intervals.keys()].sort((a, b) => a - b)) {
        const intervalStart = this.originMs + k * this.intervalMs;
        rows.push({
          ...snapshot(queueId, intervals.get(k)!, 0, cfg),
          intervalStart,
          intervalEnd: intervalStart + this.intervalMs,
        });
      }
    }
    return rows;
  }
}

// ---------------------------------------------------------------------------
// Agents

const STATE_INDEX: Readonly<Record<AgentState, number>> = {
  'logged-out': 0,
  available: 1,
  reserved: 2,
  'on-call': 3,
  'wrap-up': 4,
  'not-ready': 5,
};
const REASON_INDEX: Readonly<Record<NotReadyReason, number>> = {
  break: 0,
  lunch: 1,
  training: 2,
  'missed-calls': 3,
  other: 4,
};

export interface AgentSnapshot {
  agentId: string;
  /** Current state (null before the agent's first agent-state event). */
  state: AgentState | null;
  stateSince: Millis | null;
  /** contact-completed + contact-transferred. */
  callsHandled: number;
  talkMs: number;
  wrapMs: number;
  msByState: Record<AgentState, number>;
  notReadyMsByReason: Record<NotReadyReason, number>;
  /**
   * (on-call + wrap-up + reserved) / (available + reserved + on-call + wrap-up):
   * the share of ready-to-work time spent on contacts, the workforce-management
   * definition (handle time over handle time plus idle time). Ringing
   * (reserved) counts as busy: the agent cannot take another contact.
   * Not-ready and logged-out time are outside both terms. null when 0/0.
   */
  occupancy: number | null;
}

class AgentTally {
  state: AgentState | null = null;
  since: Millis = 0;
  reason: NotReadyReason = 'other';
  readonly msByState = new Float64Array(6);
  readonly msByReason = new Float64Array(5);
  callsHandled = 0;
  talkMs = 0;
  wrapMs = 0;

  /** Closes the current state at `until`. */
  accrue(until: Millis): void {
    if (this.state === null) return;
    const ms = Math.max(0, until - this.since);
    const s = STATE_INDEX[this.state];
    this.msByState[s] = this.msByState[s]! + ms;
    if (this.state === 'not-ready') {
      const r = REASON_INDEX[this.reason];
      this.msByReason[r] = this.msByReason[r]! + ms;
    }
  }
}

/**
 * Per-agent figures. Time in states accrues from agent-state events: each
 * event closes the state the agent was last seen in (at the event's `at`)
 * and opens `to`. Time before an agent's first agent-state event is unknown
 * and not counted. Not-ready time without a reason is filed under 'other'.
 * contact-completed / contact-transferred count a handled call and its talk
 * time for `agentId`; wrap-up-ended adds wrap-up time.
 */
export class AgentStatistics {
  private readonly agents = new Map<string, AgentTally>();

  record(event: AcdEvent): void {
    switch (event.type) {
      case 'agent-state': {
        const t = this.tally(event.agentId);
        t.accrue(event.at);
        t.state = event.to;
        t.since = event.at;
        t.reason = event.to === 'not-ready' ? (event.reason ?? 'other') : 'other';
        return;
      }
      case 'contact-completed':
      case 'contact-transferred': {
        const t = this.tally(event.agentId);
        t.callsHandled++;
        t.talkMs += event.talkMs;
        return;
      }
      case 'wrap-up-ended':
        this.tally(event.agentId).wrapMs += event.wrapMs;
        return;
      default:
        return;
    }
  }

  agentIds(): string[] {
    return [...this.agents.keys()].sort(compareStrings);
  }

  /** Figures up to `now`, including the still-open current state. An unknown agent has all zeros. */
  agent(agentId: string, now: Millis): AgentSnapshot {
    const t = this.agents.get(agentId) ?? new AgentTally();
    const byState = Float64Array.from(t.msByState);
    const byReason = Float64Array.from(t.msByReason);
    if (t.state !== null) {
      const open = Math.max(0, now - t.since);
      const s = STATE_INDEX[t.state];
      byState[s] = byState[s]! + open;
      if (t.state === 'not-ready') {
        const r = REASON_INDEX[t.reason];
        byReason[r] = byReason[r]! + open;
      }
    }
    const msByState: Record<AgentState, number> = {
      'logged-out': byState[STATE_INDEX['logged-out']]!,
      available: byState[STATE_INDEX.available]!,
      reserved: byState[STATE_INDEX.reserved]!,
      'on-call': byState[STATE_INDEX['on-call']]!,
      'wrap-up': byState[STATE_INDEX['wrap-up']]!,
      'not-ready': byState[STATE_INDEX['not-ready']]!,
    };
    const notReadyMsByReason: Record<NotReadyReason, number> = {
      break: byReason[REASON_INDEX.break]!,
      lunch: byReason[REASON_INDEX.lunch]!,
      training: byReason[REASON_INDEX.training]!,
      'missed-calls': byReason[REASON_INDEX['missed-calls']]!,
      other: byReason[REASON_INDEX.other]!,
    };
    const busy = msByState['on-call'] + msByState['wrap-up'] + msByState.reserved;
    const staffed = busy + msByState.available;
    return {
      agentId,
      state: t.state,
      stateSince: t.state === null ? null : t.since,
      callsHandled: t.callsHandled,
      talkMs: t.talkMs,
      wrapMs: t.wrapMs,
      msByState,
      notReadyMsByReason,
      occupancy: staffed > 0 ? busy / staffed : null,
    };
  }

  /**
   * Occupancy of a group of agents (e.g. those serving a queue): the same
   * formula over the sums of their times, so busy agents weigh by their hours.
   */
  groupOccupancy(agentIds: Iterable<string>, now: Millis): number | null {
    let busy = 0;
    let staffed = 0;
    for (const id of agentIds) {
      const { msByState: m } = this.agent(id, now);
      const b = m['on-call'] + m['wrap-up'] + m.reserved;
      busy += b;
      staffed += b + m.available;
    }
    return staffed > 0 ? busy / staffed : null;
  }

  private tally(agentId: string): AgentTally {
    let t = this.agents.get(agentId);
    if (t === undefined) {
      t = new AgentTally();
      this.agents.set(agentId, t);
    }
    return t;
  }
}
