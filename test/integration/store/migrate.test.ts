/**
 * Start-up migrations on both drivers: an empty database gets the schema, a
 * second start changes nothing, an edited applied migration and a failing
 * migration stop start-up without leaving anything half done, and two
 * instances starting together migrate once.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src/store/db.ts';
import { StoreError } from '../../../src/store/errors.ts';
import { MIGRATIONS_DIR, checksum, loadMigrations, migrate } from '../../../src/store/migrate.ts';
import { resetSchema, silentLog, storeTargets, tableNames, type TargetHandle } from './targets.ts';

const log = silentLog;

/** Every table the shipped migrations create, plus the migrator's own. */
const TABLES = [
  'api_tokens', 'api_users', 'call_legs', 'call_offers', 'call_transfers', 'callbacks', 'calls', 'flow_versions', 'flows', 'languages',
  'numbers', 'operator_languages', 'operator_skills', 'operator_state_changes', 'operators', 'outage_notices', 'queue_escalation_steps',
  'queue_events', 'queue_members', 'queues', 'recordings', 'registrations', 'schema_migrations', 'skills', 'surveys',
];

/** A scratch migrations folder: copies of the shipped files plus `extra` files. */
async function migrationsDir(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hotline-migrations-'));
  for (const m of await loadMigrations()) await copyFile(join(MIGRATIONS_DIR, m.file), join(dir, m.file));
  for (const [file, sql] of Object.entries(extra)) await writeFile(join(dir, file), sql);
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

const scratch: string[] = [];
afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('migration files', () => {
  it('the shipped folder holds well-named files with unique versions', async () => {
    const files = await loadMigrations();
    expect(files[0]).toMatchObject({ version: 1, name: 'initial', file: '001_initial.sql' });
    expect(new Set(files.map((m) => m.version)).size).toBe(files.length);
  });

  it('refuses a badly named file and two files with one version', async () => {
    const bad = await migrationsDir({ '2_oops.sql': 'SELECT 1;' });
    const dup = await migrationsDir({ '001_again.sql': 'SELECT 1;' });
    scratch.push(bad, dup);
    expect(await rejection(loadMigrations(bad))).toMatchObject({ code: 'STORE_MIGRATION_INVALID', file: '2_oops.sql' });
    expect((await rejection(loadMigrations(dup))).code).toBe('STORE_MIGRATION_INVALID');
  });

  it('a CRLF checkout of a file has the same checksum', () => {
    expect(checksum('CREATE TABLE a (id int);\r\nSELECT 1;\r\n')).toBe(checksum('CREATE TABLE a (id int);\nSELECT 1;\n'));
  });
});

for (const target of await storeTargets()) {
  // Skipped only on a developer's machine without a reachable PostgreSQL (the reason is in the title, from
  // targets.ts); with CI=true targets.ts fails loudly instead, so CI always runs both drivers.
  describe.skipIf(target.skip !== undefined)(`migrations on ${target.title}`, () => {
    let h: TargetHandle;
    let db: Db;
    beforeAll(async () => {
      h = await target.setup();
      db = h.db;
      console.info(`[store] ${target.driver}: database opened in ${h.openMs} ms`);
    }, 60_000);
    afterAll(async () => {
      await h?.teardown();
    });

    it('applies every migration to an empty database, and nothing on the next start', async () => {
      await resetSchema(db);
      const files = await loadMigrations();
      const first = await migrate(db, { log });
      expect(first.applied.map((m) => m.file)).toEqual(files.map((m) => m.file));
      expect(first.version).toBe(files.at(-1)?.version);
      expect(await tableNames(db)).toEqual(TABLES);
      const rows = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>('SELECT * FROM schema_migrations ORDER BY version');
      expect(rows.rows.map((r) => [r.version, r.name, r.checksum])).toEqual(files.map((m) => [m.version, m.name, m.checksum]));
      expect(rows.rows[0]?.applied_at).toBeInstanceOf(Date);

      const second = await migrate(db, { log });
      expect(second).toEqual({ applied: [], version: first.version });
      expect((await db.query('SELECT 1 FROM schema_migrations')).rowCount).toBe(files.length);
    });

    it('stops with STORE_MIGRATION_CHANGED naming the file when an applied migration was edited', async () => {
      await resetSchema(db);
      const dir = await migrationsDir();
      scratch.push(dir);
      await migrate(db, { log, dir });
      const file = join(dir, '001_initial.sql');
      await writeFile(file, `${await readFile(file, 'utf8')}\nCREATE TABLE sneaky (id int);\n`);
      const err = await rejection(migrate(db, { log, dir }));
      expect(err.code).toBe('STORE_MIGRATION_CHANGED');
      expect(err.file).toBe('001_initial.sql');
      expect(err.message).toContain('001_initial.sql');
      expect(await tableNames(db)).not.toContain('sneaky');
    });

    it('a failing migration rolls back whole and names the file, the line and the database error', async () => {
      await resetSchema(db);
      const good = await migrationsDir();
      const bad = await migrationsDir({
        '900_add_notes.sql': 'CREATE TABLE notes (id int);\nINSERT INTO notes VALUES (1);\nALTER TABLE calls ADD COLUMN note text;\nSELECT missing_column FROM calls;\n',
      });
      const runtime = await migrationsDir({ '900_divide.sql': 'CREATE TABLE notes (id int);\nSELECT 1/0;\n' });
      scratch.push(good, bad, runtime);
      await migrate(db, { log, dir: good });

      const err = await rejection(migrate(db, { log, dir: bad }));
      expect(err.code).toBe('STORE_MIGRATION_FAILED');
      expect(err.file).toBe('900_add_notes.sql');
      expect(err.message).toMatch(/900_add_notes\.sql failed \(line 4\): column "missing_column" does not exist/);
      // Nothing of 900 survived; the shipped migrations are still there.
      expect(await tableNames(db)).not.toContain('notes');
      const cols = await db.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'calls' AND column_name = 'note'");
      expect(cols.rowCount).toBe(0);
      const shipped = (await loadMigrations()).map((m) => ({ version: m.version }));
      expect((await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows).toEqual(shipped);

      // On an empty database a failure leaves it empty: the shipped migrations are rolled back with 900.
      await resetSchema(db);
      const late = await rejection(migrate(db, { log, dir: runtime }));
      expect(late).toMatchObject({ code: 'STORE_MIGRATION_FAILED', file: '900_divide.sql' });
      expect(late.message).toContain('division by zero');
      expect(await tableNames(db)).toEqual([]);
    });

    it('refuses a new migration numbered below one already applied', async () => {
      await resetSchema(db);
      const dir = await migrationsDir({ '905_later.sql': 'CREATE TABLE later (id int);' });
      scratch.push(dir);
      await migrate(db, { log, dir });
      await writeFile(join(dir, '903_forgotten.sql'), 'CREATE TABLE forgotten (id int);');
      const err = await rejection(migrate(db, { log, dir }));
      expect(err).toMatchObject({ code: 'STORE_MIGRATION_INVALID', file: '903_forgotten.sql' });
    });

    it('two instances starting at once apply each migration exactly once', async () => {
      await resetSchema(db);
      // A slow last migration widens the window in which both would otherwise run it.
      const dir = await migrationsDir({ '900_slow.sql': 'SELECT pg_sleep(0.4);\nCREATE TABLE race_marker (id int);\n' });
      scratch.push(dir);
      // pg: a second pool, as a second process would have; PGlite: one database, two start-ups.
      const other = h.url !== undefined ? await openDb({ databaseUrl: h.url, dataDir: '/nonexistent', log }) : db;
      try {
        const results = await Promise.all([migrate(db, { log, dir }), migrate(other, { log, dir })]);
        const applied = results.map((r) => r.applied.map((m) => m.file)).sort((a, b) => b.length - a.length);
        const shipped = (await loadMigrations()).map((m) => m.file);
        expect(applied).toEqual([[...shipped, '900_slow.sql'], []]);
        expect(results.map((r) => r.version)).toEqual([900, 900]);
        expect((await db.query('SELECT version FROM schema_migrations')).rowCount).toBe(shipped.length + 1);
      } finally {
        if (other !== db) await other.close();
      }
    });
  });
}
