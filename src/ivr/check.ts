/**
 * `hotline flow check FILE…`: validate flow files without a running server —
 * before a commit, in CI, or before copying a flow to production. Same rules
 * as the server's loader, against the queues and skills of the configuration.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { FlowError, formatFlowProblem } from './errors.ts';
import { flowEnvironment } from './environment.ts';
import type { FlowEnvironment, LoadedFlow } from './flow.ts';
import { PromptLibrary } from './prompts.ts';
import { validateFlow } from './validate.ts';

export interface CheckFlowOptions {
  /** Queue ids from the configuration (hotline.yaml `queues[].id`). */
  queues: string[];
  /** Declared skills; without them skill names are not checked. */
  skills?: string[];
  /** Default: the repository's prompts/ folder. */
  promptsDir?: string;
}

/**
 * Check each file (a folder stands for its *.yaml / *.yml files). `ok` is true
 * when every file is valid and no two share a flow id; `report` has one line per
 * valid file and one per problem, then a summary.
 */
export async function checkFlowFiles(paths: string[], opts: CheckFlowOptions): Promise<{ ok: boolean; report: string }> {
  const env = flowEnvironment({ prompts: new PromptLibrary(opts.promptsDir), queues: opts.queues, ...(opts.skills ? { skills: opts.skills } : {}) });
  const files = await expand(paths);
  if (files.length === 0) return { ok: false, report: 'no flow files to check' };
  const lines: string[] = [];
  const ids = new Map<string, string>();
  let refused = 0;
  for (const file of files) {
    const result = await checkOne(file, env);
    if (result instanceof FlowError) {
      refused++;
      lines.push(`FAILED ${file} (${result.code}, ${plural(result.problems.length, 'problem')}):`, ...result.problems.map((p) => `  ${formatFlowProblem(p)}`));
      continue;
    }
    const first = ids.get(result.id);
    if (first !== undefined) {
      refused++;
      lines.push(`FAILED ${file} (FLOW_REFERENCE, 1 problem):`, `  ${file}: field id: flow id "${result.id}" is already used by ${first}`);
      continue;
    }
    ids.set(result.id, file);
    const def = result.def;
    lines.push(`ok     ${file}: flow ${result.id}, ${plural(Object.keys(def.nodes).length, 'node')}, languages ${def.languages.join(', ')}, sha256 ${result.hash.slice(0, 12)}`);
  }
  lines.push(`${plural(files.length, 'file')} checked: ${files.length - refused} valid, ${refused} refused`);
  return { ok: refused === 0, report: lines.join('\n') };
}

async function checkOne(file: string, env: FlowEnvironment): Promise<LoadedFlow | FlowError> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : `the file cannot be read (${err instanceof Error ? err.message : String(err)})`;
    return new FlowError('FLOW_NOT_FOUND', [{ file, message }]);
  }
  try {
    return validateFlow(text, file, env);
  } catch (err) {
    if (err instanceof FlowError) return err;
    throw err;
  }
}

/** Folders become their flow files (sorted); anything else is checked as given, missing files included. */
async function expand(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const isDir = await stat(p).then((s) => s.isDirectory(), () => false);
    if (!isDir) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => !n.startsWith('.') && ['.yaml', '.yml'].includes(extname(n))).sort();
    out.push(...names.map((n) => join(p, n)));
  }
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
