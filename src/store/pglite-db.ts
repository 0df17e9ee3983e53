/**
 * The Db over PGlite: PostgreSQL compiled to WASM, running in this process,
 * with its files in a directory under ./data.
 *
 * PGlite has a single connection. Its own mutex already serialises query()
 * and transaction(): a query issued while a transaction is open waits until
 * that transaction ends, so it never runs inside somebody else's transaction.
 * Transactions therefore use PGlite's transaction() API rather than BEGIN and
 * COMMIT sent through query(). PGlite does not lock its directory against a
 * second instance: dir-lock.ts does.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite, TransactionAbortedError, type Transaction } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import type { Db, DbTx, QueryResult } from './db.ts';
import { lockDataDir } from './dir-lock.ts';
import { OID, TxGuard, assertTxOpen, parseDate, parseInt8, withTimeout } from './driver-common.ts';
import { StoreError, abortedCommit, toStoreError } from './errors.ts';

export interface PgliteDbOptions {
  /** PGlite's own directory (created if missing). */
  dir: string;
  log: Logger;
  pingTimeoutMs?: number | undefined;
}

interface PgliteResults {
  rows: unknown[];
  rowCount?: number;
  affectedRows?: number;
}

function toResult<T>(r: PgliteResults): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: r.rowCount ?? r.affectedRows ?? 0 };
}

/** Runs a PGlite call, turning its errors into StoreErrors. */
async function run<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toStoreError(err);
  }
}

export async function openPgliteDb(opts: PgliteDbOptions): Promise<Db> {
  const log = opts.log.child({ component: 'store', driver: 'pglite', dataDir: opts.dir });
  const started = Date.now();
  let lite: PGlite;
  await mkdir(dirname(opts.dir), { recursive: true }).catch((err: unknown) => {
    throw new StoreError('STORE_UNAVAILABLE', `cannot create ${dirname(opts.dir)}: ${(err as Error).message}`, { cause: err });
  });
  const unlock = lockDataDir(opts.dir);
  try {
    await mkdir(opts.dir, { recursive: true });
    // parsers: the same row shapes as the pg driver (see driver-common.ts); int8[] follows int8.
    lite = await PGlite.create(opts.dir, { parsers: { [OID.INT8]: parseInt8, [OID.DATE]: parseDate } });
  } catch (err) {
    unlock();
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError('STORE_UNAVAILABLE', `could not open the embedded database in ${opts.dir}: ${reason}`, { cause: err });
  }
  log.info({ ms: Date.now() - started }, 'embedded database opened');

  const guard = new TxGuard();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', `the embedded database in ${opts.dir} is closed`);
  };

  const wrapTx = (tx: Transaction, state: { open: boolean }): DbTx => ({
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      assertTxOpen(state);
      return toResult<R>(await run(() => tx.query(sql, params === undefined ? undefined : [...params])));
    },
    async exec(sql: string): Promise<void> {
      assertTxOpen(state);
      await run(() => tx.exec(sql));
    },
  });

  return {
    driver: 'pglite',
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      guard.assertOutside('db.query()');
      assertOpen();
      return toResult<T>(await run(() => lite.query(sql, params === undefined ? undefined : [...params])));
    },
    async exec(sql: string): Promise<void> {
      guard.assertOutside('db.exec()');
      assertOpen();
      await run(() => lite.exec(sql));
    },
    async transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T> {
      guard.assertOutside('db.transaction()');
      assertOpen();
      const state = { open: true };
      // Errors of the caller's own code pass through unchanged; only the driver's are mapped.
      let thrown: { err: unknown } | undefined;
      try {
        // PGlite sends ROLLBACK when fn throws, COMMIT otherwise.
        return await lite.transaction(async (tx) => {
          try {
            return await guard.run(state, () => fn(wrapTx(tx, state)));
          } catch (err) {
            thrown = { err };
            throw err;
          } finally {
            state.open = false;
          }
        });
      } catch (err) {
        if (thrown !== undefined && thrown.err === err) throw err;
        if (err instanceof TransactionAbortedError) throw abortedCommit();
        throw toStoreError(err);
      } finally {
        state.open = false;
      }
    },
    async ping(): Promise<boolean> {
      if (closed) return false;
      return withTimeout(
        lite.query('SELECT 1').then(() => true),
        opts.pingTimeoutMs ?? 2000,
        false,
      );
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await lite.close();
      } finally {
        unlock();
      }
      log.info('embedded database closed');
    },
  };
}
