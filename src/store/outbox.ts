/**
 * A durable, bounded write-behind queue between the call path and the
 * database: `add()` never waits for the database, records survive an outage
 * and a kill -9, and reach `write()` in the order they were added.
 *
 * On disk, under `dir`:
 *   <name>-0000000001.jsonl   journal segments, one `{"k":key,"v":value}` line per record, append-only
 *   <name>.checkpoint         {"segment":n,"offset":bytes}: everything before it is in the database
 *   <name>.lock               pid of the process that has the outbox open
 *
 * Durability window: `add()` only queues the line in memory; a write chain
 * appends queued lines to the current segment and fdatasyncs them at most
 * `flushIntervalMs` after the first of them was added (at once when
 * `batchSize` lines are waiting, or on `sync()` / `flush()` / `close()`).
 * A record is safe from kill -9 and power loss once that sync returned,
 * i.e. about `flushIntervalMs` + one disk sync after `add()`; records added
 * in that window die with the process.
 *
 * Delivery: the drain loop reads committed lines back from disk (so `write()`
 * sees the same JSON-parsed values live and after a restart), hands them to
 * `write()` in batches, and after it resolves moves the checkpoint (written to
 * a temporary file, synced, renamed) and deletes segments it has passed. A
 * crash between `write()` and the checkpoint replays that one batch, so
 * `write()` must be idempotent by key (INSERT ... ON CONFLICT DO NOTHING):
 * that makes it exactly once in the database. A failing `write()` (any error:
 * the store's retryable ones and all others alike) is retried with the same
 * batch after an exponential backoff, logging once when the outage starts and
 * once when it ends.
 *
 * Bounds: queued plus not-yet-written journal bytes never exceed `maxBytes`;
 * past it `add()` throws OUTBOX_FULL instead of growing memory or disk. Disk
 * use is that backlog plus at most one segment (`segmentBytes`) already written.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { lockDataDir } from './dir-lock.ts';

export type OutboxErrorCode =
  /** The backlog (queued + journalled, not yet in the database) would exceed maxBytes. */
  | 'OUTBOX_FULL'
  /** add() or flush() after close(), or flush() still waiting when close() ran. */
  | 'OUTBOX_CLOSED'
  /** flush() did not see everything written within its timeout. */
  | 'OUTBOX_TIMEOUT'
  /** Another process (or another Outbox in this one) has this outbox open. */
  | 'OUTBOX_LOCKED'
  /** sync() could not journal the records (disk full, I/O error); they stay queued in memory and are retried. */
  | 'OUTBOX_DISK';

