/**
 * Composition root: configuration → store → ACD → statistics and metrics → SIP →
 * media → IVR flows → calls layer → HTTP; graceful shutdown in reverse.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock } from './acd/clock.ts';
import { AgentStatistics, QueueStatistics } from './acd/stats.ts';
import { buildApp } from './api/app.ts';
import { AcdHost } from './calls/acd-host.ts';
import { CallCenter } from './calls/call-center.ts';
import type { CallRecordStore } from './calls/cdr.ts';
import { OutageBoard } from './calls/outages.ts';
import { flowEnvironment } from './ivr/environment.ts';
import { FlowRegistry } from './ivr/loader.ts';
import { PromptLibrary } from './ivr/prompts.ts';
import { registerCallMetrics } from './metrics/call-metrics.ts';
import { ConfigError, loadConfig, type HotlineConfig } from './config.ts';
import { registerAcdMetrics } from './metrics/acd-metrics.ts';
import { registerMediaMetrics } from './metrics/media-metrics.ts';
import { registerSipMetrics } from './metrics/sip-metrics.ts';
import { MediaServer } from './media/media-server.ts';
import { MemoryCredentialStore } from './sip/auth/index.ts';
import { FileBindingStore } from './sip/registrar/index.ts';
import { SipServer } from './sip/server.ts';
import { openStore, type Store } from './store/store.ts';

export interface RunningServer {
  url: string;
  acd: AcdHost;
  sip: SipServer;
  media: MediaServer;
  flows: FlowRegistry;
  calls: CallCenter;
  /** The database and its write-behind outboxes (absent when StartOptions.cdr replaces it). */
  store: Store | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Folder for local state: the embedded database, outbox journals, registrations. Default ./data. */
  dataDir?: string;
  /** PostgreSQL URL; default $DATABASE_URL; unset: the embedded PGlite database in dataDir. */
  databaseUrl?: string;
  /** Where CDRs go instead of the database (tests that do not need one). No store is opened then. */
  cdr?: CallRecordStore;
}

export async function startServer(config: HotlineConfig, logger = pino({ level: config.log.level }), opts: StartOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? 'data';
  const databaseUrl = opts.databaseUrl ?? process.env['DATABASE_URL'];
  const store = opts.cdr !== undefined ? undefined : await openStore({ ...(databaseUrl ? { databaseUrl } : {}), dataDir, log: logger.child({ component: 'store' }) });
  try {
    return await startServices(config, logger, dataDir, store, opts.cdr ?? (store as Store).calls);
  } catch (err) {
    await store?.close();
    throw err;
  }
}

async function startServices(config: HotlineConfig, logger: pino.Logger, dataDir: string, store: Store | undefined, cdr: CallRecordStore): Promise<RunningServer> {
  const host = new AcdHost(systemClock, { queues: config.queues, agents: config.agents }, logger.child({ component: 'acd' }));
  const stats = new QueueStatistics({ queue: (id) => host.acd.queueConfig(id) });
  const agentStats = new AgentStatistics();
  host.subscribe((e) => stats.record(e));
  host.subscribe((e) => agentStats.record(e));

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hotline_process_' });
  host.subscribe(registerAcdMetrics({ registry, acd: host.acd, stats, agentStats, queues: config.queues, now: () => systemClock.now() }));

  if (store !== undefined) host.subscribe((e) => store.recordAcdEvent(e));
  const sip = await startSip(config, logger, dataDir);
  registerSipMetrics(registry, sip);
  let media: MediaServer;
  try {
    media = await startMedia(config, logger);
  } catch (err) {
    await sip.close();
    throw err;
  }
  registerMediaMetrics(registry, media);

  const prompts = new PromptLibrary();
  let flows: FlowRegistry;
  try {
    flows = await FlowRegistry.open({
      dir: config.calls.flowsDir,
      env: flowEnvironment({ prompts, queues: config.queues.map((q) => q.id), skills: config.skills }),
      log: logger.child({ component: 'ivr' }),
    });
  } catch (err) {
    await Promise.allSettled([sip.close(), media.close()]);
    throw err;
  }
  for (const n of config.calls.numbers) {
    if (flows.get(n.flow) === undefined) logger.error({ number: n.number, flow: n.flow }, 'no valid flow with this id: calls to the number are refused until one is loaded');
  }
  const calls = new CallCenter({
    sip,
    media,
    acd: host,
    flows,
    prompts,
    outages: new OutageBoard(config.calls.outages.map((o) => ({ area: o.area, prompt: o.prompt, ...(o.from !== undefined ? { from: new Date(o.from) } : {}), ...(o.until !== undefined ? { until: new Date(o.until) } : {}) }))),
    cdr,
    log: logger.child({ component: 'calls' }),
    timezone: config.timezone,
    numbers: new Map(config.calls.numbers.map((n) => [n.number, n.flow])),
    recordingsDir: config.calls.recordingsDir,
    recordCalls: config.calls.record,
    featureCodes: config.calls.featureCodes,
    transferCodes: config.calls.transferCodes,
    ...(config.calls.transferDomain !== undefined ? { transferDomain: config.calls.transferDomain } : {}),
  });
  registerCallMetrics(registry, calls);

  const readiness: Record<string, () => boolean> = { acd: () => true, sip: () => sip.addresses.length > 0, media: () => media.up };
  if (store !== undefined) readiness['database'] = () => store.up;
  const app = buildApp({ registry, logger, readiness });
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ url, queues: config.queues.length, agents: config.agents.length, flows: flows.list().map((f) => f.id) }, 'hotline is up');

  return {
    url,
    acd: host,
    sip,
    media,
    flows,
    calls,
    store,
    async close() {
      await calls.close();
      host.stop();
      await flows.close();
      await app.close();
      await sip.close();
      await media.close();
      await store?.close();
    },
  };
}

