/**
 * SIPp as a real peer for integration tests (and the SIP load benchmark).
 *
 * `startSipp()` runs one `sipp` child process non-interactively (`-nostdin`,
 * stdin from /dev/null) in its own scratch folder, with statistics
 * (`-trace_stat -stf`), unexpected messages (`-trace_err -error_file`) and,
 * on request, every message (`-trace_msg -message_file`) written there. The
 * returned handle resolves `done` with the exit code and the parsed final
 * statistics row once SIPp exits, or kills SIPp after `timeoutMs`.
 *
 * SIPp exit codes: 0 every call succeeded, 1 at least one call failed,
 * 97 stopped by an internal command, 99 no call processed, 255 fatal error
 * (bad scenario or option, port in use...).
 *
 * Every started process is tracked: `stopAllSipp()` (call it in afterEach)
 * kills whatever is still running, by PID, and removes the scratch folders.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Audio and DTMF captures shipped with Debian's sip-tester. */
export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

/** Our own scenarios (written for hotline's tests). */
export const SCENARIOS = fileURLToPath(new URL('./scenarios/', import.meta.url));

/**
 * Third-party SIPp scenarios shared with the team (GPL data, not copied into
 * the project): `$SIPP_TESTDATA`, else `../shared/testdata/sipp` next to the project.
 */
export const SHARED_SIPP_TESTDATA = process.env.SIPP_TESTDATA ?? resolve(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/testdata/sipp');

export interface SippOptions {
  /** Built-in scenario (`-sn`), e.g. 'uac', 'uas'; or a scenario file (`-sf`). */
  scenario: { builtin: string } | { file: string };
  /** host:port SIPp sends to (client scenarios). */
  remote?: string;
  /** Local SIP port (`-p`); default: a free one. */
  port?: number;
  /** Local media port (`-mp`); default: a free one. */
  mediaPort?: number;
  /** Transport: 'u1' (UDP, default) or 't1' (TCP, one connection). */
  transport?: 'u1' | 'un' | 't1' | 'tn';
  /** Calls to process before exiting (`-m`). */
  calls?: number;
  /** Call rate per second (`-r`). */
  rate?: number;
  /** Concurrent calls at most (`-l`). */
  limit?: number;
  /** Any further options, e.g. ['-au', 'user', '-ap', 'secret']. */
  args?: string[];
  /** Keep a trace of every message (`-trace_msg`). */
  traceMessages?: boolean;
  /** Kill SIPp after this long; `done` then reports `timedOut`. Default 20 s. */
  timeoutMs?: number;
  /** Link `pcap` → /usr/share/sip-tester in SIPp's folder: `uac_pcap` loads `pcap/g711a.pcap` from there. */
  linkPcap?: boolean;
  /** Keep at most this much of stdout/stderr. Default 64 KiB. */
  captureBytes?: number;
}

export interface SippStats {
  /** Every column of SIPp's last statistics row, by name (e.g. 'SuccessfulCall(C)'). */
  columns: Record<string, string>;
  successful: number;
  failed: number;
  created: number;
  retransmissions: number;
}

export interface SippResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stats: SippStats | undefined;
  /** Contents of the error log (unexpected messages, failures). */
  errors: string;
  /** Contents of the message trace, when `traceMessages` was set. */
  messages: string;
  stdout: string;
  stderr: string;
  /** The command line, for failure messages. */
  command: string;
}

export interface SippProcess {
  readonly pid: number;
  readonly port: number;
  readonly mediaPort: number;
  readonly done: Promise<SippResult>;
  kill(): Promise<SippResult>;
}

const running = new Set<{ child: ChildProcess; done: Promise<SippResult>; dir: string }>();
/** Scratch folders of finished runs, removed by stopAllSipp(). */
const finishedDirs: string[] = [];

/** Is a usable `sipp` on the PATH? Returns its version line, or undefined. */
export function sippVersion(): string | undefined {
  const r = spawnSync('sipp', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 });
  if (r.error !== undefined) return undefined;
  return /SIPp v[\w.-]+/.exec(`${r.stdout}${r.stderr}`)?.[0];
}

