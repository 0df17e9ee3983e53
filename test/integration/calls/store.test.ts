/**
 * The call path writing to the real store: the server started as `npm start` starts it (no
 * CDR override), with the embedded PGlite database in its data folder. A SIPp caller walks
 * the demo flow and gives up in the queue; the CDR, the queue events (ENTERQUEUE, ABANDON) and
 * the operator state changes reach the database through the outbox, /readyz reports the
 * database, and the data is still there after the server stops and the database is reopened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callById } from '../../../src/store/call-records.ts';
import { openDb } from '../../../src/store/db.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../sip/sipp.ts';
import { startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveSipp = sippVersion() !== undefined;
if (process.env['CI'] === 'true' && !haveSipp) throw new Error('SIPp is required in CI (.ci/run installs sip-tester)');

describe.runIf(haveSipp)('calls written to the embedded database', () => {
  let hot: Hotline;
  let scratch: string;
  let closed = false;

  beforeAll(async () => {
    hot = await startHotline({ database: true });
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-store-'));
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    if (!closed) await hot?.close();
    else rmSync(hot.dir, { recursive: true, force: true });
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  it('stores the CDR and the queue events, and keeps them across a restart', async () => {
    const store = hot.server.store!;
    expect(store).toBeDefined();
    const ready = (await (await fetch(`${hot.httpUrl}/readyz`)).json()) as { checks: Record<string, boolean> };
    expect(ready.checks).toMatchObject({ database: true, sip: true, media: true });

    hot.server.acd.run((a) => a.login('dmitry.ivanov', 'break'));
    const file = writeCallerScenario(scratch, { service: '8800', from: '79160000010', keys: ['1', 600, '5550010#'], firstKeyDelayMs: 800, hangup: 'caller', talkSeconds: 12, voice: false });
    const caller = await startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 60_000 });
    const result = await caller.done;
    expect(result.code, describeRun(result)).toBe(0);
    const ended = await hot.waitEvent((e) => e.type === 'cdr', 20_000, 'the CDR');
    const callId = ended.callId;
    await store.flush(10_000);

    const cdr = await callById(store.db, callId);
    expect(cdr).toMatchObject({ callId, caller: '79160000010', number: '8800', disposition: 'abandoned', queue: 'internet-l1', hungUpBy: 'caller' });
    expect(cdr?.variables['contract']).toBe('5550010');
    const events = await store.db.query<{ event: string; queue_id: string }>('SELECT event, queue_id FROM queue_events WHERE call_id = $1 ORDER BY at, event', [`${callId}#1`]);
    expect(events.rows.map((r) => r.event)).toEqual(['ENTERQUEUE', 'ABANDON']);
    const states = await store.db.query<{ n: number }>("SELECT count(*) AS n FROM operator_state_changes WHERE operator_id = 'dmitry.ivanov'");
    expect(states.rows[0]?.n).toBeGreaterThanOrEqual(1);

    // Stop the server; the data folder keeps the database.
    await hot.server.close();
    closed = true;
    const reopened = await openDb({ dataDir: hot.dataDir, log: pino({ level: 'silent' }) });
    try {
      expect(await callById(reopened, callId)).toMatchObject({ callId, disposition: 'abandoned' });
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
