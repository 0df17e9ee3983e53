import { describe, expect, it } from 'vitest';
import { AcdError } from '../../../src/acd/errors.ts';
import { allServiceLevels, serviceLevel, type ServiceLevelCounts } from '../../../src/acd/service-level.ts';
import {
  AgentStatistics,
  IntervalReport,
  QueueStatistics,
  type QueueThresholds,
} from '../../../src/acd/stats.ts';
import type { AcdEvent } from '../../../src/acd/types.ts';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2024-03-01 10:00:00 UTC. */
const T0 = Date.UTC(2024, 2, 1, 10, 0, 0);

/** SL threshold 20 s, short abandon 5 s. */
const QUEUES: Record<string, QueueThresholds> = {
  internet: { serviceLevelSeconds: 20, shortAbandonSeconds: 5, serviceLevelDefinition: 'asterisk-sl' },
  billing: { serviceLevelSeconds: 20, shortAbandonSeconds: 5, serviceLevelDefinition: 'removed-within' },
};
const queue = (id: string): QueueThresholds | undefined => QUEUES[id];

function recordAll(target: { record(e: AcdEvent): void }, events: readonly AcdEvent[]): void {
  for (const e of events) target.record(e);
}

/*
 * The worked example. All contacts enqueued at T0 on queue "internet"
 * (SL threshold 20 s, short abandon < 5 s); each outcome at T0 + wait.
 *
 *   answered  3, 8, 15, 19, 20, 21, 40 s  → answered 7, within 20 s: 3, 8, 15, 19, 20 → 5
 *   abandoned 2 (short), 12, 45 s         → abandoned 3, within: 2, 12 → 2, short: 1
 *   timeout   300 s                       → timedOut 1, not within
 *   offered = 7 + 3 + 1 = 11; removedWithin = 5 + 2 + 0 = 7
 *
 *   asterisk-sl                       5 / 7
 *   asterisk-sl2                     (5 + 2) / (7 + 3)  = 7/10
 *   offered-excluding-short-abandons  5 / (11 − 1)      = 5/10
 *   removed-within                    7 / 11
 *   ASA            (3+8+15+19+20+21+40) / 7 = 126/7 = 18 s
 *   average wait   (126 + 2+12+45) / 10     = 185/10 = 18.5 s
 *   longest wait   300 s
 *   abandonment    3 / 11
 *   handled: completed 100 s + 200 s talk, transferred 60 s talk; wrap 10 + 20 + 30 s
 *   AHT            (360 + 60) / 3 = 140 s
 */
