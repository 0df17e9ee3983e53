/**
 * The flow as a graph: which node follows which, and the checks on it —
 * every reference names a node, every node can be reached from `start`, and
 * no loop can spin without the caller's involvement (a loop of plays would
 * repeat forever and hold a media port until the caller gives up).
 */
import { didYouMean, type Finding, type FlowParts } from './findings.ts';
import type { FlowNode, NodeKind } from './schema.ts';
import type { PathSegment } from '../yaml-lines.ts';

/** One arrow of the graph: the field of the node that holds it, and the node it points to. */
export interface Edge {
  /** Path inside the node, e.g. ['choices', '1'] or ['cases', 0, 'next']. */
  field: PathSegment[];
  to: string;
}

/** Fields that name the node to go to; every kind uses some of them. */
const SUCCESSOR_FIELDS = ['next', 'onFail', 'onError', 'onLeave', 'onTimeout', 'afterCall', 'default'] as const;

/** Kinds that wait for the caller (a key, speech, an operator): a loop through one cannot spin on its own. */
const WAITING_KINDS: ReadonlySet<NodeKind> = new Set<NodeKind>(['menu', 'collect', 'queue', 'survey', 'voicemail']);

/** Every successor of a node, in the order the fields are written in the schema. */
export function successors(node: FlowNode): Edge[] {
  const out: Edge[] = [];
  const fields: Partial<Record<string, unknown>> = node;
  for (const f of SUCCESSOR_FIELDS) {
    const to = fields[f];
    if (typeof to === 'string') out.push({ field: [f], to });
  }
  if (node.kind === 'menu') for (const [key, to] of Object.entries(node.choices)) out.push({ field: ['choices', key], to });
  if (node.kind === 'branch') node.cases.forEach((c, i) => out.push({ field: ['cases', i, 'next'], to: c.next }));
  return out;
}

export function checkGraph(parts: FlowParts): Finding[] {
  const out: Finding[] = [];
  const startOk = parts.start !== undefined && parts.names.has(parts.start);
  if (parts.start !== undefined && !startOk) {
    out.push({ code: 'FLOW_GRAPH', path: ['start'], message: `start node "${parts.start}" does not exist${didYouMean(parts.start, parts.names)}` });
  }
  let dangling = false;
  for (const [name, node] of parts.nodes) {
    for (const e of successors(node)) {
      if (parts.names.has(e.to)) continue;
      dangling = true;
      out.push({ code: 'FLOW_GRAPH', path: ['nodes', name, ...e.field], message: `next node "${e.to}" does not exist${didYouMean(e.to, parts.names)}` });
    }
  }
  // With a broken node the graph is not fully known: "unreachable" would be a guess.
  if (!parts.complete) return out;
  if (startOk && parts.start !== undefined) out.push(...unreachable(parts, parts.start, dangling));
  out.push(...idleLoops(parts.nodes));
  return out;
}

function unreachable(parts: FlowParts, start: string, dangling: boolean): Finding[] {
  const seen = new Set<string>([start]);
  const todo = [start];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    const node = parts.nodes.get(name);
    if (!node) continue;
    for (const e of successors(node)) {
      if (!seen.has(e.to) && parts.nodes.has(e.to)) {
        seen.add(e.to);
        todo.push(e.to);
      }
    }
  }
  const hint = dangling ? ' (a misspelt next node above may be the reason)' : '';
  return [...parts.nodes.keys()]
    .filter((name) => !seen.has(name))
    .map((name) => ({ code: 'FLOW_GRAPH' as const, path: ['nodes', name], message: `node is not reachable from start node "${start}"${hint}` }));
}

function safe(node: FlowNode): boolean {
  return WAITING_KINDS.has(node.kind) || (node.kind === 'set' && node.increment.length > 0);
}

/**
 * Every cycle must pass a waiting node or a counting `set`. Drop those nodes:
 * any cycle left is a bad one, and lies in a strongly connected component of
 * what remains (Tarjan). One cycle per component is reported, in order.
 */
function idleLoops(nodes: ReadonlyMap<string, FlowNode>): Finding[] {
  const adj = new Map<string, Edge[]>();
  for (const [name, node] of nodes) {
    if (!safe(node)) adj.set(name, successors(node).filter((e) => { const to = nodes.get(e.to); return to !== undefined && !safe(to); }));
  }
  const out: Finding[] = [];
  for (const component of stronglyConnected(adj)) {
    const first = component[0] as string;
    const selfLoop = (adj.get(first) ?? []).find((e) => e.to === first);
    if (component.length === 1 && !selfLoop) continue;
    const cycle = shortestCycle(first, new Set(component), adj);
    out.push({
      code: 'FLOW_GRAPH',
      path: ['nodes', first, ...cycle.firstEdge.field],
      message:
        `loop ${[...cycle.nodes, first].join(' -> ')} never waits for the caller: ` +
        'put a menu, collect, queue, survey or voicemail node in it, or a set node with an increment to count the rounds and branch on',
    });
  }
  return out;
}

/** Components in file order of their first node; nodes inside each in file order. */
function stronglyConnected(adj: ReadonlyMap<string, Edge[]>): string[][] {
  const order = new Map([...adj.keys()].map((n, i) => [n, i]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const { to } of adj.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v) as number, index.get(to) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      result.push(component.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)));
    }
  };
  for (const v of adj.keys()) if (!index.has(v)) visit(v);
  return result.sort((a, b) => (order.get(a[0] as string) ?? 0) - (order.get(b[0] as string) ?? 0));
}

/** Breadth-first inside the component from `start` back to it: the nodes of the cycle, start first. */
function shortestCycle(start: string, within: ReadonlySet<string>, adj: ReadonlyMap<string, Edge[]>): { nodes: string[]; firstEdge: Edge } {
  const cameFrom = new Map<string, { from: string; edge: Edge }>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i] as string;
    for (const e of adj.get(v) ?? []) {
      if (!within.has(e.to) || cameFrom.has(e.to)) continue;
      cameFrom.set(e.to, { from: v, edge: e });
      if (e.to === start) break;
      queue.push(e.to);
    }
    if (cameFrom.has(start)) break;
  }
  const nodes: string[] = [];
  let firstEdge: Edge | undefined;
  for (let v = cameFrom.get(start); v !== undefined; v = v.from === start ? undefined : cameFrom.get(v.from)) {
    nodes.unshift(v.from);
    firstEdge = v.edge;
  }
  // A strongly connected component always has the path; the fallback only satisfies the types.
  return { nodes: nodes.length > 0 ? nodes : [start], firstEdge: firstEdge ?? { field: ['next'], to: start } };
}
