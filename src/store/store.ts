/**
 * The store as the rest of hotline sees it: the database (PGlite under ./data by default,
 * PostgreSQL with DATABASE_URL), migrated at start-up, and the write-behind paths of the
 * call path — CDRs and the ACD's queue events go into durable outboxes (journals under
 * <dataDir>/outbox) and from there, in batches and exactly once by key, into the database.
 * A call never waits for the database; a database that goes away only grows the journal.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AcdEvent } from '../acd/types.ts';
import type { CallRecord, CallRecordStore } from '../calls/cdr.ts';
import { writeCallRecords, writeQueueEvents } from './call-records.ts';
import { openDb, type Db } from './db.ts';
import { migrate } from './migrate.ts';
import { Outbox } from './outbox.ts';

export interface Store {
  readonly db: Db;
  /** The CDR port of the calls layer. */
  readonly calls: CallRecordStore;
  /** Feed every ACD event here (queue_events, operator state changes). */
  recordAcdEvent(event: AcdEvent): void;
  /** Whether the database answered its last health check (for /readyz). */
  readonly up: boolean;
  /** Everything handed over so far is in the database (or the timeout passed). */
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const HEALTH_CHECK_MS = 5_000;

export async function openStore(opts: { databaseUrl?: string; dataDir: string; log: Logger }): Promise<Store> {
  const log = opts.log;
  const db = await openDb({ ...(opts.databaseUrl !== undefined ? { databaseUrl: opts.databaseUrl } : {}), dataDir: opts.dataDir, log });
  let calls: Outbox<CallRecord> | undefined;
  let events: Outbox<AcdEvent> | undefined;
  try {
    const migrated = await migrate(db, { log });
    log.info({ driver: db.driver, schemaVersion: migrated.version, applied: migrated.applied.map((m) => m.name) }, 'database ready');
    const dir = join(opts.dataDir, 'outbox');
    calls = await Outbox.open<CallRecord>({ dir, name: 'calls', log: log.child({ outbox: 'calls' }), write: (batch) => writeCallRecords(db, batch) });
    events = await Outbox.open<AcdEvent>({ dir, name: 'queue-events', log: log.child({ outbox: 'queue-events' }), write: (batch) => writeQueueEvents(db, batch) });
  } catch (err) {
    await Promise.allSettled([calls?.close(), events?.close()]);
    await db.close();
    throw err;
  }
  const callsOutbox = calls;
  const eventsOutbox = events;

  // Idempotency keys of ACD events: unique per process start and event; the journal keeps them across a crash.
  const boot = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  let seq = 0;
  let up = true;
  const health = setInterval(() => {
    void db.ping().then((ok) => {
      if (ok !== up) log[ok ? 'info' : 'warn']({ driver: db.driver }, ok ? 'database reachable again' : 'database unreachable: writes wait in the outbox');
      up = ok;
    });
  }, HEALTH_CHECK_MS);
  health.unref();

  const keep = (what: string, fn: () => void, detail: Record<string, unknown>): void => {
    try {
      fn();
    } catch (err) {
      // OUTBOX_FULL (or closed): never fail the call; the record goes to the log instead.
      log.error({ err, ...detail }, `${what} could not be queued for the database`);
    }
  };

  return {
    db,
    calls: {
      write: (record) => keep('CDR', () => callsOutbox.add(record.callId, record), { cdr: record }),
      flush: () => callsOutbox.flush(),
    },
    recordAcdEvent: (event) => keep('queue event', () => eventsOutbox.add(`${boot}-${++seq}`, event), { event }),
    get up() {
      return up;
    },
    async flush(timeoutMs = 30_000) {
      await Promise.all([callsOutbox.flush({ timeoutMs }), eventsOutbox.flush({ timeoutMs })]);
    },
    async close() {
      clearInterval(health);
      // Give the database a moment to take what is queued; whatever is left stays in the journal.
      await Promise.allSettled([callsOutbox.flush({ timeoutMs: 3_000 }), eventsOutbox.flush({ timeoutMs: 3_000 })]);
      await Promise.allSettled([callsOutbox.close(), eventsOutbox.close()]);
      await db.close();
    },
  };
}
