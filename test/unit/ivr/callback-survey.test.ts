import { describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/ivr/interpreter.ts';
import { FakeCall, flowOf } from './fake-call.ts';

describe('callback', () => {
  const offer = (opts = '') =>
    flowOf(`start: offer
nodes:
  offer: { kind: callback, queue: internet-l1, next: bye${opts} }
  bye: { kind: hangup, prompts: [goodbye] }
`);

  it("registers a callback to the caller's number on *, and confirms it", async () => {
    const call = new FakeCall(offer(), { keys: ['*'], caller: '74951112233' });
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'bye' });
    expect(call.callbacks).toEqual([{ queue: 'internet-l1', number: '74951112233' }]);
    expect(call.heard).toEqual(['callback-offer', 'callback-confirmed', 'goodbye']);
    expect(call.vars.get('callback')).toBe('74951112233');
  });

  it('goes on without a callback after another key or silence', async () => {
    for (const keys of [['1'], ['#'], ['']]) {
      const call = new FakeCall(offer(), { keys });
      await runFlow(call);
      expect(call.callbacks).toEqual([]);
      expect(call.heard).toEqual(['callback-offer', 'goodbye']);
      expect(call.vars.has('callback')).toBe(false);
    }
  });

  it('takes the accept key the flow names', async () => {
    const call = new FakeCall(offer(', acceptKey: "1"'), { keys: ['1'] });
    await runFlow(call);
    expect(call.callbacks).toHaveLength(1);
    const star = new FakeCall(offer(', acceptKey: "1"'), { keys: ['*'] });
    await runFlow(star);
    expect(star.callbacks).toHaveLength(0);
  });

  it('does not confirm a callback that could not be registered', async () => {
    const call = new FakeCall(offer(), { keys: ['*'], callbackRegistered: false });
    await runFlow(call);
    expect(call.callbacks).toHaveLength(1);
    expect(call.heard).toEqual(['callback-offer', 'goodbye']);
    expect(call.vars.has('callback')).toBe(false);
  });

  it('uses a number the caller types when asked to, and their own when they type too few digits', async () => {
    const typed = new FakeCall(offer(', askNumber: true'), { keys: ['*', '84951234567#'] });
    await runFlow(typed);
    expect(typed.callbacks[0]?.number).toBe('84951234567');
    const short = new FakeCall(offer(', askNumber: true'), { keys: ['*', '12#'], caller: '79990000000' });
    await runFlow(short);
    expect(short.callbacks[0]?.number).toBe('79990000000');
  });

  it('calls back from the queue the caller just left when the node names none', async () => {
    const flow = flowOf(`start: wait
nodes:
  wait: { kind: queue, queue: tv-l1, leaveKey: "*", onLeave: offer }
  offer: { kind: callback }
`);
    const call = new FakeCall(flow, { queue: ['left'], keys: ['*'] });
    await runFlow(call);
    expect(call.callbacks).toEqual([{ queue: 'tv-l1', number: call.caller }]);
  });
});

describe('survey', () => {
  const flow = flowOf(`start: survey
nodes:
  survey: { kind: survey, min: 1, max: 5, next: bye }
  bye: { kind: hangup, prompts: [goodbye] }
`);
  const rate = async (keys: string) => {
    const call = new FakeCall(flow, { keys: [keys] });
    await runFlow(call);
    return { score: call.surveys, heard: call.heard, variable: call.vars.get('survey') };
  };

  it('records a score in range and thanks the caller', async () => {
    expect(await rate('4')).toEqual({ score: [4], heard: ['survey-question', 'survey-thanks', 'goodbye'], variable: 4 });
    expect(await rate('1')).toMatchObject({ score: [1] });
    expect(await rate('5')).toMatchObject({ score: [5] });
  });

  it('records no score (null) for a key out of range, without thanks', async () => {
    for (const key of ['0', '6', '9', '*', '#']) {
      expect(await rate(key)).toEqual({ score: [null], heard: ['survey-question', 'goodbye'], variable: '' });
    }
  });

  it('records no score (null) when the caller presses nothing', async () => {
    expect(await rate('')).toEqual({ score: [null], heard: ['survey-question', 'goodbye'], variable: '' });
  });
});

describe('hangup', () => {
  it('says goodbye and ends the walk', async () => {
    const call = new FakeCall(flowOf('start: bye\nnodes:\n  bye: { kind: hangup, prompts: [goodbye, thank-you] }\n'));
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'bye' });
    expect(call.heard).toEqual(['goodbye', 'thank-you']);
  });

  it('ends silently without prompts', async () => {
    const call = new FakeCall(flowOf('start: bye\nnodes:\n  bye: { kind: hangup }\n'));
    expect(await runFlow(call)).toEqual({ ended: 'flow-end', at: 'bye' });
    expect(call.heard).toEqual([]);
  });
});
