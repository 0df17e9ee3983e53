/**
 * Fixtures for the transaction-layer tests: real SIP text (CRLF, correct
 * Content-Length), a FakeScheduler, and a recording MessageSender that keeps
 * every Buffer with its destination and send time and can be told to fail.
 * No sockets, no real timers.
 */
import pino from 'pino';
import { parseMessage, SipRequest, SipResponse } from '../../../../src/sip/message/index.ts';
import { FakeScheduler } from '../../../../src/sip/scheduler.ts';
import { TransactionLayer, type ServerTransaction, type Source, type TransactionLayerOptions, type TransactionLayerUser } from '../../../../src/sip/transaction/layer.ts';
import type { InviteServerTransaction } from '../../../../src/sip/transaction/server.ts';
import type { ClientTransactionUser } from '../../../../src/sip/transaction/client.ts';
import type { Destination, MessageSender } from '../../../../src/sip/transaction/transaction.ts';

export const silentLog = pino({ level: 'silent' });

/** RFC 3261 defaults (ms). */
export const T1 = 500;
export const T2 = 4000;
export const T4 = 5000;

// ───────────────────────────── SIP text ─────────────────────────────

export interface RequestSpec {
  method?: string;
  uri?: string;
  /** Branch of the top Via; null writes no branch (an RFC 2543 peer). */
  branch?: string | null;
  sentBy?: string;
  transport?: string;
  /** Extra top-Via parameters, e.g. ';rport'. */
  viaParams?: string;
  /** Further Via values below the top one. */
  lowerVias?: string[];
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  fromTag?: string;
  /** To tag; absent for an out-of-dialog request. */
  toTag?: string;
  maxForwards?: string | null;
  contact?: string | null;
  /** Extra header lines ("Name: value"). */
  headers?: string[];
  body?: string;
}

export const CALLER = '192.0.2.10';
export const CALLER_PORT = 5060;

