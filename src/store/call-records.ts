/**
 * The SQL side of the call path's history: CDRs (CallRecord → calls and its
 * child tables) and ACD events (AcdEvent → queue_events, in the spirit of
 * Asterisk's queue_log, and operator_state_changes). Both writers take a batch
 * of { key, value } from the event writer and are idempotent: a batch retried
 * after a crash or an outage is stored exactly once.
 *
 * - writeCallRecords: one transaction per batch. The key is calls.call_id;
 *   calls are inserted with ON CONFLICT (call_id) DO NOTHING ... RETURNING,
 *   and only the calls that were new get their legs, transfers, offers,
 *   recording and survey (a call already stored was stored whole, by an
 *   earlier commit of the same transaction shape).
 * - writeQueueEvents: one transaction per batch; the key is the row's
 *   idempotency_key, ON CONFLICT (idempotency_key) DO NOTHING.
 *
 * Each table gets one multi-row INSERT per batch (split only past the
 * protocol's 65,535 parameters), so a batch costs a handful of round trips
 * whatever its size. Any failure rolls back the whole batch and leaves as a
 * StoreError naming the constraint (a CHECK violation's row is never quoted:
 * see errors.ts).
 *
 * Offers: the CDR's `offers` go to their own table, call_offers (migration
 * 002), and come back with the call. They are not written as queue_events:
 * the ACD's own events already record every OFFER / RINGNOANSWER /
 * RINGCANCELED / CONNECT, and writing them twice would double the reports.
 */
import type { AcdEvent } from '../acd/types.ts';
import type { CallLeg, CallRecord, Disposition, TransferStep } from '../calls/cdr.ts';
import type { Db, DbTx } from './db.ts';
import { StoreError, toStoreError } from './errors.ts';

export interface Keyed<T> {
  key: string;
  value: T;
}

// ───────────────────────────── multi-row INSERT ─────────────────────────────

/** The extended protocol numbers parameters with 16 bits. */
const MAX_PARAMS = 65_535;

interface InsertSpec {
  table: string;
  /** Column name → SQL type of its parameter cast. */
  columns: ReadonlyArray<readonly [string, string]>;
  /** After VALUES: ON CONFLICT ..., RETURNING ... */
  tail?: string;
}

/** INSERTs `rows` (each in `columns` order) with as few statements as the parameter limit allows. */
async function insertRows<R>(tx: DbTx, spec: InsertSpec, rows: unknown[][]): Promise<R[]> {
  const width = spec.columns.length;
  const perStatement = Math.floor(MAX_PARAMS / width);
  const names = spec.columns.map(([name]) => name).join(', ');
  const out: R[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const slots = spec.columns.map(([, type], i) => {
        params.push(row[i]);
        return `$${params.length}::${type}`;
      });
      return `(${slots.join(', ')})`;
    });
    const sql = `INSERT INTO ${spec.table} (${names}) VALUES ${tuples.join(', ')}${spec.tail === undefined ? '' : ` ${spec.tail}`}`;
    out.push(...(await tx.query<R>(sql, params)).rows);
  }
  return out;
}

/**
 * An ISO 8601 string (or epoch ms) as it goes to a timestamptz parameter;
 * undefined → NULL. Normalised to UTC here, so a string without an offset
 * means the same instant to JavaScript and to the database.
 */
function ts(value: string | number | undefined, what: string): string | null {
  if (value === undefined) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new StoreError('STORE_BAD_INPUT', `${what}: ${JSON.stringify(value)} is not a valid time`);
  return d.toISOString();
}

/** Durations are whole milliseconds in the schema; a fraction of one is not worth losing a record over. */
function ms(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}

const opt = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/**
 * A batch failed: roll back and say which writer and how big the batch was,
 * keeping the code and the constraint (and nothing of the rows).
 */
