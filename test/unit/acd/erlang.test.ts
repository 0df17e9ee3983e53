import { describe, it, expect } from 'vitest';
import {
  agentsNeeded,
  agentsNeededErlangA,
  erlangA,
  erlangB,
  erlangC,
  erlangCAsa,
  erlangCServiceLevel,
  occupancy,
  trafficIntensity,
} from '../../../src/acd/erlang.ts';

/**
 * Independent textbook Erlang C with factorials and powers (fine for small N):
 * C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)).
 */
function directErlangC(a: number, n: number): number {
  let term = 1; // A^k / k!
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += term;
    term = (term * a) / (k + 1);
  }
  const top = (term * n) / (n - a);
  return top / (sum + top);
}

/** Erlang C inputs for A Erlangs: AHT 180 s, λ = A·20 calls per hour. */
function forTraffic(a: number, agents: number): { arrivalRatePerHour: number; ahtSeconds: number; agents: number } {
  return { arrivalRatePerHour: (a * 3600) / 180, ahtSeconds: 180, agents };
}

describe('Erlang C', () => {
  it('computes traffic intensity A = λ·AHT', () => {
    expect(trafficIntensity(200, 180)).toBe(10);
  });

  // Classic Erlang C table values for A = 10 Erlangs, each also recomputed
  // independently with factorials.
  it.each([
    [11, 0.682],
    [12, 0.449],
    [13, 0.285],
    [14, 0.174],
  ])('A = 10, N = %i: P(wait) ≈ %f (table value, confirmed by direct formula)', (n, published) => {
    const c = erlangC(forTraffic(10, n));
    expect(c).toBeCloseTo(directErlangC(10, n), 12);
    expect(Math.abs(c - published)).toBeLessThan(0.0005);
  });

  it('matches the direct factorial formula over a grid of small N', () => {
    for (const a of [0.5, 1, 2.5, 7, 10, 20, 48]) {
      for (let n = Math.floor(a) + 1; n <= Math.floor(a) + 15; n++) {
        expect(erlangC(forTraffic(a, n))).toBeCloseTo(directErlangC(a, n), 12);
      }
    }
  });

  it('call-centre example: 100 calls / 30 min, AHT 180 s (A = 10), 14 agents', () => {
    // Published worked example (Call Centre Helper): raw agents 14, service
    // level 88.8 % at 20 s, ASA 7.8 s, occupancy 71.4 %.
    const p = { arrivalRatePerHour: 200, ahtSeconds: 180, agents: 14 };
    const c = directErlangC(10, 14);
    const sl = erlangCServiceLevel({ ...p, thresholdSeconds: 20 });
    expect(sl).toBeCloseTo(1 - c * Math.exp((-(14 - 10) * 20) / 180), 12);
    expect(Math.abs(sl - 0.888)).toBeLessThan(0.0005);
    const asa = erlangCAsa(p);
    expect(asa).toBeCloseTo((c * 180) / 4, 10);
    expect(Math.abs(asa - 7.8)).toBeLessThan(0.05);
    expect(occupancy(p)).toBeCloseTo(10 / 14, 12);
    expect(Math.abs(occupancy(p) - 0.714)).toBeLessThan(0.0005);
  });

  it('call-centre example: 80/20 needs 14 agents (13 gives only 79.6 %)', () => {
    // The figure is sometimes quoted as 13; the formula says 13 agents reach
    // 1 − 0.2853·e^(−60/180) = 0.7956 < 0.8, so 14 is the smallest.
    const base = { arrivalRatePerHour: 200, ahtSeconds: 180 };
    const sl13 = erlangCServiceLevel({ ...base, agents: 13, thresholdSeconds: 20 });
    expect(sl13).toBeCloseTo(1 - directErlangC(10, 13) * Math.exp(-60 / 180), 12);
    expect(Math.abs(sl13 - 0.7956)).toBeLessThan(0.00005);
    expect(agentsNeeded({ ...base, thresholdSeconds: 20, targetServiceLevel: 0.8 })).toBe(14);
  });

  it('worked example: 360 calls / 30 min, AHT 240 s, 55 agents, 15 s threshold', () => {
    // A = 48 Erlangs; values checked against the direct formula.
    const p = { arrivalRatePerHour: 720, ahtSeconds: 240, agents: 55 };
    const c = directErlangC(48, 55);
    expect(erlangC(p)).toBeCloseTo(c, 12);
    expect(Math.abs(erlangC(p) - 0.2387)).toBeLessThan(0.00005);
    expect(Math.abs(erlangCAsa(p) - 8.18)).toBeLessThan(0.005);
    expect(Math.abs(erlangCServiceLevel({ ...p, thresholdSeconds: 15 }) - 0.8459)).toBeLessThan(0.00005);
    expect(Math.abs(occupancy(p) - 0.8727)).toBeLessThan(0.00005);
  });

  it('returns the unstable-queue values when N ≤ A', () => {
    const p = forTraffic(10, 10);
    expect(erlangC(p)).toBe(1);
    expect(erlangCServiceLevel({ ...p, thresholdSeconds: 20 })).toBe(0);
    expect(erlangCAsa(p)).toBe(Number.POSITIVE_INFINITY);
    expect(occupancy(p)).toBe(1);
    expect(erlangC(forTraffic(10, 3))).toBe(1);
  });

  it('handles zero traffic', () => {
    const p = { arrivalRatePerHour: 0, ahtSeconds: 180, agents: 3 };
    expect(erlangC(p)).toBe(0);
    expect(erlangCServiceLevel({ ...p, thresholdSeconds: 0 })).toBe(1);
    expect(erlangCAsa(p)).toBe(0);
    expect(occupancy(p)).toBe(0);
    expect(agentsNeeded({ arrivalRatePerHour: 0, ahtSeconds: 180, thresholdSeconds: 20, targetServiceLevel: 0.8 })).toBe(0);
  });

  it('rejects invalid input', () => {
    expect(() => erlangC({ arrivalRatePerHour: -1, ahtSeconds: 180, agents: 3 })).toThrow(RangeError);
    expect(() => erlangC({ arrivalRatePerHour: 10, ahtSeconds: Number.NaN, agents: 3 })).toThrow(RangeError);
    expect(() => erlangC({ arrivalRatePerHour: 10, ahtSeconds: 180, agents: 2.5 })).toThrow(RangeError);
    expect(() => agentsNeeded({ arrivalRatePerHour: 10, ahtSeconds: 180, thresholdSeconds: 20, targetServiceLevel: 1 })).toThrow(
      RangeError,
    );
  });

  it('Erlang B recursion matches the direct formula', () => {
    // B(N, A) = (A^N/N!) / Σ_{k≤N} A^k/k!
    let term = 1;
    let sum = 1;
    for (let n = 1; n <= 20; n++) {
      term = (term * 10) / n;
      sum += term;
      expect(erlangB(10, n)).toBeCloseTo(term / sum, 12);
    }
  });

  it('service level rises and ASA falls as agents are added', () => {
    let prevSl = -1;
    let prevAsa = Number.POSITIVE_INFINITY;
    for (let n = 11; n <= 25; n++) {
      const p = forTraffic(10, n);
      const sl = erlangCServiceLevel({ ...p, thresholdSeconds: 20 });
      const asa = erlangCAsa(p);
      expect(sl).toBeGreaterThan(prevSl);
      expect(asa).toBeLessThan(prevAsa);
      prevSl = sl;
      prevAsa = asa;
    }
  });

  it('agentsNeeded is the smallest N meeting the target', () => {
    const base = { arrivalRatePerHour: 1234, ahtSeconds: 300, thresholdSeconds: 30 };
    for (const target of [0.5, 0.8, 0.9, 0.95]) {
      const n = agentsNeeded({ ...base, targetServiceLevel: target });
      expect(erlangCServiceLevel({ ...base, agents: n })).toBeGreaterThanOrEqual(target);
      expect(erlangCServiceLevel({ ...base, agents: n - 1 })).toBeLessThan(target);
    }
  });

  it('agentsNeeded honours the occupancy cap', () => {
    const base = { arrivalRatePerHour: 200, ahtSeconds: 180, thresholdSeconds: 20, targetServiceLevel: 0.8 };
    // 10 Erlangs at ≤ 60 % occupancy needs ⌈10/0.6⌉ = 17 agents.
    expect(agentsNeeded({ ...base, maxOccupancy: 0.6 })).toBe(17);
    // A lax cap does not change the answer.
    expect(agentsNeeded({ ...base, maxOccupancy: 0.9 })).toBe(14);
    // Exact division: 10/0.5 = 20.
    expect(agentsNeeded({ ...base, maxOccupancy: 0.5 })).toBe(20);
  });

  it('agentsNeeded is monotone in load', () => {
    let prev = 0;
    for (let rate = 0; rate <= 5000; rate += 50) {
      const n = agentsNeeded({ arrivalRatePerHour: rate, ahtSeconds: 240, thresholdSeconds: 20, targetServiceLevel: 0.8 });
      expect(n).toBeGreaterThanOrEqual(prev);
      prev = n;
    }
    expect(prev).toBeGreaterThan(5000 * 240 / 3600);
  });

  it('stays finite for 2000 agents and A = 1950', () => {
    const p = forTraffic(1950, 2000);
    const c = erlangC(p);
    expect(Number.isFinite(c)).toBe(true);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(1);
    const sl = erlangCServiceLevel({ ...p, thresholdSeconds: 20 });
    expect(sl).toBeGreaterThan(0);
    expect(sl).toBeLessThan(1);
    expect(Number.isFinite(erlangCAsa(p))).toBe(true);
    expect(occupancy(p)).toBeCloseTo(0.975, 12);
    const n = agentsNeeded({ arrivalRatePerHour: p.arrivalRatePerHour, ahtSeconds: 180, thresholdSeconds: 20, targetServiceLevel: 0.8 });
    expect(n).toBeGreaterThan(1950);
    expect(n).toBeLessThan(2050);
    // Far more agents than traffic: Erlang B underflows towards 0 without NaN.
    expect(erlangC(forTraffic(5, 2000))).toBe(0);
  });
});

