/**
 * An incoming out-of-dialog request as the application sees it (drachtio-srf's
 * `req`/`res` pair): the parsed message, where it came from, a `cancel` event
 * (the caller hung up before the answer), and a responder.
 */
import { EventEmitter } from 'node:events';
import { createResponse, type SipRequest } from './message/message.ts';
import type { ServerTransaction, Source } from './transaction/layer.ts';
import { InviteServerTransaction } from './transaction/server.ts';

export interface SendOptions {
  headers?: Array<[string, string]>;
  body?: string;
  contentType?: string;
  /** To tag to use (a dialog-creating response needs one; generated if absent). */
  toTag?: string;
}

export class InboundRequest extends EventEmitter {
  cancelled = false;
  /** Set when digest authentication succeeded. */
  authenticatedUser: string | undefined;
  /** Our To tag for this request's dialog, fixed by the first response that needs one. */
  toTag: string | undefined;

  constructor(
    readonly msg: SipRequest,
    readonly source: Source,
    readonly tx: ServerTransaction,
  ) {
    super();
  }

  override on(event: 'cancel', fn: () => void): this {
    return super.on(event, fn);
  }

  get method(): string {
    return this.msg.method;
  }
  get uri(): string {
    return this.msg.uri;
  }
  get callId(): string {
    return this.msg.callId();
  }
  get body(): string {
    return this.msg.body.toString('utf8');
  }
  get(name: string): string | undefined {
    return this.msg.headers.get(name);
  }

  /** The caller's CANCEL reached us (§9.2): the INVITE was answered 487 already. */
  markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancel');
  }
}

/** The response side of an inbound request. */
export class InboundResponder {
  constructor(
    private readonly req: InboundRequest,
    private readonly newTag: () => string,
  ) {}

  get finalSent(): boolean {
    return this.req.tx.answered;
  }

  /** Send a response; a second final response is ignored (the transaction drops it). */
  send(status: number, reason?: string, opts: SendOptions = {}): void {
    if (this.req.tx.answered) return;
    // §8.2.6.2: every response but 100 to a request without a To tag gets one (createResponse keeps an existing tag).
    if (status > 100) this.req.toTag ??= opts.toTag ?? this.newTag();
    if (this.req.toTag !== undefined && this.req.tx instanceof InviteServerTransaction) this.req.tx.toTag = this.req.toTag;
    const headers = [...(opts.headers ?? [])];
    if (opts.body !== undefined) headers.push(['Content-Type', opts.contentType ?? 'application/sdp']);
    const res = createResponse(this.req.msg, status, reason, {
      ...(this.req.toTag !== undefined ? { toTag: this.req.toTag } : {}),
      headers,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    this.req.tx.respond(res);
  }
}