function batchError(err: unknown, writer: string, size: number): StoreError {
  const e = toStoreError(err);
  if (e.code === 'STORE_MISUSE' || e.code === 'STORE_CLOSED' || e.code === 'STORE_UNAVAILABLE') return e;
  return new StoreError(e.code, `${writer}: the batch of ${size} was rolled back, nothing of it was stored: ${e.message}`, {
    sqlState: e.sqlState,
    constraint: e.constraint,
    table: e.table,
    column: e.column,
    retryable: e.retryable,
    position: e.position,
    cause: e,
  });
}

/** The first entry of each key (a batch may carry a key twice after a replay). */
function uniqueByKey<T>(batch: ReadonlyArray<Keyed<T>>): Array<Keyed<T>> {
  const seen = new Set<string>();
  return batch.filter((item) => (seen.has(item.key) ? false : (seen.add(item.key), true)));
}

// ─────────────────────────────────── CDRs ───────────────────────────────────

const CALLS: InsertSpec = {
  table: 'calls',
  columns: [
    ['call_id', 'text'], ['caller', 'text'], ['number', 'text'], ['flow_id', 'text'], ['flow_sha256', 'text'], ['language', 'text'],
    ['arrived_at', 'timestamptz'], ['ivr_answered_at', 'timestamptz'], ['queued_at', 'timestamptz'], ['offered_at', 'timestamptz'],
    ['connected_at', 'timestamptz'], ['ended_at', 'timestamptz'], ['queue_id', 'text'], ['wait_ms', 'integer'], ['agent_id', 'text'],
    ['talk_ms', 'integer'], ['hold_ms', 'integer'], ['wrap_up_ms', 'integer'], ['disposition', 'text'], ['hung_up_by', 'text'],
    ['recording_path', 'text'], ['voicemail_path', 'text'], ['callback_number', 'text'], ['survey_score', 'smallint'], ['variables', 'jsonb'],
  ],
  tail: 'ON CONFLICT (call_id) DO NOTHING RETURNING call_id',
};

const LEGS: InsertSpec = {
  table: 'call_legs',
  columns: [
    ['call_id', 'text'], ['leg', 'smallint'], ['role', 'text'], ['sip_call_id', 'text'], ['uri', 'text'], ['agent_id', 'text'],
    ['status', 'smallint'], ['started_at', 'timestamptz'], ['answered_at', 'timestamptz'], ['ended_at', 'timestamptz'],
  ],
};

const TRANSFERS: InsertSpec = {
  table: 'call_transfers',
  columns: [['call_id', 'text'], ['seq', 'smallint'], ['at', 'timestamptz'], ['transferred_by', 'text'], ['agent_id', 'text'], ['target', 'text'], ['kind', 'text']],
};

const OFFERS: InsertSpec = {
  table: 'call_offers',
  columns: [['call_id', 'text'], ['seq', 'integer'], ['agent_id', 'text'], ['at', 'timestamptz'], ['outcome', 'text'], ['status', 'smallint']],
};

const RECORDINGS: InsertSpec = {
  table: 'recordings',
  columns: [['call_id', 'text'], ['kind', 'text'], ['path', 'text'], ['agent_id', 'text'], ['started_at', 'timestamptz'], ['duration_ms', 'integer'], ['bytes', 'bigint']],
};

const SURVEYS: InsertSpec = {
  table: 'surveys',
  columns: [['call_id', 'text'], ['score', 'smallint'], ['agent_id', 'text'], ['queue_id', 'text'], ['answered_at', 'timestamptz']],
};

