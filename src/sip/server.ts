/**
 * The embedded Signaling engine, assembled: transports → SIP core, with the
 * registrar and digest authentication plugged in. `SipServer` is the surface
 * the calls layer uses, shaped like drachtio-srf: `invite()`, `createUAS()`,
 * `createUAC()`, `createB2BUA()`, `request()`, and registrar lookups.
 */
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { DigestAuthenticator, type CredentialStore, type DigestAlgorithm } from './auth/index.ts';
import type { Dialog } from './dialog/dialog.ts';
import { SipError } from './errors.ts';
import type { InboundRequest, InboundResponder } from './inbound.ts';
import { createRequest, formatUri, type SipResponse } from './message/index.ts';
import { realScheduler, type TimerHandle, type TimerScheduler } from './scheduler.ts';
import { MemoryBindingStore, Registrar, type Binding, type BindingStore, type ContactInput } from './registrar/index.ts';
import { SipStack, resolveUri, type InviteHandler, type SipTransports } from './stack.ts';
import type { SourceGuardOptions } from './source-guard.ts';
import { TransportSet } from './transport/index.ts';
import type { Destination } from './transaction/transaction.ts';
import type { TimerConfig } from './transaction/timers.ts';
import { createB2BUA, createUAC, createUAS, type UacOptions, type UasOptions } from './ua.ts';

export interface ListenSpec {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
}

export interface SipServerOptions {
  listen: ListenSpec[];
  log: Logger;
  /** Address we put in Via/Contact when listening on a wildcard (default: the listen host). */
  advertise?: string;
  scheduler?: TimerScheduler;
  timers?: Partial<TimerConfig>;
  guard?: SourceGuardOptions;
  /** Digest realm and operators' credentials (HA1). Without it REGISTER and INVITE are not challenged. */
  auth?: {
    realm: string;
    credentials: CredentialStore;
    secret?: string;
    nonceTtlSeconds?: number;
    /** Challenges offered, in order. Some phones (libre/baresip 1.x) give up on the first one they cannot do: offer MD5 first for them. */
    algorithms?: DigestAlgorithm[];
  };
  /** Where registrations are kept (default: in memory). */
  bindings?: BindingStore;
  registrar?: { minExpires?: number; maxExpires?: number; defaultExpires?: number };
  /**
   * Numbers (Request-URI users) anyone may call without credentials: the
   * public hotline numbers. INVITEs to anything else need digest auth when
   * `auth` is configured (operators dialling feature codes, transfers).
   */
  publicNumbers?: string[];
}

export class SipServer {
  readonly stack: SipStack;
  readonly registrar: Registrar;
  private readonly authenticator: DigestAuthenticator | undefined;
  private expiryTimer: TimerHandle | undefined;
  private closed = false;

  private constructor(
    private readonly transports: TransportSet,
    private readonly opts: SipServerOptions,
    stack: SipStack,
    registrar: Registrar,
  ) {
    this.stack = stack;
    this.registrar = registrar;
    const scheduler = opts.scheduler ?? realScheduler;
    if (opts.auth !== undefined) {
      this.authenticator = new DigestAuthenticator({
        realm: opts.auth.realm,
        clock: { now: () => scheduler.now() },
        credentials: opts.auth.credentials,
        ...(opts.auth.secret !== undefined ? { secret: opts.auth.secret } : {}),
        ...(opts.auth.nonceTtlSeconds !== undefined ? { nonceTtlSeconds: opts.auth.nonceTtlSeconds } : {}),
        ...(opts.auth.algorithms !== undefined ? { algorithms: opts.auth.algorithms } : {}),
      });
    }
    stack.registerHandler = (req, res) => this.handleRegister(req, res);
    const publicNumbers = new Set(opts.publicNumbers ?? []);
    if (this.authenticator !== undefined) {
      stack.authenticator = {
        check: async (req, res) => {
          const user = safeUser(req.uri);
          if (user !== undefined && publicNumbers.has(user)) return true;
          return this.authenticate(req, res);
        },
      };
    }
    this.armExpiry();
  }

