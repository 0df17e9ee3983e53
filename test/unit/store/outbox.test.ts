import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/store/errors.ts';
import { Outbox, type OutboxOptions, type OutboxRecord } from '../../../src/store/outbox.ts';

interface Cdr {
  n: number;
  at: string;
}

/**
 * The database behind the outbox's write port: a table with a unique key and
 * INSERT ... ON CONFLICT DO NOTHING, that can be taken down and brought back.
 */
class FakeTable {
  readonly rows: Array<OutboxRecord<Cdr>> = [];
  readonly deliveries = new Map<string, number>();
  readonly batchSizes: number[] = [];
  calls = 0;
  down: Error | undefined;

  constructor(keys: string[] = []) {
    for (const key of keys) this.insert({ key, value: { n: -1, at: '' } });
  }

  write = async (batch: Array<OutboxRecord<Cdr>>): Promise<void> => {
    this.calls++;
    await Promise.resolve();
    if (this.down !== undefined) throw this.down;
    this.batchSizes.push(batch.length);
    for (const r of batch) {
      this.deliveries.set(r.key, (this.deliveries.get(r.key) ?? 0) + 1);
      this.insert(r);
    }
  };

  private insert(r: OutboxRecord<Cdr>): void {
    if (!this.rows.some((x) => x.key === r.key)) this.rows.push(r);
  }

  keys(): string[] {
    return this.rows.map((r) => r.key);
  }
}

const unavailable = (): StoreError => new StoreError('STORE_UNAVAILABLE', 'database unavailable: connect ECONNREFUSED 127.0.0.1:5432', { retryable: true });
const keys = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `call-${from + i}`);
const cdr = (n: number): Cdr => ({ n, at: new Date(Date.UTC(2024, 0, 1, 0, 0, n)).toISOString() });

