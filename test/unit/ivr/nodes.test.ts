import { describe, expect, it } from 'vitest';
import type { QueueOutcome } from '../../../src/ivr/context.ts';
import { runFlow } from '../../../src/ivr/interpreter.ts';
import { OutageBoard } from '../../../src/calls/outages.ts';
import { FakeCall, flowOf } from './fake-call.ts';

describe('say', () => {
  const flow = flowOf(`start: say
nodes:
  say: { kind: say, variable: value, gender: f, before: [your-position], after: [in-queue], next: digits }
  digits: { kind: say, variable: code, as: digits, next: bye }
  bye: { kind: hangup }
`);
  const heard = async (vars: Record<string, string | number>): Promise<string[]> => {
    const call = new FakeCall(flow);
    for (const [k, v] of Object.entries(vars)) call.vars.set(k, v);
    await runFlow(call);
    return call.heard;
  };

  it('says a number in words between the before and after prompts', async () => {
    expect(await heard({ value: 21 })).toEqual(['your-position', 'number-20', 'number-1-f', 'in-queue']);
    expect(await heard({ value: '342' })).toEqual(['your-position', 'number-300', 'number-40', 'number-2-f', 'in-queue']);
  });

  it('says digits one by one, leading zeros included', async () => {
    expect(await heard({ code: '0042' })).toEqual(['digit-0', 'digit-0', 'digit-4', 'digit-2']);
  });

  it('says a value that is not a number digit by digit', async () => {
    expect(await heard({ value: '12-34' })).toEqual(['your-position', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'in-queue']);
  });

  it('says nothing at all, not even before/after, when the variable is missing or empty', async () => {
    expect(await heard({})).toEqual([]);
    expect(await heard({ value: '' })).toEqual([]);
  });
});

describe('branch', () => {
  const flow = flowOf(`start: route
nodes:
  route:
    kind: branch
    cases:
      - { if: { variable: tariff, equals: vip }, next: vip }
      - { if: { variable: area, in: [north, south] }, next: regional }
      - { if: { variable: contract, matches: '^9' }, next: nine }
      - { if: { variable: contract, exists: true }, next: known }
      - { if: { variable: tries, equals: 3 }, next: tired }
    default: unknown
  vip: { kind: hangup }
  regional: { kind: hangup }
  nine: { kind: hangup }
  known: { kind: hangup }
  tired: { kind: hangup }
  unknown: { kind: hangup }
`);
  const route = async (vars: Record<string, string | number>): Promise<string> => {
    const call = new FakeCall(flow);
    for (const [k, v] of Object.entries(vars)) call.vars.set(k, v);
    return (await runFlow(call)).at;
  };

  it('takes the first case that holds', async () => {
    expect(await route({ tariff: 'vip', area: 'north' })).toBe('vip');
    expect(await route({ tariff: 'basic', area: 'south' })).toBe('regional');
    expect(await route({ area: 'east', contract: '912345' })).toBe('nine');
    expect(await route({ contract: '123456' })).toBe('known');
  });

  it('compares numbers and text as text (a counter of 3 equals 3)', async () => {
    expect(await route({ tries: 3 })).toBe('tired');
    expect(await route({ tries: '3' })).toBe('tired');
  });

  it('treats an empty variable as not set, and falls to the default', async () => {
    expect(await route({ contract: '' })).toBe('unknown');
    expect(await route({})).toBe('unknown');
  });

  describe('on a schedule', () => {
    const hours = flowOf(`start: hours
schedules:
  office: { timezone: Europe/Moscow, hours: { mon-fri: ["09:00-18:00"] }, holidays: ["2026-03-09"] }
nodes:
  hours:
    kind: branch
    cases:
      - { if: { schedule: office, is: holiday }, next: holiday }
      - { if: { schedule: office, is: closed }, next: night }
    default: open
  holiday: { kind: hangup, prompts: [holiday] }
  night: { kind: hangup, prompts: [closed] }
  open: { kind: hangup, prompts: [welcome] }
`);
    const at = async (iso: string) => (await runFlow(new FakeCall(hours, { now: new Date(iso) }))).at;

    it('opens and closes by the local time of the schedule', async () => {
      expect(await at('2026-03-02T06:00:00Z')).toBe('open'); // 09:00 Moscow, monday
      expect(await at('2026-03-02T05:59:00Z')).toBe('night');
      expect(await at('2026-03-07T10:00:00Z')).toBe('night'); // saturday
      expect(await at('2026-03-09T10:00:00Z')).toBe('holiday');
    });

    it('counts a holiday as closed when no case asks for holidays', async () => {
      const flow2 = flowOf(hours.text.replace('      - { if: { schedule: office, is: holiday }, next: holiday }\n', '').replace('  holiday: { kind: hangup, prompts: [holiday] }\n', ''));
      expect((await runFlow(new FakeCall(flow2, { now: new Date('2026-03-09T10:00:00Z') }))).at).toBe('night');
    });
  });
});

