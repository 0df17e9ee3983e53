/**
 * Flow file text → LoadedFlow, or a FlowError listing every problem found.
 *
 * Passes, all of whose problems are reported together:
 *   1. YAML syntax (stops here: nothing else can be trusted);
 *   2. the zod schema (FlowFile);
 *   3. the graph: references, reachability, loops that never wait (graph.ts);
 *   4. the world and cross-field rules: prompts, queues, skills, schedules,
 *      time zones, patterns, ranges (references.ts).
 * Nodes that fail the schema are left out of passes 3 and 4 but the others are
 * still checked, so one typo does not hide the rest of the file's problems.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, extname, resolve } from 'node:path';
import { FLOW_ERROR_CODES, FlowError, fieldPath, type FlowProblem } from './errors.ts';
import type { Finding, FlowParts } from './findings.ts';
import type { FlowEnvironment, LoadedFlow } from './flow.ts';
import { checkGraph } from './graph.ts';
import { checkReferences } from './references.ts';
import { FlowFile, FlowNode, Schedule } from './schema.ts';
import { flowErrorMap, fromZod } from './schema-issues.ts';
import { lineAt, parseYaml, type ParsedYaml } from '../yaml-lines.ts';

/**
 * Validate one flow file. `file` names it in messages (as the user wrote it) and
 * gives the default id and the folder for `file:` prompts; '' for a flow built in memory.
 */
export function validateFlow(text: string, file: string, env: FlowEnvironment): LoadedFlow {
  const parsed = parseYaml(text);
  if (parsed.errors.length > 0) {
    throw new FlowError(
      'FLOW_PARSE',
      parsed.errors.map((e) => ({ file, message: `not valid YAML at column ${e.column}: ${e.message}`, line: e.line })),
    );
  }
  let raw: unknown;
  try {
    raw = parsed.doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (err) {
    throw new FlowError('FLOW_PARSE', [{ file, message: err instanceof Error ? err.message : String(err) }]);
  }

  const result = FlowFile.safeParse(raw, { error: flowErrorMap, reportInput: true });
  const findings: Finding[] = result.success ? [] : fromZod(result.error.issues, raw);
  const parts = result.success ? partsOf(result.data) : partialParts(raw);
  const id = result.success ? (result.data.id ?? idFromFile(file)) : undefined;
  if (result.success && id === '') findings.push({ code: 'FLOW_SCHEMA', path: ['id'], message: 'a flow without a file name needs an id' });

  findings.push(...checkGraph(parts));
  findings.push(...checkReferences(parts, { env, flowDir: file === '' ? process.cwd() : dirname(resolve(file)) }));

  if (!result.success || findings.length > 0) throw toError(findings, file, parsed);
  return deepFreeze({
    id: id as string,
    file: file === '' ? '' : resolve(file),
    hash: createHash('sha256').update(text).digest('hex'),
    text,
    loadedAt: new Date(),
    def: result.data,
  });
}

/** The flow id a file gets when it does not say: its name without .yaml / .yml. */
export function idFromFile(file: string): string {
  return basename(file, extname(file));
}

function partsOf(def: FlowFile): FlowParts {
  return {
    nodes: new Map(Object.entries(def.nodes)),
    names: new Set(Object.keys(def.nodes)),
    complete: true,
    start: def.start,
    language: def.language,
    languages: def.languages,
    schedules: def.schedules,
  };
}

/**
 * What can still be checked in a file the schema refused: each node and each
 * top-level field on its own, with the file's defaults where a field is broken.
 */
function partialParts(raw: unknown): FlowParts {
  const top = isObject(raw) ? raw : {};
  const rawNodes = isObject(top['nodes']) ? top['nodes'] : {};
  const nodes = new Map<string, FlowNode>();
  let complete = true;
  for (const [name, value] of Object.entries(rawNodes)) {
    const node = FlowNode.safeParse(value);
    if (node.success) nodes.set(name, node.data);
    else complete = false;
  }
  const field = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, value: unknown): T | undefined => {
    const r = schema.safeParse(value);
    return r.success ? r.data : undefined;
  };
  const shape = FlowFile.shape;
  const schedules: Record<string, Schedule> = {};
  for (const [name, s] of Object.entries(isObject(top['schedules']) ? top['schedules'] : {})) {
    const parsed = field(Schedule, s);
    if (parsed) schedules[name] = parsed;
  }
  return {
    nodes,
    names: new Set(Object.keys(rawNodes)),
    // A broken top level (say, a bad `start`) leaves the graph known; only broken nodes hide edges.
    complete: complete && isObject(top['nodes']),
    start: field(shape.start, top['start']),
    language: field(shape.language, top['language']),
    languages: field(shape.languages, top['languages']) ?? ['ru', 'en'],
    schedules,
  };
}

function toError(findings: readonly Finding[], file: string, parsed: ParsedYaml): FlowError {
  const problems: FlowProblem[] = findings.map((f) => {
    const problem: FlowProblem = { file, message: f.message };
    if (f.path[0] === 'nodes' && f.path.length >= 2) problem.node = String(f.path[1]);
    if (f.path.length > 0) problem.field = fieldPath(f.path);
    const line = lineAt(parsed, f.path);
    if (line !== undefined) problem.line = line;
    return problem;
  });
  // Stable sort: problems in file order; the few without a line (e.g. a YAML that is not a mapping) last.
  const order = problems.map((p, i) => ({ p, i })).sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i);
  const code = FLOW_ERROR_CODES.find((c) => findings.some((f) => f.code === c)) ?? 'FLOW_SCHEMA';
  return new FlowError(code, order.map((o) => o.p));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A LoadedFlow never changes (flow.ts): calls in progress rely on their version staying as it was. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
