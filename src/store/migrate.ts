/**
 * Versioned SQL migrations, applied at start-up.
 *
 * Files are src/store/migrations/NNN_name.sql, plain SQL that runs on both
 * PostgreSQL and PGlite, applied in version order. Everything pending runs in
 * ONE transaction that first takes a transaction-level advisory lock: a second
 * instance starting at the same moment waits on the lock, then finds the work
 * done; a failing migration rolls back every migration of the run, so the
 * schema is either the old one or the new one, never in between. (So a
 * migration must be transactional: no BEGIN/COMMIT of its own, no CREATE
 * INDEX CONCURRENTLY, no VACUUM.)
 *
 * Each applied file's SHA-256 is recorded in schema_migrations. Editing an
 * applied file stops start-up with STORE_MIGRATION_CHANGED: the database was
 * built from the old text, and silently ignoring the edit would leave
 * databases that differ depending on when they were created. Write a new
 * migration instead.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Db, DbTx } from './db.ts';
import { StoreError } from './errors.ts';

/** The migrations shipped with hotline. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Key of the advisory lock held while migrating: an arbitrary constant that
 * nothing else in hotline uses ("hotl" in ASCII, read as a number).
 */
export const MIGRATION_LOCK_KEY = 0x686f746c;

const FILE_NAME = /^(\d{3,})_([a-z0-9][a-z0-9_-]*)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  /** The file name, e.g. 001_initial.sql. */
  file: string;
  sql: string;
  /** SHA-256 (hex) of the text with line endings normalised. */
  checksum: string;
}

export interface MigrateOptions {
  log: Logger;
  /** Folder of NNN_name.sql files (default: MIGRATIONS_DIR). */
  dir?: string;
}

export interface MigrateResult {
  /** Migrations applied by this run, in order (empty when the schema was up to date). */
  applied: Migration[];
  /** The highest version now recorded in the database. */
  version: number;
}

/**
 * Line endings are normalised before hashing: a checkout with CRLF (git on
 * Windows) is the same migration, not a changed one.
 */
export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads and checks the folder: every .sql file must be NNN_name.sql, versions unique. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new StoreError('STORE_MIGRATION_INVALID', `cannot read the migrations folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const migrations: Migration[] = [];
  for (const file of names.filter((n) => n.endsWith('.sql')).sort()) {
    const m = FILE_NAME.exec(file);
    if (m === null) {
      throw new StoreError('STORE_MIGRATION_INVALID', `${file}: a migration file must be named NNN_name.sql (digits, then lower-case letters, digits, _ or -)`, { file });
    }
    const sql = await readFile(join(dir, file), 'utf8');
    migrations.push({ version: Number(m[1]), name: m[2] ?? '', file, sql, checksum: checksum(sql) });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    const [prev, cur] = [migrations[i - 1], migrations[i]];
    if (prev !== undefined && cur !== undefined && prev.version === cur.version) {
      throw new StoreError('STORE_MIGRATION_INVALID', `${prev.file} and ${cur.file} have the same version ${cur.version}`, { file: cur.file });
    }
  }
  return migrations;
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY CHECK (version > 0),
  name       text NOT NULL,
  checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** Which files still need to run; throws when the database and the folder disagree. */
function plan(files: Migration[], applied: AppliedRow[], log: Logger): Migration[] {
  const byVersion = new Map(files.map((m) => [m.version, m]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (file === undefined) {
      // A newer hotline migrated this database (rolling upgrade, or a downgrade): keep going, as Flyway does.
      log.warn({ version: row.version, name: row.name }, 'the database has a migration this version of hotline does not know');
      continue;
    }
    if (file.checksum !== row.checksum) {
      throw new StoreError(
        'STORE_MIGRATION_CHANGED',
        `${file.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${file.checksum.slice(0, 12)}… on disk): restore the file and put the change in a new migration`,
        { file: file.file },
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  const top = Math.max(0, ...applied.map((r) => r.version));
  const pending = files.filter((m) => !done.has(m.version));
  const late = pending.find((m) => m.version < top);
  if (late !== undefined) {
    throw new StoreError('STORE_MIGRATION_INVALID', `${late.file} is new but the database is already at version ${top}: give it a version above ${top}`, { file: late.file });
  }
  return pending;
}

/** 1-based line of a character position in the text, for error messages. */
function lineOf(text: string, position: number): number {
  return text.slice(0, position - 1).split('\n').length;
}

async function apply(tx: DbTx, m: Migration): Promise<void> {
  try {
    await tx.exec(m.sql);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'STORE_UNAVAILABLE') throw err;
    const e = err instanceof StoreError ? err : undefined;
    const where = e?.position !== undefined ? ` (line ${lineOf(m.sql, e.position)})` : '';
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError('STORE_MIGRATION_FAILED', `migration ${m.file} failed${where}: ${reason}; nothing was applied`, {
      file: m.file,
      sqlState: e?.sqlState,
      position: e?.position,
      cause: err,
    });
  }
  await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
}

/** Brings the schema up to date. Safe to call from several instances at once. */
export async function migrate(db: Db, opts: MigrateOptions): Promise<MigrateResult> {
  const log = opts.log.child({ component: 'migrate' });
  const files = await loadMigrations(opts.dir);
  const started = Date.now();
  const result = await db.transaction(async (tx) => {
    // Held until COMMIT or ROLLBACK; taken before even looking at schema_migrations.
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.exec(CREATE_TABLE);
    const applied = (await tx.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')).rows;
    const pending = plan(files, applied, log);
    for (const m of pending) {
      log.info({ migration: m.file }, 'applying migration');
      await apply(tx, m);
    }
    const version = Math.max(0, ...applied.map((r) => r.version), ...pending.map((m) => m.version));
    return { applied: pending, version };
  });
  if (result.applied.length > 0) {
    log.info({ applied: result.applied.map((m) => m.file), version: result.version, ms: Date.now() - started }, 'database schema migrated');
  } else {
    log.debug({ version: result.version }, 'database schema up to date');
  }
  return result;
}
