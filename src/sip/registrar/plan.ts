/**
 * The decision part of processing a REGISTER (RFC 3261 §10.3 steps 6–8,
 * RFC 5626 §6), as a pure function of the AOR's current bindings, the request
 * and the time. It returns either a refusal or the complete set of changes;
 * the Registrar commits those to the store and the index all-or-nothing
 * (step 7: "the binding updates MUST be committed ... if and only if all
 * binding updates and additions succeed").
 *
 * Decisions, in order:
 *   validation (Call-ID, CSeq, expires, q, reg-id) ........ 400
 *   Contact '*' with Expires ≠ 0 or with other contacts .... 400   (step 6)
 *   no contacts ............................................ query, 200 (step 6 "skips to the last step")
 *   0 < expires < minExpires for any contact ............... 423 + Min-Expires (step 7)
 *   a matching binding with the same Call-ID and
 *     a CSeq not lower than the request's .................. 400 "Out of order CSeq" (steps 6, 7)
 *   expires 0 .............................................. remove the binding
 *   otherwise .............................................. add or replace, expiry capped at maxExpires
 *
 * Out-of-order CSeq: the RFC says the request "fails" and names no status.
 * We answer 400 "Out of order CSeq". Kamailio and OpenSIPS answer 200
 * without changing anything; we do not, because a 200 would confirm, for
 * example, a delayed de-registration that we did not apply.
 *
 * Matching a Contact to a binding (step 7, RFC 5626 §6): with +sip.instance
 * and reg-id, the binding with the same instance and reg-id (the same flow
 * slot) whatever its URI; otherwise the binding whose URI is equal by
 * §19.1.4. A binding with the exact same Contact string always matches, so
 * (aor, contact) stays a unique key for the store.
 */
import type { Millis } from '../../acd/types.ts';
import type { Binding, BindingView, ContactInput, RegisterInput, RegisterResult } from './types.ts';
import { contactKey, instanceKey } from './uri.ts';

export interface ExpiryPolicy {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
}

export type Plan =
  | { kind: 'refuse'; result: Exclude<RegisterResult, { status: 200 }> }
  | {
      kind: 'commit';
      /** Bindings to write (new or replacing one with the same contact string). */
      upserts: Binding[];
      /** Bindings to delete (by their contact string); all taken from `current`. */
      removals: Binding[];
      /** Everything the AOR holds after the commit (expired-but-unswept included): the new index content. */
      next: Binding[];
      /** The AOR's live bindings after the commit, response order. */
      after: Binding[];
    };

const MAX_CSEQ = 2 ** 31 - 1; // RFC 3261 §8.1.1.5: CSeq numbers are below 2^31.
const MAX_REG_ID = 2 ** 31 - 1; // RFC 5626 §4.2: reg-id is 1 to 2^31-1.
const MAX_TEXT = 1024; // Call-IDs, contacts and path entries are far shorter; this only bounds memory.

const bad = (reason: string): Plan => ({ kind: 'refuse', result: { status: 400, reason } });

function isText(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max && !/[\r\n\0]/.test(v);
}

function isSeconds(v: number | undefined): boolean {
  return v === undefined || (Number.isInteger(v) && v >= 0);
}

/** Highest q first, then the most recently updated (the phone that registered last is likelier to be in front of the operator). */
export function byPreference(a: Binding, b: Binding): number {
  return b.q - a.q || b.updatedAt - a.updatedAt || (a.contact < b.contact ? -1 : a.contact > b.contact ? 1 : 0);
}

export function view(b: Binding, now: Millis): BindingView {
  const v: BindingView = { contact: b.contact, expires: Math.max(1, Math.ceil((b.expiresAt - now) / 1000)), q: b.q };
  if (b.instanceId !== undefined) v.instanceId = b.instanceId;
  if (b.regId !== undefined) v.regId = b.regId;
  return v;
}

function validateContact(c: ContactInput): string | undefined {
  if (!isText(c.uri)) return 'Invalid Contact URI';
  if (!isSeconds(c.expires)) return 'Invalid expires parameter';
  if (c.q !== undefined && !(Number.isFinite(c.q) && c.q >= 0 && c.q <= 1)) return 'Invalid q parameter';
  if (c.instanceId !== undefined && !isText(c.instanceId, 256)) return 'Invalid +sip.instance';
  if (c.regId !== undefined && !(Number.isInteger(c.regId) && c.regId >= 1 && c.regId <= MAX_REG_ID)) return 'Invalid reg-id';
  return undefined;
}

function validate(input: RegisterInput): string | undefined {
  if (input.contacts !== '*' && !(Array.isArray(input.contacts) && input.contacts.every((c) => typeof c === 'object' && c !== null))) return 'Invalid Contact';
  if (!isText(input.callId)) return 'Invalid Call-ID';
  if (!Number.isInteger(input.cseq) || input.cseq < 0 || input.cseq > MAX_CSEQ) return 'Invalid CSeq';
  if (!isSeconds(input.expiresHeader)) return 'Invalid Expires';
  if (!Array.isArray(input.path) || !input.path.every((p) => isText(p))) return 'Invalid Path';
  if (input.userAgent !== undefined && typeof input.userAgent !== 'string') return 'Invalid User-Agent';
  return undefined;
}

