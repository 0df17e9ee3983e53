import { SurveyNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/** "Rate the call from 1 to 5": one key, stored with the call (no answer is stored as null). */
export class SurveyNode extends Node<'survey'> {
  static readonly schema = Schema;
  readonly kind = 'survey';
  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    const got = await ctx.collect({ prompts: def.prompts, minDigits: 1, maxDigits: 1, terminators: '', firstDigitTimeoutMs: def.timeout * 1000, interDigitTimeoutMs: def.timeout * 1000 });
    const score = got.digits === '' ? NaN : Number(got.digits);
    const valid = Number.isInteger(score) && score >= def.min && score <= def.max;
    ctx.recordSurvey(valid ? score : null);
    ctx.vars.set('survey', valid ? score : '');
    if (valid) await ctx.play(def.thanksPrompts);
    return def.next;
  }
}
