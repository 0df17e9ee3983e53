/**
 * A scripted caller for interpreter and node tests: a CallContext that keeps
 * what the caller heard and answers from a script instead of SIP and RTP.
 *
 * `collect` mirrors CallSession.collect: keys typed ahead answer first (and
 * then the prompt is not played), otherwise the prompt plays and the next
 * scripted entry is what the caller types; input ends at maxDigits or a
 * terminator, else with 'timeout' (some keys) or 'no-input' (none). Keys past
 * the end of an input stay typed ahead. A `HANG_UP` entry hangs up instead.
 */
import pino from 'pino';
import { CallEndedError, type CallContext, type CollectOutcome, type CollectRequest, type QueueOutcome, type QueueRequest, type VarValue } from '../../../src/ivr/context.ts';
import type { FlowEnvironment, LoadedFlow } from '../../../src/ivr/flow.ts';
import type { PromptRef } from '../../../src/ivr/schema.ts';
import { validateFlow } from '../../../src/ivr/validate.ts';
import { OutageBoard } from '../../../src/calls/outages.ts';

/** Every prompt and queue exists: these tests are about walking, not about the world. */
const anything: FlowEnvironment = { promptExists: () => true, queueExists: () => true };

/** A validated flow from YAML text (named as if read from test.yaml: no file is touched). */
export function flowOf(yaml: string): LoadedFlow {
  return validateFlow(yaml, 'test.yaml', anything);
}

export const HANG_UP = Symbol('hang up');
export type KeyEntry = string | typeof HANG_UP;

export interface FakeCallOptions {
  /** What the caller types at each collect, in order ('' = silence). */
  keys?: KeyEntry[];
  /** Outcomes of queue waits, in order. */
  queue?: QueueOutcome[];
  /** What requestCallback answers. */
  callbackRegistered?: boolean;
  caller?: string;
  now?: Date;
  timezone?: string;
  outages?: OutageBoard;
  /** A prompt whose playing fails with this error (a media failure, or a CallEndedError). */
  failOn?: { prompt: string; error: Error };
}

export class FakeCall implements CallContext {
  readonly callId = 'call-1';
  readonly number = '8800';
  readonly caller: string;
  readonly log = pino({ level: 'silent' });
  readonly vars = new Map<string, VarValue>();
  readonly timezone: string;
  language: string;
  /** Prompt ids in the order the caller heard them (collect prompts included when played). */
  readonly heard: string[] = [];
  readonly events: Array<{ type: string; data: Record<string, unknown> | undefined }> = [];
  readonly queued: QueueRequest[] = [];
  readonly callbacks: Array<{ queue: string | undefined; number: string }> = [];
  readonly surveys: Array<number | null> = [];
  readonly collects: CollectRequest[] = [];
  private readonly abort = new AbortController();
  private readonly keys: KeyEntry[];
  private readonly queueOutcomes: QueueOutcome[];
  private readonly typedAhead: string[] = [];

  constructor(
    readonly flow: LoadedFlow,
    private readonly opts: FakeCallOptions = {},
  ) {
    this.caller = opts.caller ?? '79161234567';
    this.timezone = opts.timezone ?? 'UTC';
    this.language = flow.def.language;
    this.keys = [...(opts.keys ?? [])];
    this.queueOutcomes = [...(opts.queue ?? [])];
    this.vars.set('caller', this.caller);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  now(): Date {
    return this.opts.now ?? new Date('2026-03-02T10:00:00Z');
  }

  /** The ids of the nodes the walk entered, in order. */
  get path(): string[] {
    return this.events.filter((e) => e.type === 'node').map((e) => String(e.data?.['node']));
  }

  hangUp(): void {
    this.abort.abort(new CallEndedError('caller hung up'));
  }

  private say(prompts: PromptRef[]): void {
    for (const p of prompts) {
      const id = typeof p === 'string' ? p : (p[this.language] ?? Object.values(p)[0] ?? '');
      if (this.opts.failOn?.prompt === id) throw this.opts.failOn.error;
      this.heard.push(id);
    }
  }

  play(prompts: PromptRef[]): Promise<void> {
    this.say(prompts);
    return Promise.resolve();
  }

  collect(req: CollectRequest): Promise<CollectOutcome> {
    this.collects.push(req);
    let digits = '';
    const take = (d: string): CollectOutcome | null => {
      if (req.terminators.includes(d)) return { digits, reason: 'terminator' };
      digits += d;
      return digits.length >= req.maxDigits ? { digits, reason: 'max-digits' } : null;
    };
    for (let d = this.typedAhead.shift(); d !== undefined; d = this.typedAhead.shift()) {
      const done = take(d);
      if (done !== null) return Promise.resolve(done);
    }
    if (digits === '') this.say(req.prompts);
    const entry = this.keys.shift() ?? '';
    if (entry === HANG_UP) {
      this.hangUp();
      return Promise.reject(new CallEndedError('caller hung up'));
    }
    const typed = [...entry];
    for (let d = typed.shift(); d !== undefined; d = typed.shift()) {
      const done = take(d);
      if (done !== null) {
        this.typedAhead.push(...typed);
        return Promise.resolve(done);
      }
    }
    return Promise.resolve({ digits, reason: digits === '' ? 'no-input' : 'timeout' });
  }

  queue(req: QueueRequest): Promise<QueueOutcome> {
    this.queued.push(req);
    const outcome = this.queueOutcomes.shift();
    return outcome === undefined ? Promise.reject(new Error('test script: no queue outcome left')) : Promise.resolve(outcome);
  }

  requestCallback(queue: string | undefined, number: string): Promise<boolean> {
    this.callbacks.push({ queue, number });
    return Promise.resolve(this.opts.callbackRegistered ?? true);
  }

  recordMessage(): Promise<{ path: string; durationMs: number } | null> {
    return Promise.resolve(null);
  }

  transfer(): Promise<boolean> {
    return Promise.resolve(false);
  }

  outageNotices(area: string | undefined): string[] {
    return (this.opts.outages ?? new OutageBoard()).current(area, this.now());
  }

  recordSurvey(score: number | null): void {
    this.surveys.push(score);
  }

  event(type: string, data?: Record<string, unknown>): void {
    this.events.push({ type, data });
  }
}
