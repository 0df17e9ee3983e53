/**
 * Server side of SIP digest authentication (RFC 3261 §22.1–§22.4, §26.3.2.4;
 * RFC 2617; RFC 7616). One instance per realm. Stateless nonces, per-nonce
 * replay tracking for qop=auth, brute-force slowing and blocking per source.
 *
 * The SIP layer calls `verify()` for every request it wants authenticated
 * (not ACK or CANCEL, RFC 3261 §22.1) and turns the result into a response:
 *   ok            → go on
 *   401 + challenges → one WWW-Authenticate per value (a proxy sends 407 and
 *                   Proxy-Authenticate with the same values, §22.3)
 *   400 / 403     → that status, no challenge
 * and waits `delayMs` before sending a failure response when it is set.
 *
 * Order of the checks (each line names what it protects):
 *   blocked source → 403 (no work for a blocked attacker)
 *   no credentials → 401, not counted (the first REGISTER of every phone)
 *   unparseable / unsupported qop, userhash, algorithm → 400 or 401, counted
 *   realm ≠ ours → 401 (RFC 3261 §22.4: the client may have a stale realm)
 *   digest uri ≠ Request-URI → 400 (RFC 2617 §3.2.2.5)
 *   nonce or opaque not ours → 401 without stale, counted
 *   unknown user / wrong digest → 401, counted (same reason for both)
 *   nonce expired, digest right → 401 stale=true, not counted (RFC 7616 §3.3)
 *   nc not increasing (qop=auth) → 401 stale=true, not counted (RFC 7616 §5.11)
 *   otherwise → ok, and the source's failure count is reset
 */
import { randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock, Millis } from '../../acd/types.ts';
import { storedHa1, type CredentialStore } from './credentials.ts';
import { DIGEST_ALGORITHMS, DIGEST_HEX_LENGTH, digestResponse, hashHex, toDigestAlgorithm, type DigestAlgorithm } from './hash.ts';
import { AuthError } from './errors.ts';
import { FailureTracker, type FailurePolicy } from './failures.ts';
import { formatChallenge, parseDigestCredentials, type DigestCredentials } from './header.ts';
import { NonceCodec, deriveOpaque } from './nonce.ts';
import { NonceCountTracker } from './replay.ts';

export interface DigestAuthenticatorOptions {
  realm: string;
  clock: Clock;
  credentials: CredentialStore;
  /**
   * HMAC key for nonces, at least 16 bytes. Give a persistent one: with the
   * default (random per process) every nonce becomes invalid on restart and
   * phones get a plain 401 — most retry, some show "wrong password".
   */
  secret?: string | Buffer;
  /** Nonce lifetime. Default 300 s. */
  nonceTtlSeconds?: number;
  failurePolicy?: Partial<FailurePolicy>;
  /** Challenges offered, in order of preference. Default SHA-256 then MD5 (RFC 7616 §3.7). */
  algorithms?: readonly DigestAlgorithm[];
  /** Check the digest uri against the Request-URI (RFC 2617 §3.2.2.5). Default true; turn off only behind an SBC that rewrites the Request-URI. */
  checkUri?: boolean;
  /** Nonces whose nc is remembered at most (LRU). Default 10 000. */
  maxTrackedNonces?: number;
  /** Randomness for nonces; injectable for deterministic tests. */
  randomBytes?: (n: number) => Buffer;
}

export interface AuthRequest {
  method: string;
  /** The Request-URI as written on the request line. */
  uri: string;
  /** The Authorization (or Proxy-Authorization) header value for our realm, if any. */
  authorization: string | undefined;
  /** Source IP address of the request (the transport's, not a Via). */
  source: string;
}

/** Why a request failed; stable, for metrics labels and logs. */
export type AuthFailureCode =
  | 'missing'
  | 'malformed'
  | 'unsupported'
  | 'realm-mismatch'
  | 'uri-mismatch'
  | 'bad-nonce'
  | 'unknown-user'
  | 'wrong-credentials'
  | 'no-credentials-for-algorithm'
  | 'stale-nonce'
  | 'replay'
  | 'blocked';

