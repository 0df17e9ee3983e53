import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../../../../src/sip/transport/tcp.ts';
import { chooseTransportForRequest, TransportSet, type ListenSpec } from '../../../../src/sip/transport/transport-set.ts';
import { Cleanup, Inbox, ipv6Unavailable, RawClient, sipRequest, socketHandles, transportRejection as rejection } from './helpers.ts';

const noIpv6 = await ipv6Unavailable();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());


const v4: ListenSpec[] = [
  { protocol: 'udp', host: '127.0.0.1', port: 0 },
  { protocol: 'tcp', host: '127.0.0.1', port: 0 },
];
const v6: ListenSpec[] = [
  { protocol: 'udp', host: '::1', port: 0 },
  { protocol: 'tcp', host: '::1', port: 0 },
];

describe('TransportSet', () => {
  it('listens on every configured address and finds transports by protocol and family', async () => {
    const set = cleanup.add(await TransportSet.listen(v4, { onMessage: () => undefined }));
    expect(set.transports.map((t) => `${t.protocol}/${t.family}`)).toEqual(['udp/4', 'tcp/4']);
    expect(set.get('udp')?.local.transport).toBe('udp');
    expect(set.get('tcp', 4)?.local.address).toBe('127.0.0.1');
    expect(set.get('tcp', 6)).toBeUndefined();
  });

  it('sends by protocol, and answers a TCP request over its connectionId', async () => {
    const inbox = new Inbox();
    const set = cleanup.add(await TransportSet.listen(v4, { onMessage: inbox.onMessage }));
    const peerInbox = new Inbox();
    const peer = cleanup.add(await TransportSet.listen(v4, { onMessage: peerInbox.onMessage }));

    await peer.send(sipRequest('OPTIONS', 'via-udp'), { protocol: 'udp', address: '127.0.0.1', port: set.get('udp')!.local.port });
    await peer.send(sipRequest('OPTIONS', 'via-tcp'), { protocol: 'tcp', address: '127.0.0.1', port: set.get('tcp')!.local.port });
    const got = await inbox.atLeast(2);
    const overUdp = got.find((m) => m.source.transport === 'udp');
    const overTcp = got.find((m) => m.source.transport === 'tcp');
    expect(overUdp?.connectionId).toBeUndefined();
    expect(overTcp?.connectionId).toBeDefined();

    const ok = Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    await set.send(ok, { protocol: 'tcp', address: '192.0.2.1', port: 5060, connectionId: overTcp!.connectionId });
    await set.send(ok, { protocol: 'udp', ...overUdp!.source });
    const back = await peerInbox.atLeast(2);
    expect(back.map((m) => m.source.transport).sort()).toEqual(['tcp', 'udp']);
    expect(set.get('tcp')!.stats.connectionsOutbound).toBe(0);
  });

  it('rejects a destination no transport can reach', async () => {
    const set = cleanup.add(await TransportSet.listen([{ protocol: 'udp', host: '127.0.0.1', port: 0 }], { onMessage: () => undefined }));
    const data = sipRequest('OPTIONS', 'x');
    expect((await rejection(set.send(data, { protocol: 'tcp', address: '127.0.0.1', port: 5060 }))).code).toBe('SIP_TRANSPORT_NO_ROUTE');
    expect((await rejection(set.send(data, { protocol: 'udp', address: '::1', port: 5060 }))).code).toBe('SIP_TRANSPORT_NO_ROUTE');
    expect((await rejection(set.send(data, { protocol: 'udp', address: 'pbx.example.com', port: 5060 }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
    expect((await rejection(set.send(data, { protocol: 'tls', address: '127.0.0.1', port: 5061 }))).code).toBe('SIP_TRANSPORT_NO_ROUTE');
    await set.close();
    expect((await rejection(set.send(data, { protocol: 'udp', address: '127.0.0.1', port: 5060 }))).code).toBe('SIP_TRANSPORT_CLOSED');
  });

  it('closes what it opened when one listener cannot bind, leaving no handle', async () => {
    const taken = cleanup.add(await TcpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined }));
    const before = socketHandles();
    const err = await rejection(
      TransportSet.listen([{ protocol: 'udp', host: '127.0.0.1', port: 0 }, { protocol: 'tcp', host: '127.0.0.1', port: taken.local.port }], {
        onMessage: () => undefined,
      }),
    );
    expect(err.code).toBe('SIP_TRANSPORT_BIND_FAILED');
    expect(socketHandles()).toEqual(before);
  });

  it('close() closes every transport and its connections', async () => {
    const before = socketHandles();
    const set = await TransportSet.listen(v4, { onMessage: () => undefined, tcp: { closeGraceMs: 100 } });
    const peer = await RawClient.connect('127.0.0.1', set.get('tcp')!.local.port);
    await Promise.all([set.close(), set.close()]);
    await peer.closed;
    expect(socketHandles()).toEqual(before);
  });

  describe.skipIf(noIpv6 !== undefined)(`dual stack (127.0.0.1 and ::1)${noIpv6 ? ` — skipped: ${noIpv6}` : ''}`, () => {
    it('picks the transport of the destination family', async () => {
      const inbox = new Inbox();
      const set = cleanup.add(await TransportSet.listen([...v4, ...v6], { onMessage: inbox.onMessage }));
      const peer = cleanup.add(await TransportSet.listen([...v4, ...v6], { onMessage: () => undefined }));
      for (const family of [4, 6] as const) {
        for (const protocol of ['udp', 'tcp'] as const) {
          const target = set.get(protocol, family)!.local;
          await peer.send(sipRequest('OPTIONS', `${protocol}${family}`), { protocol, address: target.address, port: target.port });
        }
      }
      const got = await inbox.atLeast(4);
      expect(got.map((m) => `${m.source.transport} ${m.source.address} → ${m.local.address}`).sort()).toEqual([
        'tcp 127.0.0.1 → 127.0.0.1',
        'tcp ::1 → ::1',
        'udp 127.0.0.1 → 127.0.0.1',
        'udp ::1 → ::1',
      ]);
    });
  });
});

describe('chooseTransportForRequest (RFC 3261 §18.1.1)', () => {
  it.each([
    [1300, 'udp', 1300, 'udp'],
    [1301, 'udp', 1300, 'tcp'],
    [200, 'udp', 1300, 'udp'],
    [200, 'tcp', 1300, 'tcp'],
    // A known path MTU of 9000 (jumbo frames): the limit is 9000 - 200.
    [5000, 'udp', 8800, 'udp'],
    [8801, 'udp', 8800, 'tcp'],
  ] as const)('%i bytes requested over %s (limit %i) → %s', (size, requested, limit, expected) => {
    expect(chooseTransportForRequest(size, requested, limit)).toBe(expected);
  });

  it('defaults the limit to 1300 bytes (path MTU unknown)', () => {
    expect(chooseTransportForRequest(1301, 'udp')).toBe('tcp');
    expect(chooseTransportForRequest(1300, 'udp')).toBe('udp');
  });
});
