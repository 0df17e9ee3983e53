import { BranchNode as Schema, type Condition } from '../schema.ts';
import type { CallContext } from '../context.ts';
import { scheduleState } from '../schedule.ts';
import { Node } from './node.ts';

/** Take the first case whose condition holds (a variable's value, or the opening schedule), else the default. */
export class BranchNode extends Node<'branch'> {
  static readonly schema = Schema;
  readonly kind = 'branch';
  run(ctx: CallContext): Promise<string> {
    for (const c of this.def.cases) {
      if (holds(c.if, ctx)) return Promise.resolve(c.next);
    }
    return Promise.resolve(this.def.default);
  }
}

function holds(cond: Condition, ctx: CallContext): boolean {
  if ('schedule' in cond) {
    const schedule = ctx.flow.def.schedules[cond.schedule];
    if (schedule === undefined) return false; // validation refuses such a flow; be safe anyway
    const state = scheduleState(schedule, ctx.now(), ctx.timezone);
    return cond.is === 'closed' ? state !== 'open' : state === cond.is;
  }
  const value = ctx.vars.get(cond.variable);
  // An unset variable equals nothing and is in no list (not even the text "undefined").
  if (value === undefined && (cond.equals !== undefined || cond.in !== undefined)) return false;
  if (cond.exists !== undefined && cond.exists !== (value !== undefined && value !== '')) return false;
  if (cond.equals !== undefined && String(value) !== String(cond.equals)) return false;
  if (cond.in !== undefined && !cond.in.some((v) => String(v) === String(value))) return false;
  if (cond.matches !== undefined && (value === undefined || !new RegExp(cond.matches).test(String(value)))) return false;
  return cond.exists !== undefined || cond.equals !== undefined || cond.in !== undefined || cond.matches !== undefined ? true : value !== undefined;
}
