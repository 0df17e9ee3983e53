import { PlayNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/** Play prompts in the call's language, then go on. */
export class PlayNode extends Node<'play'> {
  static readonly schema = Schema;
  readonly kind = 'play';
  async run(ctx: CallContext): Promise<string | undefined> {
    await ctx.play(this.def.prompts);
    return this.def.next;
  }
}
