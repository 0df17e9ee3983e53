import { describe, expect, it } from 'vitest';
import { scheduleState } from '../../../src/ivr/schedule.ts';
import { Schedule } from '../../../src/ivr/schema.ts';

/** A schedule as a flow file writes it (defaults filled by the schema). */
const schedule = (s: unknown): Schedule => Schedule.parse(s);
const at = (iso: string): Date => new Date(iso);

// 2026-03-02 is a Monday, 2026-03-07 a Saturday, 2026-03-08 a Sunday.
describe('scheduleState', () => {
  const office = schedule({ hours: { 'mon-fri': ['09:00-13:00', '14:00-18:00'], sat: ['10:00-14:00'] }, holidays: ['2026-03-09'] });

  it('is open inside an interval of the day and closed outside', () => {
    expect(scheduleState(office, at('2026-03-02T10:30:00Z'), 'UTC')).toBe('open');
    expect(scheduleState(office, at('2026-03-02T08:59:59Z'), 'UTC')).toBe('closed');
    expect(scheduleState(office, at('2026-03-02T13:30:00Z'), 'UTC')).toBe('closed'); // lunch
    expect(scheduleState(office, at('2026-03-02T14:00:00Z'), 'UTC')).toBe('open');
    expect(scheduleState(office, at('2026-03-07T11:00:00Z'), 'UTC')).toBe('open'); // saturday hours
    expect(scheduleState(office, at('2026-03-07T15:00:00Z'), 'UTC')).toBe('closed');
    expect(scheduleState(office, at('2026-03-08T11:00:00Z'), 'UTC')).toBe('closed'); // sunday: not listed
  });

  it('opens at the start minute and closes at the end minute (end exclusive)', () => {
    expect(scheduleState(office, at('2026-03-02T09:00:00Z'), 'UTC')).toBe('open');
    expect(scheduleState(office, at('2026-03-02T17:59:59Z'), 'UTC')).toBe('open');
    expect(scheduleState(office, at('2026-03-02T18:00:00Z'), 'UTC')).toBe('closed');
  });

  it('covers every day of a range, mon-fri, and only those', () => {
    const days = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08'];
    const states = days.map((d) => scheduleState(schedule({ hours: { 'mon-fri': ['09:00-18:00'] } }), at(`${d}T12:00:00Z`), 'UTC'));
    expect(states).toEqual(['open', 'open', 'open', 'open', 'open', 'closed', 'closed']);
  });

  it('wraps a range over the end of the week: sat-mon is saturday, sunday and monday', () => {
    const weekend = schedule({ hours: { 'sat-mon': ['10:00-12:00'] } });
    const days = ['2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'];
    expect(days.map((d) => scheduleState(weekend, at(`${d}T11:00:00Z`), 'UTC'))).toEqual(['closed', 'open', 'open', 'open', 'closed']);
  });

  it('is a holiday all day on a listed date, whatever the hours say', () => {
    expect(scheduleState(office, at('2026-03-09T00:00:00Z'), 'UTC')).toBe('holiday');
    expect(scheduleState(office, at('2026-03-09T10:00:00Z'), 'UTC')).toBe('holiday');
    expect(scheduleState(office, at('2026-03-09T23:59:00Z'), 'UTC')).toBe('holiday');
    expect(scheduleState(office, at('2026-03-10T10:00:00Z'), 'UTC')).toBe('open');
  });

  it('reads 24:00 as the end of the day: open at 23:59, the round-the-clock line is never closed', () => {
    const evening = schedule({ hours: { mon: ['20:00-24:00'] } });
    expect(scheduleState(evening, at('2026-03-02T23:59:00Z'), 'UTC')).toBe('open');
    expect(scheduleState(evening, at('2026-03-03T00:00:00Z'), 'UTC')).toBe('closed'); // tuesday now
    const always = schedule({ hours: { 'mon-sun': ['00:00-24:00'] } });
    for (const t of ['2026-03-02T00:00:00Z', '2026-03-04T12:34:00Z', '2026-03-08T23:59:59Z']) expect(scheduleState(always, at(t), 'UTC')).toBe('open');
  });

  describe('time zones', () => {
    const moscowOffice = schedule({ timezone: 'Europe/Moscow', hours: { 'mon-fri': ['09:00-18:00'] }, holidays: ['2026-03-09'] });

    it("uses the schedule's zone: 22:00 UTC sunday is 01:00 monday in Moscow", () => {
      const night = schedule({ timezone: 'Europe/Moscow', hours: { mon: ['00:00-02:00'] } });
      expect(scheduleState(night, at('2026-03-01T22:00:00Z'), 'UTC')).toBe('open');
      expect(scheduleState(schedule({ hours: { mon: ['00:00-02:00'] } }), at('2026-03-01T22:00:00Z'), 'UTC')).toBe('closed');
    });

    it('opens at 09:00 Moscow time, which is 06:00 UTC', () => {
      expect(scheduleState(moscowOffice, at('2026-03-02T05:59:00Z'), 'UTC')).toBe('closed');
      expect(scheduleState(moscowOffice, at('2026-03-02T06:00:00Z'), 'UTC')).toBe('open');
      expect(scheduleState(moscowOffice, at('2026-03-02T14:59:00Z'), 'UTC')).toBe('open');
      expect(scheduleState(moscowOffice, at('2026-03-02T15:00:00Z'), 'UTC')).toBe('closed');
    });

    it('dates holidays in the local zone: 21:30 UTC the day before is already the holiday in Moscow', () => {
      expect(scheduleState(moscowOffice, at('2026-03-08T21:30:00Z'), 'UTC')).toBe('holiday');
      expect(scheduleState(moscowOffice, at('2026-03-09T21:30:00Z'), 'UTC')).toBe('closed'); // 00:30 tuesday
    });

    it('falls back to the default zone when the schedule names none', () => {
      const plain = schedule({ hours: { 'mon-fri': ['09:00-18:00'] } });
      expect(scheduleState(plain, at('2026-03-02T06:30:00Z'), 'Europe/Moscow')).toBe('open');
      expect(scheduleState(plain, at('2026-03-02T06:30:00Z'), 'UTC')).toBe('closed');
    });

    it('follows daylight saving: Berlin springs forward on 2026-03-29 at 01:00 UTC', () => {
      const berlin = schedule({ timezone: 'Europe/Berlin', hours: { sun: ['03:00-04:00'] } });
      // 00:59 UTC = 01:59 CET; 01:00 UTC = 03:00 CEST (02:00–02:59 local does not exist that night)
      expect(scheduleState(berlin, at('2026-03-29T00:59:00Z'), 'UTC')).toBe('closed');
      expect(scheduleState(berlin, at('2026-03-29T01:00:00Z'), 'UTC')).toBe('open');
      expect(scheduleState(berlin, at('2026-03-29T01:59:00Z'), 'UTC')).toBe('open');
      expect(scheduleState(berlin, at('2026-03-29T02:00:00Z'), 'UTC')).toBe('closed');
    });

    it('follows daylight saving: Berlin falls back on 2026-10-25, so 02:00–03:00 local happens twice', () => {
      const berlin = schedule({ timezone: 'Europe/Berlin', hours: { sun: ['02:00-03:00'] } });
      expect(scheduleState(berlin, at('2026-10-24T23:59:00Z'), 'UTC')).toBe('closed'); // 01:59 CEST
      expect(scheduleState(berlin, at('2026-10-25T00:00:00Z'), 'UTC')).toBe('open'); // 02:00 CEST
      expect(scheduleState(berlin, at('2026-10-25T01:30:00Z'), 'UTC')).toBe('open'); // 02:30 CET
      expect(scheduleState(berlin, at('2026-10-25T02:00:00Z'), 'UTC')).toBe('closed'); // 03:00 CET
    });
  });
});
