import { describe, expect, it } from 'vitest';
import { Acd } from '../../../src/acd/acd.ts';
import { ManualClock } from '../../../src/acd/clock.ts';
import { queueConfig } from '../../../src/acd/defaults.ts';
import { AcdError } from '../../../src/acd/errors.ts';
import type { AcdEvent, AgentConfig, QueueConfig } from '../../../src/acd/types.ts';

const S = 1000;

function agent(id: string, skills: Record<string, number> = { internet: 5 }, languages = ['ru'], weight?: number): AgentConfig {
  return { id, name: id, skills, languages, ...(weight !== undefined ? { weight } : {}) };
}

function setup(queues: QueueConfig[], agents: AgentConfig[], seed = 1) {
  const clock = new ManualClock(1_000_000);
  const acd = new Acd({ clock, queues, agents, seed });
  return { clock, acd };
}

const offers = (events: AcdEvent[]) => events.filter((e): e is Extract<AcdEvent, { type: 'offer' }> => e.type === 'offer');
const only = <T extends AcdEvent['type']>(events: AcdEvent[], type: T) => events.filter((e): e is Extract<AcdEvent, { type: T }> => e.type === type);

/** Log every agent in; each becomes available one second after the previous, so idle order is a, b, c... */
function loginAll(acd: Acd, clock: ManualClock, ids: string[]): void {
  for (const id of ids) {
    acd.login(id);
    clock.advance(S);
  }
}

/** Connect and complete one call on an agent so its counters move. */
function handleCall(acd: Acd, clock: ManualClock, contactId: string, queueId: string, talkMs: number) {
  const ev = acd.enqueue({ id: contactId, queueId });
  const offer = offers(ev)[0];
  if (!offer) throw new Error('no offer');
  acd.accept(offer.reservationId);
  clock.advance(talkMs);
  acd.complete(contactId);
  return offer.agentId;
}

describe('agent state machine', () => {
  it('walks logged-out → available → reserved → on-call → wrap-up → available', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', wrapUpSeconds: 10 })], [agent('a')]);
    const states = () => acd.agentView('a').state;
    expect(states()).toBe('logged-out');
    acd.login('a');
    expect(states()).toBe('available');
    const [offer] = offers(acd.enqueue({ id: 'c1', queueId: 'q' }));
    expect(states()).toBe('reserved');
    acd.accept(offer!.reservationId);
    expect(states()).toBe('on-call');
    clock.advance(60 * S);
    acd.complete('c1');
    expect(states()).toBe('wrap-up');
    expect(acd.nextDeadline()).toBe(clock.now() + 10 * S);
    clock.advance(10 * S);
    const ev = acd.advance();
    expect(only(ev, 'wrap-up-ended')[0]?.wrapMs).toBe(10 * S);
    expect(states()).toBe('available');
  });

  it('rejects illegal transitions with a typed error and changes nothing', () => {
    const { acd } = setup([queueConfig({ id: 'q', target: 'internet' })], [agent('a')]);
    expect(() => acd.ready('a')).toThrowError(AcdError);
    try {
      acd.logout('a');
    } catch (e) {
      expect((e as AcdError).code).toBe('ACD_ILLEGAL_TRANSITION');
    }
    acd.login('a');
    expect(() => acd.login('a')).toThrowError(/cannot login while available/);
    const [offer] = offers(acd.enqueue({ id: 'c', queueId: 'q' }));
    acd.accept(offer!.reservationId);
    expect(() => acd.logout('a')).toThrowError(/cannot logout while on-call/);
    expect(acd.agentView('a').state).toBe('on-call');
  });

  it('a break requested during a call starts when the call ends', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet' })], [agent('a')]);
    acd.login('a');
    const [offer] = offers(acd.enqueue({ id: 'c', queueId: 'q' }));
    acd.accept(offer!.reservationId);
    expect(acd.pause('a', 'lunch')).toEqual([]);
    expect(acd.agentView('a').pendingPause).toBe('lunch');
    clock.advance(30 * S);
    acd.complete('c');
    expect(acd.agentView('a')).toMatchObject({ state: 'not-ready', reason: 'lunch', pendingPause: null });
  });

  it('unknown ids are typed errors', () => {
    const { acd } = setup([queueConfig({ id: 'q', target: 'internet' })], [agent('a')]);
    expect(() => acd.login('nobody')).toThrowError(expect.objectContaining({ code: 'ACD_UNKNOWN_AGENT' }));
    expect(() => acd.enqueue({ id: 'c', queueId: 'nope' })).toThrowError(expect.objectContaining({ code: 'ACD_UNKNOWN_QUEUE' }));
    expect(() => acd.accept('r999')).toThrowError(expect.objectContaining({ code: 'ACD_UNKNOWN_RESERVATION' }));
    expect(() => acd.cancel('c')).toThrowError(expect.objectContaining({ code: 'ACD_UNKNOWN_CONTACT' }));
  });
});