export type AuthResult =
  | { ok: true; username: string; algorithm: DigestAlgorithm }
  | {
      ok: false;
      status: 401 | 403 | 400;
      /** WWW-Authenticate values (one per algorithm offered); empty for 400 and 403. */
      challenges: string[];
      /** Fixed text, never echoes the request: safe as a SIP reason phrase or a log field. */
      reason: string;
      code: AuthFailureCode;
      /** Present when the source is being slowed: wait this long before sending the response. */
      delayMs?: number;
    };

type Failure = Extract<AuthResult, { ok: false }>;

const BLOCKED = 'Blocked after repeated authentication failures';

export class DigestAuthenticator {
  readonly realm: string;
  private readonly clock: Clock;
  private readonly credentials: CredentialStore;
  private readonly ttlMs: Millis;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly checkUri: boolean;
  private readonly nonces: NonceCodec;
  private readonly opaque: string;
  private readonly failures: FailureTracker;
  private readonly counts: NonceCountTracker;
  private lastPrune: Millis;

  constructor(opts: DigestAuthenticatorOptions) {
    if (opts.realm === '' || /[\x00-\x1f\x7f]/.test(opts.realm)) throw new AuthError('AUTH_BAD_CONFIG', 'realm must be non-empty and free of control characters');
    const secret = opts.secret === undefined ? cryptoRandomBytes(32) : Buffer.isBuffer(opts.secret) ? opts.secret : Buffer.from(opts.secret, 'utf8');
    if (secret.length < 16) throw new AuthError('AUTH_BAD_CONFIG', 'secret must be at least 16 bytes');
    const ttl = opts.nonceTtlSeconds ?? 300;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new AuthError('AUTH_BAD_CONFIG', 'nonceTtlSeconds must be positive');
    const algorithms = opts.algorithms ?? DIGEST_ALGORITHMS;
    if (algorithms.length === 0 || algorithms.some((a) => !DIGEST_ALGORITHMS.includes(a))) throw new AuthError('AUTH_BAD_CONFIG', 'algorithms must be a non-empty list of MD5 / SHA-256');

    this.realm = opts.realm;
    this.clock = opts.clock;
    this.credentials = opts.credentials;
    this.ttlMs = ttl * 1000;
    this.algorithms = [...new Set(algorithms)];
    this.checkUri = opts.checkUri ?? true;
    this.nonces = new NonceCodec(secret, opts.realm, this.ttlMs, opts.randomBytes);
    this.opaque = deriveOpaque(secret, opts.realm);
    this.failures = new FailureTracker(opts.failurePolicy);
    this.counts = new NonceCountTracker(opts.maxTrackedNonces ?? 10_000);
    this.lastPrune = this.clock.now();
  }

  /** Fresh WWW-Authenticate values, one per algorithm offered (RFC 7616 §3.7: preferred first). */
  challenge(opts: { stale?: boolean } = {}): string[] {
    const nonce = this.nonces.issue(this.clock.now());
    return this.algorithms.map((algorithm) =>
      formatChallenge({ realm: this.realm, nonce, opaque: this.opaque, algorithm, stale: opts.stale === true }),
    );
  }

