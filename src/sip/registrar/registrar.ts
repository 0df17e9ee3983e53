/**
 * The registrar (RFC 3261 §10.3): an in-memory index of bindings per AOR,
 * written through to a BindingStore. The decisions live in plan.ts; this
 * class orders the requests per AOR, commits each decision all-or-nothing and
 * tells listeners what changed. It owns no timers: the host calls expire()
 * periodically (every few seconds is plenty).
 */
import type { Clock, Millis } from '../../acd/types.ts';
import { RegistrarError } from './errors.ts';
import { byPreference, planRegister, view, type ExpiryPolicy } from './plan.ts';
import { KeyedSerializer } from './serial.ts';
import type { Binding, BindingStore, RegisterInput, RegisterResult, RegistrarEvent, RegistrarListener } from './types.ts';
import { canonicalAor } from './uri.ts';

export interface RegistrarOptions {
  clock: Clock;
  store: BindingStore;
  /** Shortest registration accepted; shorter ones get 423 (RFC 3261 §10.3 step 7). Default 60 s. */
  minExpires?: number;
  /** Longer registrations are shortened to this. Default 3600 s. */
  maxExpires?: number;
  /** Used when neither the Contact nor the request has an expiry. Default 3600 s. */
  defaultExpires?: number;
  /** A listener threw: reported here instead of failing the REGISTER that triggered it. */
  onListenerError?: (err: unknown) => void;
}

export class Registrar {
  private readonly clock: Clock;
  private readonly store: BindingStore;
  private readonly policy: ExpiryPolicy;
  private readonly onListenerError: (err: unknown) => void;
  /** aor → contact → binding. Bindings are frozen; updates replace them. */
  private readonly index = new Map<string, Map<string, Binding>>();
  private readonly serial = new KeyedSerializer();
  private readonly listeners = new Set<RegistrarListener>();
  private total = 0;
  private state: 'new' | 'loading' | 'ready' = 'new';

  constructor(opts: RegistrarOptions) {
    const policy = { minExpires: opts.minExpires ?? 60, maxExpires: opts.maxExpires ?? 3600, defaultExpires: opts.defaultExpires ?? 3600 };
    for (const [k, v] of Object.entries(policy)) {
      if (!Number.isInteger(v) || v < 1) throw new RegistrarError('REG_BAD_CONFIG', `${k} must be a positive integer of seconds`);
    }
    if (policy.minExpires > policy.maxExpires) throw new RegistrarError('REG_BAD_CONFIG', 'minExpires must not exceed maxExpires');
    // The default is what phones get when they do not ask; keep it inside the accepted range.
    policy.defaultExpires = Math.min(Math.max(policy.defaultExpires, policy.minExpires), policy.maxExpires);
    this.clock = opts.clock;
    this.store = opts.store;
    this.policy = policy;
    this.onListenerError = opts.onListenerError ?? (() => undefined);
  }

  get minExpires(): number {
    return this.policy.minExpires;
  }

  /** Load the store, dropping (and deleting) bindings that expired while we were down. */
  async init(): Promise<void> {
    if (this.state !== 'new') throw new RegistrarError('REG_ALREADY_INITIALIZED', 'init() called twice');
    this.state = 'loading';
    let loaded: Binding[];
    try {
      loaded = await this.store.load();
    } catch (cause) {
      this.state = 'new';
      throw cause instanceof RegistrarError ? cause : new RegistrarError('REG_STORE_FAILED', 'loading bindings failed', { cause });
    }
    const now = this.clock.now();
    for (const b of loaded) {
      if (b.expiresAt <= now) {
        // Housekeeping only: if it fails, the next start drops the binding again.
        await this.store.remove(b.aor, b.contact).catch(() => undefined);
        continue;
      }
      this.put(b);
    }
    this.state = 'ready';
  }

  /**
   * Process one REGISTER (RFC 3261 §10.3 steps 5–8; the SIP layer has done
   * steps 1–4: Request-URI, Require, authentication, authorization of the To
   * for the authenticated user). Requests for one AOR are applied in call
   * order. Rejects with RegistrarError REG_STORE_FAILED (→ 500) when the
   * store fails; nothing is then committed.
   */
  async register(input: RegisterInput): Promise<RegisterResult> {
    this.ready();
    const aor = typeof input.aor === 'string' ? canonicalAor(input.aor) : undefined;
    if (aor === undefined) return { status: 400, reason: 'Invalid address-of-record' };
    return this.serial.run(aor, () => this.apply(aor, input));
  }

