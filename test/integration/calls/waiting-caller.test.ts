/**
 * E2E scenarios 2 and 6 — a caller waiting in internet-l1 with nobody free:
 * position and estimated-wait announcements are played between the hold music
 * (seen as prompt playbacks in the call's events), and when the caller hangs up
 * the call is an abandon with the right wait, counted in the service-level
 * statistics as the queue's definition (asterisk-sl) says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../sip/sipp.ts';
import { startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveSipp = sippVersion() !== undefined;
if (process.env['CI'] === 'true' && !haveSipp) throw new Error('SIPp is required in CI (.ci/run installs sip-tester)');

describe.runIf(haveSipp)('a caller who waits and gives up', () => {
  let hot: Hotline;
  let scratch: string;

  beforeAll(async () => {
    hot = await startHotline({
      // Announce every 4 s so a short test hears several announcements.
      editFlow: (flow) => Object.assign((flow['nodes'] as Record<string, Record<string, unknown>>)['internet-queue']!, { announceEvery: 4 }),
    });
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-wait-'));
    // One internet operator, logged in but on a break: the queue is staffed, nobody is free.
    hot.server.acd.run((acd) => acd.login('dmitry.ivanov', 'break'));
  }, 30_000);

  afterAll(async () => {
    await stopAllSipp();
    await hot?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  it('hears its position and the estimated wait, then abandons with the right wait', async () => {
    const scenario = writeCallerScenario(scratch, { service: '88002000600', from: '79035550101', keys: ['1', 600, '7654321#'], firstKeyDelayMs: 800, hangup: 'caller', talkSeconds: 30, voice: false });
    const caller = await startSipp({ scenario: { file: scenario }, remote: hot.sipAddress, calls: 1, timeoutMs: 60_000 });
    const queued = await hot.waitEvent((e) => e.type === 'queued', 30_000, 'the caller to be queued');
    const callId = queued.callId;

    const announcement = await hot.waitEvent((e) => e.callId === callId && e.type === 'announcement', 10_000, 'an announcement');
    expect(announcement['position']).toBe(1);
    const spoken = hot.events.filter((e) => e.callId === callId && e.type === 'prompt').flatMap((e) => e['prompts'] as string[]);
    expect(spoken).toEqual(expect.arrayContaining(['your-position', 'number-1', 'thank-you-for-waiting']));
    if (announcement['ewtSeconds'] !== null) expect(spoken).toContain('estimated-wait');

    const result = await caller.done;
    expect(result.code, describeRun(result)).toBe(0);
    const ended = await hot.waitEvent((e) => e.callId === callId && e.type === 'call-ended');
    const cdr = await hot.waitCdr((r) => r.callId === callId);
    expect(cdr).toMatchObject({ disposition: 'abandoned', queue: 'internet-l1', hungUpBy: 'caller', number: '88002000600' });
    expect(cdr.agentId).toBeUndefined();
    expect(cdr.variables['contract']).toBe('7654321');
    // The wait runs from entering the queue to the hang-up.
    const expectedWait = ended.at - queued.at;
    expect(Math.abs((cdr.waitMs ?? -1) - expectedWait)).toBeLessThan(1_000);
    const announcements = hot.events.filter((e) => e.callId === callId && e.type === 'announcement').length;
    // 4 s of music, then an announcement of several seconds, again and again over ~25 s of waiting.
    expect(announcements, 'announcements repeat while the caller waits').toBeGreaterThanOrEqual(2);

    const metrics = await hot.metrics();
    expect(metrics).toMatch(/hotline_queue_abandoned_total\{queue="internet-l1"\} 1/);
    // Longer than the 5 s short-abandon threshold: a real abandon, which counts against the SL.
    expect(metrics).toMatch(/hotline_queue_short_abandoned_total\{queue="internet-l1"\} 0/);
    expect(metrics).toMatch(/hotline_queue_wait_seconds_count\{queue="internet-l1",outcome="abandoned"\} 1/);
    expect(metrics).toMatch(/hotline_queue_answered_total\{queue="internet-l1"\} 0/);
    // The queue's definition, asterisk-sl (answered within 20 s / answered), leaves abandons out:
    // with nothing answered it has no value yet. The definitions that count abandons say 0 / 1.
    const sl = (definition: string): RegExp => new RegExp(`hotline_queue_service_level_by_definition_ratio\\{queue="internet-l1",window="15m",definition="${definition}"\\} (\\S+)`);
    expect(metrics).not.toMatch(sl('asterisk-sl'));
    expect(metrics.match(sl('asterisk-sl2'))?.[1]).toBe('0');
    expect(metrics.match(sl('offered-excluding-short-abandons'))?.[1]).toBe('0');
    expect(metrics).toMatch(/hotline_calls_total\{disposition="abandoned"\} 1/);
  }, 90_000);
});

