import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../../src/sip/transport/errors.ts';
import { TcpTransport, type TcpTransportOptions } from '../../../../src/sip/transport/tcp.ts';
import type { ConnectionCloseReason, ConnectionInfo } from '../../../../src/sip/transport/transport.ts';
import { Cleanup, Inbox, ipv6Unavailable, RawClient, sipRequest, socketHandles, waitFor, transportRejection as rejection } from './helpers.ts';

const noIpv6 = await ipv6Unavailable();
const cleanup = new Cleanup();
afterEach(() => cleanup.run());


/** A transport whose deliveries, errors and connection events are recorded. */
async function server(host = '127.0.0.1', options: Partial<TcpTransportOptions> = {}) {
  const inbox = new Inbox();
  const errors: TransportError[] = [];
  const opened: ConnectionInfo[] = [];
  const closed: { info: ConnectionInfo; reason: ConnectionCloseReason }[] = [];
  const transport = cleanup.add(
    await TcpTransport.listen({
      host,
      onMessage: inbox.onMessage,
      onError: (e) => errors.push(e),
      onConnectionOpen: (info) => opened.push(info),
      onConnectionClose: (info, reason) => closed.push({ info, reason }),
      ...options,
    }),
  );
  return { transport, inbox, errors, opened, closed };
}

async function client(host: string, port: number): Promise<RawClient> {
  return cleanup.add(await RawClient.connect(host, port));
}

const families = [
  { name: 'IPv4 (127.0.0.1)', host: '127.0.0.1', skip: undefined },
  { name: 'IPv6 (::1)', host: '::1', skip: noIpv6 },
];

