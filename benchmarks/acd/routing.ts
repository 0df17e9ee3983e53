/**
 * ACD routing decisions at the size the spec names: 10,000 agents, 200 queues,
 * 50,000 waiting contacts, one core, no workers.
 *
 * Agent side (the spec's "dispatch latency: from agent available to the offer
 * decision"): every agent is on a call and 50,000 contacts wait. Each step
 * completes a random call; with wrap-up 0 the agent is available at once and
 * the ACD picks the best contact across that agent's queues and emits an offer,
 * all inside `complete()`, which is what is timed. The offer is then accepted
 * and a new contact enqueued (untimed) to keep 50,000 waiting.
 *
 * Contact side: the waiting contacts are withdrawn and some agents left idle.
 * Each step enqueues a new contact (timed: the ACD scans the queue's available
 * agents and offers it to one per the queue's strategy), accepts the offer, and
 * completes a random call (untimed) to keep the number of idle agents steady.
 *
 * The clock advances 1 ms per step, so escalation and offer-expiry deadlines
 * come due during the run; they are processed by an explicit `advance()` before
 * each step and timed separately, so the decision figures are the decision alone.
 *
 * Flags: --agents --queues --waiting --decisions --warmup --contact-decisions --idle --seed
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Acd } from '../../src/acd/acd.ts';
import { ManualClock } from '../../src/acd/clock.ts';
import { SeededRandom } from '../../src/acd/random.ts';
import type { AcdEvent } from '../../src/acd/types.ts';
import { latencySummary, numericFlag, progress, report, round, timerOverheadNs } from '../_util.ts';
import { centerAgents, centerQueues, randomContact, type CenterAgent } from './_center.ts';

const AGENTS = numericFlag('agents', 10_000);
const QUEUES = numericFlag('queues', 200);
const WAITING = numericFlag('waiting', 50_000);
const DECISIONS = numericFlag('decisions', 200_000);
const WARMUP = numericFlag('warmup', 20_000);
const CONTACT_DECISIONS = numericFlag('contact-decisions', 100_000);
const IDLE = numericFlag('idle', 1_000);
const SEED = numericFlag('seed', 1);

/** Follows the ACD's events: who is on a call, who waits, who is idle, which offers are open. */
class Tracker {
  readonly onCall: string[] = [];
  readonly waiting = new Set<string>();
  readonly idle = new Set<string>();
  readonly offers: string[] = [];
  unexpected = 0;

  handle(events: readonly AcdEvent[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'contact-queued':
          this.waiting.add(e.contactId);
          break;
        case 'offer':
          this.offers.push(e.reservationId);
          break;
        case 'contact-connected':
          this.waiting.delete(e.contactId);
          this.onCall.push(e.contactId);
          break;
        case 'contact-abandoned':
          this.waiting.delete(e.contactId);
          break;
        case 'agent-state':
          if (e.to === 'available') this.idle.add(e.agentId);
          else if (e.from === 'available') this.idle.delete(e.agentId);
          break;
        case 'offer-missed':
        case 'offer-cancelled':
        case 'contact-timeout':
        case 'contact-refused':
          this.unexpected++;
          break;
        default:
          break;
      }
    }
  }

  /** Answer every open offer. */
  acceptAll(acd: Acd): void {
    for (let r = this.offers.pop(); r !== undefined; r = this.offers.pop()) this.handle(acd.accept(r));
  }

  /** Remove and return a random on-call contact (swap-remove). */
  takeOnCall(random: SeededRandom): string {
    const i = random.int(this.onCall.length);
    const id = this.onCall[i] as string;
    const last = this.onCall.pop() as string;
    if (i < this.onCall.length) this.onCall[i] = last;
    return id;
  }
}

