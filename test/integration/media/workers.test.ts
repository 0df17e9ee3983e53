/**
 * Several media worker threads: endpoints spread over them, each worker on its own slice of
 * the port range; bridging needs both legs on one worker (`near`), and a cross-worker bridge
 * is refused with a clear error instead of silently carrying no audio.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/errors.ts';
import { MediaServer } from '../../../src/media/media-server.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function phone(): Promise<{ socket: dgram.Socket; offer: string; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => {
    socket.close();
  });
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  const offer = ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${socket.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
  return { socket, offer, received };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a media server with two worker threads', () => {
  it('spreads endpoints over both workers and their port slices, bridges legs placed together, refuses a cross-worker bridge', async () => {
    const media = await MediaServer.start({ workers: 2, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', portMin: 47200, portMax: 47399 });
    cleanups.push(() => media.close());
    expect(media.workers).toBe(2);
    const [pa, pb, pc] = [await phone(), await phone(), await phone()];
    const a = await media.createEndpoint({ remoteSdp: pa.offer });
    const c = await media.createEndpoint({ remoteSdp: pc.offer }); // least loaded: the other worker
    const b = await media.createEndpoint({ remoteSdp: pb.offer, near: a });
    // Worker 0 owns 47200–47299, worker 1 owns 47300–47399.
    const slice = (port: number): number => (port < 47300 ? 0 : 1);
    expect(slice(a.port)).toBe(slice(b.port));
    expect(slice(c.port)).not.toBe(slice(a.port));

    const err = await a.bridge(c).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('MEDIA_BAD_STATE');
    expect((err as MediaError).message).toContain('near');

    await a.bridge(b);
    // Phone A talks: its payload reaches phone B through the bridge on their shared worker.
    const packet = Buffer.alloc(172, 0x55);
    packet[0] = 0x80;
    packet[1] = 0;
    for (let i = 0; i < 10; i++) {
      packet.writeUInt16BE(i + 1, 2);
      packet.writeUInt32BE(i * 160, 4);
      packet.writeUInt32BE(0xabc, 8);
      pa.socket.send(packet, a.port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => pb.received.some((m) => m.subarray(12).every((x) => x === 0x55)), 'relayed audio at phone B');

    const stats = await media.stats();
    expect(stats.endpoints).toBe(3);
    expect(stats.bridged).toBe(2);
    expect(stats.packetsRelayed).toBeGreaterThan(0);
    expect(stats.latenessBuckets.reduce((x, y) => x + y, 0)).toBe(stats.latenessCount); // both histograms added up
  });

  it('refuses a worker count it cannot honour, and a port range too small to share', async () => {
    await expect(MediaServer.start({ workers: 0 })).rejects.toMatchObject({ code: 'MEDIA_BAD_ARGUMENT' });
    await expect(MediaServer.start({ workers: 4, portMin: 47400, portMax: 47409 })).rejects.toMatchObject({ code: 'MEDIA_BAD_ARGUMENT' });
  });
});
