/**
 * baresip (Debian 12's baresip-core 1.0.0 on libre 1.1.0) as an operator's
 * softphone against the embedded SIP server: registration with digest
 * credentials, calls placed through hotline to the registered phone, refresh
 * and de-registration. Real peer, real sockets, all on 127.0.0.1.
 *
 * Two server set-ups:
 * - "digest": `auth: { realm: 'hotline', credentials, algorithms: ['MD5'] }`,
 *   which is how src/main.ts starts the server with the default configuration. These tests are about digest
 *   authentication of an operator's phone.
 * - "open registrar": no `auth`. Calls, refresh, 423 and de-registration do
 *   not depend on digest; running them without it keeps them about their own
 *   subject (digest has its own tests above them).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCredentialStore } from '../../../../src/sip/auth/index.ts';
import type { Dialog, DestroyInfo } from '../../../../src/sip/dialog/dialog.ts';
import { SipServer, type SipServerOptions } from '../../../../src/sip/server.ts';
import { Baresip, type AccountOptions } from './harness.ts';

const REALM = 'hotline';
const AOR = 'sip:op1@127.0.0.1';

let server: SipServer | undefined;
let phone: Baresip | undefined;
let rtp: UdpSocket | undefined;

afterEach(async () => {
  // baresip first, while the registrar still answers its de-REGISTER (without one it lingers ~25 s).
  const p = phone;
  phone = undefined;
  await p?.stop();
  rtp?.close();
  rtp = undefined;
  await server?.close();
  server = undefined;
  if (p !== undefined) expect(p.running, 'baresip is still running after stop()').toBe(false);
});

async function startServer(opts: Partial<SipServerOptions> = {}): Promise<{ server: SipServer; udpPort: number }> {
  server = await SipServer.start({
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    log: pino({ level: 'silent' }),
    ...opts,
  });
  const udp = server.addresses.find((a) => a.protocol === 'udp');
  if (udp === undefined) throw new Error('no UDP listener');
  return { server, udpPort: udp.port };
}

async function digestServer(): Promise<{ server: SipServer; udpPort: number }> {
  const credentials = new MemoryCredentialStore();
  credentials.setPassword('op1', REALM, 'secret');
  // As src/main.ts configures it by default (sip.digestAlgorithms: [MD5]): libre 1.1 fails
  // with "Function not implemented" as soon as any challenge is SHA-256, whatever the order.
  return startServer({ auth: { realm: REALM, credentials, algorithms: ['MD5'] } });
}

async function startPhone(): Promise<Baresip> {
  phone = await Baresip.start({ sipTrace: true });
  return phone;
}

function account(udpPort: number, extra: Partial<AccountOptions> = {}): AccountOptions {
  return { user: 'op1', password: 'secret', registrar: { host: '127.0.0.1', port: udpPort }, regint: 60, ...extra };
}

/** From baresip's SIP trace (-s): the status lines and challenges it received, for failure messages. */
async function statusLines(p: Baresip): Promise<string> {
  await p.waitLog(/^SIP\/2\.0 \d{3}/m, 1_000);
  await new Promise((r) => setTimeout(r, 200)); // the rest of the trace
  return (p.log.match(/^(SIP\/2\.0 \d{3}.*|WWW-Authenticate: .*)$/gm) ?? []).join('\n  ');
}

