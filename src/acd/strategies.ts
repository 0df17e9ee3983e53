/**
 * Agent selection strategies: given the available agents that may take a
 * contact, which one is offered it. ring-all is handled by the caller (it
 * offers every candidate). Ties fall back to longest-idle, then creation
 * order, so every strategy is deterministic for a given seed.
 */
import type { SeededRandom } from './random.ts';
import type { AgentRec, QueueRec } from './records.ts';
import type { StrategyName } from './types.ts';

export interface StrategyContext {
  queue: QueueRec;
  random: SeededRandom;
}

type Picker = (candidates: readonly AgentRec[], ctx: StrategyContext) => AgentRec;

/** true when a should win over b on the longest-idle rule. */
function idler(a: AgentRec, b: AgentRec): boolean {
  return a.idleSince !== b.idleSince ? a.idleSince < b.idleSince : a.order < b.order;
}

/** Minimum by a numeric key, ties by longest idle. */
function minBy(candidates: readonly AgentRec[], key: (a: AgentRec) => number): AgentRec {
  let best = candidates[0] as AgentRec;
  let bestKey = key(best);
  for (let i = 1; i < candidates.length; i++) {
    const a = candidates[i] as AgentRec;
    const k = key(a);
    if (k < bestKey || (k === bestKey && idler(a, best))) {
      best = a;
      bestKey = k;
    }
  }
  return best;
}

function skillScore(agent: AgentRec, skills: readonly string[]): number {
  let sum = 0;
  for (const s of skills) sum += agent.skills.get(s) ?? 0;
  return sum;
}

const PICKERS: Record<Exclude<StrategyName, 'ring-all'>, Picker> = {
  'longest-idle': (c) => minBy(c, (a) => a.idleSince),

  /** Next agent in linear order after the one offered last time (wraps around). */
  'round-robin': (c, { queue }) => {
    const last = queue.rrLastPosition;
    const picked = minBy(c, (a) => {
      const p = queue.position(a);
      return p > last ? p : p + 2_000_000_000;
    });
    queue.rrLastPosition = queue.position(picked);
    return picked;
  },

  /** Always the first available agent in linear order. */
  'top-down': (c, { queue }) => minBy(c, (a) => queue.position(a)),

  'fewest-calls': (c) => minBy(c, (a) => a.callsHandled),

  'least-talk-time': (c) => minBy(c, (a) => a.talkMs),

  /** Highest sum of levels in the skills the queue's targets name. */
  'highest-skill-first': (c, { queue }) => minBy(c, (a) => -skillScore(a, queue.rankSkills)),

  random: (c, { random }) => c[random.int(c.length)] as AgentRec,

  'weighted-random': (c, { random }) => {
    let total = 0;
    for (const a of c) total += a.cfg.weight ?? 1;
    let r = random.next() * total;
    for (const a of c) {
      r -= a.cfg.weight ?? 1;
      if (r < 0) return a;
    }
    return c[c.length - 1] as AgentRec;
  },
};

/** Pick one agent from a non-empty candidate list. */
export function pickAgent(strategy: Exclude<StrategyName, 'ring-all'>, candidates: readonly AgentRec[], ctx: StrategyContext): AgentRec {
  return PICKERS[strategy](candidates, ctx);
}
