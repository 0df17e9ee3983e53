import { QueueNode as Schema } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { Node } from './node.ts';

/**
 * Wait in an ACD queue for an operator, with music and announcements. After
 * the talk, if the operator hung up first, the flow goes on at afterCall (a
 * survey); a leave key goes to onLeave (callback, voicemail); max wait or a
 * full queue goes to onTimeout.
 */
export class QueueNode extends Node<'queue'> {
  static readonly schema = Schema;
  readonly kind = 'queue';
  async run(ctx: CallContext): Promise<string | undefined> {
    const { def } = this;
    ctx.vars.set('queue', def.queue);
    const outcome = await ctx.queue({
      queue: def.queue,
      priority: def.priority,
      ...(def.skills !== undefined ? { skills: def.skills } : {}),
      prompts: def.prompts,
      music: def.music,
      announceEverySeconds: def.announceEvery,
      announcePosition: def.announcePosition,
      announceWait: def.announceWait,
      thanksPrompts: def.thanksPrompts,
      ...(def.leaveKey !== undefined ? { leaveKey: def.leaveKey } : {}),
    });
    switch (outcome) {
      case 'after-call':
        return def.afterCall;
      case 'left':
        return def.onLeave;
      case 'timeout':
      case 'full':
        return def.onTimeout;
      case 'transferred-out':
        return undefined;
    }
  }
}
