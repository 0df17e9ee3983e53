/**
 * Shared machinery of the call-path benchmarks (benchmarks/calls/rate.ts and
 * concurrency.ts): the demo's timings, one step (a fresh hotline, operators registered and
 * logged in, SIPp callers through the demo flow, a per-second sampler), and the figures of a
 * step (failures from SIPp and from the CDRs, concurrency, media pacing, CPU, memory).
 *
 * The callers are test/integration/calls/peers/caller.ts's generated SIPp scenario: dial
 * 8800, type ahead "1" (internet) and the contract "123456#" while the greeting plays (the
 * server buffers keys), so every call goes greeting → menu → contract → internet-l1 queue
 * (please-hold, callback-offer) → an operator.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallEvent } from '../../src/calls/services.ts';
import type { EngineStats } from '../../src/media/media-server.ts';
import { LATENESS_BUCKETS_MS } from '../../src/media/scheduler.ts';
import { startSipp, stopAllSipp, type SippProcess, type SippResult } from '../../test/integration/sip/sipp.ts';
import { writeCallerScenario, type CallerOptions } from '../../test/integration/calls/peers/caller.ts';
import { median, numericFlag, progress, round } from '../_util.ts';
import { processCpuMs } from '../media/_bench-app.ts';
import { BENCH_QUEUE, OPERATOR_PASSWORD, startBenchHotline, type BenchHotline, type BenchHotlineOptions } from './_hotline.ts';
import { startOperators, triggerRegistrations, type OperatorGroup } from './_operators.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ───────────────────────────── the demo's timings ─────────────────────────────

/** Seconds of a prompt of the demo (Russian, the flow's first language). */
export function promptSeconds(id: string): number {
  return Number(execFileSync('soxi', ['-D', join(ROOT, 'prompts', 'ru', `${id}.wav`)], { encoding: 'utf8' }).trim());
}

/**
 * From the answer to the moment the caller is in the queue: the greeting and the queue
 * node's two prompts play in full (keys typed ahead skip the menu and contract prompts).
 */
export function ivrSecondsToQueue(): number {
  return promptSeconds('greeting') + promptSeconds('please-hold') + promptSeconds('callback-offer');
}

/** The keys every caller types ahead: 1 (internet), then the contract number. */
export const CALLER_KEYS: CallerOptions['keys'] = ['1', 600, '123456#'];
export const FIRST_KEY_DELAY_MS = 800;
export const KEY_INTERVAL_MS = 400;
/** ms from the ACK to the end of the last key press (see caller.ts's timeline). */
export const KEYS_MS = FIRST_KEY_DELAY_MS + KEY_INTERVAL_MS + 600 + 7 * KEY_INTERVAL_MS;

