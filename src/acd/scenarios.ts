/**
 * Named simulation scenarios: the demo ISP support line and a large center
 * for benchmarks. Figures are chosen to look like the real thing, not tuned
 * to pass a test: see the comments for where each number comes from.
 */
import { queueConfig } from './defaults.ts';
import { DAY, type SimAgentGroup, type SimulationScenario } from './simulator.ts';

/**
 * Hourly call shape of a residential ISP line (relative weights, 00–23 h):
 * quiet nights, a late-morning peak when people find their internet down,
 * and a long evening peak when they come home and want TV and internet.
 */
export const ISP_HOURLY_PROFILE = [
  0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.25, 0.55, 0.95, 1.25, 1.4, 1.4,
  1.3, 1.25, 1.2, 1.2, 1.25, 1.35, 1.5, 1.55, 1.45, 1.2, 0.8, 0.45,
];
/** Monday is the busiest day (weekend problems), Sunday the quietest. */
export const ISP_DAILY_PROFILE = [1.15, 1.05, 1.0, 1.0, 1.0, 0.95, 0.85];

/**
 * One week of a regional ISP's support line: about 15,500 calls a week,
 * average talk 4 min 30 s, about 24 operators on the day shift (line 1 in three
 * skill groups plus line 2), a thin night shift, 15-minute breaks every two
 * hours, 20 s wrap-up, callers who give up after two and a half minutes on average.
 * Their real figures: 76% answered within 20 s, ASA 29 s.
 */
export function ispWeek(seed = 1, weeks = 1): SimulationScenario {
  const breaks = { everyMinutes: 120, minutes: 15 };
  // Shifts follow the call curve: early, middle and late line 1 shifts, line 2 by day, a thin night.
  const early = { startHour: 7, endHour: 16 };
  const middle = { startHour: 10, endHour: 22 };
  const late = { startHour: 14, endHour: 23 };
  const day = { startHour: 9, endHour: 21 };
  const night = { startHour: 23, endHour: 7 };
  const agents: SimAgentGroup[] = [
    { idPrefix: 'early-net-', count: 5, skills: { internet: 5, tv: 2 }, languages: ['ru'], shifts: [early], breaks },
    { idPrefix: 'early-tv-', count: 2, skills: { tv: 5, internet: 3 }, languages: ['ru'], shifts: [early], breaks },
    { idPrefix: 'early-bill-', count: 1, skills: { billing: 5, internet: 3 }, languages: ['ru', 'en'], shifts: [early], breaks },
    { idPrefix: 'mid-net-', count: 4, skills: { internet: 5, tv: 3 }, languages: ['ru'], shifts: [middle], breaks },
    { idPrefix: 'mid-tv-', count: 2, skills: { tv: 5 }, languages: ['ru'], shifts: [middle], breaks },
    { idPrefix: 'mid-bill-', count: 2, skills: { billing: 5 }, languages: ['ru', 'en'], shifts: [middle], breaks },
    { idPrefix: 'late-net-', count: 4, skills: { internet: 4, tv: 3 }, languages: ['ru'], shifts: [late], breaks },
    { idPrefix: 'late-bill-', count: 2, skills: { billing: 4, tv: 4 }, languages: ['ru'], shifts: [late], breaks },
    { idPrefix: 'l2-', count: 3, skills: { l2: 7, internet: 7, tv: 6 }, languages: ['ru', 'en'], shifts: [day], breaks },
    { idPrefix: 'night-', count: 4, skills: { internet: 4, tv: 4, billing: 3, l2: 5 }, languages: ['ru', 'en'], shifts: [night], breaks },
  ];
  const common = { serviceLevelSeconds: 20, wrapUpSeconds: 20, ringTimeoutSeconds: 20 };
  return {
    name: 'isp-week',
    seed,
    durationMs: weeks * 7 * DAY,
    queues: [
      queueConfig({ id: 'internet-l1', target: 'internet >= 3', ...common, escalation: [{ afterSeconds: 60, target: 'internet >= 3 || l2 >= 5' }] }),
      queueConfig({ id: 'tv-l1', target: 'tv >= 3', ...common, escalation: [{ afterSeconds: 60, target: 'tv >= 3 || l2 >= 5' }] }),
      queueConfig({ id: 'billing-l1', target: 'billing >= 3', ...common, escalation: [{ afterSeconds: 120, overflowTo: 'internet-l1' }] }),
    ],
    agents,
    arrivals: [
      { queueId: 'internet-l1', callsPerWeek: 9_300, hourlyProfile: ISP_HOURLY_PROFILE, dailyProfile: ISP_DAILY_PROFILE },
      { queueId: 'tv-l1', callsPerWeek: 3_700, hourlyProfile: ISP_HOURLY_PROFILE, dailyProfile: ISP_DAILY_PROFILE },
      { queueId: 'billing-l1', callsPerWeek: 2_500, hourlyProfile: ISP_HOURLY_PROFILE, dailyProfile: ISP_DAILY_PROFILE, languages: [{ language: 'ru', share: 0.97 }, { language: 'en', share: 0.03 }] },
    ],
    talk: { distribution: 'lognormal', meanSeconds: 270, cv: 0.9 },
    patience: { distribution: 'lognormal', meanSeconds: 150, cv: 1 },
    answerDelaySeconds: 3,
  };
}

/**
 * A 1,000-agent center for a month: 10 queues, agents in 10 skill groups with
 * a second skill each, three 8-hour shifts, about 3 million calls a month.
 */
export function centerMonth(seed = 1, days = 30, agentsPerGroup = 100): SimulationScenario {
  const groups = 10;
  const queues = Array.from({ length: groups }, (_, i) =>
    queueConfig({ id: `q${i}`, target: `s${i} >= 3`, wrapUpSeconds: 15, escalation: [{ afterSeconds: 45, target: `s${i} >= 1` }] }),
  );
  const shifts = [
    { startHour: 6, endHour: 14, share: 0.45 },
    { startHour: 14, endHour: 22, share: 0.4 },
    { startHour: 22, endHour: 6, share: 0.15 },
  ];
  const agents: SimAgentGroup[] = [];
  for (let g = 0; g < groups; g++) {
    for (const [si, s] of shifts.entries()) {
      agents.push({
        idPrefix: `g${g}-s${si}-`,
        count: Math.round(agentsPerGroup * s.share),
        skills: { [`s${g}`]: 5, [`s${(g + 1) % groups}`]: 2 },
        languages: ['ru'],
        shifts: [{ startHour: s.startHour, endHour: s.endHour }],
        breaks: { everyMinutes: 120, minutes: 10 },
      });
    }
  }
  const shape = [0.3, 0.2, 0.15, 0.15, 0.2, 0.3, 0.6, 0.9, 1.2, 1.3, 1.3, 1.3, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.7, 0.5, 0.4];
  return {
    name: 'center-month',
    seed,
    durationMs: days * DAY,
    queues,
    agents,
    arrivals: queues.map((q) => ({ queueId: q.id, callsPerWeek: (agentsPerGroup / 100) * 72_000, hourlyProfile: shape })),
    talk: { distribution: 'lognormal', meanSeconds: 240, cv: 0.8 },
    patience: { meanSeconds: 120 },
    answerDelaySeconds: 2,
    trackEwt: false,
  };
}