function callRow(callId: string, r: CallRecord): unknown[] {
  const at = (v: string | undefined, field: string): string | null => ts(v, `call ${callId} ${field}`);
  return [
    callId, r.caller, r.number, r.flow.id, r.flow.hash, r.language,
    at(r.arrivedAt, 'arrivedAt'), at(r.ivrAnsweredAt, 'ivrAnsweredAt'), at(r.queuedAt, 'queuedAt'), at(r.offeredAt, 'offeredAt'),
    at(r.connectedAt, 'connectedAt'), at(r.endedAt, 'endedAt'), opt(r.queue), ms(r.waitMs), opt(r.agentId),
    ms(r.talkMs), ms(r.holdMs), ms(r.wrapUpMs), r.disposition, r.hungUpBy,
    r.recording?.path ?? null, opt(r.voicemail), opt(r.callbackNumber), r.surveyScore, JSON.stringify(r.variables),
  ];
}

/**
 * Writes a batch of CDRs in one transaction, each call exactly once however
 * often the batch is retried. `key` must be the record's callId (it becomes
 * calls.call_id). Mapping: timestamps ISO → timestamptz; variables → jsonb;
 * legs, transfers and offers → call_legs / call_transfers / call_offers in
 * array order; the recording → a recordings row (kind 'call', started at the
 * connect time, else the arrival) and calls.recording_path; a voicemail →
 * calls.voicemail_path only (the CDR has no duration or size for it); a survey
 * score → calls.survey_score and a surveys row (question 'default', scale not
 * recorded, answered at the end of the call).
 */
export async function writeCallRecords(db: Db, batch: ReadonlyArray<Keyed<CallRecord>>): Promise<void> {
  const items = uniqueByKey(batch);
  if (items.length === 0) return;
  for (const { key, value } of items) {
    if (key !== value.callId) {
      throw new StoreError('STORE_MISUSE', `writeCallRecords: the key ${JSON.stringify(key)} is not the record's callId ${JSON.stringify(value.callId)}`);
    }
  }
  const rows = items.map(({ key, value }) => callRow(key, value));
  try {
    await db.transaction(async (tx) => {
      const inserted = new Set((await insertRows<{ call_id: string }>(tx, CALLS, rows)).map((r) => r.call_id));
      const fresh = items.filter(({ key }) => inserted.has(key));
      if (fresh.length === 0) return;

      const legs: unknown[][] = [];
      const transfers: unknown[][] = [];
      const offers: unknown[][] = [];
      const recordings: unknown[][] = [];
      const surveys: unknown[][] = [];
      for (const { key: id, value: r } of fresh) {
        const at = (v: string | undefined, field: string): string | null => ts(v, `call ${id} ${field}`);
        r.legs.forEach((l, i) => {
          legs.push([id, i, l.role, l.callId, l.uri, opt(l.agentId), opt(l.status), at(l.startedAt, `legs[${i}].startedAt`), at(l.answeredAt, `legs[${i}].answeredAt`), at(l.endedAt, `legs[${i}].endedAt`)]);
        });
        r.transfers.forEach((t, i) => {
          transfers.push([id, i, at(t.at, `transfers[${i}].at`), t.by, opt(t.agentId), t.to, t.kind]);
        });
        r.offers.forEach((o, i) => {
          offers.push([id, i, o.agentId, at(o.at, `offers[${i}].at`), o.outcome, opt(o.status)]);
        });
        if (r.recording !== undefined) {
          recordings.push([id, 'call', r.recording.path, opt(r.agentId), at(r.connectedAt ?? r.arrivedAt, 'recording start'), ms(r.recording.durationMs), ms(r.recording.bytes)]);
        }
        if (r.surveyScore !== null) {
          surveys.push([id, r.surveyScore, opt(r.agentId), opt(r.queue), at(r.endedAt ?? r.arrivedAt, 'survey time')]);
        }
      }
      if (legs.length > 0) await insertRows(tx, LEGS, legs);
      if (transfers.length > 0) await insertRows(tx, TRANSFERS, transfers);
      if (offers.length > 0) await insertRows(tx, OFFERS, offers);
      if (recordings.length > 0) await insertRows(tx, RECORDINGS, recordings);
      if (surveys.length > 0) await insertRows(tx, SURVEYS, surveys);
    });
  } catch (err) {
    throw batchError(err, 'writeCallRecords', items.length);
  }
}

