/**
 * The IVR interpreter: a short loop that runs a flow's nodes one after the
 * other on a call (jambonz-style verbs, without the mode flags). Steps are
 * built once per flow version and shared by every call on that version.
 */
import { CallEndedError, type CallContext } from './context.ts';
import type { LoadedFlow } from './flow.ts';
import { buildStep, type FlowStep } from './nodes/index.ts';

/** A runaway walk (a loop the validator could not see through) ends the call instead of spinning. */
const MAX_STEPS = 500;

const compiled = new WeakMap<LoadedFlow, Map<string, FlowStep>>();

export function stepsOf(flow: LoadedFlow): Map<string, FlowStep> {
  let steps = compiled.get(flow);
  if (steps === undefined) {
    steps = new Map(Object.entries(flow.def.nodes).map(([id, def]) => [id, buildStep(id, def)]));
    compiled.set(flow, steps);
  }
  return steps;
}

export type WalkEnd = { ended: 'flow-end'; at: string } | { ended: 'caller-hangup'; at: string } | { ended: 'error'; at: string; error: unknown } | { ended: 'step-limit'; at: string };

/** Walk the flow from its start node until a node ends it, the caller hangs up, or an error. Never throws. */
export async function runFlow(ctx: CallContext, start = ctx.flow.def.start): Promise<WalkEnd> {
  const steps = stepsOf(ctx.flow);
  let at = start;
  for (let n = 0; n < MAX_STEPS; n++) {
    const step = steps.get(at);
    if (step === undefined) return { ended: 'error', at, error: new Error(`node "${at}" does not exist in flow ${ctx.flow.id}`) };
    ctx.event('node', { node: at, kind: step.kind });
    let next: string | undefined;
    try {
      if (ctx.signal.aborted) throw new CallEndedError('caller hung up');
      next = await step.run(ctx);
    } catch (err) {
      if (err instanceof CallEndedError || ctx.signal.aborted) return { ended: 'caller-hangup', at };
      return { ended: 'error', at, error: err };
    }
    if (next === undefined) return { ended: 'flow-end', at };
    at = next;
  }
  return { ended: 'step-limit', at };
}
