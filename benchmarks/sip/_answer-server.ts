/**
 * The SIP server under load for benchmarks/sip/e2e.ts (a helper: run-all
 * skips files starting with `_`). Listens on UDP 127.0.0.1 (port 0, or
 * --port), answers every INVITE with createUAS and a fixed SDP, and speaks a
 * line protocol:
 *
 *   stdout, once bound:  {"type":"ready","port":N}
 *   stdin "stats\n"  →   {"type":"stats", ...}   memory, dialogs, counters
 *   stdin "gc\n"     →   the same after a full garbage collection
 *                         (needs --expose-gc; reported as gc:false otherwise)
 *   stdin closed     →   exit
 *
 *   node --expose-gc --import tsx benchmarks/sip/_answer-server.ts [--guard-rate N] [--port N]
 *
 * --guard-rate sets the per-source token bucket (messages/s, burst = 2×);
 * 0 keeps the stack's default (2000 messages/s per address).
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { SipServer } from '../../src/sip/server.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new RangeError(`--${name} needs a number`);
  return v;
}

const guardRate = flag('guard-rate', 0);
const port = flag('port', 0);

const SDP = ['v=0', 'o=hotline 1 1 IN IP4 127.0.0.1', 's=hotline', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');

const server = await SipServer.start({
  listen: [{ protocol: 'udp', host: '127.0.0.1', port }],
  log: pino({ level: 'silent' }),
  ...(guardRate > 0 ? { guard: { ratePerSecond: guardRate, burst: 2 * guardRate } } : {}),
});

const counts = { invites: 0, answered: 0, uasFailures: 0, byes: 0 };
const failureReasons: Record<string, number> = {};
server.invite((req, res) => {
  counts.invites++;
  server.createUAS(req, res, { localSdp: SDP }).then(
    (dialog) => {
      counts.answered++;
      dialog.on('destroy', () => counts.byes++);
    },
    (err: unknown) => {
      counts.uasFailures++;
      const reason = err instanceof Error ? err.message : String(err);
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
    },
  );
});

const started = process.cpuUsage();
function stats(gc: boolean): Record<string, unknown> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (gc && collect !== undefined) {
    collect();
    collect();
  }
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage(started);
  const guard = (server.stack as unknown as { guard?: { rejected?: number } }).guard;
  return {
    type: 'stats',
    gc: gc && collect !== undefined,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    maxRss: process.resourceUsage().maxRSS * 1024,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    dialogs: server.stack.dialogs.size,
    transactions: server.stack.transactions.size,
    ...counts,
    failureReasons,
    sip: server.stack.counters,
    transaction: server.stack.transactions.counters,
    guardRejected: guard?.rejected ?? null,
  };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'stats' || cmd === 'gc') process.stdout.write(`${JSON.stringify(stats(cmd === 'gc'))}\n`);
});
// No graceful close: SipServer.close() sends BYE to every live dialog one after another (and the
// load generator may be gone). A benchmark server just exits.
lines.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

const udp = server.addresses.find((a) => a.protocol === 'udp');
process.stdout.write(`${JSON.stringify({ type: 'ready', port: udp?.port })}\n`);