// ──────────────────────────────── ACD events ────────────────────────────────

const QUEUE_EVENTS: InsertSpec = {
  table: 'queue_events',
  columns: [
    ['at', 'timestamptz'], ['call_id', 'text'], ['queue_id', 'text'], ['agent_id', 'text'], ['event', 'text'],
    ['wait_ms', 'integer'], ['talk_ms', 'integer'], ['wrap_ms', 'integer'], ['data', 'jsonb'], ['idempotency_key', 'text'],
  ],
  tail: 'ON CONFLICT (idempotency_key) DO NOTHING',
};

const STATE_CHANGES: InsertSpec = {
  table: 'operator_state_changes',
  columns: [['at', 'timestamptz'], ['operator_id', 'text'], ['from_state', 'text'], ['to_state', 'text'], ['reason', 'text'], ['idempotency_key', 'text']],
  tail: 'ON CONFLICT (idempotency_key) DO NOTHING',
};

/** queue_events.event for each ACD event type (agent-state goes to operator_state_changes). */
export const QUEUE_EVENT_NAMES = {
  'contact-queued': 'ENTERQUEUE',
  'contact-refused': 'FULL',
  offer: 'OFFER',
  'offer-missed': 'RINGNOANSWER',
  'offer-cancelled': 'RINGCANCELED',
  'contact-connected': 'CONNECT',
  'contact-abandoned': 'ABANDON',
  'contact-timeout': 'TIMEOUT',
  'contact-overflowed': 'OVERFLOW',
  'contact-escalated': 'ESCALATE',
  'contact-callback': 'CALLBACK',
  'callback-cancelled': 'CALLBACK_CANCELLED',
  'contact-transferred': 'TRANSFER',
  'contact-completed': 'COMPLETE',
  'wrap-up-ended': 'WRAPUP_END',
} as const satisfies Record<Exclude<AcdEvent['type'], 'agent-state'>, string>;

interface QueueEventRow {
  callId: string | null;
  queueId: string;
  agentId: string | null;
  waitMs: number | null;
  talkMs: number | null;
  wrapMs: number | null;
  data: Record<string, unknown>;
}

const row = (callId: string | null, queueId: string, fields: Partial<Omit<QueueEventRow, 'callId' | 'queueId'>> = {}): QueueEventRow => ({
  callId,
  queueId,
  agentId: null,
  waitMs: null,
  talkMs: null,
  wrapMs: null,
  data: {},
  ...fields,
});

/** One queue_events row's columns for an ACD event (agent-state excluded). */
function queueEventRow(e: Exclude<AcdEvent, { type: 'agent-state' }>): QueueEventRow {
  switch (e.type) {
    case 'contact-queued':
      return row(e.contactId, e.queueId, { data: { priority: e.priority, enqueuedAt: new Date(e.enqueuedAt).toISOString(), kind: e.kind } });
    case 'contact-refused':
      return row(e.contactId, e.queueId, { data: { reason: e.reason } });
    case 'offer':
      return row(e.contactId, e.queueId, { agentId: e.agentId, data: { reservationId: e.reservationId, expiresAt: new Date(e.expiresAt).toISOString() } });
    case 'offer-missed':
    case 'offer-cancelled':
      return row(e.contactId, e.queueId, { agentId: e.agentId, data: { reservationId: e.reservationId, reason: e.reason } });
    case 'contact-connected':
      return row(e.contactId, e.queueId, { agentId: e.agentId, waitMs: e.waitMs, data: { reservationId: e.reservationId, kind: e.kind } });
    case 'contact-abandoned':
    case 'contact-timeout':
      return row(e.contactId, e.queueId, { waitMs: e.waitMs });
    case 'contact-overflowed':
      return row(e.contactId, e.queueId, { waitMs: e.waitMs, data: { toQueueId: e.toQueueId } });
    case 'contact-escalated':
      return row(e.contactId, e.queueId, { data: { step: e.step, priority: e.priority } });
    case 'contact-callback':
      return row(e.contactId, e.queueId, { data: { callbackNumber: e.callbackNumber } });
    case 'callback-cancelled':
      return row(e.contactId, e.queueId);
    case 'contact-transferred':
      return row(e.contactId, e.queueId, { agentId: e.agentId, talkMs: e.talkMs, data: { toQueueId: e.toQueueId } });
    case 'contact-completed':
      return row(e.contactId, e.queueId, { agentId: e.agentId, talkMs: e.talkMs });
    case 'wrap-up-ended':
      return row(null, e.queueId, { agentId: e.agentId, wrapMs: e.wrapMs });
    default: {
      const never: never = e;
      throw new StoreError('STORE_BAD_INPUT', `unknown ACD event ${JSON.stringify((never as { type?: unknown }).type)}`);
    }
  }
}

