/**
 * Call detail records: one per call, assembled by the CallSession as the call
 * moves on, written once when it ends through the CallRecordStore port: the
 * database store (src/store/store.ts, through its durable outbox) in production,
 * MemoryCallRecordStore in tests that need no database.
 */

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

/** Where CDRs go. `write` must not block or throw: the call is over. */
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