  /** Bind every listen address and start serving. */
  static async start(opts: SipServerOptions): Promise<SipServer> {
    const scheduler = opts.scheduler ?? realScheduler;
    const ref: { stack?: SipStack } = {};
    const transports = await TransportSet.listen(opts.listen, {
      onMessage: (m) => ref.stack?.handleInbound(m.data, { protocol: m.source.transport, address: m.source.address, port: m.source.port, ...(m.connectionId !== undefined ? { connectionId: m.connectionId } : {}) }),
      onError: (err) => opts.log.debug({ err }, 'transport error'),
    });
    // On a wildcard address, Via and Contact need a real one: phones send BYE to our Contact.
    const wildcardHost = opts.advertise ?? firstExternalAddress() ?? '127.0.0.1';
    if (opts.advertise === undefined && opts.listen.some((l) => isWildcard(l.host))) opts.log.info({ advertise: wildcardHost }, 'listening on a wildcard address: advertising this one in Via and Contact (set sip.advertise to choose)');
    const advertised = (protocol: Destination['protocol']): { host: string; port: number } => {
      const t = transports.get(protocol === 'tcp' ? 'tcp' : 'udp') ?? transports.transports[0];
      const host = opts.advertise ?? (t === undefined || isWildcard(t.local.address) ? wildcardHost : t.local.address);
      return { host, port: t?.local.port ?? 5060 };
    };
    const sipTransports: SipTransports = { send: (data, dest) => transports.send(data, dest), advertised };
    const stack = new SipStack({ transports: sipTransports, scheduler, log: opts.log, ...(opts.timers !== undefined ? { timers: opts.timers } : {}), ...(opts.guard !== undefined ? { guard: opts.guard } : {}) });
    ref.stack = stack;
    const registrar = new Registrar({ clock: { now: () => scheduler.now() }, store: opts.bindings ?? new MemoryBindingStore(), ...opts.registrar });
    await registrar.init();
    return new SipServer(transports, opts, stack, registrar);
  }

  /** Where each transport listens (port 0 in the options becomes the real port here). */
  get addresses(): Array<{ protocol: 'udp' | 'tcp'; address: string; port: number }> {
    return this.transports.transports.map((t) => ({ protocol: t.protocol, address: t.local.address, port: t.local.port }));
  }

  // ───────────────────── the drachtio-srf-shaped API ─────────────────────

  invite(handler: InviteHandler): void {
    this.stack.onInvite(handler);
  }

  createUAS(req: InboundRequest, res: InboundResponder, opts: UasOptions): Promise<Dialog> {
    return createUAS(this.stack, req, res, opts);
  }

  createUAC(uri: string, opts: UacOptions): Promise<Dialog> {
    return createUAC(this.stack, uri, opts);
  }

  createB2BUA(req: InboundRequest, res: InboundResponder, uri: string, opts: Omit<UacOptions, 'localSdp'> = {}): Promise<{ uas: Dialog; uac: Dialog }> {
    return createB2BUA(this.stack, req, res, uri, opts);
  }

