/**
 * How many endpoints can play hold music at once, each to a SIPp caller that streams audio
 * back, with the frame clock's lateness p99 < 5 ms and no packet lost?
 *
 * For each step N (rising), SIPp places N calls (200/s) to the app (SipServer + MediaServer
 * worker, benchmarks/media/_bench-app.ts); once all N are up, the engine's counters are read
 * over a window: scheduler lateness (p99 = upper bound of the histogram bucket), packets lost
 * on received streams (sequence gaps), frames dropped after stalls, packets sent vs the 50/s
 * each endpoint must send. A step passes when p99 < 5 ms, nothing was lost or dropped, and
 * ≥ 99 % of the expected packets went out. The largest passing N is the figure.
 *
 *   npx tsx benchmarks/media/playing.ts [--steps 250,500,750,1000,1250,1500] [--window 8] [--workers 2]
 *
 * Prints one JSON line. Needs sipp (sip-tester) and sox.
 */
import { numericFlag, report, round } from '../_util.ts';
import { freePort, sippVersion, stopAllSipp } from '../../test/integration/sip/sipp.ts';
import { measureWindow, processCpuMs, startBenchApp, waitForEndpoints, type Window } from './_bench-app.ts';
import { prepareCallerScenario, startCallers } from './_sipp-callers.ts';
import { runCapacitySteps, type StepResult } from './_steps.ts';

const stepsFlag = process.argv.indexOf('--steps');
const STEPS = (stepsFlag >= 0 ? (process.argv[stepsFlag + 1] ?? '') : '250,500,750,1000,1250,1500').split(',').map(Number);
const WINDOW = numericFlag('window', 8);
const WORKERS = numericFlag('workers', 2);
const RATE = 200;

if (sippVersion() === undefined) throw new Error('sipp is not installed (apt-get install sip-tester)');
const scenario = prepareCallerScenario();
try {
  const results = await runCapacitySteps(STEPS, async (n): Promise<StepResult> => {
    const app = await startBenchApp('play', await freePort(), WORKERS);
    try {
      const holdMs = Math.ceil((n / RATE) * 1000) + WINDOW * 1000 + 15_000;
      const sipp = await startCallers(scenario, app.port, n, RATE, holdMs);
      const up = await waitForEndpoints(app.media, n, (n / RATE) * 1000 + 20_000);
      if (!up) return { n, pass: false, why: 'calls did not all come up', window: null };
      await new Promise((r) => setTimeout(r, 2000)); // let the ramp's SIP traffic settle
      const sippCpu0 = processCpuMs(sipp.pid);
      const w: Window = await measureWindow(app.media, WINDOW);
      const sippCpuPerSecondMs = round((processCpuMs(sipp.pid) - sippCpu0) / w.seconds, 1);
      await sipp.kill();
      const expectedOut = n * 50 * w.seconds;
      const sentRatio = w.packetsOut / expectedOut;
      const pass = w.latenessP99Ms < 5 && w.packetsLost === 0 && w.framesSkipped === 0 && sentRatio >= 0.99 && app.failures === 0;
      return { n, pass, why: pass ? '' : 'criteria', window: { ...w, sentRatio: round(sentRatio, 4), cpuPerSecondMs: round(w.cpuMs / w.seconds, 1), sippCpuPerSecondMs } };
    } finally {
      await stopAllSipp();
      await app.close();
    }
  });
  const best = results.filter((r) => r.pass).reduce((m, r) => Math.max(m, r.n), 0);
  report('media/playing', { maxPlayingEndpoints: best, workers: WORKERS, criteria: 'lateness p99 < 5 ms, 0 lost, 0 skipped, >= 99% of 50 pkt/s sent', windowSeconds: WINDOW, steps: results });
} finally {
  scenario.cleanup();
}
