import { describe, expect, it } from 'vitest';
import { CallEndedError } from '../../../src/ivr/context.ts';
import type { LoadedFlow } from '../../../src/ivr/flow.ts';
import { runFlow } from '../../../src/ivr/interpreter.ts';
import { FlowFile } from '../../../src/ivr/schema.ts';
import { FakeCall, flowOf, HANG_UP } from './fake-call.ts';

const MENU = flowOf(`start: welcome
nodes:
  welcome: { kind: play, prompts: [greeting], next: menu }
  menu:
    kind: menu
    prompts: [main-menu]
    choices: { "1": internet, "2": tv }
    onFail: operator
  internet: { kind: hangup, prompts: [internet-info] }
  tv: { kind: hangup, prompts: [tv-info] }
  operator: { kind: hangup, prompts: [operator-busy] }
`);

describe('menu', () => {
  it('takes the choice of the key pressed and remembers it', async () => {
    const call = new FakeCall(MENU, { keys: ['2'] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'tv' });
    expect(call.heard).toEqual(['greeting', 'main-menu', 'tv-info']);
    expect(call.path).toEqual(['welcome', 'menu', 'tv']);
    expect(call.vars.get('menu.choice')).toBe('2');
  });

  it('plays the invalid prompt after a wrong key, then the menu again', async () => {
    const call = new FakeCall(MENU, { keys: ['7', '1'] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'internet' });
    expect(call.heard).toEqual(['greeting', 'main-menu', 'invalid-choice', 'main-menu', 'internet-info']);
  });

  it('repeats the menu on silence (retries: 2 → three times), then goes to onFail', async () => {
    const call = new FakeCall(MENU, { keys: ['', '', ''] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'operator' });
    expect(call.heard).toEqual(['greeting', 'main-menu', 'main-menu', 'main-menu', 'operator-busy']);
    expect(call.collects[0]?.firstDigitTimeoutMs).toBe(5000);
  });

  it('plays the no-input prompt between repeats, but not after the last one', async () => {
    const flow = flowOf(`start: menu
nodes:
  menu: { kind: menu, prompts: [main-menu], choices: { "1": bye }, retries: 1, noInputPrompts: [are-you-there], onFail: bye }
  bye: { kind: hangup, prompts: [goodbye] }
`);
    const call = new FakeCall(flow);
    await runFlow(call);
    expect(call.heard).toEqual(['main-menu', 'are-you-there', 'main-menu', 'goodbye']);
  });

  it('ends the call when the retries are used up and there is no onFail', async () => {
    const flow = flowOf(`start: menu
nodes:
  menu: { kind: menu, prompts: [main-menu], choices: { "1": bye }, retries: 1 }
  bye: { kind: hangup, prompts: [goodbye] }
`);
    const call = new FakeCall(flow, { keys: ['9', '9', '1'] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'menu' });
    expect(call.heard).toEqual(['main-menu', 'invalid-choice', 'main-menu']);
  });
});

const CONTRACT = (extra = '') => `start: ask
nodes:
  ask:
    kind: collect
    prompts: [enter-contract]
    variable: contract
    minDigits: 6
    maxDigits: 8
    pattern: '^\\d{6,8}$'
    invalidPrompts: [contract-invalid]
    retries: 1
    next: thanks
${extra}  thanks: { kind: hangup, prompts: [thank-you] }
`;

