/**
 * Password guessing from one address: slowed after 5 failures, blocked after
 * 20, unblocked after the block time — all on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/acd/clock.ts';
import { DigestAuthenticator, type AuthResult } from '../../../../src/sip/auth/authenticator.ts';
import { answerChallenge } from '../../../../src/sip/auth/client.ts';
import { MemoryCredentialStore } from '../../../../src/sip/auth/credentials.ts';
import { FailureTracker } from '../../../../src/sip/auth/failures.ts';

const REALM = 'hotline.example';
const URI = 'sip:hotline.example';
const ATTACKER = '203.0.113.66';
const PHONE = '192.0.2.10';

function setup() {
  const clock = new ManualClock(5_000_000);
  const credentials = new MemoryCredentialStore();
  credentials.setPassword('op1', REALM, 'right');
  const auth = new DigestAuthenticator({ realm: REALM, clock, credentials, secret: 'brute-force-test-secret' });
  const attempt = (password: string, source = ATTACKER): Promise<AuthResult> =>
    auth.verify({
      method: 'REGISTER',
      uri: URI,
      authorization: answerChallenge({ challenge: auth.challenge(), method: 'REGISTER', uri: URI, username: 'op1', password }),
      source,
    });
  return { clock, auth, attempt };
}

const delayOf = (r: AuthResult) => (r.ok ? undefined : r.delayMs);
const statusOf = (r: AuthResult) => (r.ok ? 200 : r.status);

describe('brute-force protection', () => {
  it('delays after 5 failures (doubling, capped at 2 s), blocks at the 20th, unblocks after 300 s', async () => {
    const { clock, auth, attempt } = setup();
    const delays: Array<number | undefined> = [];
    const statuses: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const r = await attempt('guess' + i);
      delays.push(delayOf(r));
      statuses.push(statusOf(r));
      clock.advance(1000);
    }
    expect(delays.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(delays.slice(5, 10)).toEqual([250, 500, 1000, 2000, 2000]);
    expect(statuses.slice(0, 19).every((s) => s === 401)).toBe(true);
    expect(statuses[19]).toBe(403);

    // Blocked: even the right password gets 403, without a challenge.
    const blocked = await attempt('right');
    expect(blocked).toMatchObject({ ok: false, status: 403, challenges: [], reason: 'Blocked after repeated authentication failures' });
    // Requests without credentials too.
    expect(statusOf(await auth.verify({ method: 'REGISTER', uri: URI, authorization: undefined, source: ATTACKER }))).toBe(403);

    // The block started at the 20th failure, one second ago.
    clock.advance(298_000);
    expect(statusOf(await attempt('right'))).toBe(403);
    clock.advance(2_000);
    expect(await attempt('right')).toMatchObject({ ok: true, username: 'op1' });
    // The count starts over after the block.
    expect(delayOf(await attempt('wrong'))).toBeUndefined();
  });

  it('other sources are not affected by an attacker', async () => {
    const { attempt } = setup();
    for (let i = 0; i < 20; i++) await attempt('guess');
    expect(statusOf(await attempt('right', ATTACKER))).toBe(403);
    expect((await attempt('right', PHONE)).ok).toBe(true);
  });

  it('only failures inside the 60 s window count', async () => {
    const { clock, attempt } = setup();
    for (let i = 0; i < 5; i++) await attempt('guess');
    clock.advance(61_000);
    expect(delayOf(await attempt('guess'))).toBeUndefined();
    // A slow guesser (one try every 13 s) never gets past 5 in the window.
    for (let i = 0; i < 50; i++) {
      clock.advance(13_000);
      const r = await attempt('guess');
      expect(statusOf(r)).toBe(401);
      expect(delayOf(r)).toBeUndefined();
    }
  });

  it('a success resets the count', async () => {
    const { attempt } = setup();
    for (let i = 0; i < 5; i++) await attempt('typo');
    expect((await attempt('right')).ok).toBe(true);
    expect(delayOf(await attempt('typo'))).toBeUndefined();
  });

  it('challenges and stale nonces are not failures', async () => {
    const { clock, auth, attempt } = setup();
    for (let i = 0; i < 30; i++) {
      expect(statusOf(await auth.verify({ method: 'REGISTER', uri: URI, authorization: undefined, source: ATTACKER }))).toBe(401);
    }
    const old = answerChallenge({ challenge: auth.challenge(), method: 'REGISTER', uri: URI, username: 'op1', password: 'right' });
    clock.advance(400_000);
    for (let i = 0; i < 30; i++) {
      const r = await auth.verify({ method: 'REGISTER', uri: URI, authorization: old, source: ATTACKER });
      expect(r).toMatchObject({ status: 401, code: 'stale-nonce' });
      expect(delayOf(r)).toBeUndefined();
    }
    expect((await attempt('right')).ok).toBe(true);
  });

  it('memory stays bounded under a flood of distinct sources', () => {
    const t = new FailureTracker({ maxSources: 100 });
    for (let i = 0; i < 10_000; i++) t.recordFailure(`10.0.${i >> 8}.${i & 255}`, 1000 + i);
    expect(t.trackedSources).toBeLessThanOrEqual(100);
  });

  it('entries whose window has passed are pruned as new failures arrive', () => {
    const t = new FailureTracker({ maxSources: 1000 });
    for (let i = 0; i < 50; i++) t.recordFailure(`10.0.0.${i}`, 0);
    for (let i = 0; i < 20; i++) t.recordFailure(`10.1.0.${i}`, 120_000);
    // Each new failure prunes up to 4 stale entries: 20 failures clear all 50 old ones.
    expect(t.trackedSources).toBe(20);
  });
});

