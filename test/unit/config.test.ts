import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, type ConfigErrorCode } from '../../src/config.ts';

const DEMO = fileURLToPath(new URL('../../hotline.yaml', import.meta.url));

/** A small valid configuration that the error cases below break one field at a time. */
const BASE = `
skills: [internet, billing]
languages: [ru, en]
queues:
  - id: internet-l1
    target: "internet >= 3"
  - id: billing-l1
    target: "billing >= 3"
agents:
  - id: anna
    name: Anna Smirnova
    skills: { internet: 5 }
    languages: [ru, en]
`;

function configError(fn: () => unknown, code: ConfigErrorCode = 'HOTLINE_CONFIG_INVALID'): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

describe('demo configuration (hotline.yaml)', () => {
  it('loads and describes the ISP support line', () => {
    const c = loadConfig(DEMO, {});
    expect(c.queues.map((q) => q.id)).toEqual(['internet-l1', 'tv-l1', 'billing-l1', 'l2-engineers']);
    expect(c.agents).toHaveLength(6);
    expect(c.skills).toEqual(['internet', 'tv', 'billing', 'l2']);
    expect(c.languages).toEqual(['ru', 'en']);
    expect(c.timezone).toBe('Europe/Moscow');
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080 });

    const internet = c.queues.find((q) => q.id === 'internet-l1');
    expect(internet?.serviceLevelSeconds).toBe(20);
    expect(internet?.escalation).toEqual([
      { afterSeconds: 60, target: 'internet >= 3 || l2 >= 5' },
      { afterSeconds: 180, priority: 5 },
    ]);
    const billing = c.queues.find((q) => q.id === 'billing-l1');
    expect(billing?.escalation).toEqual([{ afterSeconds: 300, overflowTo: 'internet-l1' }]);
    expect(c.agents.filter((a) => a.languages.includes('en'))).toHaveLength(2);
    expect(c.agents.filter((a) => (a.skills['l2'] ?? 0) >= 5).length).toBeGreaterThanOrEqual(1);
  });

  it('is the default file in the working directory', () => {
    expect(loadConfig(undefined, {})).toEqual(loadConfig(DEMO, {}));
  });
});

describe('defaults', () => {
  it('fills every queue field and section that is left out', () => {
    const c = parseConfig('queues: [{ id: q, target: "internet >= 1" }]\nskills: [internet]', 'min.yaml');
    expect(c.queues[0]).toEqual({
      id: 'q',
      target: 'internet >= 1',
      strategy: 'longest-idle',
      weight: 1,
      serviceLevelSeconds: 20,
      shortAbandonSeconds: 5,
      serviceLevelDefinition: 'asterisk-sl',
      maxWaitSeconds: null,
      maxLength: null,
      wrapUpSeconds: 15,
      ringTimeoutSeconds: 20,
      maxNoAnswer: 3,
      retrySeconds: 5,
      escalation: [],
    });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(c.log).toEqual({ level: 'info' });
    expect(c.timezone).toBe('Europe/Moscow');
    expect(c.engine).toBe('embedded');
    expect(c.languages).toEqual([]);
    expect(c.agents).toEqual([]);
  });

  it('accepts an empty file', () => {
    expect(parseConfig('', 'empty.yaml').queues).toEqual([]);
  });
});