describe('strategies', () => {
  const ids = ['a', 'b', 'c', 'd'];

  it('longest-idle offers the agent free the longest', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', wrapUpSeconds: 0 })], ids.map((i) => agent(i)));
    loginAll(acd, clock, ids);
    expect(handleCall(acd, clock, 'c1', 'q', 10 * S)).toBe('a');
    // a is free again but most recently: b has been idle longest now.
    expect(handleCall(acd, clock, 'c2', 'q', 10 * S)).toBe('b');
  });

  it('round-robin continues after the agent offered last time, wrapping around', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'round-robin', wrapUpSeconds: 0, members: ['c', 'a', 'b', 'd'] })], ids.map((i) => agent(i)));
    loginAll(acd, clock, ids);
    const picked = [1, 2, 3, 4, 5].map((n) => handleCall(acd, clock, `c${n}`, 'q', S));
    expect(picked).toEqual(['c', 'a', 'b', 'd', 'c']);
  });

  it('top-down always starts from the top of the list', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'top-down', wrapUpSeconds: 0, members: ['d', 'c'] })], ids.map((i) => agent(i)));
    loginAll(acd, clock, ids);
    expect(handleCall(acd, clock, 'c1', 'q', S)).toBe('d');
    expect(handleCall(acd, clock, 'c2', 'q', S)).toBe('d');
    // d busy: the next in line is c, then the unlisted ones in creation order.
    const [o1] = offers(acd.enqueue({ id: 'c3', queueId: 'q' }));
    const [o2] = offers(acd.enqueue({ id: 'c4', queueId: 'q' }));
    const [o3] = offers(acd.enqueue({ id: 'c5', queueId: 'q' }));
    expect([o1?.agentId, o2?.agentId, o3?.agentId]).toEqual(['d', 'c', 'a']);
  });

  it('fewest-calls prefers the agent with fewer calls handled', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'fewest-calls', wrapUpSeconds: 0 })], ['a', 'b'].map((i) => agent(i)));
    loginAll(acd, clock, ['a', 'b']);
    expect(handleCall(acd, clock, 'c1', 'q', S)).toBe('a'); // tie → longest idle
    expect(handleCall(acd, clock, 'c2', 'q', S)).toBe('b');
    expect(handleCall(acd, clock, 'c3', 'q', S)).toBe('a');
    expect(acd.agentView('a').callsHandled).toBe(2);
  });

  it('least-talk-time prefers the agent who talked least', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'least-talk-time', wrapUpSeconds: 0 })], ['a', 'b'].map((i) => agent(i)));
    loginAll(acd, clock, ['a', 'b']);
    expect(handleCall(acd, clock, 'c1', 'q', 300 * S)).toBe('a');
    expect(handleCall(acd, clock, 'c2', 'q', 10 * S)).toBe('b');
    expect(handleCall(acd, clock, 'c3', 'q', 10 * S)).toBe('b');
    expect(handleCall(acd, clock, 'c4', 'q', 10 * S)).toBe('b'); // 20 s < 300 s
  });

  it('highest-skill-first prefers the strongest in the skills the queue names', () => {
    const agents = [agent('weak', { internet: 3 }), agent('strong', { internet: 9 }), agent('mid', { internet: 6, tv: 10 })];
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet >= 3', strategy: 'highest-skill-first' })], agents);
    loginAll(acd, clock, ['weak', 'strong', 'mid']);
    const got = [1, 2, 3].map((n) => offers(acd.enqueue({ id: `c${n}`, queueId: 'q' }))[0]?.agentId);
    expect(got).toEqual(['strong', 'mid', 'weak']);
  });

  it('random is seeded: same seed, same choices; all agents get picked', () => {
    const run = (seed: number) => {
      const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'random', wrapUpSeconds: 0 })], ids.map((i) => agent(i)), seed);
      loginAll(acd, clock, ids);
      return Array.from({ length: 40 }, (_, n) => handleCall(acd, clock, `c${n}`, 'q', S));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(new Set(run(7)).size).toBe(4);
  });

  it('weighted-random picks in proportion to weight', () => {
    const agents = [agent('heavy', { internet: 5 }, ['ru'], 9), agent('light', { internet: 5 }, ['ru'], 1)];
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'weighted-random', wrapUpSeconds: 0 })], agents, 42);
    loginAll(acd, clock, ['heavy', 'light']);
    const picks = Array.from({ length: 1000 }, (_, n) => handleCall(acd, clock, `c${n}`, 'q', S));
    const heavy = picks.filter((p) => p === 'heavy').length;
    expect(heavy).toBeGreaterThan(850);
    expect(heavy).toBeLessThan(950);
  });

  it('ring-all offers every free agent; the first to answer wins and the others are cancelled', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'ring-all' })], ids.map((i) => agent(i)));
    loginAll(acd, clock, ['a', 'b', 'c']);
    const ev = acd.enqueue({ id: 'c1', queueId: 'q' });
    expect(offers(ev).map((o) => o.agentId).sort()).toEqual(['a', 'b', 'c']);
    const winner = offers(ev)[1]!;
    const after = acd.accept(winner.reservationId);
    const cancelled = only(after, 'offer-cancelled');
    expect(cancelled.map((e) => e.agentId).sort()).toEqual(['a', 'c']);
    expect(cancelled.every((e) => e.reason === 'answered-elsewhere')).toBe(true);
    expect(acd.agentView('a').state).toBe('available');
    expect(acd.agentView('b').state).toBe('on-call');
    expect(only(after, 'contact-connected')).toHaveLength(1);
  });
});

