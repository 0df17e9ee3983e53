/**
 * Staffing mathematics: Erlang C (M/M/N) and Erlang A (M/M/N+M, Palm).
 *
 * Pure functions, no I/O. Conventions:
 *  - λ  = arrivalRatePerHour / 3600 (calls per second)
 *  - μ  = 1 / ahtSeconds (service rate per agent)
 *  - A  = λ / μ = arrivalRatePerHour · ahtSeconds / 3600 (offered traffic, Erlangs)
 *  - N  = agents
 *  - θ  = 1 / patienceSeconds (Erlang A abandonment rate per waiting caller)
 *
 * Everything is computed without factorials or powers so that thousands of
 * agents do not overflow: Erlang B by its recursion (in log space where it
 * could underflow), the Erlang A birth–death chain in log space.
 */

/** Input shared by the Erlang C functions. */
export interface ErlangCParams {
  arrivalRatePerHour: number;
  ahtSeconds: number;
  agents: number;
}

/** Erlang C input plus the service-level threshold (the 20 in "80/20"). */
export interface ErlangCServiceLevelParams extends ErlangCParams {
  thresholdSeconds: number;
}

export interface AgentsNeededParams {
  arrivalRatePerHour: number;
  ahtSeconds: number;
  thresholdSeconds: number;
  /** Fraction in [0, 1), e.g. 0.8 for 80/20. */
  targetServiceLevel: number;
  /** Optional cap on occupancy A/N, fraction in (0, 1]. */
  maxOccupancy?: number;
}

/** Input of the Erlang A model. */
export interface ErlangAParams {
  arrivalRatePerHour: number;
  ahtSeconds: number;
  agents: number;
  /** Mean of the exponential patience (time a caller is willing to wait). Finite, > 0. */
  patienceSeconds: number;
  thresholdSeconds: number;
}

/**
 * The two usual service-level ratios for a model with abandonment; both count
 * callers answered immediately (wait 0) as answered within the threshold.
 */
export interface ErlangAServiceLevel {
  thresholdSeconds: number;
  /** P(served with wait ≤ t): answered within t / offered (abandons count against). */
  answeredWithinOverOffered: number;
  /** P(served with wait ≤ t) / P(served): answered within t / answered (abandons ignored). */
  answeredWithinOverAnswered: number;
}

export interface ErlangAResult {
  /** P(an arriving caller finds all agents busy) = P(n ≥ N). */
  probWait: number;
  /** P(an arriving caller abandons) = θ·E[Lq]/λ. */
  probAbandon: number;
  /** Mean wait of the callers who are served (seconds), E[W | served]. */
  asa: number;
  /** Mean number of callers waiting in queue, E[Lq] = Σ_k k·π(N+k). */
  averageQueueLength: number;
  serviceLevel: ErlangAServiceLevel;
  /** Mean fraction of agents busy = E[min(n, N)]/N = A·(1 − probAbandon)/N (carried load per agent). */
  occupancy: number;
}

export interface AgentsNeededErlangAParams {
  arrivalRatePerHour: number;
  ahtSeconds: number;
  patienceSeconds: number;
  thresholdSeconds: number;
  /** Fraction in [0, 1], e.g. 0.8 for 80/20. */
  targetServiceLevel: number;
  /** Which ratio the target applies to (default 'offered'). */
  serviceLevelBasis?: 'offered' | 'answered';
  /** Optional cap on probAbandon, fraction in [0, 1]. */
  maxAbandonProbability?: number;
  /** Optional cap on occupancy, fraction in (0, 1]. */
  maxOccupancy?: number;
}

/** Relative size below which Erlang A queue states are dropped. */
const TRUNCATION_EPSILON = 1e-12;
/** Hard cap on the number of queue states of the Erlang A chain. */
const MAX_QUEUE_STATES = 1_000_000;
/** Poisson tail mass left out of the uniformization sum. */
const POISSON_TAIL_EPSILON = 1e-10;
/** Remaining in-queue mass below which the waiting-time chain is considered drained. */
const DRAINED_EPSILON = 1e-15;
/** Upper bound for the staffing searches. */
const MAX_AGENTS = 1_000_000;

