import { VoicemailNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/** Record a message after a beep (up to maxSeconds, or until the terminator key); kept with the call. */
export class VoicemailNode extends Node<'voicemail'> {
  static readonly schema = Schema;
  readonly kind = 'voicemail';
  async run(ctx: CallContext): Promise<string | undefined> {
    if (this.def.prompts.length > 0) await ctx.play(this.def.prompts);
    const message = await ctx.recordMessage({ maxMs: this.def.maxSeconds * 1000, beep: this.def.beep, terminators: this.def.terminator });
    if (message !== null) ctx.vars.set('voicemail', message.path);
    return this.def.next;
  }
}