async function waitFor(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the outbox (durable write-behind queue)', () => {
  const dirs: string[] = [];
  const open: Array<Outbox<Cdr>> = [];
  let logs: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });

  const scratch = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'hotline-outbox-'));
    dirs.push(d);
    return d;
  };
  const openBox = async (dir: string, table: FakeTable, opts: Partial<OutboxOptions<Cdr>> = {}): Promise<Outbox<Cdr>> => {
    const box = await Outbox.open<Cdr>({ dir, name: 'cdr', log, write: table.write, batchSize: 10, flushIntervalMs: 5, retry: { minMs: 5, maxMs: 40 }, ...opts });
    open.push(box);
    return box;
  };
  const addAll = (box: Outbox<Cdr>, from: number, to: number): void => {
    for (let n = from; n < to; n++) box.add(`call-${n}`, cdr(n));
  };
  const segments = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();

  afterEach(async () => {
    for (const box of open.splice(0)) await box.close().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    logs = [];
  });

  it('writes every record once, in the order added, in batches of at most batchSize', async () => {
    const table = new FakeTable();
    const box = await openBox(scratch(), table);
    addAll(box, 0, 95);
    expect(box.stats().pending).toBe(95);
    await box.flush();
    expect(table.keys()).toEqual(keys(0, 95));
    expect(table.rows[42]?.value).toEqual(cdr(42));
    expect([...table.deliveries.values()].every((c) => c === 1)).toBe(true);
    expect(Math.max(...table.batchSizes)).toBeLessThanOrEqual(10);
    expect(table.batchSizes.length).toBeGreaterThanOrEqual(10);
    expect(box.stats()).toEqual({ pending: 0, bytes: 0, writing: false });
  });

  it('puts a record on disk within the flush interval, before the database has it', async () => {
    const dir = scratch();
    const table = new FakeTable();
    table.down = unavailable();
    const box = await openBox(dir, table, { flushIntervalMs: 20 });
    box.add('call-0', cdr(0));
    expect(segments(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const journal = segments(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(JSON.parse(journal)).toEqual({ k: 'call-0', v: cdr(0) });
    expect(table.rows).toEqual([]);
  });

  it('keeps the backlog through a database outage and writes it in order when the database returns, logging the outage once', async () => {
    const table = new FakeTable();
    table.down = unavailable();
    const box = await openBox(scratch(), table);
    addAll(box, 0, 40);
    await waitFor(() => table.calls >= 4, 'several failed attempts');
    addAll(box, 40, 80);
    const during = box.stats();
    expect(during.pending).toBe(80);
    expect(during.bytes).toBeGreaterThan(0);
    expect(during.lastError).toContain('ECONNREFUSED');
    expect(table.rows).toEqual([]);

    table.down = undefined;
    await box.flush();
    expect(table.keys()).toEqual(keys(0, 80));
    expect([...table.deliveries.values()].every((c) => c === 1)).toBe(true);
    expect(box.stats()).toEqual({ pending: 0, bytes: 0, writing: false });

    const failing = logs.filter((l) => l.msg.includes('database writes failing'));
    const recovered = logs.filter((l) => l.msg.includes('database writes recovered'));
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ level: 40, retryable: true });
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: 30, backlog: 70 }); // logged after the first batch got through
  });

  it('retries with backoff: attempts grow further apart up to retry.maxMs', async () => {
    const table = new FakeTable();
    table.down = new Error('boom');
    const box = await openBox(scratch(), table, { retry: { minMs: 10, maxMs: 80 } });
    box.add('call-0', cdr(0));
    await new Promise((resolve) => setTimeout(resolve, 400));
    // 10 + 20 + 40 + 80 + 80 + 80 … ms: about 6-7 attempts in 400 ms, where a fixed 10 ms would make ~40.
    expect(table.calls).toBeGreaterThanOrEqual(4);
    expect(table.calls).toBeLessThanOrEqual(10);
    expect(box.stats().lastError).toBe('boom');
  });

  it('after close and reopen, writes what was left and replays nothing already written', async () => {
    const dir = scratch();
    const table = new FakeTable();
    let box = await openBox(dir, table);
    addAll(box, 0, 30);
    await box.flush();
    table.down = unavailable();
    addAll(box, 30, 50);
    await box.close();
    expect(() => box.add('late', cdr(0))).toThrow(expect.objectContaining({ code: 'OUTBOX_CLOSED' }));

    table.down = undefined;
    box = await openBox(dir, table);
    expect(box.stats().pending).toBe(20);
    await box.flush();
    expect(table.keys()).toEqual(keys(0, 50));
    await box.close();

    const calls = table.calls;
    box = await openBox(dir, table);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(box.stats()).toEqual({ pending: 0, bytes: 0, writing: false });
    expect(table.calls).toBe(calls);
    expect([...table.deliveries.values()].every((c) => c === 1)).toBe(true);
  });

  it('loses nothing and doubles nothing when the process is killed with SIGKILL', async () => {
    const dir = scratch();
    const dbFile = join(dir, 'db.txt');
    const count = 300;
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'outbox-crash-child.ts'), dir, dbFile, String(count), '10'], { stdio: ['ignore', 'inherit', 'inherit'] });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'cdr.lock'))).toBe(true); // left behind by the dead process

    const before = readFileSync(dbFile, 'utf8').trim().split('\n');
    expect(before.length).toBeGreaterThan(70); // 11 batches of 7 reached the "database", the last one unacknowledged
    const table = new FakeTable(before);
    const box = await openBox(dir, table);
    await box.flush();

    const all = Array.from({ length: count }, (_, n) => `k${n}`);
    expect(table.keys()).toEqual(all);
    expect(table.rows.at(-1)?.value).toEqual({ n: count - 1 });
    // Only the unacknowledged batch comes again (and the table's unique key absorbs it).
    const again = [...table.deliveries.keys()].filter((k) => before.includes(k));
    expect(again).toEqual(before.slice(-7));
  });

  it('refuses records past maxBytes with OUTBOX_FULL, and takes them again once the backlog is written', async () => {
    const table = new FakeTable();
    table.down = unavailable();
    const box = await openBox(scratch(), table, { maxBytes: 2_000 });
    let accepted = 0;
    let error: unknown;
    for (let n = 0; n < 100; n++) {
      try {
        box.add(`call-${n}`, cdr(n));
        accepted++;
      } catch (err) {
        error = err;
        break;
      }
    }
    expect(error).toMatchObject({ name: 'OutboxError', code: 'OUTBOX_FULL' });
    expect(accepted).toBeGreaterThan(10);
    expect(box.stats().bytes).toBeLessThanOrEqual(2_000);
    await box.sync();
    expect(() => box.add('more', cdr(0))).toThrow(expect.objectContaining({ code: 'OUTBOX_FULL' })); // journalled still counts

    table.down = undefined;
    await box.flush();
    box.add(`call-${accepted}`, cdr(accepted));
    await box.flush();
    expect(table.keys()).toEqual(keys(0, accepted + 1));
  });

  it('skips a half-written trailing line (a crash mid-append) with a warning, and carries on', async () => {
    const dir = scratch();
    const table = new FakeTable();
    table.down = unavailable();
    let box = await openBox(dir, table);
    addAll(box, 0, 5);
    await box.close();
    const [segment] = segments(dir);
    const half = '{"k":"call-5","v":{"n":5,"at":"2024-01-';
    appendFileSync(join(dir, segment!), half);

    table.down = undefined;
    box = await openBox(dir, table);
    addAll(box, 6, 8);
    await box.flush();
    expect(table.keys()).toEqual([...keys(0, 5), ...keys(6, 8)]);
    expect(logs.filter((l) => l.msg.includes('half-written'))).toHaveLength(1);
    expect(logs.find((l) => l.msg.includes('half-written'))).toMatchObject({ level: 40, bytes: half.length });
  });

  it('skips a corrupt line inside the journal with a warning, writing the records around it', async () => {
    const dir = scratch();
    const table = new FakeTable();
    table.down = unavailable();
    let box = await openBox(dir, table);
    addAll(box, 0, 2);
    await box.sync();
    const [segment] = segments(dir);
    await box.close();
    appendFileSync(join(dir, segment!), 'garbage\u0000\n{"v":1}\n{"k":"call-2","v":{"n":2,"at":"x"}}\n');

    table.down = undefined;
    box = await openBox(dir, table);
    expect(box.stats().pending).toBe(5);
    await box.flush();
    expect(table.keys()).toEqual(keys(0, 3));
    expect(logs.filter((l) => l.msg.includes('corrupt journal line'))).toHaveLength(2);
    expect(box.stats().pending).toBe(0);
  });

  it('rolls over to new segments and deletes the ones fully written', async () => {
    const dir = scratch();
    const table = new FakeTable();
    table.down = unavailable();
    const box = await openBox(dir, table, { segmentBytes: 300 });
    for (let n = 0; n < 40; n++) {
      box.add(`call-${n}`, cdr(n));
      if (n % 5 === 4) await box.sync();
    }
    expect(segments(dir).length).toBeGreaterThan(3);
    table.down = undefined;
    await box.flush();
    expect(table.keys()).toEqual(keys(0, 40));
    expect(segments(dir).length).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'cdr.checkpoint'), 'utf8'))).toMatchObject({ segment: expect.any(Number), offset: expect.any(Number) });
  });

  it('flush() rejects with OUTBOX_TIMEOUT while the database is down; close() rejects waiting flushes and keeps the records', async () => {
    const dir = scratch();
    const table = new FakeTable();
    table.down = unavailable();
    const box = await openBox(dir, table);
    box.add('call-0', cdr(0));
    await expect(box.flush({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'OUTBOX_TIMEOUT', message: expect.stringContaining('ECONNREFUSED') });
    const waiting = box.flush({ timeoutMs: 10_000 });
    await box.close();
    await expect(waiting).rejects.toMatchObject({ code: 'OUTBOX_CLOSED' });
    await expect(box.flush()).rejects.toMatchObject({ code: 'OUTBOX_CLOSED' });

    table.down = undefined;
    const again = await openBox(dir, table);
    await again.flush();
    expect(table.keys()).toEqual(['call-0']);
  });

  it('is opened by one owner at a time', async () => {
    const dir = scratch();
    const table = new FakeTable();
    await openBox(dir, table);
    await expect(openBox(dir, table)).rejects.toMatchObject({ code: 'OUTBOX_LOCKED' });
    await expect(openBox(dir, table, { name: 'events' })).resolves.toBeInstanceOf(Outbox);
  });

  it('waits for a write in flight on close, and does not send it again after reopening', async () => {
    const dir = scratch();
    const table = new FakeTable();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = async (batch: Array<OutboxRecord<Cdr>>): Promise<void> => {
      await gate;
      await table.write(batch);
    };
    const box = await openBox(dir, table, { write: slow });
    addAll(box, 0, 3);
    await waitFor(() => box.stats().writing, 'the write to start');
    const closing = box.close();
    release();
    await closing;
    expect(table.keys()).toEqual(keys(0, 3));
    const reopened = await openBox(dir, table);
    expect(reopened.stats().pending).toBe(0);
    await reopened.flush();
    expect([...table.deliveries.values()]).toEqual([1, 1, 1]);
  });
});