function requireFinite(name: string, value: number, min: number, strictMin = false): void {
  if (!Number.isFinite(value) || value < min || (strictMin && value === min)) {
    throw new RangeError(`${name} must be a finite number ${strictMin ? '>' : '>='} ${min}, got ${value}`);
  }
}

function requireAgents(agents: number): void {
  if (!Number.isInteger(agents) || agents < 0) {
    throw new RangeError(`agents must be a non-negative integer, got ${agents}`);
  }
}

function requireFraction(name: string, value: number, allowZero: boolean, allowOne: boolean): void {
  const ok = Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && (allowOne ? value <= 1 : value < 1);
  if (!ok) throw new RangeError(`${name} must be a fraction in ${allowZero ? '[' : '('}0, 1${allowOne ? ']' : ')'}, got ${value}`);
}

function validateC(p: ErlangCParams): void {
  requireFinite('arrivalRatePerHour', p.arrivalRatePerHour, 0);
  requireFinite('ahtSeconds', p.ahtSeconds, 0);
  requireAgents(p.agents);
}

/** Offered traffic in Erlangs: A = λ·AHT = arrivalRatePerHour · ahtSeconds / 3600. */
export function trafficIntensity(arrivalRatePerHour: number, ahtSeconds: number): number {
  return (arrivalRatePerHour * ahtSeconds) / 3600;
}

/**
 * Erlang B blocking probability B(N, A) by the recursion
 * B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)). Stable for any N (values stay in [0, 1]).
 */
export function erlangB(traffic: number, agents: number): number {
  requireFinite('traffic', traffic, 0);
  requireAgents(agents);
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (traffic * b) / (n + traffic * b);
  return b;
}

/** Erlang C from Erlang B: C = N·B / (N − A·(1 − B)), valid for N > A. */
function erlangCFromB(b: number, traffic: number, agents: number): number {
  return (agents * b) / (agents - traffic * (1 - b));
}

/**
 * Erlang C probability of waiting P(W > 0) for M/M/N:
 * C = N·B / (N − A·(1 − B)) with B the Erlang B value (see {@link erlangB}).
 * Returns 1 when N ≤ A (unstable queue: every caller waits).
 */
export function erlangC(p: ErlangCParams): number {
  validateC(p);
  const a = trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds);
  if (p.agents <= a) return 1;
  return erlangCFromB(erlangB(a, p.agents), a, p.agents);
}

/**
 * Erlang C service level P(W ≤ t) = 1 − C·exp(−(N − A)·t / AHT).
 * Returns 0 when N ≤ A (unstable queue).
 */
export function erlangCServiceLevel(p: ErlangCServiceLevelParams): number {
  requireFinite('thresholdSeconds', p.thresholdSeconds, 0);
  const c = erlangC(p);
  const a = trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds);
  if (p.agents <= a) return 0;
  if (c === 0) return 1;
  return 1 - c * Math.exp((-(p.agents - a) * p.thresholdSeconds) / p.ahtSeconds);
}

/**
 * Erlang C average speed of answer (mean wait of all callers, seconds):
 * ASA = C·AHT / (N − A). Returns Infinity when N ≤ A (unstable queue).
 */
export function erlangCAsa(p: ErlangCParams): number {
  const c = erlangC(p);
  const a = trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds);
  if (p.agents <= a) return Number.POSITIVE_INFINITY;
  if (c === 0) return 0;
  return (c * p.ahtSeconds) / (p.agents - a);
}

/**
 * Agent occupancy (utilisation) for Erlang C: A / N, capped at 1
 * (with N ≤ A the queue is unstable and agents are always busy).
 * Returns 0 for N = 0 and A = 0.
 */
export function occupancy(p: ErlangCParams): number {
  validateC(p);
  const a = trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds);
  if (a === 0) return 0;
  if (p.agents <= a) return 1;
  return a / p.agents;
}

/**
 * Smallest N with Erlang C service level 1 − C·exp(−(N − A)·t / AHT) ≥ target
 * and, if given, occupancy A/N ≤ maxOccupancy. Scans N upward from ⌊A⌋ + 1,
 * updating Erlang B incrementally, so the result is exactly the smallest N.
 */
