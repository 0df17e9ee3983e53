/**
 * One database interface over two drivers: node-postgres (a Pool on a real
 * PostgreSQL server, for production) and PGlite (PostgreSQL compiled to WASM,
 * in-process, keeping its files under the data directory, so a fresh clone
 * runs with no database server). The same SQL and the same migrations run on
 * both; everything a driver throws leaves as a StoreError.
 *
 * Rows look the same on both drivers: bigint (int8) columns and count(*) come
 * back as JS numbers, `date` as 'YYYY-MM-DD' strings, numeric as strings,
 * timestamptz as Date, json/jsonb parsed.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';

export type DbDriver = 'pg' | 'pglite';

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT, or changed by INSERT / UPDATE / DELETE; 0 for DDL. */
  rowCount: number;
}

/** What a transaction callback gets: the statements, not the lifecycle. */
export interface DbTx {
  /**
   * One statement with $1, $2... parameters (extended protocol on both
   * drivers, so several statements in one string are refused on both).
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends DbTx {
  readonly driver: DbDriver;
  /**
   * Runs `fn` inside BEGIN ... COMMIT; any error rolls back and is rethrown as
   * a StoreError. Use only the `tx` argument inside: calling db.query or
   * db.transaction from inside throws STORE_MISUSE (on PGlite, which has one
   * connection, it would otherwise wait forever for this transaction to end).
   */
  transaction<T>(fn: (tx: DbTx) => Promise<T>): Promise<T>;
  /** true when a trivial query succeeds within a short time; never throws (for /readyz). */
  ping(): Promise<boolean>;
  /** Idempotent. Later calls throw STORE_CLOSED. */
  close(): Promise<void>;
}

export interface PgPoolSettings {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Give up connecting after this long (default 5000 ms): a down server fails fast with STORE_UNAVAILABLE. */
  connectTimeoutMs?: number;
  /** Close connections idle this long (default 30000 ms). */
  idleTimeoutMs?: number;
}

export interface OpenDbOptions {
  /** postgres://… : use this PostgreSQL server. Unset: the embedded PGlite database under dataDir. */
  databaseUrl?: string;
  /** hotline's data directory (./data); PGlite keeps its files in <dataDir>/pglite. */
  dataDir: string;
  log: Logger;
  pool?: PgPoolSettings;
  /** ping() answers false after this long (default 2000 ms). */
  pingTimeoutMs?: number;
}

/** Where PGlite keeps its files inside hotline's data directory. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

/**
 * Opens the configured database. The pg driver connects lazily (the first
 * query or migrate() reports STORE_UNAVAILABLE if the server is down); PGlite
 * opens its files here (3–4 s for a new data directory, well under 1 s after).
 * Drivers are imported on demand: a PostgreSQL deployment never loads the WASM.
 */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    const { createPgDb } = await import('./pg-db.ts');
    return createPgDb({ url: opts.databaseUrl, log: opts.log, ...opts.pool, pingTimeoutMs: opts.pingTimeoutMs });
  }
  const { openPgliteDb } = await import('./pglite-db.ts');
  return openPgliteDb({ dir: pgliteDir(opts.dataDir), log: opts.log, pingTimeoutMs: opts.pingTimeoutMs });
}
