/**
 * The call path's history writers and the CDR reads, on both drivers: a full
 * CallRecord round-trips; a batch written twice is stored once; a bad record
 * rolls its whole batch back with a StoreError naming the constraint; the
 * queue events of a real ACD run are written once however often the batch
 * repeats; CDR search filters and pages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Acd } from '../../../src/acd/acd.ts';
import { ManualClock } from '../../../src/acd/clock.ts';
import { queueConfig } from '../../../src/acd/defaults.ts';
import type { AcdEvent } from '../../../src/acd/types.ts';
import type { CallRecord } from '../../../src/calls/cdr.ts';
import { callById, searchCalls, writeCallRecords, writeQueueEvents, QUEUE_EVENT_NAMES, type Keyed } from '../../../src/store/call-records.ts';
import type { Db } from '../../../src/store/db.ts';
import { StoreError } from '../../../src/store/errors.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { resetSchema, silentLog, storeTargets, type TargetHandle } from './targets.ts';

const T0 = Date.parse('2025-03-14T09:00:00.000Z');
const at = (sec: number): string => new Date(T0 + sec * 1000).toISOString();

/** A call that went through everything a CDR can hold. */
function fullRecord(callId = 'a84b4c76e66710@192.0.2.10'): CallRecord {
  return {
    callId,
    caller: '+79001234567',
    number: '88005553535',
    flow: { id: 'isp-hotline', hash: 'f'.repeat(64) },
    language: 'ru',
    arrivedAt: at(0),
    ivrAnsweredAt: at(0.25),
    queuedAt: at(20),
    offeredAt: at(21),
    connectedAt: at(35.5),
    endedAt: at(300),
    queue: 'internet-l1',
    waitMs: 15_500,
    agentId: 'anna.smirnova',
    talkMs: 200_000,
    holdMs: 12_000,
    wrapUpMs: 15_000,
    disposition: 'answered',
    hungUpBy: 'caller',
    transfers: [
      { at: at(150), by: 'operator-refer', agentId: 'boris', to: 'internet-l1', kind: 'queue' },
      { at: at(250), by: 'flow', to: 'sip:billing@pbx.example', kind: 'external' },
    ],
    offers: [
      { agentId: 'boris', at: at(21), outcome: 'no-answer', status: 408 },
      { agentId: 'carl', at: at(28), outcome: 'unreachable' },
      { agentId: 'anna.smirnova', at: at(33), outcome: 'answered', status: 200 },
    ],
    recording: { path: `/var/lib/hotline/recordings/2025-03-14/${callId}.wav`, durationMs: 264_500, bytes: 8_464_044 },
    voicemail: '/var/lib/hotline/voicemail/x.wav',
    callbackNumber: '+79007654321',
    surveyScore: 5,
    variables: { contract: '123456', area: 'Zarechny', menu: 2, vip: false },
    legs: [
      { role: 'caller', callId, uri: 'sip:+79001234567@192.0.2.10', startedAt: at(0), answeredAt: at(0.25), endedAt: at(300), status: 200 },
      { role: 'operator', callId: 'op-1', uri: 'sip:boris@10.0.0.5:5060', agentId: 'boris', status: 408, startedAt: at(21) },
      { role: 'operator', callId: 'op-2', uri: 'sip:anna.smirnova@10.0.0.6:5060', agentId: 'anna.smirnova', status: 200, startedAt: at(33), answeredAt: at(35.5), endedAt: at(250) },
      { role: 'transfer-target', callId: '', uri: 'sip:billing@pbx.example', startedAt: at(250), endedAt: at(251), status: 486 },
    ],
  };
}

/** The smallest CDR: a caller who hung up in the IVR. */
function ivrOnly(callId: string, fields: Partial<CallRecord> = {}): CallRecord {
  return {
    callId,
    caller: '+79000000000',
    number: '88005553535',
    flow: { id: 'isp-hotline', hash: 'a'.repeat(64) },
    language: 'ru',
    arrivedAt: at(0),
    endedAt: at(10),
    talkMs: 0,
    holdMs: 0,
    disposition: 'ivr-only',
    hungUpBy: 'caller',
    transfers: [],
    offers: [],
    surveyScore: null,
    variables: {},
    legs: [{ role: 'caller', callId, uri: 'sip:x@192.0.2.1', startedAt: at(0), endedAt: at(10) }],
    ...fields,
  };
}

