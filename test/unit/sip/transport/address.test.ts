import { describe, expect, it } from 'vitest';
import { canonicalIp, ipFamily } from '../../../../src/sip/transport/address.ts';

describe('canonicalIp: one registry key per peer', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it('rejects names and garbage', () => {
    for (const bad of ['example.com', '', '[]', '1.2.3', '::g']) expect(canonicalIp(bad)).toBeUndefined();
  });

  it('tells the family, brackets allowed', () => {
    expect([ipFamily('10.0.0.1'), ipFamily('[::1]'), ipFamily('::1'), ipFamily('pbx.example.com')]).toEqual([4, 6, 6, 0]);
  });
});