export class OutboxError extends Error {
  override readonly name = 'OutboxError';
  constructor(
    readonly code: OutboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OutboxRecord<T> {
  key: string;
  value: T;
}

export interface OutboxOptions<T> {
  dir: string;
  /** Prefix of the files in dir; one outbox per name. */
  name: string;
  log: Logger;
  /** Writes one batch to the database, idempotently by key. Rejecting means "try this batch again later". */
  write: (batch: Array<OutboxRecord<T>>) => Promise<void>;
  batchSize?: number;
  flushIntervalMs?: number;
  maxBytes?: number;
  /** A segment is closed and a new one started once it is this large. */
  segmentBytes?: number;
  retry?: { minMs?: number; maxMs?: number };
}

export interface OutboxStats {
  /** Records added (or found in the journal at open) and not yet written to the database. */
  pending: number;
  /** Bytes of those records: what counts against maxBytes. */
  bytes: number;
  /** The error of the current outage (write(), else the journal's disk); cleared when that recovers. */
  lastError?: string;
  /** A write() call is in flight. */
  writing: boolean;
}

interface Segment {
  seq: number;
  /** Bytes of whole, synced lines (the file may hold more after a failed append: never read). */
  size: number;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Batch<T> {
  records: Array<OutboxRecord<T>>;
  /** Lines consumed (records plus corrupt lines skipped). */
  lines: number;
  /** Offset in the segment after the batch. */
  end: number;
}

const NL = 0x0a;
const SEGMENT_RE = /^(.*)-(\d{10})\.jsonl$/;
const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class Outbox<T> {
  private readonly segments: Segment[] = [];
  /** Drain position: offset in segments[0]. */
  private readOffset = 0;
  private queued: Buffer[] = [];
  /** Bytes in `queued` and in the append in flight. */
  private memBytes = 0;
  /** Synced journal bytes past the drain position. */
  private diskBytes = 0;
  /** Records added so far (counting the backlog found at open) / synced to the journal / written or skipped. */
  private added = 0;
  private journalled = 0;
  private done = 0;
  private fh: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** An append is on the chain and has not started: it will take everything queued. */
  private appendChained = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private wakeDrain: (() => void) | undefined;
  private stopSleep: (() => void) | undefined;
  /** wake() came while the drain loop was not waiting. */
  private kicked = false;
  private drainLoop: Promise<void> = Promise.resolve();
  private writing = false;
  /** Current outages: since when, and the latest error. */
  private readonly outage: Record<'write' | 'disk', { since: number; error: string } | undefined> = { write: undefined, disk: undefined };
  private closing = false;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly opts: Required<Omit<OutboxOptions<T>, 'retry'>> & { retry: { minMs: number; maxMs: number } },
    private readonly release: () => void,
  ) {}

  static async open<T>(options: OutboxOptions<T>): Promise<Outbox<T>> {
    const opts = {
      ...options,
      batchSize: options.batchSize ?? 200,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      maxBytes: options.maxBytes ?? 256 * 1024 * 1024,
      segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024,
      retry: { minMs: options.retry?.minMs ?? 200, maxMs: options.retry?.maxMs ?? 10_000 },
    };
    if (!(opts.batchSize >= 1 && opts.maxBytes > 0 && opts.segmentBytes > 0 && opts.retry.minMs > 0 && opts.retry.maxMs >= opts.retry.minMs)) {
      throw new RangeError('outbox: batchSize must be >= 1, maxBytes and segmentBytes > 0, 0 < retry.minMs <= retry.maxMs');
    }
    if (!/^[\w.-]+$/.test(opts.name)) throw new RangeError(`outbox name ${JSON.stringify(opts.name)} must be letters, digits, '.', '_' or '-'`);
    await mkdir(opts.dir, { recursive: true });
    let release: () => void;
    try {
      release = lockDataDir(join(opts.dir, opts.name));
    } catch (err) {
      throw new OutboxError('OUTBOX_LOCKED', `outbox ${opts.name} in ${opts.dir} is already open: ${errText(err)}`, { cause: err });
    }
    const box = new Outbox<T>(opts, release);
    try {
      await box.load();
    } catch (err) {
      release();
      throw err;
    }
    box.drainLoop = box.drain();
    return box;
  }

  /** Queues one record. Synchronous; throws OUTBOX_FULL past maxBytes and OUTBOX_CLOSED after close(). */
  add(key: string, value: T): void {
    if (this.closing) throw new OutboxError('OUTBOX_CLOSED', `outbox ${this.opts.name} is closed`);
    if (typeof key !== 'string' || key === '') throw new TypeError('outbox key must be a non-empty string');
    const line = Buffer.from(`${JSON.stringify({ k: key, v: value })}\n`, 'utf8');
    if (this.memBytes + this.diskBytes + line.length > this.opts.maxBytes) {
      throw new OutboxError('OUTBOX_FULL', `outbox ${this.opts.name} holds ${this.memBytes + this.diskBytes} bytes not yet in the database (limit ${this.opts.maxBytes})`);
    }
    this.queued.push(line);
    this.memBytes += line.length;
    this.added++;
    if (this.queued.length >= this.opts.batchSize) this.scheduleAppend(0);
    else this.scheduleAppend(this.opts.flushIntervalMs);
  }

  stats(): OutboxStats {
    const lastError = (this.outage.write ?? this.outage.disk)?.error;
    return {
      pending: this.added - this.done,
      bytes: this.memBytes + this.diskBytes,
      ...(lastError === undefined ? {} : { lastError }),
      writing: this.writing,
    };
  }

  /** Resolves when everything added so far is synced to the journal (not necessarily in the database yet). */
  async sync(): Promise<void> {
    const target = this.added;
    this.scheduleAppend(0);
    await this.chain;
    if (this.journalled < target) {
      throw new OutboxError('OUTBOX_DISK', `outbox ${this.opts.name}: ${target - this.journalled} records not journalled: ${this.outage.disk?.error ?? 'unknown error'}`);
    }
  }

  /** Resolves when everything added so far is written to the database; rejects with OUTBOX_TIMEOUT after timeoutMs. */
  flush({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return Promise.reject(new OutboxError('OUTBOX_CLOSED', `outbox ${this.opts.name} is closed`));
    const target = this.added;
    if (this.done >= target) return Promise.resolve();
    this.scheduleAppend(0);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { target, resolve, reject, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const why = this.stats().lastError;
          reject(new OutboxError('OUTBOX_TIMEOUT', `outbox ${this.opts.name}: ${target - this.done} records not written within ${timeoutMs} ms${why === undefined ? '' : ` (${why})`}`));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /**
   * Stops accepting records, syncs the queued ones to the journal, waits for a
   * write() in flight and stops the drain loop. What is not yet in the
   * database stays in the journal for the next open. Rejects if the final
   * append fails (those records are then lost).
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    let failure: unknown;
    try {
      await this.sync();
    } catch (err) {
      failure = err;
    } finally {
      this.wake();
      this.stopSleep?.();
      await this.drainLoop;
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new OutboxError('OUTBOX_CLOSED', `outbox ${this.opts.name} closed with ${this.added - this.done} records not yet written`));
      }
      this.release();
    }
    if (failure !== undefined) throw failure;
  }

  // ---- journal (write side) ----

  private segmentPath(seq: number): string {
    return join(this.opts.dir, `${this.opts.name}-${String(seq).padStart(10, '0')}.jsonl`);
  }

  /** delay 0: chain an append now; > 0: in delay ms unless a timer or a chained append will take the lines anyway. */
  private scheduleAppend(delay: number): void {
    if (this.appendChained) return;
    if (delay > 0) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.scheduleAppend(0);
      }, delay);
      return;
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.appendChained = true;
    this.chain = this.chain.then(() => {
      this.appendChained = false;
      return this.append();
    });
  }

  /** Appends and syncs all queued lines. Never rejects: a failure keeps the lines queued and retries later. */
  private async append(): Promise<void> {
    if (this.queued.length === 0) return;
    const lines = this.queued;
    this.queued = [];
    const buf = lines.length === 1 ? lines[0]! : Buffer.concat(lines);
    let seg = this.segments[this.segments.length - 1]!;
    try {
      if (seg.size >= this.opts.segmentBytes) seg = await this.rotate();
      if (this.fh === undefined) {
        this.fh = await open(this.segmentPath(seg.seq), 'a');
        await syncDir(this.opts.dir); // so a power loss cannot drop the new file's name
      }
      for (let off = 0; off < buf.length; ) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
      await this.fh.datasync();
    } catch (err) {
      // The file's tail is now unknown (partly written, or a failed fsync):
      // leave it behind unread and start a new segment with the same lines.
      // A reopen reads those tail lines too; write() is idempotent by key.
      this.queued = lines.concat(this.queued);
      this.failed('disk', `journal append failed: ${errText(err)}`, err);
      if (this.fh !== undefined) await this.rotate().catch(() => undefined);
      if (!this.closing) this.scheduleAppend(this.opts.retry.minMs);
      return;
    }
    seg.size += buf.length;
    this.memBytes -= buf.length;
    this.diskBytes += buf.length;
    this.journalled += lines.length;
    this.recovered('disk');
    this.wake();
  }

  private async rotate(): Promise<Segment> {
    const last = this.segments[this.segments.length - 1]!;
    const next: Segment = { seq: last.seq + 1, size: 0 };
    this.segments.push(next);
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
    return next;
  }

  // ---- open / replay ----

  private async load(): Promise<void> {
    const { dir, name, log } = this.opts;
    let checkpoint = { segment: 0, offset: 0 };
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, `${name}.checkpoint`), 'utf8'));
      const c = parsed as { segment?: unknown; offset?: unknown };
      if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) checkpoint = { segment: c.segment as number, offset: c.offset as number };
      else throw new Error('not a checkpoint');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err: errText(err) }, `outbox ${name}: unreadable checkpoint, replaying the whole journal (write() is idempotent)`);
    }
    const seqs: number[] = [];
    for (const file of await readdir(dir)) {
      const m = SEGMENT_RE.exec(file);
      if (m?.[1] !== name) continue;
      const seq = Number(m[2]);
      if (seq < checkpoint.segment) await unlink(join(dir, file)); // passed, deletion interrupted
      else seqs.push(seq);
    }
    seqs.sort((a, b) => a - b);
    for (const seq of seqs) {
      const size = (await stat(this.segmentPath(seq))).size;
      const from = seq === checkpoint.segment ? Math.min(checkpoint.offset, size) : 0;
      if (this.segments.length === 0) this.readOffset = from;
      this.segments.push({ seq, size });
      this.diskBytes += size - from;
      this.added += await countLines(this.segmentPath(seq), from);
    }
    // Always append to a fresh segment: never after a tail a crash may have cut.
    const top = Math.max(checkpoint.segment, seqs[seqs.length - 1] ?? 0);
    this.segments.push({ seq: top + 1, size: 0 });
    this.journalled = this.added;
    if (this.added > 0) log.info({ backlog: this.added, bytes: this.diskBytes }, `outbox ${name}: replaying records journalled before the last stop`);
  }

  // ---- drain (read side) ----

  private async drain(): Promise<void> {
    let delay = this.opts.retry.minMs;
    while (!this.closing) {
      try {
        this.kicked = false;
        const batch = await this.readBatch();
        if (batch === null) {
          if (!this.kicked) await new Promise<void>((resolve) => (this.wakeDrain = resolve));
          this.wakeDrain = undefined;
          continue;
        }
        if (batch.records.length > 0) {
          this.writing = true;
          try {
            await this.opts.write(batch.records);
          } finally {
            this.writing = false;
          }
        }
        await this.commit(batch);
      } catch (err) {
        this.failed('write', errText(err), err);
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.opts.retry.maxMs);
        continue;
      }
      delay = this.opts.retry.minMs;
      this.recovered('write');
    }
  }

  /** Logs the start of an outage once; later failures only update the error. */
  private failed(kind: 'write' | 'disk', error: string, err: unknown): void {
    const o = this.outage[kind];
    if (o !== undefined) {
      o.error = error;
      return;
    }
    this.outage[kind] = { since: Date.now(), error };
    const retryable = (err as { retryable?: unknown } | null)?.retryable === true;
    const what = kind === 'write' ? 'database writes failing, keeping records on disk' : 'journal appends failing, keeping records in memory';
    this.opts.log.warn({ err: error, retryable, backlog: this.added - this.done, bytes: this.memBytes + this.diskBytes }, `outbox ${this.opts.name}: ${what} and retrying`);
  }

  private recovered(kind: 'write' | 'disk'): void {
    const o = this.outage[kind];
    if (o === undefined) return;
    this.outage[kind] = undefined;
    const what = kind === 'write' ? 'database writes' : 'journal appends';
    this.opts.log.info({ backlog: this.added - this.done, bytes: this.memBytes + this.diskBytes, downMs: Date.now() - o.since }, `outbox ${this.opts.name}: ${what} recovered`);
  }

  /** New lines are journalled (or close() started): a drain loop waiting for data looks again. */
  private wake(): void {
    this.kicked = true;
    this.wakeDrain?.();
  }

  /** The backoff between retries; close() cuts it short, new data does not. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.stopSleep?.(), ms);
      this.stopSleep = () => {
        clearTimeout(timer);
        this.stopSleep = undefined;
        resolve();
      };
    });
  }

  /** The next batch from the drain position, or null when everything synced has been consumed. */
  private async readBatch(): Promise<Batch<T> | null> {
    for (;;) {
      const seg = this.segments[0]!;
      const sealed = this.segments.length > 1;
      if (this.readOffset >= seg.size) {
        if (!sealed) return null;
        await this.passSegment();
        continue;
      }
      const batch = await this.readLines(seg, sealed);
      if (batch !== null) return batch;
      // Only a tail without a newline is left in a sealed segment: a crash cut that line.
      this.opts.log.warn({ segment: this.segmentPath(seg.seq), offset: this.readOffset, bytes: seg.size - this.readOffset }, `outbox ${this.opts.name}: skipping a half-written record at the end of a journal segment`);
      this.diskBytes -= seg.size - this.readOffset;
      this.readOffset = seg.size;
    }
  }

  private async readLines(seg: Segment, sealed: boolean): Promise<Batch<T> | null> {
    const fh = await open(this.segmentPath(seg.seq), 'r');
    try {
      for (let want = 64 * 1024; ; want *= 2) {
        const len = Math.min(want, seg.size - this.readOffset);
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await fh.read(buf, 0, len, this.readOffset);
        const records: Array<OutboxRecord<T>> = [];
        let pos = 0;
        let lines = 0;
        while (records.length < this.opts.batchSize) {
          const nl = buf.indexOf(NL, pos);
          if (nl < 0 || nl >= bytesRead) break;
          const record = this.parse(buf.toString('utf8', pos, nl), seg, this.readOffset + pos);
          if (record !== undefined) records.push(record);
          lines++;
          pos = nl + 1;
        }
        if (lines > 0) return { records, lines, end: this.readOffset + pos };
        if (bytesRead < len) throw new Error(`journal segment ${this.segmentPath(seg.seq)} is shorter than expected`);
        if (this.readOffset + len >= seg.size) {
          if (sealed) return null;
          throw new Error(`journal segment ${this.segmentPath(seg.seq)} ends inside a line`);
        }
      }
    } finally {
      await fh.close();
    }
  }

  private parse(line: string, seg: Segment, offset: number): OutboxRecord<T> | undefined {
    try {
      const o = JSON.parse(line) as { k?: unknown; v?: unknown };
      if (typeof o === 'object' && o !== null && typeof o.k === 'string' && o.k !== '') return { key: o.k, value: o.v as T };
    } catch {
      // Reported below.
    }
    this.opts.log.warn({ segment: this.segmentPath(seg.seq), offset, bytes: Buffer.byteLength(line) + 1 }, `outbox ${this.opts.name}: skipping a corrupt journal line`);
    return undefined;
  }

  private async commit(batch: Batch<T>): Promise<void> {
    const seg = this.segments[0]!;
    await this.saveCheckpoint(seg.seq, batch.end);
    this.diskBytes -= batch.end - this.readOffset;
    this.readOffset = batch.end;
    this.done += batch.lines;
    this.waiters = this.waiters.filter((w) => {
      if (w.target > this.done) return true;
      clearTimeout(w.timer);
      w.resolve();
      return false;
    });
  }

  /** Moves the checkpoint to the next segment, then deletes the one passed. */
  private async passSegment(): Promise<void> {
    const [passed, next] = this.segments as [Segment, Segment];
    await this.saveCheckpoint(next.seq, 0);
    this.segments.shift();
    this.readOffset = 0;
    await unlink(this.segmentPath(passed.seq)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  private async saveCheckpoint(segment: number, offset: number): Promise<void> {
    const file = join(this.opts.dir, `${this.opts.name}.checkpoint`);
    const fh = await open(`${file}.tmp`, 'w');
    try {
      await fh.writeFile(JSON.stringify({ segment, offset }));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(`${file}.tmp`, file);
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Newline-terminated lines in a file from an offset. */
async function countLines(path: string, from: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let n = 0;
    for (let pos = from; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return n;
      for (let i = buf.indexOf(NL); i >= 0 && i < bytesRead; i = buf.indexOf(NL, i + 1)) n++;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}