// The IPv6 family is skipped only where the machine has no ::1 loopback (reason in the title); in CI
// ipv6Unavailable() (helpers.ts) throws instead, so CI always runs both families.
for (const { name, host, skip } of families) {
  describe.skipIf(skip !== undefined)(`TcpTransport over ${name}${skip ? ` — skipped: ${skip}` : ''}`, () => {
    it('delivers two messages from one write and one message from three writes, with source and connectionId', async () => {
      const { transport, inbox, opened } = await server(host);
      expect(transport.local).toEqual({ transport: 'tcp', address: host, port: expect.any(Number) });
      const peer = await client(host, transport.local.port);
      const [m1, m2, m3] = [sipRequest('INVITE', 'c1', 'v=0\r\n'), sipRequest('ACK', 'c1'), sipRequest('BYE', 'c1')];

      await peer.write(Buffer.concat([m1, m2]));
      await peer.write(m3.subarray(0, 5));
      await peer.write(m3.subarray(5, 40));
      await peer.write(m3.subarray(40));

      const got = await inbox.atLeast(3);
      expect(inbox.texts()).toEqual([m1, m2, m3].map(String));
      const source = { transport: 'tcp', address: host, port: peer.socket.localPort };
      for (const msg of got) {
        expect(msg.source).toEqual(source);
        expect(msg.local).toEqual(transport.local);
        expect(msg.connectionId).toBe(got[0]?.connectionId);
      }
      expect(got[0]?.connectionId).toMatch(/^tcp-\d+$/);
      expect(opened).toEqual([{ connectionId: got[0]?.connectionId, remote: source, local: transport.local, inbound: true }]);
      expect(transport.stats).toMatchObject({ messagesIn: 3, connectionsAccepted: 1, connectionsOpen: 1 });
      expect(transport.stats.bytesIn).toBe(m1.length + m2.length + m3.length);
    });

    it('sends the reply over the connection the request came on (RFC 3261 §18.2.2)', async () => {
      const { transport, inbox } = await server(host);
      const peer = await client(host, transport.local.port);
      await peer.write(sipRequest('OPTIONS', 'reply'));
      const [request] = await inbox.atLeast(1);
      const response = Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
      // The Via sent-by names a port nobody listens on: only the connectionId can get it there.
      await transport.send(response, { address: host, port: 1, connectionId: request!.connectionId });
      expect((await peer.receivedAtLeast(response.length)).equals(response)).toBe(true);
      // Without the id, the live connection to the source address:port is found too.
      await transport.send(response, request!.source);
      await peer.receivedAtLeast(response.length * 2);
      expect(transport.stats).toMatchObject({ messagesOut: 2, connectionsOutbound: 0, connectionsOpen: 1 });
    });

    it('opens a connection to a new destination, reuses it, and receives requests back on it', async () => {
      const a = await server(host);
      const b = await server(host);
      const first = sipRequest('INVITE', 'out-1');
      await a.transport.send(first, { address: host, port: b.transport.local.port });
      await a.transport.send(sipRequest('ACK', 'out-1'), { address: host, port: b.transport.local.port });
      const got = await b.inbox.atLeast(2);
      expect(got[0]?.connectionId).toBe(got[1]?.connectionId);
      expect(a.transport.stats).toMatchObject({ connectionsOutbound: 1, connectionsOpen: 1, messagesOut: 2 });
      expect(b.transport.stats.connectionsAccepted).toBe(1);
      expect(a.opened).toHaveLength(1);
      expect(a.opened[0]).toMatchObject({ inbound: false, remote: { address: host, port: b.transport.local.port } });
      // Our end names the listening port, not the ephemeral one the connection uses.
      expect(a.opened[0]?.local).toEqual(a.transport.local);
      expect(a.transport.connectionTo(host, b.transport.local.port)?.connectionId).toBe(a.opened[0]?.connectionId);
      expect(a.transport.hasConnection(a.opened[0]!.connectionId)).toBe(true);

      // b answers and then sends a request of its own over the same connection (RFC 5626 flow reuse).
      await b.transport.send(sipRequest('BYE', 'out-1'), { address: host, port: 9, connectionId: got[0]!.connectionId });
      await b.transport.send(sipRequest('OPTIONS', 'out-2'), got[0]!.source);
      const back = await a.inbox.atLeast(2);
      expect(back[0]?.connectionId).toBe(a.opened[0]?.connectionId);
      expect(back[0]?.source).toEqual({ transport: 'tcp', address: host, port: b.transport.local.port });
      expect(b.transport.stats.connectionsOutbound).toBe(0);
      expect(a.transport.stats.connectionsAccepted).toBe(0);
    });
  });
}

