/**
 * E2E scenario 5 — editing a flow while calls run: a valid change applies to
 * new calls at once while a call in progress finishes on the version it
 * started with; an invalid change is refused (the error names the file, node
 * and field) and the previous version keeps answering calls.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedFlow } from '../../../src/ivr/flow.ts';
import type { FlowError } from '../../../src/ivr/errors.ts';
import { describeRun, sippVersion, startSipp, stopAllSipp } from '../sip/sipp.ts';
import { startHotline, type Hotline } from './hotline.ts';
import { writeCallerScenario } from './peers/caller.ts';

const haveSipp = sippVersion() !== undefined;
if (process.env['CI'] === 'true' && !haveSipp) throw new Error('SIPp is required in CI (.ci/run installs sip-tester)');

describe.runIf(haveSipp)('flow files edited while the hotline runs', () => {
  let hot: Hotline;
  let scratch: string;

  beforeAll(async () => {
    hot = await startHotline();
    scratch = mkdtempSync(join(tmpdir(), 'hotline-e2e-reload-'));
  }, 30_000);

  afterAll(async () => {
    await stopAllSipp();
    await hot?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  const call = async (name: string, talkSeconds: number) => {
    const dir = join(scratch, name);
    const file = writeCallerScenario(mkdtempSync(`${dir}-`), { service: '8800', from: name, hangup: 'caller', talkSeconds, voice: false });
    return startSipp({ scenario: { file }, remote: hot.sipAddress, calls: 1, timeoutMs: 40_000 });
  };

  it('applies a valid change to new calls only, and refuses an invalid one', async () => {
    const flowFile = join(hot.flowsDir, 'isp-hotline.yaml');
    const original = hot.server.flows.get('isp-hotline')!;

    const first = await call('first', 10);
    const firstStarted = await hot.waitEvent((e) => e.type === 'call-started' && e['caller'] === 'first');
    expect(firstStarted['version']).toBe(original.hash.slice(0, 12));

    // A valid edit: the greeting now also says "please hold".
    const updated = new Promise<LoadedFlow>((resolve) => hot.server.flows.once('updated', (flow) => resolve(flow)));
    const text = readFileSync(flowFile, 'utf8');
    const flow = JSON.parse(text) as { nodes: Record<string, { prompts?: string[] }> };
    flow.nodes['greeting']!.prompts = ['greeting', 'please-hold'];
    writeFileSync(flowFile, JSON.stringify(flow, null, 2));
    const v2 = await updated;
    expect(v2.hash).not.toBe(original.hash);

    // An invalid edit: the menu's "1" leads nowhere. Refused; version 2 stays.
    const rejected = new Promise<FlowError>((resolve) => hot.server.flows.once('rejected', (err) => resolve(err)));
    (flow.nodes['main-menu'] as unknown as { choices: Record<string, string> }).choices['1'] = 'intrenet';
    writeFileSync(flowFile, JSON.stringify(flow, null, 2));
    const error = await rejected;
    expect(error.message).toMatch(/isp-hotline\.yaml: node "main-menu", field choices\.1: .*"intrenet" does not exist/);
    expect(hot.logs.some((l) => l['level'] === 50 && String(l['msg']).length > 0 && JSON.stringify(l).includes('intrenet'))).toBe(true);
    expect(hot.server.flows.get('isp-hotline')?.hash).toBe(v2.hash);

    const second = await call('second', 3);
    const secondStarted = await hot.waitEvent((e) => e.type === 'call-started' && e['caller'] === 'second');
    expect(secondStarted['version']).toBe(v2.hash.slice(0, 12));
    const secondResult = await second.done;
    expect(secondResult.code, describeRun(secondResult)).toBe(0);
    // The new version's greeting: both prompts.
    expect(hot.events.find((e) => e.callId === secondStarted.callId && e.type === 'prompt')?.['prompts']).toEqual(['greeting', 'please-hold']);

    const firstResult = await first.done;
    expect(firstResult.code, describeRun(firstResult)).toBe(0);
    const firstCdr = await hot.waitCdr((r) => r.callId === firstStarted.callId);
    const secondCdr = await hot.waitCdr((r) => r.callId === secondStarted.callId);
    // The call in progress finished on the version it started with.
    expect(firstCdr.flow).toEqual({ id: 'isp-hotline', hash: original.hash });
    expect(secondCdr.flow).toEqual({ id: 'isp-hotline', hash: v2.hash });
    expect(hot.events.find((e) => e.callId === firstStarted.callId && e.type === 'prompt')?.['prompts']).toEqual(['greeting']);
  }, 90_000);
});
