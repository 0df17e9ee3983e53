/**
 * A signal that aborts when any of the given signals does, or after a delay.
 *
 * Why not AbortSignal.any()/AbortSignal.timeout(): in Node 20 the combined
 * signal is held only weakly by its sources, and a timeout signal's timer
 * does not keep it alive, so a combined signal nobody else references can be
 * garbage-collected and never fire (nodejs/node#48951 and follow-ups). Here
 * the sources hold the listener, the listener holds the controller, and the
 * timer is an ordinary one: it fires. Call `dispose()` when done to drop the
 * listeners and the timer.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function linkedSignal(sources: ReadonlyArray<AbortSignal | undefined>, timeoutMs?: number, timeoutReason: unknown = 'timeout'): LinkedSignal {
  const ctrl = new AbortController();
  const cleanups: Array<() => void> = [];
  const dispose = (): void => {
    for (const c of cleanups.splice(0)) c();
  };
  for (const s of sources) {
    if (s === undefined) continue;
    if (s.aborted) {
      ctrl.abort(s.reason);
      break;
    }
    const onAbort = (): void => {
      dispose();
      ctrl.abort(s.reason);
    };
    s.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => s.removeEventListener('abort', onAbort));
  }
  if (!ctrl.signal.aborted && timeoutMs !== undefined) {
    const timer = setTimeout(() => {
      dispose();
      ctrl.abort(timeoutReason);
    }, timeoutMs);
    cleanups.push(() => clearTimeout(timer));
  }
  if (ctrl.signal.aborted) dispose();
  return { signal: ctrl.signal, dispose };
}
