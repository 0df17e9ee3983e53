/**
 * E2E scenarios 3 and 4 — operators who do not take the call, and a blind
 * transfer from line 1 to line 2. Operators are real softphones (baresip, one
 * process, one account each, registered with digest credentials); callers are
 * SIPp subscribers going through the demo flow to internet-l1.
 *
 * 3. An operator who lets it ring (ring timeout → CANCEL) or rejects it (486):
 *    the caller is offered to the next operator and keeps their place; after
 *    max-no-answer (1 here) the first operator is Not ready (missed-calls).
 * 4. The operator on line 1 transfers the caller with REFER to code 2 (line 2,
 *    l2-engineers): the caller re-enters the ACD with a higher priority and the
 *    original enqueue time, and a line-2 engineer answers.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QueueConfig } from '../../../src/acd/types.ts';
import { Baresip } from '../sip/baresip/harness.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../sip/sipp.ts';
import { DEMO_PASSWORD, startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveTools = sippVersion() !== undefined && existsSync('/usr/bin/baresip');
if (process.env['CI'] === 'true' && !haveTools) throw new Error('SIPp and baresip are required in CI (.ci/run installs sip-tester and baresip-core)');

const OPERATORS = ['anna.smirnova', 'dmitry.ivanov', 'olga.vasilyeva'] as const;

describe.runIf(haveTools)('operators who miss calls, and transfers (baresip operators)', () => {
  let hot: Hotline;
  let phone: Baresip;
  let scratch: string;
  const aor = (user: string): string => Baresip.aor({ user, registrar: { host: '127.0.0.1', port: hot.sipPort } });

  beforeAll(async () => {
    hot = await startHotline({
      // A patient survey: the caller's key comes on a fixed schedule, some seconds after the operator hangs up.
      editFlow: (flow) => Object.assign((flow['nodes'] as Record<string, Record<string, unknown>>)['survey']!, { timeout: 20 }),
      editConfig: (c) => ({
        ...c,
        // Short rings; one missed offer sets an operator Not ready; no second offer to them soon.
        // Wrap-up of 1 s: the CDR is written when the operator's wrap-up ends.
        queues: c.queues.map((q): QueueConfig => (q.id === 'internet-l1' ? { ...q, ringTimeoutSeconds: 4, maxNoAnswer: 1, retrySeconds: 60, wrapUpSeconds: 1 } : { ...q, wrapUpSeconds: 1 })),
      }),
    });
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-ops-'));
    phone = await Baresip.start({ callSeconds: 120 });
    for (const user of OPERATORS) {
      const since = phone.mark();
      await phone.addAccount({ user, password: DEMO_PASSWORD, registrar: { host: '127.0.0.1', port: hot.sipPort }, regint: 600, answermode: 'auto' });
      await phone.waitEvent('REGISTER_OK', { since, timeoutMs: 10_000, filter: (e) => String(e.accountaor ?? '').includes(user) });
    }
  }, 60_000);

  afterEach(async () => {
    await stopAllSipp();
    await phone.hangupAll().catch(() => undefined);
    for (const id of hot.server.acd.acd.agentIds()) {
      if (hot.server.acd.acd.agentView(id).state === 'wrap-up') hot.server.acd.run((a) => a.ready(id));
      const s = hot.server.acd.acd.agentView(id).state;
      if (s === 'available' || s === 'not-ready') {
        if (s === 'available') hot.server.acd.run((a) => a.pause(id, 'other'));
        hot.server.acd.run((a) => a.logout(id));
      }
    }
  }, 30_000);

  afterAll(async () => {
    await phone?.stop();
    await stopAllSipp();
    await hot?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 40_000);

  const callInternet = async (name: string, talkSeconds: number) => {
    const file = writeCallerScenario(mkdtempSync(join(scratch, `${name}-`)), { service: '8800', from: name, keys: ['1', 600, '5550001#'], firstKeyDelayMs: 800, hangup: 'caller', talkSeconds, voice: true });
    const sipp = await startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 90_000 });
    const queued = await hot.waitEvent((e) => e.type === 'queued' && hot.events.some((s) => s.callId === e.callId && s.type === 'call-started' && s['caller'] === name), 30_000, `${name} to be queued`);
    return { sipp, callId: queued.callId };
  };

  it('rings the next operator when the first lets it ring; the first is then Not ready', async () => {
    await phone.setAnswerMode(aor('anna.smirnova'), 'manual');
    // Anna has been idle longest: the queue (longest-idle) offers to her first.
    hot.server.acd.run((a) => a.login('anna.smirnova'));
    await new Promise((r) => setTimeout(r, 50));
    hot.server.acd.run((a) => a.login('dmitry.ivanov'));

    const { sipp, callId } = await callInternet('79160000003', 14);
    const connected = await hot.waitEvent((e) => e.callId === callId && e.type === 'connected', 30_000, 'the call to reach Dmitry');
    expect(connected['agentId']).toBe('dmitry.ivanov');
    expect(hot.server.acd.acd.agentView('anna.smirnova')).toMatchObject({ state: 'not-ready', reason: 'missed-calls' });

    const result = await sipp.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr.offers.map((o) => [o.agentId, o.outcome])).toEqual([
      ['anna.smirnova', 'no-answer'],
      ['dmitry.ivanov', 'answered'],
    ]);
    expect(cdr).toMatchObject({ disposition: 'answered', agentId: 'dmitry.ivanov' });
    // The wait runs from the original enqueue time, through the missed ring.
    expect(cdr.waitMs).toBeGreaterThanOrEqual(4_000);
    const metrics = await hot.metrics();
    expect(metrics).toMatch(/hotline_queue_offers_total\{queue="internet-l1",result="no-answer"\} 1/);
  }, 120_000);

  it('keeps the caller waiting in place when the only operator rejects with 486, until another is ready', async () => {
    await phone.setAnswerMode(aor('anna.smirnova'), 'manual');
    hot.server.acd.run((a) => a.login('anna.smirnova'));
    const since = phone.mark();
    const { sipp, callId } = await callInternet('79160000004', 10);
    await phone.waitEvent('CALL_INCOMING', { since, timeoutMs: 15_000 });
    await phone.hangup(aor('anna.smirnova')); // a ringing call: baresip answers 486
    await hot.waitEvent((e) => e.callId === callId && e.type === 'music' && e.at > Date.now() - 2_000, 10_000, 'music again after the rejection');
    expect(hot.server.acd.acd.agentView('anna.smirnova')).toMatchObject({ state: 'not-ready', reason: 'missed-calls' });
    expect(hot.server.acd.acd.contactView(`${callId}#1`)).toMatchObject({ state: 'waiting', queueId: 'internet-l1' });

    hot.server.acd.run((a) => a.login('dmitry.ivanov'));
    const connected = await hot.waitEvent((e) => e.callId === callId && e.type === 'connected', 15_000);
    expect(connected['agentId']).toBe('dmitry.ivanov');
    const result = await sipp.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr.offers[0]).toMatchObject({ agentId: 'anna.smirnova', outcome: 'rejected', status: 486 });
    expect(cdr.offers[1]).toMatchObject({ agentId: 'dmitry.ivanov', outcome: 'answered' });
  }, 120_000);

  it('blind transfer with REFER from line 1 to line 2: a line-2 engineer answers', async () => {
    await phone.setAnswerMode(aor('anna.smirnova'), 'auto');
    hot.server.acd.run((a) => a.login('anna.smirnova'));
    hot.server.acd.run((a) => a.login('olga.vasilyeva'));
    const { sipp, callId } = await callInternet('79160000005', 16);
    await hot.waitEvent((e) => e.callId === callId && e.type === 'connected' && e['agentId'] === 'anna.smirnova', 20_000);
    const before = hot.server.acd.acd.contactView(`${callId}#1`);
    expect(before).toMatchObject({ state: 'connected', queueId: 'internet-l1', priority: 0 });

    await new Promise((r) => setTimeout(r, 1_000));
    const since = phone.mark();
    await phone.transfer(`sip:2@127.0.0.1:${hot.sipPort}`, aor('anna.smirnova'));
    const transferred = await hot.waitEvent((e) => e.callId === callId && e.type === 'transferred', 10_000);
    expect(transferred).toMatchObject({ to: 'l2-engineers', by: 'operator-refer' });
    // Back in the ACD on line 2 with a higher priority and the original enqueue time (for the SLA).
    expect(hot.server.acd.acd.contactView(`${callId}#1`)).toMatchObject({ queueId: 'l2-engineers', priority: 5, enqueuedAt: before!.enqueuedAt });
    // baresip got NOTIFY 200 and hung up its leg.
    await phone.waitEvent('CALL_CLOSED', { since, timeoutMs: 10_000, filter: (e) => String(e.accountaor ?? '').includes('anna.smirnova') });
    const toOlga = await hot.waitEvent((e) => e.callId === callId && e.type === 'connected' && e['agentId'] === 'olga.vasilyeva', 20_000);
    expect(toOlga['queue']).toBe('l2-engineers');

    const result = await sipp.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr.transfers).toEqual([expect.objectContaining({ by: 'operator-refer', agentId: 'anna.smirnova', to: 'l2-engineers', kind: 'queue' })]);
    expect(cdr.legs.filter((l) => l.role === 'operator').map((l) => l.agentId)).toEqual(['anna.smirnova', 'olga.vasilyeva']);
    expect(cdr).toMatchObject({ agentId: 'olga.vasilyeva', disposition: 'answered', queue: 'internet-l1' });
    const metrics = await hot.metrics();
    expect(metrics).toMatch(/hotline_transfers_total\{kind="queue"\} 1/);
    expect(metrics).toMatch(/hotline_queue_answered_total\{queue="l2-engineers"\} 1/);
  }, 120_000);

  it('transfers with ## and a transfer code from a phone without REFER', async () => {
    await phone.setAnswerMode(aor('anna.smirnova'), 'auto');
    hot.server.acd.run((a) => a.login('anna.smirnova'));
    hot.server.acd.run((a) => a.login('olga.vasilyeva'));
    const { sipp, callId } = await callInternet('79160000008', 14);
    await hot.waitEvent((e) => e.callId === callId && e.type === 'connected' && e['agentId'] === 'anna.smirnova', 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await phone.useAccount(aor('anna.smirnova'));
    await phone.mustCommand('sndcode', '##2#'); // RFC 4733 keys from the operator's phone
    const transferred = await hot.waitEvent((e) => e.callId === callId && e.type === 'transferred', 15_000, 'the ## transfer');
    expect(transferred).toMatchObject({ to: 'l2-engineers', by: 'operator-dtmf' });
    await hot.waitEvent((e) => e.callId === callId && e.type === 'connected' && e['agentId'] === 'olga.vasilyeva', 20_000);
    const result = await sipp.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr.transfers).toEqual([expect.objectContaining({ by: 'operator-dtmf', agentId: 'anna.smirnova', to: 'l2-engineers' })]);
  }, 120_000);

  it('asks the caller to rate the call after the operator hangs up, and stores the score', async () => {
    await phone.setAnswerMode(aor('dmitry.ivanov'), 'auto');
    hot.server.acd.run((a) => a.login('dmitry.ivanov'));
    // The caller presses 5 about 20 s after typing the contract number: after the operator has hung up.
    const file = writeCallerScenario(mkdtempSync(join(scratch, 'survey-')), { service: '8800', from: '79160000006', keys: ['1', 600, '5550006#', 20_000, '5'], firstKeyDelayMs: 800, hangup: 'server', talkSeconds: 40, voice: false });
    const sipp = await startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 90_000 });
    const started = await hot.waitEvent((e) => e.type === 'call-started' && e['caller'] === '79160000006', 30_000, 'the survey caller');
    const callId = started.callId;
    await hot.waitEvent((e) => e.callId === callId && e.type === 'connected' && e['agentId'] === 'dmitry.ivanov', 30_000, 'the call to reach Dmitry');
    await new Promise((r) => setTimeout(r, 2_000));
    await phone.hangup(aor('dmitry.ivanov'));
    await hot.waitEvent((e) => e.callId === callId && e.type === 'node' && e['node'] === 'survey', 10_000, 'the survey node');
    const survey = await hot.waitEvent((e) => e.callId === callId && e.type === 'survey', 30_000, 'the rating');
    expect(survey['score']).toBe(5);
    const result = await sipp.done;
    expect(result.code, describeRun(result)).toBe(0);
    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr).toMatchObject({ surveyScore: 5, hungUpBy: 'operator', agentId: 'dmitry.ivanov', disposition: 'answered' });
  }, 120_000);
});
