/**
 * Service-level formulas. "Service level" has no single definition in the
 * industry: each product divides a different numerator by a different
 * denominator, and a supervisor comparing hotline with another system must be
 * able to pick the same one. Every formula here is a pure function of a
 * counts object and returns a ratio in [0, 1] — not a percentage — or `null`
 * when its denominator is 0 ("no calls yet" is not 0 % and not 100 %).
 *
 * The counts are those of one queue over one period (see stats.ts for how
 * they are collected):
 *   offered         contacts whose queue episode ended in the period
 *                   (answered + abandoned + timed out + overflowed + callbacks)
 *   answered        connected to an agent
 *   abandoned       caller hung up while waiting
 *   shortAbandoned  abandoned with wait < short-abandon threshold
 *   answeredWithin  answered with wait <= service-level threshold
 *   abandonedWithin abandoned with wait <= service-level threshold
 *   removedWithin   any outcome with wait <= service-level threshold
 */
import type { ServiceLevelDefinition } from './types.ts';

export interface ServiceLevelCounts {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  answeredWithin: number;
  abandonedWithin: number;
  removedWithin: number;
}

export type ServiceLevelFormula = (counts: ServiceLevelCounts) => number | null;

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/**
 * 'asterisk-sl': answeredWithin / answered.
 *
 * Asterisk app_queue's `servicelevel` figure, shown as "SL:" by `queue show`
 * and in the QueueSummary/QueueParams AMI events (callscompletedinsl /
 * callscompleted). Abandoned calls are ignored entirely, so a queue where
 * most callers give up can still show 100 %.
 */
export function asteriskSl(counts: ServiceLevelCounts): number | null {
  return ratio(counts.answeredWithin, counts.answered);
}

/**
 * 'asterisk-sl2': (answeredWithin + abandonedWithin) / (answered + abandoned).
 *
 * Asterisk's "SL2:" (shown by `queue show` next to "SL:" in newer app_queue
 * versions): calls abandoned within the threshold count in favour of the
 * service level, calls abandoned after it count against it.
 */
export function asteriskSl2(counts: ServiceLevelCounts): number | null {
  return ratio(counts.answeredWithin + counts.abandonedWithin, counts.answered + counts.abandoned);
}

/**
 * 'offered-excluding-short-abandons': answeredWithin / (offered − shortAbandoned).
 *
 * The classic contact-center textbook definition ("X % of calls answered in
 * Y seconds", as used in workforce-management / Erlang C staffing, with
 * "short abandons" excluded as most ACD reports allow): every contact
 * offered counts against the service level unless answered within the
 * threshold, except callers who hung up so quickly (misdials, changed minds)
 * that no staffing could have served them.
 */
export function offeredExcludingShortAbandons(counts: ServiceLevelCounts): number | null {
  return ratio(counts.answeredWithin, counts.offered - counts.shortAbandoned);
}

/**
 * 'removed-within': removedWithin / offered.
 *
 * Amazon Connect's "Service level X" metric: contacts removed from the queue
 * (by any outcome: answered, abandoned, callback requested, moved on) within X seconds,
 * divided by contacts queued.
 */
export function removedWithin(counts: ServiceLevelCounts): number | null {
  return ratio(counts.removedWithin, counts.offered);
}

export const SERVICE_LEVEL_FORMULAS: Readonly<Record<ServiceLevelDefinition, ServiceLevelFormula>> = {
  'asterisk-sl': asteriskSl,
  'asterisk-sl2': asteriskSl2,
  'offered-excluding-short-abandons': offeredExcludingShortAbandons,
  'removed-within': removedWithin,
};

/** The service level under one definition; `null` when its denominator is 0. */
export function serviceLevel(def: ServiceLevelDefinition, counts: ServiceLevelCounts): number | null {
  return SERVICE_LEVEL_FORMULAS[def](counts);
}

/** All four definitions at once, keyed by definition (for side-by-side reports). */
export function allServiceLevels(counts: ServiceLevelCounts): Record<ServiceLevelDefinition, number | null> {
  return {
    'asterisk-sl': asteriskSl(counts),
    'asterisk-sl2': asteriskSl2(counts),
    'offered-excluding-short-abandons': offeredExcludingShortAbandons(counts),
    'removed-within': removedWithin(counts),
  };
}
