import { performance } from 'node:perf_hooks';

/** One paced sender: called once per 20 ms frame while registered. */
export interface FrameTask {
  /** Send this frame. `nowMs` is the scheduler's clock (performance.now()). */
  onFrame(nowMs: number): void;
  /** `frames` frames were dropped after a stall: advance RTP timestamps, send nothing. */
  onSkip(frames: number): void;
  /** Index in the scheduler's task array; -1 when not registered. Owned by the scheduler. */
  schedulerSlot: number;
}

export const FRAME_MS = 20;
/** Upper bounds (ms) of the lateness histogram buckets; the last bucket is +Inf. */
export const LATENESS_BUCKETS_MS = [0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 20, 50, 100] as const;
/** Behind by more than this many frames: drop the excess instead of catching up. */
const MAX_LAG_FRAMES = 5;
/** While behind, at most this many frames per task per tick, so a stall never becomes a burst. */
const MAX_FRAMES_PER_TICK = 2;

/**
 * One clock for every playing endpoint of the engine: a single timer fires each 20 ms and
 * walks the registered tasks, instead of one timer per call. Frame k is due at t0 + 20·k;
 * after an event-loop stall the scheduler sends at most two frames per tick (catching up
 * over a few ticks), and past 100 ms of lag it drops the backlog (tasks advance their RTP
 * timestamps) — a burst of queued frames would only overflow the peers' jitter buffers.
 */
export class FrameScheduler {
  /** Registered tasks; null marks a task removed during a pass (compacted after it). */
  readonly #tasks: Array<FrameTask | null> = [];
  /** Inside a pass over #tasks: removals leave holes instead of moving the last task. */
  #walking = false;
  #holes = 0;
  readonly #housekeeping: (nowMs: number) => void;
  readonly #housekeepingEvery: number;
  #timer: NodeJS.Timeout | null = null;
  #t0 = 0;
  /** Index of the next frame to send. */
  #next = 0;
  /** Lateness histogram (count per bucket, last = +Inf), sum and count: read by the metrics. */
  readonly lateness = new Float64Array(LATENESS_BUCKETS_MS.length + 1);
  latenessSumMs = 0;
  latenessCount = 0;
  latenessMaxMs = 0;
  framesSkipped = 0;
  ticks = 0;

  /** `housekeeping` runs every `housekeepingFrames` frames (RTCP, timeouts, recorder flushes). */
  constructor(housekeeping: (nowMs: number) => void, housekeepingFrames = 5) {
    this.#housekeeping = housekeeping;
    this.#housekeepingEvery = housekeepingFrames;
  }

  get size(): number {
    return this.#tasks.length - this.#holes;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#t0 = performance.now();
    this.#next = 0;
    this.#arm(FRAME_MS);
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  add(task: FrameTask): void {
    if (task.schedulerSlot >= 0) return;
    task.schedulerSlot = this.#tasks.length;
    this.#tasks.push(task);
  }

  remove(task: FrameTask): void {
    const slot = task.schedulerSlot;
    if (slot < 0) return;
    task.schedulerSlot = -1;
    if (this.#walking) {
      // Moving the last task into this slot mid-pass would call it twice in one frame when
      // the slot is still to be visited (a task removing another one): leave a hole instead.
      this.#tasks[slot] = null;
      this.#holes++;
      return;
    }
    const last = this.#tasks.pop()!;
    if (last !== task) {
      this.#tasks[slot] = last;
      last.schedulerSlot = slot;
    }
  }

  /** Close the holes left by removals during a pass, keeping the order. */
  #compact(): void {
    const tasks = this.#tasks;
    let w = 0;
    for (let r = 0; r < tasks.length; r++) {
      const t = tasks[r];
      if (t === null || t === undefined) continue;
      if (w !== r) {
        tasks[w] = t;
        t.schedulerSlot = w;
      }
      w++;
    }
    tasks.length = w;
    this.#holes = 0;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#tick, Math.max(1, delayMs));
  }

  readonly #tick = (): void => {
    const now = performance.now();
    this.ticks++;
    let behind = Math.floor((now - this.#t0) / FRAME_MS) - this.#next + 1;
    if (behind > 0) {
      this.#recordLateness(now - (this.#t0 + this.#next * FRAME_MS));
      if (behind > MAX_LAG_FRAMES) {
        const skipped = behind - 1;
        this.framesSkipped += skipped;
        // Housekeeping (RTCP, no-media and digit timeouts) that fell in the skipped span runs now.
        const housekeepingMissed = Math.floor((this.#next + skipped) / this.#housekeepingEvery) > Math.floor(this.#next / this.#housekeepingEvery);
        this.#next += skipped;
        if (housekeepingMissed) this.#housekeeping(now);
        this.#walking = true;
        for (let i = 0; i < this.#tasks.length; i++) this.#tasks[i]?.onSkip(skipped);
        this.#walking = false;
        if (this.#holes > 0) this.#compact();
        behind = 1;
      }
      const frames = Math.min(behind, MAX_FRAMES_PER_TICK);
      for (let f = 0; f < frames; f++) {
        // Tasks may remove themselves or others (holes) or add tasks (appended: from the next frame on).
        this.#walking = true;
        for (let i = this.#tasks.length - 1; i >= 0; i--) this.#tasks[i]?.onFrame(now);
        this.#walking = false;
        if (this.#holes > 0) this.#compact();
        this.#next++;
        if (this.#next % this.#housekeepingEvery === 0) this.#housekeeping(now);
      }
    }
    if (this.#timer === null) return; // stopped from inside a task
    const dueIn = this.#t0 + this.#next * FRAME_MS - performance.now();
    this.#arm(dueIn > 0 ? dueIn : FRAME_MS / 2);
  };

  #recordLateness(ms: number): void {
    let b = 0;
    while (b < LATENESS_BUCKETS_MS.length && ms > LATENESS_BUCKETS_MS[b]!) b++;
    this.lateness[b] = this.lateness[b]! + 1;
    this.latenessSumMs += ms;
    this.latenessCount++;
    if (ms > this.latenessMaxMs) this.latenessMaxMs = ms;
  }
}
