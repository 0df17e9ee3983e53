import { progress } from '../_util.ts';

export interface StepResult {
  n: number;
  pass: boolean;
  why: string;
  window: Record<string, unknown> | null;
}

/** Run rising steps until one fails twice in a row (one retry absorbs a noisy neighbour). */
export async function runCapacitySteps(steps: number[], run: (n: number) => Promise<StepResult>): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const n of steps) {
    let r = await run(n);
    progress(`${n}: ${r.pass ? 'pass' : `FAIL (${r.why})`} ${JSON.stringify(r.window)}`);
    if (!r.pass) {
      r = await run(n);
      progress(`${n} (retry): ${r.pass ? 'pass' : `FAIL (${r.why})`} ${JSON.stringify(r.window)}`);
    }
    results.push(r);
    if (!r.pass) break;
  }
  return results;
}
