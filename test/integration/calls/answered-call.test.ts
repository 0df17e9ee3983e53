/**
 * E2E scenario 1 — the whole call path with real peers: a SIPp subscriber dials
 * the hotline (pcap audio + RFC 4733 keys), presses 1 for internet, types a
 * contract number, and waits in internet-l1 while the only skilled operator
 * (baresip, registered with digest credentials, auto-answer) is on a break. The
 * operator dials *3 (ready); the call is offered, answered and bridged; the
 * operator holds and resumes (re-INVITE); audio crosses both ways; the caller hangs up. The CDR, the stereo recording and
 * /metrics all show the call.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../support/wav.ts';
import { Baresip } from '../sip/baresip/harness.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../sip/sipp.ts';
import { DEMO_PASSWORD, startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveTools = sippVersion() !== undefined && existsSync('/usr/bin/baresip');
if (process.env['CI'] === 'true' && !haveTools) throw new Error('SIPp and baresip are required in CI (.ci/run installs sip-tester and baresip-core)');

describe.runIf(haveTools)('a subscriber reaches an operator through the demo flow (SIPp caller, baresip operator)', () => {
  let hot: Hotline;
  let phone: Baresip;
  let scratch: string;

  beforeAll(async () => {
    hot = await startHotline();
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-caller-'));
    phone = await Baresip.start({ sndfile: true, callSeconds: 90, sipTrace: process.env["E2E_SIP_TRACE"] === "1" });
    await phone.addAccount({ user: 'anna.smirnova', password: DEMO_PASSWORD, registrar: { host: '127.0.0.1', port: hot.sipPort }, regint: 600, answermode: 'auto' });
    await phone.waitEvent('REGISTER_OK', { timeoutMs: 10_000 });
    // The operator dials *2 from the softphone: logged in, on a break. The caller will have to wait.
    await featureCode('*2', 'break');
    expect(hot.server.acd.acd.agentView('anna.smirnova')).toMatchObject({ state: 'not-ready', reason: 'break' });
  }, 30_000);

  /** Dial a feature code from the operator's softphone; hotline answers, says the new state, hangs up. */
  async function featureCode(code: string, action: string): Promise<void> {
    const since = phone.mark();
    await phone.dial(`sip:${code}@127.0.0.1:${hot.sipPort}`);
    await hot.waitEvent((e) => e.type === 'feature-code' && e['action'] === action && e.at >= Date.now() - 10_000, 10_000, `feature code ${code}`);
    await phone.waitEvent('CALL_CLOSED', { since, timeoutMs: 10_000 });
  }

  afterAll(async () => {
    await phone?.stop();
    await stopAllSipp();
    await hot?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 40_000);

  it('queues, connects when the operator is ready, records, and writes the CDR', async () => {
    const scenario = writeCallerScenario(scratch, { service: '8800', from: '79161234567', keys: ['1', 600, '123456#'], firstKeyDelayMs: 800, hangup: 'caller', talkSeconds: 24 });
    const caller = await startSipp({ scenario: { file: scenario }, remote: hot.sipAddress, calls: 1, timeoutMs: 60_000 });

    const queued = await hot.waitEvent((e) => e.type === 'queued', 20_000, 'the caller to be queued');
    expect(queued['queue']).toBe('internet-l1');
    const callId = queued.callId;
    // Waiting with music while the operator is on a break.
    await hot.waitEvent((e) => e.callId === callId && e.type === 'music');

    // *3: ready. The waiting caller is offered at once and the softphone answers by itself.
    const sinceReady = phone.mark();
    await featureCode('*3', 'ready');
    await phone.waitEvent('CALL_ESTABLISHED', { since: sinceReady, timeoutMs: 10_000, filter: (e) => String(e.peeruri ?? '').includes('79161234567') });
    const connected = await hot.waitEvent((e) => e.callId === callId && e.type === 'connected');
    expect(connected['agentId']).toBe('anna.smirnova');

    // The operator puts the caller on hold from the softphone (re-INVITE sendonly): music, hold time.
    await new Promise((r) => setTimeout(r, 3_000));
    const aor = Baresip.aor({ user: 'anna.smirnova', registrar: { host: '127.0.0.1', port: hot.sipPort } });
    await phone.hold(aor);
    await hot.waitEvent((e) => e.callId === callId && e.type === 'hold', 5_000, 'hold');
    await new Promise((r) => setTimeout(r, 2_000));
    await phone.resume(aor);
    await hot.waitEvent((e) => e.callId === callId && e.type === 'resume', 5_000, 'resume');

    const result = await caller.done;
    expect(result.code, describeRun(result)).toBe(0);

    const cdr = await hot.waitCdr((r) => r.callId === callId, 30_000);
    expect(cdr).toMatchObject({ caller: '79161234567', number: '8800', queue: 'internet-l1', agentId: 'anna.smirnova', disposition: 'answered', hungUpBy: 'caller' });
    expect(cdr.variables['contract']).toBe('123456');
    expect(cdr.waitMs).toBeGreaterThan(0);
    expect(cdr.talkMs).toBeGreaterThan(3_000);
    expect(cdr.holdMs).toBeGreaterThanOrEqual(1_500);
    expect(cdr.holdMs).toBeLessThan(cdr.talkMs);
    expect(cdr.wrapUpMs, 'the CDR is written after the operator wrap-up').toBeGreaterThanOrEqual(0);
    for (const t of [cdr.arrivedAt, cdr.ivrAnsweredAt, cdr.queuedAt, cdr.offeredAt, cdr.connectedAt, cdr.endedAt]) expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(cdr.legs.map((l) => l.role)).toEqual(['caller', 'operator']);

    // The recording: stereo, the caller (left) and the operator (right) both audible.
    expect(cdr.recording).toBeDefined();
    const wav = readWav(readFileSync(cdr.recording!.path));
    expect(wav.channels).toBe(2);
    const [left, right] = channelLevels(wav);
    expect(left, 'caller channel').toBeGreaterThan(200);
    expect(right, 'operator channel').toBeGreaterThan(200);

    // The operator's softphone heard the caller (baresip's received-audio dump is not silent).
    await phone.waitEvent('CALL_CLOSED', { since: sinceReady, timeoutMs: 10_000, filter: (e) => String(e.peeruri ?? '').includes('79161234567') });
    const heard = readdirSync(phone.sndPath).filter((f) => f.endsWith('-dec.wav'));
    expect(heard.length).toBeGreaterThan(0);
    const dec = readWav(readFileSync(join(phone.sndPath, heard[heard.length - 1]!)));
    expect(rms(dec.samples)).toBeGreaterThan(200);

    const metrics = await hot.metrics();
    expect(metrics).toMatch(/hotline_calls_total\{disposition="answered"\} 1/);
    expect(metrics).toMatch(/hotline_queue_answered_total\{queue="internet-l1"\} 1/);
    expect(metrics).toMatch(/hotline_queue_wait_seconds_count\{queue="internet-l1"[^}]*\} 1/);
  }, 90_000);
});

function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

function channelLevels(wav: { samples: ArrayLike<number>; channels: number }): [number, number] {
  const l: number[] = [];
  const r: number[] = [];
  for (let i = 0; i + 1 < wav.samples.length; i += 2) {
    l.push(wav.samples[i] as number);
    r.push(wav.samples[i + 1] as number);
  }
  return [rms(l), rms(r)];
}
