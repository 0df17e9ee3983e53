/**
 * New calls per second through the whole demo call path, with zero failed calls and the media
 * frame clock's lateness p99 < 5 ms: SIPp callers dial 8800 at a steady rate, type ahead
 * 1 + contract number during the greeting, are queued in internet-l1 after the queue prompts,
 * and are answered at once by SIPp "operators" (really registered with digest, auto-answer,
 * streaming audio that the bridge relays to the caller; every answered call is recorded in
 * stereo). Each caller hangs up `--talk` seconds after the moment it expects to be connected
 * (plus `--margin` seconds of allowed queue wait): a call that waits longer is abandoned and
 * counts as failed.
 *
 * Each rate step runs on a fresh server (benchmarks/calls/_hotline.ts) for `--seconds`, then
 * drains. A step passes when no SIPp call failed, every call has an "answered" CDR, the
 * server's arrival rate is within 5 % of the offered rate, and the lateness p99 over the whole
 * step is below 5 ms. Steps rise until one fails.
 *
 *   npx tsx benchmarks/calls/rate.ts [--rates 10,15,20,25,30] [--seconds 30] [--talk 5] [--margin 4]
 *        [--runs 1] [--budget 270] [--per-sipp 100] [--voice] [--no-record] [--workers N]
 *        [--all-steps] [--timeline]
 *
 * Prints one JSON line (per-step figures; with --runs > 1 the per-step medians across runs and
 * the median of each run's best rate). Needs sipp (sip-tester) and sox.
 */
import { numericFlag, median, progress, report, round } from '../_util.ts';
import { sippVersion } from '../../test/integration/sip/sipp.ts';
import { arrivalRate, CALLER_KEYS, commonFlags, FIRST_KEY_DELAY_MS, failures, ivrSecondsToQueue, KEY_INTERVAL_MS, KEYS_MS, listFlag, runStep, runStepSeries, sippErrors, stepTail, summariseSeries, windowFigures, worst, type StepPlan } from './_load.ts';

const RATES = listFlag('rates', '10,15,20,25,30');
const SECONDS = numericFlag('seconds', 30);
/** The stretch at the end of placing calls whose pacing is judged on its own as well as the whole step's. */
const LOADED_S = Math.min(10, SECONDS);
const TALK = numericFlag('talk', 5);
const MARGIN = numericFlag('margin', 4);
const { runs: RUNS, perSipp: PER_SIPP, voice: VOICE, record: RECORD, allSteps: ALL_STEPS, timeline: TIMELINE, budget: BUDGET, workers: WORKERS } = commonFlags();

if (sippVersion() === undefined) throw new Error('calls/rate needs sipp: apt-get install sip-tester');

const IVR_S = ivrSecondsToQueue();
/** The caller talks (or is silent) after its keys until this long after the ACK. */
const callerAfterKeysS = IVR_S - KEYS_MS / 1000 + MARGIN + TALK;
const callerDurationMs = KEYS_MS + callerAfterKeysS * 1000;

type StepFigures = Record<string, unknown> & { rate: number; pass: boolean };

