/**
 * Ordered, case-insensitive, compact-form-aware header storage (RFC 3261
 * §7.3). Lines are three parallel arrays — name as written, value
 * (unfolded, trimmed), canonical key — so a parsed message holds strings
 * only; structured values are parsed on first access and cached per header
 * until that header is changed.
 */
import { SipMessageError } from './errors.ts';
import type { HeaderField, HeaderFields } from './message.ts';
import { headerKey, isSplittable } from './names.ts';
import { isToken } from './chars.ts';
import { splitList, trimmed } from './scan.ts';

/** A value a program may store: no CR or LF (that would inject header lines). */
function checkValue(name: string, value: string): string {
  if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
    throw new SipMessageError('SIP_INVALID_HEADER_VALUE', `header ${name}: CR or LF in value`);
  }
  return trimmed(value);
}

function checkName(name: string): string {
  if (!isToken(name)) throw new SipMessageError('SIP_INVALID_HEADER_NAME', `header name "${name}" is not a token`);
  return name;
}

export class HeaderFieldsImpl implements HeaderFields {
  /** Names as written. */
  readonly names: string[];
  /** Values, unfolded and trimmed. */
  readonly values: string[];
  /** Canonical keys (lower-case long form). */
  readonly keys: string[];
  /** Bumped on every change; a message compares it to know whether raw bytes still hold. */
  revision = 0;
  private cache: Map<string, unknown> | undefined;
  private view: HeaderField[] | undefined;

  /** Trusted arrays (from the parser, already validated). */
  constructor(names: string[] = [], values: string[] = [], keys: string[] = []) {
    this.names = names;
    this.values = values;
    this.keys = keys;
  }

  /** Validated construction from (name, value) pairs, for builders. */
  static from(pairs: Iterable<readonly [string, string]>): HeaderFieldsImpl {
    const h = new HeaderFieldsImpl();
    for (const [name, value] of pairs) {
      h.names.push(checkName(name));
      h.values.push(checkValue(name, value));
      h.keys.push(headerKey(name));
    }
    return h;
  }

  get count(): number {
    return this.names.length;
  }

  /** Index of the first line with this key, or -1. */
  indexOf(key: string, from = 0): number {
    const keys = this.keys;
    for (let i = from; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }

  /** Raw value of the first line with this key (no list splitting). */
  first(key: string): string | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.values[i];
  }

  /** Raw values of every line with this key, in order. */
  lines(key: string): string[] {
    const out: string[] = [];
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this.values[i]!);
    return out;
  }

  countOf(key: string): number {
    let n = 0;
    for (const k of this.keys) if (k === key) n++;
    return n;
  }

  get(name: string): string | undefined {
    const key = headerKey(name);
    const value = this.first(key);
    if (value === undefined || !isSplittable(key) || value.indexOf(',') < 0) return value;
    for (const element of splitList(value)) if (element.length > 0) return element;
    return '';
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const lines = this.lines(key);
    if (!isSplittable(key)) return lines;
    const out: string[] = [];
    for (const line of lines) {
      if (line.indexOf(',') < 0) {
        if (line.length > 0) out.push(line);
        continue;
      }
      for (const element of splitList(line)) if (element.length > 0) out.push(element);
    }
    return out;
  }

  has(name: string): boolean {
    return this.indexOf(headerKey(name)) >= 0;
  }

  set(name: string, value: string | string[]): void {
    checkName(name);
    const key = headerKey(name);
    const list = typeof value === 'string' ? [value] : value;
    const checked = list.map((v) => checkValue(name, v));
    let at = this.indexOf(key);
    if (at < 0) at = this.names.length;
    this.removeKey(key);
    this.names.splice(at, 0, ...checked.map(() => name));
    this.values.splice(at, 0, ...checked);
    this.keys.splice(at, 0, ...checked.map(() => key));
    this.changed(key);
  }

  append(name: string, value: string, opts?: { prepend?: boolean }): void {
    checkName(name);
    const key = headerKey(name);
    const v = checkValue(name, value);
    if (opts?.prepend === true) {
      // Before the first line of the same header (so a new Via / Record-Route is on top),
      // or at the very top when there is none.
      const at = Math.max(0, this.indexOf(key));
      this.names.splice(at, 0, name);
      this.values.splice(at, 0, v);
      this.keys.splice(at, 0, key);
    } else {
      this.names.push(name);
      this.values.push(v);
      this.keys.push(key);
    }
    this.changed(key);
  }

  remove(name: string): void {
    const key = headerKey(name);
    if (this.removeKey(key)) this.changed(key);
  }

  fields(): readonly HeaderField[] {
    if (this.view === undefined) {
      const view: HeaderField[] = [];
      for (let i = 0; i < this.names.length; i++) view.push({ name: this.names[i]!, value: this.values[i]! });
      this.view = view;
    }
    return this.view;
  }

  /**
   * A structured value computed once per header version. `slot` names the
   * computation ("via", "via#top"...); it starts with the header key so a
   * change to the header drops it. Errors are not cached: a bad header
   * throws on every access.
   */
  cached<T>(slot: string, compute: (h: HeaderFieldsImpl) => T): T {
    let cache = this.cache;
    if (cache === undefined) cache = this.cache = new Map();
    const hit = cache.get(slot);
    if (hit !== undefined || cache.has(slot)) return hit as T;
    const value = compute(this);
    cache.set(slot, value);
    return value;
  }

  private removeKey(key: string): boolean {
    let w = 0;
    const n = this.keys.length;
    for (let r = 0; r < n; r++) {
      if (this.keys[r] === key) continue;
      this.names[w] = this.names[r]!;
      this.values[w] = this.values[r]!;
      this.keys[w] = this.keys[r]!;
      w++;
    }
    this.names.length = this.values.length = this.keys.length = w;
    return w !== n;
  }

  private changed(key: string): void {
    this.revision++;
    this.view = undefined;
    const cache = this.cache;
    if (cache === undefined) return;
    const prefix = `${key}#`;
    for (const slot of [...cache.keys()]) if (slot === key || slot.startsWith(prefix)) cache.delete(slot);
  }
}
