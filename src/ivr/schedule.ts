/**
 * Opening hours in a time zone: "is the line open now?" for branch nodes
 * (night message, weekend hours, holidays). Local wall-clock time is read with
 * Intl, so daylight-saving changes are handled by the zone database.
 */
import type { Schedule } from './schema.ts';

type Day = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

export type ScheduleState = 'open' | 'closed' | 'holiday';

interface LocalTime {
  date: string; // YYYY-MM-DD
  day: Day;
  minutes: number; // since local midnight
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(at)) parts[p.type] = p.value;
  const day = (parts['weekday'] ?? 'Sun').slice(0, 3).toLowerCase() as Day;
  return { date: `${parts['year']}-${parts['month']}-${parts['day']}`, day, minutes: Number(parts['hour']) * 60 + Number(parts['minute']) };
}

/** Expand "mon-fri" → [mon..fri] (wrapping: "sat-mon" → sat, sun, mon). */
function expandDays(key: string): Day[] {
  const [from, to] = key.split('-') as [Day, Day | undefined];
  if (to === undefined) return [from];
  // Week order for ranges is Monday first, as people write them.
  const week: Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const out: Day[] = [];
  for (let i = week.indexOf(from); ; i = (i + 1) % 7) {
    out.push(week[i] as Day);
    if (week[i] === to || out.length === 7) break;
  }
  return out;
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function scheduleState(schedule: Schedule, at: Date, defaultZone: string): ScheduleState {
  const t = localTime(at, schedule.timezone ?? defaultZone);
  if (schedule.holidays.includes(t.date)) return 'holiday';
  for (const [key, intervals] of Object.entries(schedule.hours)) {
    if (!expandDays(key).includes(t.day)) continue;
    for (const interval of intervals) {
      const [from, to] = interval.split('-') as [string, string];
      if (t.minutes >= toMinutes(from) && t.minutes < toMinutes(to)) return 'open';
    }
  }
  return 'closed';
}
