/**
 * The whole hotline server for the call-path benchmarks, in this process: the demo
 * configuration (hotline.yaml) and the demo flow (ivr-flows/isp-hotline.yaml, made open
 * around the clock as the e2e tests do), started through src/main.ts's startServer on
 * 127.0.0.1 (SIP and HTTP on ports the OS picks, RTP on 50000–59999), logging only warnings,
 * CDRs in memory. Changes for load:
 *
 * - `operators` bench operators (`op0001`, …) instead of the demo's six, all with skill
 *   internet 5 and both languages, each with SIP credentials (HA1 = md5(user:hotline:password));
 * - internet-l1 (where the demo's key 1 leads): no queue length limit (the demo has 60),
 *   the given wrap-up, and a ring timeout; the demo's other queues are left as they are;
 * - optionally, no recording of answered calls and a longer RTP silence timeout (callers that
 *   send no voice after their keys).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { MemoryCallRecordStore } from '../../src/calls/cdr.ts';
import { loadConfig, type HotlineConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { demoFlowAlwaysOpen } from '../../test/integration/calls/hotline.ts';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** RTP ports of the server under test: the benchmarks' range, clear of every test's. */
export const BENCH_RTP_PORTS = { min: 50000, max: 59999 };
export const OPERATOR_PASSWORD = 'bench-secret';
/** The queue the demo menu's key 1 (then a contract number) leads to. */
export const BENCH_QUEUE = 'internet-l1';

export interface BenchHotlineOptions {
  operators: number;
  wrapUpSeconds: number;
  ringTimeoutSeconds: number;
  record: boolean;
  rtpTimeoutSeconds: number;
  mediaWorkers?: number;
}

export interface BenchHotline {
  server: RunningServer;
  config: HotlineConfig;
  sipPort: number;
  cdrs: MemoryCallRecordStore;
  operatorIds: string[];
  dir: string;
  /** Remove the recordings written so far (they pile up fast under load). */
  clearRecordings(): void;
  close(): Promise<void>;
}

export function operatorId(i: number): string {
  return `op${String(i + 1).padStart(4, '0')}`;
}

export async function startBenchHotline(o: BenchHotlineOptions): Promise<BenchHotline> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-calls-bench-'));
  const flowsDir = join(dir, 'flows');
  cpSync(join(ROOT, 'ivr-flows'), flowsDir, { recursive: true, filter: (src) => !src.endsWith('isp-hotline.yaml') });
  writeFileSync(join(flowsDir, 'isp-hotline.yaml'), demoFlowAlwaysOpen());
  const recordingsDir = join(dir, 'recordings');

  const demo = loadConfig(join(ROOT, 'hotline.yaml'), {});
  const operatorIds = Array.from({ length: o.operators }, (_, i) => operatorId(i));
  const config: HotlineConfig = {
    ...demo,
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    queues: demo.queues.map((q) => (q.id === BENCH_QUEUE ? { ...q, maxLength: null, wrapUpSeconds: o.wrapUpSeconds, ringTimeoutSeconds: o.ringTimeoutSeconds } : q)),
    agents: operatorIds.map((id) => ({ id, name: `Bench operator ${id}`, skills: { internet: 5 }, languages: ['ru', 'en'] })),
    sip: {
      ...demo.sip,
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      advertise: '127.0.0.1',
      users: operatorIds.map((username) => ({ username, ha1Md5: createHash('md5').update(`${username}:${demo.sip.realm}:${OPERATOR_PASSWORD}`).digest('hex') })),
    },
    media: {
      ...demo.media,
      bindAddress: '127.0.0.1',
      advertise: '127.0.0.1',
      rtpPorts: BENCH_RTP_PORTS,
      rtpTimeoutSeconds: o.rtpTimeoutSeconds,
      ...(o.mediaWorkers !== undefined ? { workers: o.mediaWorkers } : {}),
    },
    calls: { ...demo.calls, flowsDir, record: o.record, recordingsDir },
  };
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const cdrs = new MemoryCallRecordStore();
  const server = await startServer(config, logger, { dataDir: join(dir, 'data'), cdr: cdrs });
  const udp = server.sip.addresses.find((a) => a.protocol === 'udp');
  if (udp === undefined) {
    await server.close();
    throw new Error('no UDP listener');
  }
  return {
    server,
    config,
    sipPort: udp.port,
    cdrs,
    operatorIds,
    dir,
    clearRecordings: () => rmSync(recordingsDir, { recursive: true, force: true }),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
