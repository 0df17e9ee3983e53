/**
 * Memory per endpoint and CPU per packet, without SIPp: one engine (inline, so the heap seen
 * is the engine's) holds N endpoints that answered offers pointing at one UDP sink; they are
 * bridged in pairs through two "phones" (plain sockets) that pump 50 packets/s per leg, and
 * the process CPU is read per 1,000 packets relayed. Heap and RSS are read after a full GC
 * (run with --expose-gc; run-all.ts does) before and after creating the endpoints.
 *
 *   npx tsx benchmarks/media/endpoint-cost.ts [--endpoints 1000]
 *
 * Prints one JSON line.
 */
import dgram from 'node:dgram';
import { numericFlag, progress, report, round } from '../_util.ts';
import { MediaServer, type Endpoint } from '../../src/media/media-server.ts';

const N = numericFlag('endpoints', 1000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function offer(port: number): string {
  return ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');
}

const sink = dgram.createSocket('udp4');
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
sink.on('message', () => undefined);
const media = await MediaServer.start({ thread: false, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', portMin: 50000, portMax: 59999 });

gc();
await new Promise((r) => setTimeout(r, 200));
gc();
const before = process.memoryUsage();
const endpoints: Endpoint[] = [];
for (let i = 0; i < N; i++) endpoints.push(await media.createEndpoint({ remoteSdp: offer(sink.address().port) }));
// Bridged in pairs: the relay path's state is allocated too.
for (let i = 0; i + 1 < N; i += 2) await endpoints[i]!.bridge(endpoints[i + 1]!);
await new Promise((r) => setTimeout(r, 500));
gc();
await new Promise((r) => setTimeout(r, 200));
gc();
const after = process.memoryUsage();
const heapPerEndpoint = (after.heapUsed - before.heapUsed) / N;
const rssPerEndpoint = (after.rss - before.rss) / N;
const externalPerEndpoint = (after.external - before.external) / N; // Buffers included
progress(`heap ${round(heapPerEndpoint)} B, external ${round(externalPerEndpoint)} B, rss ${round(rssPerEndpoint)} B per endpoint`);
for (const ep of endpoints) await ep.destroy();

// CPU per relayed packet: 50 bridged pairs, two phones pumping 50 packets/s into each leg.
const PAIRS = 50;
const phoneA = dgram.createSocket('udp4');
const phoneB = dgram.createSocket('udp4');
await Promise.all([phoneA, phoneB].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
let received = 0;
phoneA.on('message', () => received++);
phoneB.on('message', () => received++);
const legsA: Endpoint[] = [];
const legsB: Endpoint[] = [];
for (let i = 0; i < PAIRS; i++) {
  const a = await media.createEndpoint({ remoteSdp: offer(phoneA.address().port) });
  const b = await media.createEndpoint({ remoteSdp: offer(phoneB.address().port) });
  await a.bridge(b);
  legsA.push(a);
  legsB.push(b);
}
const packet = Buffer.alloc(172, 0xff);
packet[0] = 0x80; // V=2
packet[1] = 0; // PT 0 (PCMU), no marker
let seq = 0;
let ts = 0;
const pump = setInterval(() => {
  seq = (seq + 1) & 0xffff;
  ts = (ts + 160) >>> 0;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(ts, 4);
  for (let i = 0; i < PAIRS; i++) {
    packet.writeUInt32BE(1000 + i, 8);
    phoneA.send(packet, legsA[i]!.port, '127.0.0.1');
    packet.writeUInt32BE(2000 + i, 8);
    phoneB.send(packet, legsB[i]!.port, '127.0.0.1');
  }
}, 20);
await new Promise((r) => setTimeout(r, 1000));
const s0 = await media.stats();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, 5000));
const cpu = process.cpuUsage(cpu0);
const s1 = await media.stats();
clearInterval(pump);
const relayed = s1.packetsRelayed - s0.packetsRelayed;
progress(`in ${s1.packetsIn - s0.packetsIn}, dropped ${s1.packetsDropped - s0.packetsDropped}, relayed ${relayed}, out ${s1.packetsOut - s0.packetsOut}`);
// The process CPU includes the two phones' sending and receiving (about as much work again
// as the engine's receive + send): reported as measured, an upper bound for the engine.
const cpuMsPer1000 = (cpu.user + cpu.system) / 1000 / (relayed / 1000);
const userMsPer1000 = cpu.user / 1000 / (relayed / 1000);
for (const ep of [...legsA, ...legsB]) await ep.destroy();
await media.close();
for (const s of [sink, phoneA, phoneB]) s.close();
report('media/endpoint-cost', {
  endpoints: N,
  heapBytesPerEndpoint: round(heapPerEndpoint, 0),
  externalBytesPerEndpoint: round(externalPerEndpoint, 0),
  rssBytesPerEndpoint: round(rssPerEndpoint, 0),
  relayedPackets: relayed,
  phonesReceived: received,
  cpuMsPer1000RelayedInclPhones: round(cpuMsPer1000, 3),
  // user time only: the kernel's loopback delivery (charged to the sender) is left out
  userCpuMsPer1000RelayedInclPhones: round(userMsPer1000, 3),
});