describe('collect', () => {
  it('stores the digits typed, without the terminator, and goes on', async () => {
    const call = new FakeCall(flowOf(CONTRACT()), { keys: ['1234567#'] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'thanks' });
    expect(call.vars.get('contract')).toBe('1234567');
    expect(call.heard).toEqual(['enter-contract', 'thank-you']);
    expect(call.collects[0]).toMatchObject({ minDigits: 6, maxDigits: 8, terminators: '#', firstDigitTimeoutMs: 7000, interDigitTimeoutMs: 5000 });
  });

  it('accepts input ended by max digits or by silence after enough digits', async () => {
    const full = new FakeCall(flowOf(CONTRACT()), { keys: ['12345678'] });
    await runFlow(full);
    expect(full.vars.get('contract')).toBe('12345678');
    const paused = new FakeCall(flowOf(CONTRACT()), { keys: ['123456'] });
    await runFlow(paused);
    expect(paused.vars.get('contract')).toBe('123456');
  });

  it('plays the invalid prompt and asks again when the input does not match', async () => {
    const call = new FakeCall(flowOf(CONTRACT()), { keys: ['12*456#', '654321#'] });
    await runFlow(call);
    expect(call.heard).toEqual(['enter-contract', 'contract-invalid', 'enter-contract', 'thank-you']);
    expect(call.vars.get('contract')).toBe('654321');
  });

  it('counts too few digits as invalid', async () => {
    const call = new FakeCall(flowOf(CONTRACT()), { keys: ['123#', '123456#'] });
    await runFlow(call);
    expect(call.heard).toEqual(['enter-contract', 'contract-invalid', 'enter-contract', 'thank-you']);
  });

  it('goes to onFail after the last retry, without the invalid prompt, the variable unset', async () => {
    const flow = flowOf(CONTRACT('  help: { kind: hangup, prompts: [operator-busy] }\n').replace('next: thanks', 'next: thanks\n    onFail: help'));
    const call = new FakeCall(flow, { keys: ['1#', ''] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'help' });
    expect(call.heard).toEqual(['enter-contract', 'contract-invalid', 'enter-contract', 'operator-busy']);
    expect(call.vars.has('contract')).toBe(false);
  });

  it('without onFail goes on to next with the variable unset', async () => {
    const call = new FakeCall(flowOf(CONTRACT()), { keys: ['', ''] });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'thanks' });
    expect(call.vars.has('contract')).toBe(false);
  });
});

describe('runFlow: how a walk ends', () => {
  it('stops quietly when the caller hangs up during a verb', async () => {
    const call = new FakeCall(MENU, { keys: [HANG_UP] });
    expect(await runFlow(call)).toEqual({ ended: 'caller-hangup', at: 'menu' });
  });

  it('stops when a verb throws CallEndedError (media gone) even if the signal did not fire', async () => {
    const call = new FakeCall(MENU, { failOn: { prompt: 'greeting', error: new CallEndedError('media gone') } });
    expect(await runFlow(call)).toEqual({ ended: 'caller-hangup', at: 'welcome' });
  });

  it('does not start a node once the call has ended', async () => {
    const call = new FakeCall(MENU);
    call.hangUp();
    expect(await runFlow(call)).toEqual({ ended: 'caller-hangup', at: 'welcome' });
    expect(call.heard).toEqual([]);
  });

  it('reports any other error with the node it happened in, and never throws', async () => {
    const boom = new Error('prompt file unreadable');
    const call = new FakeCall(MENU, { keys: ['1'], failOn: { prompt: 'internet-info', error: boom } });
    expect(await runFlow(call)).toEqual({ ended: 'error', at: 'internet', error: boom });
  });

  it('reports a start node that does not exist as an error', async () => {
    const end = await runFlow(new FakeCall(MENU), 'nowhere');
    expect(end).toMatchObject({ ended: 'error', at: 'nowhere' });
  });

  it('can start at another node', async () => {
    const call = new FakeCall(MENU);
    expect(await runFlow(call, 'tv')).toEqual({ ended: 'flow-end', at: 'tv' });
  });

  it('ends a loop that never waits after 500 steps instead of spinning', async () => {
    // The validator refuses such a loop; a hand-built flow gets past it.
    const def = FlowFile.parse({
      start: 'a',
      nodes: { a: { kind: 'set', variables: { x: 'a' }, next: 'b' }, b: { kind: 'set', variables: { x: 'b' }, next: 'a' } },
    });
    const flow: LoadedFlow = { id: 'loop', file: '', hash: '', text: '', loadedAt: new Date(0), def };
    const call = new FakeCall(flow);
    const end = await runFlow(call);
    expect(end.ended).toBe('step-limit');
    expect(call.path).toHaveLength(500);
  });
});
