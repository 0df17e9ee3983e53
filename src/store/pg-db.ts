/**
 * The Db over node-postgres: a Pool on a real PostgreSQL server.
 *
 * A connection that dies while idle in the pool makes the Pool emit 'error';
 * with no listener that event would crash the process, so it is logged and
 * the pool reconnects on the next query. A connection checked out for a
 * transaction gets its own listener for the same reason, and is destroyed
 * rather than returned to the pool when ROLLBACK could not be sent.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db, DbTx, PgPoolSettings, QueryResult } from './db.ts';
import { OID, TxGuard, assertTxOpen, parseDate, parseInt8, withTimeout } from './driver-common.ts';
import { StoreError, abortedCommit, toStoreError } from './errors.ts';

export interface PgDbOptions extends PgPoolSettings {
  url: string;
  log: Logger;
  pingTimeoutMs?: number | undefined;
}

/** pg's own parser for any type by OID (its typings only list the scalar built-ins). */
const builtinParser = pg.types.getTypeParser as unknown as (oid: number, format?: 'text' | 'binary') => (text: string) => unknown;

/** int8[] like PGlite: an array of numbers (pg's default gives strings). */
const parseInt8Array = (text: string): Array<number | null> => (builtinParser(OID.INT8_ARRAY)(text) as Array<string | null>).map((v) => (v === null ? null : parseInt8(v)));

/** Per-pool type parsers (pg.types is global: changing it would change every other pg user in the process). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    if (format !== 'binary') {
      if (oid === OID.INT8) return parseInt8;
      if (oid === OID.DATE) return parseDate;
      if (oid === OID.INT8_ARRAY) return parseInt8Array;
    }
    return builtinParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/** Where the pool points, without the password: safe to log. */
function describeUrl(url: string): { host: string; database: string } {
  try {
    const u = new URL(url);
    return { host: `${u.hostname}:${u.port || '5432'}`, database: u.pathname.replace(/^\//, '') };
  } catch {
    return { host: '(unparsable DATABASE_URL)', database: '' };
  }
}

/**
 * `queryMode: 'extended'` makes pg refuse several statements in one query(),
 * as PGlite does: code that only works on one driver fails on both.
 * (node-postgres supports the option; its type definitions do not list it.)
 */
function statement(text: string, values?: readonly unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig & { queryMode: 'extended' } = { text, values: values === undefined ? [] : [...values], queryMode: 'extended' };
  return config;
}

function toResult<T>(r: pg.QueryResult): QueryResult<T> {
  return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
}

export function createPgDb(opts: PgDbOptions): Db {
  const where = describeUrl(opts.url);
  const log = opts.log.child({ component: 'store', driver: 'pg', ...where });
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
    application_name: 'hotline',
    keepAlive: true,
    types,
  });
  pool.on('error', (err) => log.warn({ err }, 'an idle PostgreSQL connection failed; the pool opens a new one when needed'));

  const guard = new TxGuard();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'the database connection pool is closed');
  };

  async function transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T> {
    guard.assertOutside('db.transaction()');
    assertOpen();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw toStoreError(err);
    }
    // The awaiting query rejects on its own; this listener only keeps the event from crashing the process.
    const onError = (err: Error): void => log.warn({ err }, 'PostgreSQL connection failed during a transaction');
    client.on('error', onError);
    const state = { open: true };
    const tx: DbTx = {
      async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
        assertTxOpen(state);
        try {
          return toResult<R>(await client.query(statement(sql, params)));
        } catch (err) {
          throw toStoreError(err);
        }
      },
      async exec(sql: string): Promise<void> {
        assertTxOpen(state);
        try {
          await client.query(sql);
        } catch (err) {
          throw toStoreError(err);
        }
      },
    };
    // Errors from the driver are mapped where they happen; an error of the
    // caller's own code (a validation error, say) leaves the transaction unchanged.
    const send = async (sql: string): Promise<pg.QueryResult> => {
      try {
        return await client.query(sql);
      } catch (err) {
        throw toStoreError(err);
      }
    };
    let discard = false;
    try {
      await send('BEGIN');
      const result = await guard.run(state, () => fn(tx));
      state.open = false;
      const commit = await send('COMMIT');
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error (PGlite throws).
      if (commit.command === 'ROLLBACK') throw abortedCommit();
      return result;
    } catch (err) {
      state.open = false;
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is gone or unusable: the server rolls back on its own when it notices.
        discard = true;
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(discard);
    }
  }

  return {
    driver: 'pg',
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      guard.assertOutside('db.query()');
      assertOpen();
      try {
        return toResult<T>(await pool.query(statement(sql, params)));
      } catch (err) {
        throw toStoreError(err);
      }
    },
    async exec(sql: string): Promise<void> {
      guard.assertOutside('db.exec()');
      assertOpen();
      try {
        await pool.query(sql);
      } catch (err) {
        throw toStoreError(err);
      }
    },
    transaction,
    async ping(): Promise<boolean> {
      if (closed) return false;
      return withTimeout(
        pool.query('SELECT 1').then(() => true),
        opts.pingTimeoutMs ?? 2000,
        false,
      );
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