async function rateStep(rate: number): Promise<StepFigures> {
  const calls = Math.round(rate * SECONDS);
  const plan: StepPlan = {
    // An operator is busy from the answer to the caller's BYE (margin + talk): enough for the whole rate, and a quarter more.
    operators: Math.ceil(rate * (MARGIN + TALK) * 1.25) + 10,
    operatorTalkMs: 0,
    calls,
    rate,
    sippCallers: Math.max(1, Math.ceil(rate / PER_SIPP)),
    caller: { service: '8800', from: '79161234567', keys: CALLER_KEYS, firstKeyDelayMs: FIRST_KEY_DELAY_MS, keyIntervalMs: KEY_INTERVAL_MS, hangup: 'caller', talkSeconds: callerAfterKeysS, voice: VOICE },
    callerDurationMs,
    // A caller without voice is silent after its keys: keep the server's 60 s RTP timeout unless the call is longer.
    hotline: { record: RECORD, rtpTimeoutSeconds: VOICE || callerDurationMs < 50_000 ? 60 : 0, wrapUpSeconds: 0, ringTimeoutSeconds: 10, ...(WORKERS !== undefined ? { mediaWorkers: WORKERS } : {}) },
  };
  progress(`calls/rate: ${rate} calls/s for ${SECONDS} s (${calls} calls, ${plan.operators} operators, ${plan.sippCallers} caller SIPp)`);
  return runStep(plan, (o) => {
    const f = failures(o);
    const s = o.sampler.samples;
    const last = s.length - 1;
    const whole = windowFigures(s, 0, last);
    // The busiest stretch: the last `LOADED_S` seconds of placing calls (concurrency is at its height there).
    const found = s.findIndex((x) => x.t >= SECONDS * 1000);
    const placeEnd = found < 1 ? last : found;
    const fromT = s[placeEnd]!.t - LOADED_S * 1000;
    const loaded = windowFigures(s, Math.max(0, s.findIndex((x) => x.t >= fromT)), placeEnd);
    const achieved = arrivalRate(o.arrivals);
    const talks = o.hot.cdrs.records.filter((r) => r.disposition === 'answered').map((r) => r.talkMs);
    const waits = o.hot.cdrs.records.map((r) => r.waitMs).filter((w): w is number => w !== undefined);
    const p99 = worst(whole.latenessP99Ms, loaded.latenessP99Ms);
    const pass = f.total === 0 && p99 < 5 && achieved >= 0.95 * rate;
    const step: StepFigures = {
      rate,
      pass,
      calls,
      achievedCallsPerSecond: round(achieved, 1),
      failedCalls: f.total,
      failures: f,
      peakConcurrentCalls: whole.activeCallsMax,
      sustainedConcurrentCalls: loaded.activeCallsMean,
      latenessP99Ms: Number.isFinite(p99) ? p99 : null,
      latenessMaxBucketMs: whole.latenessMaxBucketMs,
      latenessMaxMs: round(s[last]!.stats.latenessMaxMs, 1),
      serverCpuPct: whole.serverCpuPct,
      serverCpuPctLoaded: loaded.serverCpuPct,
      serverRssMaxMB: whole.serverRssMaxMB,
      operators: plan.operators,
      talkMsMedian: talks.length > 0 ? median(talks) : null,
      waitMsMedian: waits.length > 0 ? median(waits) : null,
      events: { queued: o.events.get('queued') ?? 0, connected: o.events.get('connected') ?? 0, offers: o.events.get('offer') ?? 0 },
      whole,
      loaded,
      ...stepTail(o, whole, loaded, TIMELINE),
    };
    const why = pass ? 'ok' : `FAILED (${[f.total > 0 ? `${f.total} failed calls` : '', p99 >= 5 ? `p99 ${p99} ms` : '', achieved < 0.95 * rate ? `achieved ${round(achieved, 1)}/s` : ''].filter((x) => x !== '').join(', ')})`;
    progress(`calls/rate: ${rate}/s → ${why}: ${JSON.stringify({ ...step, whole: undefined, failures: f })}`);
    if (!pass && f.total > 0) progress(`calls/rate: SIPp errors: ${sippErrors(o)}`);
    return step;
  });
}

const series = await runStepSeries({ name: 'calls/rate', values: RATES, runs: RUNS, budgetSeconds: BUDGET, allSteps: ALL_STEPS, stepSeconds: () => SECONDS + callerDurationMs / 1000 + 12, runStep: rateStep });
const { headline, steps, tail } = summariseSeries(series, { headline: 'maxCallsPerSecond', target: 200, key: 'rate', window: 'loaded', medianKeys: ['achievedCallsPerSecond', 'failedCalls', 'peakConcurrentCalls', 'sustainedConcurrentCalls', 'latenessP99Ms', 'latenessMaxBucketMs', 'latenessMaxMs', 'serverCpuPct', 'serverCpuPctLoaded', 'serverRssMaxMB', 'talkMsMedian', 'waitMsMedian', 'othersCpuPct'] });

report('calls/rate', {
  ...headline,
  criteria: 'no failed call (SIPp callers/operators, CDR not answered or missing), arrival rate >= 95% of offered, frame-clock lateness p99 < 5 ms over the step',
  steps,
  secondsPerStep: SECONDS,
  ivrSecondsToQueue: round(IVR_S, 2),
  callerSecondsAfterAnswer: round(callerDurationMs / 1000, 2),
  talkSeconds: TALK,
  queueMarginSeconds: MARGIN,
  callerVoice: VOICE,
  recording: RECORD,
  mediaWorkers: WORKERS ?? 'default',
  ...tail,
});
