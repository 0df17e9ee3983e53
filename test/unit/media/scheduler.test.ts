/**
 * The frame scheduler runs on real time here, but the tests only assert structure (who is
 * called, how often per tick, what a stall turns into), never wall-clock precision: the
 * machine that runs them may be loaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FrameScheduler, LATENESS_BUCKETS_MS, type FrameTask } from '../../../src/media/scheduler.ts';

interface Call {
  task: string;
  tick: number;
}

class Task implements FrameTask {
  schedulerSlot = -1;
  frames = 0;
  skipped = 0;
  skipCalls: number[] = [];
  onFrameHook: ((t: Task) => void) | null = null;

  constructor(
    readonly name: string,
    readonly scheduler: FrameScheduler,
    readonly log: Call[],
  ) {}

  onFrame(): void {
    this.frames++;
    this.log.push({ task: this.name, tick: this.scheduler.ticks });
    this.onFrameHook?.(this);
  }

  onSkip(frames: number): void {
    this.skipped += frames;
    this.skipCalls.push(frames);
  }
}

const running: FrameScheduler[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.stop();
});

function start(housekeeping: (now: number) => void = () => undefined): FrameScheduler {
  const s = new FrameScheduler(housekeeping);
  running.push(s);
  s.start();
  return s;
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a stalled event loop
  }
}

/** Calls per (task, tick). */
function perTick(log: Call[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of log) m.set(`${c.task}@${c.tick}`, (m.get(`${c.task}@${c.tick}`) ?? 0) + 1);
  return m;
}

