/**
 * The shape every node kind has: built once per flow version from its
 * validated definition, then run for each call that reaches it. `run` answers
 * the name of the next node, or undefined to end the call.
 */
import type { CallContext } from '../context.ts';
import type { NodeKind, NodeOf } from '../schema.ts';

export interface FlowStep {
  readonly id: string;
  readonly kind: NodeKind;
  run(ctx: CallContext): Promise<string | undefined>;
}

export abstract class Node<K extends NodeKind> implements FlowStep {
  abstract readonly kind: K;
  constructor(
    readonly id: string,
    protected readonly def: NodeOf<K>,
  ) {}
  abstract run(ctx: CallContext): Promise<string | undefined>;
}
