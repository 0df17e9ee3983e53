import { describe, expect, it } from 'vitest';
import { digitPrompts, fillTemplate, minutesWord, numberPrompts } from '../../../src/ivr/speak.ts';

describe('numberPrompts: a number as the prompts that say it', () => {
  it.each([
    [0, ['number-0']],
    [1, ['number-1']],
    [11, ['number-11']],
    [20, ['number-20']],
    [21, ['number-20', 'number-1']],
    [42, ['number-40', 'number-2']],
    [100, ['number-100']],
    [111, ['number-100', 'number-11']],
    [342, ['number-300', 'number-40', 'number-2']],
    [999, ['number-900', 'number-90', 'number-9']],
  ])('%i → %j', (n, prompts) => {
    expect(numberPrompts(n)).toEqual(prompts);
  });

  it('uses the feminine forms of one and two ("одна минута", "две минуты")', () => {
    expect(numberPrompts(1, 'f')).toEqual(['number-1-f']);
    expect(numberPrompts(2, 'f')).toEqual(['number-2-f']);
    expect(numberPrompts(22, 'f')).toEqual(['number-20', 'number-2-f']);
    expect(numberPrompts(3, 'f')).toEqual(['number-3']);
    expect(numberPrompts(12, 'f')).toEqual(['number-12']);
  });

  it('says numbers from 1000 up digit by digit', () => {
    expect(numberPrompts(1000)).toEqual(['digit-1', 'digit-0', 'digit-0', 'digit-0']);
    expect(numberPrompts(12345)).toEqual(['digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5']);
  });

  it('rounds fractions and says negative numbers as zero', () => {
    expect(numberPrompts(2.6)).toEqual(['number-3']);
    expect(numberPrompts(-5)).toEqual(['number-0']);
  });
});

describe('digitPrompts', () => {
  it('says every digit, keeping leading zeros and skipping anything else', () => {
    expect(digitPrompts('0042')).toEqual(['digit-0', 'digit-0', 'digit-4', 'digit-2']);
    expect(digitPrompts('12-3 a#')).toEqual(['digit-1', 'digit-2', 'digit-3']);
    expect(digitPrompts('')).toEqual([]);
  });
});

describe('minutesWord', () => {
  it.each([
    [1, 'minute-1'],
    [2, 'minute-2'],
    [4, 'minute-2'],
    [5, 'minute-5'],
    [0, 'minute-5'],
    [11, 'minute-5'],
    [12, 'minute-5'],
    [13, 'minute-5'],
    [14, 'minute-5'],
    [21, 'minute-1'],
    [22, 'minute-2'],
    [25, 'minute-5'],
    [111, 'minute-5'],
    [112, 'minute-5'],
    [101, 'minute-1'],
    [124, 'minute-2'],
  ])('Russian: %i → %s', (n, word) => {
    expect(minutesWord(n, 'ru')).toBe(word);
  });

  it('English: one minute, otherwise minutes', () => {
    expect(minutesWord(1, 'en')).toBe('minute-1');
    for (const n of [0, 2, 5, 11, 21, 22]) expect(minutesWord(n, 'en')).toBe('minute-5');
  });
});

describe('fillTemplate', () => {
  const vars = new Map<string, string | number | boolean>([
    ['contract', '123456'],
    ['minutes', 7],
    ['vip', true],
    ['subscriber.area', 'north side'],
  ]);

  it('fills placeholders from the call variables, numbers and booleans as text', () => {
    expect(fillTemplate('c=${contract}&m=${minutes}&v=${vip}', vars)).toBe('c=123456&m=7&v=true');
    expect(fillTemplate('${subscriber.area}', vars)).toBe('north side');
  });

  it('makes a missing variable empty', () => {
    expect(fillTemplate('[${nope}]', vars)).toBe('[]');
  });

  it('leaves text without placeholders, and malformed ones, as they are', () => {
    expect(fillTemplate('plain $contract {contract} ${1x}', vars)).toBe('plain $contract {contract} ${1x}');
  });

  it('encodes only the filled values (URLs)', () => {
    const v = new Map([['q', 'a b&c=d/é']]);
    expect(fillTemplate('http://crm/x?q=${q}&z=1', v, encodeURIComponent)).toBe('http://crm/x?q=a%20b%26c%3Dd%2F%C3%A9&z=1');
  });
});
