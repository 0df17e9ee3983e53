/**
 * The one error a flow file can cause. It carries every problem found, not just
 * the first, because whoever edits a flow wants to fix them all in one go; each
 * problem names the file, the node, the field and the line.
 */

export type FlowErrorCode =
  /** Not YAML (syntax error, duplicate key). */
  | 'FLOW_PARSE'
  /** YAML, but not a flow: a wrong type, an unknown field, a value out of range. */
  | 'FLOW_SCHEMA'
  /** The node graph: a missing node, an unreachable node, a loop that never waits. */
  | 'FLOW_GRAPH'
  /** Something outside the file: a prompt, a queue, a skill, a schedule, a duplicate flow id. */
  | 'FLOW_REFERENCE'
  /** The file (or the flows folder) is not there or cannot be read. */
  | 'FLOW_NOT_FOUND';

/** Most fundamental first: an error with problems of several kinds takes the first kind's code. */
export const FLOW_ERROR_CODES: readonly FlowErrorCode[] = ['FLOW_NOT_FOUND', 'FLOW_PARSE', 'FLOW_SCHEMA', 'FLOW_GRAPH', 'FLOW_REFERENCE'];

export interface FlowProblem {
  /** The flow file as the user named it (e.g. ivr-flows/isp.yaml). */
  file: string;
  /** The node the problem is in, when it is in one. */
  node?: string;
  /** Field path from the top of the file, e.g. `nodes.menu.choices.1`. */
  field?: string;
  message: string;
  /** 1-based line in the file, when the field is written there (not filled in by a default). */
  line?: number;
}

export class FlowError extends Error {
  override readonly name = 'FlowError';
  constructor(
    readonly code: FlowErrorCode,
    readonly problems: readonly FlowProblem[],
  ) {
    super(problems.map(formatFlowProblem).join('\n'));
  }
}

/**
 * `ivr-flows/isp.yaml: node "menu", field choices.1: next node "intenet" does not exist (line 23)`.
 * Inside a node the field is shown relative to it: the node is already named.
 */
export function formatFlowProblem(p: FlowProblem): string {
  const where: string[] = [];
  if (p.node !== undefined) where.push(`node "${p.node}"`);
  const field = p.node !== undefined && p.field !== undefined ? relativeField(p.field, p.node) : p.field;
  if (field) where.push(`field ${field}`);
  const line = p.line !== undefined ? ` (line ${p.line})` : '';
  return `${p.file}: ${where.length > 0 ? `${where.join(', ')}: ` : ''}${p.message}${line}`;
}

function relativeField(field: string, node: string): string | undefined {
  const prefix = `nodes.${node}`;
  if (field === prefix) return undefined;
  return field.startsWith(`${prefix}.`) ? field.slice(prefix.length + 1) : field;
}

/** `['nodes', 'menu', 'choices', 1]` → `nodes.menu.choices.1`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.map(String).join('.');
}