describe('TcpTransport: connections', () => {
  it('shares one connection between sends made while it is still connecting', async () => {
    const a = await server();
    const b = await server();
    const dest = { address: '127.0.0.1', port: b.transport.local.port };
    await Promise.all([1, 2, 3].map((i) => a.transport.send(sipRequest('MESSAGE', `burst-${i}`), dest)));
    await b.inbox.atLeast(3);
    expect(b.inbox.texts()).toEqual([1, 2, 3].map((i) => String(sipRequest('MESSAGE', `burst-${i}`))));
    expect(a.transport.stats.connectionsOutbound).toBe(1);
  });

  it('rejects with SIP_TRANSPORT_CONNECT_FAILED when the peer refuses', async () => {
    const gone = await TcpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined });
    const port = gone.local.port;
    await gone.close();
    const a = await server();
    const err = await rejection(a.transport.send(sipRequest('OPTIONS', 'x'), { address: '127.0.0.1', port }));
    expect(err.code).toBe('SIP_TRANSPORT_CONNECT_FAILED');
    expect(err.message).toMatch(/ECONNREFUSED/);
    await waitFor(() => a.closed.length === 1, 'close event');
    expect(a.closed[0]?.reason).toBe('connect-failed');
    expect(a.transport.stats.connectionsOpen).toBe(0);
  });

  it('rejects with SIP_TRANSPORT_CONNECT_TIMEOUT when the connect hangs', async () => {
    // A listener in a thread that never accepts: once its backlog is full the kernel drops further SYNs.
    const block = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const srv = require('node:net').createServer();
       srv.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
         parentPort.postMessage(srv.address().port);
         setImmediate(() => { Atomics.wait(workerData, 0, 0); srv.close(); parentPort.close(); });
       });`,
      { eval: true, workerData: block },
    );
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    cleanup.add({
      close: async () => {
        Atomics.store(block, 0, 1);
        Atomics.notify(block, 0);
        await exited;
      },
    });
    const port = await new Promise<number>((resolve) => worker.once('message', resolve));
    // Fill the accept queue.
    for (let i = 0; i < 3; i++) {
      const s = connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      cleanup.add({ close: () => void s.destroy() });
    }
    await new Promise((r) => setTimeout(r, 50));

    const a = await server('127.0.0.1', { connectTimeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(a.transport.send(sipRequest('OPTIONS', 'hang'), { address: '127.0.0.1', port }));
    expect(err.code).toBe('SIP_TRANSPORT_CONNECT_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await waitFor(() => a.closed.length === 1, 'close event');
    expect(a.closed[0]?.reason).toBe('connect-failed');
  });

  it('never opens a connection for a noConnect send (RFC 5626 §5.3 flow gone → 430)', async () => {
    const a = await server();
    const b = await server();
    const err = await rejection(
      a.transport.send(sipRequest('INVITE', 'flow'), { address: '127.0.0.1', port: b.transport.local.port, connectionId: 'tcp-999999', noConnect: true }),
    );
    expect(err.code).toBe('SIP_TRANSPORT_NO_ROUTE');
    expect(a.transport.stats.connectionsOutbound).toBe(0);
  });

  it('rejects unroutable sends with coded errors', async () => {
    const a = await server();
    const data = sipRequest('OPTIONS', 'x');
    expect((await rejection(a.transport.send(data, { address: '::1', port: 5060 }))).code).toBe('SIP_TRANSPORT_NO_ROUTE');
    expect((await rejection(a.transport.send(data, { address: 'example.com', port: 5060 }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
    expect((await rejection(a.transport.send(data, { address: '127.0.0.1', port: 70000 }))).code).toBe('SIP_TRANSPORT_BAD_ADDRESS');
    const taken = await rejection(TcpTransport.listen({ host: '127.0.0.1', port: a.transport.local.port, onMessage: () => undefined }));
    expect(taken.code).toBe('SIP_TRANSPORT_BIND_FAILED');
  });

  it('reports a connection the peer closed', async () => {
    const s = await server();
    const peer = await client('127.0.0.1', s.transport.local.port);
    await waitFor(() => s.opened.length === 1, 'open');
    await peer.close();
    await waitFor(() => s.closed.length === 1, 'close event');
    expect(s.closed[0]).toMatchObject({ reason: 'peer', info: { inbound: true } });
    expect(s.transport.stats).toMatchObject({ connectionsOpen: 0, connectionsClosed: 1 });
    expect(s.transport.hasConnection(s.opened[0]!.connectionId)).toBe(false);
  });
});

describe('TcpTransport: keep-alives and framing', () => {
  it('answers a double-CRLF ping with a CRLF pong (RFC 5626 §4.4.1)', async () => {
    const s = await server();
    const peer = await client('127.0.0.1', s.transport.local.port);
    await peer.write('\r\n\r\n');
    expect((await peer.receivedAtLeast(2)).toString()).toBe('\r\n');
    await peer.write(Buffer.concat([sipRequest('OPTIONS', 'after-ping'), Buffer.from('\r\n\r\n')]));
    await peer.receivedAtLeast(4);
    await s.inbox.atLeast(1);
    expect(s.transport.stats.keepalivePings).toBe(2);
    expect(peer.received.toString()).toBe('\r\n\r\n');
  });

  it('closes the connection when framing is lost, after delivering what came before', async () => {
    const s = await server();
    const peer = await client('127.0.0.1', s.transport.local.port);
    await peer.write(Buffer.concat([sipRequest('OPTIONS', 'good'), Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: no-length\r\n\r\n')]));
    await peer.closed;
    expect(s.inbox.texts()).toEqual([String(sipRequest('OPTIONS', 'good'))]);
    expect(s.transport.stats.framingErrors).toBe(1);
    expect(s.errors.map((e) => e.code)).toEqual(['SIP_TRANSPORT_FRAMING']);
    expect(s.errors[0]?.message).toMatch(/missing Content-Length/);
    await waitFor(() => s.closed.length === 1, 'close event');
    expect(s.closed[0]?.reason).toBe('framing');
  });

  it('closes the connection on a message larger than maxMessageBytes', async () => {
    const s = await server('127.0.0.1', { maxMessageBytes: 2048 });
    const peer = await client('127.0.0.1', s.transport.local.port);
    await peer.write(sipRequest('MESSAGE', 'big', 'x'.repeat(4000)));
    await peer.closed;
    expect(s.transport.stats.framingErrors).toBe(1);
    expect(s.inbox.messages).toHaveLength(0);
  });

  it('keeps the connection when onMessage throws, and reports it', async () => {
    const errors: TransportError[] = [];
    const t = cleanup.add(
      await TcpTransport.listen({
        host: '127.0.0.1',
        onMessage: () => {
          throw new Error('handler bug');
        },
        onError: (e) => errors.push(e),
      }),
    );
    const peer = await client('127.0.0.1', t.local.port);
    await peer.write(Buffer.concat([sipRequest('OPTIONS', '1'), sipRequest('OPTIONS', '2')]));
    await waitFor(() => errors.length === 2, 'two handler errors');
    expect(errors.every((e) => e.code === 'SIP_TRANSPORT_HANDLER_FAILED')).toBe(true);
    expect(peer.isClosed).toBe(false);
  });
});

describe('TcpTransport: limits', () => {
  it('closes a connection after the idle timeout', async () => {
    const s = await server('127.0.0.1', { idleTimeoutMs: 200 });
    const peer = await client('127.0.0.1', s.transport.local.port);
    const connectedAt = Date.now();
    await peer.closed;
    expect(peer.closedAt! - connectedAt).toBeGreaterThanOrEqual(150);
    await waitFor(() => s.closed.length === 1, 'close event');
    expect(s.closed[0]?.reason).toBe('idle');
    expect(s.transport.stats.idleTimeouts).toBe(1);
  });

  it('does not close a connection with traffic inside the idle timeout', async () => {
    const s = await server('127.0.0.1', { idleTimeoutMs: 200 });
    const peer = await client('127.0.0.1', s.transport.local.port);
    for (let i = 0; i < 8; i++) {
      await peer.write('\r\n\r\n');
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(peer.isClosed).toBe(false);
    await peer.closed;
    expect(s.transport.stats.idleTimeouts).toBe(1);
  });

  it('destroys connections from one source IP beyond the cap, and counts them', async () => {
    const s = await server('127.0.0.1', { maxConnectionsPerSource: 3 });
    const peers: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      peers.push(await client('127.0.0.1', s.transport.local.port));
      await waitFor(() => s.opened.length === i + 1, `connection ${i + 1} registered`);
    }
    const fourth = await client('127.0.0.1', s.transport.local.port);
    await fourth.closed;
    expect(s.transport.stats).toMatchObject({ connectionsRejected: 1, connectionsAccepted: 3, connectionsOpen: 3 });
    // The first three still work, and a slot frees when one leaves.
    await peers[0]!.write(sipRequest('OPTIONS', 'still-here'));
    await s.inbox.atLeast(1);
    await peers[1]!.close();
    await waitFor(() => s.transport.stats.connectionsOpen === 2, 'slot freed');
    await client('127.0.0.1', s.transport.local.port);
    await waitFor(() => s.opened.length === 4, 'fifth accepted');
  });

  it('destroys connections beyond the total cap, and refuses to dial past it', async () => {
    const s = await server('127.0.0.1', { maxConnections: 2 });
    await client('127.0.0.1', s.transport.local.port);
    await client('127.0.0.1', s.transport.local.port);
    await waitFor(() => s.opened.length === 2, 'two connections');
    const third = await client('127.0.0.1', s.transport.local.port);
    await third.closed;
    expect(s.transport.stats.connectionsRejected).toBe(1);
    const other = await server();
    const err = await rejection(s.transport.send(sipRequest('OPTIONS', 'x'), { address: '127.0.0.1', port: other.transport.local.port }));
    expect(err.code).toBe('SIP_TRANSPORT_OVERLOADED');
  });

  it('destroys the connection of a peer that does not read instead of queueing without bound', async () => {
    const s = await server('127.0.0.1', { maxQueuedBytes: 64 * 1024 });
    const peer = await client('127.0.0.1', s.transport.local.port);
    peer.socket.pause(); // stops reading: the kernel buffers fill, then the socket's own queue
    await peer.write(sipRequest('OPTIONS', 'hello'));
    const [request] = await s.inbox.atLeast(1);
    const big = sipRequest('MESSAGE', 'flood', 'x'.repeat(60_000));
    // Not awaited one by one: a peer that does not read never lets a write complete.
    const outcomes: Promise<unknown>[] = [];
    for (let i = 0; i < 2_000 && s.transport.stats.writeOverflows === 0; i++) {
      const sent = s.transport.send(big, { address: '127.0.0.1', port: 1, connectionId: request!.connectionId });
      outcomes.push(sent.then(() => 'sent', (e: unknown) => (e instanceof TransportError ? e.code : e)));
      if (i % 16 === 15) await new Promise((r) => setImmediate(r)); // let libuv move bytes to the kernel
    }
    const results = await Promise.all(outcomes);
    expect(results).toContain('SIP_TRANSPORT_OVERLOADED');
    // The write still in flight when the connection was destroyed failed instead of hanging or claiming success.
    expect(results.at(-2)).toBe('SIP_TRANSPORT_SEND_FAILED');
    expect(results.filter((r) => r !== 'sent' && r !== 'SIP_TRANSPORT_OVERLOADED').every((r) => r === 'SIP_TRANSPORT_SEND_FAILED')).toBe(true);
    expect(s.transport.stats.writeOverflows).toBe(1);
    await waitFor(() => s.closed.length === 1, 'close event');
    expect(s.closed[0]?.reason).toBe('overload');
  });
});

describe('TcpTransport.close', () => {
  it('ends inbound and outbound connections and the server, leaving no socket handle', async () => {
    const before = socketHandles();
    const a = await TcpTransport.listen({ host: '127.0.0.1', onMessage: () => undefined });
    const bInbox = new Inbox();
    const b = await TcpTransport.listen({ host: '127.0.0.1', onMessage: bInbox.onMessage });
    const peer = await RawClient.connect('127.0.0.1', a.local.port);
    await a.send(sipRequest('OPTIONS', 'x'), { address: '127.0.0.1', port: b.local.port });
    await bInbox.atLeast(1);
    await waitFor(() => a.stats.connectionsOpen === 2, 'both connections on a');

    await Promise.all([a.close(), a.close()]);
    await peer.closed;
    expect(a.stats.connectionsOpen).toBe(0);
    expect((await rejection(a.send(sipRequest('OPTIONS', 'y'), { address: '127.0.0.1', port: b.local.port }))).code).toBe('SIP_TRANSPORT_CLOSED');
    await waitFor(() => b.stats.connectionsOpen === 0, 'b sees the close');
    await b.close();
    expect(socketHandles()).toEqual(before);
  });
});