/**
 * Writes a batch of ACD events in one transaction, each exactly once however
 * often the batch is retried (`key` is the idempotency key). agent-state
 * events become operator_state_changes rows; every other event one
 * queue_events row (QUEUE_EVENT_NAMES) with `at` from the event's epoch ms,
 * the durations it carries in wait_ms / talk_ms / wrap_ms, and the rest in
 * data (reservationId, reason, toQueueId, ...). WRAPUP_END has no call_id:
 * the ACD's event does not name the contact.
 */
export async function writeQueueEvents(db: Db, batch: ReadonlyArray<Keyed<AcdEvent>>): Promise<void> {
  const items = uniqueByKey(batch);
  if (items.length === 0) return;
  const queueRows: unknown[][] = [];
  const stateRows: unknown[][] = [];
  for (const { key, value: e } of items) {
    const at = ts(e.at, `ACD event ${key} (${e.type}) at`);
    if (e.type === 'agent-state') {
      stateRows.push([at, e.agentId, e.from, e.to, opt(e.reason), key]);
      continue;
    }
    const r = queueEventRow(e);
    queueRows.push([at, r.callId, r.queueId, r.agentId, QUEUE_EVENT_NAMES[e.type], ms(r.waitMs ?? undefined), ms(r.talkMs ?? undefined), ms(r.wrapMs ?? undefined), JSON.stringify(r.data), key]);
  }
  try {
    await db.transaction(async (tx) => {
      if (queueRows.length > 0) await insertRows(tx, QUEUE_EVENTS, queueRows);
      if (stateRows.length > 0) await insertRows(tx, STATE_CHANGES, stateRows);
    });
  } catch (err) {
    throw batchError(err, 'writeQueueEvents', items.length);
  }
}

// ─────────────────────────────────── reads ──────────────────────────────────

/**
 * The calls columns plus each call's children as JSON arrays, in one
 * statement. `page` is a subquery or CTE of calls rows.
 */
const SELECT_FULL = `
SELECT c.*,
  to_char(c.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ended,
  (SELECT coalesce(json_agg(json_build_object(
      'role', l.role, 'callId', l.sip_call_id, 'uri', l.uri, 'agentId', l.agent_id, 'status', l.status,
      'startedAt', l.started_at, 'answeredAt', l.answered_at, 'endedAt', l.ended_at) ORDER BY l.leg), '[]')
   FROM call_legs l WHERE l.call_id = c.call_id) AS legs,
  (SELECT coalesce(json_agg(json_build_object(
      'at', t.at, 'by', t.transferred_by, 'agentId', t.agent_id, 'to', t.target, 'kind', t.kind) ORDER BY t.seq), '[]')
   FROM call_transfers t WHERE t.call_id = c.call_id) AS transfers,
  (SELECT coalesce(json_agg(json_build_object(
      'agentId', o.agent_id, 'at', o.at, 'outcome', o.outcome, 'status', o.status) ORDER BY o.seq), '[]')
   FROM call_offers o WHERE o.call_id = c.call_id) AS offers,
  (SELECT json_build_object('path', r.path, 'durationMs', r.duration_ms, 'bytes', r.bytes)
   FROM recordings r WHERE r.call_id = c.call_id AND r.kind = 'call' ORDER BY r.id LIMIT 1) AS recording`;

