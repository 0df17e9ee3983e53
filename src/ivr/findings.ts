/**
 * What the validation passes (schema-issues, graph, references) share: the raw
 * finding they produce, which validate.ts turns into a FlowProblem with a file
 * name and a line, and the parsed parts of the flow they look at.
 */
import type { FlowErrorCode } from './errors.ts';
import type { FlowNode, Schedule } from './schema.ts';
import type { PathSegment } from '../yaml-lines.ts';
import { editDistance } from '../validation-words.ts';

export interface Finding {
  code: FlowErrorCode;
  /** Path from the top of the file; a path under `nodes.<name>` names the node. */
  path: PathSegment[];
  message: string;
}

/**
 * The flow as far as the schema accepted it. When some nodes failed the schema
 * the others are still checked (all problems are reported together), but the
 * whole-graph checks — reachability and loops — wait for a complete graph,
 * since a broken node's successors are unknown.
 */
export interface FlowParts {
  /** Nodes that passed the schema, in file order. */
  nodes: ReadonlyMap<string, FlowNode>;
  /** Every node name written in the file, valid or not: a reference to a broken node is not "missing". */
  names: ReadonlySet<string>;
  complete: boolean;
  start?: string;
  language?: string;
  languages: readonly string[];
  schedules: Readonly<Record<string, Schedule>>;
}

/** ` (did you mean "x"?)` when one candidate is a near miss of `name`, else ''. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Two edits catch typos ("intenet", "biling") without suggesting unrelated short names.
  return best !== undefined && bestDistance <= Math.min(2, Math.max(1, name.length - 2)) ? ` (did you mean "${best}"?)` : '';
}

