import { CallbackNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/**
 * Offer a callback: the caller presses the accept key (default *) (their own number, or one
 * they type), keeps their place in line, and the call ends after a confirmation.
 */
export class CallbackNode extends Node<'callback'> {
  static readonly schema = Schema;
  readonly kind = 'callback';
  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    const answer = await ctx.collect({ prompts: def.prompts, minDigits: 1, maxDigits: 1, terminators: '', firstDigitTimeoutMs: 6000, interDigitTimeoutMs: 6000 });
    if (answer.digits !== def.acceptKey) {
      ctx.event('callback', { accepted: false });
      return def.next;
    }
    let number = ctx.caller;
    if (def.askNumber) {
      const typed = await ctx.collect({ prompts: ['enter-contract'], minDigits: 5, maxDigits: 15, terminators: '#', firstDigitTimeoutMs: 8000, interDigitTimeoutMs: 5000 });
      if (typed.digits.length >= 5) number = typed.digits;
    }
    const ok = await ctx.requestCallback(def.queue ?? stringVar(ctx.vars.get('queue')), number);
    ctx.event('callback', { accepted: true, registered: ok, number });
    if (ok) {
      ctx.vars.set('callback', number);
      await ctx.play(def.confirmPrompts);
    }
    return def.next;
  }
}

function stringVar(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