const keyed = (records: CallRecord[]): Array<Keyed<CallRecord>> => records.map((value) => ({ key: value.callId, value }));

async function count(db: Db, table: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? -1;
}

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

/** One realistic call through the real ACD on a manual clock: queued, operator logs in, rings, answers, talks, wraps up. */
function acdRun(): Array<Keyed<AcdEvent>> {
  const clock = new ManualClock(T0);
  const acd = new Acd({
    clock,
    queues: [queueConfig({ id: 'internet-l1', target: 'internet >= 3', wrapUpSeconds: 15 })],
    agents: [{ id: 'anna.smirnova', name: 'Anna', skills: { internet: 7 }, languages: ['ru'] }],
  });
  const events: AcdEvent[] = [];
  events.push(...acd.enqueue({ id: 'call-1', queueId: 'internet-l1' }));
  clock.advance(4_000);
  events.push(...acd.login('anna.smirnova'));
  const offer = events.find((e) => e.type === 'offer');
  if (offer?.type !== 'offer') throw new Error('the ACD made no offer');
  clock.advance(3_000);
  events.push(...acd.accept(offer.reservationId));
  clock.advance(60_000);
  events.push(...acd.complete('call-1'));
  clock.advance(15_000);
  events.push(...acd.advance());
  return events.map((value, i) => ({ key: `acd-1:${i}`, value }));
}

