import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowError } from '../../../src/ivr/errors.ts';
import type { FlowEnvironment, LoadedFlow } from '../../../src/ivr/flow.ts';
import { FlowRegistry, type FlowChange, type FlowRegistryEvents } from '../../../src/ivr/loader.ts';

const env: FlowEnvironment = {
  promptExists: () => true,
  queueExists: (q) => q === 'internet-l1',
};

const flow = (greeting: string, extra = ''): string => `${extra}start: hello
nodes:
  hello:
    kind: play
    prompts: [${greeting}]
    next: bye
  bye:
    kind: hangup
`;
const BROKEN = flow('greeting').replace('next: bye', 'next: nowhere');

interface LogLine {
  level: number;
  msg: string;
  flow?: string;
  hash?: string;
  file?: string;
}

let dir = '';
let logs: LogLine[] = [];
let registry: FlowRegistry | undefined;
const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
const write = (name: string, text: string): void => writeFileSync(join(dir, name), text);

/** The next event of the registry, or a failure after `ms` instead of a hang. */
async function next<K extends keyof FlowRegistryEvents>(r: FlowRegistry, event: K, ms = 5000): Promise<FlowRegistryEvents[K]> {
  return (await once(r, event, { signal: AbortSignal.timeout(ms) })) as FlowRegistryEvents[K];
}

