import { describe, expect, it } from 'vitest';
import { ALL_AREAS, OutageBoard } from '../../../src/calls/outages.ts';

const NOW = new Date('2026-03-02T12:00:00Z');
const t = (hhmm: string) => new Date(`2026-03-02T${hhmm}:00Z`);

describe('OutageBoard.current', () => {
  it("gives the notices for the caller's area and for all areas, in the order they were set", () => {
    const board = new OutageBoard([
      { area: ALL_AREAS, prompt: 'city-wide' },
      { area: 'north', prompt: 'north-fiber-cut' },
      { area: 'south', prompt: 'south-works' },
    ]);
    expect(board.current('north', NOW)).toEqual(['city-wide', 'north-fiber-cut']);
    expect(board.current('south', NOW)).toEqual(['city-wide', 'south-works']);
    expect(board.current('east', NOW)).toEqual(['city-wide']);
    expect(board.current(undefined, NOW)).toEqual(['city-wide']);
  });

  it('gives nothing when no notice is set', () => {
    expect(new OutageBoard().current('north', NOW)).toEqual([]);
  });

  it('keeps a notice in force from its start (inclusive) until its end (exclusive)', () => {
    const board = new OutageBoard([{ area: 'north', prompt: 'works', from: t('10:00'), until: t('18:00') }]);
    expect(board.current('north', t('09:59'))).toEqual([]);
    expect(board.current('north', t('10:00'))).toEqual(['works']);
    expect(board.current('north', t('17:59'))).toEqual(['works']);
    expect(board.current('north', t('18:00'))).toEqual([]);
  });

  it('treats a missing start or end as open-ended', () => {
    const board = new OutageBoard([
      { area: '*', prompt: 'until-six', until: t('18:00') },
      { area: '*', prompt: 'from-ten', from: t('10:00') },
    ]);
    expect(board.current('x', t('08:00'))).toEqual(['until-six']);
    expect(board.current('x', t('12:00'))).toEqual(['until-six', 'from-ten']);
    expect(board.current('x', t('20:00'))).toEqual(['from-ten']);
  });

  it('set() replaces the notices; changing the list given afterwards changes nothing', () => {
    const notices = [{ area: '*', prompt: 'a' }];
    const board = new OutageBoard(notices);
    notices.push({ area: '*', prompt: 'b' });
    expect(board.current('x', NOW)).toEqual(['a']);
    board.set([{ area: 'north', prompt: 'c' }]);
    expect(board.current('north', NOW)).toEqual(['c']);
    expect(board.list()).toEqual([{ area: 'north', prompt: 'c' }]);
  });
});
