/**
 * Client transactions (RFC 3261 §17.1, RFC 6026 §7.2) driven through the
 * TransactionLayer on a fake clock: exact retransmission times, timeouts,
 * the ACK for a non-2xx final, and what reaches the transaction user.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipRequest } from '../../../../src/sip/message/index.ts';
import { BOB_TCP, BOB_UDP, ClientUser, outgoingText, parseRequest, parseResponse, responseText, setupLayer, T1, T2, T4 } from './helpers.ts';

/** Start an INVITE client transaction (UDP unless said otherwise). */
function startInvite(opts: { tcp?: boolean; routes?: string[] } = {}) {
  const f = setupLayer();
  const user = new ClientUser();
  const invite = parseRequest(outgoingText({ routes: opts.routes ?? [] }));
  const tx = f.layer.sendRequest(invite, opts.tcp === true ? BOB_TCP : BOB_UDP, user);
  const feed = (status: number, reason: string, toTag?: string): void =>
    f.layer.receiveResponse(parseResponse(responseText(status, reason, toTag === undefined ? {} : { toTag })), { protocol: 'udp', address: '203.0.113.20', port: 5060 });
  return { ...f, user, invite, tx, feed };
}

function startNonInvite(opts: { tcp?: boolean } = {}) {
  const f = setupLayer();
  const user = new ClientUser();
  const bye = parseRequest(outgoingText({ method: 'BYE', branch: 'z9hG4bK-bye-1', cseq: 2 }));
  const tx = f.layer.sendRequest(bye, opts.tcp === true ? BOB_TCP : BOB_UDP, user);
  const feed = (status: number, reason: string): void =>
    f.layer.receiveResponse(parseResponse(responseText(status, reason, { branch: 'z9hG4bK-bye-1', method: 'BYE', cseq: 2, toTag: 'bob-1' })), { protocol: 'udp', address: '203.0.113.20', port: 5060 });
  return { ...f, user, tx, feed };
}