describe('skills, languages and multi-queue agents', () => {
  it('routes only to agents matching the target and the caller language', () => {
    const agents = [agent('tv-ru', { tv: 5 }, ['ru']), agent('net-ru', { internet: 5 }, ['ru']), agent('net-en', { internet: 4 }, ['en', 'ru'])];
    const { acd, clock } = setup([queueConfig({ id: 'net', target: 'internet >= 3' })], agents);
    loginAll(acd, clock, ['tv-ru', 'net-ru', 'net-en']);
    expect(offers(acd.enqueue({ id: 'e1', queueId: 'net', language: 'en' }))[0]?.agentId).toBe('net-en');
    expect(offers(acd.enqueue({ id: 'r1', queueId: 'net', language: 'ru' }))[0]?.agentId).toBe('net-ru');
    // Nobody free speaks English now: the contact waits.
    expect(offers(acd.enqueue({ id: 'e2', queueId: 'net', language: 'en' }))).toHaveLength(0);
    expect(acd.queueSnapshot('net').waiting).toBe(1);
  });

  it('an agent in several queues takes higher priority first, then queue weight, then the longest wait', () => {
    const queues = [queueConfig({ id: 'low', target: 'internet', weight: 1 }), queueConfig({ id: 'high', target: 'internet', weight: 5 })];
    const { acd, clock } = setup(queues, [agent('a')]);
    acd.enqueue({ id: 'old-low', queueId: 'low' });
    clock.advance(10 * S);
    acd.enqueue({ id: 'new-high', queueId: 'high' });
    clock.advance(10 * S);
    acd.enqueue({ id: 'vip-low', queueId: 'low', priority: 5 });
    const first = offers(acd.login('a'))[0]!;
    expect(first.contactId).toBe('vip-low');
    acd.accept(first.reservationId);
    acd.complete('vip-low');
    const second = offers(acd.ready('a'))[0]!;
    expect(second.contactId).toBe('new-high'); // weight beats the older contact
    acd.accept(second.reservationId);
    acd.complete('new-high');
    expect(offers(acd.ready('a'))[0]?.contactId).toBe('old-low');
  });

  it('refuses contacts beyond max length', () => {
    const { acd } = setup([queueConfig({ id: 'q', target: 'internet', maxLength: 2 })], [agent('a')]);
    acd.enqueue({ id: 'c1', queueId: 'q' });
    acd.enqueue({ id: 'c2', queueId: 'q' });
    expect(acd.enqueue({ id: 'c3', queueId: 'q' })).toEqual([expect.objectContaining({ type: 'contact-refused', reason: 'queue-full' })]);
    expect(acd.hasContact('c3')).toBe(false);
  });
});

