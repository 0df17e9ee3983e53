import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../../src/sip/transport/errors.ts';
import { UdpTransport } from '../../../../src/sip/transport/udp.ts';
import { Cleanup, Inbox, ipv6Unavailable, sipRequest, socketHandles, transportRejection as rejection } from './helpers.ts';

const noIpv6 = await ipv6Unavailable();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());


const families = [
  { name: 'IPv4 (127.0.0.1)', host: '127.0.0.1', family: 4 as const, skip: undefined },
  { name: 'IPv6 (::1)', host: '::1', family: 6 as const, skip: noIpv6 },
];

for (const { name, host, family, skip } of families) {
  describe.skipIf(skip !== undefined)(`UdpTransport over ${name}${skip ? ` — skipped: ${skip}` : ''}`, () => {
    it('round-trips a request and its response with the real source address and port', async () => {
      const aInbox = new Inbox();
      const bInbox = new Inbox();
      const a = cleanup.add(await UdpTransport.listen({ host, onMessage: aInbox.onMessage }));
      const b = cleanup.add(await UdpTransport.listen({ host, port: 0, onMessage: bInbox.onMessage }));
      expect(a.local).toEqual({ transport: 'udp', address: host, port: expect.any(Number) });
      expect(a.local.port).toBeGreaterThan(0);
      expect(a.family).toBe(family);

      const request = sipRequest('OPTIONS', 'udp-1');
      await a.send(request, { address: b.local.address, port: b.local.port });
      const [got] = await bInbox.atLeast(1);
      expect(got?.data.equals(request)).toBe(true);
      expect(got?.source).toEqual({ transport: 'udp', address: host, port: a.local.port });
      expect(got?.local).toEqual(b.local);
      expect(got?.connectionId).toBeUndefined();

      // RFC 3581: the response goes to the source address and port it came from.
      const response = Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
      await b.send(response, got!.source);
      const [back] = await aInbox.atLeast(1);
      expect(back?.data.equals(response)).toBe(true);

      expect(a.stats).toMatchObject({ messagesOut: 1, bytesOut: request.length, messagesIn: 1, bytesIn: response.length });
      expect(b.stats).toMatchObject({ messagesOut: 1, messagesIn: 1 });
    });

    it('accepts a bracketed IPv6 or canonical destination', async () => {
      const inbox = new Inbox();
      const a = cleanup.add(await UdpTransport.listen({ host, onMessage: () => undefined }));
      const b = cleanup.add(await UdpTransport.listen({ host, onMessage: inbox.onMessage }));
      const address = family === 6 ? '[0:0:0:0:0:0:0:1]' : '127.0.0.1';
      await a.send(sipRequest('OPTIONS', 'brackets'), { address, port: b.local.port });
      await inbox.atLeast(1);
    });
  });
}

describe('UdpTransport', () => {
  it('ignores empty and whitespace-only datagrams (CRLF keep-alives) and delivers the rest', async () => {
    const inbox = new Inbox();
    const t = cleanup.add(await UdpTransport.listen({ host: '127.0.0.1', onMessage: inbox.onMessage }));
    const raw = createSocket('udp4');
    cleanup.add({ close: () => new Promise<void>((resolve) => raw.close(() => resolve())) });
    const send = (data: Buffer) =>
      new Promise<void>((resolve, reject) => raw.send(data, t.local.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    await send(Buffer.alloc(0));
    await send(Buffer.from('\r\n\r\n'));
    await send(Buffer.from(' \t\r\n'));
    await send(sipRequest('OPTIONS', 'after-keepalives'));
    await inbox.atLeast(1);
    expect(inbox.texts()).toEqual([sipRequest('OPTIONS', 'after-keepalives').toString()]);
    expect(t.stats.datagramsIgnored).toBe(3);
  });

  it('rejects sends it cannot make with coded errors', async () => {
    const t = cleanup.add(await UdpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined }));
    const data = sipRequest('OPTIONS', 'x');
    expect((await rejection(t.send(data, { address: '::1', port: 5060 }))).code).toBe('SIP_TRANSPORT_NO_ROUTE');
    expect((await rejection(t.send(data, { address: 'sip.example.com', port: 5060 }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
    expect((await rejection(t.send(data, { address: '127.0.0.1', port: 0 }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
    // RFC 3261 §18.1.1: the caller learns to use TCP.
    expect((await rejection(t.send(Buffer.alloc(70_000, 0x61), { address: '127.0.0.1', port: 9 }))).code).toBe('SIP_TRANSPORT_MESSAGE_TOO_LARGE');
    await t.close();
    expect((await rejection(t.send(data, { address: '127.0.0.1', port: 5060 }))).code).toBe('SIP_TRANSPORT_CLOSED');
    expect(t.stats.sendErrors).toBe(5);
  });

  it('fails to bind a port already taken (reuseAddr is off)', async () => {
    const first = cleanup.add(await UdpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined }));
    const err = await rejection(UdpTransport.listen({ host: '127.0.0.1', port: first.local.port, onMessage: () => undefined }));
    expect(err.code).toBe('SIP_TRANSPORT_BIND_FAILED');
    expect((await rejection(UdpTransport.listen({ host: 'localhost', onMessage: () => undefined }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
  });

  it('keeps running when onMessage throws, and reports it', async () => {
    const errors: TransportError[] = [];
    let calls = 0;
    const t = cleanup.add(
      await UdpTransport.listen({
        host: '127.0.0.1',
        onMessage: () => {
          calls++;
          throw new Error('handler bug');
        },
        onError: (e) => errors.push(e),
      }),
    );
    const sender = cleanup.add(await UdpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined }));
    await sender.send(sipRequest('OPTIONS', '1'), t.local);
    await sender.send(sipRequest('OPTIONS', '2'), t.local);
    const deadline = Date.now() + 3_000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['SIP_TRANSPORT_HANDLER_FAILED', 'SIP_TRANSPORT_HANDLER_FAILED']);
    expect(t.stats.handlerErrors).toBe(2);
  });

  it('asks for large socket buffers and leaves no handle after close', async () => {
    const before = socketHandles();
    const t = await UdpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined });
    expect(socketHandles().UDPWrap).toBe((before.UDPWrap ?? 0) + 1);
    // The kernel caps the request at net.core.rmem_max / wmem_max.
    const cap = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
    const sizes = t.bufferSizes();
    if (existsSync('/proc/sys/net/core/rmem_max')) {
      expect(sizes.receive).toBeGreaterThanOrEqual(Math.min(4 * 1024 * 1024, cap('rmem_max')));
      expect(sizes.send).toBeGreaterThanOrEqual(Math.min(4 * 1024 * 1024, cap('wmem_max')));
    }
    await Promise.all([t.close(), t.close()]);
    expect(socketHandles()).toEqual(before);
  });
});