describe('errors name the file, the field and what was expected', () => {
  it('bad enum value', () => {
    const e = configError(() => parseConfig(BASE.replace('target: "billing >= 3"', 'target: "billing >= 3"\n    strategy: fastest'), 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: queues[1].strategy: expected one of longest-idle, ring-all');
    expect(e.message).toContain('(got "fastest")');
    expect(e.problems[0]?.line).toBe(9);
  });

  it('missing field', () => {
    const e = configError(() => parseConfig(BASE.replace('    name: Anna Smirnova\n', ''), 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: agents[0].name: missing (expected a string)');
  });

  it('wrong type', () => {
    const e = configError(() => parseConfig(`${BASE}http:\n  port: eighty\n`, 'site.yaml'));
    expect(e.message).toContain('site.yaml: http.port: expected a number (got "eighty")');
    const level = configError(() => parseConfig(BASE.replace('{ internet: 5 }', '{ internet: 11 }'), 'site.yaml'));
    expect(level.message).toContain('site.yaml: agents[0].skills.internet: expected a skill level, an integer from 1 to 10 (got 11)');
  });

  it('unknown overflow target, and overflow to itself', () => {
    const step = (to: string) => BASE.replace('target: "billing >= 3"', `target: "billing >= 3"\n    escalation: [{ afterSeconds: 300, overflowTo: ${to} }]`);
    const unknown = configError(() => parseConfig(step('internet-l9'), 'hotline.yaml'));
    expect(unknown.message).toContain('hotline.yaml: queues[1].escalation[0].overflowTo: expected the id of a configured queue: internet-l1, billing-l1 (got "internet-l9")');
    const self = configError(() => parseConfig(step('billing-l1'), 'hotline.yaml'));
    expect(self.message).toContain('queues[1].escalation[0].overflowTo: expected a queue other than the queue itself');
  });

  it('escalation steps out of order', () => {
    const text = BASE.replace('target: "internet >= 3"', 'target: "internet >= 3"\n    escalation: [{ afterSeconds: 180, priority: 5 }, { afterSeconds: 60, priority: 9 }]');
    const e = configError(() => parseConfig(text, 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: queues[0].escalation[1].afterSeconds: expected more than 180');
  });

  it('duplicate id', () => {
    const e = configError(() => parseConfig(BASE.replace('id: billing-l1', 'id: internet-l1'), 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: queues[1].id: expected a unique id, already used by queues[0] (got "internet-l1")');
  });

  it('undeclared language and skill', () => {
    const e = configError(() => parseConfig(BASE.replace('    languages: [ru, en]', '    languages: [ru, de]').replace('{ internet: 5 }', '{ internet: 5, tv: 2 }'), 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: agents[0].languages[1]: expected a declared language: ru, en (got "de")');
    expect(e.message).toContain('hotline.yaml: agents[0].skills.tv: expected a declared skill: internet, billing (got "tv")');
  });

  it('invalid skill expression', () => {
    // Deliberately invalid expression: the comparison has no level.
    const e = configError(() => parseConfig(BASE.replace('"billing >= 3"', '"billing >="'), 'hotline.yaml'));
    expect(e.message).toMatch(/^hotline\.yaml: queues\[1\]\.target: expected a valid skill expression \(.+\)/m);
  });

  it('unknown field, with a hint for snake_case', () => {
    const e = configError(() => parseConfig(BASE.replace('target: "billing >= 3"', 'target: "billing >= 3"\n    service_level_seconds: 30'), 'hotline.yaml'));
    expect(e.message).toContain('hotline.yaml: queues[1].service_level_seconds: unknown field (did you mean serviceLevelSeconds?)');
  });

  it('one line per problem', () => {
    const text = BASE.replace('target: "billing >= 3"', 'target: "billing >= 3"\n    strategy: fastest\n    weight: heavy');
    const e = configError(() => parseConfig(text, 'hotline.yaml'));
    expect(e.problems.map((p) => p.path)).toEqual(['queues[1].strategy', 'queues[1].weight']);
    expect(e.message.split('\n')).toHaveLength(2);
  });

  it('bad YAML names the line and column', () => {
    const e = configError(() => parseConfig('skills: [internet, tv\nlanguages: [ru]\n', 'broken.yaml'), 'HOTLINE_CONFIG_YAML');
    expect(e.message).toMatch(/^broken\.yaml: line \d+, column \d+: \S/);
    const dup = configError(() => parseConfig('skills: [a]\nskills: [b]\n', 'dup.yaml'), 'HOTLINE_CONFIG_YAML');
    expect(dup.message).toContain('dup.yaml: line 2, column 1:');
  });

  it('missing file', () => {
    const e = configError(() => loadConfig(join(tmpdir(), 'hotline-no-such-dir', 'none.yaml'), {}), 'HOTLINE_CONFIG_NOT_FOUND');
    expect(e.message).toContain('none.yaml');
    expect(e.message).toContain('not found');
  });
});

describe('environment', () => {
  let dir: string | undefined;
  const tempFile = (text: string): string => {
    dir ??= mkdtempSync(join(tmpdir(), 'hotline-config-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, text);
    return file;
  };
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('HOTLINE_CONFIG chooses the file', () => {
    const file = tempFile(`${BASE}http: { port: 9000 }\n`);
    const c = loadConfig(undefined, { HOTLINE_CONFIG: file });
    expect(c.queues.map((q) => q.id)).toEqual(['internet-l1', 'billing-l1']);
    expect(c.http.port).toBe(9000);
  });

  it('errors name the file HOTLINE_CONFIG points at', () => {
    const file = tempFile(`${BASE}    weight: -1\n`); // the last agent's weight
    const e = configError(() => loadConfig(undefined, { HOTLINE_CONFIG: file }));
    expect(e.message).toContain(`${file}: agents[0].weight: expected a number > 0 (got -1)`);
  });

  it('HOTLINE_HTTP_PORT, HOTLINE_HTTP_HOST and LOG_LEVEL override the file', () => {
    const file = tempFile(`${BASE}http: { port: 9000 }\nlog: { level: warn }\n`);
    const c = loadConfig(file, { HOTLINE_HTTP_PORT: '9100', HOTLINE_HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'debug' });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(c.log.level).toBe('debug');
  });

  it('a bad override names the variable', () => {
    const file = tempFile(BASE);
    const e = configError(() => loadConfig(file, { HOTLINE_HTTP_PORT: 'http' }));
    expect(e.message).toBe('environment: HOTLINE_HTTP_PORT: expected a port number from 0 to 65535 (got "http")');
  });
});
