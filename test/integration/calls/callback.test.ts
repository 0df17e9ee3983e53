/**
 * E2E: a caller waiting in internet-l1 presses * ("to be called back, press star"), keeps
 * their place in line as a callback and hangs up... the callback request is confirmed and
 * the call ends. When an operator logs in, their softphone rings first; on answer hotline
 * dials the subscriber (a SIPp UAS standing in for the outside line at `calls.transferDomain`)
 * and bridges the two.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip, freePort } from '../sip/baresip/harness.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp, type SippProcess } from '../sip/sipp.ts';
import { DEMO_PASSWORD, startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveTools = sippVersion() !== undefined && existsSync('/usr/bin/baresip');
if (process.env['CI'] === 'true' && !haveTools) throw new Error('SIPp and baresip are required in CI (.ci/run installs sip-tester and baresip-core)');

describe.runIf(haveTools)('callers leaving the contact center: blind transfer out, callback requests', () => {
  let hot: Hotline;
  let phone: Baresip;
  let subscriber: SippProcess;
  let scratch: string;

  beforeAll(async () => {
    const outsidePort = await freePort();
    // The "outside line": whoever answers sip:<number>@127.0.0.1:<port>.
    // Two calls reach it: the external transfer, then the callback.
    subscriber = await startSipp({ scenario: { builtin: 'uas' }, port: outsidePort, calls: 2, timeoutMs: 180_000 });
    hot = await startHotline({ editConfig: (c) => ({ ...c, calls: { ...c.calls, transferDomain: `127.0.0.1:${outsidePort}` } }) });
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-callback-'));
    phone = await Baresip.start({ callSeconds: 60 });
    await phone.addAccount({ user: 'dmitry.ivanov', password: DEMO_PASSWORD, registrar: { host: '127.0.0.1', port: hot.sipPort }, regint: 600, answermode: 'auto' });
    await phone.waitEvent('REGISTER_OK', { timeoutMs: 10_000 });
  }, 40_000);

  afterAll(async () => {
    await phone?.stop();
    await stopAllSipp();
    await hot?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 40_000);

  it('an operator transfers the caller out to a number with REFER: hotline dials it and bridges', async () => {
    const opAor = Baresip.aor({ user: 'dmitry.ivanov', registrar: { host: '127.0.0.1', port: hot.sipPort } });
    hot.server.acd.run((a) => a.login('dmitry.ivanov'));
    const file = writeCallerScenario(mkdtempSync(join(scratch, 'out-')), { service: '8800', from: '79160000009', keys: ['1', 600, '5550009#'], firstKeyDelayMs: 800, hangup: 'caller', talkSeconds: 14, voice: true });
    const caller = await startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 90_000 });
    const started = await hot.waitEvent((e) => e.type === 'call-started' && e['caller'] === '79160000009', 20_000);
    const callId = started.callId;
    await hot.waitEvent((e) => e.callId === callId && e.type === 'connected', 30_000, 'the call to reach Dmitry');
    await new Promise((r) => setTimeout(r, 1_000));
    await phone.transfer(`sip:79991234567@127.0.0.1:${hot.sipPort}`, opAor);
    const answered = await hot.waitEvent((e) => e.callId === callId && e.type === 'transfer-answered', 15_000, 'the outside number to answer');
    expect(String(answered['uri'])).toMatch(/^sip:79991234567@127\.0\.0\.1:\d+$/);
    const result = await caller.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr.transfers).toEqual([expect.objectContaining({ by: 'operator-refer', agentId: 'dmitry.ivanov', kind: 'external' })]);
    expect(cdr.legs.map((l) => l.role)).toEqual(['caller', 'operator', 'transfer-target']);
    expect(cdr.legs[2]).toMatchObject({ status: 200 });
    expect(await hot.metrics()).toMatch(/hotline_transfers_total\{kind="external"\} 1/);
    // Dmitry is free again for the callback test.
    for (let i = 0; i < 50 && hot.server.acd.acd.agentView('dmitry.ivanov').state !== 'available'; i++) await new Promise((r) => setTimeout(r, 200));
    hot.server.acd.run((a) => a.pause('dmitry.ivanov', 'other'));
    hot.server.acd.run((a) => a.logout('dmitry.ivanov'));
  }, 120_000);

  it('keeps the place in line as a callback, and rings the operator before dialling the subscriber', async () => {
    const file = writeCallerScenario(scratch, { service: '8800', from: '79160000007', keys: ['1', 600, '5550007#', 9_000, '*'], firstKeyDelayMs: 800, hangup: 'server', talkSeconds: 40, voice: false });
    const caller = await startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 90_000 });
    const started = await hot.waitEvent((e) => e.type === 'call-started' && e['caller'] === '79160000007', 20_000);
    const callId = started.callId;
    const queued = await hot.waitEvent((e) => e.callId === callId && e.type === 'queued', 30_000);
    await hot.waitEvent((e) => e.callId === callId && e.type === 'queue-left', 30_000, 'the caller to press *');
    const accepted = await hot.waitEvent((e) => e.callId === callId && e.type === 'callback', 15_000);
    expect(accepted).toMatchObject({ accepted: true, registered: true, number: '79160000007' });
    const result = await caller.done; // confirmation, goodbye, and hotline hangs up
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId);
    expect(cdr).toMatchObject({ disposition: 'callback', callbackNumber: '79160000007', queue: 'internet-l1' });

    // The request waits in internet-l1 with the caller's original enqueue time.
    const cb = hot.server.acd.acd.contactView(`${callId}#1`);
    expect(cb).toMatchObject({ kind: 'callback', queueId: 'internet-l1', state: 'waiting' });
    expect(Math.abs(cb!.enqueuedAt - queued.at)).toBeLessThan(1_000);

    // An operator logs in: their phone rings first, then the subscriber's.
    const since = phone.mark();
    hot.server.acd.run((a) => a.login('dmitry.ivanov'));
    await phone.waitEvent('CALL_ESTABLISHED', { since, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 3_000));
    await phone.hangup(Baresip.aor({ user: 'dmitry.ivanov', registrar: { host: '127.0.0.1', port: hot.sipPort } }));
    const done = await hot.waitEvent((e) => e.type === 'callback-done', 15_000);
    expect(done).toMatchObject({ agentId: 'dmitry.ivanov', number: '79160000007' });
    const outside = await subscriber.done;
    expect(outside.code, describeRun(outside)).toBe(0);
    expect(hot.server.acd.acd.hasContact(`${callId}#1`)).toBe(false);
    expect(await hot.metrics()).toMatch(/hotline_queue_callbacks_requested_total\{queue="internet-l1"\} 1/);
  }, 120_000);
});
