import { CollectNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/**
 * Read a number the caller types (a contract number): min/max digits, a
 * terminator, an optional pattern; the digits go into a call variable. A wrong
 * or missing input is asked again `retries` times, then onFail (or next with
 * the variable unset, when no onFail is given — the caller still gets help).
 */
export class CollectNode extends Node<'collect'> {
  static readonly schema = Schema;
  readonly kind = 'collect';
  private readonly pattern: RegExp | null;

  constructor(id: string, def: ConstructorParameters<typeof Node<'collect'>>[1]) {
    super(id, def);
    this.pattern = def.pattern === undefined ? null : new RegExp(def.pattern);
  }

  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    for (let attempt = 0; attempt <= def.retries; attempt++) {
      const got = await ctx.collect({
        prompts: def.prompts,
        minDigits: def.minDigits,
        maxDigits: def.maxDigits,
        terminators: def.terminator,
        firstDigitTimeoutMs: def.timeout * 1000,
        interDigitTimeoutMs: def.interDigitTimeout * 1000,
      });
      const valid = got.digits.length >= def.minDigits && (this.pattern === null || this.pattern.test(got.digits));
      ctx.event('collect', { node: this.id, variable: def.variable, digits: got.digits, valid, reason: got.reason });
      if (valid) {
        ctx.vars.set(def.variable, got.digits);
        return def.next;
      }
      if (attempt < def.retries) await ctx.play(def.invalidPrompts);
    }
    return def.onFail ?? def.next;
  }
}
