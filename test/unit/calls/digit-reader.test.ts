import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DigitReader } from '../../../src/calls/digit-reader.ts';
import { CallEndedError } from '../../../src/ivr/context.ts';

describe('DigitReader', () => {
  let call: AbortController;
  let reader: DigitReader;

  beforeEach(() => {
    vi.useFakeTimers();
    call = new AbortController();
    reader = new DigitReader(call.signal);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps keys pressed before anyone asks, in order (type-ahead)', async () => {
    reader.push('1');
    reader.push('2');
    expect(reader.pending).toBe(2);
    expect(await reader.next(5000)).toBe('1');
    expect(await reader.next(5000)).toBe('2');
    expect(reader.pending).toBe(0);
  });

  it('hands a key pressed while waiting straight to the waiter, not to the buffer', async () => {
    const got = reader.next(5000);
    reader.push('7');
    expect(await got).toBe('7');
    expect(reader.pending).toBe(0);
  });

  it('answers null after the timeout without a key, and not before', async () => {
    let result: string | null | undefined;
    const got = reader.next(5000).then((d) => (result = d));
    await vi.advanceTimersByTimeAsync(4999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await got;
    expect(result).toBeNull();
  });

  it('a key after a timed-out wait goes to the buffer for the next reader', async () => {
    const got = reader.next(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await got).toBeNull();
    reader.push('#');
    expect(reader.pending).toBe(1);
    expect(await reader.next(1000)).toBe('#');
  });

  it('a key clears the timer: no stray timeout later', async () => {
    const got = reader.next(1000);
    reader.push('3');
    expect(await got).toBe('3');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a wait with CallEndedError when the call ends during it', async () => {
    const got = reader.next(60_000);
    call.abort();
    await expect(got).rejects.toBeInstanceOf(CallEndedError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects a new wait at once after the call ended', async () => {
    call.abort();
    await expect(reader.next(1000)).rejects.toBeInstanceOf(CallEndedError);
  });

  it('take() and clear() work on the buffer', () => {
    reader.push('1');
    reader.push('2');
    reader.push('3');
    expect(reader.take()).toBe('1');
    reader.clear();
    expect(reader.pending).toBe(0);
    expect(reader.take()).toBeUndefined();
  });

  it('watch() sees every key without consuming it, until unsubscribed', async () => {
    const seen: string[] = [];
    const off = reader.watch((d) => seen.push(d));
    const got = reader.next(1000);
    reader.push('1');
    expect(await got).toBe('1'); // the waiter got it too
    reader.push('2');
    off();
    reader.push('3');
    expect(seen).toEqual(['1', '2']);
    expect(reader.pending).toBe(2); // 2 and 3 are still waiting to be read
  });

  describe('whenKey (barge-in)', () => {
    it('resolves when a key arrives, and the key stays in the buffer', async () => {
      let done = false;
      const key = reader.whenKey();
      void key.promise.then(() => (done = true));
      await Promise.resolve();
      expect(done).toBe(false);
      reader.push('5');
      await key.promise;
      expect(done).toBe(true);
      expect(reader.take()).toBe('5');
    });

    it('resolves at once when a key is already waiting', async () => {
      reader.push('9');
      await reader.whenKey().promise;
      expect(reader.pending).toBe(1);
    });

    it('after cancel() it stops watching: a later key does not resolve it', async () => {
      let done = false;
      const key = reader.whenKey();
      void key.promise.then(() => (done = true));
      key.cancel();
      reader.push('1');
      await Promise.resolve();
      await Promise.resolve();
      expect(done).toBe(false);
    });
  });
});
