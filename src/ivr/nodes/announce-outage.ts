import { AnnounceOutageNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/** Play the outage notice(s) admins set for the caller's area, if any, and note it in `outage`. */
export class AnnounceOutageNode extends Node<'announce-outage'> {
  static readonly schema = Schema;
  readonly kind = 'announce-outage';
  async run(ctx: CallContext): Promise<string> {
    const area = ctx.vars.get(this.def.areaVariable);
    const notices = ctx.outageNotices(area === undefined ? undefined : String(area));
    ctx.vars.set('outage', notices.length > 0);
    if (notices.length > 0) await ctx.play(['outage-notice-intro', ...notices]);
    return this.def.next;
  }
}
