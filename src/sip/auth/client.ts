/**
 * Client side (UAC) of digest authentication, for createUAC and outbound
 * registrations: answer a 401/407 challenge (RFC 3261 §22.2, §22.3; RFC 7616
 * §3.4, §3.7 — use the first challenge whose algorithm we support, preferring
 * SHA-256).
 */
import { randomBytes } from 'node:crypto';
import { digestResponse, ha1 as computeHa1, toDigestAlgorithm, type DigestAlgorithm } from './hash.ts';
import { AuthError } from './errors.ts';
import { formatCredentials, parseDigestChallenges, type DigestChallenge } from './header.ts';

export interface AnswerChallengeInput {
  /** WWW-Authenticate / Proxy-Authenticate value(s) of the response. */
  challenge: string | readonly string[];
  method: string;
  /** The Request-URI of the request being retried. */
  uri: string;
  username: string;
  /** Either the password, or HA1 values (per algorithm) computed for the challenge's realm. */
  password?: string;
  ha1?: Partial<Record<DigestAlgorithm, string>>;
  /** Client nonce; random when absent. */
  cnonce?: string;
  /** Nonce count for this nonce, starting at 1 (RFC 7616 §3.4). Default 1. */
  nc?: number;
}

function preferred(challenges: DigestChallenge[], canAnswer: (a: DigestAlgorithm) => boolean): { c: DigestChallenge; algorithm: DigestAlgorithm } | undefined {
  const usable: Array<{ c: DigestChallenge; algorithm: DigestAlgorithm }> = [];
  for (const c of challenges) {
    const algorithm = toDigestAlgorithm(c.algorithm);
    if (algorithm === undefined || !canAnswer(algorithm)) continue;
    // qop=auth if offered; without any qop only the RFC 2069 MD5 form exists.
    if (c.qop.length > 0 && !c.qop.includes('auth')) continue;
    if (c.qop.length === 0 && algorithm !== 'MD5') continue;
    usable.push({ c, algorithm });
  }
  return usable.find((u) => u.algorithm === 'SHA-256') ?? usable[0];
}

/** The Authorization (or Proxy-Authorization) value answering the challenge. Throws AuthError. */
export function answerChallenge(input: AnswerChallengeInput): string {
  const values = typeof input.challenge === 'string' ? [input.challenge] : input.challenge;
  const challenges = values.flatMap((v) => parseDigestChallenges(v));
  const canAnswer = (a: DigestAlgorithm): boolean => input.password !== undefined || input.ha1?.[a] !== undefined;
  const pick = preferred(challenges, canAnswer);
  if (pick === undefined) throw new AuthError('AUTH_NO_USABLE_CHALLENGE', 'no Digest challenge with MD5 or SHA-256 (qop=auth) that we hold credentials for');

  const { c, algorithm } = pick;
  const ha1 = input.ha1?.[algorithm] ?? computeHa1(algorithm, input.username, c.realm, input.password ?? '');
  const nc = input.nc ?? 1;
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new AuthError('AUTH_BAD_PARAM', 'nc must be an integer from 1 to 2^32-1');
  const qop = c.qop.length > 0 ? 'auth' : undefined;
  const ncHex = nc.toString(16).padStart(8, '0');
  const cnonce = input.cnonce ?? randomBytes(12).toString('base64url');
  const response = digestResponse({ algorithm, ha1, method: input.method, uri: input.uri, nonce: c.nonce, qop, nc: ncHex, cnonce });
  return formatCredentials({
    username: input.username,
    realm: c.realm,
    nonce: c.nonce,
    uri: input.uri,
    response,
    algorithm,
    opaque: c.opaque,
    qop,
    cnonce: qop === undefined ? undefined : cnonce,
    nc: qop === undefined ? undefined : ncHex,
  });
}
