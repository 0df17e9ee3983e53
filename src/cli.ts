/**
 * The `hotline` command line.
 *
 *   hotline simulate [--scenario isp-week|center-month] [--seed N] [--weeks N] [--days N] [--json]
 *   hotline erlang --calls-per-hour N --aht S [--agents N] [--threshold S] [--target 0.8] [--patience S]
 */
import { parseArgs } from 'node:util';
import { agentsNeeded, agentsNeededErlangA, erlangA, erlangC, erlangCAsa, erlangCServiceLevel, occupancy } from './acd/erlang.ts';
import { centerMonth, ispWeek } from './acd/scenarios.ts';
import { simulate, type SimulationResult } from './acd/simulator.ts';
import type { QueueWindowStats } from './acd/stats.ts';

const USAGE = `usage:
  hotline simulate [--scenario isp-week|center-month] [--seed N] [--weeks N] [--days N] [--json]
  hotline erlang --calls-per-hour N --aht SECONDS [--agents N] [--threshold SECONDS] [--target 0.8] [--patience SECONDS] [--json]
  hotline flow check FILE|FOLDER... [--config hotline.yaml]   (validate IVR flows offline; exit 1 when any is invalid)`;

export class UsageError extends Error {
  readonly code = 'HOTLINE_USAGE';
}

function num(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required`);
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name}: expected a non-negative number, got "${value}"`);
  return n;
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const sec = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} s`);

function queueLine(name: string, q: QueueWindowStats): string {
  return [
    name.padEnd(14),
    String(q.offered).padStart(7),
    String(q.answered).padStart(7),
    String(q.abandoned).padStart(6),
    pct(q.serviceLevel).padStart(7),
    pct(q.serviceLevels['asterisk-sl2']).padStart(7),
    pct(q.serviceLevels['offered-excluding-short-abandons']).padStart(7),
    pct(q.serviceLevels['removed-within']).padStart(7),
    sec(q.asaSeconds).padStart(8),
    sec(q.ahtSeconds).padStart(8),
    pct(q.abandonmentRate).padStart(7),
  ].join(' ');
}

export function formatSimulation(r: SimulationResult): string {
  const header = `${'queue'.padEnd(14)} offered answered aband.      SL    SL2  SLexSA SLremov      ASA      AHT  aband%`;
  const lines = [
    `${r.scenario}, seed ${r.seed}: ${r.simulatedDays} days, ${r.arrivals} calls, simulated in ${r.wallMs.toFixed(0)} ms`,
    header,
    ...Object.entries(r.queues).map(([id, q]) => queueLine(id, q)),
    queueLine('all queues', r.overall),
    `agent occupancy ${pct(r.agentOccupancy)}`,
    `EWT median abs. error, callers who waited (${r.ewt.waited.samples}): position-aware ${sec(r.ewt.waited.positionAwareMedianErrorSeconds)}, Asterisk average ${sec(r.ewt.waited.asteriskMedianErrorSeconds)}`,
    `EWT median abs. error, all answered (${r.ewt.all.samples}): position-aware ${sec(r.ewt.all.positionAwareMedianErrorSeconds)}, Asterisk average ${sec(r.ewt.all.asteriskMedianErrorSeconds)}`,
    'SL = the queue\'s definition (asterisk-sl: answered within / answered); SL2 = (answered + abandoned within) / (answered + abandoned);',
    'SLexSA = answered within / (offered − short abandons); SLremov = removed within / offered.',
  ];
  return lines.join('\n');
}

function runSimulate(args: string[]): string {
  const { values } = parseArgs({ args, options: { scenario: { type: 'string', default: 'isp-week' }, seed: { type: 'string' }, weeks: { type: 'string' }, days: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const seed = num(values.seed, 'seed', 1);
  let scenario;
  if (values.scenario === 'isp-week') scenario = ispWeek(seed, num(values.weeks, 'weeks', 1));
  else if (values.scenario === 'center-month') scenario = centerMonth(seed, num(values.days, 'days', 30));
  else throw new UsageError(`--scenario: expected isp-week or center-month, got "${values.scenario}"`);
  const r = simulate(scenario);
  return values.json ? JSON.stringify(r) : formatSimulation(r);
}

function runErlang(args: string[]): string {
  const { values } = parseArgs({ args, options: { 'calls-per-hour': { type: 'string' }, aht: { type: 'string' }, agents: { type: 'string' }, threshold: { type: 'string' }, target: { type: 'string' }, patience: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const arrivalRatePerHour = num(values['calls-per-hour'], 'calls-per-hour');
  const ahtSeconds = num(values.aht, 'aht');
  const thresholdSeconds = num(values.threshold, 'threshold', 20);
  const targetServiceLevel = num(values.target, 'target', 0.8);
  const needed = agentsNeeded({ arrivalRatePerHour, ahtSeconds, thresholdSeconds, targetServiceLevel });
  const agents = values.agents !== undefined ? num(values.agents, 'agents') : needed;
  const p = { arrivalRatePerHour, ahtSeconds, agents };
  const result: Record<string, number | null> = {
    trafficErlangs: (arrivalRatePerHour * ahtSeconds) / 3600,
    agents,
    agentsNeededErlangC: needed,
    probWait: erlangC(p),
    serviceLevel: erlangCServiceLevel({ ...p, thresholdSeconds }),
    asaSeconds: erlangCAsa(p),
    occupancy: occupancy(p),
  };
  if (values.patience !== undefined) {
    const patienceSeconds = num(values.patience, 'patience');
    const a = erlangA({ ...p, patienceSeconds, thresholdSeconds });
    result.erlangAProbAbandon = a.probAbandon;
    result.erlangAServiceLevel = a.serviceLevel.answeredWithinOverAnswered;
    result.erlangAAsaSeconds = a.asa;
    result.agentsNeededErlangA = agentsNeededErlangA({ arrivalRatePerHour, ahtSeconds, patienceSeconds, thresholdSeconds, targetServiceLevel });
  }
  if (values.json) return JSON.stringify(result);
  return Object.entries(result)
    .map(([k, v]) => `${k.padEnd(22)} ${v === null ? '—' : Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join('\n');
}

export function runCli(argv: string[]): string {
  const [command, ...rest] = argv;
  switch (command) {
    case 'simulate':
      return runSimulate(rest);
    case 'erlang':
      return runErlang(rest);
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  }
}

/**
 * `hotline flow check FILE...`: validate flow files against the queues and skills of the
 * configuration (hotline.yaml, $HOTLINE_CONFIG or --config) and the prompts folder.
 */
export async function runFlowCheck(argv: string[]): Promise<{ ok: boolean; report: string }> {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string' } }, allowPositionals: true });
  if (positionals.length === 0) throw new UsageError('flow check: name at least one flow file or folder');
  const { loadConfig } = await import('./config.ts');
  const { checkFlowFiles } = await import('./ivr/check.ts');
  const config = loadConfig(values.config);
  return checkFlowFiles(positionals, { queues: config.queues.map((q) => q.id), skills: config.skills });
}

/** Every command, for the launcher: prints the output and answers the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === 'flow') {
      if (argv[1] !== 'check') throw new UsageError(`unknown flow command "${argv[1] ?? ''}" (expected: flow check FILE...)`);
      const r = await runFlowCheck(argv.slice(2));
      (r.ok ? process.stdout : process.stderr).write(`${r.report}\n`);
      return r.ok ? 0 : 1;
    }
    process.stdout.write(`${runCli(argv)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`hotline: ${err.message}\n${USAGE}\n`);
      return 64; // EX_USAGE
    }
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
