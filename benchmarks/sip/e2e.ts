/**
 * End-to-end SIP call throughput and memory, measured with SIPp.
 *
 * A SipServer runs in its own Node process (benchmarks/sip/_answer-server.ts)
 * and answers every INVITE with createUAS. SIPp's built-in `uac` scenario
 * (INVITE → 100/180 → 200 → ACK → BYE → 200, no media) calls it at rising
 * rates, each for `--seconds`; above ~700 calls/s the load is split over
 * several SIPp processes, each on its own port (one SIPp tops out near
 * 1000 calls/s, and on a 2-core machine SIPp shares the cores with the
 * server). A step passes when every SIPp exits 0, every call succeeded and
 * the calls/s SIPp achieved is within 10% of the target.
 *
 * Then memory: a fresh server, SIPp `uac` with calls held open (`-d`), and
 * the server's heap and RSS (after a full GC) compared with the idle
 * baseline give the memory per live dialog (each with its INVITE server
 * transaction, which RFC 6026's Timer L keeps 64·T1 = 32 s).
 *
 *   npx tsx benchmarks/sip/e2e.ts [--rates 200,500,1000,1500,2000] [--seconds 10]
 *        [--hold 2000] [--hold-rate 200] [--default-guard]
 *
 * By default the server's per-source flood guard is raised to 10^6 messages/s:
 * every SIPp sends from 127.0.0.1, and the stack's default (2000 messages/s
 * per address, ~667 calls/s of INVITE+ACK+BYE) would be measured instead of
 * the stack. --default-guard keeps the default.
 *
 * Prints one JSON line. Needs `sipp` (apt package sip-tester).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { numericFlag, progress, report, round } from '../_util.ts';
import { sippVersion, startSipp, stopAllSipp, type SippResult } from '../../test/integration/sip/sipp.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const serverScript = fileURLToPath(new URL('./_answer-server.ts', import.meta.url));

const ratesFlag = process.argv.indexOf('--rates');
const RATES = (ratesFlag >= 0 ? (process.argv[ratesFlag + 1] ?? '') : '200,500,1000,1500,2000').split(',').map(Number);
if (RATES.some((r) => !(r > 0))) throw new RangeError('--rates needs comma-separated positive numbers');
const SECONDS = numericFlag('seconds', 10);
const HOLD_CALLS = numericFlag('hold', 2000);
const HOLD_RATE = numericFlag('hold-rate', 200);
const DEFAULT_GUARD = process.argv.includes('--default-guard');
const GUARD_RATE = DEFAULT_GUARD ? 0 : 1_000_000;
/** Calls/s one SIPp process is asked for at most. */
const PER_SIPP = 700;

interface ServerStats {
  rss: number;
  heapUsed: number;
  maxRss: number;
  cpuMs: number;
  dialogs: number;
  transactions: { server: number; client: number };
  invites: number;
  answered: number;
  uasFailures: number;
  transaction: { retransmissions: number; timeouts: number };
  guardRejected: number | null;
}