export function agentsNeeded(p: AgentsNeededParams): number {
  requireFinite('arrivalRatePerHour', p.arrivalRatePerHour, 0);
  requireFinite('ahtSeconds', p.ahtSeconds, 0);
  requireFinite('thresholdSeconds', p.thresholdSeconds, 0);
  requireFraction('targetServiceLevel', p.targetServiceLevel, true, false);
  if (p.maxOccupancy !== undefined) requireFraction('maxOccupancy', p.maxOccupancy, false, true);
  const a = trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds);
  if (a === 0) return 0;
  const minByOccupancy = p.maxOccupancy === undefined ? 0 : Math.ceil(a / p.maxOccupancy - 1e-9);
  let b = 1;
  for (let n = 1; n <= MAX_AGENTS; n++) {
    b = (a * b) / (n + a * b);
    if (n <= a || n < minByOccupancy) continue;
    const c = erlangCFromB(b, a, n);
    const sl = 1 - c * Math.exp((-(n - a) * p.thresholdSeconds) / p.ahtSeconds);
    if (sl >= p.targetServiceLevel) return n;
  }
  throw new RangeError(`agentsNeeded: no solution up to ${MAX_AGENTS} agents`);
}

/** log(exp(x) + exp(y)) without overflow. */
function logAddExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  const m = Math.max(x, y);
  return m + Math.log1p(Math.exp(-Math.abs(x - y)));
}

/**
 * log B(N, A) via log I(n), I = 1/B: I(0) = 1, I(n) = 1 + (n/A)·I(n−1)
 * (the Erlang B recursion inverted), kept in log space so B may be far below
 * the smallest double.
 */
function logErlangB(traffic: number, agents: number): number {
  let logI = 0;
  const logA = Math.log(traffic);
  for (let n = 1; n <= agents; n++) logI = logAddExp(0, Math.log(n) - logA + logI);
  return -logI;
}

interface ErlangAChain {
  lambda: number;
  nMu: number;
  theta: number;
  /** P(n < N). */
  pBelow: number;
  /** pQueue[k] = π(N + k), k = 0 … K−1 (n ≥ N: all agents busy, k callers waiting). */
  pQueue: Float64Array;
}

/**
 * Stationary distribution of the Erlang A birth–death chain: birth λ, death
 * min(n, N)·μ + max(n − N, 0)·θ. Below N it is Poisson-shaped, and its mass
 * relative to π(N) is 1/B(N, A); above N, π(N + k) = π(N)·Π_{j=1..k} λ/(Nμ + jθ).
 * Truncated once the remaining tail (also weighted by k) is < 1e-12 of the
 * mass so far.
 */
function erlangAChain(lambda: number, mu: number, theta: number, agents: number): ErlangAChain {
  const nMu = agents * mu;
  const traffic = lambda / mu;
  const logB = agents === 0 ? 0 : logErlangB(traffic, agents);
  const logLambda = Math.log(lambda);
  const logTolerance = Math.log(TRUNCATION_EPSILON);
  // logU[k] = log(B·r_k), r_0 = 1, r_k = r_{k−1}·λ/(Nμ + kθ); the n < N part has mass 1 − B.
  const logU: number[] = [logB];
  let logSum = logAddExp(Math.log1p(-Math.exp(logB)), logB);
  for (let k = 1; ; k++) {
    if (k >= MAX_QUEUE_STATES) {
      throw new RangeError(`Erlang A: queue distribution needs more than ${MAX_QUEUE_STATES} states; patience too long for this load`);
    }
    const q = lambda / (nMu + k * theta);
    const prev = logU[k - 1] ?? Number.NEGATIVE_INFINITY;
    if (q < 1) {
      // Ratios only decrease from here, so the dropped terms are ≤ prev·q^i
      // (i ≥ 1): their mass is ≤ prev·q/(1 − q) and their weight in E[Lq]
      // ≤ prev·q/(1 − q)·(k − 1 + 1/(1 − q)). Stop once the latter is negligible.
      const logTail = prev + Math.log(q) - Math.log1p(-q) + Math.log(k - 1 + 1 / (1 - q));
      if (logTail < logTolerance + logSum) break;
    }
    const next = prev + logLambda - Math.log(nMu + k * theta);
    logU.push(next);
    logSum = logAddExp(logSum, next);
  }
  const pQueue = new Float64Array(logU.length);
  for (let k = 0; k < logU.length; k++) pQueue[k] = Math.exp((logU[k] ?? Number.NEGATIVE_INFINITY) - logSum);
  const pBelow = Math.exp(Math.log1p(-Math.exp(logB)) - logSum);
  return { lambda, nMu, theta, pBelow, pQueue };
}

