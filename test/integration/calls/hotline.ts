/**
 * The whole hotline server for end-to-end tests: the demo configuration
 * (hotline.yaml: queues, operators and their demo password "hotline"), started
 * through src/main.ts's startServer on 127.0.0.1 with free ports, a temporary
 * data folder, and a copy of the demo flow that is open around the clock (so a
 * test run at night does not hear the after-hours message). CDRs go to an
 * in-memory store the test reads; call events are collected in order.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { parseDocument } from 'yaml';
import { MemoryCallRecordStore, type CallRecord } from '../../../src/calls/cdr.ts';
import type { CallEvent } from '../../../src/calls/services.ts';
import { loadConfig, type HotlineConfig } from '../../../src/config.ts';
import { startServer, type RunningServer } from '../../../src/main.ts';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
/**
 * RTP ports of the server under test: 48000–49999, clear of the other suites' ranges
 * (42000–47999) and of SIPp's and baresip's media ports (below 40000). Test files run in
 * parallel worker processes, each with its own server: each takes its own slice.
 */
const POOL = Number(process.env['VITEST_POOL_ID'] ?? '1');
const SLICE = 250;
export const E2E_RTP_PORTS = { min: 48000 + ((POOL - 1) % 8) * SLICE, max: 48000 + ((POOL - 1) % 8) * SLICE + SLICE - 1 };
export const DEMO_PASSWORD = 'hotline';

export interface Hotline {
  server: RunningServer;
  config: HotlineConfig;
  sipPort: number;
  /** host:port for SIPp's remote. */
  sipAddress: string;
  httpUrl: string;
  dir: string;
  /** The server's data folder (database, outbox journals, registrations). */
  dataDir: string;
  flowsDir: string;
  cdrs: MemoryCallRecordStore;
  events: CallEvent[];
  /** Lines the server logged (pino JSON objects). */
  logs: Array<Record<string, unknown>>;
  waitEvent(match: (e: CallEvent) => boolean, timeoutMs?: number, what?: string): Promise<CallEvent>;
  waitCdr(match: (r: CallRecord) => boolean, timeoutMs?: number): Promise<CallRecord>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export interface HotlineOptions {
  /** Edit the demo flow (parsed YAML as a plain object) before it is written. */
  editFlow?: (flow: Record<string, unknown>) => void;
  /** Edit the configuration after it is loaded. */
  editConfig?: (config: HotlineConfig) => HotlineConfig;
  /** Use the real store (embedded PGlite in the test's data folder) instead of the in-memory CDR list. */
  database?: boolean;
}

/** The demo flow, open 00:00–24:00 every day without holidays. */
export function demoFlowAlwaysOpen(edit?: (flow: Record<string, unknown>) => void): string {
  const doc = parseDocument(readFileSync(join(ROOT, 'ivr-flows/isp-hotline.yaml'), 'utf8'));
  doc.setIn(['schedules', 'office', 'hours'], { 'mon-sun': ['00:00-24:00'] });
  doc.setIn(['schedules', 'office', 'holidays'], []);
  const flow = doc.toJS() as Record<string, unknown>;
  edit?.(flow);
  return JSON.stringify(flow, null, 2); // JSON is YAML
}

export async function startHotline(opts: HotlineOptions = {}): Promise<Hotline> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-'));
  const flowsDir = join(dir, 'flows');
  cpSync(join(ROOT, 'ivr-flows'), flowsDir, { recursive: true, filter: (src) => !src.endsWith('isp-hotline.yaml') });
  writeFileSync(join(flowsDir, 'isp-hotline.yaml'), demoFlowAlwaysOpen(opts.editFlow));
  let config = loadConfig(join(ROOT, 'hotline.yaml'), {});
  config = {
    ...config,
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'debug' },
    sip: { ...config.sip, listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], advertise: '127.0.0.1' },
    media: { ...config.media, bindAddress: '127.0.0.1', advertise: '127.0.0.1', rtpPorts: E2E_RTP_PORTS, workers: 1 },
    calls: { ...config.calls, flowsDir, recordingsDir: join(dir, 'recordings') },
  };
  if (opts.editConfig) config = opts.editConfig(config);

  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const cdrs = new MemoryCallRecordStore();
  const server = await startServer(config, logger, { dataDir: join(dir, 'data'), ...(opts.database === true ? {} : { cdr: cdrs }) });
  const events: CallEvent[] = [];
  const waiters = new Set<() => void>();
  server.calls.events.on('event', (e: CallEvent) => {
    events.push(e);
    for (const w of [...waiters]) w();
  });
  const udp = server.sip.addresses.find((a) => a.protocol === 'udp');
  if (udp === undefined) throw new Error('no UDP listener');

  const waitFor = <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolvePromise, reject) => {
      const check = (): boolean => {
        const found = find();
        if (found === undefined) return false;
        waiters.delete(tick);
        clearTimeout(timer);
        resolvePromise(found);
        return true;
      };
      const tick = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(tick);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events:\n${events.map((e) => JSON.stringify(e)).join('\n')}`));
      }, timeoutMs);
      waiters.add(tick);
      check();
    });

  return {
    server,
    config,
    sipPort: udp.port,
    sipAddress: `127.0.0.1:${udp.port}`,
    httpUrl: server.url,
    dir,
    dataDir: join(dir, 'data'),
    flowsDir,
    cdrs,
    events,
    logs,
    waitEvent: (match, timeoutMs = 20_000, what = 'a call event') => waitFor(() => events.find(match), timeoutMs, what),
    waitCdr: (match, timeoutMs = 20_000) => {
      // CDRs arrive through the store; poll it on every event and every 200 ms.
      const poll = setInterval(() => waiters.forEach((w) => w()), 200);
      return waitFor(() => cdrs.records.find(match), timeoutMs, 'a CDR').finally(() => clearInterval(poll));
    },
    metrics: async () => (await fetch(`${server.url}/metrics`)).text(),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
