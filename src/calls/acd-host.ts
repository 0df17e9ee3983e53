/**
 * Runs the pure ACD in a live process: reads the real clock, keeps exactly one
 * timer armed for the ACD's next deadline, and hands every event to the
 * subscribers (statistics, metrics, later the store and the call sessions).
 * The ACD itself stays free of timers and I/O.
 */
import type { Logger } from 'pino';
import { Acd } from '../acd/acd.ts';
import type { AcdEvent, AgentConfig, Clock, QueueConfig } from '../acd/types.ts';

export type AcdSubscriber = (event: AcdEvent) => void;

export class AcdHost {
  readonly acd: Acd;
  private readonly subscribers: AcdSubscriber[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    opts: { queues: QueueConfig[]; agents: AgentConfig[]; seed?: number },
    private readonly log: Logger,
  ) {
    this.acd = new Acd({ clock, queues: opts.queues, agents: opts.agents, seed: opts.seed ?? Date.now() });
  }

  subscribe(fn: AcdSubscriber): void {
    this.subscribers.push(fn);
  }

  /**
   * Run one ACD command and publish its events. Errors from the ACD (typed
   * AcdError) propagate to the caller: they mean the command was refused and
   * nothing changed.
   */
  run(command: (acd: Acd) => AcdEvent[]): AcdEvent[] {
    const events = command(this.acd);
    this.publish(events);
    this.arm();
    return events;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private publish(events: AcdEvent[]): void {
    for (const e of events) {
      for (const fn of this.subscribers) {
        try {
          fn(e);
        } catch (err) {
          // A failing subscriber must not stop routing or starve the others.
          this.log.error({ err, event: e.type }, 'ACD event subscriber failed');
        }
      }
    }
  }

  /** Keep one timer for the earliest ACD deadline. */
  private arm(): void {
    if (this.stopped) return;
    const next = this.acd.nextDeadline();
    if (next === undefined || next >= this.timerAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.clock.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    this.run((acd) => acd.advance());
  }
}
