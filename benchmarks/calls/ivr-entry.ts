/**
 * New calls per second into the IVR, without the IVR's length in the way.
 *
 * rate.ts sends every call through 13 s of demo prompts to an operator, so its rate is
 * bounded by how many calls can play prompts at once (~22 × the rate). This benchmark asks
 * the other question of the issue: how many new calls per second can hotline take in —
 * INVITE, a media endpoint on a worker, SDP answer, 200/ACK, a CallSession on the demo flow,
 * the greeting starting to play — and tear down again (caller BYE after `--hold` seconds,
 * endpoint destroyed, CDR written)? The concurrency stays at rate × hold.
 *
 * A step passes with zero failed calls (SIPp), every call seen by the server (`call-started`),
 * a CDR for every call, and frame-clock lateness p99 < 5 ms over the step.
 *
 *   npx tsx benchmarks/calls/ivr-entry.ts [--rates 50,100,150,200,250] [--seconds 15] [--hold 2]
 *
 * Prints one JSON line. Needs `sipp` (sip-tester).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineStats } from '../../src/media/media-server.ts';
import { LATENESS_BUCKETS_MS } from '../../src/media/scheduler.ts';
import type { CallEvent } from '../../src/calls/services.ts';
import { writeCallerScenario } from '../../test/integration/calls/peers/caller.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../../test/integration/sip/sipp.ts';
import { numericFlag, progress, report, round } from '../_util.ts';
import { startBenchHotline } from './_hotline.ts';

const ratesFlag = process.argv.indexOf('--rates');
const RATES = (ratesFlag >= 0 ? (process.argv[ratesFlag + 1] ?? '') : '50,100,150,200,250').split(',').map(Number);
if (RATES.some((r) => !(r > 0))) throw new RangeError('--rates needs comma-separated positive numbers');
const SECONDS = numericFlag('seconds', 15);
const HOLD = numericFlag('hold', 2);
if (sippVersion() === undefined) throw new Error('sipp is not installed (apt-get install sip-tester)');

/** Upper bound (ms) of the bucket holding the 99th percentile of the lateness histogram delta; null past the last bucket. */
function p99Ms(before: EngineStats, after: EngineStats): number | null {
  const delta = after.latenessBuckets.map((n, i) => n - (before.latenessBuckets[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < delta.length; i++) {
    seen += delta[i] ?? 0;
    if (seen >= 0.99 * total) return LATENESS_BUCKETS_MS[i] ?? null;
  }
  return null;
}

async function step(rate: number): Promise<Record<string, unknown>> {
  const hot = await startBenchHotline({ operators: 0, wrapUpSeconds: 0, ringTimeoutSeconds: 10, record: false, rtpTimeoutSeconds: 60 });
  const scratch = mkdtempSync(join(tmpdir(), 'hotline-ivr-entry-'));
  try {
    const calls = Math.round(rate * SECONDS);
    const started = new Set<string>();
    hot.server.calls.events.on('event', (e: CallEvent) => {
      if (e.type === 'call-started') started.add(e.callId);
    });
    const file = writeCallerScenario(scratch, { service: '8800', keys: [], hangup: 'caller', talkSeconds: HOLD, voice: false });
    const before = await hot.server.media.stats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, hot.server.calls.activeCalls)), 250);
    const sipp = await startSipp({ scenario: { file }, remote: `127.0.0.1:${hot.sipPort}`, calls, rate, limit: calls, timeoutMs: (SECONDS + HOLD + 60) * 1000 });
    const result = await sipp.done;
    clearInterval(sampler);
    const wallS = (performance.now() - t0) / 1000;
    const after = await hot.server.media.stats();
    const cpu = process.cpuUsage(cpu0);
    // CDRs are written as sessions end; give the last ones a moment.
    for (let i = 0; i < 50 && hot.cdrs.records.length < calls; i++) await new Promise((r) => setTimeout(r, 100));
    const failed = result.stats?.failed ?? calls;
    const p99 = p99Ms(before, after);
    const pass = result.code === 0 && failed === 0 && started.size === calls && hot.cdrs.records.length === calls && p99 !== null && p99 < 5;
    const figures = {
      rate,
      calls,
      pass,
      sippExit: result.code,
      failedCalls: failed,
      callsSeenByServer: started.size,
      cdrs: hot.cdrs.records.length,
      achievedCallsPerSecond: round(Number(result.stats?.columns['CallRate(C)'] ?? 0), 1),
      peakConcurrentCalls: peak,
      latenessP99Ms: p99,
      latenessMaxMs: round(after.latenessMaxMs, 1),
      serverCpuPct: round(((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100, 0),
      rssMB: round(process.memoryUsage().rss / 1048576, 0),
    };
    progress(`calls/ivr-entry: ${rate}/s → ${pass ? 'ok' : 'FAILED'} ${JSON.stringify(figures)}${result.code !== 0 ? `\n${describeRun(result)}` : ''}`);
    return figures;
  } finally {
    await stopAllSipp();
    await hot.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const steps: Array<Record<string, unknown>> = [];
let best = 0;
for (const rate of RATES) {
  const s = await step(rate);
  steps.push(s);
  if (s['pass'] !== true) break;
  best = rate;
  await new Promise((r) => setTimeout(r, 1000));
}
report('calls/ivr-entry', { maxNewCallsPerSecondZeroFailures: best, targetCallsPerSecond: 200, targetMet: best >= 200, holdSeconds: HOLD, seconds: SECONDS, steps });
