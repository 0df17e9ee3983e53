/**
 * Estimated wait time (EWT) for a caller at a given place in line.
 *
 * Position-aware estimator (the one hotline announces):
 *   Each agent who can serve the queue frees up after its expected residual
 *   handle time r_i = max(H − elapsed_i, H · RESIDUAL_FLOOR), then every H after
 *   that (H: the queue's recent average handle time, talk + wrap-up). Free
 *   agents count as r_i = 0. A caller with k callers ahead is served at the
 *   (k+1)-th earliest of those moments: EWT(k) = (k+1)-th smallest of
 *   { r_i + j·H : agents i, j ≥ 0 }. With no agent serving the queue, the
 *   estimate is unknown (null).
 *
 * Asterisk-style moving average, for comparison (app_queue `holdtime`):
 *   on every answered call, holdtime = (3 · holdtime + wait) / 4; every caller
 *   is told the same holdtime regardless of position.
 */
import type { Millis } from './types.ts';

/** An agent near the end of a long call still needs some time: never expect less than this share of H. */
const RESIDUAL_FLOOR = 0.1;

export interface ServiceView {
  handleMs: Millis;
  free: number;
  busyElapsedMs: readonly Millis[];
}

export function estimateWaitMs(ahead: number, view: ServiceView): Millis | null {
  const { handleMs: h, free, busyElapsedMs } = view;
  const servers = free + busyElapsedMs.length;
  if (servers === 0) return null;
  if (ahead < free) return 0;
  const next: number[] = [];
  for (let i = 0; i < free; i++) next.push(0);
  for (const e of busyElapsedMs) next.push(Math.max(h - e, h * RESIDUAL_FLOOR));
  next.sort((a, b) => a - b);
  // Full rounds: every server frees up once per H, so skip whole rounds at once.
  const rounds = Math.floor(ahead / servers);
  const index = ahead - rounds * servers;
  return (next[index] as number) + rounds * h;
}

/** Asterisk app_queue's hold-time average: (3·old + new)/4 on every answered call. */
export class AsteriskHoldtime {
  private holdtimeMs: Millis = 0;
  record(waitMs: Millis): void {
    this.holdtimeMs = (3 * this.holdtimeMs + waitMs) / 4;
  }
  estimateMs(): Millis {
    return this.holdtimeMs;
  }
}