  async verify(req: AuthRequest): Promise<AuthResult> {
    const now = this.clock.now();
    this.pruneNonceCounts(now);
    if (this.failures.check(req.source, now).blocked) return { ok: false, status: 403, challenges: [], reason: BLOCKED, code: 'blocked' };
    if (req.authorization === undefined || req.authorization.trim() === '') return this.refuse('missing', 'Authentication required');

    let creds: DigestCredentials;
    try {
      creds = parseDigestCredentials(req.authorization);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return err.code === 'AUTH_UNSUPPORTED_SCHEME'
        ? this.fail(req.source, now, 401, 'unsupported', 'Digest authentication required')
        : this.fail(req.source, now, 400, 'malformed', 'Malformed Authorization header');
    }

    const algorithm = toDigestAlgorithm(creds.algorithm);
    if (algorithm === undefined || !this.algorithms.includes(algorithm)) return this.fail(req.source, now, 401, 'unsupported', 'Unsupported digest algorithm');
    if (creds.userhash) return this.fail(req.source, now, 400, 'unsupported', 'userhash is not supported');
    if (creds.qop !== undefined && creds.qop !== 'auth') return this.fail(req.source, now, 400, 'unsupported', 'Unsupported qop');
    // RFC 7616 keeps the qop-less RFC 2069 form only for backward compatibility, i.e. MD5.
    if (creds.qop === undefined && algorithm !== 'MD5') return this.fail(req.source, now, 400, 'unsupported', 'qop=auth required with SHA-256');
    if (creds.response.length !== DIGEST_HEX_LENGTH[algorithm]) return this.fail(req.source, now, 400, 'malformed', 'Malformed digest response');
    if (creds.realm !== this.realm) return this.fail(req.source, now, 401, 'realm-mismatch', 'Unknown realm');
    if (this.checkUri && !sameUri(creds.uri, req.uri)) return this.fail(req.source, now, 400, 'uri-mismatch', 'Digest uri does not match the Request-URI');

    const nonce = this.nonces.check(creds.nonce, now);
    if (nonce.kind === 'invalid' || (creds.opaque !== undefined && creds.opaque !== this.opaque)) {
      return this.fail(req.source, now, 401, 'bad-nonce', 'Invalid nonce');
    }

    const stored = await this.lookup(creds.username);
    const ha1 = stored === undefined ? undefined : storedHa1(stored, algorithm);
    if (stored !== undefined && ha1 === undefined) {
      // Provisioning gap, not a guess: the user has no HA1 for this algorithm.
      return this.refuse('no-credentials-for-algorithm', `No ${algorithm} credentials for this user`);
    }
    // For an unknown user, hash anyway against a dummy HA1 so both paths cost the same.
    const expected = digestResponse({
      algorithm,
      ha1: ha1 ?? hashHex(algorithm, `\0${creds.username}`),
      method: req.method,
      uri: creds.uri,
      nonce: creds.nonce,
      qop: creds.qop === 'auth' ? 'auth' : undefined,
      nc: creds.nc,
      cnonce: creds.cnonce,
    });
    const match = timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(creds.response, 'latin1'));
    if (ha1 === undefined) return this.fail(req.source, now, 401, 'unknown-user', 'Wrong credentials');
    if (!match) return this.fail(req.source, now, 401, 'wrong-credentials', 'Wrong credentials');

    // The digest is right: from here on a refusal only asks for a fresh nonce.
    if (nonce.kind === 'expired') return this.refuse('stale-nonce', 'Stale nonce', true);
    if (creds.qop === 'auth') {
      const nc = parseInt(creds.nc ?? '0', 16);
      if (nc === 0 || !this.counts.accept(creds.nonce, nonce.issuedAt, nc)) return this.refuse('replay', 'Nonce count replayed', true);
    }
    this.failures.recordSuccess(req.source);
    return { ok: true, username: creds.username, algorithm };
  }

  /** 401 with fresh challenges, not counted as a failure. */
  private refuse(code: Failure['code'], reason: string, stale = false): Failure {
    return { ok: false, status: 401, challenges: this.challenge({ stale }), reason, code };
  }

  /** A counted failure: may slow or block the source. */
  private fail(source: string, now: Millis, status: 400 | 401, code: Failure['code'], reason: string): Failure {
    const verdict = this.failures.recordFailure(source, now);
    if (verdict.blocked) return { ok: false, status: 403, challenges: [], reason: BLOCKED, code: 'blocked' };
    const result: Failure = { ok: false, status, challenges: status === 401 ? this.challenge() : [], reason, code };
    if (verdict.delayMs > 0) result.delayMs = verdict.delayMs;
    return result;
  }

  private async lookup(username: string): ReturnType<CredentialStore['lookup']> {
    try {
      return await this.credentials.lookup(username, this.realm);
    } catch (cause) {
      throw new AuthError('AUTH_STORE_FAILED', 'credential store lookup failed', { cause });
    }
  }

  /** Once per nonce lifetime, forget nc records of nonces that have expired anyway. */
  private pruneNonceCounts(now: Millis): void {
    if (now - this.lastPrune < this.ttlMs) return;
    this.lastPrune = now;
    this.counts.prune(now - this.ttlMs);
  }
}

/**
 * RFC 2617 §3.2.2.5: the digest-uri must name the Request-URI. Exact match,
 * or equal ignoring case (scheme and host are case-insensitive, and clients
 * differ in how they spell them); anything else is a different resource.
 */
function sameUri(digestUri: string, requestUri: string): boolean {
  return digestUri === requestUri || digestUri.toLowerCase() === requestUri.toLowerCase();
}