/**
 * P(an arriving caller is served within t and is in the queue on arrival), by
 * uniformization of the caller's phase-type chain. A caller who finds N + k in
 * the system has k ahead; from position j it moves to j − 1 at rate Nμ + jθ
 * (at j = 0 that event is its own service) and abandons at rate θ. With
 * Λ = Nμ + Kθ (largest exit rate), P(served by t) = Σ_m Pois(m; Λt)·S_m,
 * S_m = P(served within m uniformized steps); the sum stops when the Poisson
 * tail is < 1e-10 or the queue has drained.
 */
function queuedServedWithin(chain: ErlangAChain, t: number): number {
  const { nMu, theta, pQueue } = chain;
  const states = pQueue.length;
  const v = Float64Array.from(pQueue);
  const bigLambda = nMu + states * theta;
  if (bigLambda === 0 || t === 0) return 0;
  const down = new Float64Array(states);
  const stay = new Float64Array(states);
  for (let j = 0; j < states; j++) {
    down[j] = (nMu + j * theta) / bigLambda;
    stay[j] = 1 - (nMu + (j + 1) * theta) / bigLambda;
  }
  const serve0 = nMu / bigLambda;
  const x = bigLambda * t;
  const logX = Math.log(x);
  let logPmf = -x;
  let cdf = 0;
  let served = 0;
  let result = 0;
  for (let m = 0; ; m++) {
    if (m > 0) logPmf += logX - Math.log(m);
    const pmf = Math.exp(logPmf);
    result += pmf * served;
    cdf += pmf;
    if (m >= x && 1 - cdf < POISSON_TAIL_EPSILON) break;
    // One uniformized step: j → j−1 with prob down[j], stay with prob stay[j], the rest abandons.
    served += (v[0] ?? 0) * serve0;
    let remaining = 0;
    for (let j = 0; j < states; j++) {
      const next = (v[j] ?? 0) * (stay[j] ?? 0) + (j + 1 < states ? (v[j + 1] ?? 0) * (down[j + 1] ?? 0) : 0);
      v[j] = next;
      remaining += next;
    }
    if (remaining < DRAINED_EPSILON) {
      // S_m is constant from step m + 1 on: add it with the rest of the Poisson mass.
      result += served * Math.max(0, 1 - cdf);
      break;
    }
  }
  return result;
}

function validateA(p: ErlangAParams): void {
  requireFinite('arrivalRatePerHour', p.arrivalRatePerHour, 0);
  requireFinite('ahtSeconds', p.ahtSeconds, 0, true);
  requireFinite('patienceSeconds', p.patienceSeconds, 0, true);
  requireFinite('thresholdSeconds', p.thresholdSeconds, 0);
  requireAgents(p.agents);
  if (p.agents === 0) throw new RangeError('Erlang A needs at least one agent');
}

/**
 * Erlang A (M/M/N+M, Palm): Poisson arrivals λ, exponential service μ = 1/AHT,
 * exponential patience θ = 1/patienceSeconds. Computed on the birth–death chain
 * n = callers in system (birth λ, death min(n,N)·μ + max(n−N,0)·θ); arrivals
 * see the stationary distribution π (PASTA).
 *
 *  - probWait = Σ_{n≥N} π(n)
 *  - averageQueueLength E[Lq] = Σ_k k·π(N+k)
 *  - probAbandon = θ·E[Lq]/λ
 *  - asa = E[W | served] = Σ_k π(N+k)·P(served|k)·Σ_{j=0..k} 1/(Nμ+(j+1)θ) / P(served),
 *    with P(served|k) = Nμ/(Nμ+(k+1)θ)
 *  - serviceLevel: P(served with wait ≤ t) over offered and over answered
 *    (see {@link ErlangAServiceLevel}); the wait distribution is computed by uniformization
 *  - occupancy = E[min(n, N)]/N (= A·(1 − probAbandon)/N by flow balance)
 */
