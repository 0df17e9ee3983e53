/**
 * The four RFC 3261 §17 transaction state machines (with the RFC 6026
 * "Accepted" state for INVITE) as explicit tables: state × event → next state
 * and the actions to run, with the RFC section beside each row. An event with
 * no row in the current state is ignored (the RFC's "absorbed" cases are
 * written as rows too, so that silence is always deliberate).
 */

export interface Transition<S extends string, A extends string> {
  to: S;
  actions: readonly A[];
  rfc: string;
}

export type Table<S extends string, E extends string, A extends string> = Readonly<Record<S, Partial<Record<E, Transition<S, A>>>>>;

const row = <S extends string, A extends string>(to: S, actions: readonly A[], rfc: string): Transition<S, A> => ({ to, actions, rfc });

// ─── INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2) ───────────────

export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';
export type InviteClientEvent = 'timer-a' | 'timer-b' | 'timer-c' | 'timer-d' | 'timer-m' | 'provisional' | 'success' | 'failure' | 'transport-error';
export type InviteClientAction =
  | 'retransmit-request' // resend the INVITE (UDP)
  | 'double-timer-a'
  | 'cancel-timer-a'
  | 'cancel-timer-b'
  | 'start-timer-c' // (re)start Timer C: a safety net while Proceeding, as §16.6 item 11 does for proxies
  | 'cancel-timer-c'
  | 'start-timer-d'
  | 'start-timer-m'
  | 'pass-response' // hand the response to the TU
  | 'send-ack' // ACK for a non-2xx final response, built by the transaction (§17.1.1.3)
  | 'report-timeout'
  | 'report-transport-error';

