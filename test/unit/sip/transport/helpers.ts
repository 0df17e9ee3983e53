/** Shared fixtures for the transport tests: real sockets, event-driven waits, leak checks. */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { expect } from 'vitest';
import { TransportError } from '../../../../src/sip/transport/errors.ts';
import type { InboundMessage } from '../../../../src/sip/transport/transport.ts';

/** A SIP request with a correct Content-Length. */
export function sipRequest(method: string, callId: string, body = ''): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  return Buffer.from(
    `${method} sip:hotline@example.com SIP/2.0\r\n` +
      'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-' + callId + '\r\n' +
      'Max-Forwards: 70\r\n' +
      'From: <sip:caller@example.com>;tag=1\r\n' +
      'To: <sip:hotline@example.com>\r\n' +
      `Call-ID: ${callId}\r\n` +
      `CSeq: 1 ${method}\r\n` +
      `Content-Length: ${bodyBytes.length}\r\n` +
      '\r\n' +
      body,
    'utf8',
  );
}

/** Waits until `check` holds, polling each few ms; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Collects what a transport delivers. */
export class Inbox {
  readonly messages: InboundMessage[] = [];
  readonly onMessage = (msg: InboundMessage): void => {
    this.messages.push(msg);
  };

  async atLeast(count: number, timeoutMs = 3_000): Promise<InboundMessage[]> {
    await waitFor(() => this.messages.length >= count, `${count} message(s), have ${this.messages.length}`, timeoutMs);
    return this.messages;
  }

  texts(): string[] {
    return this.messages.map((m) => m.data.toString('utf8'));
  }
}

/** A raw TCP peer: connects, records what it receives and when it closes. */
export class RawClient {
  private chunks: Buffer[] = [];
  closedAt: number | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => this.chunks.push(c));
    socket.on('error', () => undefined); // resets from the server are expected in several tests
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  static connect(host: string, port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async receivedAtLeast(bytes: number, timeoutMs = 3_000): Promise<Buffer> {
    await waitFor(() => this.received.length >= bytes, `${bytes} bytes on the client`, timeoutMs);
    return this.received;
  }

  async write(data: Buffer | string): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }
}

/** Socket handles Node holds open, by kind (TCPSocketWrap, TCPServerWrap, UDPWrap). */
export function socketHandles(): Record<string, number> {
  const counts: Record<string, number> = { TCPSocketWrap: 0, TCPServerWrap: 0, UDPWrap: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Why ::1 cannot be used here, or undefined when it can (both UDP and TCP are probed). */
export async function ipv6Unavailable(): Promise<string | undefined> {
  try {
    await new Promise<void>((resolve, reject) => {
      const s = createSocket('udp6');
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
      s.bind(0, '::1', () => s.close(() => resolve()));
    });
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '::1', () => server.close(() => resolve()));
    });
    return undefined;
  } catch (err) {
    const reason = `::1 cannot be bound on this host (${(err as Error).message}); IPv6 loopback is disabled`;
    // CI machines have IPv6 loopback: there the IPv6 tests must run, never be skipped quietly.
    if (process.env['CI'] === 'true') throw new Error(`IPv6 transport tests cannot run in CI: ${reason}`);
    return reason;
  }
}

/** The TransportError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function transportRejection(p: Promise<unknown>): Promise<TransportError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** Runs registered closers after each test, newest first, so no socket outlives its test. */
export class Cleanup {
  private closers: (() => Promise<void> | void)[] = [];
  add<T extends { close(): Promise<void> | void }>(thing: T): T {
    this.closers.push(() => thing.close());
    return thing;
  }
  async run(): Promise<void> {
    const closers = this.closers.reverse();
    this.closers = [];
    for (const close of closers) await close();
  }
}
