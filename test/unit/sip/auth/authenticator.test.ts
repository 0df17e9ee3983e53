/**
 * The whole verify flow as a phone sees it: challenge, answer, accepted or
 * refused with the status and challenge a real UA needs to recover.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/acd/clock.ts';
import { DigestAuthenticator, type AuthResult } from '../../../../src/sip/auth/authenticator.ts';
import { answerChallenge } from '../../../../src/sip/auth/client.ts';
import { MemoryCredentialStore, type CredentialStore } from '../../../../src/sip/auth/credentials.ts';
import { digestResponse, ha1 } from '../../../../src/sip/auth/hash.ts';
import { AuthError } from '../../../../src/sip/auth/errors.ts';
import { formatCredentials, parseDigestChallenges, parseDigestCredentials } from '../../../../src/sip/auth/header.ts';

const REALM = 'hotline.example';
const URI = 'sip:hotline.example';
const SRC = '198.51.100.7';

function setup(opts: { nonceTtlSeconds?: number; store?: CredentialStore } = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const credentials = new MemoryCredentialStore();
  credentials.setPassword('alice', REALM, 'correct horse');
  const auth = new DigestAuthenticator({
    realm: REALM,
    clock,
    credentials: opts.store ?? credentials,
    secret: 'a-test-secret-of-enough-length',
    ...(opts.nonceTtlSeconds !== undefined ? { nonceTtlSeconds: opts.nonceTtlSeconds } : {}),
  });
  return { clock, auth, credentials };
}

function failure(r: AuthResult): Extract<AuthResult, { ok: false }> {
  if (r.ok) throw new Error('expected a failure');
  return r;
}

/** First round trip of every phone: REGISTER without credentials → 401. */
async function challenged(auth: DigestAuthenticator): Promise<string[]> {
  return failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: undefined, source: SRC })).challenges;
}

function answer(challenges: string[], password = 'correct horse', extra: { nc?: number; uri?: string; username?: string } = {}) {
  return answerChallenge({ challenge: challenges, method: 'REGISTER', uri: extra.uri ?? URI, username: extra.username ?? 'alice', password, nc: extra.nc ?? 1 });
}

