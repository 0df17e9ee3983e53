import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/acd/clock.ts';
import { queueConfig } from '../../../src/acd/defaults.ts';
import { AcdError } from '../../../src/acd/errors.ts';
import type { AcdEvent } from '../../../src/acd/types.ts';
import { AcdHost } from '../../../src/calls/acd-host.ts';
import { applyFeature, featureFor, type FeatureCodes } from '../../../src/calls/operator-codes.ts';

const CODES: FeatureCodes = { login: '*1', break: '*2', ready: '*3', logout: '*4' };

describe('featureFor', () => {
  it('maps the dialled code to its action', () => {
    expect(featureFor(CODES, '*1')).toBe('login');
    expect(featureFor(CODES, '*2')).toBe('break');
    expect(featureFor(CODES, '*3')).toBe('ready');
    expect(featureFor(CODES, '*4')).toBe('logout');
  });

  it('answers undefined for anything else, and follows reconfigured codes', () => {
    expect(featureFor(CODES, '*5')).toBeUndefined();
    expect(featureFor(CODES, '1')).toBeUndefined();
    expect(featureFor({ ...CODES, ready: '#77' }, '#77')).toBe('ready');
    expect(featureFor({ ...CODES, ready: '#77' }, '*3')).toBeUndefined();
  });
});

describe('applyFeature', () => {
  let host: AcdHost;
  let events: AcdEvent[];
  const state = () => host.acd.agentView('anna');

  beforeEach(() => {
    const clock = new ManualClock(1_000_000);
    host = new AcdHost(clock, { queues: [queueConfig({ id: 'internet-l1', target: 'internet', wrapUpSeconds: 10 })], agents: [{ id: 'anna', name: 'Anna', skills: { internet: 5 }, languages: ['ru'] }], seed: 1 }, pino({ level: 'silent' }));
    events = [];
    host.subscribe((e) => events.push(e));
  });

  afterEach(() => host.stop());

  /** Put anna on a call from internet-l1. */
  function onCall(): void {
    applyFeature(host, 'anna', 'login');
    const offer = host.run((acd) => acd.enqueue({ id: 'c1', queueId: 'internet-l1' })).find((e) => e.type === 'offer');
    if (offer?.type !== 'offer') throw new Error('no offer');
    host.run((acd) => acd.accept(offer.reservationId));
    expect(state().state).toBe('on-call');
  }

  it('*1 logs a logged-out operator in, ready for calls, and tells the subscribers', () => {
    expect(applyFeature(host, 'anna', 'login')).toBe('available');
    expect(events).toContainEqual(expect.objectContaining({ type: 'agent-state', agentId: 'anna', from: 'logged-out', to: 'available' }));
  });

  it('*1 when already logged in changes nothing', () => {
    applyFeature(host, 'anna', 'break');
    events.length = 0;
    expect(applyFeature(host, 'anna', 'login')).toBe('not-ready');
    expect(events).toEqual([]);
  });

  it('*2 from logged-out logs in straight into a break', () => {
    expect(applyFeature(host, 'anna', 'break')).toBe('not-ready');
    expect(state().reason).toBe('break');
  });

  it('*2 from available goes on break', () => {
    applyFeature(host, 'anna', 'login');
    expect(applyFeature(host, 'anna', 'break')).toBe('not-ready');
    expect(state().reason).toBe('break');
  });

  it('*2 during a call keeps the call and starts the break when it ends', () => {
    onCall();
    expect(applyFeature(host, 'anna', 'break')).toBe('on-call');
    expect(state().pendingPause).toBe('break');
    host.run((acd) => acd.complete('c1'));
    expect(state().state).toBe('not-ready');
  });

  it('*3 from a break makes the operator available', () => {
    applyFeature(host, 'anna', 'break');
    expect(applyFeature(host, 'anna', 'ready')).toBe('available');
  });

  it('*3 from logged-out logs in, available', () => {
    expect(applyFeature(host, 'anna', 'ready')).toBe('available');
  });

  it('*3 during wrap-up ends it early', () => {
    onCall();
    host.run((acd) => acd.complete('c1'));
    expect(state().state).toBe('wrap-up');
    expect(applyFeature(host, 'anna', 'ready')).toBe('available');
  });

  it('*4 logs out from available and from a break', () => {
    applyFeature(host, 'anna', 'login');
    expect(applyFeature(host, 'anna', 'logout')).toBe('logged-out');
    applyFeature(host, 'anna', 'break');
    expect(applyFeature(host, 'anna', 'logout')).toBe('logged-out');
  });

  it('*4 when already logged out is harmless', () => {
    expect(applyFeature(host, 'anna', 'logout')).toBe('logged-out');
    expect(events).toEqual([]);
  });

  it('*4 during a call is refused with a typed error, and the call goes on', () => {
    onCall();
    let err: unknown;
    try {
      applyFeature(host, 'anna', 'logout');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcdError);
    expect((err as AcdError).code).toBe('ACD_ILLEGAL_TRANSITION');
    expect(state()).toMatchObject({ state: 'on-call', contactId: 'c1' });
  });
});