// ─────────────────────────────── CPU and memory ───────────────────────────────

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineJiffies(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** CPU time (ms) so far of every process on the machine except these, by PID, from /proc (Linux). */
export function perProcessCpuMs(exclude: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d));
  } catch {
    return out;
  }
  for (const d of dirs) {
    const pid = Number(d);
    if (exclude.has(pid)) continue;
    try {
      const fields = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime, stime: fields 14 and 15 of stat (11 and 12 after "pid (comm) "), in clock ticks (100/s).
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Wait (at most `maxMs`) until the machine's other processes use less than `pct` % of one core
 * over two seconds: another test run on the same machine would be measured instead of hotline.
 * Returns their share over the last two seconds.
 */
export async function waitForQuietMachine(pct: number, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  const self = new Set([process.pid]);
  for (;;) {
    const a = perProcessCpuMs(self);
    await new Promise((r) => setTimeout(r, 2000));
    const b = perProcessCpuMs(self);
    let ms = 0;
    for (const [pid, v] of b) {
      const before = a.get(pid);
      if (before !== undefined && v >= before) ms += v - before;
    }
    const share = (ms / 2000) * 100;
    if (share < pct || performance.now() > deadline) return round(share, 1);
  }
}

/** CPUs online: the machine's busy share is reported in % of one core, like the processes'. */
const CPUS = Number(execFileSync('getconf', ['_NPROCESSORS_ONLN'], { encoding: 'utf8' }).trim()) || 1;

// ─────────────────────────────────── sampler ───────────────────────────────────

export interface Sample {
  /** ms since the step's start. */
  t: number;
  active: number;
  stats: EngineStats;
  /** This process (server + benchmark driver), user + system, ms. */
  cpuMs: number;
  rss: number;
  heapUsed: number;
  sippCallersCpuMs: number;
  sippOperatorsCpuMs: number;
  /** Every other process of the machine (another test run, say), summed over those alive at both ends of each second. */
  othersCpuMs: number;
  machine: { busy: number; total: number };
}

/** One sample a second: calls in progress, the media engine's counters, CPU and memory. */
export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly t0 = performance.now();
  callerPids: number[] = [];
  operatorPid: number | null = null;

  constructor(private readonly hot: BenchHotline) {}

  async start(): Promise<void> {
    await this.take();
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.take().finally(() => {
          if (!this.stopped) loop();
        });
      }, 1000);
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.take();
  }

  /** Last CPU figure read per SIPp process: a process that has exited keeps its last one. */
  private readonly lastCpuMs = new Map<number, number>();

  private sippCpu(pids: number[]): number {
    return pids.reduce((a, pid) => {
      const ms = processCpuMs(pid);
      if (Number.isFinite(ms)) this.lastCpuMs.set(pid, ms);
      return a + (this.lastCpuMs.get(pid) ?? 0);
    }, 0);
  }

  /** Others' CPU, accumulated from per-process deltas (a process's CPU before this sampler saw it is not counted). */
  private othersTotalMs = 0;
  private othersLast = new Map<number, number>();

  private others(): number {
    const ours = new Set([process.pid, ...this.callerPids, ...(this.operatorPid === null ? [] : [this.operatorPid])]);
    const now = perProcessCpuMs(ours);
    for (const [pid, ms] of now) {
      const before = this.othersLast.get(pid);
      if (before !== undefined && ms >= before) this.othersTotalMs += ms - before;
    }
    this.othersLast = now;
    return this.othersTotalMs;
  }

  private async take(): Promise<void> {
    const stats = await this.hot.server.media.stats();
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    this.samples.push({
      t: performance.now() - this.t0,
      active: this.hot.server.calls.activeCalls,
      stats,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      sippCallersCpuMs: this.sippCpu(this.callerPids),
      sippOperatorsCpuMs: this.operatorPid === null ? 0 : this.sippCpu([this.operatorPid]),
      othersCpuMs: this.others(),
      machine: machineJiffies(),
    });
  }
}

/** Upper bound (ms) of the lateness histogram bucket holding quantile q; Infinity for the overflow bucket. */
function bucketQuantile(counts: number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i]!;
    if (cumulative >= q * total) return i < LATENESS_BUCKETS_MS.length ? LATENESS_BUCKETS_MS[i]! : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

const MB = 1024 * 1024;

/**
 * Figures between two samples (inclusive indexes into Sampler.samples). Lateness quantiles are
 * the upper bound of their histogram bucket; null means the overflow bucket (> 100 ms).
 */