describe('Erlang A', () => {
  const base = { arrivalRatePerHour: 200, ahtSeconds: 180, thresholdSeconds: 20 };

  it('converges to Erlang C with very long patience', () => {
    for (const n of [11, 12, 14, 20]) {
      const r = erlangA({ ...base, agents: n, patienceSeconds: 1e9 });
      const p = { ...base, agents: n };
      expect(Math.abs(r.probWait - erlangC(p))).toBeLessThan(1e-3);
      expect(Math.abs(r.asa - erlangCAsa(p))).toBeLessThan(1e-3 * Math.max(1, erlangCAsa(p)));
      const sl = erlangCServiceLevel(p);
      expect(Math.abs(r.serviceLevel.answeredWithinOverOffered - sl)).toBeLessThan(1e-3);
      expect(Math.abs(r.serviceLevel.answeredWithinOverAnswered - sl)).toBeLessThan(1e-3);
      expect(r.probAbandon).toBeLessThan(1e-3);
      expect(Math.abs(r.occupancy - 10 / n)).toBeLessThan(1e-3);
    }
  });

  it('converges to Erlang C service level at other thresholds', () => {
    for (const t of [0, 5, 60, 300]) {
      const r = erlangA({ ...base, thresholdSeconds: t, agents: 12, patienceSeconds: 1e9 });
      const sl = erlangCServiceLevel({ ...base, thresholdSeconds: t, agents: 12 });
      expect(Math.abs(r.serviceLevel.answeredWithinOverOffered - sl)).toBeLessThan(1e-3);
    }
  });

  it('abandonment grows as patience falls', () => {
    let prev = -1;
    for (const patience of [1e6, 3600, 600, 180, 60, 20, 5]) {
      const r = erlangA({ ...base, agents: 10, patienceSeconds: patience });
      expect(r.probAbandon).toBeGreaterThan(prev);
      prev = r.probAbandon;
    }
  });

  it('keeps every probability in [0, 1], also when overloaded', () => {
    for (const agents of [1, 5, 8, 10, 12, 20]) {
      for (const patience of [5, 60, 300]) {
        const r = erlangA({ ...base, agents, patienceSeconds: patience });
        for (const v of [
          r.probWait,
          r.probAbandon,
          r.occupancy,
          r.serviceLevel.answeredWithinOverOffered,
          r.serviceLevel.answeredWithinOverAnswered,
        ]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(r.serviceLevel.answeredWithinOverOffered).toBeLessThanOrEqual(r.serviceLevel.answeredWithinOverAnswered + 1e-12);
        expect(r.serviceLevel.answeredWithinOverOffered).toBeLessThanOrEqual(1 - r.probAbandon + 1e-9);
        expect(r.serviceLevel.answeredWithinOverOffered).toBeGreaterThanOrEqual(1 - r.probWait - 1e-9);
        expect(r.asa).toBeGreaterThanOrEqual(0);
        expect(r.averageQueueLength).toBeGreaterThanOrEqual(0);
        // Busy agents E[min(n, N)] equal the carried load A·(1 − probAbandon).
        expect(r.occupancy).toBeCloseTo((10 * (1 - r.probAbandon)) / agents, 9);
      }
    }
  });

  it('abandonment from flow balance agrees with the tagged-caller chain', () => {
    // probAbandon = θ·E[Lq]/λ (flow balance) must agree with the tagged-caller
    // chain, whose P(served by t) tends to P(served) = 1 − probAbandon as t → ∞.
    const r = erlangA({ ...base, thresholdSeconds: 1e5, agents: 9, patienceSeconds: 120 });
    expect(r.serviceLevel.answeredWithinOverOffered).toBeCloseTo(1 - r.probAbandon, 8);
    expect(r.serviceLevel.answeredWithinOverAnswered).toBeCloseTo(1, 8);
  });

  it('matches M/M/1+M in closed form', () => {
    // N = 1: π(1+k) ∝ π(1)·Π_{j=1..k} λ/(μ+jθ); check against a direct sum.
    const lambda = 200 / 3600;
    const mu = 1 / 180;
    const theta = 1 / 60;
    let pi = [1, lambda / mu];
    for (let k = 1; k < 400; k++) pi.push((pi[pi.length - 1] ?? 0) * (lambda / (mu + k * theta)));
    const z = pi.reduce((s, v) => s + v, 0);
    pi = pi.map((v) => v / z);
    const probWait = 1 - (pi[0] ?? 0);
    const lq = pi.reduce((s, v, n) => s + Math.max(n - 1, 0) * v, 0);
    const r = erlangA({ ...base, agents: 1, patienceSeconds: 60 });
    expect(r.probWait).toBeCloseTo(probWait, 10);
    expect(r.averageQueueLength).toBeCloseTo(lq, 10);
    expect(r.probAbandon).toBeCloseTo((theta * lq) / lambda, 10);
    expect(r.occupancy).toBeCloseTo(1 - (pi[0] ?? 0), 10);
  });

  it('service level at threshold 0 is the probability of no wait', () => {
    const r = erlangA({ ...base, thresholdSeconds: 0, agents: 11, patienceSeconds: 120 });
    expect(r.serviceLevel.answeredWithinOverOffered).toBeCloseTo(1 - r.probWait, 12);
  });

  it('matches a Monte Carlo estimate of the waiting-time distribution', () => {
    // Simulate the tagged caller's chain directly from the stationary queue
    // distribution: tests the uniformization independently of its algebra.
    const agents = 9;
    const patience = 90;
    const t = 20;
    const r = erlangA({ ...base, thresholdSeconds: t, agents, patienceSeconds: patience });
    const lambda = 200 / 3600;
    const nMu = agents / 180;
    const theta = 1 / patience;
    // Stationary π(N+k) relative weights, k ≥ 0, and the n < N mass.
    const below: number[] = [1];
    for (let n = 1; n < agents; n++) below.push((below[n - 1] ?? 0) * ((lambda * 180) / n));
    const atN = ((below[agents - 1] ?? 0) * (lambda * 180)) / agents;
    const queue = [atN];
    for (let k = 1; k < 300; k++) queue.push((queue[k - 1] ?? 0) * (lambda / (nMu + k * theta)));
    const z = below.reduce((s, v) => s + v, 0) + queue.reduce((s, v) => s + v, 0);
    const pBelow = below.reduce((s, v) => s + v, 0) / z;
    const cdfQueue: number[] = [];
    let acc = pBelow;
    for (const q of queue) {
      acc += q / z;
      cdfQueue.push(acc);
    }
    let seed = 12345; // LCG, so the test is deterministic
    const rand = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed + 0.5) / 4294967296;
    };
    const samples = 200_000;
    let servedWithin = 0;
    for (let i = 0; i < samples; i++) {
      const u = rand();
      if (u < pBelow) {
        servedWithin++; // an agent is free: wait 0
        continue;
      }
      const found = cdfQueue.findIndex((c) => u <= c);
      let j = found < 0 ? queue.length - 1 : found; // callers ahead
      let time = 0;
      for (;;) {
        const rate = nMu + j * theta + theta;
        time += -Math.log(rand()) / rate;
        if (time > t) break;
        if (rand() < theta / rate) break; // the tagged caller abandons
        if (j === 0) {
          servedWithin++;
          break;
        }
        j--;
      }
    }
    const estimate = servedWithin / samples;
    expect(Math.abs(estimate - r.serviceLevel.answeredWithinOverOffered)).toBeLessThan(0.005);
  });

  it('waiting vanishes when agents far exceed the load', () => {
    const r = erlangA({ ...base, agents: 60, patienceSeconds: 120 });
    expect(r.probWait).toBeLessThan(1e-12);
    expect(r.probAbandon).toBeLessThan(1e-12);
    expect(r.asa).toBeLessThan(1e-9);
    expect(r.serviceLevel.answeredWithinOverOffered).toBeCloseTo(1, 12);
    expect(r.occupancy).toBeCloseTo(10 / 60, 10);
  });

  it('stays finite for 2000 agents and A = 1950, and when overloaded', () => {
    const rate = (1950 * 3600) / 180;
    const r = erlangA({ arrivalRatePerHour: rate, ahtSeconds: 180, thresholdSeconds: 20, agents: 2000, patienceSeconds: 120 });
    for (const v of [r.probWait, r.probAbandon, r.asa, r.averageQueueLength, r.occupancy, r.serviceLevel.answeredWithinOverOffered]) {
      expect(Number.isFinite(v)).toBe(true);
    }
    expect(r.probWait).toBeGreaterThan(0);
    expect(r.probWait).toBeLessThan(1);
    const over = erlangA({ arrivalRatePerHour: rate, ahtSeconds: 180, thresholdSeconds: 20, agents: 1800, patienceSeconds: 120 });
    expect(over.probWait).toBeGreaterThan(0.99);
    // Overloaded: the excess λ − Nμ must abandon.
    expect(over.probAbandon).toBeGreaterThan(150 / 1950 - 0.01);
    expect(over.occupancy).toBeGreaterThan(0.99);
    expect(over.occupancy).toBeCloseTo((1950 * (1 - over.probAbandon)) / 1800, 8);
    expect(Number.isFinite(over.asa)).toBe(true);
    const nearC = erlangA({ arrivalRatePerHour: rate, ahtSeconds: 180, thresholdSeconds: 20, agents: 2000, patienceSeconds: 1e9 });
    expect(Math.abs(nearC.probWait - erlangC({ arrivalRatePerHour: rate, ahtSeconds: 180, agents: 2000 }))).toBeLessThan(1e-3);
  });

  it('handles zero traffic and rejects invalid input', () => {
    const r = erlangA({ ...base, arrivalRatePerHour: 0, agents: 1, patienceSeconds: 60 });
    expect(r.probWait).toBe(0);
    expect(r.serviceLevel.answeredWithinOverOffered).toBe(1);
    expect(() => erlangA({ ...base, agents: 0, patienceSeconds: 60 })).toThrow(RangeError);
    expect(() => erlangA({ ...base, agents: 5, patienceSeconds: 0 })).toThrow(RangeError);
    expect(() => erlangA({ ...base, agents: 5, patienceSeconds: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it('agentsNeededErlangA finds the smallest N and is monotone in load', () => {
    const params = { ...base, patienceSeconds: 120, targetServiceLevel: 0.8 };
    const n = agentsNeededErlangA(params);
    const sl = (agents: number): number => erlangA({ ...base, agents, patienceSeconds: 120 }).serviceLevel.answeredWithinOverOffered;
    expect(sl(n)).toBeGreaterThanOrEqual(0.8);
    expect(sl(n - 1)).toBeLessThan(0.8);
    // With patience near infinity it agrees with Erlang C.
    expect(agentsNeededErlangA({ ...params, patienceSeconds: 1e9 })).toBe(14);
    let prev = 0;
    for (let rate = 50; rate <= 1000; rate += 50) {
      const m = agentsNeededErlangA({ ...params, arrivalRatePerHour: rate });
      expect(m).toBeGreaterThanOrEqual(prev);
      prev = m;
    }
  });

  it('agentsNeededErlangA honours the answered basis and the caps', () => {
    const params = { ...base, patienceSeconds: 60, targetServiceLevel: 0.8 };
    const offered = agentsNeededErlangA(params);
    const answered = agentsNeededErlangA({ ...params, serviceLevelBasis: 'answered' });
    expect(answered).toBeLessThanOrEqual(offered);
    const capped = agentsNeededErlangA({ ...params, maxAbandonProbability: 0.001 });
    expect(erlangA({ ...base, agents: capped, patienceSeconds: 60 }).probAbandon).toBeLessThanOrEqual(0.001);
    expect(erlangA({ ...base, agents: capped - 1, patienceSeconds: 60 }).probAbandon > 0.001 || capped === offered).toBe(true);
    const occ = agentsNeededErlangA({ ...params, maxOccupancy: 0.6 });
    expect(erlangA({ ...base, agents: occ, patienceSeconds: 60 }).occupancy).toBeLessThanOrEqual(0.6);
    expect(occ).toBeGreaterThanOrEqual(offered);
  });
});