interface CallRow {
  call_id: string;
  caller: string;
  number: string;
  flow_id: string | null;
  flow_sha256: string | null;
  language: string | null;
  arrived_at: Date;
  ivr_answered_at: Date | null;
  queued_at: Date | null;
  offered_at: Date | null;
  connected_at: Date | null;
  ended_at: Date | null;
  queue_id: string | null;
  wait_ms: number | null;
  agent_id: string | null;
  talk_ms: number;
  hold_ms: number;
  wrap_up_ms: number | null;
  disposition: Disposition;
  hung_up_by: CallRecord['hungUpBy'];
  voicemail_path: string | null;
  callback_number: string | null;
  survey_score: number | null;
  variables: CallRecord['variables'];
  cursor_ended: string | null;
  legs: Array<Record<string, unknown>>;
  transfers: Array<Record<string, unknown>>;
  offers: Array<Record<string, unknown>>;
  recording: { path: string; durationMs: number; bytes: number } | null;
}

const iso = (d: Date): string => d.toISOString();
/** A timestamp inside json_build_object arrives as text with an offset; CallRecord wants toISOString()'s form. */
const jsonIso = (v: unknown): string => new Date(v as string).toISOString();

/** Copies the keys whose value is not NULL (optional CallRecord fields are absent, not undefined). */
function present<T extends object>(obj: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined)) as T;
}

function toCallRecord(r: CallRow): CallRecord {
  const optionalTimes = present<Partial<CallRecord>>({
    ivrAnsweredAt: r.ivr_answered_at && iso(r.ivr_answered_at),
    queuedAt: r.queued_at && iso(r.queued_at),
    offeredAt: r.offered_at && iso(r.offered_at),
    connectedAt: r.connected_at && iso(r.connected_at),
    endedAt: r.ended_at && iso(r.ended_at),
  });
  return {
    callId: r.call_id,
    caller: r.caller,
    number: r.number,
    flow: { id: r.flow_id ?? '', hash: r.flow_sha256 ?? '' },
    language: r.language ?? '',
    arrivedAt: iso(r.arrived_at),
    ...optionalTimes,
    ...present<Partial<CallRecord>>({ queue: r.queue_id, waitMs: r.wait_ms, agentId: r.agent_id }),
    talkMs: r.talk_ms,
    holdMs: r.hold_ms,
    ...present<Partial<CallRecord>>({ wrapUpMs: r.wrap_up_ms }),
    disposition: r.disposition,
    hungUpBy: r.hung_up_by,
    transfers: r.transfers.map((t) => ({ ...present<TransferStep>(t), at: jsonIso(t.at) })),
    offers: r.offers.map((o) => ({ ...present<CallRecord['offers'][number]>(o), at: jsonIso(o.at) })),
    ...(r.recording === null ? {} : { recording: { path: r.recording.path, durationMs: Number(r.recording.durationMs), bytes: Number(r.recording.bytes) } }),
    ...present<Partial<CallRecord>>({ voicemail: r.voicemail_path, callbackNumber: r.callback_number }),
    surveyScore: r.survey_score,
    variables: r.variables,
    legs: r.legs.map((l) => {
      const leg = present<CallLeg>(l);
      leg.startedAt = jsonIso(l.startedAt);
      if (leg.answeredAt !== undefined) leg.answeredAt = jsonIso(leg.answeredAt);
      if (leg.endedAt !== undefined) leg.endedAt = jsonIso(leg.endedAt);
      return leg;
    }),
  };
}