  /** An out-of-dialog request (OPTIONS ping, MESSAGE); resolves with the final response. */
  request(uri: string, opts: { method: string; headers?: Array<[string, string]>; body?: string; destination?: Destination }): Promise<SipResponse> {
    const dest = opts.destination ?? resolveUri(uri);
    const headers: Array<[string, string]> = [
      ['Via', this.stack.via(dest)],
      ['Max-Forwards', '70'],
      ['From', `<${this.stack.localUri(dest)}>;tag=${this.stack.newTag()}`],
      ['To', `<${uri}>`],
      ['Call-ID', this.stack.newCallId()],
      ['CSeq', `1 ${opts.method}`],
      ...(opts.headers ?? []),
    ];
    return this.stack.sendRequest(createRequest({ method: opts.method, uri, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) }), dest);
  }

  /**
   * Where an operator can be reached now: the live bindings of their AOR,
   * best first, each with the destination to send to (the source address of
   * the REGISTER, which is right for phones behind NAT).
   */
  locate(aor: string): Array<{ binding: Binding; uri: string; destination: Destination }> {
    return this.toTargets(this.registrar.lookup(aor));
  }

  /** Like locate(), by user name under any domain: where an operator's softphones are. */
  locateUser(user: string): Array<{ binding: Binding; uri: string; destination: Destination }> {
    return this.toTargets(this.registrar.lookupUser(user));
  }

  private toTargets(bindings: Binding[]): Array<{ binding: Binding; uri: string; destination: Destination }> {
    return bindings.map((binding) => ({
      binding,
      uri: binding.contact,
      destination: {
        protocol: binding.source.transport,
        address: binding.source.address,
        port: binding.source.port,
        ...(binding.source.connectionId !== undefined ? { connectionId: binding.source.connectionId } : {}),
      },
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.expiryTimer?.cancel();
    // Hang up every call at once: a peer that is gone costs 64·T1 once, not once per call.
    await Promise.allSettled([...this.stack.dialogs.values()].map((d) => d.destroy('shutdown')));
    await this.transports.close();
    // A file-backed store flushes its last writes.
    const store = this.opts.bindings as { close?: () => Promise<void> } | undefined;
    await store?.close?.();
  }

  // ───────────────────────────── internals ─────────────────────────────

  private async authenticate(req: InboundRequest, res: InboundResponder): Promise<boolean> {
    const auth = this.authenticator;
    if (auth === undefined) return true;
    const result = await auth.verify({ method: req.method, uri: req.uri, authorization: req.get('authorization'), source: req.source.address });
    if (result.ok) {
      req.authenticatedUser = result.username;
      return true;
    }
    if (result.delayMs !== undefined && result.delayMs > 0) await delay(this.opts.scheduler ?? realScheduler, result.delayMs);
    res.send(result.status, result.reason, { headers: result.challenges.map((c): [string, string] => ['WWW-Authenticate', c]) });
    return false;
  }

  /** RFC 3261 §10.3: authenticate, then let the registrar decide, then answer with every current binding. */
  private async handleRegister(req: InboundRequest, res: InboundResponder): Promise<void> {
    if (!(await this.authenticate(req, res))) return;
    const msg = req.msg;
    const toUri = msg.to().uri;
    const aor = `sip:${toUri.user ?? ''}@${toUri.host}`;
    // §10.3 step 3: an authenticated user may only register their own AOR.
    if (req.authenticatedUser !== undefined && toUri.user !== req.authenticatedUser) {
      res.send(403, 'Not allowed to register this address');
      return;
    }
    const contact = msg.contact();
    const contacts: ContactInput[] | '*' =
      contact === '*'
        ? '*'
        : contact.map((c) => {
            const expires = numberParam(c.params.get('expires'));
            const q = numberParam(c.params.get('q'));
            const instance = c.params.get('+sip.instance');
            const regId = numberParam(c.params.get('reg-id'));
            return {
              uri: formatUri(c.uri),
              ...(expires !== undefined ? { expires } : {}),
              ...(q !== undefined ? { q } : {}),
              ...(instance !== undefined && instance !== null ? { instanceId: instance } : {}),
              ...(regId !== undefined ? { regId } : {}),
            };
          });
    const expiresHeader = numberParam(msg.headers.get('expires'));
    const userAgent = msg.headers.get('user-agent');
    const result = await this.registrar.register({
      aor,
      callId: msg.callId(),
      cseq: msg.cseq().seq,
      contacts,
      ...(expiresHeader !== undefined ? { expiresHeader } : {}),
      path: msg.headers.getAll('path'),
      source: { transport: req.source.protocol, address: req.source.address, port: req.source.port, ...(req.source.connectionId !== undefined ? { connectionId: req.source.connectionId } : {}) },
      ...(userAgent !== undefined ? { userAgent } : {}),
    });
    if (result.status === 423) {
      res.send(423, 'Interval Too Brief', { headers: [['Min-Expires', String(result.minExpires)]] });
      return;
    }
    if (result.status === 400) {
      res.send(400, result.reason);
      return;
    }
    const headers: Array<[string, string]> = result.bindings.map((b) => ['Contact', `<${b.contact}>;expires=${b.expires}${b.q !== 1 ? `;q=${b.q}` : ''}`]);
    headers.push(['Date', new Date().toUTCString()]);
    res.send(200, 'OK', { headers });
  }

  /** The registrar owns no timers: drop expired bindings every few seconds. */
  private armExpiry(): void {
    const scheduler = this.opts.scheduler ?? realScheduler;
    this.expiryTimer = scheduler.schedule(5_000, () => {
      this.registrar.expire().catch((err: unknown) => this.opts.log.warn({ err }, 'registrar expiry failed'));
      if (!this.closed) this.armExpiry();
    });
  }
}

/** The first non-internal IPv4 address of this machine, if any. */
function firstExternalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function safeUser(uri: string): string | undefined {
  try {
    return resolveUserPart(uri);
  } catch {
    return undefined;
  }
}

function resolveUserPart(uri: string): string | undefined {
  const m = /^sips?:([^@;>]+)@/i.exec(uri);
  return m?.[1] !== undefined ? decodeURIComponent(m[1]) : undefined;
}

function numberParam(v: string | null | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}


function delay(scheduler: TimerScheduler, ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.schedule(ms, resolve));
}

export { SipError };
