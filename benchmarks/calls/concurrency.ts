/**
 * Concurrent calls held in the demo call path with zero failed calls and the media frame
 * clock's lateness p99 < 5 ms. For each step N, SIPp callers place N calls (at `--ramp`
 * calls/s) to 8800; each types ahead 1 + contract number, goes through the greeting and the
 * queue prompts into internet-l1, where only N·`--operators` SIPp operators (registered with
 * digest, auto-answer, streaming audio the bridge relays; every call recorded in stereo) take
 * calls: the rest wait with hold music and position announcements. Each operator talks
 * `--talk` seconds and hangs up; the caller then hears the survey question, times out on it,
 * hears goodbye and is hung up by the server (the caller's SIPp waits for that BYE). So every
 * call walks IVR → queue → talk → survey → goodbye, and at the plateau the server carries N
 * calls at once: half talking, half on hold (with the default ratio).
 *
 * The plateau is the stretch during which all N calls are up. A step passes when no SIPp call
 * failed, all N CDRs say "answered", the plateau lasted at least `--min-plateau` seconds, and
 * the lateness p99 is below 5 ms over the plateau and over the whole step. Steps rise until one
 * fails.
 *
 *   npx tsx benchmarks/calls/concurrency.ts [--steps 250,500,750,1000] [--ramp 50] [--operators 0.5]
 *        [--talk 20] [--min-plateau 10] [--runs 1] [--budget 270] [--per-sipp 100] [--voice]
 *        [--no-record] [--workers N] [--all-steps] [--timeline]
 *
 * Prints one JSON line (per-step figures; with --runs > 1 the per-step medians across runs and
 * the median of each run's best N). Needs sipp (sip-tester) and sox.
 */
import { numericFlag, median, progress, report, round } from '../_util.ts';
import { sippVersion } from '../../test/integration/sip/sipp.ts';
import { arrivalRate, CALLER_KEYS, commonFlags, FIRST_KEY_DELAY_MS, failures, ivrSecondsToQueue, KEY_INTERVAL_MS, KEYS_MS, listFlag, promptSeconds, runStep, runStepSeries, sippErrors, stepTail, summariseSeries, windowFigures, worst, type StepPlan } from './_load.ts';

const STEPS = listFlag('steps', '250,500,750,1000');
const RAMP = numericFlag('ramp', 50);
const OPERATOR_RATIO = numericFlag('operators', 0.5);
const TALK = numericFlag('talk', 20);
const MIN_PLATEAU = numericFlag('min-plateau', 10);
const { runs: RUNS, perSipp: PER_SIPP, voice: VOICE, record: RECORD, allSteps: ALL_STEPS, timeline: TIMELINE, budget: BUDGET, workers: WORKERS } = commonFlags();
if (!(OPERATOR_RATIO > 0 && OPERATOR_RATIO <= 1)) throw new RangeError('--operators is a share of N, in (0, 1]');

if (sippVersion() === undefined) throw new Error('calls/concurrency needs sipp: apt-get install sip-tester');

const IVR_S = ivrSecondsToQueue();
/** After the operator hangs up: the survey question, its 6 s wait for a key (the demo's default), goodbye. */
const AFTER_TALK_S = promptSeconds('survey-question') + 6 + promptSeconds('goodbye');

type StepFigures = Record<string, unknown> & { n: number; pass: boolean };

/** Roughly how long a step takes: set-up, the ramp, the IVR, every wave of talks, the survey, the drain. */
function expectedStepSeconds(n: number): number {
  const waves = Math.ceil(n / Math.max(1, Math.ceil(n * OPERATOR_RATIO)));
  return 8 + n / RAMP + IVR_S + waves * (TALK + 1) + AFTER_TALK_S + 3;
}

