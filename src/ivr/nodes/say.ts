import { SayNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { digitPrompts, numberPrompts } from '../speak.ts';
import { Node } from './node.ts';

/** Speak a variable as a number ("twenty three") or digit by digit, between optional prompts. */
export class SayNode extends Node<'say'> {
  static readonly schema = Schema;
  readonly kind = 'say';
  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    const value = ctx.vars.get(def.variable);
    if (value === undefined || value === '') {
      ctx.log.debug({ node: this.id, variable: def.variable }, 'say: variable not set, nothing to say');
      return def.next;
    }
    const spoken = def.as === 'digits' ? digitPrompts(String(value)) : Number.isFinite(Number(value)) ? numberPrompts(Number(value), def.gender) : digitPrompts(String(value));
    await ctx.play([...def.before, ...spoken, ...def.after]);
    return def.next;
  }
}