export function windowFigures(samples: Sample[], from: number, to: number): Record<string, number | null> {
  const a = samples[from]!;
  const b = samples[to]!;
  const seconds = (b.t - a.t) / 1000;
  const counts = b.stats.latenessBuckets.map((n, i) => n - (a.stats.latenessBuckets[i] ?? 0));
  let maxBucket = 0;
  counts.forEach((n, i) => {
    if (n > 0) maxBucket = i < LATENESS_BUCKETS_MS.length ? LATENESS_BUCKETS_MS[i]! : Number.POSITIVE_INFINITY;
  });
  const inWindow = samples.slice(from, to + 1);
  const jiffies = b.machine.total - a.machine.total;
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    seconds: round(seconds, 1),
    activeCallsMin: Math.min(...inWindow.map((s) => s.active)),
    activeCallsMean: Math.round(inWindow.reduce((s, x) => s + x.active, 0) / inWindow.length),
    activeCallsMax: Math.max(...inWindow.map((s) => s.active)),
    // Lateness of the engine's 20 ms frame clock (every prompt, hold music and relay frame rides it).
    latenessP50Ms: finite(bucketQuantile(counts, 0.5)),
    latenessP99Ms: finite(bucketQuantile(counts, 0.99)),
    latenessP999Ms: finite(bucketQuantile(counts, 0.999)),
    latenessMaxBucketMs: finite(maxBucket),
    latenessMeanMs: round((b.stats.latenessSumMs - a.stats.latenessSumMs) / Math.max(1, b.stats.latenessCount - a.stats.latenessCount), 3),
    ticks: b.stats.latenessCount - a.stats.latenessCount,
    framesSkipped: b.stats.framesSkipped - a.stats.framesSkipped,
    packetsOutPerSecond: Math.round((b.stats.packetsOut - a.stats.packetsOut) / seconds),
    packetsInPerSecond: Math.round((b.stats.packetsIn - a.stats.packetsIn) / seconds),
    packetsRelayedPerSecond: Math.round((b.stats.packetsRelayed - a.stats.packetsRelayed) / seconds),
    packetsLost: b.stats.packetsLost - a.stats.packetsLost,
    packetsDropped: b.stats.packetsDropped - a.stats.packetsDropped,
    sendErrors: b.stats.sendErrors - a.stats.sendErrors,
    // % of one core (200 = both cores of a 2-core machine).
    serverCpuPct: round(((b.cpuMs - a.cpuMs) / (seconds * 1000)) * 100, 1),
    sippCallersCpuPct: round(((b.sippCallersCpuMs - a.sippCallersCpuMs) / (seconds * 1000)) * 100, 1),
    sippOperatorsCpuPct: round(((b.sippOperatorsCpuMs - a.sippOperatorsCpuMs) / (seconds * 1000)) * 100, 1),
    othersCpuPct: round(((b.othersCpuMs - a.othersCpuMs) / (seconds * 1000)) * 100, 1),
    machineBusyPct: jiffies > 0 ? round(((b.machine.busy - a.machine.busy) / jiffies) * 100 * CPUS, 1) : null,
    serverRssMaxMB: round(Math.max(...inWindow.map((s) => s.rss)) / MB, 1),
  };
}

/** Per-second series of a step, for --timeline: [s, calls up, lateness p99 ms, worst bucket ms, frames skipped, server CPU %, others' CPU %]. */
export function timeline(samples: Sample[]): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  for (let i = 1; i < samples.length; i++) {
    const w = windowFigures(samples, i - 1, i);
    out.push([round(samples[i]!.t / 1000, 0), samples[i]!.active, w.latenessP99Ms ?? -1, w.latenessMaxBucketMs ?? -1, w.framesSkipped ?? 0, w.serverCpuPct ?? 0, w.othersCpuPct ?? 0]);
  }
  return out;
}

// ─────────────────────────────────── a step ───────────────────────────────────

/** A step starts once other processes use less than this (% of one core), or after QUIET_WAIT_MS. */
export const QUIET_PCT = 15;
const QUIET_WAIT_MS = 60_000;
/** A failed step is run again once when other processes took more than this during it. */
export const CONTENDED_PCT = 25;

export interface StepPlan {
  /** Bench operators registered and logged in. */
  operators: number;
  /** Operator talk before the operator hangs up; 0: the caller hangs up. */
  operatorTalkMs: number;
  /** Calls placed, at `rate` per second, spread over `sippCallers` SIPp processes. */
  calls: number;
  rate: number;
  sippCallers: number;
  caller: CallerOptions;
  /** Planned ms from the ACK to the end of a caller's part (caller.ts durationMs). */
  callerDurationMs: number;
  hotline: Pick<BenchHotlineOptions, 'record' | 'rtpTimeoutSeconds' | 'mediaWorkers' | 'ringTimeoutSeconds' | 'wrapUpSeconds'>;
}

export interface StepOutcome {
  hot: BenchHotline;
  sampler: Sampler;
  callers: SippResult[];
  operators: SippResult | null;
  /** `at` of every call-started event (ms since epoch). */
  arrivals: number[];
  events: Map<string, number>;
  /** ms to register and log in every operator. */
  registrationMs: number;
  /** Other processes' CPU (% of one core) just before the step (see waitForQuietMachine). */
  othersCpuPctBefore: number;
  /** Calls the caller SIPps were told to place (plan.calls rounded up to a multiple of the processes). */
  placed: number;
}

