// src/abort.ts: tested here beside its users in calls/ (lookups, queue waits).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkedSignal } from '../../../src/abort.ts';

describe('linkedSignal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('aborts when any source aborts, with that source’s reason', () => {
    const call = new AbortController();
    const shutdown = new AbortController();
    const linked = linkedSignal([call.signal, undefined, shutdown.signal]);
    expect(linked.signal.aborted).toBe(false);
    shutdown.abort('server stopping');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('server stopping');
    call.abort('late'); // a second source changes nothing
    expect(linked.signal.reason).toBe('server stopping');
  });

  it("aborts after the timeout with reason 'timeout' (or the one given)", () => {
    const linked = linkedSignal([new AbortController().signal], 3000);
    vi.advanceTimersByTime(2999);
    expect(linked.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('timeout');
    const custom = linkedSignal([], 10, 'crm too slow');
    vi.advanceTimersByTime(10);
    expect(custom.signal.reason).toBe('crm too slow');
  });

  it('a source abort before the timeout wins, and the timer is gone', () => {
    const call = new AbortController();
    const linked = linkedSignal([call.signal], 3000);
    call.abort('caller hung up');
    expect(linked.signal.reason).toBe('caller hung up');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is aborted from the start when a source already is, with no timer left behind', () => {
    const live = new AbortController();
    const gone = new AbortController();
    gone.abort('already over');
    const linked = linkedSignal([live.signal, gone.signal], 3000);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('already over');
    expect(vi.getTimerCount()).toBe(0);
    let fired = 0;
    linked.signal.addEventListener('abort', () => fired++);
    live.abort('later');
    expect(fired).toBe(0);
  });

  it('after dispose() neither a source nor the timeout aborts it', () => {
    const call = new AbortController();
    const linked = linkedSignal([call.signal], 1000);
    linked.dispose();
    expect(vi.getTimerCount()).toBe(0);
    call.abort('caller hung up');
    vi.advanceTimersByTime(5000);
    expect(linked.signal.aborted).toBe(false);
    linked.dispose(); // twice is fine
  });

  it('without a timeout and sources it never aborts and holds no timer', () => {
    const linked = linkedSignal([]);
    vi.advanceTimersByTime(60_000);
    expect(linked.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
