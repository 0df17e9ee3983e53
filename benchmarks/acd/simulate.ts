/**
 * Wall time of the discrete-event simulator over the real ACD core, and the
 * figures it produces.
 *
 * - ISP week (`ispWeek(seed)`, about 15,500 calls): one simulated week per
 *   seed, seeds 1…5; median wall time, and the median of each figure (service
 *   level, ASA, EWT accuracy) over the seeds. Spec target: under 1 s a week.
 * - EWT accuracy: median |estimate at arrival − actual wait| for callers who
 *   had to wait (`ewt.waited`) and for all answered callers (`ewt.all`), for
 *   hotline's position-aware estimator and Asterisk's moving average, and
 *   their ratio (ours / asterisk). Spec target: ratio ≤ 0.5.
 * - 1,000-agent center (`centerMonth(1)`, about 100,000 calls a day): a full
 *   month took over 90 s on the 2-core benchmark machine, so by default the
 *   first 10 days are simulated and the month is extrapolated linearly from
 *   the per-day figure (`centerMonthWallMsExtrapolated`, with
 *   `centerMonthExtrapolated: true`). `--center-days 30` runs the whole month.
 *
 * Wall times include building the scenario and the simulator.
 * Flags: --seeds --center-days
 */
import { centerMonth, ispWeek } from '../../src/acd/scenarios.ts';
import { simulate, type SimulationResult } from '../../src/acd/simulator.ts';
import { median, numericFlag, progress, report, round } from '../_util.ts';

const SEEDS = numericFlag('seeds', 5);
const CENTER_DAYS = numericFlag('center-days', 10);
const MONTH_DAYS = 30;

function timed(run: () => SimulationResult): { r: SimulationResult; wallMs: number } {
  const t0 = performance.now();
  const r = run();
  return { r, wallMs: performance.now() - t0 };
}

/** Median of the non-null values (null when there are none). */
function medianOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? null : median(present);
}

const r3 = (x: number | null): number | null => (x === null ? null : round(x));

const isp: Array<{ r: SimulationResult; wallMs: number }> = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const run = timed(() => simulate(ispWeek(seed)));
  isp.push(run);
  progress(`simulate: ISP week seed ${seed}: ${Math.round(run.wallMs)} ms, ${run.r.arrivals} calls, SL ${run.r.overall.serviceLevel?.toFixed(3)}`);
}
const ewt = (pick: (r: SimulationResult) => { positionAwareMedianErrorSeconds: number | null; asteriskMedianErrorSeconds: number | null }) => {
  const ours = isp.map(({ r }) => pick(r).positionAwareMedianErrorSeconds);
  const asterisk = isp.map(({ r }) => pick(r).asteriskMedianErrorSeconds);
  const ratios = isp.map(({ r }) => {
    const e = pick(r);
    return e.positionAwareMedianErrorSeconds !== null && e.asteriskMedianErrorSeconds !== null && e.asteriskMedianErrorSeconds > 0 ? e.positionAwareMedianErrorSeconds / e.asteriskMedianErrorSeconds : null;
  });
  return { ours: r3(medianOf(ours)), asterisk: r3(medianOf(asterisk)), ratio: r3(medianOf(ratios)) };
};
const waited = ewt((r) => r.ewt.waited);
const all = ewt((r) => r.ewt.all);

progress(`simulate: center, ${CENTER_DAYS} days…`);
const center = timed(() => simulate(centerMonth(1, CENTER_DAYS)));
const perDayMs = center.wallMs / CENTER_DAYS;
progress(`simulate: center ${CENTER_DAYS} days: ${Math.round(center.wallMs)} ms, ${center.r.arrivals} calls`);

report('acd.simulate', {
  ispSeeds: SEEDS,
  ispWeekWallMs: Math.round(medianOf(isp.map((x) => x.wallMs)) ?? NaN),
  ispWeekWallMsMin: Math.round(Math.min(...isp.map((x) => x.wallMs))),
  ispWeekWallMsMax: Math.round(Math.max(...isp.map((x) => x.wallMs))),
  ispWeekCalls: medianOf(isp.map((x) => x.r.arrivals)),
  ispWeekEvents: medianOf(isp.map((x) => x.r.events)),
  ispEventsPerSecond: Math.round(medianOf(isp.map((x) => x.r.events / (x.wallMs / 1000))) ?? NaN),
  ispServiceLevel: r3(medianOf(isp.map((x) => x.r.overall.serviceLevel))),
  ispAsaSeconds: r3(medianOf(isp.map((x) => x.r.overall.asaSeconds))),
  ispAbandonmentRate: r3(medianOf(isp.map((x) => x.r.overall.abandonmentRate))),
  ispAgentOccupancy: r3(medianOf(isp.map((x) => x.r.agentOccupancy))),
  ewtWaitedSamples: medianOf(isp.map((x) => x.r.ewt.waited.samples)),
  ewtWaitedOursMedianErrorSeconds: waited.ours,
  ewtWaitedAsteriskMedianErrorSeconds: waited.asterisk,
  ewtWaitedRatio: waited.ratio,
  ewtAllOursMedianErrorSeconds: all.ours,
  ewtAllAsteriskMedianErrorSeconds: all.asterisk,
  ewtAllRatio: all.ratio,
  centerSimulatedDays: CENTER_DAYS,
  centerWallMs: Math.round(center.wallMs),
  centerCalls: center.r.arrivals,
  centerEvents: center.r.events,
  centerEventsPerSecond: Math.round(center.r.events / (center.wallMs / 1000)),
  centerWallMsPerDay: Math.round(perDayMs),
  centerMonthWallMsExtrapolated: Math.round(perDayMs * MONTH_DAYS),
  centerMonthExtrapolated: CENTER_DAYS < MONTH_DAYS,
  centerServiceLevel: r3(center.r.overall.serviceLevel),
  centerAsaSeconds: r3(center.r.overall.asaSeconds),
  centerAbandonmentRate: r3(center.r.overall.abandonmentRate),
  centerAgentOccupancy: r3(center.r.agentOccupancy),
});