/** A request as a peer would send it: CRLF line endings, Content-Length from the body. */
export function requestText(spec: RequestSpec = {}): string {
  const method = spec.method ?? 'INVITE';
  const branch = spec.branch === undefined ? 'z9hG4bK-a1b2c3' : spec.branch;
  const lines = [
    `${method} ${spec.uri ?? 'sip:hotline@198.51.100.1'} SIP/2.0`,
    `Via: SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy ?? `${CALLER}:${CALLER_PORT}`}${branch === null ? '' : `;branch=${branch}`}${spec.viaParams ?? ''}`,
    ...(spec.lowerVias ?? []).map((v) => `Via: ${v}`),
  ];
  if (spec.maxForwards !== null) lines.push(`Max-Forwards: ${spec.maxForwards ?? '70'}`);
  lines.push(
    `From: "Alice" <sip:alice@example.com>;tag=${spec.fromTag ?? 'from-1'}`,
    `To: <sip:hotline@198.51.100.1>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    `Call-ID: ${spec.callId ?? 'call-1@192.0.2.10'}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.cseqMethod ?? method}`,
  );
  if (spec.contact !== null) lines.push(`Contact: ${spec.contact ?? `<sip:alice@${CALLER}:${CALLER_PORT}>`}`);
  lines.push(...(spec.headers ?? []));
  return finish(lines, spec.body ?? '');
}

export interface ResponseSpec {
  branch?: string;
  sentBy?: string;
  transport?: string;
  callId?: string;
  cseq?: number;
  method?: string;
  toTag?: string;
  headers?: string[];
  body?: string;
}

/** A response as a peer would send it to our request. */
export function responseText(status: number, reason: string, spec: ResponseSpec = {}): string {
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    `Via: SIP/2.0/${spec.transport ?? 'UDP'} ${spec.sentBy ?? '198.51.100.1:5060'};branch=${spec.branch ?? 'z9hG4bK-out-1'};received=198.51.100.1`,
    'From: <sip:hotline@198.51.100.1>;tag=our-tag',
    `To: <sip:bob@203.0.113.20>${spec.toTag === undefined ? '' : `;tag=${spec.toTag}`}`,
    `Call-ID: ${spec.callId ?? 'out-call@198.51.100.1'}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.method ?? 'INVITE'}`,
    ...(spec.headers ?? []),
  ];
  return finish(lines, spec.body ?? '');
}

function finish(lines: string[], body: string): string {
  const withLength = lines.some((l) => /^content-length\s*:/i.test(l)) ? lines : [...lines, `Content-Length: ${Buffer.byteLength(body)}`];
  return `${withLength.join('\r\n')}\r\n\r\n${body}`;
}

export function parseRequest(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text));
  if (!(m instanceof SipRequest)) throw new Error('not a request');
  return m;
}

export function parseResponse(text: string): SipResponse {
  const m = parseMessage(Buffer.from(text));
  if (!(m instanceof SipResponse)) throw new Error('not a response');
  return m;
}

/** An outgoing request of ours (the client side), with a fresh-looking branch. */
export function outgoingText(spec: { method?: string; branch?: string; transport?: string; routes?: string[]; cseq?: number; body?: string } = {}): string {
  const method = spec.method ?? 'INVITE';
  const lines = [
    `${method} sip:bob@203.0.113.20 SIP/2.0`,
    `Via: SIP/2.0/${spec.transport ?? 'UDP'} 198.51.100.1:5060;branch=${spec.branch ?? 'z9hG4bK-out-1'};rport`,
    ...(spec.routes ?? []).map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    'From: <sip:hotline@198.51.100.1>;tag=our-tag',
    'To: <sip:bob@203.0.113.20>',
    'Call-ID: out-call@198.51.100.1',
    `CSeq: ${spec.cseq ?? 1} ${method}`,
    'Contact: <sip:hotline@198.51.100.1:5060>',
  ];
  return finish(lines, spec.body ?? '');
}

// ─────────────────────────── recording sender ───────────────────────────

export interface Sent {
  at: number;
  data: Buffer;
  dest: Destination;
}

export class RecordingSender implements MessageSender {
  readonly sent: Sent[] = [];
  /** While true, every send rejects (a transport error). */
  failing = false;

  constructor(private readonly clock: FakeScheduler) {}

  send(data: Buffer, dest: Destination): Promise<void> {
    this.sent.push({ at: this.clock.now(), data, dest });
    return this.failing ? Promise.reject(new Error('ECONNREFUSED (simulated)')) : Promise.resolve();
  }

  /** The first lines of everything sent ("INVITE sip:...", "SIP/2.0 100 Trying"). */
  lines(): string[] {
    return this.sent.map((s) => firstLine(s.data));
  }

  /** Send times of messages whose first line starts with `prefix`. */
  timesOf(prefix: string): number[] {
    return this.sent.filter((s) => firstLine(s.data).startsWith(prefix)).map((s) => s.at);
  }

  /** Parsed messages whose first line starts with `prefix`. */
  parsed(prefix: string): Array<SipRequest | SipResponse> {
    return this.sent.filter((s) => firstLine(s.data).startsWith(prefix)).map((s) => parseMessage(s.data));
  }

  last(): Sent {
    const s = this.sent[this.sent.length - 1];
    if (s === undefined) throw new Error('nothing sent');
    return s;
  }

  clear(): void {
    this.sent.length = 0;
  }
}

export function firstLine(data: Buffer): string {
  const text = data.toString('utf8');
  return text.slice(0, text.indexOf('\r\n'));
}

// ─────────────────────────── recording users ───────────────────────────

export class LayerUser implements TransactionLayerUser {
  readonly requests: Array<{ req: SipRequest; tx: ServerTransaction; source: Source }> = [];
  readonly acks: SipRequest[] = [];
  readonly cancels: Array<{ invite: InviteServerTransaction; cancel: SipRequest }> = [];
  readonly strays: SipResponse[] = [];
  /** Called for each cancel (e.g. to answer the INVITE 487 as an application would). */
  onCancelHook: ((invite: InviteServerTransaction) => void) | undefined;

  onRequest(req: SipRequest, tx: ServerTransaction, source: Source): void {
    this.requests.push({ req, tx, source });
  }
  onAck(ack: SipRequest): void {
    this.acks.push(ack);
  }
  onCancel(invite: InviteServerTransaction, cancel: SipRequest): void {
    this.cancels.push({ invite, cancel });
    this.onCancelHook?.(invite);
  }
  onStrayResponse(res: SipResponse): void {
    this.strays.push(res);
  }

  lastTx(): ServerTransaction {
    const r = this.requests[this.requests.length - 1];
    if (r === undefined) throw new Error('no request reached the user');
    return r.tx;
  }
}

export class ClientUser implements ClientTransactionUser {
  readonly responses: SipResponse[] = [];
  timeouts = 0;
  transportErrors = 0;
  onResponse(res: SipResponse): void {
    this.responses.push(res);
  }
  onTimeout(): void {
    this.timeouts++;
  }
  onTransportError(): void {
    this.transportErrors++;
  }
  statuses(): number[] {
    return this.responses.map((r) => r.status);
  }
}

export interface LayerFixture {
  clock: FakeScheduler;
  sender: RecordingSender;
  user: LayerUser;
  layer: TransactionLayer;
}

export function setupLayer(opts: Partial<Pick<TransactionLayerOptions, 'timers' | 'udpMtuLimit'>> = {}): LayerFixture {
  const clock = new FakeScheduler(0);
  const sender = new RecordingSender(clock);
  const user = new LayerUser();
  const layer = new TransactionLayer({ sender, scheduler: clock, user, log: silentLog, ...opts });
  return { clock, sender, user, layer };
}

export const udpFrom = (address = CALLER, port = CALLER_PORT): Source => ({ protocol: 'udp', address, port });
export const tcpFrom = (connectionId = 'conn-7', address = CALLER, port = 49152): Source => ({ protocol: 'tcp', address, port, connectionId });

export const BOB_UDP: Destination = { protocol: 'udp', address: '203.0.113.20', port: 5060 };
export const BOB_TCP: Destination = { protocol: 'tcp', address: '203.0.113.20', port: 5060 };

/** Let rejected sends reach their catch handlers (microtasks only: no timers, no sleeping). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