export const INVITE_CLIENT: Table<InviteClientState, InviteClientEvent, InviteClientAction> = {
  calling: {
    'timer-a': row('calling', ['retransmit-request', 'double-timer-a'], '§17.1.1.2: Timer A fires: retransmit, double A'),
    'timer-b': row('terminated', ['report-timeout'], '§17.1.1.2: Timer B fires in Calling: inform TU of timeout'),
    provisional: row('proceeding', ['cancel-timer-a', 'cancel-timer-b', 'start-timer-c', 'pass-response'], '§17.1.1.2: 1xx in Calling → Proceeding (Timer B only applies in Calling)'),
    success: row('accepted', ['cancel-timer-a', 'cancel-timer-b', 'pass-response', 'start-timer-m'], 'RFC 6026 §7.2: 2xx → Accepted, start Timer M'),
    failure: row('completed', ['cancel-timer-a', 'cancel-timer-b', 'pass-response', 'send-ack', 'start-timer-d'], '§17.1.1.2: 300–699 → ACK, Completed, Timer D'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.1.1.2: transport error → inform TU, Terminated'),
  },
  proceeding: {
    'timer-c': row('terminated', ['report-timeout'], '§16.6 item 11 (Timer C, > 3 min): a peer that rings forever and never answers a CANCEL'),
    provisional: row('proceeding', ['start-timer-c', 'pass-response'], '§17.1.1.2: further 1xx passed to TU (and Timer C restarts, §16.7 step 2)'),
    success: row('accepted', ['cancel-timer-c', 'pass-response', 'start-timer-m'], 'RFC 6026 §7.2: 2xx → Accepted'),
    failure: row('completed', ['cancel-timer-c', 'pass-response', 'send-ack', 'start-timer-d'], '§17.1.1.2: 300–699 → ACK, Completed'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.1.1.2'),
  },
  accepted: {
    success: row('accepted', ['pass-response'], 'RFC 6026 §7.2: 2xx retransmissions (or other forks) go to the TU, which ACKs them'),
    failure: row('accepted', [], 'RFC 6026 §7.2: non-2xx in Accepted is absorbed'),
    provisional: row('accepted', [], 'RFC 6026 §7.2: absorbed'),
    'timer-m': row('terminated', [], 'RFC 6026 §7.2: Timer M fires → Terminated'),
  },
  completed: {
    failure: row('completed', ['send-ack'], '§17.1.1.2: retransmitted final response → resend ACK, not passed up'),
    provisional: row('completed', [], '§17.1.1.2: absorbed'),
    success: row('completed', [], '§17.1.1.2: absorbed'),
    'timer-d': row('terminated', [], '§17.1.1.2: Timer D fires → Terminated'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.1.1.2'),
  },
  terminated: {},
};

// ─── non-INVITE client transaction (RFC 3261 §17.1.2) ─────────────────────────

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';
export type NonInviteClientEvent = 'timer-e' | 'timer-f' | 'timer-k' | 'provisional' | 'final' | 'transport-error';
export type NonInviteClientAction =
  | 'retransmit-request'
  | 'double-timer-e' // E = min(2E, T2)
  | 'timer-e-t2' // in Proceeding, retransmit every T2
  | 'cancel-timer-e'
  | 'cancel-timer-f'
  | 'start-timer-k'
  | 'pass-response'
  | 'report-timeout'
  | 'report-transport-error';

export const NON_INVITE_CLIENT: Table<NonInviteClientState, NonInviteClientEvent, NonInviteClientAction> = {
  trying: {
    'timer-e': row('trying', ['retransmit-request', 'double-timer-e'], '§17.1.2.2: Timer E fires in Trying: retransmit, E = min(2E, T2)'),
    'timer-f': row('terminated', ['report-timeout'], '§17.1.2.2: Timer F fires: timeout to TU'),
    provisional: row('proceeding', ['pass-response'], '§17.1.2.2: 1xx → Proceeding'),
    final: row('completed', ['cancel-timer-e', 'cancel-timer-f', 'pass-response', 'start-timer-k'], '§17.1.2.2: 200–699 → Completed, Timer K'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.1.2.2'),
  },
  proceeding: {
    'timer-e': row('proceeding', ['retransmit-request', 'timer-e-t2'], '§17.1.2.2: Timer E fires in Proceeding: retransmit, E = T2'),
    'timer-f': row('terminated', ['report-timeout'], '§17.1.2.2'),
    provisional: row('proceeding', ['pass-response'], '§17.1.2.2'),
    final: row('completed', ['cancel-timer-e', 'cancel-timer-f', 'pass-response', 'start-timer-k'], '§17.1.2.2'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.1.2.2'),
  },
  completed: {
    provisional: row('completed', [], '§17.1.2.2: absorbed'),
    final: row('completed', [], '§17.1.2.2: retransmitted final responses absorbed'),
    'timer-k': row('terminated', [], '§17.1.2.2: Timer K fires → Terminated'),
  },
  terminated: {},
};

// ─── INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1) ──────────────

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
export type InviteServerEvent = 'request-retransmit' | 'send-provisional' | 'send-success' | 'send-failure' | 'ack' | 'timer-g' | 'timer-h' | 'timer-i' | 'timer-l' | 'transport-error';
export type InviteServerAction =
  | 'send-response' // send the response the TU gave, remember it
  | 'resend-last-response'
  | 'start-timer-g'
  | 'double-timer-g' // G = min(2G, T2)
  | 'cancel-timer-g'
  | 'start-timer-h'
  | 'cancel-timer-h'
  | 'start-timer-i'
  | 'start-timer-l'
  | 'pass-ack' // ACK for 2xx reaching the TU through the Accepted state
  | 'report-timeout' // Timer H: the ACK never came
  | 'report-transport-error';

export const INVITE_SERVER: Table<InviteServerState, InviteServerEvent, InviteServerAction> = {
  proceeding: {
    'request-retransmit': row('proceeding', ['resend-last-response'], '§17.2.1: INVITE retransmission → resend the most recent provisional'),
    'send-provisional': row('proceeding', ['send-response'], '§17.2.1: TU sends 1xx'),
    'send-success': row('accepted', ['send-response', 'start-timer-l'], 'RFC 6026 §7.1: 2xx → Accepted, Timer L'),
    'send-failure': row('completed', ['send-response', 'start-timer-g', 'start-timer-h'], '§17.2.1: 300–699 → Completed, Timer G (UDP), Timer H'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.2.1'),
  },
  completed: {
    'request-retransmit': row('completed', ['resend-last-response'], '§17.2.1: INVITE retransmission → resend final'),
    'timer-g': row('completed', ['resend-last-response', 'double-timer-g'], '§17.2.1: Timer G fires: resend final, G = min(2G, T2)'),
    ack: row('confirmed', ['cancel-timer-g', 'cancel-timer-h', 'start-timer-i'], '§17.2.1: ACK → Confirmed, Timer I'),
    'timer-h': row('terminated', ['cancel-timer-g', 'report-timeout'], '§17.2.1: Timer H fires: the ACK never came, inform TU'),
    'transport-error': row('terminated', ['cancel-timer-g', 'cancel-timer-h', 'report-transport-error'], '§17.2.1'),
  },
  confirmed: {
    ack: row('confirmed', [], '§17.2.1: ACK retransmissions absorbed'),
    'request-retransmit': row('confirmed', [], '§17.2.1: absorbed'),
    'timer-i': row('terminated', [], '§17.2.1: Timer I fires → Terminated'),
  },
  accepted: {
    'request-retransmit': row('accepted', [], 'RFC 6026 §7.1: INVITE retransmissions absorbed (the TU retransmits the 2xx itself)'),
    'send-success': row('accepted', ['send-response'], 'RFC 6026 §7.1: the TU\'s 2xx retransmissions pass through'),
    ack: row('accepted', ['pass-ack'], 'RFC 6026 §7.1: ACK passed to the TU'),
    'timer-l': row('terminated', [], 'RFC 6026 §7.1: Timer L fires → Terminated'),
    'transport-error': row('accepted', [], 'RFC 6026 §7.1: stays Accepted (the TU learns from its own sends)'),
  },
  terminated: {},
};

// ─── non-INVITE server transaction (RFC 3261 §17.2.2) ─────────────────────────

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';
export type NonInviteServerEvent = 'request-retransmit' | 'send-provisional' | 'send-final' | 'timer-j' | 'transport-error';
export type NonInviteServerAction = 'send-response' | 'resend-last-response' | 'start-timer-j' | 'report-transport-error';

export const NON_INVITE_SERVER: Table<NonInviteServerState, NonInviteServerEvent, NonInviteServerAction> = {
  trying: {
    'request-retransmit': row('trying', [], '§17.2.2: retransmissions in Trying are discarded'),
    'send-provisional': row('proceeding', ['send-response'], '§17.2.2: TU 1xx → Proceeding'),
    'send-final': row('completed', ['send-response', 'start-timer-j'], '§17.2.2: TU final → Completed, Timer J'),
  },
  proceeding: {
    'request-retransmit': row('proceeding', ['resend-last-response'], '§17.2.2: retransmission → resend provisional'),
    'send-provisional': row('proceeding', ['send-response'], '§17.2.2'),
    'send-final': row('completed', ['send-response', 'start-timer-j'], '§17.2.2'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.2.2'),
  },
  completed: {
    'request-retransmit': row('completed', ['resend-last-response'], '§17.2.2: retransmission → resend final'),
    'send-final': row('completed', [], '§17.2.2: further finals from the TU are discarded'),
    'timer-j': row('terminated', [], '§17.2.2: Timer J fires → Terminated'),
    'transport-error': row('terminated', ['report-transport-error'], '§17.2.2'),
  },
  terminated: {},
};
