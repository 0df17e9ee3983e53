import { describe, expect, it } from 'vitest';
import { runCli, UsageError } from '../../src/cli.ts';

describe('hotline CLI', () => {
  it('erlang prints Erlang C figures and the staffing for a target', () => {
    const out = JSON.parse(runCli(['erlang', '--calls-per-hour', '200', '--aht', '180', '--agents', '14', '--json'])) as Record<string, number>;
    expect(out.trafficErlangs).toBe(10);
    expect(out.serviceLevel).toBeCloseTo(0.8884, 4);
    expect(out.agentsNeededErlangC).toBe(14);
  });

  it('simulate prints the SLA table of a day of the ISP line', () => {
    const out = runCli(['simulate', '--scenario', 'isp-week', '--seed', '3', '--weeks', '1']);
    expect(out).toMatch(/internet-l1\s+\d+/);
    expect(out).toContain('all queues');
    expect(out).toContain('EWT median abs. error');
  });

  it('bad arguments are usage errors that say what is wrong', () => {
    expect(() => runCli(['erlang', '--aht', '180'])).toThrowError(UsageError);
    expect(() => runCli(['erlang', '--calls-per-hour', 'many', '--aht', '180'])).toThrowError(/--calls-per-hour: expected a non-negative number, got "many"/);
    expect(() => runCli(['simulate', '--scenario', 'mars'])).toThrowError(/--scenario/);
    expect(() => runCli(['dance'])).toThrowError(/unknown command "dance"/);
  });
});
