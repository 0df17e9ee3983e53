/**
 * RFC 3261 §17 timer values (Table 4 in Appendix A) derived from T1, T2, T4.
 * Over a reliable transport (TCP, TLS) the retransmit timers are not used and
 * the "wait" timers D, I, J, K are zero.
 */
export interface TimerConfig {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum time a message remains in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { T1: 500, T2: 4000, T4: 5000 };

export interface DerivedTimers {
  /** A: INVITE request retransmit, initially T1 (UDP only). */
  A: number;
  /** B: INVITE transaction timeout, 64·T1. */
  B: number;
  /** C (optional, §16.6): Proceeding safety net, > 3 min. */
  C: number;
  /** D: wait for response retransmits, ≥ 32 s for UDP, 0 for reliable. */
  D: number;
  /** E: non-INVITE request retransmit, initially T1 (UDP only). */
  E: number;
  /** F: non-INVITE transaction timeout, 64·T1. */
  F: number;
  /** G: INVITE final response retransmit, initially T1 (UDP only). */
  G: number;
  /** H: wait time for ACK receipt, 64·T1. */
  H: number;
  /** I: wait time for ACK retransmits, T4 for UDP, 0 for reliable. */
  I: number;
  /** J: wait time for non-INVITE request retransmits, 64·T1 for UDP, 0 for reliable. */
  J: number;
  /** K: wait time for response retransmits, T4 for UDP, 0 for reliable. */
  K: number;
  /** L (RFC 6026): wait time for accepted INVITE request retransmits, 64·T1. */
  L: number;
  /** M (RFC 6026): wait time for retransmission of 2xx to INVITE, 64·T1. */
  M: number;
}

export function deriveTimers(t: TimerConfig, reliable: boolean): DerivedTimers {
  return {
    A: t.T1,
    B: 64 * t.T1,
    C: 181_000,
    D: reliable ? 0 : Math.max(32_000, 64 * t.T1),
    E: t.T1,
    F: 64 * t.T1,
    G: t.T1,
    H: 64 * t.T1,
    I: reliable ? 0 : t.T4,
    J: reliable ? 0 : 64 * t.T1,
    K: reliable ? 0 : t.T4,
    L: 64 * t.T1,
    M: 64 * t.T1,
  };
}
