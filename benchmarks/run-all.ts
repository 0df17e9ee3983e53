/**
 * Runs every benchmark under benchmarks/ (every `.ts` file except this one,
 * declaration files, and helper modules whose name starts with `_`), one at a
 * time, each in its own Node process (`--expose-gc --import tsx`, from the
 * project root). Each benchmark's single JSON line is forwarded to stdout; its
 * progress (stderr) passes through. Exits non-zero if any benchmark fails,
 * times out, or does not print exactly one JSON object line.
 *
 *   npm run bench                          every benchmark once
 *   npm run bench -- --repeat 3            three rounds, then one line with the
 *                                          median of every numeric field per benchmark
 *   npm run bench -- --filter acd/routing  only paths containing the text
 *   npm run bench -- --timeout 300         seconds before a benchmark is killed
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './_util.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Line = { [key: string]: Json };

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const repeat = Number(flag('repeat') ?? 1);
const timeoutSeconds = Number(flag('timeout') ?? 300);
const filter = flag('filter');
if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError('--repeat needs a whole number ≥ 1');
if (!(timeoutSeconds > 0)) throw new RangeError('--timeout needs a number of seconds');

const files = readdirSync(here, { recursive: true, encoding: 'utf8' })
  .map((f) => join(here, f))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== self && !basename(f).startsWith('_') && !relative(here, f).split(sep).includes('node_modules'))
  .filter((f) => filter === undefined || relative(root, f).includes(filter))
  .sort();

if (files.length === 0) {
  process.stderr.write('run-all: no benchmark matched\n');
  process.exitCode = 1;
}

/** Run one benchmark; its JSON line, or a reason it failed. */
function runOne(file: string): Line | string {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.error !== undefined) return child.error.message;
  if (child.signal !== null) return `killed by ${child.signal}`;
  if (child.status !== 0) return `exit code ${child.status}`;
  const lines = child.stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return `printed ${lines.length} lines on stdout, expected one JSON line`;
  try {
    const parsed: unknown = JSON.parse(lines[0] as string);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as Line).benchmark !== 'string') return 'stdout is not a JSON object with a "benchmark" name';
    return parsed as Line;
  } catch (e) {
    return `stdout is not JSON: ${(e as Error).message}`;
  }
}

/** Median of numeric fields (recursively); other fields kept when every run agrees. */
function medians(runs: readonly Json[]): Json | undefined {
  const first = runs[0];
  if (first === undefined) return undefined;
  if (runs.every((r) => typeof r === 'number')) return median(runs as number[]);
  if (runs.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
    const out: { [key: string]: Json } = {};
    const keys = new Set(runs.flatMap((r) => Object.keys(r as object)));
    for (const k of keys) {
      const values = runs.map((r) => (r as { [key: string]: Json })[k]);
      if (values.some((v) => v === undefined)) continue;
      const m = medians(values as Json[]);
      if (m !== undefined) out[k] = m;
    }
    return out;
  }
  const text = JSON.stringify(first);
  return runs.every((r) => JSON.stringify(r) === text) ? first : undefined;
}

const results = new Map<string, Line[]>();
let failures = 0;
for (let round = 1; round <= repeat; round++) {
  for (const file of files) {
    const name = relative(root, file);
    process.stderr.write(`run-all: ${name}${repeat > 1 ? ` (run ${round}/${repeat})` : ''}\n`);
    const started = performance.now();
    const result = runOne(file);
    if (typeof result === 'string') {
      failures++;
      process.stderr.write(`run-all: ${name} FAILED: ${result}\n`);
      continue;
    }
    process.stderr.write(`run-all: ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const name2 = result.benchmark as string;
    results.set(name2, [...(results.get(name2) ?? []), result]);
  }
}

if (repeat > 1) {
  const benchmarks: { [key: string]: Json } = {};
  for (const [name, runs] of results) {
    const m = medians(runs);
    if (m !== undefined) benchmarks[name] = { ...(m as { [key: string]: Json }), runs: runs.length };
  }
  process.stdout.write(`${JSON.stringify({ aggregate: 'median', repeat, benchmarks })}\n`);
}
if (failures > 0) {
  process.stderr.write(`run-all: ${failures} benchmark run(s) failed\n`);
  process.exitCode = 1;
}