/** One call's CDR as written, or undefined. */
export async function callById(db: DbTx, callId: string): Promise<CallRecord | undefined> {
  const r = await db.query<CallRow>(`${SELECT_FULL} FROM calls c WHERE c.call_id = $1`, [callId]);
  const first = r.rows[0];
  return first === undefined ? undefined : toCallRecord(first);
}

export interface CallSearch {
  /** Calls that ended at or after this time (ISO 8601 or Date). */
  from?: string | Date;
  /** Calls that ended before this time. */
  to?: string | Date;
  /** The number dialled. */
  number?: string;
  /** The caller's number. */
  caller?: string;
  /** The flow variable `contract`. */
  contract?: string;
  /** The operator who answered. */
  agentId?: string;
  queue?: string;
  disposition?: Disposition;
  /** 1–1000, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface CallPage {
  calls: CallRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_SEARCH_LIMIT = 1000;

function encodeCursor(endedAt: string | null, callId: string): string {
  return Buffer.from(JSON.stringify([endedAt, callId])).toString('base64url');
}

function decodeCursor(cursor: string): [string | null, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && (v[0] === null || (typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])))) && typeof v[1] === 'string') {
      return [v[0] as string | null, v[1]];
    }
  } catch {
    // fall through
  }
  throw new StoreError('STORE_BAD_INPUT', 'cursor: not a cursor this search returned');
}

function timeParam(v: string | Date, what: string): string {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new StoreError('STORE_BAD_INPUT', `${what}: not a valid time`);
  return d.toISOString();
}

/**
 * CDRs newest first (ended_at DESC, calls still without an end last, ties by
 * call_id DESC), filtered by every criterion given, with keyset paging: a
 * page never repeats or skips a call because others were written meanwhile.
 */
export async function searchCalls(db: DbTx, q: CallSearch = {}): Promise<CallPage> {
  const limit = q.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new StoreError('STORE_BAD_INPUT', `limit: must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.from !== undefined) where.push(`c.ended_at >= ${p(timeParam(q.from, 'from'))}::timestamptz`);
  if (q.to !== undefined) where.push(`c.ended_at < ${p(timeParam(q.to, 'to'))}::timestamptz`);
  if (q.number !== undefined) where.push(`c.number = ${p(q.number)}`);
  if (q.caller !== undefined) where.push(`c.caller = ${p(q.caller)}`);
  // Written exactly as the calls_contract_idx expression, so the index applies.
  if (q.contract !== undefined) where.push(`(c.variables ->> 'contract') = ${p(q.contract)}`);
  if (q.agentId !== undefined) where.push(`c.agent_id = ${p(q.agentId)}`);
  if (q.queue !== undefined) where.push(`c.queue_id = ${p(q.queue)}`);
  if (q.disposition !== undefined) where.push(`c.disposition = ${p(q.disposition)}`);
  if (q.cursor !== undefined) {
    const [endedAt, callId] = decodeCursor(q.cursor);
    if (endedAt === null) {
      where.push(`(c.ended_at IS NULL AND c.call_id < ${p(callId)})`);
    } else {
      const t = p(endedAt);
      where.push(`(c.ended_at < ${t}::timestamptz OR (c.ended_at = ${t}::timestamptz AND c.call_id < ${p(callId)}) OR c.ended_at IS NULL)`);
    }
  }
  const order = 'ORDER BY c.ended_at DESC NULLS LAST, c.call_id DESC';
  const sql = `WITH page AS (
      SELECT * FROM calls c ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ${order} LIMIT ${p(limit + 1)}
    )
    ${SELECT_FULL} FROM page c ${order}`;
  const rows = (await db.query<CallRow>(sql, params)).rows;
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return {
    calls: shown.map(toCallRecord),
    nextCursor: more && last !== undefined ? encodeCursor(last.cursor_ended, last.call_id) : null,
  };
}
