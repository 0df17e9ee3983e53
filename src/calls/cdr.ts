/**
 * Call detail records: one per call, assembled by the CallSession as the call
 * moves on, written once when it ends through the CallRecordStore port. Until
 * the database store lands, FileCallRecordStore appends JSON lines to a file
 * (data/cdr.jsonl), in order, one write at a time.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

export type Disposition = 'answered' | 'abandoned' | 'ivr-only' | 'timeout' | 'callback' | 'voicemail' | 'transferred-out' | 'failed';

export interface CallLeg {
  role: 'caller' | 'operator' | 'transfer-target';
  /** SIP Call-ID of the leg. */
  callId: string;
  uri: string;
  agentId?: string;
  /** Final SIP status (200 answered; 486, 487, 408... not). */
  status?: number;
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
}

export interface TransferStep {
  at: string;
  by: 'operator-refer' | 'operator-dtmf' | 'flow';
  agentId?: string;
  to: string;
  kind: 'queue' | 'external';
}

export interface CallRecord {
  callId: string;
  /** The caller's number (From user) and the number dialled. */
  caller: string;
  number: string;
  flow: { id: string; hash: string };
  language: string;
  /** Timestamps, ISO 8601. */
  arrivedAt: string;
  ivrAnsweredAt?: string;
  queuedAt?: string;
  offeredAt?: string;
  connectedAt?: string;
  endedAt?: string;
  queue?: string;
  /** ms from the original enqueue time to the operator's answer (or to the end of the wait). */
  waitMs?: number;
  agentId?: string;
  talkMs: number;
  holdMs: number;
  wrapUpMs?: number;
  disposition: Disposition;
  hungUpBy: 'caller' | 'operator' | 'system' | null;
  transfers: TransferStep[];
  offers: Array<{ agentId: string; at: string; outcome: 'answered' | 'rejected' | 'no-answer' | 'cancelled' | 'unreachable'; status?: number }>;
  recording?: { path: string; durationMs: number; bytes: number };
  voicemail?: string;
  callbackNumber?: string;
  surveyScore: number | null;
  variables: Record<string, string | number | boolean>;
  legs: CallLeg[];
}

/** Where CDRs go: the file store now, the database store later (same port). */
export interface CallRecordStore {
  write(record: CallRecord): void;
  /** Wait until everything written so far is durable. */
  flush(): Promise<void>;
}

export class MemoryCallRecordStore implements CallRecordStore {
  readonly records: CallRecord[] = [];
  write(record: CallRecord): void {
    this.records.push(record);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Appends one JSON line per call; writes are chained so lines never interleave. */
export class FileCallRecordStore implements CallRecordStore {
  private chain: Promise<void>;
  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {
    this.chain = mkdir(dirname(path), { recursive: true }).then(() => undefined);
  }

  write(record: CallRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.chain = this.chain.then(() => appendFile(this.path, line)).catch((err: unknown) => {
      // Keep the record in the log rather than lose it; the store issue adds a durable retry.
      this.log.error({ err, cdr: record }, 'could not write the CDR');
    });
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