describe('FrameScheduler', () => {
  it('calls every registered task once per frame, in whole passes', async () => {
    const log: Call[] = [];
    const s = start();
    const tasks = ['a', 'b', 'c'].map((n) => new Task(n, s, log));
    for (const t of tasks) s.add(t);
    s.add(tasks[0]!); // adding twice changes nothing
    expect(s.size).toBe(3);
    await until(() => tasks[0]!.frames >= 20, '20 frames');
    s.stop();
    // Every frame is one pass over all three tasks: the log is a sequence of triples.
    expect(log.length % 3).toBe(0);
    for (let i = 0; i < log.length; i += 3) {
      expect(new Set(log.slice(i, i + 3).map((c) => c.task))).toEqual(new Set(['a', 'b', 'c']));
    }
    expect(tasks.map((t) => t.frames)).toEqual([tasks[0]!.frames, tasks[0]!.frames, tasks[0]!.frames]);
    for (const n of perTick(log).values()) expect(n).toBeLessThanOrEqual(2);
  });

  it('runs housekeeping every 5 frames', async () => {
    let housekeeping = 0;
    const log: Call[] = [];
    const s = start(() => housekeeping++);
    const t = new Task('a', s, log);
    s.add(t);
    await until(() => t.frames >= 26, '26 frames');
    s.stop();
    // Frames before the task was added count too; with no skips, every 5th frame housekeeps.
    if (s.framesSkipped === 0) expect(housekeeping).toBeGreaterThanOrEqual(Math.floor(t.frames / 5));
    expect(housekeeping).toBeGreaterThan(0);
  });

  it('a task removing itself during onFrame is not called again, the others keep their pace', async () => {
    const log: Call[] = [];
    const s = start();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new Task(n, s, log)) as [Task, Task, Task];
    for (const t of [a, b, c]) s.add(t);
    b.onFrameHook = (t) => {
      if (t.frames === 3) s.remove(t);
    };
    await until(() => a.frames >= 10, '10 frames');
    s.stop();
    expect(b.frames).toBe(3);
    expect(b.schedulerSlot).toBe(-1);
    expect(s.size).toBe(2);
    expect(c.frames).toBe(a.frames);
    s.remove(b); // removing again is harmless
    expect(s.size).toBe(2);
  });

  it('a task removing another one during onFrame: nobody is called twice in a frame', async () => {
    const log: Call[] = [];
    const s = start();
    const tasks = ['a', 'b', 'c', 'd'].map((n) => new Task(n, s, log)) as [Task, Task, Task, Task];
    for (const t of tasks) s.add(t);
    const [a, b, c, d] = tasks;
    // d removes a (called later in the same pass), a removes c on its 5th frame.
    d.onFrameHook = (t) => {
      if (t.frames === 4) s.remove(a);
    };
    let removedC = false;
    a.onFrameHook = () => {
      if (!removedC && a.frames === 3) {
        removedC = true;
        s.remove(c);
      }
    };
    await until(() => b.frames >= 10, '10 frames');
    s.stop();
    // One call per task and frame: count the calls between two calls of b (one pass).
    const framesOfB = log.map((x, i) => (x.task === 'b' ? i : -1)).filter((i) => i >= 0);
    for (let k = 1; k < framesOfB.length; k++) {
      const pass = log.slice(framesOfB[k - 1]! + 1, framesOfB[k]!).map((x) => x.task);
      expect(new Set(pass).size, `pass ${k}: ${pass.join(',')}`).toBe(pass.length);
    }
    expect(d.frames).toBe(b.frames);
    expect(a.frames).toBeLessThanOrEqual(4);
    expect(c.frames).toBeLessThanOrEqual(4);
    expect(s.size).toBe(2);
  });

  it('a task added during onFrame starts with the next frame', async () => {
    const log: Call[] = [];
    const s = start();
    const a = new Task('a', s, log);
    const late = new Task('late', s, log);
    a.onFrameHook = (t) => {
      if (t.frames === 2) s.add(late);
    };
    s.add(a);
    await until(() => a.frames >= 8, '8 frames');
    s.stop();
    expect(late.frames).toBeGreaterThan(0);
    expect(late.frames).toBeLessThanOrEqual(a.frames - 2);
  });

  it('after a stall it drops the backlog through onSkip and never sends more than 2 frames per task per tick', async () => {
    const log: Call[] = [];
    const s = start();
    const [a, b] = ['a', 'b'].map((n) => new Task(n, s, log)) as [Task, Task];
    s.add(a);
    s.add(b);
    let stalledAt = -1;
    a.onFrameHook = (t) => {
      if (t.frames === 5) {
        stalledAt = s.ticks;
        busyWait(150);
      }
    };
    await until(() => a.frames >= 25, '25 frames');
    s.stop();
    expect(stalledAt).toBeGreaterThan(0);
    // 150 ms behind is more than the 5 frames the scheduler catches up on: the rest is dropped.
    expect(s.framesSkipped).toBeGreaterThanOrEqual(1);
    expect(a.skipped).toBe(s.framesSkipped);
    expect(b.skipped).toBe(s.framesSkipped);
    expect(a.skipCalls.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
    // A 150 ms stall is 7-8 frames: at most 2 are sent late and at least the excess over 5 skipped.
    const afterStall = log.filter((c) => c.tick > stalledAt && c.task === 'a');
    const firstTick = afterStall[0]!.tick;
    expect(afterStall.filter((c) => c.tick === firstTick).length).toBeLessThanOrEqual(2);
    for (const n of perTick(log).values()) expect(n).toBeLessThanOrEqual(2);
    // Both tasks saw the same frames and the same skips.
    expect(b.frames).toBe(a.frames);
    // Lateness was measured and the stall is in the histogram's top buckets.
    expect(s.latenessCount).toBeGreaterThan(0);
    expect(s.lateness.reduce((x, y) => x + y, 0)).toBe(s.latenessCount);
    expect(s.latenessMaxMs).toBeGreaterThan(100);
    expect(s.lateness.length).toBe(LATENESS_BUCKETS_MS.length + 1);
  });

  it('a stall that skips frames does not skip housekeeping (RTCP, timeouts)', async () => {
    const housekeepingAt: number[] = [];
    const s = start(() => housekeepingAt.push(s.ticks));
    const log: Call[] = [];
    const a = new Task('a', s, log);
    s.add(a);
    let stallTick = -1;
    a.onFrameHook = (t) => {
      if (t.frames === 2) {
        stallTick = s.ticks;
        busyWait(300); // 15 frames: the scheduler drops 14, three housekeeping slots among them
      }
    };
    await until(() => a.frames >= 8, '8 frames');
    s.stop();
    expect(s.framesSkipped).toBeGreaterThanOrEqual(5);
    // The first tick after the stall runs housekeeping for the slots it jumped over.
    expect(housekeepingAt).toContain(stallTick + 1);
  });

  it('stop() from inside a task ends the ticks', async () => {
    const log: Call[] = [];
    const s = start();
    const a = new Task('a', s, log);
    a.onFrameHook = (t) => {
      if (t.frames === 3) s.stop();
    };
    s.add(a);
    await until(() => a.frames >= 3, '3 frames');
    const ticks = s.ticks;
    await new Promise((r) => setTimeout(r, 100));
    expect(s.ticks).toBe(ticks);
    expect(a.frames).toBeLessThanOrEqual(4); // the second frame of that tick, at most
  });
});