/** An RTP sink for hotline's side of the call: counts packets and payload types. */
async function rtpSink(): Promise<{ port: number; packets: () => number; payloadTypes: Set<number> }> {
  const s = createSocket('udp4');
  rtp = s;
  let packets = 0;
  const payloadTypes = new Set<number>();
  s.on('message', (m) => {
    if (m.length >= 12 && m[0] !== undefined && m[0] >> 6 === 2) {
      packets++;
      payloadTypes.add((m[1] ?? 0) & 0x7f);
    }
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  return { port: s.address().port, packets: () => packets, payloadTypes };
}

function offer(rtpPort: number): string {
  return [
    'v=0',
    'o=hotline 1 1 IN IP4 127.0.0.1',
    's=hotline',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 8`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function destroyed(dialog: Dialog): Promise<DestroyInfo> {
  return new Promise((resolve) => dialog.on('destroy', resolve));
}

describe('baresip registering with digest credentials (server with auth, as src/main.ts runs it)', () => {
  it('registers op1/secret: REGISTER_OK, and one binding reached at the phone’s own source port', async () => {
    const { server, udpPort } = await digestServer();
    const p = await startPhone();
    await p.addAccount(account(udpPort));
    const ev = await p.waitEvent(['REGISTER_OK', 'REGISTER_FAIL'], { timeoutMs: 10_000 });
    expect(ev, `baresip could not register; what it received:\n  ${await statusLines(p)}\n`).toMatchObject({ type: 'REGISTER_OK', param: '200 OK' });
    const bindings = server.locate(AOR);
    expect(bindings).toHaveLength(1);
    const [b] = bindings;
    expect(b?.destination).toEqual({ protocol: 'udp', address: '127.0.0.1', port: p.sipPort });
    expect(b?.uri).toContain(`@127.0.0.1:${p.sipPort}`);
    expect(b?.binding.userAgent).toMatch(/^baresip/);
    expect(b?.binding.expiresAt).toBeGreaterThan(Date.now() + 50_000);
  });

  it('a wrong password: baresip gets REGISTER_FAIL with the server’s 401/403, and no binding exists', { timeout: 60_000 }, async () => {
    const { server, udpPort } = await digestServer();
    const p = await startPhone();
    await p.addAccount(account(udpPort, { password: 'not-the-secret' }));
    // libre retries with each fresh nonce and gives up after ~16 s (the server slows answers after 5 failures).
    const ev = await p.waitEvent(['REGISTER_OK', 'REGISTER_FAIL'], { timeoutMs: 45_000 });
    expect(ev.type).toBe('REGISTER_FAIL');
    // The refusal must come from hotline checking the digest, not from the phone failing on its own.
    expect(ev.param, `what baresip received:\n  ${await statusLines(p)}\n`).toMatch(/^40[13] /);
    expect(await p.waitLog(/^Authorization: Digest username="op1"/m)).toBe(true);
    expect(server.locate(AOR)).toHaveLength(0);
    expect(server.registrar.count()).toBe(0);
  });
});

describe('baresip as an operator softphone (open registrar)', () => {
  async function registered(regint = 60, registrar?: SipServerOptions['registrar']): Promise<{ server: SipServer; phone: Baresip }> {
    const { server, udpPort } = await startServer(registrar !== undefined ? { registrar } : {});
    const p = await startPhone();
    await p.addAccount(account(udpPort, { regint }));
    await p.waitEvent('REGISTER_OK');
    return { server, phone: p };
  }

  async function call(server: SipServer, p: Baresip): Promise<{ dialog: Dialog; sink: Awaited<ReturnType<typeof rtpSink>> }> {
    const [target] = server.locate(AOR);
    if (target === undefined) throw new Error('op1 is not registered');
    const sink = await rtpSink();
    const since = p.mark();
    const dialog = await server.createUAC(target.uri, { localSdp: offer(sink.port), destination: target.destination });
    await p.waitEvent('CALL_ESTABLISHED', { since });
    return { dialog, sink };
  }

  it('auto-answers a call placed through hotline with PCMU/PCMA, sends audio, and its hang-up ends the dialog', async () => {
    const { server, phone: p } = await registered();
    const { dialog, sink } = await call(server, p);
    expect(dialog.state).toBe('confirmed');
    const sdp = dialog.remote.sdp;
    expect(sdp).toMatch(/^m=audio \d+ RTP\/AVP 0 8\r?$/m);
    expect(sdp).toMatch(/^a=rtpmap:0 PCMU\/8000/m);
    expect(sdp).toMatch(/^a=rtpmap:8 PCMA\/8000/m);
    expect(sdp).toMatch(/^c=IN IP4 127\.0\.0\.1/m);
    const rtpPort = Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
    expect(rtpPort).toBeGreaterThanOrEqual(p.rtpPorts[0]);
    expect(rtpPort).toBeLessThanOrEqual(p.rtpPorts[1]);
    // The operator's microphone (the WAV source) reaches hotline as PCMU, the first codec of the offer.
    await until(() => sink.packets() >= 20, 5_000, 'RTP from baresip');
    expect([...sink.payloadTypes]).toEqual([0]);

    const gone = destroyed(dialog);
    const since = p.mark();
    const reply = await p.command('hangup');
    expect(reply.ok).toBe(true);
    await expect(gone).resolves.toEqual({ by: 'remote', reason: 'BYE' });
    await p.waitEvent('CALL_CLOSED', { since });
    expect(dialog.state).toBe('terminated');
    expect(server.stack.dialogs.size).toBe(0);
  });

  it('hotline hangs up: baresip gets the BYE and reports CALL_CLOSED', async () => {
    const { server, phone: p } = await registered();
    const { dialog } = await call(server, p);
    const gone = destroyed(dialog);
    const since = p.mark();
    await dialog.destroy();
    await expect(gone).resolves.toMatchObject({ by: 'local' });
    const closed = await p.waitEvent('CALL_CLOSED', { since });
    expect(closed.id).toBe(dialog.callId);
    expect(server.stack.dialogs.size).toBe(0);
    const calls = await p.command('listcalls');
    expect(calls.data).not.toContain(dialog.callId);
  });

  it('re-registers at its regint: still one binding, its expiry pushed forward', async () => {
    const { server, phone: p } = await registered(5, { minExpires: 5 });
    const [first] = server.locate(AOR);
    expect(first).toBeDefined();
    // libre refreshes at ~90 % of the granted 5 s.
    await p.waitEvent('REGISTER_OK', { since: p.mark(), timeoutMs: 10_000 });
    await p.waitEvent('REGISTER_OK', { since: p.mark(), timeoutMs: 10_000 });
    const now = server.locate(AOR);
    expect(now).toHaveLength(1);
    expect(server.registrar.count()).toBe(1);
    const [b] = now;
    expect(b?.binding.contact).toBe(first?.binding.contact);
    expect(b?.binding.callId).toBe(first?.binding.callId);
    expect(b?.binding.cseq).toBeGreaterThan(first?.binding.cseq ?? Infinity);
    expect(b?.binding.expiresAt).toBeGreaterThan(first?.binding.expiresAt ?? Infinity);
    // Past the first registration's expiry (5 s), it is still there: refreshed, not merely remembered.
    expect(Date.now()).toBeGreaterThan(first?.binding.expiresAt ?? Infinity);
  });

  it('an interval below Min-Expires gets 423; baresip retries with the server’s Min-Expires and is registered', async () => {
    const { server, phone: p } = await registered(5, { minExpires: 60 });
    expect(await p.waitLog(/^SIP\/2\.0 423 Interval Too Brief\r?\n(?:.*\r?\n)*?Min-Expires: 60\r?$/m), p.log).toBe(true);
    expect(await p.waitLog(/^Contact: <[^>]+>;expires=60;/m), p.log).toBe(true);
    const [b] = server.locate(AOR);
    expect(b?.binding.expiresAt).toBeGreaterThan(Date.now() + 50_000);
  });

  it('quit: baresip de-registers on its way out (Contact expires=0) and the binding is removed', async () => {
    const { server, phone: p } = await registered();
    expect(server.locate(AOR)).toHaveLength(1);
    const removed = new Promise<string>((resolve) => server.registrar.onChange((e) => e.type === 'removed' && resolve(e.binding.contact)));
    const reply = await p.command('quit');
    expect(reply.ok).toBe(true);
    await expect(removed).resolves.toContain(`127.0.0.1:${p.sipPort}`);
    expect(await p.waitExit(5_000)).toBe(true);
    expect(await p.waitLog(/^Contact: <[^>]+>;expires=0/m), p.log).toBe(true);
    expect(server.locate(AOR)).toHaveLength(0);
    expect(server.registrar.count()).toBe(0);
  });
});
