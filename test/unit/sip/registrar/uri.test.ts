import { describe, expect, it } from 'vitest';
import { canonicalAor, contactKey } from '../../../../src/sip/registrar/uri.ts';

describe('canonicalAor (RFC 3261 §10.3 step 5)', () => {
  it.each([
    ['sip:alice@example.com', 'sip:alice@example.com'],
    ['SIP:alice@EXAMPLE.com', 'sip:alice@example.com'],
    ['sips:alice@example.com', 'sip:alice@example.com'],
    ['sip:alice@example.com;transport=tcp;user=phone', 'sip:alice@example.com'],
    ['sip:alice:secret@example.com', 'sip:alice@example.com'],
    ['sip:alice@example.com?subject=x', 'sip:alice@example.com'],
    ['<sip:alice@example.com>', 'sip:alice@example.com'],
    ['sip:%61lice@example.com', 'sip:alice@example.com'],
    ['sip:a%20b@example.com', 'sip:a%20b@example.com'],
    ['sip:+7495;phone-context=x@example.com', 'sip:+7495;phone-context=x@example.com'],
    ['sip:alice@example.com:5070', 'sip:alice@example.com:5070'],
    ['sip:alice@[2001:DB8::1]', 'sip:alice@[2001:db8::1]'],
    ['sip:Alice@example.com', 'sip:Alice@example.com'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalAor(input)).toBe(expected);
  });

  it.each(['tel:+15551234', 'sip:example.com', 'sip:@example.com', 'sip:a@', 'sip:a@exa mple.com', 'sip:%zz@example.com', 'http://x'])('%s is not an AOR', (input) => {
    expect(canonicalAor(input)).toBeUndefined();
  });
});

describe('contactKey (RFC 3261 §19.1.4)', () => {
  const same = (a: string, b: string) => contactKey(a) === contactKey(b);
  it('equal URIs', () => {
    expect(same('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(same('sip:carol@chicago.com;security=on;newparam=5', 'sip:carol@chicago.com;newparam=5;security=on')).toBe(true);
  });
  it('different URIs', () => {
    expect(same('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(same('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(same('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(same('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
  });
});