async function open(opts: { watch?: boolean; onChange?: (c: FlowChange) => void } = {}): Promise<FlowRegistry> {
  registry = await FlowRegistry.open({ dir, env, log, debounceMs: 50, ...opts });
  return registry;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-flows-'));
  logs = [];
});
afterEach(async () => {
  await registry?.close();
  registry = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('FlowRegistry start-up', () => {
  it('loads every .yaml and .yml file; a bad one is logged in full and left out', async () => {
    write('isp.yaml', flow('greeting'));
    write('short.yml', flow('beep'));
    write('bad.yaml', BROKEN);
    write('notes.txt', 'not a flow');
    const r = await open({ watch: false });
    expect(r.list().map((f) => f.id)).toEqual(['isp', 'short']);
    expect(r.get('isp')?.def.start).toBe('hello');
    expect(r.get('bad')).toBeUndefined();
    const error = r.lastError('bad');
    expect(error).toBeInstanceOf(FlowError);
    expect(error?.code).toBe('FLOW_GRAPH');
    expect(r.lastError('bad.yaml')).toBe(error);
    const logged = logs.find((l) => l.level === 50);
    expect(logged?.msg).toContain('node "hello", field next: next node "nowhere" does not exist (line 6)');
  });

  it('refuses a second file with an id already taken', async () => {
    write('a.yaml', flow('greeting', 'id: main\n'));
    write('b.yaml', flow('beep', 'id: main\n'));
    const r = await open({ watch: false });
    expect(r.get('main')?.file).toBe(join(dir, 'a.yaml'));
    expect(r.lastError('b.yaml')?.message).toMatch(/b\.yaml: field id: flow id "main" is already used by .*a\.yaml \(line 1\)$/);
  });

  it('fails with FLOW_NOT_FOUND for a missing folder', async () => {
    await expect(FlowRegistry.open({ dir: join(dir, 'nope'), env, log })).rejects.toMatchObject({ code: 'FLOW_NOT_FOUND' });
  });
});

describe('FlowRegistry hot reload', () => {
  it('replaces a flow on a valid change; the old LoadedFlow stays as it was', async () => {
    write('isp.yaml', flow('greeting'));
    const changes: FlowChange[] = [];
    const r = await open({ onChange: (c) => changes.push(c) });
    const old = r.get('isp') as LoadedFlow;
    const oldText = old.text;

    const updated = next(r, 'updated');
    write('isp.yaml', flow('beep'));
    const [fresh, previous] = await updated;

    expect(previous).toBe(old);
    expect(r.get('isp')).toBe(fresh);
    expect(fresh.hash).not.toBe(old.hash);
    expect(fresh.def.nodes['hello']).toMatchObject({ prompts: ['beep'] });
    // The call that started on the old version still has it, unchanged.
    expect(old.text).toBe(oldText);
    expect(old.def.nodes['hello']).toMatchObject({ prompts: ['greeting'] });
    expect(logs.find((l) => l.msg.startsWith('flow updated'))).toMatchObject({ level: 30, flow: 'isp', hash: fresh.hash });
    expect(changes).toEqual([{ type: 'updated', flow: fresh, previous: old }]);
  });

  it('refuses an invalid change, logs it and keeps the previous version', async () => {
    write('isp.yaml', flow('greeting'));
    const r = await open();
    const old = r.get('isp');

    const rejected = next(r, 'rejected');
    write('isp.yaml', BROKEN);
    const [error, file] = await rejected;

    expect(file).toBe(join(dir, 'isp.yaml'));
    expect(error.code).toBe('FLOW_GRAPH');
    expect(r.get('isp')).toBe(old);
    expect(r.lastError('isp')).toBe(error);
    const logged = logs.find((l) => l.level === 50);
    expect(logged?.msg).toContain('previous version kept');
    expect(logged?.msg).toContain(error.message);

    // Fixed again: accepted, and the error is forgotten.
    const updated = next(r, 'updated');
    write('isp.yaml', flow('beep'));
    await updated;
    expect(r.lastError('isp')).toBeUndefined();
  });

  it('picks up a save made by writing a temporary file and renaming it', async () => {
    write('isp.yaml', flow('greeting'));
    const r = await open();
    const updated = next(r, 'updated');
    write('.isp.yaml.tmp', flow('beep'));
    renameSync(join(dir, '.isp.yaml.tmp'), join(dir, 'isp.yaml'));
    const [fresh] = await updated;
    expect(fresh.def.nodes['hello']).toMatchObject({ prompts: ['beep'] });
  });

  it('loads a new file, and removes the flow of a deleted file with a warning', async () => {
    const r = await open();
    const added = next(r, 'updated');
    write('new.yaml', flow('greeting'));
    const [loaded, previous] = await added;
    expect(loaded.id).toBe('new');
    expect(previous).toBeUndefined();

    const removed = next(r, 'removed');
    unlinkSync(join(dir, 'new.yaml'));
    const [gone] = await removed;
    expect(gone).toBe(loaded);
    expect(r.get('new')).toBeUndefined();
    expect(logs.find((l) => l.level === 40)).toMatchObject({ flow: 'new', msg: 'flow file deleted: flow removed' });
  });

  it('gives a refused duplicate id its chance when the id is freed', async () => {
    write('a.yaml', flow('greeting', 'id: main\n'));
    write('b.yaml', flow('beep', 'id: main\n'));
    const r = await open();
    const updated = next(r, 'updated');
    unlinkSync(join(dir, 'a.yaml'));
    const [fresh] = await updated;
    expect(fresh.file).toBe(join(dir, 'b.yaml'));
    expect(r.get('main')).toBe(fresh);
  });
});

describe('FlowRegistry.reload', () => {
  it('checks a file on demand, without a watcher', async () => {
    write('isp.yaml', flow('greeting'));
    const r = await open({ watch: false });
    expect(await r.reload('isp.yaml')).toMatchObject({ status: 'unchanged' });
    write('isp.yaml', BROKEN);
    expect(await r.reload('isp.yaml')).toMatchObject({ status: 'rejected', error: { code: 'FLOW_GRAPH' } });
    write('isp.yaml', flow('beep'));
    const result = await r.reload(join(dir, 'isp.yaml'));
    expect(result.status).toBe('updated');
    unlinkSync(join(dir, 'isp.yaml'));
    expect(await r.reload('isp.yaml')).toMatchObject({ status: 'removed' });
    expect(await r.reload('isp.yaml')).toEqual({ status: 'absent' });
    expect(r.list()).toEqual([]);
  });
});
