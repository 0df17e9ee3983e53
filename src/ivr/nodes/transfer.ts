import { TransferNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { fillTemplate } from '../speak.ts';
import { Node } from './node.ts';

/** Send the caller to another number or SIP URI; onFail if it does not answer. */
export class TransferNode extends Node<'transfer'> {
  static readonly schema = Schema;
  readonly kind = 'transfer';
  async run(ctx: CallContext): Promise<string | undefined> {
    if (this.def.prompts.length > 0) await ctx.play(this.def.prompts);
    const ok = await ctx.transfer(fillTemplate(this.def.to, ctx.vars), this.def.timeout * 1000);
    return ok ? undefined : this.def.onFail;
  }
}
