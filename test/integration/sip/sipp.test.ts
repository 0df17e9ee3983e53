/**
 * The embedded SIP stack against SIPp, a real peer, over 127.0.0.1: calls in
 * both directions, UDP and TCP, digest REGISTER, CANCEL while ringing, a
 * caller that never ACKs, INFO DTMF, hold/resume re-INVITEs, REFER + NOTIFY,
 * OPTIONS keep-alives. Each test asserts what a user would notice: SIPp's
 * exit code and call counts, and the server's own state afterwards.
 *
 * Needs `sipp` (Debian package sip-tester, SIPp 3.6). Our scenarios are in
 * ./scenarios; the shared third-party ones are read from $SIPP_TESTDATA
 * (default ../shared/testdata/sipp next to the project).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCredentialStore } from '../../../src/sip/auth/index.ts';
import type { Dialog, DestroyInfo } from '../../../src/sip/dialog/dialog.ts';
import { SipError, SipServer, type SipServerOptions } from '../../../src/sip/server.ts';
import { describeRun, parseMessageTrace, runSipp, SCENARIOS, SHARED_SIPP_TESTDATA, sippVersion, startSipp, stopAllSipp, waitForUdpListener, type SippOptions, type SippResult } from './sipp.ts';

const log = pino({ level: 'silent' });
const servers: SipServer[] = [];

function sdp(direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive' = 'sendrecv'): string {
  return ['v=0', 'o=hotline 1 1 IN IP4 127.0.0.1', 's=hotline', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', `a=${direction}`, ''].join('\r\n');
}

async function startServer(extra: Partial<SipServerOptions> = {}): Promise<SipServer> {
  const server = await SipServer.start({
    listen: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    log,
    ...extra,
  });
  servers.push(server);
  return server;
}

function addressOf(server: SipServer, protocol: 'udp' | 'tcp'): string {
  const a = server.addresses.find((x) => x.protocol === protocol);
  if (a === undefined) throw new Error(`server has no ${protocol} transport`);
  return `${a.address}:${a.port}`;
}

function scenario(name: string): SippOptions['scenario'] {
  return { file: join(SCENARIOS, name) };
}

/** SIPp ended with exit 0 and `calls` successful calls, none failed; otherwise show why. */
function expectAllCallsSucceeded(r: SippResult, calls: number): void {
  expect(r.code, describeRun(r)).toBe(0);
  expect(r.stats?.successful, describeRun(r)).toBe(calls);
  expect(r.stats?.failed, describeRun(r)).toBe(0);
}

/** Answer every INVITE with 200 + our SDP; collect the dialogs and how they ended. */
function answerEverything(server: SipServer): { dialogs: Dialog[]; ended: DestroyInfo[]; failures: unknown[] } {
  const state = { dialogs: [] as Dialog[], ended: [] as DestroyInfo[], failures: [] as unknown[] };
  server.invite((req, res) => {
    server.createUAS(req, res, { localSdp: sdp() }).then(
      (dialog) => {
        state.dialogs.push(dialog);
        dialog.on('destroy', (info) => state.ended.push(info));
      },
      (err: unknown) => state.failures.push(err),
    );
  });
  return state;
}

/** A promise for the next dialog the server answers (listeners can be attached before in-dialog requests arrive). */
function answerOne(server: SipServer, onDialog: (d: Dialog) => void): Promise<Dialog> {
  return new Promise((resolve, reject) => {
    server.invite((req, res) => {
      server.createUAS(req, res, { localSdp: sdp() }).then((d) => {
        onDialog(d);
        resolve(d);
      }, reject);
    });
  });
}

/** How many times a UAS sends its 2xx in all when no ACK comes within `budgetMs` (§13.3.1.4: resent after T1, 2T1, 4T1… capped at T2). */
function timerGSends(T1: number, T2: number, budgetMs: number): number {
  let sends = 1;
  let t = 0;
  let interval = T1;
  while (t + interval < budgetMs) {
    t += interval;
    sends++;
    interval = Math.min(2 * interval, T2);
  }
  return sends;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A full garbage collection, without starting Node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleep(50);
}

