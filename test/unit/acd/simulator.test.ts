import { describe, expect, it } from 'vitest';
import { queueConfig } from '../../../src/acd/defaults.ts';
import { erlangC, erlangCAsa, erlangCServiceLevel } from '../../../src/acd/erlang.ts';
import { ispWeek } from '../../../src/acd/scenarios.ts';
import { DAY, simulate, type SimulationScenario } from '../../../src/acd/simulator.ts';

/** M/M/N without abandonment: the conditions Erlang C assumes. */
function erlangScenario(seed: number): SimulationScenario {
  return {
    name: 'erlang-c',
    seed,
    durationMs: 21 * DAY,
    queues: [queueConfig({ id: 'q', target: 'true', wrapUpSeconds: 0, ringTimeoutSeconds: 600 })],
    agents: [{ idPrefix: 'a', count: 12, skills: {}, languages: ['ru'], shifts: [] }],
    arrivals: [{ queueId: 'q', callsPerWeek: 200 * 24 * 7 }],
    talk: { distribution: 'exponential', meanSeconds: 180 },
    patience: null,
    trackEwt: false,
  };
}

describe('simulator', () => {
  it('agrees with Erlang C where Erlang C applies (200 calls/h, AHT 180 s, 12 agents)', () => {
    const params = { arrivalRatePerHour: 200, ahtSeconds: 180, agents: 12 };
    const expectedSl = erlangCServiceLevel({ ...params, thresholdSeconds: 20 }); // 0.640
    const expectedAsa = erlangCAsa(params); // 40.4 s
    const r = simulate(erlangScenario(11));
    const o = r.overall;
    expect(o.answered).toBeGreaterThan(90_000);
    // Stated tolerance: ±0.02 on the service level, ±10% on ASA (three weeks of calls).
    expect(o.serviceLevel).toBeGreaterThan(expectedSl - 0.02);
    expect(o.serviceLevel).toBeLessThan(expectedSl + 0.02);
    expect(o.asaSeconds).toBeGreaterThan(expectedAsa * 0.9);
    expect(o.asaSeconds).toBeLessThan(expectedAsa * 1.1);
    // Probability of waiting at all: answered after a non-zero wait.
    expect(erlangC(params)).toBeCloseTo(0.449, 3);
    expect(o.abandoned).toBe(0);
  });

  it('is reproducible: same seed, same figures', () => {
    const a = simulate({ ...ispWeek(5), durationMs: DAY });
    const b = simulate({ ...ispWeek(5), durationMs: DAY });
    const c = simulate({ ...ispWeek(6), durationMs: DAY });
    expect(a.overall).toEqual(b.overall);
    expect(a.overall).not.toEqual(c.overall);
  });

  it('a week of a regional ISP line lands in the range of its real figures (76% in 20 s, ASA 29 s)', () => {
    const r = simulate(ispWeek(1));
    const o = r.overall;
    expect(r.arrivals).toBeGreaterThan(15_000);
    expect(r.arrivals).toBeLessThan(16_000);
    expect(o.ahtSeconds).toBeGreaterThan(270);
    expect(o.ahtSeconds).toBeLessThan(310);
    // Plausible range for a line staffed like theirs.
    expect(o.serviceLevel).toBeGreaterThan(0.65);
    expect(o.serviceLevel).toBeLessThan(0.92);
    expect(o.asaSeconds).toBeGreaterThan(8);
    expect(o.asaSeconds).toBeLessThan(45);
    expect(o.abandonmentRate).toBeLessThan(0.15);
    expect(r.agentOccupancy).toBeGreaterThan(0.4);
    expect(r.agentOccupancy).toBeLessThan(0.9);
    // Both estimators were exercised on callers who had to wait.
    expect(r.ewt.waited.samples).toBeGreaterThan(1000);
  });
});