/** The embedded SIP engine: operators' HA1 credentials from the configuration, registrations kept in the data folder. */
async function startSip(config: HotlineConfig, logger: pino.Logger, dataDir: string): Promise<SipServer> {
  const credentials = new MemoryCredentialStore();
  for (const u of config.sip.users) {
    credentials.set(u.username, config.sip.realm, { ...(u.ha1Md5 !== undefined ? { ha1Md5: u.ha1Md5 } : {}), ...(u.ha1Sha256 !== undefined ? { ha1Sha256: u.ha1Sha256 } : {}) });
  }
  await mkdir(dataDir, { recursive: true });
  const sip = await SipServer.start({
    listen: config.sip.listen,
    log: logger.child({ component: 'sip' }),
    ...(config.sip.advertise !== undefined ? { advertise: config.sip.advertise } : {}),
    auth: { realm: config.sip.realm, credentials, algorithms: config.sip.digestAlgorithms },
    // Hotline numbers are called without credentials; feature codes and transfers need them.
    publicNumbers: [...new Set([...config.sip.publicNumbers, ...config.calls.numbers.map((n) => n.number)])],
    bindings: new FileBindingStore({ path: join(dataDir, 'registrations.json'), onError: (err: unknown) => logger.warn({ err }, 'registrations file') }),
  });
  logger.info({ sip: sip.addresses }, 'SIP listening');
  return sip;
}

/** The embedded media engine in its worker thread, on the configured RTP port range. */
async function startMedia(config: HotlineConfig, logger: pino.Logger): Promise<MediaServer> {
  const m = config.media;
  const advertiseAddress = m.advertise ?? config.sip.advertise ?? (isWildcard(m.bindAddress) ? firstExternalIPv4() : m.bindAddress) ?? '127.0.0.1';
  const media = await MediaServer.start({
    bindAddress: m.bindAddress,
    advertiseAddress,
    portMin: m.rtpPorts.min,
    portMax: m.rtpPorts.max,
    rtpTimeoutMs: m.rtpTimeoutSeconds * 1000,
    ptime: m.ptime,
    codecs: m.codecs,
    // RTP pacing scales with threads: one engine per CPU (at most 4); SIP and the ACD are light next to it.
    workers: m.workers ?? Math.min(4, availableParallelism()),
  });
  logger.info({ media: { advertise: advertiseAddress, rtpPorts: m.rtpPorts, workers: media.workers } }, 'media engine up');
  return media;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

async function main(): Promise<void> {
  let config: HotlineConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = pino({ level: config.log.level });
  const server = await startServer(config, logger);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`hotline failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