for (const target of await storeTargets()) {
  // Skipped only on a developer's machine without a reachable PostgreSQL (the reason is in the title, from
  // targets.ts); with CI=true targets.ts fails loudly instead, so CI always runs both drivers.
  describe.skipIf(target.skip !== undefined)(`call records on ${target.title}`, () => {
    let h: TargetHandle;
    let db: Db;
    beforeAll(async () => {
      h = await target.setup();
      db = h.db;
      await resetSchema(db);
      await migrate(db, { log: silentLog });
    }, 60_000);
    afterAll(async () => {
      await h?.teardown();
    });
    beforeEach(async () => {
      await db.query('TRUNCATE calls, queue_events, operator_state_changes CASCADE');
    });

    it('a full CallRecord round-trips: every field, legs, transfers, offers, recording, survey, variables', async () => {
      const full = fullRecord();
      const minimal = ivrOnly('minimal-1', { hungUpBy: null, language: '', endedAt: undefined });
      delete minimal.endedAt;
      await writeCallRecords(db, keyed([full, minimal]));

      expect(await callById(db, full.callId)).toEqual(full);
      expect(await callById(db, minimal.callId)).toEqual(minimal);
      expect(await callById(db, 'nope')).toBeUndefined();

      // The rows behind it, as reports will read them.
      const rec = await db.query('SELECT kind, path, agent_id, started_at, duration_ms, bytes FROM recordings');
      expect(rec.rows).toEqual([{ kind: 'call', path: full.recording?.path, agent_id: 'anna.smirnova', started_at: new Date(at(35.5)), duration_ms: 264_500, bytes: 8_464_044 }]);
      const survey = await db.query('SELECT question, score, scale_min, scale_max, agent_id, queue_id, answered_at FROM surveys');
      expect(survey.rows).toEqual([{ question: 'default', score: 5, scale_min: null, scale_max: null, agent_id: 'anna.smirnova', queue_id: 'internet-l1', answered_at: new Date(at(300)) }]);
      const call = await db.query<{ variables: unknown; recording_path: string }>('SELECT variables, recording_path FROM calls WHERE call_id = $1', [full.callId]);
      expect(call.rows[0]).toEqual({ variables: full.variables, recording_path: full.recording?.path });
      // Offers stay with the CDR; the ACD's events are the queue_events (none written here).
      expect(await count(db, 'call_offers')).toBe(3);
      expect(await count(db, 'queue_events')).toBe(0);
    });

    it('writing the same batch twice (or overlapping, or with a key repeated) stores each call once', async () => {
      const batch = keyed([fullRecord('c-1'), fullRecord('c-2'), ivrOnly('c-3')]);
      await writeCallRecords(db, batch);
      await writeCallRecords(db, batch);
      await writeCallRecords(db, [...keyed([ivrOnly('c-4')]), ...batch, ...batch.slice(0, 1)]);
      expect(await count(db, 'calls')).toBe(4);
      expect(await count(db, 'call_legs')).toBe(4 + 4 + 1 + 1);
      expect(await count(db, 'call_transfers')).toBe(4);
      expect(await count(db, 'call_offers')).toBe(6);
      expect(await count(db, 'recordings')).toBe(2);
      expect(await count(db, 'surveys')).toBe(2);
      expect(await callById(db, 'c-1')).toEqual(fullRecord('c-1'));
    });

    it('a bad record rolls back its whole batch with a StoreError naming the constraint', async () => {
      const badCall = ivrOnly('bad-2', { endedAt: at(-5) }); // ends before it arrived
      const err = await rejection(writeCallRecords(db, keyed([ivrOnly('ok-1'), badCall, ivrOnly('ok-3')])));
      expect(err).toMatchObject({ code: 'STORE_CONSTRAINT', constraint: 'calls_ends_after_arrival', table: 'calls' });
      expect(err.message).toMatch(/writeCallRecords: the batch of 3 was rolled back.*calls_ends_after_arrival/);
      expect(await count(db, 'calls')).toBe(0);

      // A violation in a child table takes the calls rows down with it too.
      const badLeg = fullRecord('bad-leg');
      badLeg.legs[1] = { ...badLeg.legs[1]!, status: 42 };
      const err2 = await rejection(writeCallRecords(db, keyed([ivrOnly('ok-1'), badLeg])));
      expect(err2).toMatchObject({ code: 'STORE_CONSTRAINT', constraint: 'call_legs_status_check', table: 'call_legs' });
      expect(await count(db, 'calls')).toBe(0);
      expect(await count(db, 'call_legs')).toBe(0);

      // Survey outside a digit, unknown disposition: the same.
      const err3 = await rejection(writeCallRecords(db, keyed([fullRecord('s'), ivrOnly('d', { disposition: 'lost' as CallRecord['disposition'] })])));
      expect(err3).toMatchObject({ code: 'STORE_CONSTRAINT', constraint: 'calls_disposition_check' });
      expect(await count(db, 'calls')).toBe(0);

      // The same batch without the bad record goes through.
      await writeCallRecords(db, keyed([ivrOnly('ok-1'), ivrOnly('ok-3')]));
      expect(await count(db, 'calls')).toBe(2);

      // A key that is not the record's callId is a caller bug, refused before any SQL.
      expect(await rejection(writeCallRecords(db, [{ key: 'other', value: ivrOnly('x') }]))).toMatchObject({ code: 'STORE_MISUSE' });
      // An unparseable time never reaches the database.
      expect(await rejection(writeCallRecords(db, keyed([ivrOnly('y', { arrivedAt: 'yesterday-ish' })])))).toMatchObject({ code: 'STORE_BAD_INPUT' });
    });

    it('the queue events of a real ACD run are written once, however often the batch repeats', async () => {
      const batch = acdRun();
      expect(batch.map((e) => e.value.type)).toContain('wrap-up-ended');
      await writeQueueEvents(db, batch.slice(0, 3)); // a partial write that committed before the crash...
      await writeQueueEvents(db, batch); // ...then the whole batch, replayed
      await writeQueueEvents(db, batch);

      const q = await db.query<Record<string, unknown>>(
        'SELECT at, call_id, queue_id, agent_id, event, wait_ms, talk_ms, wrap_ms, data, idempotency_key FROM queue_events ORDER BY at, id',
      );
      const offer = batch.find((e) => e.value.type === 'offer')?.value;
      const reservationId = offer?.type === 'offer' ? offer.reservationId : undefined;
      expect(q.rows.map(({ idempotency_key: _k, ...r }) => r)).toEqual([
        { at: new Date(T0), call_id: 'call-1', queue_id: 'internet-l1', agent_id: null, event: 'ENTERQUEUE', wait_ms: null, talk_ms: null, wrap_ms: null, data: { priority: 0, enqueuedAt: at(0), kind: 'call' } },
        { at: new Date(T0 + 4_000), call_id: 'call-1', queue_id: 'internet-l1', agent_id: 'anna.smirnova', event: 'OFFER', wait_ms: null, talk_ms: null, wrap_ms: null, data: { reservationId, expiresAt: at(24) } },
        { at: new Date(T0 + 7_000), call_id: 'call-1', queue_id: 'internet-l1', agent_id: 'anna.smirnova', event: 'CONNECT', wait_ms: 7_000, talk_ms: null, wrap_ms: null, data: { reservationId, kind: 'call' } },
        { at: new Date(T0 + 67_000), call_id: 'call-1', queue_id: 'internet-l1', agent_id: 'anna.smirnova', event: 'COMPLETE', wait_ms: null, talk_ms: 60_000, wrap_ms: null, data: {} },
        { at: new Date(T0 + 82_000), call_id: null, queue_id: 'internet-l1', agent_id: 'anna.smirnova', event: 'WRAPUP_END', wait_ms: null, talk_ms: null, wrap_ms: 15_000, data: {} },
      ]);
      const s = await db.query('SELECT at, operator_id, from_state, to_state, reason FROM operator_state_changes ORDER BY at, id');
      expect(s.rows.map((r) => [(r.at as Date).getTime() - T0, r.from_state, r.to_state])).toEqual([
        [4_000, 'logged-out', 'available'],
        [4_000, 'available', 'reserved'],
        [7_000, 'reserved', 'on-call'],
        [67_000, 'on-call', 'wrap-up'],
        [82_000, 'wrap-up', 'available'],
      ]);
      expect(await count(db, 'queue_events') + (await count(db, 'operator_state_changes'))).toBe(batch.length);
    });

    it('maps every ACD event type, and a bad event rolls back its batch', async () => {
      const c = { contactId: 'c9', queueId: 'q' };
      const events: AcdEvent[] = [
        { type: 'contact-queued', at: T0, ...c, priority: 2, enqueuedAt: T0 - 5_000, kind: 'call' },
        { type: 'contact-refused', at: T0, ...c, reason: 'queue-full' },
        { type: 'offer', at: T0, ...c, reservationId: 'r1', agentId: 'a', expiresAt: T0 + 20_000 },
        { type: 'offer-missed', at: T0, ...c, reservationId: 'r1', agentId: 'a', reason: 'timeout' },
        { type: 'offer-cancelled', at: T0, ...c, reservationId: 'r2', agentId: 'b', reason: 'caller-hangup' },
        { type: 'contact-connected', at: T0, ...c, reservationId: 'r3', agentId: 'a', waitMs: 12_000, kind: 'callback' },
        { type: 'contact-abandoned', at: T0, ...c, waitMs: 3_000 },
        { type: 'contact-timeout', at: T0, ...c, waitMs: 300_000 },
        { type: 'contact-overflowed', at: T0, ...c, toQueueId: 'q2', waitMs: 60_000 },
        { type: 'contact-escalated', at: T0, ...c, step: 1, priority: 5 },
        { type: 'contact-callback', at: T0, ...c, callbackNumber: '+79001112233' },
        { type: 'callback-cancelled', at: T0, ...c },
        { type: 'contact-transferred', at: T0, ...c, agentId: 'a', toQueueId: 'q2', talkMs: 9_000 },
        { type: 'contact-completed', at: T0, ...c, agentId: 'a', talkMs: 30_000 },
        { type: 'wrap-up-ended', at: T0, agentId: 'a', queueId: 'q', wrapMs: 15_000 },
        { type: 'agent-state', at: T0, agentId: 'a', from: 'available', to: 'not-ready', reason: 'lunch' },
      ];
      await writeQueueEvents(db, events.map((value, i) => ({ key: `all:${i}`, value })));
      const rows = (await db.query<{ event: string; data: Record<string, unknown>; wait_ms: number | null }>('SELECT event, data, wait_ms FROM queue_events ORDER BY id')).rows;
      expect(rows.map((r) => r.event)).toEqual(Object.values(QUEUE_EVENT_NAMES));
      expect(rows.find((r) => r.event === 'RINGNOANSWER')?.data).toEqual({ reservationId: 'r1', reason: 'timeout' });
      expect(rows.find((r) => r.event === 'OVERFLOW')).toMatchObject({ wait_ms: 60_000, data: { toQueueId: 'q2' } });
      expect((await db.query('SELECT from_state, to_state, reason FROM operator_state_changes')).rows).toEqual([{ from_state: 'available', to_state: 'not-ready', reason: 'lunch' }]);

      // A reason outside not-ready violates operator_state_changes_reason_only_not_ready: nothing of the batch stays.
      const bad: Array<Keyed<AcdEvent>> = [
        { key: 'bad:0', value: { type: 'contact-abandoned', at: T0, ...c, waitMs: 1 } },
        { key: 'bad:1', value: { type: 'agent-state', at: T0, agentId: 'a', from: 'not-ready', to: 'available', reason: 'break' } },
      ];
      const err = await rejection(writeQueueEvents(db, bad));
      expect(err).toMatchObject({ code: 'STORE_CONSTRAINT', constraint: 'operator_state_changes_reason_only_not_ready' });
      expect(err.message).toContain('writeQueueEvents: the batch of 2 was rolled back');
      expect(await count(db, 'queue_events')).toBe(events.length - 1);
    });

    it('searchCalls filters by contract, agent, disposition, time range, and pages without gaps or repeats', async () => {
      const records: CallRecord[] = [
        ivrOnly('k-01', { endedAt: at(100), variables: { contract: '111' } }),
        ivrOnly('k-02', { endedAt: at(200), variables: { contract: '222' } }),
        fullRecord('k-03'), // ends at 300, anna, contract 123456, answered
        { ...fullRecord('k-04'), endedAt: at(300), agentId: 'boris' }, // ties k-03 on ended_at
        ivrOnly('k-05', { endedAt: at(400), disposition: 'abandoned', queue: 'internet-l1', waitMs: 30_000, caller: '+79005550000' }),
        { ...fullRecord('k-06'), endedAt: at(500), variables: { contract: '111' } },
        ivrOnly('k-07', { endedAt: undefined, disposition: 'failed' }), // no end: sorts last
      ];
      delete records[6]!.endedAt;
      await writeCallRecords(db, keyed(records));
      const ids = (page: { calls: CallRecord[] }): string[] => page.calls.map((r) => r.callId);

      expect(ids(await searchCalls(db))).toEqual(['k-06', 'k-05', 'k-04', 'k-03', 'k-02', 'k-01', 'k-07']);
      expect(ids(await searchCalls(db, { contract: '111' }))).toEqual(['k-06', 'k-01']);
      expect(ids(await searchCalls(db, { agentId: 'anna.smirnova' }))).toEqual(['k-06', 'k-03']);
      expect(ids(await searchCalls(db, { disposition: 'abandoned' }))).toEqual(['k-05']);
      expect(ids(await searchCalls(db, { queue: 'internet-l1', caller: '+79005550000' }))).toEqual(['k-05']);
      expect(ids(await searchCalls(db, { number: '88005553535', disposition: 'failed' }))).toEqual(['k-07']);
      expect(ids(await searchCalls(db, { from: at(200), to: new Date(T0 + 400_000) }))).toEqual(['k-04', 'k-03', 'k-02']);
      expect(ids(await searchCalls(db, { from: at(200), to: at(400), agentId: 'boris' }))).toEqual(['k-04']);
      expect(ids(await searchCalls(db, { contract: 'none' }))).toEqual([]);

      // Full records come back, children included.
      const one = await searchCalls(db, { contract: '123456', agentId: 'anna.smirnova' });
      expect(one).toEqual({ calls: [fullRecord('k-03')], nextCursor: null });

      // Pages of 2, through the tie at 300 and the call without an end.
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await searchCalls(db, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...ids(page));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(['k-06', 'k-05', 'k-04', 'k-03', 'k-02', 'k-01', 'k-07']);

      // A call written after the first page was read does not shift the later pages.
      const first = await searchCalls(db, { limit: 3 });
      await writeCallRecords(db, keyed([ivrOnly('k-08', { endedAt: at(600) })]));
      const second = await searchCalls(db, { limit: 3, cursor: first.nextCursor ?? '' });
      expect(ids(second)).toEqual(['k-03', 'k-02', 'k-01']);

      // Filters and paging together.
      const p1 = await searchCalls(db, { from: at(150), limit: 1, agentId: 'anna.smirnova' });
      const p2 = await searchCalls(db, { from: at(150), limit: 1, agentId: 'anna.smirnova', cursor: p1.nextCursor ?? '' });
      expect([...ids(p1), ...ids(p2), p2.nextCursor]).toEqual(['k-06', 'k-03', null]);

      expect(await rejection(searchCalls(db, { cursor: 'garbage' }))).toMatchObject({ code: 'STORE_BAD_INPUT' });
      expect(await rejection(searchCalls(db, { limit: 0 }))).toMatchObject({ code: 'STORE_BAD_INPUT' });
      expect(await rejection(searchCalls(db, { from: 'not a time' }))).toMatchObject({ code: 'STORE_BAD_INPUT' });
    });
  });
}