describe('set', () => {
  it('sets variables from templates, keeps numbers and booleans, and counts', async () => {
    const flow = flowOf(`start: a
nodes:
  a: { kind: set, variables: { ticket: "T-\${contract}-\${missing}", vip: true, level: 2 }, increment: [tries], next: b }
  b: { kind: set, variables: { label: "\${ticket}/\${tries}" }, increment: [tries], next: bye }
  bye: { kind: hangup }
`);
    const call = new FakeCall(flow);
    call.vars.set('contract', '123456');
    await runFlow(call);
    expect(call.vars.get('ticket')).toBe('T-123456-');
    expect(call.vars.get('vip')).toBe(true);
    expect(call.vars.get('level')).toBe(2);
    expect(call.vars.get('tries')).toBe(2);
    expect(call.vars.get('label')).toBe('T-123456-/1');
  });

  it('switches the language: later prompts play in it and the variable says so', async () => {
    const flow = flowOf(`start: hello
nodes:
  hello: { kind: play, prompts: [{ ru: privet, en: hello }], next: english }
  english: { kind: set, language: en, next: again }
  again: { kind: play, prompts: [{ ru: privet, en: hello }] }
`);
    const call = new FakeCall(flow);
    await runFlow(call);
    expect(call.language).toBe('en');
    expect(call.vars.get('language')).toBe('en');
    expect(call.heard).toEqual(['privet', 'hello']);
  });
});

describe('announce-outage', () => {
  const flow = flowOf(`start: outage
nodes:
  outage: { kind: announce-outage, next: menu }
  menu: { kind: play, prompts: [main-menu] }
`);
  const board = new OutageBoard([
    { area: 'north', prompt: 'outage-north' },
    { area: '*', prompt: 'outage-city' },
    { area: 'south', prompt: 'outage-south' },
    { area: 'north', prompt: 'outage-north-tomorrow', from: new Date('2026-03-03T00:00:00Z') },
  ]);

  it("plays the intro and the notices for the caller's area and for all areas, and notes the outage", async () => {
    const call = new FakeCall(flow, { outages: board });
    call.vars.set('area', 'north');
    await runFlow(call);
    expect(call.heard).toEqual(['outage-notice-intro', 'outage-north', 'outage-city', 'main-menu']);
    expect(call.vars.get('outage')).toBe(true);
  });

  it('plays only city-wide notices when the area is unknown', async () => {
    const call = new FakeCall(flow, { outages: board });
    await runFlow(call);
    expect(call.heard).toEqual(['outage-notice-intro', 'outage-city', 'main-menu']);
  });

  it('plays nothing when there is no notice, and notes that', async () => {
    const call = new FakeCall(flow, { outages: new OutageBoard([{ area: 'south', prompt: 'outage-south' }]) });
    call.vars.set('area', 'north');
    await runFlow(call);
    expect(call.heard).toEqual(['main-menu']);
    expect(call.vars.get('outage')).toBe(false);
  });
});

describe('queue', () => {
  const flow = flowOf(`start: wait
nodes:
  wait:
    kind: queue
    queue: internet-l1
    skills: { internet: 3 }
    announceEvery: 45
    leaveKey: "*"
    afterCall: survey
    onLeave: callback
    onTimeout: voicemail
  survey: { kind: hangup }
  callback: { kind: hangup }
  voicemail: { kind: hangup }
`);

  it.each<[QueueOutcome, string]>([
    ['after-call', 'survey'],
    ['left', 'callback'],
    ['timeout', 'voicemail'],
    ['full', 'voicemail'],
  ])('goes on after %s to %s', async (outcome, next) => {
    expect(await runFlow(new FakeCall(flow, { queue: [outcome] }))).toEqual({ ended: 'flow-end', at: next });
  });

  it('ends the walk when the call was transferred out', async () => {
    expect(await runFlow(new FakeCall(flow, { queue: ['transferred-out'] }))).toEqual({ ended: 'flow-end', at: 'wait' });
  });

  it('asks for the queue as written in the flow and remembers it for a callback', async () => {
    const call = new FakeCall(flow, { queue: ['timeout'] });
    await runFlow(call);
    expect(call.queued[0]).toMatchObject({ queue: 'internet-l1', skills: { internet: 3 }, priority: 0, announceEverySeconds: 45, leaveKey: '*', music: 'music/hold', prompts: ['please-hold'] });
    expect(call.vars.get('queue')).toBe('internet-l1');
  });

  it('ends the call after the talk when no afterCall is given', async () => {
    const bare = flowOf('start: q\nnodes:\n  q: { kind: queue, queue: tv-l1 }\n');
    expect(await runFlow(new FakeCall(bare, { queue: ['after-call'] }))).toEqual({ ended: 'flow-end', at: 'q' });
  });
});