describe('DigestAuthenticator.verify', () => {
  it('no Authorization → 401 with SHA-256 then MD5 challenges, sharing realm, nonce, opaque and qop=auth', async () => {
    const { auth } = setup();
    const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: undefined, source: SRC }));
    expect(r).toMatchObject({ status: 401, code: 'missing' });
    expect(r.challenges).toHaveLength(2);
    const cs = r.challenges.flatMap((c) => parseDigestChallenges(c));
    expect(cs.map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    for (const c of cs) expect(c).toMatchObject({ realm: REALM, qop: ['auth'], stale: false, nonce: cs[0]?.nonce, opaque: cs[0]?.opaque });
    expect(r.delayMs).toBeUndefined();
  });

  it('right credentials → ok, with SHA-256 and with MD5', async () => {
    const { auth } = setup();
    const all = await challenged(auth);
    expect(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(all), source: SRC })).toEqual({ ok: true, username: 'alice', algorithm: 'SHA-256' });
    // A fresh challenge: the same nonce with nc=1 again would be a replay.
    const md5Only = (await challenged(auth)).filter((c) => c.includes('algorithm=MD5'));
    expect(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(md5Only), source: SRC })).toEqual({ ok: true, username: 'alice', algorithm: 'MD5' });
  });

  it('accepts the RFC 2069 form (no qop) for MD5 only', async () => {
    const { auth } = setup();
    const [c] = parseDigestChallenges((await challenged(auth))[0] ?? '');
    if (c === undefined) throw new Error('no challenge');
    const creds = (algorithm: 'MD5' | 'SHA-256') =>
      formatCredentials({
        username: 'alice',
        realm: REALM,
        nonce: c.nonce,
        uri: URI,
        algorithm,
        response: digestResponse({ algorithm, ha1: ha1(algorithm, 'alice', REALM, 'correct horse'), method: 'REGISTER', uri: URI, nonce: c.nonce, qop: undefined }),
      });
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: creds('MD5'), source: SRC })).ok).toBe(true);
    expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: creds('SHA-256'), source: SRC }))).toMatchObject({ status: 400, code: 'unsupported' });
  });

  it('wrong password and unknown user → 401 with fresh challenges and the same reason', async () => {
    const { auth } = setup();
    const cs = await challenged(auth);
    const wrong = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(cs, 'tr0ub4dor'), source: SRC }));
    const unknown = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(cs, 'x', { username: 'mallory' }), source: SRC }));
    expect(wrong).toMatchObject({ status: 401, reason: 'Wrong credentials', code: 'wrong-credentials' });
    expect(unknown).toMatchObject({ status: 401, reason: 'Wrong credentials', code: 'unknown-user' });
    expect(wrong.challenges).toHaveLength(2);
    expect(wrong.challenges.join()).not.toContain('stale');
  });

  it('digest computed for another method does not pass (HA2 binds the method)', async () => {
    const { auth } = setup();
    const authorization = answer(await challenged(auth));
    expect(failure(await auth.verify({ method: 'INVITE', uri: URI, authorization, source: SRC })).code).toBe('wrong-credentials');
  });

  it('expired nonce + right password → 401 stale=true; the new nonce then works', async () => {
    const { auth, clock } = setup();
    const authorization = answer(await challenged(auth));
    clock.advance(301_000);
    const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC }));
    expect(r).toMatchObject({ status: 401, code: 'stale-nonce' });
    expect(parseDigestChallenges(r.challenges[0] ?? '')[0]?.stale).toBe(true);
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(r.challenges), source: SRC })).ok).toBe(true);
  });

  it('expired nonce + wrong password → plain 401 (stale only when the digest is right)', async () => {
    const { auth, clock } = setup();
    const authorization = answer(await challenged(auth), 'nope');
    clock.advance(301_000);
    const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC }));
    expect(r.code).toBe('wrong-credentials');
    expect(r.challenges.join()).not.toContain('stale');
  });

  it('a nonce is still good just before its TTL', async () => {
    const { auth, clock } = setup({ nonceTtlSeconds: 30 });
    const authorization = answer(await challenged(auth));
    clock.advance(30_000);
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC })).ok).toBe(true);
  });

  it('forged or unparseable nonce → 401 without stale, even with a digest right for it', async () => {
    const { auth } = setup();
    const [c] = parseDigestChallenges((await challenged(auth))[0] ?? '');
    const real = c?.nonce ?? '';
    const flipped = real.slice(0, 10) + (real[10] === 'A' ? 'B' : 'A') + real.slice(11);
    for (const nonce of [flipped, 'dcd98b7102dd2f0e8b11d0f600bfb0c093', '', '%%%']) {
      const forged = answerChallenge({
        challenge: `Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=SHA-256`,
        method: 'REGISTER',
        uri: URI,
        username: 'alice',
        password: 'correct horse',
      });
      const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: forged, source: SRC }));
      expect(r).toMatchObject({ status: 401, code: 'bad-nonce' });
      expect(r.challenges.join()).not.toContain('stale');
    }
  });

  it('a nonce from another secret or realm is forged', async () => {
    const a = setup();
    const other = new DigestAuthenticator({ realm: REALM, clock: a.clock, credentials: a.credentials, secret: 'another-secret-0123456789' });
    const authorization = answer(await challenged(other));
    expect(failure(await a.auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC })).code).toBe('bad-nonce');
  });

  it('nonces survive a restart with the same secret', async () => {
    const a = setup();
    const authorization = answer(await challenged(a.auth));
    const restarted = new DigestAuthenticator({ realm: REALM, clock: a.clock, credentials: a.credentials, secret: 'a-test-secret-of-enough-length' });
    expect((await restarted.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC })).ok).toBe(true);
  });

  it('nc replay → 401 stale=true; a higher nc on the same nonce → ok', async () => {
    const { auth } = setup();
    const cs = await challenged(auth);
    const first = answer(cs, 'correct horse', { nc: 1 });
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: first, source: SRC })).ok).toBe(true);
    const replay = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: first, source: SRC }));
    expect(replay).toMatchObject({ status: 401, code: 'replay' });
    expect(replay.challenges.join()).toContain('stale=true');
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(cs, 'correct horse', { nc: 3 }), source: SRC })).ok).toBe(true);
    expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(cs, 'correct horse', { nc: 2 }), source: SRC })).code).toBe('replay');
  });

  it('forgetting nonces under memory pressure never reopens a replay', async () => {
    const clock = new ManualClock(1_000_000);
    const credentials = new MemoryCredentialStore();
    credentials.setPassword('alice', REALM, 'pw');
    const auth = new DigestAuthenticator({ realm: REALM, clock, credentials, secret: 'x'.repeat(32), maxTrackedNonces: 2 });
    const used: string[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(1);
      const a = answerChallenge({ challenge: auth.challenge(), method: 'REGISTER', uri: URI, username: 'alice', password: 'pw' });
      expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: a, source: SRC })).ok).toBe(true);
      used.push(a);
    }
    for (const a of used) expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: a, source: SRC })).code).toBe('replay');
  });

  it('wrong realm → 401, digest uri ≠ Request-URI → 400', async () => {
    const { auth } = setup();
    const cs = await challenged(auth);
    const otherRealm = answerChallenge({
      challenge: cs.map((c) => c.replace(`realm="${REALM}"`, 'realm="elsewhere"')),
      method: 'REGISTER',
      uri: URI,
      username: 'alice',
      password: 'correct horse',
    });
    expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: otherRealm, source: SRC }))).toMatchObject({ status: 401, code: 'realm-mismatch' });
    const otherUri = answer(cs, 'correct horse', { uri: 'sip:other.example' });
    const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: otherUri, source: SRC }));
    expect(r).toMatchObject({ status: 400, code: 'uri-mismatch', challenges: [] });
    // Scheme/host case differences are the same resource.
    const upper = answer(cs, 'correct horse', { uri: 'SIP:HOTLINE.example' });
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: upper, source: SRC })).ok).toBe(true);
  });

  it('wrong opaque → 401 like a bad nonce', async () => {
    const { auth } = setup();
    const cs = (await challenged(auth)).map((c) => c.replace(/opaque="[^"]*"/, 'opaque="tampered"'));
    expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: answer(cs), source: SRC })).code).toBe('bad-nonce');
  });

  it('malformed header → 400, Basic → 401, unsupported algorithm → 401, auth-int → 400', async () => {
    const { auth } = setup();
    const nonce = parseDigestChallenges((await challenged(auth))[0] ?? '')[0]?.nonce ?? '';
    const v = async (authorization: string) => failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC }));
    expect(await v('Digest username="alice')).toMatchObject({ status: 400, code: 'malformed', challenges: [] });
    expect(await v('Basic YWxpY2U6cHc=')).toMatchObject({ status: 401, code: 'unsupported' });
    const base = `Digest username="alice", realm="${REALM}", nonce="${nonce}", uri="${URI}", response="${'0'.repeat(32)}"`;
    expect(await v(`${base}, algorithm=MD5-sess, qop=auth, nc=00000001, cnonce="c"`)).toMatchObject({ status: 401, code: 'unsupported' });
    expect(await v(`${base}, qop=auth-int, nc=00000001, cnonce="c"`)).toMatchObject({ status: 400, code: 'unsupported' });
    expect(await v(`${base}, algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c"`)).toMatchObject({ status: 400, code: 'malformed' });
  });

  it('a user provisioned with an MD5 HA1 only is told so when answering SHA-256, and not counted', async () => {
    const { auth, credentials } = setup();
    credentials.set('bob', REALM, { ha1Md5: ha1('MD5', 'bob', REALM, 'pw') });
    const cs = await challenged(auth);
    const sha = answerChallenge({ challenge: cs, method: 'REGISTER', uri: URI, username: 'bob', password: 'pw' });
    expect(failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: sha, source: SRC }))).toMatchObject({ status: 401, code: 'no-credentials-for-algorithm' });
    const md5 = answerChallenge({ challenge: cs.filter((c) => c.includes('MD5')), method: 'REGISTER', uri: URI, username: 'bob', password: 'pw' });
    expect((await auth.verify({ method: 'REGISTER', uri: URI, authorization: md5, source: SRC })).ok).toBe(true);
  });

  it('the credential store failing surfaces as AuthError AUTH_STORE_FAILED', async () => {
    const { auth } = setup({ store: { lookup: () => Promise.reject(new Error('db down')) } });
    const authorization = answer(await challenged(auth));
    await expect(auth.verify({ method: 'REGISTER', uri: URI, authorization, source: SRC })).rejects.toMatchObject({ code: 'AUTH_STORE_FAILED' });
  });

  it('reasons never echo the request', async () => {
    const { auth } = setup();
    const r = failure(await auth.verify({ method: 'REGISTER', uri: URI, authorization: 'Evil\r\nX: y', source: SRC }));
    expect(r.reason).not.toMatch(/Evil|\r|\n/);
  });

  it('rejects bad configuration with AuthError', () => {
    const clock = new ManualClock();
    const credentials = new MemoryCredentialStore();
    expect(() => new DigestAuthenticator({ realm: 'r', clock, credentials, secret: 'short' })).toThrow(AuthError);
    expect(() => new DigestAuthenticator({ realm: 'a\r\nb', clock, credentials })).toThrow(AuthError);
    expect(() => new DigestAuthenticator({ realm: 'r', clock, credentials, failurePolicy: { slowAfter: 30, blockAfter: 20 } })).toThrow(AuthError);
    expect(() => new DigestAuthenticator({ realm: 'r', clock, credentials, algorithms: [] })).toThrow(AuthError);
  });

  it('answerChallenge output round-trips through the credentials parser', async () => {
    const { auth } = setup();
    const c = parseDigestCredentials(answer(await challenged(auth)));
    expect(c).toMatchObject({ username: 'alice', realm: REALM, uri: URI, qop: 'auth', nc: '00000001', algorithm: 'SHA-256' });
  });
});
