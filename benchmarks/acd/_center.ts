/**
 * The large contact center the ACD benchmarks run against (the size the spec
 * names): 200 queues over 40 skills, 10,000 agents with 3–5 skills each at
 * random levels, Russian and English speakers. Queue i targets `s{i%40} >= 3`
 * (so five queues share each skill); most queues route longest-idle, a few use
 * the other strategies; a quarter widen their target after 30 s, another
 * quarter raise priority after 20 s and widen after 60 s. Wrap-up is 0 so an
 * agent who finishes a call is available at once and the ACD decides for them
 * inside `complete()`.
 */
import { queueConfig } from '../../src/acd/defaults.ts';
import type { SeededRandom } from '../../src/acd/random.ts';
import type { AgentConfig, ContactRequest, QueueConfig, StrategyName } from '../../src/acd/types.ts';

export const SKILLS = 40;

/** Strategy of queue i: 15 of every 20 longest-idle, one each of five others. */
function strategyFor(i: number): StrategyName {
  switch (i % 20) {
    case 15:
      return 'round-robin';
    case 16:
      return 'top-down';
    case 17:
      return 'fewest-calls';
    case 18:
      return 'highest-skill-first';
    case 19:
      return i < 100 ? 'random' : 'weighted-random';
    default:
      return 'longest-idle';
  }
}

export function centerQueues(count = 200): QueueConfig[] {
  return Array.from({ length: count }, (_, i) => {
    const skill = `s${i % SKILLS}`;
    const escalation =
      i % 4 === 0
        ? [{ afterSeconds: 30, target: `${skill} >= 1` }]
        : i % 4 === 1
          ? [{ afterSeconds: 20, priority: 3 }, { afterSeconds: 60, target: `${skill} >= 2 || s${(i + 1) % SKILLS} >= 6` }]
          : [];
    return queueConfig({ id: `q${i}`, target: `${skill} >= 3`, strategy: strategyFor(i), weight: i % 25 === 0 ? 2 : 1, wrapUpSeconds: 0, escalation });
  });
}

/** Index of the skill each agent is guaranteed to have at level ≥ 3 (so every agent serves some queue at step 0). */
export interface CenterAgent extends AgentConfig {
  primarySkill: number;
}

export function centerAgents(count: number, random: SeededRandom): CenterAgent[] {
  const agents: CenterAgent[] = [];
  for (let n = 0; n < count; n++) {
    const k = 3 + random.int(3);
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(random.int(SKILLS));
    const skills: Record<string, number> = {};
    let first = true;
    for (const s of chosen) {
      skills[`s${s}`] = first ? 3 + random.int(8) : 1 + random.int(10);
      first = false;
    }
    const r = random.next();
    const languages = r < 0.7 ? ['ru'] : r < 0.9 ? ['ru', 'en'] : ['en'];
    agents.push({ id: `a${n}`, name: `Agent ${n}`, skills, languages, weight: 1 + random.int(3), primarySkill: [...chosen][0] as number });
  }
  return agents;
}

/** A new caller: a random queue, Russian 80% / English 20%, 5% with priority 1. */
export function randomContact(id: string, queues: number, random: SeededRandom): ContactRequest {
  return {
    id,
    queueId: `q${random.int(queues)}`,
    language: random.next() < 0.8 ? 'ru' : 'en',
    priority: random.next() < 0.05 ? 1 : 0,
  };
}
