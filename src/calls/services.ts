/**
 * What a CallSession needs from the rest of hotline, handed over by the
 * CallCenter: the ACD, the engines, prompts, the outage board, and where
 * records and events go. Keeping it one small interface keeps sessions free of
 * a global service locator.
 */
import type { Logger } from 'pino';
import type { PromptLibrary } from '../ivr/prompts.ts';
import type { MediaServer } from '../media/media-server.ts';
import type { SipServer } from '../sip/server.ts';
import type { AcdHost } from './acd-host.ts';
import type { CallSession } from './call-session.ts';
import type { OutageBoard } from './outages.ts';

/** A fact about a call, for tests, the live feed and debugging (never with secrets). */
export interface CallEvent {
  callId: string;
  type: string;
  at: number;
  [key: string]: unknown;
}

export type TransferTarget = { kind: 'queue'; queue: string } | { kind: 'external'; uri: string };

export interface CallServices {
  readonly log: Logger;
  readonly acd: AcdHost;
  readonly sip: SipServer;
  readonly media: MediaServer;
  readonly prompts: PromptLibrary;
  readonly outages: OutageBoard;
  readonly timezone: string;
  readonly recordingsDir: string;
  readonly recordCalls: boolean;
  emit(event: CallEvent): void;
  queueExists(queueId: string): boolean;
  /** Wait-queue bookkeeping: the center routes ACD events for a contact to its session. */
  bindContact(contactId: string, session: CallSession): void;
  unbindContact(contactId: string): void;
  enqueueCallback(req: { id: string; queueId: string; enqueuedAt: number; callbackNumber: string; language: string }): boolean;
  /** A transfer code, queue id, number or URI → where it goes. */
  resolveTransfer(target: string): TransferTarget;
  /** A number or URI → a SIP URI we can dial. */
  targetUri(target: string): string;
  /** The call ended: the CDR is complete (or waits for the operator's wrap-up). */
  finishRecord(session: CallSession): void;
}
