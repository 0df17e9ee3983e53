/**
 * The digest computations of RFC 2617 §3.2.2 / RFC 7616 §3.4.1–§3.4.3, for
 * qop=auth and for the RFC 2069 form without qop. Only the non-session
 * algorithms: SIP phones use MD5 or SHA-256; "-sess" variants and auth-int
 * are never offered, so never accepted.
 */
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** Hex length of each algorithm's output: used to reject a response of the wrong size early. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { MD5: 32, 'SHA-256': 64 };

const NODE_NAME: Readonly<Record<DigestAlgorithm, string>> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** H(data) as lower-case hex; strings are hashed as UTF-8 (RFC 7616 §4: charset=UTF-8). */
export function hashHex(algorithm: DigestAlgorithm, data: string): string {
  return createHash(NODE_NAME[algorithm]).update(data, 'utf8').digest('hex');
}

/** The algorithm named by a challenge/credentials `algorithm` param, or undefined if we do not do it. RFC 7616 §3.3: absent means MD5. */
export function toDigestAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  const v = value.toUpperCase();
  return v === 'MD5' || v === 'SHA-256' ? v : undefined;
}

/** HA1 = H(username ":" realm ":" password) — RFC 7616 §3.4.2. What the credential store keeps instead of the password. */
export function ha1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** HA2 = H(method ":" digest-uri) — RFC 7616 §3.4.3 for qop=auth (and RFC 2069). */
export function ha2(algorithm: DigestAlgorithm, method: string, uri: string): string {
  return hashHex(algorithm, `${method}:${uri}`);
}

export interface ResponseInput {
  algorithm: DigestAlgorithm;
  /** Hex HA1 of the algorithm. */
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  /** 'auth', or undefined for the RFC 2069 form. */
  qop: 'auth' | undefined;
  /** 8 hex digits; required with qop. */
  nc?: string | undefined;
  /** Required with qop. */
  cnonce?: string | undefined;
}

/**
 * request-digest (RFC 7616 §3.4.1):
 *   qop=auth:  KD(HA1, nonce:nc:cnonce:qop:HA2)
 *   no qop:    KD(HA1, nonce:HA2)                (RFC 2069, RFC 2617 §3.2.2.1)
 * where KD(secret, data) = H(secret ":" data).
 */
export function digestResponse(input: ResponseInput): string {
  const h2 = ha2(input.algorithm, input.method, input.uri);
  const data =
    input.qop === 'auth'
      ? `${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:auth:${h2}`
      : `${input.nonce}:${h2}`;
  return hashHex(input.algorithm, `${input.ha1.toLowerCase()}:${data}`);
}