/** GC pauses, to read the latency tail against (entries arrive asynchronously: see gcSince). */
const gcPauses: number[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push(e.duration);
});
gcObserver.observe({ entryTypes: ['gc'] });
/** Total and longest GC pause (ms) since the given count of pauses; yields once so pending entries are delivered. */
async function gcSince(from: number): Promise<{ count: number; totalMs: number; maxMs: number }> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  const pauses = gcPauses.slice(from);
  return { count: pauses.length, totalMs: round(pauses.reduce((a, b) => a + b, 0), 1), maxMs: round(Math.max(0, ...pauses), 1) };
}

const overheadNs = timerOverheadNs();
const configRandom = new SeededRandom(SEED);
const random = new SeededRandom(SEED + 1000);
const clock = new ManualClock(0);
const queues = centerQueues(QUEUES);
const agents = centerAgents(AGENTS, configRandom);

let started = performance.now();
const acd = new Acd({ clock, seed: SEED, queues, agents });
const t = new Tracker();
for (const a of agents) t.handle(acd.login(a.id));
const buildMs = performance.now() - started;
const queuesPerAgent = agents.reduce((n, a) => n + acd.agentView(a.id).queueIds.length, 0) / agents.length;
progress(`routing: ${AGENTS} agents, ${QUEUES} queues built in ${Math.round(buildMs)} ms (${queuesPerAgent.toFixed(1)} queues per agent)`);

// ── Fill: every agent on a call, then WAITING contacts in line ───────────────
started = performance.now();
let contactSeq = 0;
const nextId = (): string => `c${++contactSeq}`;
function enqueue(req = randomContact(nextId(), QUEUES, random)): void {
  t.handle(acd.enqueue(req));
  t.acceptAll(acd);
}
while (t.idle.size > 0 && t.waiting.size < WAITING) enqueue();
// Agents nobody's random callers reached: one caller each into a queue they serve at step 0.
const byId = new Map<string, CenterAgent>(agents.map((a) => [a.id, a]));
for (let id = t.idle.values().next().value; id !== undefined; id = t.idle.values().next().value) {
  const a = byId.get(id) as CenterAgent;
  enqueue({ id: nextId(), queueId: `q${a.primarySkill}`, language: a.languages[0] as string });
}
while (t.waiting.size < WAITING) enqueue();
progress(`routing: filled in ${Math.round(performance.now() - started)} ms: ${t.onCall.length} on call, ${t.waiting.size} waiting`);

// ── Agent side ───────────────────────────────────────────────────────────────
const agentNs = new Float64Array(DECISIONS);
const enqueueNs = new Float64Array(DECISIONS);
let deadlineNs = 0;
let deadlineEvents = 0;
let noOffer = 0;
let multiOffer = 0;
let contactSideOffersDuringAgentPhase = 0;
await gcSince(0);
const gcBeforeAgentPhase = gcPauses.length;
started = performance.now();
for (let i = -WARMUP; i < DECISIONS; i++) {
  clock.advance(1);
  const d0 = process.hrtime.bigint();
  const due = acd.advance();
  const d1 = process.hrtime.bigint();
  t.handle(due);
  if (i >= 0) {
    deadlineNs += Number(d1 - d0);
    deadlineEvents += due.length;
  }
  t.acceptAll(acd);

  const contactId = t.takeOnCall(random);
  const t0 = process.hrtime.bigint();
  const events = acd.complete(contactId);
  const t1 = process.hrtime.bigint();
  t.handle(events);
  if (t.offers.length === 0) noOffer++;
  else if (t.offers.length > 1) multiOffer++;
  t.acceptAll(acd);

  const req = randomContact(nextId(), QUEUES, random);
  const e0 = process.hrtime.bigint();
  const queued = acd.enqueue(req);
  const e1 = process.hrtime.bigint();
  t.handle(queued);
  if (t.offers.length > 0) contactSideOffersDuringAgentPhase++;
  t.acceptAll(acd);
  if (i >= 0) {
    agentNs[i] = Number(t1 - t0);
    enqueueNs[i] = Number(e1 - e0);
  }
}
const agentPhaseMs = performance.now() - started;
const agentPhaseGc = await gcSince(gcBeforeAgentPhase);
const agentSide = latencySummary(agentNs, DECISIONS);
const enqueueWaiting = latencySummary(enqueueNs, DECISIONS);
progress(`routing: agent side ${agentSide.perSecond}/s p99 ${agentSide.p99Us} µs (${Math.round(agentPhaseMs)} ms, waiting ${t.waiting.size}, idle ${t.idle.size})`);