/** Does an existing binding stand for this Contact? */
function matches(b: Binding, c: ContactInput, key: string): boolean {
  if (b.contact === c.uri) return true;
  if (c.instanceId !== undefined && c.regId !== undefined) {
    return b.instanceId !== undefined && b.regId === c.regId && instanceKey(b.instanceId) === instanceKey(c.instanceId);
  }
  // A binding that belongs to an outbound flow is only replaced through its flow (or its exact string).
  return b.regId === undefined && contactKey(b.contact) === key;
}

/** §10.3 step 7 (and step 6 for '*'): an update from the same Call-ID must carry a higher CSeq. */
function outOfOrder(b: Binding, input: RegisterInput): boolean {
  return b.callId === input.callId && input.cseq <= b.cseq;
}

/**
 * Decide what a REGISTER does. `current` are the AOR's bindings (expired ones
 * included; they are treated as absent). `aor` is already canonical.
 */
export function planRegister(aor: string, current: readonly Binding[], input: RegisterInput, now: Millis, policy: ExpiryPolicy): Plan {
  const invalid = validate(input);
  if (invalid !== undefined) return bad(invalid);
  const live = current.filter((b) => b.expiresAt > now);

  // Step 6: "*" — only alone and only with Expires: 0.
  const star = input.contacts === '*' || input.contacts.some((c) => typeof c.uri === 'string' && c.uri.trim() === '*');
  if (star) {
    if (input.contacts !== '*' && input.contacts.length > 1) return bad('Contact * must be the only Contact');
    if (input.expiresHeader !== 0) return bad('Contact * requires Expires: 0');
    if (live.some((b) => outOfOrder(b, input))) return bad('Out of order CSeq');
    return { kind: 'commit', upserts: [], removals: [...current], next: [], after: [] };
  }
  const contacts = input.contacts as ContactInput[];

  // Step 6: no Contact header field — a query; skip to step 8.
  if (contacts.length === 0) return { kind: 'commit', upserts: [], removals: [], next: [...current], after: [...live].sort(byPreference) };

  for (const c of contacts) {
    const why = validateContact(c);
    if (why !== undefined) return bad(why);
  }

  // Step 7: the expiration interval of each contact; too brief → 423 for the whole request.
  const expires = contacts.map((c) => c.expires ?? input.expiresHeader ?? policy.defaultExpires);
  if (expires.some((e) => e > 0 && e < policy.minExpires)) return { kind: 'refuse', result: { status: 423, minExpires: policy.minExpires } };

  // Step 7: match each contact against the bindings as they were before this request.
  const before = new Map<string, Binding>(current.map((b) => [b.contact, b]));
  const next = new Map(before);
  const removals = new Map<string, Binding>();
  const upserts = new Map<string, Binding>();
  for (const [i, c] of contacts.entries()) {
    const key = contactKey(c.uri);
    const matched = live.filter((b) => matches(b, c, key));
    if (matched.some((b) => outOfOrder(b, input))) return bad('Out of order CSeq');
    for (const b of matched) {
      next.delete(b.contact);
      upserts.delete(b.contact);
      removals.set(b.contact, b);
    }
    const seconds = Math.min(expires[i] ?? 0, policy.maxExpires);
    if (seconds === 0) {
      // Also drops an expired-but-unswept binding with this exact URI. Removing
      // a binding that does not exist is not an error (a phone cleaning up after a restart).
      next.delete(c.uri);
      upserts.delete(c.uri);
      const old = before.get(c.uri);
      if (old !== undefined) removals.set(c.uri, old);
      continue;
    }
    const binding = makeBinding(aor, c, input, now, seconds);
    removals.delete(c.uri); // overwritten in place, not removed
    upserts.set(c.uri, binding);
    next.set(c.uri, binding);
  }
  return {
    kind: 'commit',
    upserts: [...upserts.values()],
    removals: [...removals.values()],
    next: [...next.values()],
    after: [...next.values()].filter((b) => b.expiresAt > now).sort(byPreference),
  };
}

function makeBinding(aor: string, c: ContactInput, input: RegisterInput, now: Millis, seconds: number): Binding {
  // reg-id means nothing without +sip.instance (RFC 5626 §6): drop it rather than key a flow on it.
  const flow = c.instanceId !== undefined ? { instanceId: c.instanceId, ...(c.regId !== undefined ? { regId: c.regId } : {}) } : {};
  const source = { transport: input.source.transport, address: input.source.address, port: input.source.port, ...(input.source.connectionId !== undefined ? { connectionId: input.source.connectionId } : {}) };
  return Object.freeze({
    aor,
    contact: c.uri,
    expiresAt: now + seconds * 1000,
    q: c.q ?? 1,
    callId: input.callId,
    cseq: input.cseq,
    ...flow,
    path: Object.freeze([...input.path]),
    source: Object.freeze(source),
    ...(input.userAgent !== undefined ? { userAgent: input.userAgent } : {}),
    updatedAt: now,
  });
}
