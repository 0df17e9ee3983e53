/**
 * Feature codes an operator dials from the softphone to change state: *1 log
 * in, *2 break, *3 ready, *4 log out (configurable). The INVITE is digest-
 * authenticated, so the SIP user is the operator; the call is answered with a
 * short prompt confirming the new state and hung up.
 */
import type { Logger } from 'pino';
import { AcdError } from '../acd/errors.ts';
import type { AgentState } from '../acd/types.ts';
import type { PromptLibrary } from '../ivr/prompts.ts';
import type { Endpoint } from '../media/media-server.ts';
import type { Dialog } from '../sip/dialog/dialog.ts';
import type { AcdHost } from './acd-host.ts';

export type FeatureCodeAction = 'login' | 'break' | 'ready' | 'logout';

export interface FeatureCodes {
  login: string;
  break: string;
  ready: string;
  logout: string;
}

export function featureFor(codes: FeatureCodes, dialled: string): FeatureCodeAction | undefined {
  return (Object.keys(codes) as FeatureCodeAction[]).find((k) => codes[k] === dialled);
}

const PROMPT_FOR_STATE: Record<AgentState, string> = {
  'logged-out': 'agent-logged-out',
  available: 'agent-ready',
  reserved: 'agent-ready',
  'on-call': 'agent-ready',
  'wrap-up': 'agent-ready',
  'not-ready': 'agent-on-break',
};

/** Apply the action; answers the state the operator is in afterwards. */
export function applyFeature(acd: AcdHost, agentId: string, action: FeatureCodeAction): AgentState {
  const a = acd.acd;
  const state = () => a.agentView(agentId).state;
  switch (action) {
    case 'login':
      if (state() === 'logged-out') acd.run((x) => x.login(agentId));
      break;
    case 'ready':
      if (state() === 'logged-out') acd.run((x) => x.login(agentId));
      else if (state() === 'not-ready' || state() === 'wrap-up') acd.run((x) => x.ready(agentId));
      break;
    case 'break':
      if (state() === 'logged-out') acd.run((x) => x.login(agentId, 'break'));
      else if (state() !== 'not-ready') acd.run((x) => x.pause(agentId, 'break'));
      break;
    case 'logout':
      if (state() === 'not-ready' || state() === 'available') {
        if (state() === 'available') acd.run((x) => x.pause(agentId, 'other'));
        acd.run((x) => x.logout(agentId));
      } else if (state() !== 'logged-out') throw new AcdError('ACD_ILLEGAL_TRANSITION', `cannot log out while ${state()}`);
      break;
  }
  return state();
}

/** Answered feature-code call: play the confirmation (or the error prompt), then hang up. */
export async function runFeatureCall(opts: { acd: AcdHost; prompts: PromptLibrary; dialog: Dialog; endpoint: Endpoint; agentId: string; action: FeatureCodeAction; language: string; log: Logger }): Promise<AgentState | null> {
  const { dialog, endpoint, log } = opts;
  let state: AgentState | null = null;
  let prompt: string;
  try {
    state = applyFeature(opts.acd, opts.agentId, opts.action);
    prompt = opts.action === 'login' && state === 'available' ? 'agent-logged-in' : PROMPT_FOR_STATE[state];
    log.info({ agentId: opts.agentId, action: opts.action, state }, 'operator feature code');
  } catch (err) {
    if (!(err instanceof AcdError)) throw err;
    log.info({ agentId: opts.agentId, action: opts.action, err: err.message }, 'feature code refused');
    prompt = 'invalid-choice';
  }
  const hungUp = new AbortController();
  dialog.on('destroy', () => hungUp.abort());
  try {
    await endpoint.play([opts.prompts.resolve(prompt, opts.language)], { signal: hungUp.signal });
  } catch {
    // The operator hung up during the prompt: the state change stands.
  }
  await Promise.allSettled([dialog.destroy('feature code done'), endpoint.destroy('feature code done')]);
  return state;
}
