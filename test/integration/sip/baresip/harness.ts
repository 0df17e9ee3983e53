/**
 * baresip (Debian's baresip-core) as an operator's softphone, driven from a
 * test: a config folder in a temp dir, free ports for SIP, ctrl_tcp and RTP,
 * the process as a child of the test (stdout/stderr kept for failure
 * messages), and the ctrl_tcp JSON-over-netstring protocol.
 *
 * Recipe: ../shared/HARNESS.md "baresip as an operator's softphone".
 * Accounts are created with the ctrl command `uanew` after the control socket
 * is connected, not read from the accounts file: baresip registers accounts
 * from the file before ctrl_tcp is loaded, so their REGISTER_OK/REGISTER_FAIL
 * would be emitted before anyone can listen.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BaresipEvent {
  event: true;
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  id?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipReply {
  response: true;
  ok: boolean;
  data: string;
  token?: string;
}

export interface AccountOptions {
  user: string;
  password: string;
  /** The registrar: hotline's UDP address. */
  registrar: { host: string; port: number };
  /** Registration interval, seconds (0: do not register). */
  regint: number;
  answermode?: 'auto' | 'manual';
  /** baresip's `audio_codecs` account parameter (default `PCMU/8000/1,PCMA/8000/1`). */
  audioCodecs?: string;
}

/** One line of `listcalls` (the calls of the current user agent). */
export interface BaresipCall {
  line: number;
  /** As baresip prints it: 'INCOMING' (ringing), 'ESTABLISHED', 'OUTGOING', 'RINGING', 'EARLY'... */
  state: string;
  onHold: boolean;
  /** The peer's URI (the From of an incoming call, the dialled URI of an outgoing one). */
  peer: string;
}

export type AnswerMode = 'manual' | 'early' | 'auto';

export interface BaresipStartOptions {
  sipTrace?: boolean;
  /** Length of the generated source WAV (ignored with `sourceWav`). */
  callSeconds?: number;
  /** A 16-bit 8 kHz mono WAV to use as the microphone (`aufile`) instead of the generated tone. */
  sourceWav?: string;
  /** Load `sndfile.so`: every call's sent and received audio is dumped as WAV under `sndPath`. */
  sndfile?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A port free for both UDP and TCP on 127.0.0.1 right now (baresip's sip_listen binds both),
 * drawn from 20000–32767: below the kernel's ephemeral range (32768–60999), which overlaps
 * the ranges other tests reserve (42000–47999, 50000–59999).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error('no free UDP+TCP port found');
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive UDP ports free on 127.0.0.1, starting at an even port: baresip's
 * rtp_ports range (default), or a media engine's port window inside `within` (inclusive).
 */
export async function freeUdpRange(count: number, within?: [number, number]): Promise<[number, number]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = within === undefined ? 20_000 + 2 * Math.floor(Math.random() * 10_000) : within[0] + 2 * Math.floor(Math.random() * Math.floor((within[1] - within[0] + 2 - count) / 2));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await udpFree(p);
    if (ok) return [base, base + count - 1];
  }
  throw new Error('no free RTP port range found');
}