const WORKED_EXAMPLE: AcdEvent[] = [
  { type: 'contact-abandoned', at: T0 + 2 * SEC, contactId: 'c8', queueId: 'internet', waitMs: 2 * SEC },
  { type: 'contact-connected', at: T0 + 3 * SEC, contactId: 'c1', agentId: 'a1', queueId: 'internet', reservationId: 'r1', waitMs: 3 * SEC, kind: 'call' },
  { type: 'contact-connected', at: T0 + 8 * SEC, contactId: 'c2', agentId: 'a2', queueId: 'internet', reservationId: 'r2', waitMs: 8 * SEC, kind: 'call' },
  { type: 'contact-abandoned', at: T0 + 12 * SEC, contactId: 'c9', queueId: 'internet', waitMs: 12 * SEC },
  { type: 'contact-connected', at: T0 + 15 * SEC, contactId: 'c3', agentId: 'a3', queueId: 'internet', reservationId: 'r3', waitMs: 15 * SEC, kind: 'call' },
  { type: 'contact-connected', at: T0 + 19 * SEC, contactId: 'c4', agentId: 'a4', queueId: 'internet', reservationId: 'r4', waitMs: 19 * SEC, kind: 'call' },
  { type: 'contact-connected', at: T0 + 20 * SEC, contactId: 'c5', agentId: 'a5', queueId: 'internet', reservationId: 'r5', waitMs: 20 * SEC, kind: 'call' },
  { type: 'contact-connected', at: T0 + 21 * SEC, contactId: 'c6', agentId: 'a6', queueId: 'internet', reservationId: 'r6', waitMs: 21 * SEC, kind: 'call' },
  { type: 'contact-connected', at: T0 + 40 * SEC, contactId: 'c7', agentId: 'a7', queueId: 'internet', reservationId: 'r7', waitMs: 40 * SEC, kind: 'call' },
  { type: 'contact-abandoned', at: T0 + 45 * SEC, contactId: 'c10', queueId: 'internet', waitMs: 45 * SEC },
  { type: 'contact-completed', at: T0 + 103 * SEC, contactId: 'c1', agentId: 'a1', queueId: 'internet', talkMs: 100 * SEC },
  { type: 'wrap-up-ended', at: T0 + 113 * SEC, agentId: 'a1', queueId: 'internet', wrapMs: 10 * SEC },
  { type: 'contact-transferred', at: T0 + 75 * SEC, contactId: 'c3', agentId: 'a3', queueId: 'internet', toQueueId: 'billing', talkMs: 60 * SEC },
  { type: 'wrap-up-ended', at: T0 + 105 * SEC, agentId: 'a3', queueId: 'internet', wrapMs: 30 * SEC },
  { type: 'contact-completed', at: T0 + 208 * SEC, contactId: 'c2', agentId: 'a2', queueId: 'internet', talkMs: 200 * SEC },
  { type: 'wrap-up-ended', at: T0 + 228 * SEC, agentId: 'a2', queueId: 'internet', wrapMs: 20 * SEC },
  { type: 'contact-timeout', at: T0 + 300 * SEC, contactId: 'c11', queueId: 'internet', waitMs: 300 * SEC },
];

describe('service-level formulas', () => {
  const counts: ServiceLevelCounts = {
    offered: 11,
    answered: 7,
    abandoned: 3,
    shortAbandoned: 1,
    answeredWithin: 5,
    abandonedWithin: 2,
    removedWithin: 7,
  };

  it('computes each definition from the counts', () => {
    expect(allServiceLevels(counts)).toEqual({
      'asterisk-sl': 5 / 7,
      'asterisk-sl2': 7 / 10,
      'offered-excluding-short-abandons': 5 / 10,
      'removed-within': 7 / 11,
    });
    expect(serviceLevel('asterisk-sl2', counts)).toBe(7 / 10);
  });

  it('returns null, not 0 or NaN, when the denominator is 0', () => {
    const none: ServiceLevelCounts = {
      offered: 0,
      answered: 0,
      abandoned: 0,
      shortAbandoned: 0,
      answeredWithin: 0,
      abandonedWithin: 0,
      removedWithin: 0,
    };
    expect(allServiceLevels(none)).toEqual({
      'asterisk-sl': null,
      'asterisk-sl2': null,
      'offered-excluding-short-abandons': null,
      'removed-within': null,
    });
    // Only short abandons: offered − shortAbandoned = 0; asterisk-sl2 = 1/1.
    const onlyShort: ServiceLevelCounts = { ...none, offered: 1, abandoned: 1, shortAbandoned: 1, abandonedWithin: 1, removedWithin: 1 };
    expect(serviceLevel('offered-excluding-short-abandons', onlyShort)).toBeNull();
    expect(serviceLevel('asterisk-sl', onlyShort)).toBeNull();
    expect(serviceLevel('asterisk-sl2', onlyShort)).toBe(1);
  });
});

