/**
 * What a node may do with the call it runs on. The calls layer implements it
 * (CallSession); nodes never see SIP or RTP, only these verbs, so each node
 * stays a small class that can be read in one sitting.
 *
 * Every await here ends at once when the caller hangs up: the promise rejects
 * with a CallEndedError (the interpreter stops quietly on it).
 */
import type { Logger } from 'pino';
import type { LoadedFlow } from './flow.ts';
import type { PromptRef } from './schema.ts';

export type VarValue = string | number | boolean;

export interface CollectRequest {
  prompts: PromptRef[];
  minDigits: number;
  maxDigits: number;
  /** Keys that end the input early (not part of the digits). */
  terminators: string;
  /** ms to wait for the first key after the prompt ended. */
  firstDigitTimeoutMs: number;
  /** ms to wait between keys. */
  interDigitTimeoutMs: number;
}

export interface CollectOutcome {
  digits: string;
  /** max-digits | terminator | timeout (some digits, then silence) | no-input */
  reason: 'max-digits' | 'terminator' | 'timeout' | 'no-input';
}

export interface QueueRequest {
  queue: string;
  priority: number;
  skills?: Record<string, number>;
  prompts: PromptRef[];
  music: string;
  announceEverySeconds: number;
  announcePosition: boolean;
  announceWait: boolean;
  thanksPrompts: PromptRef[];
  leaveKey?: string;
}

/**
 * How a queue wait ended for the flow: the caller talked to an operator and the
 * operator hung up first (`after-call`: the flow may go on, e.g. to a survey),
 * or the caller left with the leave key, or the wait ran out / the queue was full.
 * When the caller hangs up the promise rejects with CallEndedError instead.
 */
export type QueueOutcome = 'after-call' | 'left' | 'timeout' | 'full' | 'transferred-out';

export interface CallContext {
  readonly callId: string;
  /** The caller's number (From user). */
  readonly caller: string;
  /** The number dialled. */
  readonly number: string;
  readonly flow: LoadedFlow;
  readonly log: Logger;
  /** Fires when the call ends (either side hung up). */
  readonly signal: AbortSignal;
  /** Current language of the call (prompts, the operator's language). */
  language: string;
  readonly vars: Map<string, VarValue>;
  /** Zone for schedules when the flow names none. */
  readonly timezone: string;
  now(): Date;

  /** Play prompts to the end (keys pressed meanwhile are kept for the next menu or collect). */
  play(prompts: PromptRef[]): Promise<void>;
  /** Play prompts, with barge-in, and read keys (keys typed ahead count). */
  collect(req: CollectRequest): Promise<CollectOutcome>;
  /** Wait in an ACD queue with music and announcements until an operator takes the call and it ends, or the wait ends. */
  queue(req: QueueRequest): Promise<QueueOutcome>;
  /** Leave a number to be called back, keeping the place in line. Returns false if no callback could be registered. */
  requestCallback(queue: string | undefined, number: string): Promise<boolean>;
  /** Record a message after an optional beep until maxMs, a terminator key, or hang-up. */
  recordMessage(opts: { maxMs: number; beep: boolean; terminators: string }): Promise<{ path: string; durationMs: number } | null>;
  /** Blind transfer to a SIP URI or number. Resolves true when the call went there (the IVR walk ends). */
  transfer(to: string, timeoutMs: number): Promise<boolean>;
  /** The notice prompts currently set for an area (with notices for all areas). */
  outageNotices(area: string | undefined): string[];
  /** Store the caller's rating with the call. */
  recordSurvey(score: number | null): void;
  /** A fact for the call's event log and CDR (prompt played, node entered...). */
  event(type: string, data?: Record<string, unknown>): void;
}

/** Thrown into the IVR walk when the caller hangs up. */
export class CallEndedError extends Error {
  override readonly name = 'CallEndedError';
  readonly code = 'CALL_ENDED';
  constructor(readonly reason: string) {
    super(`call ended: ${reason}`);
  }
}