export function erlangA(p: ErlangAParams): ErlangAResult {
  validateA(p);
  const lambda = p.arrivalRatePerHour / 3600;
  const mu = 1 / p.ahtSeconds;
  const theta = 1 / p.patienceSeconds;
  const n = p.agents;
  if (lambda === 0) {
    return {
      probWait: 0,
      probAbandon: 0,
      asa: 0,
      averageQueueLength: 0,
      serviceLevel: { thresholdSeconds: p.thresholdSeconds, answeredWithinOverOffered: 1, answeredWithinOverAnswered: 1 },
      occupancy: 0,
    };
  }
  const chain = erlangAChain(lambda, mu, theta, n);
  const nMu = chain.nMu;
  let probWait = 0;
  let queueLength = 0;
  let servedWaitSum = 0;
  let harmonic = 0;
  for (let k = 0; k < chain.pQueue.length; k++) {
    const pk = chain.pQueue[k] ?? 0;
    const exitRate = nMu + (k + 1) * theta;
    harmonic += 1 / exitRate;
    probWait += pk;
    queueLength += k * pk;
    servedWaitSum += pk * (nMu / exitRate) * harmonic;
  }
  const probAbandon = Math.min(1, (theta * queueLength) / lambda);
  const probServed = 1 - probAbandon;
  const answeredWithin = Math.min(1, chain.pBelow + queuedServedWithin(chain, p.thresholdSeconds));
  // Busy agents: E[min(n, N)] = Σ_{n<N} n·π(n) + N·P(n ≥ N), and n·π(n) = A·π(n−1)
  // below N, so E[min(n, N)] = A·(P(n < N) − π(N−1)) + N·probWait with
  // π(N−1) = π(N)·N/A. Equal to A·(1 − probAbandon) by flow balance, without
  // its cancellation when most callers abandon.
  const traffic = lambda / mu;
  const busy = traffic * chain.pBelow - n * (chain.pQueue[0] ?? 0) + n * probWait;
  return {
    probWait: Math.min(1, probWait),
    probAbandon,
    asa: probServed > 0 ? servedWaitSum / probServed : Number.POSITIVE_INFINITY,
    averageQueueLength: queueLength,
    serviceLevel: {
      thresholdSeconds: p.thresholdSeconds,
      answeredWithinOverOffered: answeredWithin,
      answeredWithinOverAnswered: probServed > 0 ? Math.min(1, answeredWithin / probServed) : 0,
    },
    occupancy: Math.min(1, Math.max(0, busy / n)),
  };
}

/**
 * Smallest N ≥ 1 whose Erlang A service level (over offered or over answered,
 * see {@link ErlangAServiceLevel}) is ≥ targetServiceLevel and which meets the
 * optional caps probAbandon ≤ maxAbandonProbability and occupancy ≤ maxOccupancy.
 * All three improve as N grows, so the search doubles N until feasible and
 * then bisects.
 */
export function agentsNeededErlangA(p: AgentsNeededErlangAParams): number {
  requireFraction('targetServiceLevel', p.targetServiceLevel, true, true);
  if (p.maxAbandonProbability !== undefined) requireFraction('maxAbandonProbability', p.maxAbandonProbability, true, true);
  if (p.maxOccupancy !== undefined) requireFraction('maxOccupancy', p.maxOccupancy, false, true);
  const basis = p.serviceLevelBasis ?? 'offered';
  const feasible = (agents: number): boolean => {
    const r = erlangA({
      arrivalRatePerHour: p.arrivalRatePerHour,
      ahtSeconds: p.ahtSeconds,
      patienceSeconds: p.patienceSeconds,
      thresholdSeconds: p.thresholdSeconds,
      agents,
    });
    const sl = basis === 'offered' ? r.serviceLevel.answeredWithinOverOffered : r.serviceLevel.answeredWithinOverAnswered;
    if (sl < p.targetServiceLevel) return false;
    if (p.maxAbandonProbability !== undefined && r.probAbandon > p.maxAbandonProbability) return false;
    if (p.maxOccupancy !== undefined && r.occupancy > p.maxOccupancy) return false;
    return true;
  };
  let lo = 0; // infeasible (or zero agents)
  let hi = Math.max(1, Math.ceil(trafficIntensity(p.arrivalRatePerHour, p.ahtSeconds)));
  while (!feasible(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_AGENTS) throw new RangeError(`agentsNeededErlangA: no solution up to ${MAX_AGENTS} agents`);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (feasible(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