describe('QueueStatistics', () => {
  it('computes the worked example: counts, four service levels, ASA, AHT, longest wait, abandonment', () => {
    const stats = new QueueStatistics({ queue });
    recordAll(stats, WORKED_EXAMPLE);
    const w = stats.window('internet', 15 * MIN, T0 + 10 * MIN);

    expect(w).toMatchObject({
      queueId: 'internet',
      offered: 11,
      answered: 7,
      abandoned: 3,
      shortAbandoned: 1,
      timedOut: 1,
      overflowed: 0,
      callbacks: 0,
      answeredWithin: 5,
      abandonedWithin: 2,
      removedWithin: 7,
      handled: 3,
      transferred: 1,
      talkSumMs: 360 * SEC,
      wrapSumMs: 60 * SEC,
    });
    expect(w.serviceLevels).toEqual({
      'asterisk-sl': 5 / 7,
      'asterisk-sl2': 7 / 10,
      'offered-excluding-short-abandons': 1 / 2,
      'removed-within': 7 / 11,
    });
    expect(w.serviceLevelDefinition).toBe('asterisk-sl');
    expect(w.serviceLevel).toBe(5 / 7);
    expect(w.asaSeconds).toBe(18);
    expect(w.averageWaitSeconds).toBe(18.5);
    expect(w.longestWaitSeconds).toBe(300);
    expect(w.abandonmentRate).toBe(3 / 11);
    expect(w.ahtSeconds).toBe(140);
    // Cumulative totals (Prometheus counters) hold the same figures.
    expect(stats.totals('internet')).toEqual(w);
  });

  it('uses the queue\'s own definition as "the" service level', () => {
    const stats = new QueueStatistics({ queue });
    // billing: answered at 10 s and 30 s, abandoned at 25 s → removed within 20 s: 1 of 3.
    const events: AcdEvent[] = [
      { type: 'contact-connected', at: T0 + 10 * SEC, contactId: 'b1', agentId: 'a1', queueId: 'billing', reservationId: 'r1', waitMs: 10 * SEC, kind: 'call' },
      { type: 'contact-abandoned', at: T0 + 25 * SEC, contactId: 'b2', queueId: 'billing', waitMs: 25 * SEC },
      { type: 'contact-connected', at: T0 + 30 * SEC, contactId: 'b3', agentId: 'a2', queueId: 'billing', reservationId: 'r2', waitMs: 30 * SEC, kind: 'call' },
    ];
    recordAll(stats, events);
    const w = stats.window('billing', HOUR, T0 + MIN);
    expect(w.serviceLevelDefinition).toBe('removed-within');
    expect(w.serviceLevel).toBe(1 / 3);
    expect(w.serviceLevels['asterisk-sl']).toBe(1 / 2);
  });

  it('counts a wait of exactly the threshold as within, one millisecond more as not', () => {
    const stats = new QueueStatistics({ queue });
    const events: AcdEvent[] = [
      { type: 'contact-connected', at: T0, contactId: 'x1', agentId: 'a1', queueId: 'internet', reservationId: 'r1', waitMs: 20_000, kind: 'call' },
      { type: 'contact-connected', at: T0, contactId: 'x2', agentId: 'a2', queueId: 'internet', reservationId: 'r2', waitMs: 20_001, kind: 'call' },
      { type: 'contact-abandoned', at: T0, contactId: 'x3', queueId: 'internet', waitMs: 20_000 },
      { type: 'contact-abandoned', at: T0, contactId: 'x4', queueId: 'internet', waitMs: 20_001 },
    ];
    recordAll(stats, events);
    const w = stats.window('internet', 15 * MIN, T0);
    // answered 2, within 1 → SL 1/2; SL2 (1 + 1) / (2 + 2) = 1/2; removed within 2/4.
    expect(w.answeredWithin).toBe(1);
    expect(w.abandonedWithin).toBe(1);
    expect(w.removedWithin).toBe(2);
    expect(w.serviceLevel).toBe(1 / 2);
    expect(w.serviceLevels['asterisk-sl2']).toBe(1 / 2);
    expect(w.longestWaitSeconds).toBe(20.001);
  });

  it('counts a short abandon strictly below the short-abandon threshold', () => {
    const stats = new QueueStatistics({ queue });
    const events: AcdEvent[] = [
      { type: 'contact-abandoned', at: T0, contactId: 's1', queueId: 'internet', waitMs: 4_999 },
      { type: 'contact-abandoned', at: T0, contactId: 's2', queueId: 'internet', waitMs: 5_000 },
      { type: 'contact-connected', at: T0, contactId: 's3', agentId: 'a1', queueId: 'internet', reservationId: 'r1', waitMs: 10_000, kind: 'call' },
    ];
    recordAll(stats, events);
    const w = stats.window('internet', 15 * MIN, T0);
    // offered 3, short 1 (4.999 s; 5.000 s is not short) → answeredWithin / (3 − 1) = 1/2.
    expect(w.shortAbandoned).toBe(1);
    expect(w.serviceLevels['offered-excluding-short-abandons']).toBe(1 / 2);
  });

  it('counts callback requests as offered but keeps served callbacks out of answered and wait figures', () => {
    const stats = new QueueStatistics({ queue });
    const events: AcdEvent[] = [
      // A regular call answered after 5 s.
      { type: 'contact-queued', at: T0, contactId: 'k0', queueId: 'internet', priority: 0, enqueuedAt: T0, kind: 'call' },
      { type: 'contact-connected', at: T0 + 5 * SEC, contactId: 'k0', agentId: 'a1', queueId: 'internet', reservationId: 'r0', waitMs: 5 * SEC, kind: 'call' },
      // Callback requested after 30 s (wait from contact-queued), after 10 s, and one whose contact-queued we never saw.
      { type: 'contact-queued', at: T0, contactId: 'k1', queueId: 'internet', priority: 0, enqueuedAt: T0, kind: 'call' },
      { type: 'contact-callback', at: T0 + 30 * SEC, contactId: 'k1', queueId: 'internet', callbackNumber: '+15550001' },
      { type: 'contact-queued', at: T0, contactId: 'k2', queueId: 'internet', priority: 0, enqueuedAt: T0, kind: 'call' },
      { type: 'contact-callback', at: T0 + 10 * SEC, contactId: 'k2', queueId: 'internet', callbackNumber: '+15550002' },
      { type: 'contact-callback', at: T0 + 12 * SEC, contactId: 'k3', queueId: 'internet', callbackNumber: '+15550003' },
      // The callback for k1 is served 10 minutes later: callbacksConnected, not answered.
      { type: 'contact-queued', at: T0 + 60 * SEC, contactId: 'k1-cb', queueId: 'internet', priority: 0, enqueuedAt: T0 + 60 * SEC, kind: 'callback' },
      { type: 'contact-connected', at: T0 + 660 * SEC, contactId: 'k1-cb', agentId: 'a2', queueId: 'internet', reservationId: 'r1', waitMs: 600 * SEC, kind: 'callback' },
      // The callback for k2 is given up: not counted at all.
      { type: 'contact-queued', at: T0 + 60 * SEC, contactId: 'k2-cb', queueId: 'internet', priority: 0, enqueuedAt: T0 + 60 * SEC, kind: 'callback' },
      { type: 'contact-abandoned', at: T0 + 700 * SEC, contactId: 'k2-cb', queueId: 'internet', waitMs: 640 * SEC },
    ];
    recordAll(stats, events);
    const w = stats.window('internet', HOUR, T0 + 15 * MIN);
    /*
     * offered = 1 answered + 3 callbacks = 4; removed within 20 s: k0 (5 s), k2 (10 s) = 2
     * (k3's wait is unknown). asterisk-sl 1/1, SL2 1/1, excl. short 1/4, removed-within 2/4.
     * ASA 5 s (the 600 s callback is not in it); longest wait 30 s; abandoned 0.
     */
    expect(w).toMatchObject({ offered: 4, answered: 1, callbacks: 3, callbacksConnected: 1, abandoned: 0, removedWithin: 2 });
    expect(w.serviceLevels).toEqual({
      'asterisk-sl': 1,
      'asterisk-sl2': 1,
      'offered-excluding-short-abandons': 1 / 4,
      'removed-within': 2 / 4,
    });
    expect(w.asaSeconds).toBe(5);
    expect(w.longestWaitSeconds).toBe(30);
    expect(w.abandonmentRate).toBe(0);
    expect(stats.openEpisodes).toBe(0);
  });

  it('counts overflow in the source queue and a new episode in the target queue', () => {
    const stats = new QueueStatistics({ queue });
    const events: AcdEvent[] = [
      { type: 'contact-queued', at: T0, contactId: 'o1', queueId: 'internet', priority: 0, enqueuedAt: T0, kind: 'call' },
      { type: 'contact-overflowed', at: T0 + 60 * SEC, contactId: 'o1', queueId: 'internet', toQueueId: 'billing', waitMs: 60 * SEC },
      { type: 'contact-queued', at: T0 + 60 * SEC, contactId: 'o1', queueId: 'billing', priority: 0, enqueuedAt: T0, kind: 'call' },
      { type: 'contact-callback', at: T0 + 90 * SEC, contactId: 'o1', queueId: 'billing', callbackNumber: '+15550004' },
    ];
    recordAll(stats, events);
    const internet = stats.window('internet', HOUR, T0 + 5 * MIN);
    const billing = stats.window('billing', HOUR, T0 + 5 * MIN);
    // internet: offered 1 = overflowed 1, SL (removed within) 0/1. billing: callback after 90 s from the original enqueue.
    expect(internet).toMatchObject({ offered: 1, overflowed: 1, removedWithin: 0, longestWaitSeconds: 60 });
    expect(billing).toMatchObject({ offered: 1, callbacks: 1, removedWithin: 0, longestWaitSeconds: 90, serviceLevel: 0 });
  });

  it('expires events from the 15-minute window but keeps them in the 1-hour window', () => {
    const stats = new QueueStatistics({ queue });
    const e: AcdEvent = { type: 'contact-connected', at: T0, contactId: 'w1', agentId: 'a1', queueId: 'internet', reservationId: 'r1', waitMs: 10 * SEC, kind: 'call' };
    stats.record(e);
    const now = T0 + 16 * MIN; // the event is 16 minutes old
    expect(stats.window('internet', 15 * MIN, now)).toMatchObject({ offered: 0, serviceLevel: null, asaSeconds: null, longestWaitSeconds: null });
    expect(stats.window('internet', HOUR, now)).toMatchObject({ offered: 1, answered: 1, serviceLevel: 1, asaSeconds: 10 });
    expect(stats.window('internet', DAY, now).offered).toBe(1);
    expect(stats.totals('internet').offered).toBe(1);
  });

  it('has one-bucket granularity: a window sums buckets starting after now − W', () => {
    const stats = new QueueStatistics({ queue }); // 1-minute buckets
    const e: AcdEvent = { type: 'contact-abandoned', at: T0 + 30 * SEC, contactId: 'g1', queueId: 'internet', waitMs: 30 * SEC };
    stats.record(e);
    // Bucket [T0, T0 + 1 min). At now = T0 + 15 min the event is 14.5 min old, but its bucket
    // starts at now − 15 min exactly (not after it): out. One millisecond earlier: in.
    expect(stats.window('internet', 15 * MIN, T0 + 15 * MIN).offered).toBe(0);
    expect(stats.window('internet', 15 * MIN, T0 + 15 * MIN - 1).offered).toBe(1);
    // A bucket that has not started by `now` is not summed either.
    expect(stats.window('internet', 15 * MIN, T0 - 1).offered).toBe(0);
  });

  it('recycles ring slots after 24 h and keeps too-late events in the totals only', () => {
    const stats = new QueueStatistics({ queue });
    const day0: AcdEvent = { type: 'contact-timeout', at: T0, contactId: 'r1', queueId: 'internet', waitMs: 300 * SEC };
    const day1: AcdEvent = { type: 'contact-timeout', at: T0 + DAY, contactId: 'r2', queueId: 'internet', waitMs: 100 * SEC };
    stats.record(day0);
    stats.record(day1); // same ring slot (1440 buckets later): the old bucket is reset
    expect(stats.window('internet', DAY, T0 + DAY)).toMatchObject({ offered: 1, timedOut: 1, longestWaitSeconds: 100 });
    stats.record(day0); // arrives after its slot was reused
    expect(stats.lateEvents).toBe(1);
    expect(stats.window('internet', DAY, T0 + DAY).offered).toBe(1);
    expect(stats.totals('internet')).toMatchObject({ offered: 3, timedOut: 3, longestWaitSeconds: 300 });
  });

  it('refuses a window longer than the ring and ignores unknown queues', () => {
    const stats = new QueueStatistics({ queue, windowsMs: [15 * MIN], bucketMs: MIN });
    expect(() => stats.window('internet', HOUR, T0)).toThrow(AcdError);
    const e: AcdEvent = { type: 'contact-abandoned', at: T0, contactId: 'u1', queueId: 'nowhere', waitMs: SEC };
    stats.record(e);
    expect(stats.ignoredEvents).toBe(1);
    expect(stats.queueIds()).toEqual([]);
    expect(stats.window('nowhere', 15 * MIN, T0)).toMatchObject({ offered: 0, serviceLevel: null, serviceLevelDefinition: null });
  });
});

