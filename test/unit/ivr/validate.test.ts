import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { flowEnvironment } from '../../../src/ivr/environment.ts';
import { FlowError, type FlowErrorCode, type FlowProblem } from '../../../src/ivr/errors.ts';
import type { FlowEnvironment } from '../../../src/ivr/flow.ts';
import { PromptLibrary } from '../../../src/ivr/prompts.ts';
import { validateFlow } from '../../../src/ivr/validate.ts';

const DEMO = fileURLToPath(new URL('../../../ivr-flows/isp-hotline.yaml', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../../hotline.yaml', import.meta.url));
const FILE = 'ivr-flows/test.yaml';

const INDEX = fileURLToPath(new URL('../../../prompts/index.json', import.meta.url));
/** The prompts of prompts/index.json in both languages, beep and hold music, and `promo` in Russian only. */
const PROMPTS = new Set(Object.keys((JSON.parse(readFileSync(INDEX, 'utf8')) as { prompts: Record<string, unknown> }).prompts));
const env: FlowEnvironment = {
  promptExists: (id, lang) => PROMPTS.has(id) || ['beep', 'music/hold'].includes(id) || (id === 'promo' && lang === 'ru'),
  queueExists: (q) => ['internet-l1', 'tv-l1'].includes(q),
  skillExists: (s) => ['internet', 'tv'].includes(s),
};

/** A small valid flow; each case below breaks it in one place. Line numbers matter: keep the layout. */
const BASE = `start: welcome
nodes:
  welcome:
    kind: play
    prompts: [greeting]
    next: menu
  menu:
    kind: menu
    prompts: [main-menu]
    choices:
      "1": internet
    onFail: bye
  internet:
    kind: queue
    queue: internet-l1
    afterCall: bye
  bye:
    kind: hangup
    prompts: [goodbye]
`;

function edit(from: string, to: string, text = BASE): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

function flowError(text: string, code?: FlowErrorCode): FlowError {
  try {
    validateFlow(text, FILE, env);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowError);
    const e = err as FlowError;
    if (code) expect(e.code).toBe(code);
    return e;
  }
  throw new Error('expected a FlowError, but the flow was accepted');
}

/** The one problem of an error, checked against what it should name. */
function only(e: FlowError): FlowProblem {
  expect(e.problems, e.message).toHaveLength(1);
  return e.problems[0] as FlowProblem;
}

describe('the demo flow (ivr-flows/isp-hotline.yaml)', () => {
  const queues = (parse(readFileSync(CONFIG, 'utf8')) as { queues: { id: string }[] }).queues.map((q) => q.id);
  const text = readFileSync(DEMO, 'utf8');
  const flow = validateFlow(text, DEMO, flowEnvironment({ prompts: new PromptLibrary(), queues }));

  it('passes with the real prompts folder and the queues of hotline.yaml', () => {
    expect(flow.id).toBe('isp-hotline');
    expect(flow.file).toBe(DEMO);
    expect(flow.hash).toBe(createHash('sha256').update(text).digest('hex'));
    expect(flow.text).toBe(text);
    expect(flow.def.language).toBe('ru');
    expect(flow.def.languages).toEqual(['ru', 'en']);
  });

  it('is the ISP menu: 1 internet, 2 tv, 3 billing, 0 operator, 9 language; a survey after every queue', () => {
    const menu = flow.def.nodes['main-menu'];
    expect(menu?.kind === 'menu' && menu.choices).toEqual({ '1': 'internet', '2': 'tv', '3': 'billing', '0': 'operator', '9': 'switch-language' });
    const queuesUsed = Object.values(flow.def.nodes).filter((n) => n.kind === 'queue');
    expect(queuesUsed.map((q) => q.kind === 'queue' && q.queue).sort()).toEqual(['billing-l1', 'internet-l1', 'internet-l1', 'tv-l1']);
    for (const q of queuesUsed) expect(q.kind === 'queue' && q.afterCall).toBe('survey');
    expect(flow.def.schedules['office']?.holidays).toEqual(['2027-01-01', '2027-01-02', '2027-01-07']);
  });

  it('is frozen: a call holding it cannot see it change', () => {
    expect(Object.isFrozen(flow)).toBe(true);
    expect(Object.isFrozen(flow.def.nodes['main-menu'])).toBe(true);
  });
});

describe('validateFlow', () => {
  it('accepts the base flow; the id is the file name without .yaml', () => {
    const flow = validateFlow(BASE, FILE, env);
    expect(flow.id).toBe('test');
    expect(validateFlow(`id: other\n${BASE}`, FILE, env).id).toBe('other');
  });

  it('reports a missing next node with file, node, field and line, in the documented form', () => {
    const e = flowError(edit('"1": internet', '"1": intenet'), 'FLOW_GRAPH');
    // internet is no longer reachable either: two problems, the reference first (line order)
    expect(e.problems.map((p) => p.node)).toEqual(['menu', 'internet']);
    expect(e.problems[0]).toEqual({ file: FILE, node: 'menu', field: 'nodes.menu.choices.1', line: 11, message: 'next node "intenet" does not exist (did you mean "internet"?)' });
    expect(e.message.split('\n')[0]).toBe(`${FILE}: node "menu", field choices.1: next node "intenet" does not exist (did you mean "internet"?) (line 11)`);
  });

  it('reports a start node that does not exist', () => {
    const p = flowError(edit('start: welcome', 'start: hello'), 'FLOW_GRAPH').problems[0];
    expect(p).toMatchObject({ field: 'start', line: 1, message: 'start node "hello" does not exist' });
  });

  it('names an unreachable node', () => {
    const p = only(flowError(`${BASE}  spare:\n    kind: hangup\n`, 'FLOW_GRAPH'));
    expect(p).toMatchObject({ node: 'spare', field: 'nodes.spare', line: 20, message: 'node is not reachable from start node "welcome"' });
  });

  it('refuses a loop that never waits (play a → play b → play a), naming its nodes in order', () => {
    const text = edit('    next: menu\n', '    next: a\n  a:\n    kind: play\n    prompts: [beep]\n    next: b\n  b:\n    kind: say\n    variable: x\n    next: a\n');
    const problems = flowError(text, 'FLOW_GRAPH').problems;
    const loop = problems.find((p) => p.message.startsWith('loop'));
    expect(loop).toMatchObject({ node: 'a', field: 'nodes.a.next', line: 10 });
    expect(loop?.message).toMatch(/^loop a -> b -> a never waits for the caller/);
  });

  it('refuses a node that loops to itself', () => {
    const e = flowError(edit('    next: menu\n', '    next: welcome\n'));
    expect(e.problems.find((p) => p.message.startsWith('loop'))?.message).toMatch(/^loop welcome -> welcome /);
  });

  it('accepts a loop through a menu (the caller is asked each round)', () => {
    expect(() => validateFlow(edit('    onFail: bye', '    onFail: welcome'), FILE, env)).not.toThrow();
  });

  it('accepts a loop through a set node that counts, with a branch on the counter', () => {
    const text = edit(
      '    afterCall: bye\n',
      `    afterCall: again
  again:
    kind: set
    increment: [rounds]
    next: enough
  enough:
    kind: branch
    cases:
      - if: { variable: rounds, equals: 3 }
        next: bye
    default: internet
`,
    );
    expect(() => validateFlow(text, FILE, env)).not.toThrow();
    // The same counter node without its increment, looping on itself through the branch: nothing waits.
    const idle = text.replace('    increment: [rounds]\n', '').replace('default: internet', 'default: again');
    expect(flowError(idle).message).toMatch(/loop again -> enough -> again never waits/);
  });

  it('names the language a prompt is missing in', () => {
    const p = only(flowError(edit('prompts: [greeting]', 'prompts: [greeting, promo]'), 'FLOW_REFERENCE'));
    expect(p).toEqual({ file: FILE, node: 'welcome', field: 'nodes.welcome.prompts.1', line: 5, message: 'prompt "promo" does not exist for language en' });
  });

  it('checks map-form prompts in the languages given, and refuses a language the flow does not have', () => {
    expect(() => validateFlow(edit('prompts: [greeting]', 'prompts: [{ ru: promo, en: greeting }]'), FILE, env)).not.toThrow();
    const p = only(flowError(edit('prompts: [greeting]', 'prompts: [{ ru: promo, de: greeting }]')));
    expect(p).toMatchObject({ field: 'nodes.welcome.prompts.0.de', message: 'language "de" is not in the flow\'s languages (ru, en)' });
  });

  it('checks defaults too: a menu plays invalid-choice, which must exist', () => {
    const strict = { ...env, promptExists: (id: string, lang: string) => id !== 'invalid-choice' && env.promptExists(id, lang) };
    expect(() => validateFlow(BASE, FILE, strict)).toThrow(/node "menu", field invalidPrompts.0: prompt "invalid-choice" does not exist for languages ru, en \(line 7\)/);
  });

  it('accepts tone: and silence: prompts, and file: prompts that exist beside the flow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-flow-'));
    try {
      writeFileSync(join(dir, 'jingle.wav'), '');
      const text = edit('prompts: [greeting]', 'prompts: ["tone:ringback", "silence:500", "file:jingle.wav"]');
      expect(() => validateFlow(text, join(dir, 'f.yaml'), env)).not.toThrow();
      const e = flowError(edit('prompts: [greeting]', 'prompts: ["file:nope.wav", "silence:"]'));
      expect(e.problems.map((p) => p.field)).toEqual(['nodes.welcome.prompts.0', 'nodes.welcome.prompts.1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unknown queue and an unknown skill', () => {
    const e = flowError(edit('queue: internet-l1', 'queue: internet-l9\n    skills: { l3: 5 }'), 'FLOW_REFERENCE');
    expect(e.problems).toEqual([
      { file: FILE, node: 'internet', field: 'nodes.internet.queue', line: 15, message: 'queue "internet-l9" is not configured' },
      { file: FILE, node: 'internet', field: 'nodes.internet.skills.l3', line: 16, message: 'skill "l3" is not declared in the configuration' },
    ]);
  });

  it('reports regular expressions that do not compile, in collect and in branch', () => {
    const text = edit(
      '    next: menu\n',
      `    next: contract
  contract:
    kind: collect
    prompts: [enter-contract]
    variable: contract
    pattern: "^(\\\\d+$"
    next: check
  check:
    kind: branch
    cases:
      - if: { variable: contract, matches: "[0-9" }
        next: menu
    default: menu
`,
    );
    const e = flowError(text, 'FLOW_SCHEMA');
    expect(e.problems.map((p) => [p.node, p.field, p.line])).toEqual([
      ['contract', 'nodes.contract.pattern', 11],
      ['check', 'nodes.check.cases.0.if.matches', 16],
    ]);
    expect(e.problems[0]?.message).toMatch(/^not a valid regular expression: .*Unterminated group/);
  });

  it('reports a time zone that is not an IANA name, and a schedule that is not defined', () => {
    const text = `schedules:\n  office:\n    timezone: Europe/Mosow\n    hours: { mon-fri: ["08:00-20:00"] }\n${edit(
      '    next: menu\n',
      '    next: hours\n  hours:\n    kind: branch\n    cases:\n      - if: { schedule: ofice, is: open }\n        next: menu\n    default: bye\n',
    )}`;
    const e = flowError(text, 'FLOW_REFERENCE');
    expect(e.problems).toEqual([
      { file: FILE, field: 'schedules.office.timezone', line: 3, message: '"Europe/Mosow" is not an IANA time zone (such as Europe/Moscow)' },
      { file: FILE, node: 'hours', field: 'nodes.hours.cases.0.if.schedule', line: 14, message: 'schedule "ofice" is not defined in schedules (did you mean "office"?)' },
    ]);
  });

  it('names the node and field of a schema error: a menu key of two digits, a kind that does not exist', () => {
    const key = only(flowError(edit('"1": internet', '"1": internet\n      "12": bye'), 'FLOW_SCHEMA'));
    expect(key).toEqual({ file: FILE, node: 'menu', field: 'nodes.menu.choices.12', line: 12, message: 'key "12": one key: 0-9, * or #' });
    const kind = only(flowError(edit('kind: hangup', 'kind: hangpu'), 'FLOW_SCHEMA'));
    expect(kind).toEqual({ file: FILE, node: 'bye', field: 'nodes.bye.kind', line: 18, message: 'kind "hangpu" is not a node kind (did you mean "hangup"?)' });
  });

  it('names unknown fields and wrong types', () => {
    const e = flowError(edit('    afterCall: bye', '    aftercall: bye\n    priority: high'), 'FLOW_SCHEMA');
    expect(e.problems.map((p) => [p.field, p.line, p.message])).toEqual([
      ['nodes.internet.aftercall', 16, 'unknown field "aftercall" (did you mean "afterCall"?)'],
      ['nodes.internet.priority', 17, 'expected a number (got "high")'],
    ]);
  });

  it('checks cross-field rules: language, digits, survey range, leaveKey with onLeave', () => {
    const text = edit(
      '    afterCall: bye\n',
      `    leaveKey: "*"
    afterCall: rate
  rate:
    kind: survey
    min: 5
    max: 1
    next: lang
  lang:
    kind: set
    language: de
    next: digits
  digits:
    kind: collect
    prompts: [enter-contract]
    variable: n
    minDigits: 8
    maxDigits: 4
    next: bye
`,
    );
    expect(flowError(text).problems.map((p) => [p.field, p.message])).toEqual([
      ['nodes.internet.leaveKey', 'leaveKey needs onLeave, the node to go to when the key is pressed'],
      ['nodes.rate.min', 'min (5) is more than max (1)'],
      ['nodes.lang.language', 'language "de" is not in the flow\'s languages (ru, en)'],
      ['nodes.digits.minDigits', 'minDigits (8) is more than maxDigits (4)'],
    ]);
  });

  it('reports several problems together, in file order, with the most basic kind as the code', () => {
    const text = edit('queue: internet-l1', 'queue: nope', edit('next: menu', 'next: menuu', edit('kind: hangup', 'kind: hangpu')));
    const e = flowError(text, 'FLOW_SCHEMA');
    expect(e.problems.map((p) => `${p.node}.${p.field}@${p.line}`)).toEqual(['welcome.nodes.welcome.next@6', 'internet.nodes.internet.queue@15', 'bye.nodes.bye.kind@18']);
    expect(e.message.split('\n')).toHaveLength(3);
  });

  it('reports YAML syntax errors with their line', () => {
    const p = flowError(edit('prompts: [greeting]', 'prompts: [greeting'), 'FLOW_PARSE').problems[0];
    expect(p?.file).toBe(FILE);
    expect(p?.line).toBeGreaterThanOrEqual(5);
    expect(flowError(`${BASE}  bye:\n    kind: hangup\n`, 'FLOW_PARSE').message).toMatch(/unique.*\(line 20\)/i);
  });

  it('reports a file that is not a flow at all', () => {
    expect(flowError('just text', 'FLOW_SCHEMA').message).toBe(`${FILE}: expected a mapping (got "just text")`);
  });
});