/** Start SIPp; resolves once the process is spawned (not once it listens: see waitForUdpListener). */
export async function startSipp(opts: SippOptions): Promise<SippProcess> {
  const port = opts.port ?? (await freePort());
  const mediaPort = opts.mediaPort ?? (await freeMediaPort());
  const dir = mkdtempSync(join(tmpdir(), 'hotline-sipp-'));
  const files = { stats: join(dir, 'stats.csv'), errors: join(dir, 'errors.log'), messages: join(dir, 'messages.log') };
  if (opts.linkPcap === true) symlinkSync(SIPP_PCAP_DIR, join(dir, 'pcap'));
  const args: string[] = [];
  if (opts.remote !== undefined) args.push(opts.remote);
  if ('builtin' in opts.scenario) args.push('-sn', opts.scenario.builtin);
  else args.push('-sf', opts.scenario.file);
  args.push('-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort), '-t', opts.transport ?? 'u1', '-nostdin');
  args.push('-trace_stat', '-stf', files.stats, '-trace_err', '-error_file', files.errors);
  if (opts.traceMessages === true) args.push('-trace_msg', '-message_file', files.messages);
  if (opts.calls !== undefined) args.push('-m', String(opts.calls));
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  if (opts.limit !== undefined) args.push('-l', String(opts.limit));
  args.push(...(opts.args ?? []));
  const command = `sipp ${args.join(' ')}`;
  const cap = opts.captureBytes ?? 64 * 1024;

  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(-cap)));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-cap)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    terminate(child);
  }, opts.timeoutMs ?? 20_000);

  const done = new Promise<SippResult>((resolveDone, rejectDone) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      rejectDone(new Error(`cannot run ${command}: ${err.message} (is sip-tester installed?)`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveDone({
        code,
        signal,
        timedOut,
        stats: parseStats(readIfExists(files.stats)),
        errors: readIfExists(files.errors),
        messages: readIfExists(files.messages),
        stdout,
        stderr,
        command,
      });
    });
  });
  void done.catch(() => undefined); // observed here; the caller gets the rejection from startSipp or done
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', fail);
  });
  const entry = { child, done, dir };
  running.add(entry);
  void done
    .finally(() => {
      running.delete(entry);
      finishedDirs.push(dir);
    })
    .catch(() => undefined);
  return {
    pid: child.pid as number,
    port,
    mediaPort,
    done,
    kill: () => {
      terminate(child);
      return done;
    },
  };
}

/** Start SIPp and wait for it to finish. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  return (await startSipp(opts)).done;
}

/** Kill every SIPp this module started that is still running (by PID), wait for them, remove their folders. */
export async function stopAllSipp(): Promise<void> {
  const entries = [...running];
  for (const e of entries) terminate(e.child);
  await Promise.all(entries.map((e) => e.done.catch(() => undefined)));
  for (const e of entries) rmSync(e.dir, { recursive: true, force: true });
  for (const dir of finishedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** SIGTERM, then SIGKILL if SIPp has not gone after a second. */
function terminate(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const hard = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1_000);
  hard.unref();
  child.once('close', () => clearTimeout(hard));
}

function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** SIPp's statistics CSV: ';'-separated, a header row, one row per dump; the last row is the final one. */
export function parseStats(csv: string): SippStats | undefined {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.split(';');
  const last = lines.length > 1 ? lines[lines.length - 1]?.split(';') : undefined;
  if (header === undefined || last === undefined) return undefined;
  const columns: Record<string, string> = {};
  header.forEach((name, i) => {
    if (name !== '') columns[name] = last[i] ?? '';
  });
  const num = (name: string): number => Number(columns[name] ?? NaN);
  return {
    columns,
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    created: num('TotalCallCreated'),
    retransmissions: num('Retransmissions(C)'),
  };
}

/** One message from SIPp's `-trace_msg` log. */
export interface TracedMessage {
  direction: 'sent' | 'received';
  /** First line: 'SIP/2.0 200 OK' or 'INVITE sip:... SIP/2.0'. */
  startLine: string;
  text: string;
}

/** Split a `-trace_msg` log into messages. */
export function parseMessageTrace(log: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  for (const block of log.split(/^-{20,}.*$/m)) {
    const m = /^\s*\w+ message (sent|received)[^\n]*\n+([\s\S]*)$/.exec(block);
    if (m === null) continue;
    const text = (m[2] ?? '').replace(/\r/g, '');
    out.push({ direction: m[1] === 'sent' ? 'sent' : 'received', startLine: text.split('\n')[0]?.trim() ?? '', text });
  }
  return out;
}

/** A one-line summary of a failed run for assertion messages. */
export function describeRun(r: SippResult): string {
  const stats = r.stats === undefined ? 'no stats' : `successful=${r.stats.successful} failed=${r.stats.failed}`;
  return [`${r.command}`, `exit=${r.code} signal=${r.signal} timedOut=${r.timedOut} ${stats}`, r.errors.slice(0, 4000), r.stderr.slice(-2000)].join('\n');
}

// ─────────────────────────────── ports ───────────────────────────────

/**
 * A port free for both UDP and TCP on 127.0.0.1 right now, drawn from 20000–32767: below the
 * kernel's ephemeral range (32768–60999), which overlaps the RTP ranges other suites reserve
 * (42000–49999, benchmarks 50000–59999).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_768);
    const port = await bindUdp(candidate);
    if (port !== undefined && (await tcpFree(port))) return port;
  }
  throw new Error('no free port found');
}

/** A UDP port p with p..p+3 free (SIPp's RTP echo binds the media port and the ones after it). */
export async function freeMediaPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    let ok = true;
    for (let p = base; p < base + 4 && ok; p++) ok = (await bindUdp(p)) !== undefined;
    if (ok) return base;
  }
  throw new Error('no free media port range found');
}

function bindUdp(port: number): Promise<number | undefined> {
  return new Promise((done) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      done(undefined);
    });
    s.bind(port, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => done(p));
    });
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

/** Wait until something listens on UDP 127.0.0.1:port (read from /proc/net/udp: probing by binding could steal the port). */
export async function waitForUdpListener(port: number, timeoutMs = 5_000): Promise<void> {
  const needle = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const table = readIfExists('/proc/net/udp');
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1] === needle)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on udp 127.0.0.1:${port} after ${timeoutMs} ms`);
}
