/**
 * The ACD's Prometheus metrics. Counters and the wait histogram move on ACD
 * events; gauges (waiting calls, longest wait, agents by state, service level
 * per window, EWT) are computed when Prometheus scrapes. Labels are bounded:
 * queue ids, states, outcomes, windows, definitions — never call ids.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Acd } from '../acd/acd.ts';
import type { AgentStatistics, QueueStatistics } from '../acd/stats.ts';
import { SERVICE_LEVEL_DEFINITIONS, type AcdEvent, type AgentState, type QueueConfig } from '../acd/types.ts';

/** Rolling windows exported as gauges, by label value. */
export const METRIC_WINDOWS: ReadonlyArray<{ label: string; ms: number }> = [
  { label: '15m', ms: 15 * 60_000 },
  { label: '1h', ms: 60 * 60_000 },
  { label: '24h', ms: 24 * 60 * 60_000 },
];

const BASE_WAIT_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200];

/** Histogram buckets: the usual ones plus every queue's SL and short-abandon thresholds, so SL can be read off the histogram exactly. */
export function waitBuckets(queues: readonly QueueConfig[]): number[] {
  const set = new Set(BASE_WAIT_BUCKETS);
  for (const q of queues) {
    set.add(q.serviceLevelSeconds);
    set.add(q.shortAbandonSeconds);
  }
  return [...set].sort((a, b) => a - b);
}

const AGENT_STATES: readonly AgentState[] = ['logged-out', 'available', 'reserved', 'on-call', 'wrap-up', 'not-ready'];

export interface AcdMetricsOptions {
  registry: Registry;
  acd: Acd;
  stats: QueueStatistics;
  agentStats: AgentStatistics;
  queues: readonly QueueConfig[];
  now: () => number;
}

