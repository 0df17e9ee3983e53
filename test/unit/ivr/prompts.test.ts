import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowError } from '../../../src/ivr/errors.ts';
import { DEFAULT_PROMPTS_DIR, PromptLibrary } from '../../../src/ivr/prompts.ts';

let dir = '';
const touch = (...parts: string[]): string => {
  const file = join(dir, ...parts);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, '');
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-prompts-'));
  touch('ru', 'greeting.wav');
  touch('en', 'greeting.wav');
  touch('ru', 'promo.wav');
  touch('beep.wav');
  touch('music', 'hold.wav');
  touch('ru', 'beep.wav'); // a Russian beep: the language folder wins
  touch('flows', 'jingle.wav');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('PromptLibrary', () => {
  it('resolves an id to prompts/<lang>/<id>.wav, then to prompts/<id>.wav', () => {
    const lib = new PromptLibrary(dir);
    expect(lib.resolve('greeting', 'en')).toBe(join(dir, 'en', 'greeting.wav'));
    expect(lib.resolve('beep', 'ru')).toBe(join(dir, 'ru', 'beep.wav'));
    expect(lib.resolve('beep', 'en')).toBe(join(dir, 'beep.wav'));
    expect(lib.resolve('music/hold', 'en')).toBe(join(dir, 'music', 'hold.wav'));
  });

  it('falls back to another language when asked to', () => {
    const lib = new PromptLibrary(dir);
    expect(lib.resolve('promo', 'en', 'ru')).toBe(join(dir, 'ru', 'promo.wav'));
    expect(() => lib.resolve('promo', 'en')).toThrow(FlowError);
  });

  it('resolves map-form refs by language, with the fallback language', () => {
    const lib = new PromptLibrary(dir);
    expect(lib.resolve({ ru: 'promo', en: 'greeting' }, 'en')).toBe(join(dir, 'en', 'greeting.wav'));
    expect(lib.resolve({ ru: 'promo' }, 'en', 'ru')).toBe(join(dir, 'ru', 'promo.wav'));
    expect(() => lib.resolve({ ru: 'promo' }, 'en')).toThrow(/no id for language en/);
  });

  it('passes tone: and silence: through, and resolves file: against the given folder', () => {
    const lib = new PromptLibrary(dir);
    expect(lib.resolve('tone:ringback', 'ru')).toBe('tone:ringback');
    expect(lib.resolve('silence:250', 'en')).toBe('silence:250');
    expect(lib.resolve('file:jingle.wav', 'ru', undefined, join(dir, 'flows'))).toBe(join(dir, 'flows', 'jingle.wav'));
    expect(() => lib.resolve('file:jingle.wav', 'ru')).toThrow(/prompt file .*jingle.wav does not exist/);
  });

  it('throws FLOW_REFERENCE naming the prompt and where it looked', () => {
    const lib = new PromptLibrary(dir);
    try {
      lib.resolve('nope', 'en');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FlowError);
      expect((err as FlowError).code).toBe('FLOW_REFERENCE');
      expect((err as FlowError).message).toBe(`${dir}: prompt "nope" does not exist for language en (looked in en/nope.wav and nope.wav)`);
    }
  });

  it('answers exists() per language, true for generated sources', () => {
    const lib = new PromptLibrary(dir);
    expect(lib.exists('greeting', 'ru')).toBe(true);
    expect(lib.exists('promo', 'en')).toBe(false);
    expect(lib.exists('beep', 'en')).toBe(true);
    expect(lib.exists('tone:busy', 'en')).toBe(true);
  });

  it('never leaves its folder', () => {
    const lib = new PromptLibrary(join(dir, 'ru'));
    expect(lib.exists('../en/greeting', 'xx')).toBe(false);
    expect(() => lib.resolve('../../etc/passwd', 'ru')).toThrow(FlowError);
  });

  it('looks a path up once, until clearCache()', () => {
    const file = touch('en', 'temporary.wav');
    const lib = new PromptLibrary(dir);
    expect(lib.exists('temporary', 'en')).toBe(true);
    unlinkSync(file);
    expect(lib.exists('temporary', 'en')).toBe(true);
    lib.clearCache();
    expect(lib.exists('temporary', 'en')).toBe(false);
  });

  it('defaults to the repository prompts folder', () => {
    expect(DEFAULT_PROMPTS_DIR).toBe(fileURLToPath(new URL('../../../prompts', import.meta.url)));
    const lib = new PromptLibrary();
    expect(lib.exists('greeting', 'ru')).toBe(true);
    expect(lib.exists('music/hold', 'en')).toBe(true);
    expect(lib.resolve('main-menu', 'en')).toBe(join(DEFAULT_PROMPTS_DIR, 'en', 'main-menu.wav'));
  });
});