  /** Live bindings of an AOR (any spelling of it), highest q first, then most recently updated. */
  lookup(aor: string): Binding[] {
    this.ready();
    const key = canonicalAor(aor);
    const m = key === undefined ? undefined : this.index.get(key);
    if (m === undefined) return [];
    const now = this.clock.now();
    return [...m.values()].filter((b) => b.expiresAt > now).sort(byPreference);
  }

  /**
   * Live bindings of a user under any domain (an operator's softphone may
   * register as sip:anna@10.0.0.5 or sip:anna@hotline.example): best first.
   */
  lookupUser(user: string): Binding[] {
    this.ready();
    const out: Binding[] = [];
    // Index keys are canonical AORs already: compare their user parts directly.
    for (const aor of this.index.keys()) {
      if (userOfAor(aor) === user) out.push(...this.lookup(aor));
    }
    return out.sort(byPreference);
  }

  /** Drop bindings expired at `now`; returns how many. Call it on a timer. */
  async expire(now: Millis = this.clock.now()): Promise<number> {
    this.ready();
    const aors = [...this.index].filter(([, m]) => [...m.values()].some((b) => b.expiresAt <= now)).map(([aor]) => aor);
    let dropped = 0;
    for (const aor of aors) {
      // Through the AOR's queue, so a refresh that is being committed is not undone.
      dropped += await this.serial.run(aor, async () => {
        const gone = [...(this.index.get(aor)?.values() ?? [])].filter((b) => b.expiresAt <= now);
        for (const b of gone) await this.guard(() => this.store.remove(b.aor, b.contact));
        for (const b of gone) {
          this.drop(b);
          this.emit({ type: 'expired', binding: b });
        }
        return gone.length;
      });
    }
    return dropped;
  }

  /** Bindings held (including ones past their expiry until the next expire()). */
  count(): number {
    return this.total;
  }

  /** AORs with at least one binding held. */
  aorCount(): number {
    return this.index.size;
  }

  /** Listen to binding changes; returns the function that stops listening. */
  onChange(listener: RegistrarListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async apply(aor: string, input: RegisterInput): Promise<RegisterResult> {
    const now = this.clock.now();
    const current = [...(this.index.get(aor)?.values() ?? [])];
    const plan = planRegister(aor, current, input, now, this.policy);
    if (plan.kind === 'refuse') return plan.result;

    // Store first, index second: if the store fails, nothing is visible (§10.3 step 7).
    const removesAll = plan.next.length === 0 && plan.removals.length > 0 && plan.removals.length === current.length;
    if (removesAll) await this.guard(() => this.store.removeAll(aor));
    else for (const b of plan.removals) await this.guard(() => this.store.remove(aor, b.contact));
    for (const b of plan.upserts) await this.guard(() => this.store.save(b));

    const liveBefore = new Map(current.filter((b) => b.expiresAt > now).map((b) => [b.contact, b]));
    for (const b of plan.removals) this.drop(b);
    for (const b of plan.upserts) this.put(b);
    for (const b of plan.removals) this.emit({ type: 'removed', binding: b });
    for (const b of plan.upserts) {
      const previous = liveBefore.get(b.contact);
      this.emit(previous === undefined ? { type: 'added', binding: b } : { type: 'refreshed', binding: b, previous });
    }
    return { status: 200, bindings: plan.after.map((b) => view(b, now)) };
  }

  private put(b: Binding): void {
    let m = this.index.get(b.aor);
    if (m === undefined) this.index.set(b.aor, (m = new Map()));
    if (!m.has(b.contact)) this.total++;
    m.set(b.contact, b);
  }

  private drop(b: Binding): void {
    const m = this.index.get(b.aor);
    if (m?.delete(b.contact) === true) this.total--;
    if (m?.size === 0) this.index.delete(b.aor);
  }

  private emit(event: RegistrarEvent): void {
    for (const l of this.listeners) {
      try {
        l(event, this.total);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  private async guard(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (cause) {
      throw cause instanceof RegistrarError ? cause : new RegistrarError('REG_STORE_FAILED', 'binding store write failed', { cause });
    }
  }

  private ready(): void {
    if (this.state !== 'ready') throw new RegistrarError('REG_NOT_INITIALIZED', 'call init() first');
  }
}

function userOfAor(aor: string): string | undefined {
  const m = /^sips?:([^@]+)@/.exec(aor);
  if (m?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
