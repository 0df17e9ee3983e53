/**
 * The databases the store tests run against: PGlite always (one instance per
 * test file, in a temporary directory removed afterwards), and the real
 * PostgreSQL server of ../shared/HARNESS.md (one fresh database per test
 * file, dropped afterwards, so files never collide).
 *
 * Without a reachable PostgreSQL the pg tests are skipped on a developer's
 * machine, but in CI (CI=true) they fail loudly: a store that was only ever
 * tested on PGlite is not tested.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { openDb, type Db } from '../../../src/store/db.ts';

/** The server's maintenance database; test databases are created beside it. */
export const PG_ADMIN_URL = process.env.HOTLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const IN_CI = process.env.CI === 'true';

export const silentLog: Logger = pino({ level: 'silent' });

/** A logger that keeps warn-and-above lines for assertions. */
export function capturingLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

export interface TargetHandle {
  db: Db;
  /** pg: the test database's URL (to open more pools on it); pglite: undefined. */
  url: string | undefined;
  /** pglite: hotline's data directory (PGlite lives in <dataDir>/pglite). */
  dataDir: string | undefined;
  /** How long opening the database took, ms. */
  openMs: number;
  teardown(): Promise<void>;
}

export interface StoreTarget {
  driver: 'pglite' | 'pg';
  /** Why this target is skipped (never set in CI). */
  skip: string | undefined;
  /** Title for describe(): driver name, and the reason when skipped. */
  title: string;
  setup(): Promise<TargetHandle>;
}

/** Why PostgreSQL cannot be used, or undefined when it answers. */
async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${PG_ADMIN_URL} is not reachable (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs SQL as the server's superuser on the maintenance database (e.g. pg_terminate_backend). */
export function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withAdmin((c) => c.query(sql, params));
}

export async function setupPglite(): Promise<TargetHandle> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hotline-store-'));
  const started = Date.now();
  const db = await openDb({ dataDir, log: silentLog });
  const openMs = Date.now() - started;
  const handle: TargetHandle = {
    db,
    url: undefined,
    dataDir,
    openMs,
    async teardown() {
      await handle.db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

export async function setupPostgres(): Promise<TargetHandle> {
  const reason = await probePostgres();
  if (reason !== undefined) {
    throw new Error(`${reason}. CI=true requires the PostgreSQL tests to run: start it with pg_ctlcluster (see ../shared/HARNESS.md)`);
  }
  const name = `hotline_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const started = Date.now();
  const db = await openDb({ databaseUrl: url.toString(), dataDir: '/nonexistent', log: silentLog });
  await db.query('SELECT 1');
  const openMs = Date.now() - started;
  return {
    db,
    url: url.toString(),
    dataDir: undefined,
    openMs,
    async teardown() {
      await db.close();
      // FORCE: a pool a failed test left open must not keep the database alive.
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Both targets; the PostgreSQL probe runs once per test file (top-level await in the file). */
export async function storeTargets(): Promise<StoreTarget[]> {
  const pgDown = await probePostgres();
  const pgSkip = pgDown !== undefined && !IN_CI ? pgDown : undefined;
  return [
    { driver: 'pglite', skip: undefined, title: 'pglite', setup: setupPglite },
    { driver: 'pg', skip: pgSkip, title: pgSkip === undefined ? 'pg (PostgreSQL server)' : `pg — skipped: ${pgSkip}`, setup: setupPostgres },
  ];
}

/** Back to an empty database: every table, index and the migration history gone. */
export async function resetSchema(db: Db): Promise<void> {
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
}

/** Tables of the public schema, sorted. */
export async function tableNames(db: Db): Promise<string[]> {
  const r = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  return r.rows.map((row) => row.table_name);
}
