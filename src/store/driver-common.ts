/**
 * What both drivers share: the row parsers that make their results look alike,
 * the guard against using the Db from inside its own transaction, and a timer
 * race for ping().
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { StoreError } from './errors.ts';

/** PostgreSQL type OIDs whose default parsing differs between node-postgres and PGlite. */
export const OID = { INT8: 20, DATE: 1082, INT8_ARRAY: 1016 } as const;

/**
 * int8 as a JS number: counts, sums of milliseconds and identity ids stay far
 * below 2^53 in this schema, and one type on both drivers beats a string on
 * one and a number on the other.
 */
export const parseInt8 = (text: string): number => Number(text);

/** A date has no time zone: keep 'YYYY-MM-DD' rather than a Date at some midnight. */
export const parseDate = (text: string): string => text;

/** One transaction's lifetime, visible to every async continuation started inside it. */
interface TxState {
  open: boolean;
}

/**
 * Catches db.query / db.transaction called from inside db.transaction. On
 * PGlite that waits forever (the transaction holds the only connection); on
 * pg it silently runs outside the transaction. Both are bugs, reported at once.
 */
export class TxGuard {
  private readonly scope = new AsyncLocalStorage<TxState>();

  /** Throws STORE_MISUSE when called from inside a transaction of this Db that is still open. */
  assertOutside(what: string): void {
    if (this.scope.getStore()?.open === true) {
      throw new StoreError('STORE_MISUSE', `${what} was called inside a transaction of the same database: use the transaction's tx argument`);
    }
  }

  /** Runs fn with `state` visible to everything it starts; the caller sets state.open = false when the transaction ends. */
  run<T>(state: TxState, fn: () => Promise<T>): Promise<T> {
    return this.scope.run(state, fn);
  }
}

export function assertTxOpen(state: TxState): void {
  if (!state.open) throw new StoreError('STORE_MISUSE', 'a transaction object was used after its transaction ended (a missing await?)');
}

/** Resolves to the promise's outcome, or to `fallback` after ms; a late rejection is swallowed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  const guarded = promise.catch(() => fallback);
  return Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
}