// ── Contact side: no one waiting, IDLE agents free ───────────────────────────
for (const id of [...t.waiting]) t.handle(acd.cancel(id));
while (t.idle.size < IDLE && t.onCall.length > 0) t.handle(acd.complete(t.takeOnCall(random)));
t.acceptAll(acd);
const idleAtStart = t.idle.size;
const contactNs = new Float64Array(CONTACT_DECISIONS);
let offered = 0;
let idleSum = 0;
started = performance.now();
const contactWarmup = Math.min(WARMUP, CONTACT_DECISIONS);
for (let i = -contactWarmup; i < CONTACT_DECISIONS; i++) {
  clock.advance(1);
  t.handle(acd.advance());
  t.acceptAll(acd);
  const req = randomContact(nextId(), QUEUES, random);
  const t0 = process.hrtime.bigint();
  const events = acd.enqueue(req);
  const t1 = process.hrtime.bigint();
  t.handle(events);
  if (i >= 0) {
    contactNs[i] = Number(t1 - t0);
    if (t.offers.length > 0) offered++;
    idleSum += t.idle.size;
  }
  t.acceptAll(acd);
  t.handle(acd.complete(t.takeOnCall(random)));
  t.acceptAll(acd);
}
const contactSide = latencySummary(contactNs, CONTACT_DECISIONS);
progress(`routing: contact side ${contactSide.perSecond}/s p99 ${contactSide.p99Us} µs (${Math.round(performance.now() - started)} ms, ${idleAtStart} idle at start)`);

gcObserver.disconnect();
report('acd.routing', {
  agents: AGENTS,
  queues: QUEUES,
  waitingContacts: WAITING,
  queuesPerAgent: round(queuesPerAgent, 1),
  decisions: DECISIONS,
  warmup: WARMUP,
  decisionsPerSecond: agentSide.perSecond,
  dispatchLatencyP50Us: agentSide.p50Us,
  dispatchLatencyP99Us: agentSide.p99Us,
  dispatchLatencyP999Us: agentSide.p999Us,
  dispatchLatencyMaxUs: agentSide.maxUs,
  agentSideNoOffer: noOffer,
  agentSideMultiOffer: multiOffer,
  contactSideOffersDuringAgentPhase,
  enqueueWaitingPerSecond: enqueueWaiting.perSecond,
  enqueueWaitingP50Us: enqueueWaiting.p50Us,
  enqueueWaitingP99Us: enqueueWaiting.p99Us,
  deadlinesPerDecisionUs: round(deadlineNs / DECISIONS / 1000),
  deadlineEventsPerDecision: round(deadlineEvents / DECISIONS),
  contactDecisions: CONTACT_DECISIONS,
  contactSideIdleAgents: Math.round(idleSum / CONTACT_DECISIONS),
  contactSideOfferedShare: round(offered / CONTACT_DECISIONS),
  contactDecisionsPerSecond: contactSide.perSecond,
  contactDecisionP50Us: contactSide.p50Us,
  contactDecisionP99Us: contactSide.p99Us,
  contactDecisionP999Us: contactSide.p999Us,
  unexpectedEvents: t.unexpected,
  buildMs: Math.round(buildMs),
  agentPhaseWallMs: Math.round(agentPhaseMs),
  agentPhaseGcMs: agentPhaseGc.totalMs,
  agentPhaseGcMaxPauseMs: agentPhaseGc.maxMs,
  agentPhaseGcCount: agentPhaseGc.count,
  timerOverheadNs: overheadNs,
});