describe('reservations', () => {
  const q = () => queueConfig({ id: 'q', target: 'internet', ringTimeoutSeconds: 15, retrySeconds: 5, maxNoAnswer: 2 });

  it('an offer that rings out returns the contact to its place and offers it to the next agent', () => {
    const { acd, clock } = setup([q()], [agent('a'), agent('b')]);
    acd.enqueue({ id: 'first', queueId: 'q' });
    clock.advance(S);
    acd.enqueue({ id: 'second', queueId: 'q' });
    const o = offers(acd.login('a'))[0]!;
    expect(o).toMatchObject({ contactId: 'first', expiresAt: clock.now() + 15 * S });
    clock.advance(15 * S);
    const ev = acd.advance();
    expect(only(ev, 'offer-missed')[0]).toMatchObject({ agentId: 'a', reason: 'timeout' });
    // a is available again but just missed "first": it is offered "second"; "first" keeps its place.
    expect(offers(ev)[0]).toMatchObject({ agentId: 'a', contactId: 'second' });
    expect(acd.position('first')).toBe(0);
    const ob = offers(acd.login('b'))[0]!;
    expect(ob.contactId).toBe('first');
  });

  it('a rejected contact is offered again to the same agent after the retry delay when nobody else is free', () => {
    const { acd, clock } = setup([q()], [agent('a')]);
    acd.login('a');
    const o1 = offers(acd.enqueue({ id: 'c', queueId: 'q' }))[0]!;
    const ev = acd.reject(o1.reservationId);
    expect(only(ev, 'offer-missed')[0]?.reason).toBe('rejected');
    expect(offers(ev)).toHaveLength(0);
    expect(acd.nextDeadline()).toBe(clock.now() + 5 * S);
    clock.advance(5 * S);
    expect(offers(acd.advance())[0]).toMatchObject({ agentId: 'a', contactId: 'c' });
  });

  it('max-no-answer sets the agent not ready with reason missed-calls', () => {
    const { acd, clock } = setup([q()], [agent('a')]);
    acd.login('a');
    const o1 = offers(acd.enqueue({ id: 'c', queueId: 'q' }))[0]!;
    acd.reject(o1.reservationId);
    clock.advance(5 * S);
    const o2 = offers(acd.advance())[0]!;
    clock.advance(15 * S);
    acd.advance(); // second miss: timeout
    expect(acd.agentView('a')).toMatchObject({ state: 'not-ready', reason: 'missed-calls', missedInRow: 2 });
    expect(o2.contactId).toBe('c');
    expect(acd.contactView('c')?.state).toBe('waiting');
  });

  it('the caller hanging up during the offer cancels it and frees the agent', () => {
    const { acd, clock } = setup([q()], [agent('a')]);
    acd.login('a');
    acd.enqueue({ id: 'c', queueId: 'q' });
    clock.advance(7 * S);
    const ev = acd.cancel('c');
    expect(only(ev, 'offer-cancelled')[0]).toMatchObject({ agentId: 'a', reason: 'caller-hangup' });
    expect(only(ev, 'contact-abandoned')[0]).toMatchObject({ waitMs: 7 * S });
    expect(acd.agentView('a').state).toBe('available');
    expect(acd.hasContact('c')).toBe(false);
    // the stale expiry deadline does nothing
    clock.advance(20 * S);
    expect(acd.advance()).toEqual([]);
  });

  it('a break taken while ringing withdraws the offer without counting a miss', () => {
    const { acd } = setup([q()], [agent('a'), agent('b')]);
    acd.login('a');
    acd.enqueue({ id: 'c', queueId: 'q' });
    const ev = acd.pause('a', 'break');
    expect(only(ev, 'offer-cancelled')[0]?.reason).toBe('agent-not-ready');
    expect(acd.agentView('a')).toMatchObject({ state: 'not-ready', reason: 'break', missedInRow: 0 });
    expect(offers(acd.login('b'))[0]?.contactId).toBe('c');
  });

  it('a contact is never connected twice and stale reservations cannot be accepted', () => {
    const { acd } = setup([queueConfig({ id: 'q', target: 'internet', strategy: 'ring-all' })], [agent('a'), agent('b')]);
    acd.login('a');
    acd.login('b');
    const [o1, o2] = offers(acd.enqueue({ id: 'c', queueId: 'q' }));
    acd.accept(o1!.reservationId);
    expect(() => acd.accept(o2!.reservationId)).toThrowError(expect.objectContaining({ code: 'ACD_UNKNOWN_RESERVATION' }));
  });
});

