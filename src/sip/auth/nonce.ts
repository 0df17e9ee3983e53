/**
 * Stateless server nonces (RFC 7616 §3.3, §5.4): the nonce carries its own
 * issue time, signed with the server secret, so the server remembers nothing
 * per challenge and a restart with the same secret keeps nonces valid.
 *
 *   nonce = base64url( version(1) | issuedAt ms (6, big-endian) | random (12) | mac (16) )
 *   mac   = HMAC-SHA256(secret, "hotline-nonce" 0 realm 0 version|issuedAt|random)[0..16)
 *
 * The realm is inside the MAC so that a nonce from one realm is worthless in
 * another authenticator that happens to share the secret.
 */
import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import type { Millis } from '../../acd/types.ts';

const VERSION = 1;
const TIME_BYTES = 6;
const RANDOM_BYTES = 12;
const MAC_BYTES = 16;
const HEAD_BYTES = 1 + TIME_BYTES + RANDOM_BYTES;
const NONCE_BYTES = HEAD_BYTES + MAC_BYTES;
/** base64url of 35 bytes, without padding. */
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3);

export type NonceCheck =
  | { kind: 'valid'; issuedAt: Millis }
  /** Authentic but too old (or from a clock that has since gone back): answer stale=true if the digest is right. */
  | { kind: 'expired'; issuedAt: Millis }
  /** Not ours: forged, truncated, another realm or another secret. */
  | { kind: 'invalid' };

export class NonceCodec {
  constructor(
    private readonly secret: Buffer,
    private readonly realm: string,
    private readonly ttlMs: Millis,
    private readonly randomBytes: (n: number) => Buffer = cryptoRandomBytes,
  ) {}

  issue(now: Millis): string {
    const buf = Buffer.alloc(NONCE_BYTES);
    buf.writeUInt8(VERSION, 0);
    buf.writeUIntBE(Math.max(0, Math.floor(now)), 1, TIME_BYTES);
    this.randomBytes(RANDOM_BYTES).copy(buf, 1 + TIME_BYTES, 0, RANDOM_BYTES);
    this.mac(buf.subarray(0, HEAD_BYTES)).copy(buf, HEAD_BYTES);
    return buf.toString('base64url');
  }

  check(nonce: string, now: Millis): NonceCheck {
    if (nonce.length !== NONCE_CHARS || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { kind: 'invalid' };
    const buf = Buffer.from(nonce, 'base64url');
    if (buf.length !== NONCE_BYTES || buf.readUInt8(0) !== VERSION) return { kind: 'invalid' };
    const expected = this.mac(buf.subarray(0, HEAD_BYTES));
    if (!timingSafeEqual(expected, buf.subarray(HEAD_BYTES))) return { kind: 'invalid' };
    const issuedAt = buf.readUIntBE(1, TIME_BYTES);
    // A nonce "from the future" can only be ours if the clock went back; treat it like an old one.
    const age = now - issuedAt;
    return age > this.ttlMs || age < -this.ttlMs ? { kind: 'expired', issuedAt } : { kind: 'valid', issuedAt };
  }

  private mac(head: Buffer): Buffer {
    return createHmac('sha256', this.secret)
      .update('hotline-nonce\0')
      .update(this.realm, 'utf8')
      .update('\0')
      .update(head)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}

/** A fixed opaque per realm and secret (RFC 7616 §3.3: returned unchanged by the client). */
export function deriveOpaque(secret: Buffer, realm: string): string {
  return createHmac('sha256', secret).update('hotline-opaque\0').update(realm, 'utf8').digest().subarray(0, 12).toString('base64url');
}
