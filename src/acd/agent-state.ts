/**
 * The agent state machine as a table. An action not in the table for the
 * current state is an error (ACD_ILLEGAL_TRANSITION), never a silent no-op.
 *
 *   logged-out ─login─▶ available ─reserve─▶ reserved ─answer─▶ on-call ─hangup─▶ wrap-up ─wrap-end─▶ available
 *   any logged-in idle state ─pause─▶ not-ready ─ready─▶ available
 */
import { AcdError } from './errors.ts';
import type { AgentState } from './types.ts';

export type AgentAction =
  | 'login' // operator logs in (softphone *1, API)
  | 'login-not-ready' // logs in straight into a break
  | 'reserve' // ACD offers a contact
  | 'answer' // the offer was accepted: the operator's phone answered
  | 'release' // offer rejected / timed out / cancelled: back to available
  | 'miss-limit' // offer missed max-no-answer times in a row: not ready
  | 'hangup' // call ended, wrap-up time follows
  | 'hangup-no-wrap' // call ended in a queue without wrap-up
  | 'hangup-pause' // call ended and a break was requested during it
  | 'wrap-end' // wrap-up time over (or the operator pressed ready)
  | 'pause' // not ready with a reason
  | 'ready' // back from not ready
  | 'logout';

export const AGENT_TRANSITIONS: Readonly<Record<AgentState, Partial<Record<AgentAction, AgentState>>>> = {
  'logged-out': { login: 'available', 'login-not-ready': 'not-ready' },
  available: { reserve: 'reserved', pause: 'not-ready', logout: 'logged-out' },
  reserved: { answer: 'on-call', release: 'available', 'miss-limit': 'not-ready', pause: 'not-ready' },
  'on-call': { hangup: 'wrap-up', 'hangup-no-wrap': 'available', 'hangup-pause': 'not-ready' },
  'wrap-up': { 'wrap-end': 'available', ready: 'available', pause: 'not-ready' },
  'not-ready': { ready: 'available', pause: 'not-ready', logout: 'logged-out' },
};

export function nextAgentState(agentId: string, from: AgentState, action: AgentAction): AgentState {
  const to = AGENT_TRANSITIONS[from][action];
  if (to === undefined) {
    throw new AcdError('ACD_ILLEGAL_TRANSITION', `agent ${agentId}: cannot ${action} while ${from}`);
  }
  return to;
}
