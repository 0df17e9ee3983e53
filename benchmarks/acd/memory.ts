/**
 * Memory per agent and per waiting contact in the ACD, at the routing
 * benchmark's center (200 queues over 40 skills, see _center.ts).
 *
 * heapUsed after a full GC is read before and after: adding 10,000 agents and
 * logging them in (available, so each sits in the available set of every queue
 * it serves); then, with every agent on a break so nobody is offered anything,
 * enqueuing 100,000 contacts without a language, then 100,000 with one (a
 * contact with its own requirement carries a compiled predicate). Contact
 * figures include the ACD's deadline entries for escalation.
 *
 * Needs `--expose-gc`; started without it, it runs itself again with it.
 * Flags: --agents --contacts --queues --seed
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Acd } from '../../src/acd/acd.ts';
import { ManualClock } from '../../src/acd/clock.ts';
import { SeededRandom } from '../../src/acd/random.ts';
import type { ContactRequest } from '../../src/acd/types.ts';
import { numericFlag, progress, report, round } from '../_util.ts';
import { centerAgents, centerQueues, randomContact } from './_center.ts';

const gc = (globalThis as { gc?: () => void }).gc;

if (gc === undefined) {
  const self = fileURLToPath(import.meta.url);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...process.argv.slice(2)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  process.exitCode = child.status ?? 1;
} else {
  measure(gc);
}

function measure(collect: () => void): void {
  const AGENTS = numericFlag('agents', 10_000);
  const CONTACTS = numericFlag('contacts', 100_000);
  const QUEUES = numericFlag('queues', 200);
  const SEED = numericFlag('seed', 1);

  const heap = (): number => {
    collect();
    collect();
    return process.memoryUsage().heapUsed;
  };

  const clock = new ManualClock(0);
  const random = new SeededRandom(SEED + 1000);
  const acd = new Acd({ clock, seed: SEED, queues: centerQueues(QUEUES) });

  const h0 = heap();
  const agents = centerAgents(AGENTS, new SeededRandom(SEED));
  const h1 = heap();
  for (const a of agents) acd.upsertAgent(a);
  const h2 = heap();
  for (const a of agents) acd.login(a.id);
  const h3 = heap();
  progress(`memory: ${AGENTS} agents: config ${Math.round((h1 - h0) / AGENTS)} B, records ${Math.round((h2 - h1) / AGENTS)} B, logged in +${Math.round((h3 - h2) / AGENTS)} B each`);

  // Nobody may take a call: everyone on a break.
  for (const a of agents) acd.pause(a.id, 'break');
  let seq = 0;
  const fill = (withLanguage: boolean): number => {
    const before = heap();
    for (let i = 0; i < CONTACTS; i++) {
      const req: ContactRequest = randomContact(`c${++seq}`, QUEUES, random);
      if (!withLanguage) delete req.language;
      acd.enqueue(req);
    }
    return (heap() - before) / CONTACTS;
  };
  const plain = fill(false);
  const withLanguage = fill(true);
  const total = process.memoryUsage().heapUsed;
  progress(`memory: per waiting contact ${Math.round(plain)} B without language, ${Math.round(withLanguage)} B with`);

  report('acd.memory', {
    agents: AGENTS,
    queues: QUEUES,
    queuesPerAgent: round(agents.reduce((n, a) => n + acd.agentView(a.id).queueIds.length, 0) / AGENTS, 1),
    bytesPerAgent: Math.round((h3 - h0) / AGENTS),
    bytesPerAgentAcdOnly: Math.round((h3 - h1) / AGENTS),
    bytesPerAgentConfig: Math.round((h1 - h0) / AGENTS),
    bytesPerAgentLoggedInExtra: Math.round((h3 - h2) / AGENTS),
    contactsPerBatch: CONTACTS,
    bytesPerWaitingContact: Math.round(withLanguage),
    bytesPerWaitingContactNoLanguage: Math.round(plain),
    heapUsedMb: round(total / 1048576, 1),
  });
}