describe('queue limits and escalation', () => {
  it('max wait ends the contact with a timeout decision', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', maxWaitSeconds: 120 })], [agent('a')]);
    acd.enqueue({ id: 'c', queueId: 'q' });
    clock.advance(120 * S);
    expect(acd.advance()).toEqual([expect.objectContaining({ type: 'contact-timeout', contactId: 'c', waitMs: 120 * S })]);
    expect(acd.hasContact('c')).toBe(false);
  });

  it('widens the target from line 1 to line 1 + line 2 after N seconds', () => {
    const queues = [queueConfig({ id: 'net', target: 'internet >= 3', escalation: [{ afterSeconds: 60, target: 'internet >= 3 || l2 >= 5' }] })];
    const { acd, clock } = setup(queues, [agent('l2eng', { l2: 8 })]);
    acd.login('l2eng');
    expect(offers(acd.enqueue({ id: 'c', queueId: 'net' }))).toHaveLength(0);
    clock.advance(60 * S);
    const ev = acd.advance();
    expect(only(ev, 'contact-escalated')[0]).toMatchObject({ step: 1 });
    expect(offers(ev)[0]).toMatchObject({ agentId: 'l2eng', contactId: 'c' });
  });

  it('raises priority so an escalated contact overtakes newer ones', () => {
    const queues = [queueConfig({ id: 'q', target: 'internet', escalation: [{ afterSeconds: 30, priority: 5 }] })];
    const { acd, clock } = setup(queues, [agent('a')]);
    acd.enqueue({ id: 'vip', queueId: 'q', priority: 3 });
    acd.enqueue({ id: 'old', queueId: 'q' });
    clock.advance(30 * S);
    acd.advance();
    expect(acd.contactView('old')?.priority).toBe(5);
    expect(acd.contactView('vip')?.priority).toBe(5);
    // equal priority now: the earlier arrival (vip) first; a new priority-4 contact comes after both
    acd.enqueue({ id: 'p4', queueId: 'q', priority: 4 });
    expect(acd.position('p4')).toBe(2);
  });

  it('overflows to another queue keeping the original enqueue time', () => {
    const queues = [
      queueConfig({ id: 'billing', target: 'billing', escalation: [{ afterSeconds: 300, overflowTo: 'net' }] }),
      queueConfig({ id: 'net', target: 'internet' }),
    ];
    const { acd, clock } = setup(queues, [agent('a', { internet: 5 })]);
    const t0 = clock.now();
    acd.enqueue({ id: 'b', queueId: 'billing' });
    clock.advance(100 * S);
    acd.enqueue({ id: 'n', queueId: 'net' }); // arrives later than b
    clock.advance(200 * S);
    const ev = acd.advance();
    expect(only(ev, 'contact-overflowed')[0]).toMatchObject({ queueId: 'billing', toQueueId: 'net', waitMs: 300 * S });
    expect(acd.contactView('b')).toMatchObject({ queueId: 'net', enqueuedAt: t0 });
    expect(acd.position('b')).toBe(0);
    const o = offers(acd.login('a'))[0]!;
    expect(o.contactId).toBe('b');
    expect(only(acd.accept(o.reservationId), 'contact-connected')[0]?.waitMs).toBe(300 * S);
  });

  it('never overflows in a loop', () => {
    const queues = [
      queueConfig({ id: 'x', target: 'internet', escalation: [{ afterSeconds: 10, overflowTo: 'y' }] }),
      queueConfig({ id: 'y', target: 'internet', escalation: [{ afterSeconds: 20, overflowTo: 'x' }] }),
    ];
    const { acd, clock } = setup(queues, [agent('a')]);
    acd.enqueue({ id: 'c', queueId: 'x' });
    clock.advance(60 * S);
    const ev = acd.advance();
    expect(only(ev, 'contact-overflowed')).toHaveLength(1);
    expect(acd.contactView('c')?.queueId).toBe('y');
  });
});