async function concurrencyStep(n: number): Promise<StepFigures> {
  const operators = Math.max(1, Math.ceil(n * OPERATOR_RATIO));
  const waves = Math.ceil(n / operators);
  // The latest the server's BYE may come after the caller's keys: IVR, every wave of talks before this caller's, its own, the survey, and slack.
  const byeWithinS = IVR_S - KEYS_MS / 1000 + waves * (TALK + 2) + AFTER_TALK_S + 30;
  const callerDurationMs = KEYS_MS + byeWithinS * 1000;
  const plan: StepPlan = {
    operators,
    operatorTalkMs: TALK * 1000,
    calls: n,
    rate: RAMP,
    sippCallers: Math.max(1, Math.ceil(RAMP / PER_SIPP)),
    caller: { service: '8800', from: '79161234567', keys: CALLER_KEYS, firstKeyDelayMs: FIRST_KEY_DELAY_MS, keyIntervalMs: KEY_INTERVAL_MS, hangup: 'server', talkSeconds: byeWithinS, voice: VOICE },
    callerDurationMs,
    // Callers without voice are silent after their keys for longer than the server's 60 s RTP timeout: switch it off then.
    hotline: { record: RECORD, rtpTimeoutSeconds: VOICE ? 60 : 0, wrapUpSeconds: 0, ringTimeoutSeconds: 10, ...(WORKERS !== undefined ? { mediaWorkers: WORKERS } : {}) },
  };
  progress(`calls/concurrency: ${n} calls (${RAMP}/s), ${operators} operators talking ${TALK} s`);
  return runStep(plan, (o) => {
    const f = failures(o);
    const s = o.sampler.samples;
    const last = s.length - 1;
    const whole = windowFigures(s, 0, last);
    const first = s.findIndex((x) => x.active >= n);
    let end = first;
    while (first >= 0 && end + 1 <= last && s[end + 1]!.active >= n) end++;
    const plateauS = first >= 0 ? (s[end]!.t - s[first]!.t) / 1000 : 0;
    const plateau = first >= 0 && end > first ? windowFigures(s, first, end) : null;
    const p99 = worst(whole.latenessP99Ms, plateau?.latenessP99Ms);
    const waits = o.hot.cdrs.records.map((r) => r.waitMs).filter((w): w is number => w !== undefined);
    const pass = f.total === 0 && plateau !== null && plateauS >= MIN_PLATEAU && p99 < 5;
    const step: StepFigures = {
      n,
      pass,
      failedCalls: f.total,
      failures: f,
      peakConcurrentCalls: whole.activeCallsMax,
      plateauSeconds: round(plateauS, 1),
      latenessP99Ms: Number.isFinite(p99) ? p99 : null,
      latenessMaxBucketMs: whole.latenessMaxBucketMs,
      latenessMaxMs: round(s[last]!.stats.latenessMaxMs, 1),
      serverCpuPctPlateau: plateau?.serverCpuPct ?? null,
      serverCpuPct: whole.serverCpuPct,
      serverRssMaxMB: whole.serverRssMaxMB,
      operators,
      rampCallsPerSecond: round(arrivalRate(o.arrivals), 1),
      waitMsMedian: waits.length > 0 ? median(waits) : null,
      waitMsMax: waits.length > 0 ? Math.max(...waits) : null,
      events: { queued: o.events.get('queued') ?? 0, connected: o.events.get('connected') ?? 0, announcements: o.events.get('announcement') ?? 0, survey: o.events.get('survey') ?? 0 },
      plateau,
      whole,
      ...stepTail(o, whole, plateau, TIMELINE),
    };
    const why = pass
      ? 'ok'
      : `FAILED (${[f.total > 0 ? `${f.total} failed calls` : '', plateauS < MIN_PLATEAU ? `plateau ${round(plateauS, 1)} s` : '', p99 >= 5 ? `p99 ${Number.isFinite(p99) ? p99 : '> 100'} ms` : ''].filter((x) => x !== '').join(', ')})`;
    progress(`calls/concurrency: ${n} → ${why}: ${JSON.stringify({ ...step, whole: undefined })}`);
    if (!pass && f.total > 0) progress(`calls/concurrency: SIPp errors: ${sippErrors(o)}`);
    return step;
  });
}

const series = await runStepSeries({ name: 'calls/concurrency', values: STEPS, runs: RUNS, budgetSeconds: BUDGET, allSteps: ALL_STEPS, stepSeconds: expectedStepSeconds, runStep: concurrencyStep });
const { headline, steps, tail } = summariseSeries(series, { headline: 'maxConcurrentCalls', target: 500, key: 'n', window: 'plateau', medianKeys: ['failedCalls', 'peakConcurrentCalls', 'plateauSeconds', 'latenessP99Ms', 'latenessMaxBucketMs', 'latenessMaxMs', 'serverCpuPctPlateau', 'serverCpuPct', 'serverRssMaxMB', 'rampCallsPerSecond', 'waitMsMedian', 'waitMsMax', 'othersCpuPct'] });

report('calls/concurrency', {
  ...headline,
  criteria: `no failed call (SIPp callers/operators, CDR not answered or missing), all N calls up together for >= ${MIN_PLATEAU} s, frame-clock lateness p99 < 5 ms over that plateau and over the whole step`,
  steps,
  rampCallsPerSecond: RAMP,
  operatorShare: OPERATOR_RATIO,
  talkSeconds: TALK,
  ivrSecondsToQueue: round(IVR_S, 2),
  secondsAfterTalk: round(AFTER_TALK_S, 2),
  callerVoice: VOICE,
  recording: RECORD,
  mediaWorkers: WORKERS ?? 'default',
  ...tail,
});
