import { linkedSignal } from '../../abort.ts';
import { LookupNode as Schema } from '../schema.ts';
import type { CallContext, VarValue } from '../context.ts';
import { fillTemplate } from '../speak.ts';
import { Node } from './node.ts';

/**
 * Ask a CRM or billing system about the caller (GET or POST JSON) with a
 * timeout; copy fields of the answer into call variables. Any failure — time
 * out, network, non-2xx, not JSON — takes onError, so a slow CRM never keeps a
 * caller from an operator.
 */
export class LookupNode extends Node<'lookup'> {
  static readonly schema = Schema;
  readonly kind = 'lookup';
  async run(ctx: CallContext): Promise<string> {
    const { def } = this;
    const url = fillTemplate(def.url, ctx.vars, encodeURIComponent);
    const started = Date.now();
    const linked = linkedSignal([ctx.signal], def.timeout * 1000);
    try {
      const body = def.body === undefined ? undefined : JSON.stringify(Object.fromEntries(Object.entries(def.body).map(([k, v]) => [k, typeof v === 'string' ? fillTemplate(v, ctx.vars) : v])));
      const res = await fetch(url, {
        method: def.method,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...def.headers },
        ...(body !== undefined ? { body } : {}),
        signal: linked.signal,
      });
      if (!res.ok) {
        await res.body?.cancel(); // free the connection for the next caller's lookup
        throw new Error(`HTTP ${res.status}`);
      }
      const json: unknown = await res.json();
      for (const [name, path] of Object.entries(def.assign)) {
        const value = pick(json, path);
        if (value !== undefined) ctx.vars.set(name, value);
      }
      ctx.event('lookup', { node: this.id, status: res.status, ms: Date.now() - started });
      return def.next;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.warn({ node: this.id, url, err: err instanceof Error ? err.message : String(err), ms: Date.now() - started }, 'lookup failed: taking onError');
      ctx.event('lookup', { node: this.id, error: err instanceof Error ? err.message : String(err), ms: Date.now() - started });
      return def.onError;
    } finally {
      linked.dispose();
    }
  }
}

/** A dotted path into parsed JSON; only scalars are copied into variables. */
function pick(json: unknown, path: string): VarValue | undefined {
  let v: unknown = json;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}
