/**
 * The ACD's deadlines. The ACD owns no real timers: it keeps its deadlines in
 * this heap, the host asks `nextDeadline()` and calls `advance()` when that
 * time comes (one host timer for the whole ACD). Deadlines whose target moves
 * on are withdrawn (offers answered, contacts gone); each also carries a
 * generation so a deadline that slipped through is ignored.
 */
import { IndexedHeap, type HeapItem } from './heap.ts';
import type { AgentRec, ContactRec, Reservation } from './records.ts';
import type { Millis } from './types.ts';

export type Deadline =
  | { kind: 'offer-expiry'; reservation: Reservation }
  | { kind: 'wrap-end'; agent: AgentRec; gen: number }
  | { kind: 'escalate'; contact: ContactRec; gen: number; step: number }
  | { kind: 'max-wait'; contact: ContactRec; gen: number }
  | { kind: 'retry'; contact: ContactRec; gen: number };

interface Entry extends HeapItem {
  at: Millis;
  seq: number;
  deadline: Deadline;
}

/** A deadline that can be withdrawn before it is due (keeps the heap small under load). */
export type DeadlineHandle = Entry;

export class DeadlineQueue {
  private seq = 0;
  private readonly heap = new IndexedHeap<Entry>((a, b) => (a.at !== b.at ? a.at < b.at : a.seq < b.seq));

  add(at: Millis, deadline: Deadline): DeadlineHandle {
    const entry: Entry = { heapIndex: -1, at, seq: this.seq++, deadline };
    this.heap.push(entry);
    return entry;
  }

  cancel(handle: DeadlineHandle | null): void {
    if (handle !== null) this.heap.remove(handle);
  }

  next(): Millis | undefined {
    return this.heap.peek()?.at;
  }

  /** Remove and return the earliest deadline due at or before `now`, with its time. */
  popDue(now: Millis): { at: Millis; deadline: Deadline } | undefined {
    const top = this.heap.peek();
    if (top === undefined || top.at > now) return undefined;
    this.heap.pop();
    return top;
  }

  get size(): number {
    return this.heap.size;
  }
}