/** Raw µ-law audio the operators stream (the demo's hold music: any paced audio does). */
export function prepareOperatorAudio(dir: string): string {
  const file = join(dir, 'operator.ul');
  execFileSync('sox', [join(ROOT, 'prompts/music/hold.wav'), '-t', 'ul', file]);
  return file;
}

/**
 * Run one step: fresh hotline, operators' SIPp with every operator registered (digest) and
 * logged in, then the callers; returns once every caller SIPp has exited and the server has no
 * call left (or the drain timed out). `inspect` runs while the server is still up.
 */
export async function runStep<T>(plan: StepPlan, inspect: (o: StepOutcome) => T | Promise<T>): Promise<T> {
  const othersCpuPctBefore = await waitForQuietMachine(QUIET_PCT, QUIET_WAIT_MS);
  if (othersCpuPctBefore >= QUIET_PCT) progress(`other processes use ${othersCpuPctBefore} % of a core: starting anyway`);
  const scratch = mkdtempSync(join(tmpdir(), 'hotline-calls-step-'));
  const hot = await startBenchHotline({ operators: plan.operators, ...plan.hotline });
  const sampler = new Sampler(hot);
  let operators: OperatorGroup | null = null;
  try {
    const audio = prepareOperatorAudio(scratch);
    const stepTimeoutMs = (plan.calls / plan.rate) * 1000 + plan.callerDurationMs + 120_000;
    const t0 = performance.now();
    // RTP stream ports of the operators' SIPp count up from -mp: below the engine's range, away from the tests'.
    operators = await startOperators(scratch, hot.sipPort, { talkMs: plan.operatorTalkMs, password: OPERATOR_PASSWORD, audioFile: audio, mediaPort: 14000, timeoutMs: stepTimeoutMs + 60_000 });
    sampler.operatorPid = operators.sipp.pid;
    await new Promise((r) => setTimeout(r, 300));
    await triggerRegistrations(operators, hot.operatorIds);
    const registered = await waitFor(() => hot.operatorIds.every((id) => hot.server.sip.locateUser(id).length > 0), 20_000);
    if (!registered) {
      const missing = hot.operatorIds.filter((id) => hot.server.sip.locateUser(id).length === 0).length;
      throw new Error(`${missing} of ${plan.operators} operators did not register`);
    }
    hot.server.acd.run((acd) => hot.operatorIds.flatMap((id) => acd.login(id)));
    const registrationMs = performance.now() - t0;

    const arrivals: number[] = [];
    const events = new Map<string, number>();
    hot.server.calls.events.on('event', (e: CallEvent) => {
      events.set(e.type, (events.get(e.type) ?? 0) + 1);
      if (e.type === 'call-started') arrivals.push(e.at);
    });

    const scenario = writeCallerScenario(scratch, plan.caller);
    await sampler.start();
    const perSipp = plan.rate / plan.sippCallers;
    const callsEach = Math.ceil(plan.calls / plan.sippCallers);
    const callers: SippProcess[] = [];
    for (let i = 0; i < plan.sippCallers; i++) {
      callers.push(
        await startSipp({
          scenario: { file: scenario },
          remote: `127.0.0.1:${hot.sipPort}`,
          calls: callsEach,
          rate: round(perSipp, 3),
          limit: callsEach,
          // Each caller SIPp's [media_port] (and +2): below the operators' stream ports, away from the tests' ranges.
          mediaPort: 11000 + 4 * i,
          args: ['-fd', '1'],
          timeoutMs: stepTimeoutMs,
          captureBytes: 16 * 1024,
        }),
      );
    }
    sampler.callerPids = callers.map((c) => c.pid);
    const results = await Promise.all(callers.map((c) => c.done));
    // The server may still be writing the last CDRs (wrap-up) or tearing calls down.
    await waitFor(() => hot.server.calls.activeCalls === 0 && hot.cdrs.records.length >= arrivals.length, 15_000);
    await sampler.stop();
    const opResult = await operators.sipp.kill();
    operators = null;
    return await inspect({ hot, sampler, callers: results, operators: opResult, arrivals, events, registrationMs, othersCpuPctBefore, placed: callsEach * plan.sippCallers });
  } finally {
    if (operators !== null) await operators.sipp.kill();
    await stopAllSipp();
    await hot.close().catch((err: unknown) => progress(`closing the server failed: ${String(err)}`));
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function waitFor(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Failures of a step, from every side: SIPp callers and operators, the CDRs. */
export function failures(o: StepOutcome): Record<string, number> & { total: number } {
  const placed = o.placed;
  const sum = (rs: SippResult[], f: (r: SippResult) => number): number => rs.reduce((a, r) => a + f(r), 0);
  const callerFailed = sum(o.callers, (r) => r.stats?.failed ?? 0);
  const callerSucceeded = sum(o.callers, (r) => r.stats?.successful ?? 0);
  const callerBadExit = o.callers.filter((r) => r.code !== 0).length;
  const operatorFailed = o.operators?.stats?.failed ?? 0;
  const dispositions = new Map<string, number>();
  for (const r of o.hot.cdrs.records) dispositions.set(r.disposition, (dispositions.get(r.disposition) ?? 0) + 1);
  const answered = dispositions.get('answered') ?? 0;
  const notAnswered = o.hot.cdrs.records.length - answered;
  const missingCdrs = Math.max(0, placed - o.hot.cdrs.records.length);
  const unplaced = Math.max(0, placed - callerSucceeded - callerFailed);
  return {
    // Distinct failed calls as well as we can tell them apart: every caller SIPp failure, or every CDR that is not "answered" (and every call without a CDR), whichever is larger.
    total: Math.max(callerFailed + unplaced, notAnswered + missingCdrs) + operatorFailed,
    callerSippFailed: callerFailed,
    callerSippNotRun: unplaced,
    callerSippBadExits: callerBadExit,
    operatorSippFailed: operatorFailed,
    cdrs: o.hot.cdrs.records.length,
    cdrAnswered: answered,
    cdrNotAnswered: notAnswered,
    missingCdrs,
    ...Object.fromEntries([...dispositions].filter(([d]) => d !== 'answered').map(([d, n]) => [`cdr_${d}`, n])),
  };
}

/** A few lines of SIPp errors for the progress log when a step fails. */
export function sippErrors(o: StepOutcome): string {
  const lines = [...o.callers, ...(o.operators === null ? [] : [o.operators])]
    .map((r) => r.errors.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' | '))
    .filter((s) => s !== '');
  return lines.slice(0, 3).join(' || ').slice(0, 1500);
}

/** Calls/s of call-started events between the first and the last one. */
export function arrivalRate(arrivals: number[]): number {
  if (arrivals.length < 2) return 0;
  const sorted = [...arrivals].sort((a, b) => a - b);
  return (sorted.length - 1) / ((sorted[sorted.length - 1]! - sorted[0]!) / 1000);
}

// ─────────────────────────────── the flags ───────────────────────────────

/** `--name a,b,c`: comma-separated positive numbers. */
export function listFlag(name: string, fallback: string): number[] {
  const i = process.argv.indexOf(`--${name}`);
  const list = (i >= 0 ? (process.argv[i + 1] ?? '') : fallback).split(',').map(Number);
  if (list.some((n) => !(n > 0))) throw new RangeError(`--${name} needs comma-separated positive numbers`);
  return list;
}

/** The flags both benchmarks take (see the README). */
export function commonFlags(): { runs: number; perSipp: number; voice: boolean; record: boolean; allSteps: boolean; timeline: boolean; budget: number; workers: number | undefined } {
  return {
    runs: numericFlag('runs', 1),
    perSipp: numericFlag('per-sipp', 100),
    voice: process.argv.includes('--voice'),
    record: !process.argv.includes('--no-record'),
    allSteps: process.argv.includes('--all-steps'),
    timeline: process.argv.includes('--timeline'),
    /** No step (or repeat of a step) starts when it would end past this many seconds after the start: keeps `npm run bench` (300 s per benchmark) whole. */
    budget: numericFlag('budget', 270),
    workers: process.argv.includes('--workers') ? numericFlag('workers', 2) : undefined,
  };
}

// ─────────────────────────── the figures of a step ───────────────────────────

/** The larger of two p99 figures; null (the histogram's overflow bucket, > 100 ms) is infinitely late. */
export function worst(a: number | null | undefined, b: number | null | undefined): number {
  return Math.max(a ?? Number.POSITIVE_INFINITY, b ?? Number.POSITIVE_INFINITY);
}

/** Other processes' share of the CPU, the larger over the whole step and its busiest stretch. */
export function worstOthers(a: Record<string, number | null>, b: Record<string, number | null> | null): number | null {
  const v = [a['othersCpuPct'], b?.['othersCpuPct']].filter((x): x is number => typeof x === 'number');
  return v.length > 0 ? Math.max(...v) : null;
}

/** The last figures of every step: registration, other processes' CPU, and the --timeline series. */
export function stepTail(o: StepOutcome, whole: Record<string, number | null>, busiest: Record<string, number | null> | null, withTimeline: boolean): Record<string, unknown> {
  return {
    registrationSeconds: round(o.registrationMs / 1000, 1),
    othersCpuPctBefore: o.othersCpuPctBefore,
    ...(withTimeline ? { timeline: timeline(o.sampler.samples) } : {}),
    othersCpuPct: worstOthers(whole, busiest),
  };
}

// ─────────────────────────────── a series of steps ───────────────────────────────

/** One step's figures, as they go into the JSON line. */
export type StepFigures = Record<string, unknown> & { pass: boolean };

export interface StepSeriesOptions<T extends StepFigures> {
  /** The benchmark's name for progress lines ("calls/rate"). */
  name: string;
  /** The steps, in rising order (rates, call counts). */
  values: readonly number[];
  runs: number;
  budgetSeconds: number;
  /** Roughly how long the step of this value takes: it does not start when it would end past the budget. */
  stepSeconds(value: number): number;
  runStep(value: number): Promise<T>;
  /** A failed step is run again once when other processes took more than this (% of one core) during it. */
  contendedPct?: number;
  /** Go on after a failed step. */
  allSteps: boolean;
}

export interface StepSeries<T extends StepFigures> {
  /** What the series was asked to run. */
  options: StepSeriesOptions<T>;
  /** Per run, the figures of every step it ran, in the order of `values`. */
  runs: T[][];
  /** The budget stopped the series before it was done. */
  outOfTime: boolean;
  /** performance.now() when the series began. */
  started: number;
}

/**
 * `runs` times: the steps in order until one fails (or all of them with `allSteps`), a failed
 * step run once more when other processes contended for the CPU during it; no step starts when
 * it would end past the budget, and then no more runs start either.
 */
export async function runStepSeries<T extends StepFigures>(o: StepSeriesOptions<T>): Promise<StepSeries<T>> {
  const started = performance.now();
  const elapsedS = (): number => (performance.now() - started) / 1000;
  const contended = o.contendedPct ?? CONTENDED_PCT;
  let outOfTime = false;
  const runs: T[][] = [];
  for (let run = 1; run <= o.runs; run++) {
    if (o.runs > 1) progress(`${o.name}: run ${run}/${o.runs}`);
    const steps: T[] = [];
    for (const value of o.values) {
      if (elapsedS() + o.stepSeconds(value) > o.budgetSeconds) {
        progress(`out of time (--budget ${o.budgetSeconds} s): no more steps`);
        outOfTime = true;
        break;
      }
      let step = await o.runStep(value);
      if (!step.pass && typeof step['othersCpuPct'] === 'number' && step['othersCpuPct'] > contended && elapsedS() + o.stepSeconds(value) <= o.budgetSeconds) {
        progress(`other processes took ${step['othersCpuPct']} % of a core during the step: running it again`);
        step = { ...(await o.runStep(value)), retriedAfterContention: true };
      }
      steps.push(step);
      if (!step.pass && !o.allSteps) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    runs.push(steps);
    if (outOfTime) break;
  }
  return { options: o, runs, outOfTime, started };
}

/** The value (`key`) of the last step that passed before the first failure; 0 when the first failed. */
export function bestPassing(steps: readonly StepFigures[], key: string): number {
  let b = 0;
  for (const s of steps) {
    if (!s.pass) break;
    b = s[key] as number;
  }
  return b;
}

export interface SeriesSummaryOptions {
  /** The headline's name ("maxCallsPerSecond"): `<headline>ZeroFailures` (the median of the runs' best values) and `<headline>PerRun`. */
  headline: string;
  /** The target for the headline figure. */
  target: number;
  /** The field of a step that holds its value ("rate", "n"). */
  key: string;
  /** The step's busiest window ("loaded", "plateau"): its medians are named with it as a suffix ("…Loaded"). */
  window: string;
  /** Top-level fields of a step whose median is taken. */
  medianKeys: readonly string[];
}

/** Window fields whose medians a multi-run summary adds (named with the window's suffix). */
const WINDOW_MEDIAN_FIELDS = ['sippCallersCpuPct', 'sippOperatorsCpuPct', 'machineBusyPct', 'packetsOutPerSecond', 'packetsRelayedPerSecond'];

/** Median of every numeric field over the runs that reached the step of this value. */
export function medianStep(runs: readonly StepFigures[][], value: number, o: SeriesSummaryOptions): Record<string, unknown> {
  const those = runs.map((steps) => steps.find((s) => s[o.key] === value)).filter((s): s is StepFigures => s !== undefined);
  // A lateness figure of null is the histogram's overflow bucket (> 100 ms): it sorts above every number.
  const late = (k: string): boolean => k.startsWith('lateness');
  const pick = (k: string): number | null => {
    const v = those.map((s) => (s[k] === null && late(k) ? Number.POSITIVE_INFINITY : s[k])).filter((x): x is number => typeof x === 'number');
    const m = v.length > 0 ? median(v) : Number.NaN;
    return Number.isFinite(m) ? m : null;
  };
  const suffix = o.window.charAt(0).toUpperCase() + o.window.slice(1);
  const sub = (f: string): number | null => {
    const v = those.map((s) => (s[o.window] as Record<string, number | null> | null)?.[f]).filter((x): x is number => typeof x === 'number');
    return v.length > 0 ? median(v) : null;
  };
  return {
    runs: those.length,
    passedRuns: those.filter((s) => s.pass).length,
    ...Object.fromEntries(o.medianKeys.map((k) => [k, pick(k)])),
    ...Object.fromEntries(WINDOW_MEDIAN_FIELDS.map((f) => [`${f}${suffix}`, sub(f)])),
  };
}

export interface SeriesSummary {
  /** The first fields of the JSON line: the median of each run's best passing value (complete runs only, when there are any), those values, the target and whether it was met. */
  headline: Record<string, unknown>;
  /** Per step reached, by value: its figures, or with more runs their medians. */
  steps: Record<string, unknown>;
  /** The last fields of the JSON line. */
  tail: { runs: number; stoppedByBudget: boolean; completeRuns: number; budgetSeconds: number; durationSeconds: number };
}

/**
 * The headline and per-step figures of a series: each run's best passing value, and every step
 * reached (with --runs > 1, its medians over the runs that reached it).
 */
export function summariseSeries(series: StepSeries<StepFigures>, o: SeriesSummaryOptions): SeriesSummary {
  const { runs, outOfTime } = series;
  const { values, budgetSeconds } = series.options;
  /** A run cut short by the budget before any step failed only gives a lower bound: medians use complete runs when there are any. */
  const complete = runs.filter((steps, i) => i < runs.length - 1 || !outOfTime || steps.some((st) => !st.pass));
  const perRun = (complete.length > 0 ? complete : runs).map((steps) => bestPassing(steps, o.key));
  const reached = values.filter((v) => runs.some((steps) => steps.some((s) => s[o.key] === v)));
  const best = median(perRun);
  return {
    headline: { [`${o.headline}ZeroFailures`]: best, [`${o.headline}PerRun`]: perRun, target: o.target, targetMet: best >= o.target },
    steps: Object.fromEntries(reached.map((v) => [String(v), series.options.runs > 1 ? medianStep(runs, v, o) : runs[0]!.find((s) => s[o.key] === v)])),
    tail: {
      runs: runs.length,
      stoppedByBudget: outOfTime,
      completeRuns: complete.length,
      budgetSeconds,
      durationSeconds: round((performance.now() - series.started) / 1000, 1),
    },
  };
}

export { BENCH_QUEUE };