/** A 16-bit 8 kHz mono WAV of `seconds` (a tone padded with silence), made with sox. */
export function makeSourceWav(dir: string, seconds: number): string {
  const file = join(dir, 'source_8k_s16.wav');
  const r = spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', file, 'synth', '2', 'sine', '440', 'vol', '0.3', 'pad', '0', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox failed (${r.status}): ${r.stderr}${r.error?.message ?? ''}`);
  return file;
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  private output = '';
  private ctrl: Socket | undefined;
  private rx = Buffer.alloc(0);
  private readonly pendingReplies: Array<(r: BaresipReply) => void> = [];
  private readonly waiters = new Set<() => void>();
  private exited: Promise<void>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly dir: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
    readonly rtpPorts: [number, number],
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString('utf8')));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.wake();
        resolve();
      });
    });
  }

  /** Write the config folder, spawn `baresip -f DIR` and connect to its ctrl_tcp socket. */
  /**
   * Start baresip. Ports are picked free but can be taken by another test process before
   * baresip binds them (it also binds SIP/TLS on sip port + 1): a start that fails with
   * "Address already in use" is tried again with new ports.
   */
  static async start(opts: BaresipStartOptions = {}): Promise<Baresip> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Baresip.startOnce(opts);
      } catch (err) {
        if (attempt >= 3 || !(err instanceof Error && err.message.includes('Address already in use'))) throw err;
      }
    }
  }

  private static async startOnce(opts: BaresipStartOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-baresip-'));
    const wav = opts.sourceWav ?? makeSourceWav(dir, opts.callSeconds ?? 120);
    let sipPort = await freePort();
    // baresip listens for SIP/TLS on the next port up.
    while (!(await tcpFree(sipPort + 1))) sipPort = await freePort();
    let ctrlPort = await freePort();
    while (ctrlPort === sipPort) ctrlPort = await freePort();
    const rtpPorts = await freeUdpRange(10);
    const config = [
      ['poll_method', 'epoll'],
      ['sip_listen', `127.0.0.1:${sipPort}`],
      ['net_interface', '127.0.0.1'],
      ['audio_player', 'aubridge,nil'],
      ['audio_source', `aufile,${wav}`],
      ['audio_alert', 'aubridge,nil'],
      ['rtcp_mux', 'no'],
      ['rtp_ports', `${rtpPorts[0]}-${rtpPorts[1]}`],
      ['dns_server', '127.0.0.1:53'],
      ['statmode_default', 'off'],
      ['module_path', '/usr/lib/baresip/modules'],
      ['module', 'g711.so'],
      ['module', 'aufile.so'],
      ['module', 'aubridge.so'],
      ['module_tmp', 'uuid.so'],
      ['module_tmp', 'account.so'],
      ['module_app', 'menu.so'],
      ['module_app', 'ctrl_tcp.so'],
      ['ctrl_tcp_listen', `127.0.0.1:${ctrlPort}`],
    ];
    if (opts.sndfile === true) {
      mkdirSync(join(dir, 'snd'));
      config.push(['module', 'sndfile.so'], ['snd_path', join(dir, 'snd')]);
    }
    writeFileSync(join(dir, 'config'), config.map(([k, v]) => `${k}\t\t${v}`).join('\n') + '\n');
    // Empty on purpose: accounts come through `uanew` (see the file comment).
    writeFileSync(join(dir, 'accounts'), '# accounts are added with the ctrl command uanew\n');
    // stdbuf: baresip's stdout is a pipe here, so libc would block-buffer the SIP trace until exit.
    const child = spawn('stdbuf', ['-oL', '-eL', 'baresip', '-f', dir, ...(opts.sipTrace === true ? ['-s'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const b = new Baresip(dir, sipPort, ctrlPort, rtpPorts, child);
    child.once('error', (err) => (b.output += `\nspawn error: ${err.message}\n`));
    try {
      await b.connectCtrl();
    } catch (err) {
      await b.stop();
      throw err;
    }
    return b;
  }

  /** Where `sndfile.so` writes its dumps (`dump-<time>-enc.wav`: sent, `-dec.wav`: received), when started with `sndfile`. */
  get sndPath(): string {
    return join(this.dir, 'snd');
  }

  /** What baresip printed so far (for failure messages). */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The account line for `uanew` / the accounts file. */
  static accountLine(a: AccountOptions): string {
    return (
      `<sip:${a.user}@${a.registrar.host}:${a.registrar.port};transport=udp>` +
      `;auth_user=${a.user};auth_pass=${a.password};answermode=${a.answermode ?? 'auto'}` +
      `;audio_codecs=${a.audioCodecs ?? 'PCMU/8000/1,PCMA/8000/1'};regint=${a.regint}`
    );
  }

  /** Create a user agent for the account; it starts registering at once when regint > 0. */
  async addAccount(a: AccountOptions): Promise<BaresipReply> {
    return this.command('uanew', Baresip.accountLine(a));
  }

  // ───────────── call control (verified against baresip 1.0.0; see test/integration/calls/peers/README.md) ─────────────
  //
  // baresip acts on its *current* user agent: `dial`, `accept`, `hangup`, `listcalls`,
  // `answermode`, `hold`, `resume` and `transfer` all apply to the current UA (and to its current
  // call). `uafind <aor>` selects it. A call ringing in manual mode (CALL_INCOMING) makes its
  // UA the current one by itself; an auto-answered call does not. So every method below that
  // takes an `aor` first selects that account; without one it uses whatever is current.

  /** The AOR baresip knows an account by (`uafind`, events' `accountaor`): `sip:user@host:port`, port included. */
  static aor(a: Pick<AccountOptions, 'user' | 'registrar'>): string {
    return `sip:${a.user}@${a.registrar.host}:${a.registrar.port}`;
  }

  /** AORs of every user agent, in baresip's order (from `reginfo`). */
  async accounts(): Promise<string[]> {
    const r = await this.mustCommand('reginfo');
    return [...r.data.matchAll(/^[> ] (sip:\S+)/gm)].map((m) => m[1] as string);
  }

  /** `uafind <aor>`: make this account the current user agent (fails with "No such file or directory" for an unknown AOR). */
  async useAccount(aor: string): Promise<void> {
    await this.mustCommand('uafind', aor);
  }

  /**
   * `uafind <aor>` + `answermode <mode>`: changes that account only (reply "Answer mode changed
   * to: manual"). manual: baresip answers an INVITE with 180 Ringing and nothing else (35 s
   * observed, no local timeout), emitting CALL_INCOMING; auto: 180 Ringing then "200 Answering"
   * at once, no CALL_INCOMING event (CALL_ESTABLISHED only).
   */
  async setAnswerMode(aor: string, mode: AnswerMode): Promise<void> {
    await this.useAccount(aor);
    const r = await this.mustCommand('answermode', mode);
    if (!r.data.includes(`changed to: ${mode}`)) throw new Error(`baresip answermode ${mode}: ${r.data}`);
  }

  /**
   * `dial <uri>` from `aor` (or the current UA). baresip sends the URI as given (a '*' is not
   * escaped) with `;transport=udp` added: `dial sip:*1@127.0.0.1:5060` sends
   * `INVITE sip:*1@127.0.0.1:5060;transport=udp`, From `<sip:op1@…>` of the account; a bare
   * `dial *1` goes to the account's own domain (`sip:*1@<registrar host:port>;transport=udp`).
   * A 401/407 challenge is answered with the account's auth_user/auth_pass.
   */
  async dial(uri: string, aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('dial', uri);
  }

  /** `accept`: answer the ringing call of `aor` (or of the current UA) with 200. Replies ok even when nothing rings. */
  async accept(aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('accept');
  }

  /**
   * `hangup`: the current call of `aor` (or of the current UA). A ringing incoming call is
   * rejected with "486 Rejected", an outgoing one still ringing is CANCELled, an established
   * one gets BYE; each gives CALL_CLOSED "Connection reset by user". Replies ok even when
   * there is no call.
   */
  async hangup(aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('hangup');
  }

  /** Hang up every call of every account (`hangup` per account until its `listcalls` is empty). */
  async hangupAll(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const aor of await this.accounts()) {
      await this.useAccount(aor);
      for (let n = (await this.calls()).length; n > 0; ) {
        if (Date.now() > deadline) throw new Error(`baresip: calls of ${aor} still up after ${timeoutMs} ms: ${JSON.stringify(await this.calls())}`);
        await this.mustCommand('hangup');
        const before = n;
        while (n >= before && Date.now() <= deadline) {
          await sleep(20);
          n = (await this.calls()).length;
        }
      }
    }
  }

  /** `listcalls`: the calls of `aor` (or of the current UA) only. */
  async calls(aor?: string): Promise<BaresipCall[]> {
    if (aor !== undefined) await this.useAccount(aor);
    const r = await this.mustCommand('listcalls');
    // e.g. "> [line 1]  0:00:01  ESTABLISHED  (on hold)  sip:hotline@127.0.0.1:28214"
    return [...r.data.matchAll(/\[line (\d+)\]\s+\S+\s+(\S+)\s+(\(on hold\)\s+)?(\S+)/g)].map((m) => ({
      line: Number(m[1]),
      state: m[2] as string,
      onHold: m[3] !== undefined,
      peer: m[4] as string,
    }));
  }

  /**
   * `transfer <uri>`: blind transfer of the current call of `aor` (or of the current UA).
   * baresip sends in the dialog `REFER` with `Refer-To: <uri>` exactly as given (no angle
   * brackets, no Referred-By). Then, NOTIFY sipfrag (answered 200):
   * - "SIP/2.0 100 Trying": nothing more;
   * - "SIP/2.0 200 OK": baresip sends BYE; event CALL_CLOSED "Call transfered" [sic];
   * - "SIP/2.0 486 Busy Here" (any >= 300), or the REFER refused (e.g. 403): event
   *   TRANSFER_FAILED "486 Busy Here" / "403 Forbidden", and baresip *still hangs up* (BYE),
   *   with no CALL_CLOSED event.
   * Fails when the current UA has no call ("Invalid argument"; "command not found (transfer)"
   * while the process has never had a call): select the call's account.
   */
  async transfer(uri: string, aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('transfer', uri);
  }

  /**
   * `hold`: re-INVITE of the current call of `aor` (or the current UA) with the same media
   * port and `a=sendonly` (SDP version + 1); `listcalls` then shows "(on hold)". The 200 gives
   * event CALL_REMOTE_SDP "answer" (there is no hold event).
   */
  async hold(aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('hold');
  }

  /** `resume`: re-INVITE with `a=sendrecv` (see hold()); CALL_REMOTE_SDP "answer" on its 200. */
  async resume(aor?: string): Promise<void> {
    if (aor !== undefined) await this.useAccount(aor);
    await this.mustCommand('resume');
  }

  /**
   * A command that must succeed: rejects with baresip's reply otherwise. `hold`, `resume` and
   * `transfer` are unknown until the process has had a call ("command not found (hold)").
   */
  async mustCommand(command: string, params?: string): Promise<BaresipReply> {
    const r = await this.command(command, params);
    if (!r.ok) throw new Error(`baresip command "${command}${params !== undefined ? ` ${params}` : ''}" failed: ${r.data.trim()}`);
    return r;
  }

  /** Send a ctrl_tcp command (`LEN:{json},`) and wait for its reply. */
  command(command: string, params?: string, timeoutMs = 5_000): Promise<BaresipReply> {
    const ctrl = this.ctrl;
    if (ctrl === undefined) return Promise.reject(new Error('ctrl_tcp not connected'));
    const json = JSON.stringify({ command, ...(params !== undefined ? { params } : {}), token: String(Date.now()) });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ctrl command "${command}" in ${timeoutMs} ms\n${this.output}`)), timeoutMs);
      this.pendingReplies.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
      ctrl.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Index to pass as `since` to wait only for events that arrive after now. */
  mark(): number {
    return this.events.length;
  }

  /** The first event at index >= since matching `type` (and `filter`); rejects after timeoutMs. */
  async waitEvent(type: string | string[], opts: { since?: number; timeoutMs?: number; filter?: (e: BaresipEvent) => boolean } = {}): Promise<BaresipEvent> {
    const types = Array.isArray(type) ? type : [type];
    const since = opts.since ?? 0;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const find = (): BaresipEvent | undefined => this.events.slice(since).find((e) => types.includes(e.type) && (opts.filter?.(e) ?? true));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = find();
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || !this.running) {
        const seen = this.events.slice(since).map((e) => `${e.type}${e.param !== undefined ? `(${e.param})` : ''}`);
        throw new Error(
          `baresip: no ${types.join('|')} event within ${timeoutMs} ms${this.running ? '' : ` (baresip exited: ${JSON.stringify(this.exitInfo)})`}; ` +
            `events seen: [${seen.join(', ')}]\n--- baresip output ---\n${this.output}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /**
   * Wait until baresip's output matches `re` (its SIP trace arrives on a pipe,
   * independently of ctrl_tcp events: an event can come first). Resolves
   * true on a match, false after timeoutMs.
   */
  async waitLog(re: RegExp, timeoutMs = 2_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.output)) {
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
    return true;
  }

  /** Wait until the process has exited (or the timeout passes); true when it exited. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    await Promise.race([this.exited, sleep(timeoutMs)]);
    return !this.running;
  }

  /**
   * SIGTERM (baresip unregisters, then exits), wait for the exit; SIGKILL if
   * it takes longer than `graceMs` (it waits for its de-REGISTER to be
   * answered, up to ~25 s when the registrar is gone). Removes the temp dir.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.ctrl?.destroy();
    if (this.running && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      if (!(await this.waitExit(graceMs))) {
        this.child.kill('SIGKILL');
        await this.waitExit(5_000);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async connectCtrl(): Promise<void> {
    const deadline = Date.now() + 10_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`baresip exited during start-up: ${JSON.stringify(this.exitInfo)}\n${this.output}`);
      try {
        this.ctrl = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.ctrlPort, '127.0.0.1');
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        this.ctrl.on('data', (d: Buffer) => this.onCtrlData(d));
        this.ctrl.on('error', () => undefined);
        return;
      } catch (err) {
        lastError = err;
        await sleep(50);
      }
    }
    throw new Error(`cannot connect to baresip ctrl_tcp on ${this.ctrlPort}: ${String(lastError)}\n${this.output}`);
  }

  /** Netstrings: `LEN:` + LEN bytes of JSON + `,`. Replies and events share the stream. */
  private onCtrlData(d: Buffer): void {
    this.rx = Buffer.concat([this.rx, d]);
    for (;;) {
      const colon = this.rx.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.rx.subarray(0, colon).toString('latin1'));
      if (!Number.isInteger(len) || len < 0) throw new Error(`bad netstring from baresip: ${this.rx.toString('latin1')}`);
      if (this.rx.length < colon + 1 + len + 1) return;
      const json = this.rx.subarray(colon + 1, colon + 1 + len).toString('utf8');
      this.rx = this.rx.subarray(colon + 1 + len + 1);
      const msg = JSON.parse(json) as Record<string, unknown>;
      if (msg.event === true) this.events.push(msg as BaresipEvent);
      else if (msg.response === true) this.pendingReplies.shift()?.(msg as unknown as BaresipReply);
      this.wake();
    }
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }
}