describe('hotline SIP stack against SIPp', () => {
  beforeAll(() => {
    const version = sippVersion();
    if (version === undefined) throw new Error('sipp is not installed: apt-get install sip-tester (.ci/run installs it). These tests need a real SIPp.');
  });

  afterEach(async () => {
    await stopAllSipp();
    // Bounded: close() sends BYE to each live dialog in turn and, with the peer gone, waits 64·T1
    // for each (see the close() test below). A test that failed half-way must not hang the suite.
    for (const s of servers.splice(0)) await Promise.race([s.close(), sleep(3_000)]);
  });

  describe('SIPp calls hotline (built-in uac scenario)', () => {
    for (const transport of ['udp', 'tcp'] as const) {
      it(`answers 40 calls over ${transport.toUpperCase()}, every one succeeds and no dialog is left`, async () => {
        const server = await startServer();
        const app = answerEverything(server);
        const calls = 40;
        const r = await runSipp({ scenario: { builtin: 'uac' }, remote: addressOf(server, transport), transport: transport === 'tcp' ? 't1' : 'u1', calls, rate: 40, limit: 20 });
        expectAllCallsSucceeded(r, calls);
        expect(app.failures).toEqual([]);
        expect(app.dialogs).toHaveLength(calls);
        expect(app.ended).toHaveLength(calls);
        expect(app.ended.every((e) => e.by === 'remote' && e.reason === 'BYE')).toBe(true);
        expect(server.stack.dialogs.size).toBe(0);
        expect(server.stack.counters.requestsIn.INVITE).toBe(calls);
        expect(server.stack.counters.requestsIn.BYE).toBe(calls);
      });
    }
  });

  it('calls SIPp (built-in uas scenario): the answer carries SIPp\'s SDP, and destroy() sends the BYE SIPp waits for', async () => {
    const server = await startServer();
    const sipp = await startSipp({ scenario: { builtin: 'uas' }, calls: 1, timeoutMs: 15_000 });
    await waitForUdpListener(sipp.port);
    const dialog = await server.createUAC(`sip:service@127.0.0.1:${sipp.port}`, { localSdp: sdp() });
    expect(dialog.type).toBe('uac');
    expect(dialog.remote.sdp).toContain('o=user1 53655765 2353687637 IN IP4 127.0.0.1');
    expect(dialog.remote.sdp).toContain(`m=audio ${sipp.mediaPort} RTP/AVP 0`);
    expect(server.stack.dialogs.size).toBe(1);
    await dialog.destroy();
    expect(dialog.state).toBe('terminated');
    expect(server.stack.dialogs.size).toBe(0);
    // SIPp's uas waits 4 s (timewait) after answering the BYE, then exits 0 if the call went as scripted.
    expectAllCallsSucceeded(await sipp.done, 1);
  });

  describe('REGISTER with digest authentication', () => {
    const realm = 'hotline.test';
    const sharedScenario = join(SHARED_SIPP_TESTDATA, 'uc360_register_challenge.xml');

    async function registrar(): Promise<{ server: SipServer; credentials: MemoryCredentialStore }> {
      const credentials = new MemoryCredentialStore();
      credentials.setPassword('user', realm, 'secret');
      credentials.setPassword('16001', realm, 'asdfzxcvqwer'); // what the shared uc360 scenario sends
      // SIPp 3.6 answers only the first challenge and knows only MD5, like many older phones.
      const server = await startServer({ auth: { realm, credentials, algorithms: ['MD5'] } });
      return { server, credentials };
    }

    beforeAll(() => {
      if (!existsSync(sharedScenario)) throw new Error(`shared SIPp scenario missing: ${sharedScenario} (set SIPP_TESTDATA to the folder holding uc360_register_challenge.xml)`);
    });

    // SIPp 3.6 cannot answer a SHA-256 challenge ("authentication must use MD5 or AKAv1-MD5"): the server is told to offer MD5.
    it('SIPp\'s stock UC360 REGISTER scenario registers against SipServer configured for MD5 digest', async () => {
      const credentials = new MemoryCredentialStore();
      credentials.setPassword('16001', realm, 'asdfzxcvqwer');
      const auth = { realm, credentials, algorithms: ['MD5'] } as SipServerOptions['auth'];
      const server = await startServer({ auth });
      const r = await runSipp({ scenario: { file: sharedScenario }, remote: addressOf(server, 'udp'), calls: 1 });
      expectAllCallsSucceeded(r, 1);
    });

    it('the stock UC360 scenario (user 16001) registers, and the binding records SIPp\'s source port', async () => {
      const { server } = await registrar();
      const sipp = await startSipp({ scenario: { file: sharedScenario }, remote: addressOf(server, 'udp'), calls: 1 });
      expectAllCallsSucceeded(await sipp.done, 1);
      const found = server.locate('sip:16001@127.0.0.1');
      expect(found).toHaveLength(1);
      expect(found[0]?.uri).toBe(`sip:16001@127.0.0.1:${sipp.port};line=10d9fd07f9eb2d0`);
      expect(found[0]?.destination).toEqual({ protocol: 'udp', address: '127.0.0.1', port: sipp.port });
    });

    it('a phone registering as "user" with the right password is reachable at its source address', async () => {
      const { server } = await registrar();
      const sipp = await startSipp({ scenario: scenario('register_digest.xml'), remote: addressOf(server, 'udp'), calls: 1, args: ['-s', 'user', '-au', 'user', '-ap', 'secret'] });
      expectAllCallsSucceeded(await sipp.done, 1);
      const found = server.locate('sip:user@127.0.0.1');
      expect(found).toHaveLength(1);
      expect(found[0]?.uri).toBe(`sip:user@127.0.0.1:${sipp.port}`);
      expect(found[0]?.binding.source).toMatchObject({ transport: 'udp', address: '127.0.0.1', port: sipp.port });
      expect(found[0]?.destination).toEqual({ protocol: 'udp', address: '127.0.0.1', port: sipp.port });
      expect(found[0]?.binding.expiresAt).toBeGreaterThan(Date.now() + 500_000);
    });

    it('a wrong password fails the registration (SIPp exits 1) and leaves no binding', async () => {
      const { server } = await registrar();
      const r = await runSipp({ scenario: scenario('register_digest.xml'), remote: addressOf(server, 'udp'), calls: 1, args: ['-s', 'user', '-au', 'user', '-ap', 'not-the-password'] });
      expect(r.code, describeRun(r)).toBe(1);
      expect(r.stats?.failed).toBe(1);
      expect(r.stats?.successful).toBe(0);
      expect(server.locate('sip:user@127.0.0.1')).toEqual([]);
    });
  });

  it('CANCEL while ringing: the app hears "cancel", SIPp gets 200 for the CANCEL and 487 for the INVITE, and its ACK ends the transaction', async () => {
    const server = await startServer({ timers: { T1: 50, T2: 400 } });
    let cancelled = 0;
    let invites = 0;
    server.invite((req, res) => {
      invites++;
      req.on('cancel', () => cancelled++);
      res.send(180);
    });
    const r = await runSipp({ scenario: scenario('cancel.xml'), remote: addressOf(server, 'udp'), calls: 1, traceMessages: true });
    expectAllCallsSucceeded(r, 1);
    expect(invites).toBe(1);
    expect(cancelled).toBe(1);
    // The 487 was ACKed inside its transaction: no 487 retransmission (Timer G = T1 = 50 ms) follows.
    await sleep(300);
    const got487 = parseMessageTrace(r.messages).filter((m) => m.direction === 'received' && m.startLine.startsWith('SIP/2.0 487'));
    expect(got487).toHaveLength(1);
    expect(server.stack.transactions.counters.retransmissions).toBe(0);
    expect(server.stack.dialogs.size).toBe(0);
  });

  it('a caller that never ACKs: the 200 is retransmitted on Timer G\'s schedule, then createUAS fails with 408 and hotline hangs up with BYE', async () => {
    const T1 = 50;
    const T2 = 400;
    const server = await startServer({ timers: { T1, T2 } });
    const outcome = new Promise<unknown>((resolve) => {
      server.invite((req, res) => {
        server.createUAS(req, res, { localSdp: sdp() }).then(
          () => resolve(new Error('createUAS resolved without an ACK')),
          (err: unknown) => resolve(err),
        );
      });
    });
    const r = await runSipp({ scenario: scenario('no_ack.xml'), remote: addressOf(server, 'udp'), calls: 1, traceMessages: true });
    expectAllCallsSucceeded(r, 1); // SIPp got the BYE and answered it
    const err = await outcome;
    expect(err).toBeInstanceOf(SipError);
    expect((err as SipError).status).toBe(408);
    const trace = parseMessageTrace(r.messages).filter((m) => m.direction === 'received');
    const oks = trace.filter((m) => m.startLine.startsWith('SIP/2.0 200') && /^CSeq:\s*1 INVITE/im.test(m.text));
    const expected = timerGSends(T1, T2, 64 * T1); // 1 + retransmissions at 50, 150, 350, 750, 1150 ... 3150 ms = 11
    expect(expected).toBe(11);
    expect(Math.abs(oks.length - expected), `SIPp received ${oks.length} 200 OK, Timer G says ${expected}`).toBeLessThanOrEqual(1);
    expect(trace.filter((m) => m.startLine.startsWith('BYE '))).toHaveLength(1);
    expect(server.stack.dialogs.size).toBe(0);
  });

  it('INFO with application/dtmf-relay reaches dialog.on("info") as Signal=5, and SIPp gets its 200', async () => {
    const server = await startServer();
    const infos: Array<{ contentType: string | undefined; signal: string | undefined; duration: string | undefined }> = [];
    const answered = answerOne(server, (dialog) =>
      dialog.on('info', (req, res) => {
        const body = req.body.toString('utf8');
        infos.push({ contentType: req.headers.get('content-type'), signal: /^Signal=(.+?)\s*$/m.exec(body)?.[1], duration: /^Duration=(\d+)/m.exec(body)?.[1] });
        res.send(200);
      }),
    );
    const r = await runSipp({ scenario: scenario('info_dtmf.xml'), remote: addressOf(server, 'udp'), calls: 1 });
    expectAllCallsSucceeded(r, 1);
    await answered;
    expect(infos).toEqual([{ contentType: 'application/dtmf-relay', signal: '5', duration: '160' }]);
    expect(server.stack.dialogs.size).toBe(0);
  });

  it('hold and resume: both re-INVITE offers reach dialog.on("modify"), the app\'s answers reach SIPp, and SIPp ACKs each 200', async () => {
    const server = await startServer({ timers: { T1: 50, T2: 400 } });
    const offers: string[] = [];
    let dialogRef: Dialog | undefined;
    const answered = answerOne(server, (dialog) => {
      dialogRef = dialog;
      dialog.on('modify', (req, res) => {
        const offer = req.body.toString('utf8');
        offers.push(offer);
        const hold = /^a=sendonly\s*$/m.test(offer);
        res.send(200, 'OK', { body: sdp(hold ? 'recvonly' : 'sendrecv'), contentType: 'application/sdp' });
      });
    });
    const r = await runSipp({ scenario: scenario('reinvite_hold.xml'), remote: addressOf(server, 'udp'), calls: 1 });
    expectAllCallsSucceeded(r, 1); // SIPp checked a=recvonly, then a=sendrecv, in the answers
    await answered;
    expect(offers).toHaveLength(2);
    expect(offers[0]).toMatch(/^a=sendonly\r?$/m);
    expect(offers[1]).toMatch(/^a=sendrecv\r?$/m);
    expect(dialogRef?.remote.sdp).toMatch(/^a=sendrecv\r?$/m);
    expect(dialogRef?.local.sdp).toMatch(/^a=sendrecv\r?$/m);
    // Each 200 was ACKed: with T1 = 50 ms, a missing ACK would have shown as 2xx retransmissions by now.
    expect(server.stack.transactions.counters.retransmissions).toBe(0);
    expect(server.stack.dialogs.size).toBe(0);
  });

  it('REFER: dialog.on("refer") answers 202 and reports the outcome with NOTIFY (Event: refer, message/sipfrag), which SIPp answers 200', async () => {
    const server = await startServer();
    const referTo: Array<string | undefined> = [];
    let notified: Promise<number> | undefined;
    const answered = answerOne(server, (dialog) =>
      dialog.on('refer', (req, res) => {
        referTo.push(req.headers.get('refer-to'));
        res.send(202, 'Accepted');
        notified = dialog.notifyRefer(200, 'OK').then((response) => response.status);
      }),
    );
    const r = await runSipp({ scenario: scenario('refer.xml'), remote: addressOf(server, 'udp'), calls: 1 });
    expectAllCallsSucceeded(r, 1); // SIPp checked Event, Content-Type and the sipfrag body
    await answered;
    expect(referTo).toEqual(['<sip:l2@127.0.0.1>']);
    expect(notified).toBeDefined();
    expect(await notified).toBe(200);
    expect(server.stack.dialogs.size).toBe(0);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`OPTIONS keep-alives over ${transport.toUpperCase()} get 200 with Allow`, async () => {
      const server = await startServer();
      const r = await runSipp({ scenario: scenario('options.xml'), remote: addressOf(server, transport), transport: transport === 'tcp' ? 't1' : 'u1', calls: 5, rate: 50 });
      expectAllCallsSucceeded(r, 5); // SIPp checked that Allow lists INVITE and BYE
      expect(server.stack.counters.requestsIn.OPTIONS).toBe(5);
    });
  }

  // Known bug (see the report): stack.ts keeps every answered INVITE in its `pending` map forever
  // (removed only on CANCEL, Timer H or a transport error): ~8 KB of heap per call, never freed.
  it('answered calls leave nothing behind once their transactions have ended (no memory growth per call)', async () => {
    const T1 = 50; // Timers L and J (64·T1) end every transaction 3.2 s after its call
    const server = await startServer({ timers: { T1, T2: 400, T4: 500 } });
    let answered = 0; // count only: keeping the dialogs would keep their memory
    server.invite((req, res) => {
      server.createUAS(req, res, { localSdp: sdp() }).then(
        () => answered++,
        () => undefined,
      );
    });
    const remote = addressOf(server, 'udp');
    const drained = async (): Promise<number> => {
      await until(() => server.stack.transactions.size.server + server.stack.transactions.size.client === 0, 20_000);
      collectGarbage();
      return process.memoryUsage().heapUsed;
    };
    expectAllCallsSucceeded(await runSipp({ scenario: { builtin: 'uac' }, remote, calls: 200, rate: 400 }), 200); // warm-up
    const before = await drained();
    const calls = 2000;
    expectAllCallsSucceeded(await runSipp({ scenario: { builtin: 'uac' }, remote, calls, rate: 500, limit: 200 }), calls);
    const after = await drained();
    expect(server.stack.transactions.size).toEqual({ server: 0, client: 0 });
    expect(server.stack.dialogs.size).toBe(0);
    expect(answered).toBe(200 + calls);
    const perCall = (after - before) / calls;
    // A leak of a request and its transaction per call is ~8 KB; allow 1 KB for heap noise.
    expect(perCall, `heap grew by ${Math.round(perCall)} bytes per finished call`).toBeLessThan(1024);
  }, 60_000);

  // Known bug (see the report): SipServer.close() awaits each dialog's BYE in turn; when the peer is
  // gone, every BYE waits for Timer F (64·T1), so shutdown takes dialogs × 64·T1 instead of 64·T1.
  it('close() with calls to a peer that has vanished hangs up all of them at once, not one after another', async () => {
    const T1 = 50;
    const server = await startServer({ timers: { T1, T2: 400 } });
    const sipp = await startSipp({ scenario: { builtin: 'uas' }, calls: 3, timeoutMs: 15_000 });
    await waitForUdpListener(sipp.port);
    for (let i = 0; i < 3; i++) await server.createUAC(`sip:service@127.0.0.1:${sipp.port}`, { localSdp: sdp() });
    expect(server.stack.dialogs.size).toBe(3);
    await sipp.kill();
    const t0 = performance.now();
    await server.close();
    const ms = performance.now() - t0;
    expect(server.stack.dialogs.size).toBe(0);
    // Each unanswered BYE gives up after Timer F = 64·T1 = 3.2 s; in parallel that is ~3.2 s in all, in turn 9.6 s.
    expect(ms).toBeLessThan(64 * T1 + 1_500);
  }, 30_000);
});