/** Registers the metrics and returns the event handler that feeds them. */
export function registerAcdMetrics(opts: AcdMetricsOptions): (event: AcdEvent) => void {
  const { registry, acd, stats, agentStats, now } = opts;
  const registers = [registry];

  const entered = new Counter({ name: 'hotline_queue_entered_total', help: 'Contacts that entered a queue (new, transferred or overflowed in).', labelNames: ['queue'], registers });
  const offered = new Counter({ name: 'hotline_queue_offered_total', help: 'Queue episodes that ended, whatever the outcome (offered = answered + abandoned + timed out + overflowed + callback).', labelNames: ['queue'], registers });
  const answered = new Counter({ name: 'hotline_queue_answered_total', help: 'Calls answered by an operator.', labelNames: ['queue'], registers });
  const answeredWithin = new Counter({ name: 'hotline_queue_answered_within_threshold_total', help: "Calls answered within the queue's service-level threshold.", labelNames: ['queue'], registers });
  const abandoned = new Counter({ name: 'hotline_queue_abandoned_total', help: 'Callers who hung up while waiting.', labelNames: ['queue'], registers });
  const shortAbandoned = new Counter({ name: 'hotline_queue_short_abandoned_total', help: "Callers who hung up before the queue's short-abandon threshold.", labelNames: ['queue'], registers });
  const timedOut = new Counter({ name: 'hotline_queue_timed_out_total', help: 'Callers moved on after the maximum wait.', labelNames: ['queue'], registers });
  const overflowed = new Counter({ name: 'hotline_queue_overflowed_total', help: 'Contacts moved to another queue by an escalation step.', labelNames: ['queue'], registers });
  const callbacks = new Counter({ name: 'hotline_queue_callbacks_requested_total', help: 'Callers who left the line asking to be called back.', labelNames: ['queue'], registers });
  const offers = new Counter({ name: 'hotline_queue_offers_total', help: 'Offers of a contact to an operator, by result.', labelNames: ['queue', 'result'], registers });
  const waitHistogram = new Histogram({
    name: 'hotline_queue_wait_seconds',
    help: 'Time from the original enqueue to leaving the queue, by outcome.',
    labelNames: ['queue', 'outcome'],
    buckets: waitBuckets(opts.queues),
    registers,
  });

  // Every configured queue shows up with zeros from the first scrape, before its first call.
  for (const q of opts.queues) {
    for (const c of [entered, offered, answered, answeredWithin, abandoned, shortAbandoned, timedOut, overflowed, callbacks]) c.inc({ queue: q.id }, 0);
    for (const outcome of ['answered', 'abandoned']) waitHistogram.zero({ queue: q.id, outcome });
  }

  const thresholds = (queueId: string) => acd.queueConfig(queueId);

  new Gauge({
    name: 'hotline_queue_calls_waiting',
    help: 'Calls waiting in the queue now (including those being offered).',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) {
        const s = acd.queueSnapshot(id);
        this.set({ queue: id }, s.waiting + s.offered);
      }
    },
  });
  new Gauge({
    name: 'hotline_queue_callbacks_waiting',
    help: 'Callback requests waiting for an operator.',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) this.set({ queue: id }, acd.queueSnapshot(id).callbacks);
    },
  });
  new Gauge({
    name: 'hotline_queue_longest_wait_seconds',
    help: 'How long the longest-waiting caller in the queue has waited so far.',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) this.set({ queue: id }, acd.queueSnapshot(id).longestWaitMs / 1000);
    },
  });
  new Gauge({
    name: 'hotline_queue_agents',
    help: 'Agents who can serve the queue, by state.',
    labelNames: ['queue', 'state'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) {
        const s = acd.queueSnapshot(id);
        for (const state of AGENT_STATES) this.set({ queue: id, state }, s.agentsByState[state]);
      }
    },
  });
  new Gauge({
    name: 'hotline_agents',
    help: 'Agents by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const counts: Record<string, number> = Object.fromEntries(AGENT_STATES.map((s) => [s, 0]));
      for (const id of acd.agentIds()) counts[acd.agentView(id).state] = (counts[acd.agentView(id).state] ?? 0) + 1;
      for (const state of AGENT_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'hotline_queue_estimated_wait_seconds',
    help: 'Estimated wait for a caller joining the queue now (position-aware, see src/acd/ewt.ts); absent when nobody serves the queue.',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) {
        const ewt = acd.estimateWaitForNewMs(id);
        if (ewt !== null) this.set({ queue: id }, ewt / 1000);
      }
    },
  });
  new Gauge({
    name: 'hotline_queue_occupancy_ratio',
    help: 'Occupancy of the agents who can serve the queue since start: (ringing + talk + wrap-up) / (that + available).',
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      const members = new Map<string, string[]>();
      for (const id of acd.agentIds()) {
        for (const q of acd.agentView(id).queueIds) {
          let list = members.get(q);
          if (list === undefined) members.set(q, (list = []));
          list.push(id);
        }
      }
      const t = now();
      for (const [q, ids] of members) {
        const o = agentStats.groupOccupancy(ids, t);
        if (o !== null) this.set({ queue: q }, o);
      }
    },
  });
  new Gauge({
    name: 'hotline_queue_service_level_threshold_seconds',
    help: "The queue's service-level threshold.",
    labelNames: ['queue'],
    registers,
    collect() {
      this.reset();
      for (const id of acd.queueIds()) this.set({ queue: id }, thresholds(id)?.serviceLevelSeconds ?? 0);
    },
  });

  /** Figures per queue and rolling window, from the statistics; NaN-free: a window without calls exports nothing. */
  const windowGauge = (name: string, help: string, pick: (w: ReturnType<QueueStatistics['window']>) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue', 'window'],
      registers,
      collect() {
        this.reset();
        const t = now();
        for (const id of acd.queueIds()) {
          for (const w of METRIC_WINDOWS) {
            const v = pick(stats.window(id, w.ms, t));
            if (v !== null) this.set({ queue: id, window: w.label }, v);
          }
        }
      },
    });
  windowGauge('hotline_queue_service_level_ratio', "Service level in the queue's own definition over a rolling window.", (w) => w.serviceLevel);
  windowGauge('hotline_queue_average_speed_of_answer_seconds', 'Average wait of answered calls over a rolling window.', (w) => w.asaSeconds);
  windowGauge('hotline_queue_average_handle_time_seconds', 'Talk plus wrap-up time per handled call over a rolling window.', (w) => w.ahtSeconds);
  windowGauge('hotline_queue_abandonment_ratio', 'Abandoned over offered over a rolling window.', (w) => w.abandonmentRate);
  windowGauge('hotline_queue_max_wait_seconds', 'Longest wait of a caller who left the queue in the window.', (w) => w.longestWaitSeconds);
  new Gauge({
    name: 'hotline_queue_service_level_by_definition_ratio',
    help: 'Service level in each common definition side by side (asterisk-sl, asterisk-sl2, offered-excluding-short-abandons, removed-within).',
    labelNames: ['queue', 'window', 'definition'],
    registers,
    collect() {
      this.reset();
      const t = now();
      for (const id of acd.queueIds()) {
        for (const w of METRIC_WINDOWS) {
          const levels = stats.window(id, w.ms, t).serviceLevels;
          for (const d of SERVICE_LEVEL_DEFINITIONS) {
            const v = levels[d];
            if (v !== null) this.set({ queue: id, window: w.label, definition: d }, v);
          }
        }
      }
    },
  });

  return (e: AcdEvent) => {
    switch (e.type) {
      case 'contact-queued':
        entered.inc({ queue: e.queueId });
        return;
      case 'offer':
        offers.inc({ queue: e.queueId, result: 'offered' });
        return;
      case 'offer-missed':
        offers.inc({ queue: e.queueId, result: e.reason === 'rejected' ? 'rejected' : 'no-answer' });
        return;
      case 'offer-cancelled':
        offers.inc({ queue: e.queueId, result: 'cancelled' });
        return;
      case 'contact-connected': {
        if (e.kind !== 'call') return; // a callback being served: its queue episode ended already
        const t = thresholds(e.queueId);
        offered.inc({ queue: e.queueId });
        answered.inc({ queue: e.queueId });
        if (t !== undefined && e.waitMs <= t.serviceLevelSeconds * 1000) answeredWithin.inc({ queue: e.queueId });
        waitHistogram.observe({ queue: e.queueId, outcome: 'answered' }, e.waitMs / 1000);
        return;
      }
      case 'contact-abandoned': {
        const t = thresholds(e.queueId);
        offered.inc({ queue: e.queueId });
        abandoned.inc({ queue: e.queueId });
        if (t !== undefined && e.waitMs < t.shortAbandonSeconds * 1000) shortAbandoned.inc({ queue: e.queueId });
        waitHistogram.observe({ queue: e.queueId, outcome: 'abandoned' }, e.waitMs / 1000);
        return;
      }
      case 'contact-timeout':
        offered.inc({ queue: e.queueId });
        timedOut.inc({ queue: e.queueId });
        waitHistogram.observe({ queue: e.queueId, outcome: 'timeout' }, e.waitMs / 1000);
        return;
      case 'contact-overflowed':
        offered.inc({ queue: e.queueId });
        overflowed.inc({ queue: e.queueId });
        waitHistogram.observe({ queue: e.queueId, outcome: 'overflow' }, e.waitMs / 1000);
        return;
      case 'contact-callback':
        offered.inc({ queue: e.queueId });
        callbacks.inc({ queue: e.queueId });
        return;
      default:
        return;
    }
  };
}