describe('IntervalReport', () => {
  it('produces one row per queue and 15-minute interval, sorted by queue then time', () => {
    const report = new IntervalReport({ queue, intervalMs: 15 * MIN });
    const events: AcdEvent[] = [
      { type: 'contact-connected', at: T0 + 15 * MIN, contactId: 'i3', agentId: 'a1', queueId: 'internet', reservationId: 'r3', waitMs: 30 * SEC, kind: 'call' },
      { type: 'contact-connected', at: T0 + 15 * MIN - 1, contactId: 'i2', agentId: 'a1', queueId: 'internet', reservationId: 'r2', waitMs: 10 * SEC, kind: 'call' },
      { type: 'contact-abandoned', at: T0 + MIN, contactId: 'i1', queueId: 'internet', waitMs: 40 * SEC },
      { type: 'contact-abandoned', at: T0 + 20 * MIN, contactId: 'b1', queueId: 'billing', waitMs: 3 * SEC },
    ];
    recordAll(report, events);
    const rows = report.rows();
    /*
     * billing   10:15–10:30  offered 1 (short abandon at 3 s), removed within 1/1
     * internet  10:00–10:15  answered at 10 s (10:14:59.999), abandoned at 40 s → SL 1/1, abandonment 1/2
     * internet  10:15–10:30  answered at 30 s (10:15:00.000) → SL 0/1
     */
    expect(rows.map((r) => [r.queueId, r.intervalStart, r.intervalEnd])).toEqual([
      ['billing', T0 + 15 * MIN, T0 + 30 * MIN],
      ['internet', T0, T0 + 15 * MIN],
      ['internet', T0 + 15 * MIN, T0 + 30 * MIN],
    ]);
    expect(rows[0]).toMatchObject({ offered: 1, shortAbandoned: 1, serviceLevel: 1 });
    expect(rows[1]).toMatchObject({ offered: 2, answered: 1, abandoned: 1, serviceLevel: 1, abandonmentRate: 1 / 2, longestWaitSeconds: 40 });
    expect(rows[2]).toMatchObject({ offered: 1, answered: 1, serviceLevel: 0, asaSeconds: 30 });
  });

  it('aligns daily intervals to a timezone through originMs', () => {
    // Local days in UTC+3 start at 21:00 UTC: origin −3 h.
    const report = new IntervalReport({ queue, intervalMs: DAY, originMs: -3 * HOUR });
    const midnightUtc = Date.UTC(2024, 2, 1);
    const events: AcdEvent[] = [
      { type: 'contact-timeout', at: midnightUtc + 21 * HOUR - 1, contactId: 'd1', queueId: 'internet', waitMs: 300 * SEC },
      { type: 'contact-timeout', at: midnightUtc + 21 * HOUR, contactId: 'd2', queueId: 'internet', waitMs: 300 * SEC },
    ];
    recordAll(report, events);
    // 20:59:59.999 UTC is 23:59:59.999 on 1 March local; 21:00 UTC is 00:00 on 2 March local.
    expect(report.rows().map((r) => [r.intervalStart, r.timedOut])).toEqual([
      [midnightUtc - 3 * HOUR, 1],
      [midnightUtc + 21 * HOUR, 1],
    ]);
  });
});