/** The server child process and its stdin/stdout line protocol. */
class ServerProcess {
  private readonly waiting: Array<(line: string) => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    lines: AsyncIterator<string>,
  ) {
    void (async () => {
      for (;;) {
        const next = await lines.next();
        if (next.done === true) break;
        this.waiting.shift()?.(next.value);
      }
    })();
  }

  static async start(): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', serverScript, '--guard-rate', String(GUARD_RATE)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const first = await Promise.race([lines.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000).unref())]);
    const ready = JSON.parse(first.done === true ? '{}' : first.value) as { type?: string; port?: number };
    if (ready.type !== 'ready' || typeof ready.port !== 'number') throw new Error(`server did not report its port: ${JSON.stringify(ready)}`);
    return new ServerProcess(child, ready.port, lines);
  }

  /** 'gc' collects garbage first. */
  stats(command: 'stats' | 'gc' = 'stats'): Promise<ServerStats> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as ServerStats));
      this.child.stdin?.write(`${command}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end();
    const hard = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(hard);
  }
}

const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Step {
  rate: number;
  sipps: number;
  calls: number;
  successful: number;
  failed: number;
  achievedCps: number;
  passed: boolean;
  sippExitCodes: number[];
  sippRetransmissions: number;
  serverRetransmissions: number;
  serverCpuPct: number;
  guardRejected: number;
  wallSeconds: number;
}

async function loadStep(server: ServerProcess, rate: number): Promise<Step> {
  const sipps = Math.max(1, Math.ceil(rate / PER_SIPP));
  const perSipp = rate / sipps;
  const callsEach = Math.round(perSipp * SECONDS);
  const before = await server.stats();
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from({ length: sipps }, () =>
      startSipp({
        scenario: { builtin: 'uac' },
        remote: `127.0.0.1:${server.port}`,
        calls: callsEach,
        rate: round(perSipp, 2),
        limit: Math.max(200, Math.round(perSipp)),
        timeoutMs: SECONDS * 1000 + 40_000,
        captureBytes: 4096,
      }),
    ),
  );
  const results: SippResult[] = await Promise.all(runs.map((r) => r.done));
  const wallSeconds = (performance.now() - t0) / 1000;
  const after = await server.stats();
  const sum = (f: (r: SippResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const successful = sum((r) => r.stats?.successful ?? 0);
  const failed = sum((r) => r.stats?.failed ?? 0);
  // SIPp's cumulative CallRate(C): calls created per second over its whole run, summed over the processes.
  const achievedCps = sum((r) => Number(r.stats?.columns['CallRate(C)'] ?? 0));
  const calls = callsEach * sipps;
  const exitCodes = results.map((r) => r.code ?? -1);
  const passed = exitCodes.every((c) => c === 0) && failed === 0 && successful === calls && achievedCps >= 0.9 * rate;
  return {
    rate,
    sipps,
    calls,
    successful,
    failed,
    achievedCps: round(achievedCps, 1),
    passed,
    sippExitCodes: exitCodes,
    sippRetransmissions: sum((r) => r.stats?.retransmissions ?? 0),
    serverRetransmissions: after.transaction.retransmissions - before.transaction.retransmissions,
    serverCpuPct: round(((after.cpuMs - before.cpuMs) / (wallSeconds * 1000)) * 100, 1),
    guardRejected: (after.guardRejected ?? 0) - (before.guardRejected ?? 0),
    wallSeconds: round(wallSeconds, 2),
  };
}

async function throughput(): Promise<{ steps: Step[]; maxRss: number; heapUsed: number }> {
  const server = await ServerProcess.start();
  const steps: Step[] = [];
  try {
    for (const rate of RATES) {
      progress(`sip/e2e: ${rate} calls/s for ${SECONDS} s`);
      const step = await loadStep(server, rate);
      steps.push(step);
      progress(`sip/e2e: ${rate} calls/s → ${step.passed ? 'ok' : 'FAILED'}: ${JSON.stringify(step)}`);
      if (!step.passed) break;
      await sleep(1_000);
    }
    const end = await server.stats();
    return { steps, maxRss: end.maxRss, heapUsed: end.heapUsed };
  } finally {
    await stopAllSipp();
    await server.stop();
  }
}

async function memory(): Promise<Record<string, number>> {
  const server = await ServerProcess.start();
  try {
    // Warm up the code paths (JIT, pools) with a few short calls, then take the idle baseline.
    const warm = await startSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${server.port}`, calls: 200, rate: 200, timeoutMs: 20_000 });
    await warm.done;
    const holdMs = Math.ceil((HOLD_CALLS / HOLD_RATE) * 1000) + 5_000;
    const base = await server.stats('gc');
    progress(`sip/e2e: holding ${HOLD_CALLS} calls open (${HOLD_RATE} calls/s, each ${holdMs} ms)`);
    const hold = await startSipp({
      scenario: { builtin: 'uac' },
      remote: `127.0.0.1:${server.port}`,
      calls: HOLD_CALLS,
      rate: HOLD_RATE,
      limit: HOLD_CALLS + 100,
      args: ['-d', String(holdMs)],
      timeoutMs: holdMs + 60_000,
      captureBytes: 4096,
    });
    const deadline = performance.now() + (HOLD_CALLS / HOLD_RATE) * 1000 + 4_000;
    let now = await server.stats();
    while (now.dialogs < HOLD_CALLS && performance.now() < deadline) {
      await sleep(250);
      now = await server.stats();
    }
    const held = await server.stats('gc');
    await hold.kill();
    const dialogs = held.dialogs;
    return {
      liveDialogs: dialogs,
      heapPerDialogBytes: Math.round((held.heapUsed - base.heapUsed) / dialogs),
      rssPerDialogBytes: Math.round((held.rss - base.rss) / dialogs),
      idleHeapMB: round(base.heapUsed / MB, 1),
      idleRssMB: round(base.rss / MB, 1),
      heapMB: round(held.heapUsed / MB, 1),
      rssMB: round(held.rss / MB, 1),
      serverTransactions: held.transactions.server,
    };
  } finally {
    await stopAllSipp();
    await server.stop();
  }
}

const version = sippVersion();
if (version === undefined) throw new Error('sip/e2e needs sipp: apt-get install sip-tester');
const started = performance.now();
const load = await throughput();
const mem = await memory();
const passedRates = load.steps.filter((s) => s.passed).map((s) => s.rate);
const maxRate = passedRates.length > 0 ? Math.max(...passedRates) : 0;
report('sip/e2e', {
  maxCallsPerSecondZeroFailures: maxRate,
  target: 1500,
  targetMet: maxRate >= 1500,
  steps: Object.fromEntries(load.steps.map((s) => [String(s.rate), { ...s, sippExitCodes: s.sippExitCodes.join(',') }])),
  serverMaxRssMB: round(load.maxRss / MB, 1),
  serverHeapAfterLoadMB: round(load.heapUsed / MB, 1),
  memory: mem,
  secondsPerStep: SECONDS,
  guardRatePerSecond: DEFAULT_GUARD ? 'default (2000 per source)' : GUARD_RATE,
  sipp: version,
  durationSeconds: round((performance.now() - started) / 1000, 1),
});
