import { HangupNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/** Say goodbye (optionally) and end the call. */
export class HangupNode extends Node<'hangup'> {
  static readonly schema = Schema;
  readonly kind = 'hangup';
  async run(ctx: CallContext): Promise<undefined> {
    if (this.def.prompts.length > 0) await ctx.play(this.def.prompts);
    return undefined;
  }
}