describe('INVITE client transaction over UDP (§17.1.1)', () => {
  it('retransmits on Timer A at T1, 2T1, 4T1… and times out once on Timer B = 64·T1', () => {
    const { clock, sender, user, layer, tx } = startInvite();
    expect(tx.state).toBe('calling');
    clock.advance(64 * T1 - 1);
    // Sent at 0, then A fires at 500, 1500, 3500, 7500, 15500, 31500 (intervals 500, 1000, 2000, 4000, 8000, 16000).
    expect(sender.timesOf('INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(user.timeouts).toBe(0);

    clock.advance(1); // 32 000 ms: Timer B
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
    expect(layer.counters.timeouts).toBe(1);

    clock.advance(120_000);
    expect(sender.timesOf('INVITE')).toHaveLength(7); // no retransmission after the timeout
    expect(user.timeouts).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('every retransmission carries the very same bytes', () => {
    const { clock, sender, invite } = startInvite();
    clock.advance(4000);
    const all = sender.sent.map((s) => s.data.toString('utf8'));
    expect(all).toHaveLength(4);
    for (const text of all) expect(text).toBe(invite.toBuffer().toString('utf8'));
    for (const s of sender.sent) expect(s.dest).toEqual(BOB_UDP);
  });

  it('a 100 stops retransmission (Proceeding); Timer B no longer applies there, Timer C (181 s) does', () => {
    const { clock, sender, user, layer, tx, feed } = startInvite();
    clock.advance(700); // one retransmission at 500
    feed(100, 'Trying');
    expect(tx.state).toBe('proceeding');
    expect(user.statuses()).toEqual([100]);

    clock.advance(64 * T1 + 10_000); // well past where Timer B would have fired
    expect(sender.timesOf('INVITE')).toEqual([0, 500]);
    expect(user.timeouts).toBe(0);
    expect(layer.size.client).toBe(1);

    clock.advance(700 + 181_000 - 1 - clock.now());
    expect(user.timeouts).toBe(0);
    clock.advance(1); // 181 s after the 100
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
  });

  it('a further provisional restarts Timer C', () => {
    const { clock, user, feed } = startInvite();
    feed(180, 'Ringing', 'bob-1');
    clock.advance(100_000);
    feed(183, 'Session Progress', 'bob-1');
    clock.advance(180_999);
    expect(user.timeouts).toBe(0);
    clock.advance(1);
    expect(user.timeouts).toBe(1);
    expect(user.statuses()).toEqual([180, 183]);
  });

  it('180 then 486: the transaction ACKs per §17.1.1.3 and passes the 486 up once', () => {
    const routes = ['<sip:proxy1.example.net;lr>', '<sip:proxy2.example.net;lr>'];
    const { clock, sender, user, invite, tx, feed } = startInvite({ routes });
    feed(180, 'Ringing', 'bob-1');
    clock.advance(2000);
    feed(486, 'Busy Here', 'bob-1');
    expect(tx.state).toBe('completed');
    expect(user.statuses()).toEqual([180, 486]);

    const acks = sender.parsed('ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0] as SipRequest;
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe(invite.uri);
    expect(ack.headers.getAll('via')).toEqual([invite.headers.getAll('via')[0]]); // one Via: the INVITE's top Via, same branch
    expect(ack.topVia()?.params.get('branch')).toBe('z9hG4bK-out-1');
    expect(ack.to().params.get('tag')).toBe('bob-1'); // To from the response, with its tag
    expect(ack.from().params.get('tag')).toBe('our-tag');
    expect(ack.callId()).toBe(invite.callId());
    expect(ack.cseq()).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.headers.getAll('route')).toEqual(routes);
    expect(ack.body.length).toBe(0);
    expect(sender.last().dest).toEqual(BOB_UDP); // where the INVITE went
  });

  it('a retransmitted 486 makes the ACK go out again but is not passed up again', () => {
    const { clock, sender, user, feed } = startInvite();
    feed(486, 'Busy Here', 'bob-1');
    clock.advance(1000);
    feed(486, 'Busy Here', 'bob-1');
    feed(486, 'Busy Here', 'bob-1');
    const acks = sender.sent.filter((s) => s.data.toString('utf8').startsWith('ACK '));
    expect(acks).toHaveLength(3);
    expect(new Set(acks.map((a) => a.data.toString('utf8'))).size).toBe(1);
    expect(user.statuses()).toEqual([486]);
  });

  it('Timer D keeps the Completed transaction 32 s over UDP, then it is gone', () => {
    const { clock, layer, tx, feed, user } = startInvite();
    feed(486, 'Busy Here', 'bob-1');
    clock.advance(32_000 - 1);
    expect(layer.size.client).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
    expect(user.timeouts).toBe(0); // Timer D is no timeout
    // A late 486 is now a stray response.
    feed(486, 'Busy Here', 'bob-1');
    expect(user.statuses()).toEqual([486]);
  });

  it('200 → Accepted (RFC 6026): every 2xx retransmission reaches the user, no ACK from the transaction, Timer M = 64·T1', () => {
    const { clock, sender, user, layer, tx, feed } = startInvite();
    feed(180, 'Ringing', 'bob-1');
    feed(200, 'OK', 'bob-1');
    expect(tx.state).toBe('accepted');
    clock.advance(T1);
    feed(200, 'OK', 'bob-1');
    clock.advance(2 * T1);
    feed(200, 'OK', 'bob-1');
    expect(user.statuses()).toEqual([180, 200, 200, 200]);
    expect(sender.lines().filter((l) => l.startsWith('ACK'))).toEqual([]); // the TU ACKs a 2xx (§13.2.2.4)
    expect(sender.timesOf('INVITE')).toEqual([0]); // no retransmission once answered
    // A 486 in Accepted is absorbed.
    feed(486, 'Busy Here', 'other-fork');
    expect(user.statuses()).toHaveLength(4);

    clock.advance(64 * T1 - 3 * T1 - 1);
    expect(layer.size.client).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
    feed(200, 'OK', 'bob-1');
    expect(user.statuses()).toHaveLength(4);
    expect(layer.counters.strayResponses).toBe(1);
  });
});

describe('INVITE client transaction over TCP', () => {
  it('has no Timer A but still Timer B', () => {
    const { clock, sender, user } = startInvite({ tcp: true });
    clock.advance(64 * T1 - 1);
    expect(sender.timesOf('INVITE')).toEqual([0]);
    expect(sender.last().dest.protocol).toBe('tcp');
    clock.advance(1);
    expect(user.timeouts).toBe(1);
  });

  it('Timer D is 0: Completed ends as soon as the clock moves', () => {
    const { clock, sender, layer, tx, feed } = startInvite({ tcp: true });
    feed(603, 'Decline', 'bob-1');
    expect(sender.lines().filter((l) => l.startsWith('ACK'))).toHaveLength(1);
    clock.advance(0);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
  });
});

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('Timer E doubles up to T2 (500, 1000, 2000, 4000, 4000…) and Timer F = 64·T1 times out once', () => {
    const { clock, sender, user, layer, tx } = startNonInvite();
    clock.advance(64 * T1 - 1);
    const times = sender.timesOf('BYE');
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(Math.max(...gaps)).toBe(T2);
    expect(user.timeouts).toBe(0);
    clock.advance(1);
    expect(user.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
    clock.advance(60_000);
    expect(sender.timesOf('BYE')).toHaveLength(11);
    expect(user.timeouts).toBe(1);
  });

  it('in Proceeding Timer E is reset to T2 when it fires; Timer F still applies', () => {
    const { clock, sender, user, tx, feed } = startNonInvite();
    clock.advance(600); // retransmitted at 500; E is now 1000 → fires at 1500
    feed(100, 'Trying');
    expect(tx.state).toBe('proceeding');
    expect(user.statuses()).toEqual([100]);
    clock.advance(20_000 - 600);
    expect(sender.timesOf('BYE')).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500]);
    clock.advance(64 * T1 - 20_000);
    expect(user.timeouts).toBe(1);
  });

  it('a final response → Completed; Timer K = T4 over UDP; retransmitted finals are absorbed', () => {
    const { clock, sender, user, layer, tx, feed } = startNonInvite();
    clock.advance(600);
    feed(200, 'OK');
    expect(tx.state).toBe('completed');
    expect(user.statuses()).toEqual([200]);
    feed(200, 'OK');
    clock.advance(T4 - 1);
    feed(200, 'OK');
    expect(user.statuses()).toEqual([200]);
    expect(sender.timesOf('BYE')).toEqual([0, 500]); // no retransmission once Completed
    expect(layer.size.client).toBe(1);
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
    expect(user.timeouts).toBe(0);
  });

  it('over TCP: no Timer E, Timer K = 0', () => {
    const { clock, sender, layer, tx, feed, user } = startNonInvite({ tcp: true });
    clock.advance(10_000);
    expect(sender.timesOf('BYE')).toEqual([0]);
    feed(481, 'Call/Transaction Does Not Exist');
    expect(user.statuses()).toEqual([481]);
    clock.advance(0);
    expect(tx.state).toBe('terminated');
    expect(layer.size.client).toBe(0);
  });
});

describe('retransmission schedules for any T1 ≤ T2 (property)', () => {
  /** Send times RFC 3261 prescribes: first at 0, then each interval after the previous, while before 64·T1. */
  function expected(t1: number, next: (interval: number) => number): number[] {
    const times = [0];
    let interval = t1;
    for (let at = interval; at < 64 * t1; interval = next(interval), at += interval) times.push(at);
    return times;
  }

  it('INVITE: Timer A doubles without cap; non-INVITE: Timer E doubles up to T2; both stop at 64·T1 with one timeout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 16 }), (t1, t2Factor) => {
        const t2 = t1 * t2Factor;
        for (const method of ['INVITE', 'OPTIONS']) {
          const { layer, clock, sender } = setupLayer({ timers: { T1: t1, T2: t2 } });
          const user = new ClientUser();
          layer.sendRequest(parseRequest(outgoingText({ method })), BOB_UDP, user);
          clock.advance(64 * t1 * 3);
          const want = method === 'INVITE' ? expected(t1, (i) => 2 * i) : expected(t1, (i) => Math.min(2 * i, t2));
          expect(sender.timesOf(method)).toEqual(want);
          expect(user.timeouts).toBe(1);
          expect(layer.size.client).toBe(0);
          expect(clock.pending()).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
