import { MenuNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/**
 * A menu: play the prompt (a key interrupts it), take one key. A key that is
 * not a choice plays the invalid prompt, no key replays the menu; after
 * `retries` repeats the flow goes to onFail (or the call ends).
 */
export class MenuNode extends Node<'menu'> {
  static readonly schema = Schema;
  readonly kind = 'menu';
  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    for (let attempt = 0; attempt <= def.retries; attempt++) {
      const got = await ctx.collect({ prompts: def.prompts, minDigits: 1, maxDigits: 1, terminators: '', firstDigitTimeoutMs: def.timeout * 1000, interDigitTimeoutMs: def.timeout * 1000 });
      const next = got.digits === '' ? undefined : def.choices[got.digits];
      ctx.event('menu', { node: this.id, key: got.digits || null, attempt });
      if (next !== undefined) {
        ctx.vars.set(`${this.id}.choice`, got.digits);
        return next;
      }
      if (attempt === def.retries) break;
      if (got.digits !== '') await ctx.play(def.invalidPrompts);
      else if (def.noInputPrompts.length > 0) await ctx.play(def.noInputPrompts);
    }
    return def.onFail;
  }
}