describe('transfers and callbacks', () => {
  it('a transfer to line 2 re-enters with higher priority and the original enqueue time', () => {
    const queues = [queueConfig({ id: 'l1', target: 'internet', wrapUpSeconds: 30 }), queueConfig({ id: 'l2', target: 'l2 >= 5' })];
    const { acd, clock } = setup(queues, [agent('op', { internet: 5 }), agent('eng', { l2: 7 })]);
    const t0 = clock.now();
    acd.login('op');
    const o = offers(acd.enqueue({ id: 'c', queueId: 'l1' }))[0]!;
    clock.advance(5 * S);
    acd.accept(o.reservationId);
    acd.enqueue({ id: 'other', queueId: 'l2' }); // already waiting in line 2, but later than c
    clock.advance(120 * S);
    const ev = acd.transfer('c', 'l2', { priority: 3 });
    expect(only(ev, 'contact-transferred')[0]).toMatchObject({ agentId: 'op', toQueueId: 'l2', talkMs: 120 * S });
    expect(acd.agentView('op').state).toBe('wrap-up');
    expect(acd.contactView('c')).toMatchObject({ queueId: 'l2', priority: 3, enqueuedAt: t0 });
    expect(offers(acd.login('eng'))[0]?.contactId).toBe('c');
  });

  it('a callback keeps the caller place in line and is not timed out', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet', maxWaitSeconds: 60 })], [agent('a')]);
    acd.enqueue({ id: 'cb', queueId: 'q' });
    clock.advance(S);
    acd.enqueue({ id: 'later', queueId: 'q' });
    clock.advance(10 * S);
    const ev = acd.requestCallback('cb', '+79001234567');
    expect(ev).toEqual([expect.objectContaining({ type: 'contact-callback', callbackNumber: '+79001234567' })]);
    expect(acd.contactView('cb')?.kind).toBe('callback');
    expect(acd.position('cb')).toBe(0);
    clock.advance(60 * S);
    const timeouts = only(acd.advance(), 'contact-timeout');
    expect(timeouts.map((t) => t.contactId)).toEqual(['later']);
    const o = offers(acd.login('a'))[0]!;
    expect(o.contactId).toBe('cb');
    expect(only(acd.accept(o.reservationId), 'contact-connected')[0]?.kind).toBe('callback');
  });

  it('a web callback request enters with its original time', () => {
    const { acd, clock } = setup([queueConfig({ id: 'q', target: 'internet' })], [agent('a')]);
    acd.enqueue({ id: 'call', queueId: 'q' });
    acd.enqueue({ id: 'cb', queueId: 'q', kind: 'callback', callbackNumber: '100', enqueuedAt: clock.now() - 600 * S });
    expect(acd.position('cb')).toBe(0);
  });
});

describe('configuration changes at run time', () => {
  it('new skills for an agent take effect for waiting contacts', () => {
    const { acd } = setup([queueConfig({ id: 'tv', target: 'tv' })], [agent('a', { internet: 5 })]);
    acd.login('a');
    acd.enqueue({ id: 'c', queueId: 'tv' });
    const ev = acd.upsertAgent(agent('a', { internet: 5, tv: 4 }));
    expect(offers(ev)[0]?.contactId).toBe('c');
  });

  it('a queue with a widened target routes its waiting contacts', () => {
    const { acd } = setup([queueConfig({ id: 'q', target: 'tv' })], [agent('a', { internet: 5 })]);
    acd.login('a');
    acd.enqueue({ id: 'c', queueId: 'q' });
    const ev = acd.upsertQueue(queueConfig({ id: 'q', target: 'tv || internet' }));
    expect(offers(ev)[0]?.agentId).toBe('a');
  });

  it('queue snapshots count only the agents who serve the queue, and forget removed ones', () => {
    const { acd } = setup([queueConfig({ id: 'net', target: 'internet' }), queueConfig({ id: 'tv', target: 'tv' })], [agent('a', { internet: 5 }), agent('b', { tv: 5 })]);
    acd.login('a');
    expect(acd.queueSnapshot('net').agentsByState).toMatchObject({ available: 1, 'logged-out': 0 });
    expect(acd.queueSnapshot('tv').agentsByState).toMatchObject({ available: 0, 'logged-out': 1 });
    acd.upsertAgent(agent('b', { tv: 5, internet: 3 }));
    expect(acd.queueSnapshot('net').agentsByState['logged-out']).toBe(1);
    acd.removeAgent('b');
    expect(acd.queueSnapshot('net').agentsByState['logged-out']).toBe(0);
    expect(acd.queueSnapshot('tv').agentsByState['logged-out']).toBe(0);
    expect(acd.serviceView('net')).toMatchObject({ free: 1, staffed: 1 });
  });

  it('rejects a bad target expression with a typed error', () => {
    expect(() => setup([queueConfig({ id: 'q', target: 'internet >=' })], [])).toThrowError(expect.objectContaining({ code: 'ACD_BAD_EXPRESSION' }));
  });
});
