import { SetNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { fillTemplate } from '../speak.ts';
import { Node } from './node.ts';

/** Set call variables (templates allowed), switch the language, count loops. */
export class SetNode extends Node<'set'> {
  static readonly schema = Schema;
  readonly kind = 'set';
  run(ctx: CallContext): Promise<string> {
    for (const [name, value] of Object.entries(this.def.variables)) {
      ctx.vars.set(name, typeof value === 'string' ? fillTemplate(value, ctx.vars) : value);
    }
    for (const name of this.def.increment) ctx.vars.set(name, Number(ctx.vars.get(name) ?? 0) + 1);
    if (this.def.language !== undefined) {
      ctx.language = this.def.language;
      ctx.vars.set('language', ctx.language);
      ctx.event('language', { language: ctx.language });
    }
    return Promise.resolve(this.def.next);
  }
}
