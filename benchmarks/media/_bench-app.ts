/**
 * The application under test for the media benchmarks: SipServer (main thread) + MediaServer
 * (worker thread), answering SIPp callers with an endpoint each. Modes:
 *   play    — every call hears looping hold music (paced by the engine's scheduler);
 *   bridge  — calls are paired in arrival order and bridged (relay, both directions);
 *   record  — as bridge, and each pair is recorded in stereo.
 * SIPp callers stream audio themselves (rtp_stream, looping µ-law), so every endpoint also
 * receives 50 packets/s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MediaServer, type Endpoint, type EngineStats } from '../../src/media/media-server.ts';
import { SipServer } from '../../src/sip/server.ts';
import { LATENESS_BUCKETS_MS } from '../../src/media/scheduler.ts';

export type BenchMode = 'play' | 'bridge' | 'record';

export interface BenchApp {
  sip: SipServer;
  media: MediaServer;
  port: number;
  failures: number;
  close(): Promise<void>;
}

export const HOLD_MUSIC = 'prompts/music/hold.wav';

export async function startBenchApp(mode: BenchMode, sipPort: number, workers: number): Promise<BenchApp> {
  const media = await MediaServer.start({ workers, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', portMin: 50000, portMax: 59999 });
  const sip = await SipServer.start({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: sipPort }], log: pino({ level: 'silent' }) });
  const dir = mkdtempSync(join(tmpdir(), 'hotline-media-bench-'));
  /** The first leg of the next pair (bridge modes): the second is created on its worker. */
  let waiting: Promise<Endpoint> | null = null;
  let pairs = 0;
  const app: BenchApp = {
    sip,
    media,
    port: sipPort,
    failures: 0,
    close: async () => {
      await sip.close();
      await media.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  sip.invite((req, res) => {
    // Decided synchronously, so that concurrent INVITEs pair up in arrival order.
    const partner = mode === 'play' ? null : waiting;
    const created = partner === null ? media.createEndpoint({ remoteSdp: req.body }) : partner.then((near) => media.createEndpoint({ remoteSdp: req.body, near }));
    if (mode !== 'play') waiting = partner === null ? created : null;
    void (async () => {
      const ep = await created;
      const dialog = await sip.createUAS(req, res, { localSdp: ep.localSdp });
      dialog.once('destroy', () => void ep.destroy().catch(() => undefined));
      if (mode === 'play') {
        void ep.play({ files: HOLD_MUSIC, loop: true }).catch(() => undefined);
        return;
      }
      if (partner === null) return;
      const caller = await partner;
      await caller.bridge(ep);
      if (mode === 'record') await caller.record(join(dir, `pair-${pairs++}.wav`), { stereo: true });
    })().catch(() => {
      app.failures++;
    });
  });
  return app;
}

/** What happened between two engine snapshots. */
export interface Window {
  seconds: number;
  endpoints: number;
  packetsIn: number;
  packetsOut: number;
  packetsRelayed: number;
  packetsLost: number;
  framesSkipped: number;
  latenessP99Ms: number;
  latenessMaxBucketMs: number;
  ticks: number;
  cpuMs: number;
  userCpuMs: number;
}

/** Upper bound of the histogram bucket holding quantile q of the ticks in the window. */
function bucketQuantile(counts: number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i]!;
    if (cumulative >= q * total) return i < LATENESS_BUCKETS_MS.length ? LATENESS_BUCKETS_MS[i]! : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

export async function measureWindow(media: MediaServer, seconds: number): Promise<Window> {
  const a: EngineStats = await media.stats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b: EngineStats = await media.stats();
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const counts = b.latenessBuckets.map((n, i) => n - (a.latenessBuckets[i] ?? 0));
  let maxBucket = 0;
  counts.forEach((n, i) => {
    if (n > 0) maxBucket = i < LATENESS_BUCKETS_MS.length ? LATENESS_BUCKETS_MS[i]! : Number.POSITIVE_INFINITY;
  });
  return {
    seconds: elapsed,
    endpoints: b.endpoints,
    packetsIn: b.packetsIn - a.packetsIn,
    packetsOut: b.packetsOut - a.packetsOut,
    packetsRelayed: b.packetsRelayed - a.packetsRelayed,
    packetsLost: b.packetsLost - a.packetsLost,
    framesSkipped: b.framesSkipped - a.framesSkipped,
    latenessP99Ms: bucketQuantile(counts, 0.99),
    latenessMaxBucketMs: maxBucket,
    ticks: b.latenessCount - a.latenessCount,
    cpuMs: (cpu.user + cpu.system) / 1000,
    userCpuMs: cpu.user / 1000,
  };
}

/** Poll until the engine holds `n` endpoints (calls up), or give up after `timeoutMs`. */
export async function waitForEndpoints(media: MediaServer, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await media.stats()).endpoints >= n) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** CPU time (ms) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat; after "pid (comm) " they are at 11 and 12, in clock ticks (100/s).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
