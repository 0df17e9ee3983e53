/**
 * Queue events written per second, sustained, on both drivers — the write path the call
 * path uses: ACD events → Outbox (journal on disk, fsync per flush) → writeQueueEvents
 * (multi-row INSERT … ON CONFLICT DO NOTHING, one transaction per batch of 200).
 *
 * The events are real: the ACD simulator's ISP-week scenario is replayed and every event it
 * emits is recorded. Two figures per driver: the writer alone (batches straight into the
 * database) and the whole path through the outbox (add() until everything is in the
 * database). PostgreSQL is the server of ../shared/HARNESS.md (a fresh database, dropped at
 * the end); PGlite a fresh data directory.
 *
 *   npx tsx benchmarks/store/events.ts [--events 50000] [--pg postgres://postgres@127.0.0.1:5432/test]
 *
 * Prints one JSON line.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { AcdEvent } from '../../src/acd/types.ts';
import { ispWeek } from '../../src/acd/scenarios.ts';
import { simulate } from '../../src/acd/simulator.ts';
import { writeQueueEvents } from '../../src/store/call-records.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { Outbox } from '../../src/store/outbox.ts';
import { numericFlag, progress, report, round } from '../_util.ts';

const EVENTS = numericFlag('events', 50_000);
const pgFlag = process.argv.indexOf('--pg');
const PG_ADMIN = pgFlag >= 0 ? (process.argv[pgFlag + 1] ?? '') : 'postgres://postgres@127.0.0.1:5432/test';
const log = pino({ level: 'silent' });

function recordedEvents(n: number): AcdEvent[] {
  const events: AcdEvent[] = [];
  simulate({ ...ispWeek(), onEvent: (e: AcdEvent) => void (events.length < n && events.push(e)) });
  return events;
}

async function measure(db: Db, events: AcdEvent[], label: string): Promise<Record<string, number>> {
  await migrate(db, { log });
  const run = `${label}-${randomBytes(3).toString('hex')}`;
  const direct0 = performance.now();
  for (let i = 0; i < events.length; i += 200) {
    await writeQueueEvents(db, events.slice(i, i + 200).map((value, j) => ({ key: `${run}-d-${i + j}`, value })));
  }
  const directS = (performance.now() - direct0) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-outbox-'));
  try {
    const outbox = await Outbox.open<AcdEvent>({ dir, name: 'events', log, write: (batch) => writeQueueEvents(db, batch) });
    const t0 = performance.now();
    events.forEach((e, i) => outbox.add(`${run}-o-${i}`, e));
    await outbox.flush({ timeoutMs: 600_000 });
    const outboxS = (performance.now() - t0) / 1000;
    await outbox.close();
    progress(`store/events ${label}: direct ${round(events.length / directS, 0)}/s, through the outbox ${round(events.length / outboxS, 0)}/s`);
    return { writerEventsPerSecond: round(events.length / directS, 0), outboxEventsPerSecond: round(events.length / outboxS, 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const events = recordedEvents(EVENTS);
progress(`store/events: ${events.length} events recorded from the ISP-week simulation`);
const figures: Record<string, unknown> = { events: events.length, batch: 200 };

const dataDir = mkdtempSync(join(tmpdir(), 'hotline-bench-pglite-'));
try {
  const db = await openDb({ dataDir, log });
  try {
    figures['pglite'] = await measure(db, events, 'pglite');
  } finally {
    await db.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const admin = new pg.Client({ connectionString: PG_ADMIN });
const name = `hotline_bench_${randomBytes(4).toString('hex')}`;
try {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString(), dataDir: tmpdir(), log });
  try {
    figures['postgresql'] = await measure(db, events, 'pg');
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE ${name}`);
  }
} catch (err) {
  figures['postgresql'] = { error: err instanceof Error ? err.message : String(err) };
} finally {
  await admin.end().catch(() => undefined);
}

report('store/events', figures);
