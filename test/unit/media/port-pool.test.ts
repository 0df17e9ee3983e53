import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/errors.ts';
import { RtpPortPool } from '../../../src/media/rtp/port-pool.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return (err as MediaError).code;
  }
  throw new Error('expected a MediaError');
}

describe('RtpPortPool', () => {
  it('hands out even ports, each with its RTCP port + 1 inside the range', () => {
    const pool = new RtpPortPool(30000, 30009);
    expect(pool.capacity).toBe(5);
    const ports = [pool.take(), pool.take(), pool.take(), pool.take(), pool.take()];
    expect(ports).toEqual([30000, 30002, 30004, 30006, 30008]);
    for (const p of ports) {
      expect(p % 2).toBe(0);
      expect(p + 1).toBeLessThanOrEqual(pool.last);
    }
    expect(pool.inUse).toBe(5);
  });

  it('an odd first port starts at the next even one; an even last port is not used (no room for its RTCP)', () => {
    const pool = new RtpPortPool(30001, 30008);
    expect(pool.first).toBe(30002);
    expect(pool.capacity).toBe(3);
    expect([pool.take(), pool.take(), pool.take()]).toEqual([30002, 30004, 30006]);
    expect(codeOf(() => pool.take())).toBe('MEDIA_PORTS_EXHAUSTED');
  });

  it('reuses released ports round-robin: a port just released comes back last', () => {
    const pool = new RtpPortPool(30000, 30007); // 4 pairs
    const a = pool.take(); // 30000
    const b = pool.take(); // 30002
    pool.release(a);
    // Not 30000 again at once: a late packet of the old call must not reach the new one.
    expect(pool.take()).toBe(30004);
    expect(pool.take()).toBe(30006);
    // Wrapped around: 30000 is free again, 30002 is still in use.
    expect(pool.take()).toBe(30000);
    expect(codeOf(() => pool.take())).toBe('MEDIA_PORTS_EXHAUSTED');
    pool.release(b);
    expect(pool.take()).toBe(30002);
    expect(pool.inUse).toBe(4);
  });

  it('throws MEDIA_PORTS_EXHAUSTED naming the range when every pair is in use', () => {
    const pool = new RtpPortPool(30000, 30003);
    pool.take();
    pool.take();
    let err: unknown;
    try {
      pool.take();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('MEDIA_PORTS_EXHAUSTED');
    expect((err as MediaError).message).toContain('30000-30003');
  });

  it('releasing a port that is not in use changes nothing', () => {
    const pool = new RtpPortPool(30000, 30003);
    pool.release(30000);
    pool.release(12345);
    expect(pool.inUse).toBe(0);
    expect([pool.take(), pool.take()]).toEqual([30000, 30002]);
  });

  it('refuses ranges that are not ports or hold no pair', () => {
    expect(codeOf(() => new RtpPortPool(80, 30000))).toBe('MEDIA_BAD_ARGUMENT');
    expect(codeOf(() => new RtpPortPool(30000, 70000))).toBe('MEDIA_BAD_ARGUMENT');
    expect(codeOf(() => new RtpPortPool(30000, 30001))).toBe('MEDIA_BAD_ARGUMENT');
    expect(codeOf(() => new RtpPortPool(30000.5, 30010))).toBe('MEDIA_BAD_ARGUMENT');
  });
});
