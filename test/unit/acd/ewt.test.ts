import { describe, expect, it } from 'vitest';
import { AsteriskHoldtime, estimateWaitMs } from '../../../src/acd/ewt.ts';

describe('position-aware EWT', () => {
  const H = 300_000;
  it('is zero while a free agent is left for this caller', () => {
    expect(estimateWaitMs(0, { handleMs: H, free: 1, busyElapsedMs: [] })).toBe(0);
    expect(estimateWaitMs(1, { handleMs: H, free: 2, busyElapsedMs: [100_000] })).toBe(0);
  });
  it('uses the residual time of the agent closest to finishing', () => {
    // Agents 250 s and 60 s into their calls: next free in 50 s, then 240 s.
    const view = { handleMs: H, free: 0, busyElapsedMs: [250_000, 60_000] };
    expect(estimateWaitMs(0, view)).toBe(50_000);
    expect(estimateWaitMs(1, view)).toBe(240_000);
    // Third in line: the first agent's next call ends at 50 + 300 s.
    expect(estimateWaitMs(2, view)).toBe(350_000);
    expect(estimateWaitMs(3, view)).toBe(540_000);
  });
  it('never expects less than a floor for calls running long', () => {
    expect(estimateWaitMs(0, { handleMs: H, free: 0, busyElapsedMs: [900_000] })).toBe(30_000);
  });
  it('grows with position and is unknown without agents', () => {
    const view = { handleMs: H, free: 0, busyElapsedMs: [10_000, 20_000, 30_000, 200_000] };
    let last = -1;
    for (let k = 0; k < 20; k++) {
      const e = estimateWaitMs(k, view) as number;
      expect(e).toBeGreaterThanOrEqual(last);
      last = e;
    }
    expect(estimateWaitMs(0, { handleMs: H, free: 0, busyElapsedMs: [] })).toBeNull();
  });
});

describe('Asterisk holdtime', () => {
  it('is the (3·old + new)/4 moving average', () => {
    const h = new AsteriskHoldtime();
    h.record(40_000); // (0 + 40)/4 = 10
    expect(h.estimateMs()).toBe(10_000);
    h.record(10_000); // (30 + 10)/4 = 10
    expect(h.estimateMs()).toBe(10_000);
    h.record(50_000); // (30 + 50)/4 = 20
    expect(h.estimateMs()).toBe(20_000);
  });
});
