/**
 * Ordered, case-insensitive, compact-form-aware header storage (RFC 3261
 * §7.3). Lines are parallel arrays — name as written, canonical key, value
 * (unfolded, trimmed). A parsed message keeps its values as offsets into the
 * decoded header section and slices one only when it is read: a handler
 * reads half the lines of a typical INVITE. Structured values are parsed on
 * first access and cached per header until that header is changed.
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

/** Marks a slot not computed yet (undefined is a legitimate result: no Via, no Max-Forwards). */
const UNSET: unique symbol = Symbol('unset');

/**
 * Structured values of the headers every message handler reads, cached in
 * an array by slot number (cheaper than a Map or keyed properties on the
 * per-message path). SLOT_KEY names the header each derives from, so a
 * change to that header resets it.
 */
export const Slot = {
  via: 0,
  topVia: 1,
  from: 2,
  to: 3,
  callId: 4,
  cseq: 5,
  maxForwards: 6,
  contact: 7,
  route: 8,
  recordRoute: 9,
} as const;
export type Slot = (typeof Slot)[keyof typeof Slot];
const SLOT_KEY = ['via', 'via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'route', 'record-route'];

export class HeaderFieldsImpl implements HeaderFields {
  /** Names as written. */
  readonly names: string[];
  /** Canonical keys (lower-case long form). */
  readonly keys: string[];
  /** Values read so far (or all of them, once built or changed); holes are still in `source`. */
  private readonly vals: Array<string | undefined>;
  /** Decoded header section the spans point into. */
  private source: string;
  /** [start, end) of line i's value in source at 2i, 2i+1; empty once materialised. */
  private spans: number[];
  /** Bumped on every change; a message compares it to know whether raw bytes still hold. */
  revision = 0;
  private slots: unknown[] | undefined;
  private view: HeaderField[] | undefined;

  /**
   * Trusted arrays (from the parser, already validated). `values[i]` may be
   * left undefined when `spans` locate the value in `source`.
   */
  constructor(names: string[] = [], keys: string[] = [], values: Array<string | undefined> = [], source = '', spans: number[] = []) {
    this.names = names;
    this.keys = keys;
    this.vals = values;
    this.source = source;
    this.spans = spans;
  }

  /** Value of line i (unfolded, trimmed). */
  value(i: number): string {
    const v = this.vals[i];
    if (v !== undefined) return v;
    const sliced = this.source.slice(this.spans[2 * i], this.spans[2 * i + 1]);
    this.vals[i] = sliced;
    return sliced;
  }

  /** Every value as a string, so lines can move (before any change). */
  private materialise(): void {
    if (this.spans.length === 0) return;
    for (let i = 0; i < this.names.length; i++) this.value(i);
    this.spans = [];
    this.source = '';
  }

  /** Validated construction from (name, value) pairs, for builders. */
  static from(pairs: Iterable<readonly [string, string]>): HeaderFieldsImpl {
    const h = new HeaderFieldsImpl();
    for (const [name, value] of pairs) {
      h.names.push(checkName(name));
      h.vals.push(checkValue(name, value));
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
    return i < 0 ? undefined : this.value(i);
  }

  /** Raw values of every line with this key, in order. */
  lines(key: string): string[] {
    const out: string[] = [];
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) out.push(this.value(i));
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
    this.materialise();
    let at = this.indexOf(key);
    if (at < 0) at = this.names.length;
    this.removeKey(key);
    this.names.splice(at, 0, ...checked.map(() => name));
    this.vals.splice(at, 0, ...checked);
    this.keys.splice(at, 0, ...checked.map(() => key));
    this.changed(key);
  }

  append(name: string, value: string, opts?: { prepend?: boolean }): void {
    checkName(name);
    const key = headerKey(name);
    const v = checkValue(name, value);
    this.materialise();
    if (opts?.prepend === true) {
      // Before the first line of the same header (so a new Via / Record-Route is on top),
      // or at the very top when there is none.
      const at = Math.max(0, this.indexOf(key));
      this.names.splice(at, 0, name);
      this.vals.splice(at, 0, v);
      this.keys.splice(at, 0, key);
    } else {
      this.names.push(name);
      this.vals.push(v);
      this.keys.push(key);
    }
    this.changed(key);
  }

  remove(name: string): void {
    const key = headerKey(name);
    if (this.indexOf(key) < 0) return;
    this.materialise();
    this.removeKey(key);
    this.changed(key);
  }

  fields(): readonly HeaderField[] {
    if (this.view === undefined) {
      const view: HeaderField[] = [];
      for (let i = 0; i < this.names.length; i++) view.push({ name: this.names[i]!, value: this.value(i) });
      this.view = view;
    }
    return this.view;
  }

  /**
   * A structured value computed once per version of its header. Errors are
   * not cached: a bad header throws on every access.
   */
  cached<T>(slot: Slot, compute: (h: HeaderFieldsImpl) => T): T {
    const slots = (this.slots ??= [UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, UNSET]);
    const hit = slots[slot];
    if (hit !== UNSET) return hit as T;
    const value = compute(this);
    slots[slot] = value;
    return value;
  }

  /** Drops the lines of a key; values must be materialised. */
  private removeKey(key: string): void {
    let w = 0;
    const n = this.keys.length;
    for (let r = 0; r < n; r++) {
      if (this.keys[r] === key) continue;
      this.names[w] = this.names[r]!;
      this.vals[w] = this.vals[r];
      this.keys[w] = this.keys[r]!;
      w++;
    }
    this.names.length = this.vals.length = this.keys.length = w;
  }

  private changed(key: string): void {
    this.revision++;
    this.view = undefined;
    const slots = this.slots;
    if (slots === undefined) return;
    for (let i = 0; i < SLOT_KEY.length; i++) if (SLOT_KEY[i] === key) slots[i] = UNSET;
  }
}
