/**
 * The Db interface behaves the same on both drivers: transactions commit or
 * roll back whole, errors arrive as StoreErrors (or unchanged, when they are
 * the caller's own), rows have the same shapes, misuse is reported instead of
 * hanging. Plus what only one driver has: pg's unreachable server and dropped
 * connections, PGlite's data surviving a restart.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../../src/store/db.ts';
import { StoreError } from '../../../src/store/errors.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { adminQuery, capturingLog, resetSchema, silentLog, storeTargets, type TargetHandle } from './targets.ts';

const log = silentLog;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

const insertCall = 'INSERT INTO calls (call_id, caller, number, arrived_at, disposition) VALUES ($1, $2, $3, $4, $5)';
const callRow = (id: string): unknown[] => [id, '+79001234567', '8800', new Date('2025-03-01T10:00:00Z'), 'answered'];

async function countCalls(db: Db, id: string): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*) AS n FROM calls WHERE call_id = $1', [id]);
  return r.rows[0]?.n ?? -1;
}

describe('pg driver without a server', () => {
  it('an unreachable server is STORE_UNAVAILABLE at once, and ping() says false', async () => {
    const db = await openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', dataDir: '/nonexistent', log, pool: { connectTimeoutMs: 1000 } });
    try {
      const started = Date.now();
      const err = await rejection(db.query('SELECT 1'));
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
      expect((err as Error).message).toContain('ECONNREFUSED');
      expect(await rejection(db.transaction(async (tx) => tx.query('SELECT 1')))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(await rejection(migrate(db, { log }))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(await db.ping()).toBe(false);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await db.close();
    }
  });
});

for (const target of await storeTargets()) {
  // Skipped only on a developer's machine without a reachable PostgreSQL (the reason is in the title, from
  // targets.ts); with CI=true targets.ts fails loudly instead, so CI always runs both drivers.
  describe.skipIf(target.skip !== undefined)(`Db on ${target.title}`, () => {
    let h: TargetHandle;
    let db: Db;
    beforeAll(async () => {
      h = await target.setup();
      db = h.db;
      console.info(`[store] ${target.driver}: database opened in ${h.openMs} ms`);
      await resetSchema(db);
      await migrate(db, { log });
    }, 60_000);
    afterAll(async () => {
      await h?.teardown();
    });

    it('names its driver and answers ping()', async () => {
      expect(db.driver).toBe(target.driver);
      expect(await db.ping()).toBe(true);
    });

    it('a transaction commits all its writes together and returns the callback’s value', async () => {
      const value = await db.transaction(async (tx) => {
        await tx.query(insertCall, callRow('tx-commit-1'));
        const r = await tx.query(insertCall, callRow('tx-commit-2'));
        return r.rowCount;
      });
      expect(value).toBe(1);
      expect(await countCalls(db, 'tx-commit-1')).toBe(1);
      expect(await countCalls(db, 'tx-commit-2')).toBe(1);
    });

    it('an error of the caller’s code rolls everything back and reaches the caller unchanged', async () => {
      const mine = new RangeError('validation failed');
      const err = await rejection(
        db.transaction(async (tx) => {
          await tx.query(insertCall, callRow('tx-app-error'));
          throw mine;
        }),
      );
      expect(err).toBe(mine);
      expect(await countCalls(db, 'tx-app-error')).toBe(0);
    });

    it('a failed statement rolls back the statements before it', async () => {
      const err = await rejection(
        db.transaction(async (tx) => {
          await tx.query(insertCall, callRow('tx-db-error'));
          await tx.query(insertCall, ['tx-db-error-2', 'x', 'y', new Date(), 'lost-in-space']);
        }),
      );
      expect(err).toMatchObject({ code: 'STORE_CONSTRAINT', constraint: 'calls_disposition_check' });
      expect(await countCalls(db, 'tx-db-error')).toBe(0);
    });

    it('a failed statement whose error was swallowed does not commit the rest', async () => {
      const err = await rejection(
        db.transaction(async (tx) => {
          await tx.query(insertCall, callRow('tx-swallowed'));
          await tx.query(insertCall, callRow('tx-swallowed')).catch(() => undefined);
          return 'looks fine';
        }),
      );
      expect(err).toMatchObject({ code: 'STORE_QUERY_FAILED' });
      expect((err as Error).message).toContain('rolled back at COMMIT');
      expect(await countCalls(db, 'tx-swallowed')).toBe(0);
    });

    it('a query issued while a transaction is open never runs inside it', async () => {
      let inserted!: () => void;
      const insertedP = new Promise<void>((resolve) => (inserted = resolve));
      const tx = db.transaction(async (t) => {
        await t.query(insertCall, callRow('tx-isolated'));
        inserted();
        await sleep(100);
        throw new Error('roll back');
      });
      await insertedP;
      // pg: another connection, sees nothing uncommitted; PGlite: waits for the transaction to end.
      const seen = await countCalls(db, 'tx-isolated');
      await expect(tx).rejects.toThrow('roll back');
      expect(seen).toBe(0);
      expect(await countCalls(db, 'tx-isolated')).toBe(0);
    });

    it('db.query inside db.transaction is STORE_MISUSE, not a deadlock; tx after the end too', async () => {
      let leaked: { query(sql: string): Promise<unknown> } | undefined;
      const err = await rejection(
        db.transaction(async (tx) => {
          leaked = tx;
          await db.query('SELECT 1');
        }),
      );
      expect(err).toMatchObject({ code: 'STORE_MISUSE' });
      expect(await rejection(db.transaction(async (tx) => ((leaked = tx), db.transaction(async () => 1))))).toMatchObject({ code: 'STORE_MISUSE' });
      expect(await rejection(leaked?.query('SELECT 1') ?? Promise.resolve())).toMatchObject({ code: 'STORE_MISUSE' });
    });

    it('query() takes one statement on both drivers; exec() takes a script', async () => {
      expect(await rejection(db.query('SELECT 1; SELECT 2'))).toBeInstanceOf(StoreError);
      await db.exec('CREATE TEMP TABLE script_a (id int); INSERT INTO script_a VALUES (1), (2); DROP TABLE script_a;');
    });

    it('rows look alike: int8 and count(*) as numbers, dates as strings, timestamptz as Date, jsonb parsed', async () => {
      const r = await db.query<Record<string, unknown>>(
        "SELECT count(*) AS n, 9007199254740991::int8 AS big, ARRAY[1, 2]::int8[] AS bigs, DATE '2025-03-01' AS day, " +
          "TIMESTAMPTZ '2025-03-01 10:00:00+00' AS at, '{\"contract\": \"123\"}'::jsonb AS vars, 1.5::numeric AS exact, $1::text AS param",
        ['ok'],
      );
      expect(r.rows).toEqual([
        { n: 1, big: 9007199254740991, bigs: [1, 2], day: '2025-03-01', at: new Date('2025-03-01T10:00:00Z'), vars: { contract: '123' }, exact: '1.5', param: 'ok' },
      ]);
      expect(r.rowCount).toBe(1);
      const upd = await db.query("UPDATE calls SET hold_ms = 5 WHERE call_id LIKE 'tx-commit-%'");
      expect(upd.rowCount).toBe(2);
    });

    if (target.driver === 'pg') {
      it('a connection the server drops while idle is logged and replaced, never fatal', async () => {
        const { log: warnLog, lines } = capturingLog();
        const other = await openDb({ databaseUrl: h.url, dataDir: '/nonexistent', log: warnLog });
        try {
          const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
          await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
          for (let i = 0; i < 50 && lines.length === 0; i++) await sleep(20);
          expect(lines.map((l) => l.msg)).toContain('an idle PostgreSQL connection failed; the pool opens a new one when needed');
          expect((await other.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        } finally {
          await other.close();
        }
      });
    }

    if (target.driver === 'pglite') {
      it('keeps its data under <dataDir>/pglite across a restart, and one instance at a time', async () => {
        const { readdir } = await import('node:fs/promises');
        expect((await readdir(h.dataDir ?? '')).sort()).toEqual(['pglite', 'pglite.lock']);
        const second = await rejection(openDb({ dataDir: h.dataDir ?? '', log }));
        expect(second).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expect((second as Error).message).toContain('already open in this process');
        await db.close();
        expect(await readdir(h.dataDir ?? '')).toEqual(['pglite']);
        const started = Date.now();
        h.db = db = await openDb({ dataDir: h.dataDir ?? '', log });
        console.info(`[store] pglite: reopened in ${Date.now() - started} ms`);
        expect(await countCalls(db, 'tx-commit-1')).toBe(1);
        expect((await migrate(db, { log })).applied).toEqual([]);
      });
    }

    it('close() is idempotent; afterwards queries are STORE_CLOSED and ping() is false', async () => {
      const other = target.driver === 'pg' ? await openDb({ databaseUrl: h.url, dataDir: '/nonexistent', log }) : db;
      await other.close();
      await other.close();
      expect(await rejection(other.query('SELECT 1'))).toMatchObject({ code: 'STORE_CLOSED' });
      expect(await other.ping()).toBe(false);
    });
  });
}
