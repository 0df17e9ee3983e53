/**
 * The registrar's data (RFC 3261 §10.3, RFC 5626 §6, RFC 3327). Plain data
 * only: the SIP layer fills a RegisterInput from the REGISTER and turns the
 * RegisterResult into the response.
 */
import type { Millis } from '../../acd/types.ts';
import type { SipEndpointAddress } from '../message/types.ts';

/** Where the REGISTER really came from: requests for the AOR go here (NAT), over this connection when it still exists (RFC 5626 flow). */
export interface BindingSource {
  transport: SipEndpointAddress['transport'];
  address: string;
  port: number;
  /** Transport-layer id of the connection (TCP/TLS/WS) the REGISTER arrived on: the RFC 5626 flow. */
  connectionId?: string;
}

export interface Binding {
  /** Canonical 'sip:user@host[:port]': host lower-cased, no parameters (RFC 3261 §10.3 step 5). */
  readonly aor: string;
  /** The Contact URI as the UA wrote it. */
  readonly contact: string;
  /** Absolute expiry on the registrar's clock, ms. */
  readonly expiresAt: Millis;
  /** 0–1, default 1 (RFC 3261 §20.10). */
  readonly q: number;
  readonly callId: string;
  readonly cseq: number;
  /** +sip.instance as given (RFC 5626 §4.1), e.g. '<urn:uuid:…>'. */
  readonly instanceId?: string;
  /** reg-id (RFC 5626 §4.2); only kept together with instanceId. */
  readonly regId?: number;
  /** Path header values, top first (RFC 3327 §5.3): the route back to the UA. */
  readonly path: readonly string[];
  readonly source: Readonly<BindingSource>;
  readonly userAgent?: string;
  readonly updatedAt: Millis;
}

export interface ContactInput {
  /** The Contact URI as written (without the angle brackets and header params). */
  uri: string;
  /** The Contact's expires parameter, seconds. */
  expires?: number;
  /** The Contact's q parameter, 0–1. */
  q?: number;
  /** +sip.instance parameter value. */
  instanceId?: string;
  /** reg-id parameter. */
  regId?: number;
}

export interface RegisterInput {
  /** The To URI (any form: the registrar canonicalizes it). */
  aor: string;
  callId: string;
  cseq: number;
  /** Contact values; '*' for "Contact: *"; [] when there is no Contact header (a query). */
  contacts: ContactInput[] | '*';
  /** The Expires header, seconds. */
  expiresHeader?: number;
  /** Path header values in order (RFC 3327); [] when absent. */
  path: string[];
  source: BindingSource;
  userAgent?: string;
}

/** One Contact of the 200 response (RFC 3261 §10.3 step 8: every current binding, each with its expires). */
export interface BindingView {
  contact: string;
  /** Seconds left, rounded up (so a live binding never shows 0). */
  expires: number;
  q: number;
  instanceId?: string;
  regId?: number;
}

export type RegisterResult =
  | { status: 200; bindings: BindingView[] }
  /** RFC 3261 §10.3 step 7 / §21.4.17: send Min-Expires with this value. */
  | { status: 423; minExpires: number }
  /** reason is fixed text, never the request's content: usable as the reason phrase. */
  | { status: 400; reason: string };

export interface BindingStore {
  load(): Promise<Binding[]>;
  /** Insert or replace the binding with the same (aor, contact). */
  save(b: Binding): Promise<void>;
  remove(aor: string, contact: string): Promise<void>;
  removeAll(aor: string): Promise<void>;
}

export type RegistrarEvent =
  | { type: 'added'; binding: Binding }
  | { type: 'refreshed'; binding: Binding; previous: Binding }
  /** Removed by a REGISTER (expires=0, Contact: *, or replaced by a binding with another Contact URI). */
  | { type: 'removed'; binding: Binding }
  /** Dropped by expire(). */
  | { type: 'expired'; binding: Binding };

export type RegistrarListener = (event: RegistrarEvent, count: number) => void;
