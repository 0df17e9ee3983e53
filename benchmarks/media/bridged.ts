/**
 * How many bridged calls (two legs, audio both ways) the engine carries at once, without and
 * with stereo recording, with the worker's frame-clock lateness p99 < 5 ms and no packet lost.
 * Also: CPU per 1,000 packets relayed.
 *
 * For each step N, SIPp places 2N calls (200/s); the app bridges them in pairs (and records
 * each pair in the "record" series). Every SIPp call streams PCMU at 50 packets/s, so the
 * engine relays 100·N packets/s. A step passes when lateness p99 < 5 ms, no sequence gap was
 * seen, ≥ 99 % of received packets were relayed, and every call came up.
 *
 *   npx tsx benchmarks/media/bridged.ts [--steps 100,250,500,750] [--window 8] [--series bridge,record] [--workers 2]
 *
 * Prints one JSON line. Needs sipp (sip-tester) and sox.
 */
import { numericFlag, report, round } from '../_util.ts';
import { freePort, sippVersion, stopAllSipp } from '../../test/integration/sip/sipp.ts';
import { measureWindow, processCpuMs, startBenchApp, waitForEndpoints, type BenchMode } from './_bench-app.ts';
import { prepareCallerScenario, startCallers } from './_sipp-callers.ts';
import { runCapacitySteps, type StepResult } from './_steps.ts';

function listFlag(name: string, fallback: string): string[] {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? (process.argv[i + 1] ?? '') : fallback).split(',');
}

const STEPS = listFlag('steps', '100,250,500,750').map(Number);
const SERIES = listFlag('series', 'bridge,record') as BenchMode[];
const WINDOW = numericFlag('window', 8);
const WORKERS = numericFlag('workers', 2);
const RATE = 200;

if (sippVersion() === undefined) throw new Error('sipp is not installed (apt-get install sip-tester)');
const scenario = prepareCallerScenario();
const figures: Record<string, unknown> = {};
try {
  for (const mode of SERIES) {
    const results = await runCapacitySteps(STEPS, async (n): Promise<StepResult> => {
      const app = await startBenchApp(mode, await freePort(), WORKERS);
      try {
        const legs = 2 * n;
        const holdMs = Math.ceil((legs / RATE) * 1000) + WINDOW * 1000 + 15_000;
        const sipp = await startCallers(scenario, app.port, legs, RATE, holdMs);
        const up = await waitForEndpoints(app.media, legs, (legs / RATE) * 1000 + 20_000);
        if (!up) return { n, pass: false, why: 'calls did not all come up', window: null };
        await new Promise((r) => setTimeout(r, 2000));
        const sippCpu0 = processCpuMs(sipp.pid);
        const w = await measureWindow(app.media, WINDOW);
        const sippCpuPerSecondMs = round((processCpuMs(sipp.pid) - sippCpu0) / w.seconds, 1);
        await sipp.kill();
        const relayedRatio = w.packetsRelayed / Math.max(1, w.packetsIn);
        const pass = w.latenessP99Ms < 5 && w.packetsLost === 0 && relayedRatio >= 0.99 && app.failures === 0;
        const cpuPer1000Relayed = w.cpuMs / (w.packetsRelayed / 1000);
        return {
          n,
          pass,
          why: pass ? '' : 'criteria',
          window: { ...w, relayedRatio: round(relayedRatio, 4), cpuMsPer1000Relayed: round(cpuPer1000Relayed, 2), cpuPerSecondMs: round(w.cpuMs / w.seconds, 1), sippCpuPerSecondMs },
        };
      } finally {
        await stopAllSipp();
        await app.close();
      }
    });
    const best = results.filter((r) => r.pass).reduce((m, r) => Math.max(m, r.n), 0);
    figures[mode] = { maxBridgedCalls: best, steps: results };
  }
  report('media/bridged', { workers: WORKERS, criteria: 'lateness p99 < 5 ms, 0 lost, >= 99% relayed', windowSeconds: WINDOW, ...figures });
} finally {
  scenario.cleanup();
}