describe('AgentStatistics', () => {
  /*
   *   0 s  logged-out → available
   *  60 s  available  → reserved
   *  70 s  reserved   → on-call
   * 190 s  on-call    → wrap-up
   * 220 s  wrap-up    → not-ready (break)
   * 520 s  not-ready  → available   (open until `now`)
   */
  const events: AcdEvent[] = [
    { type: 'agent-state', at: 0, agentId: 'a1', from: 'logged-out', to: 'available' },
    { type: 'agent-state', at: 60 * SEC, agentId: 'a1', from: 'available', to: 'reserved' },
    { type: 'agent-state', at: 70 * SEC, agentId: 'a1', from: 'reserved', to: 'on-call' },
    { type: 'contact-completed', at: 190 * SEC, contactId: 'c1', agentId: 'a1', queueId: 'internet', talkMs: 120 * SEC },
    { type: 'agent-state', at: 190 * SEC, agentId: 'a1', from: 'on-call', to: 'wrap-up' },
    { type: 'wrap-up-ended', at: 220 * SEC, agentId: 'a1', queueId: 'internet', wrapMs: 30 * SEC },
    { type: 'agent-state', at: 220 * SEC, agentId: 'a1', from: 'wrap-up', to: 'not-ready', reason: 'break' },
    { type: 'agent-state', at: 520 * SEC, agentId: 'a1', from: 'not-ready', to: 'available' },
  ];

  it('includes the open available state up to now in time and occupancy', () => {
    const agents = new AgentStatistics();
    recordAll(agents, events);
    const a = agents.agent('a1', 580 * SEC);
    // available 60 + 60 (open, 520–580) = 120 s, reserved 10, on-call 120, wrap-up 30, not-ready 300.
    // occupancy = (120 + 30 + 10) / (120 + 10 + 120 + 30) = 160/280 = 4/7.
    expect(a.msByState).toEqual({
      'logged-out': 0,
      available: 120 * SEC,
      reserved: 10 * SEC,
      'on-call': 120 * SEC,
      'wrap-up': 30 * SEC,
      'not-ready': 300 * SEC,
    });
    expect(a.notReadyMsByReason).toEqual({ break: 300 * SEC, lunch: 0, training: 0, 'missed-calls': 0, other: 0 });
    expect(a.occupancy).toBe(4 / 7);
    expect(a).toMatchObject({ callsHandled: 1, talkMs: 120 * SEC, wrapMs: 30 * SEC, state: 'available', stateSince: 520 * SEC });
    // Asking again does not double-count the open state.
    expect(agents.agent('a1', 580 * SEC).msByState.available).toBe(120 * SEC);
  });

  it('counts an open not-ready state under its reason, outside occupancy', () => {
    const agents = new AgentStatistics();
    recordAll(agents, events.slice(0, 7));
    const a = agents.agent('a1', 400 * SEC);
    // not-ready (break) open 220–400 = 180 s; occupancy (120 + 30 + 10) / (60 + 10 + 120 + 30) = 160/220 = 8/11.
    expect(a.notReadyMsByReason.break).toBe(180 * SEC);
    expect(a.msByState['not-ready']).toBe(180 * SEC);
    expect(a.occupancy).toBe(8 / 11);
  });

  it('reports zeros and null occupancy for an agent it has not seen', () => {
    const a = new AgentStatistics().agent('ghost', 1000);
    expect(a).toMatchObject({ state: null, callsHandled: 0, occupancy: null });
  });
});

describe('group occupancy', () => {
  it('sums the times of the agents before dividing', async () => {
    const { AgentStatistics } = await import('../../../src/acd/stats.ts');
    const s = new AgentStatistics();
    // x: 100 s available then 300 s on call; y: 400 s available.
    s.record({ type: 'agent-state', at: 0, agentId: 'x', from: 'logged-out', to: 'available' });
    s.record({ type: 'agent-state', at: 100_000, agentId: 'x', from: 'available', to: 'on-call' });
    s.record({ type: 'agent-state', at: 0, agentId: 'y', from: 'logged-out', to: 'available' });
    expect(s.groupOccupancy(['x', 'y'], 400_000)).toBeCloseTo(300 / 800, 10);
    expect(s.groupOccupancy(['x'], 400_000)).toBeCloseTo(300 / 400, 10);
    expect(s.groupOccupancy([], 400_000)).toBeNull();
  });
});
