/**
 * Helpers shared by the benchmarks (files starting with `_` are not run by
 * run-all.ts). A benchmark prints exactly one JSON line to stdout; progress
 * goes to stderr.
 */
import { availableParallelism } from 'node:os';

export type Figures = Record<string, unknown>;

/** Print the benchmark's single result line, with the runtime it ran on. */
export function report(benchmark: string, figures: Figures): void {
  process.stdout.write(`${JSON.stringify({ benchmark, ...figures, node: process.version, cpus: availableParallelism() })}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Value at quantile q (0–1) of an ascending-sorted array, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Median (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Round to a number of significant decimals for readable JSON. */
export function round(x: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/**
 * Summary of latencies recorded in nanoseconds: operations per second over
 * the summed time of the timed calls, and percentiles in microseconds.
 */
export function latencySummary(ns: Float64Array, count: number): { perSecond: number; p50Us: number; p99Us: number; p999Us: number; maxUs: number; meanUs: number } {
  const sorted = ns.slice(0, count).sort();
  let total = 0;
  for (let i = 0; i < count; i++) total += sorted[i] as number;
  return {
    perSecond: Math.round(count / (total / 1e9)),
    p50Us: round(quantile(sorted, 0.5) / 1000),
    p99Us: round(quantile(sorted, 0.99) / 1000),
    p999Us: round(quantile(sorted, 0.999) / 1000),
    maxUs: round(quantile(sorted, 1) / 1000),
    meanUs: round(total / count / 1000),
  };
}

/** Median cost of an empty `process.hrtime.bigint()` pair, to read small latencies against. */
export function timerOverheadNs(samples = 100_000): number {
  const ns = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    ns[i] = Number(t1 - t0);
  }
  return quantile(ns.sort(), 0.5);
}

/** Parse `--name value` flags as numbers, with defaults. */
export function numericFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new RangeError(`--${name} needs a number`);
  return v;
}
