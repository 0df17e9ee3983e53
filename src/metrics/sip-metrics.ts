/**
 * The SIP engine's Prometheus metrics, read from the stack's plain counters
 * when Prometheus scrapes (the SIP hot path never touches prom-client).
 * Labels: method (known methods or "other"), status class, reason — bounded.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SipServer } from '../sip/server.ts';

/** A counter whose value is copied from a running total at scrape time. */
function mirroredCounter(registry: Registry, name: string, help: string, labelName: string | undefined, read: () => Record<string, number> | number): void {
  new Counter({
    name,
    help,
    labelNames: labelName === undefined ? [] : [labelName],
    registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (typeof v === 'number') this.inc(v);
      else if (labelName !== undefined) for (const [label, n] of Object.entries(v)) this.inc({ [labelName]: label }, n);
    },
  });
}

export function registerSipMetrics(registry: Registry, sip: SipServer): void {
  const c = sip.stack.counters;
  const tx = sip.stack.transactions.counters;
  mirroredCounter(registry, 'hotline_sip_requests_received_total', 'SIP requests received, by method.', 'method', () => c.requestsIn);
  mirroredCounter(registry, 'hotline_sip_requests_sent_total', 'SIP requests sent (retransmissions included), by method.', 'method', () => c.requestsOut);
  mirroredCounter(registry, 'hotline_sip_responses_received_total', 'SIP responses received, by status class.', 'class', () => c.responsesIn);
  mirroredCounter(registry, 'hotline_sip_responses_sent_total', 'SIP responses sent (retransmissions included), by status class.', 'class', () => c.responsesOut);
  mirroredCounter(registry, 'hotline_sip_retransmissions_total', 'Requests and responses retransmitted by the transaction layer and the UAS core.', undefined, () => tx.retransmissions);
  mirroredCounter(registry, 'hotline_sip_transaction_timeouts_total', 'Transactions ended by Timer B, F, C or H.', undefined, () => tx.timeouts);
  mirroredCounter(registry, 'hotline_sip_parse_errors_total', 'Messages that could not be parsed (answered 400 when possible, dropped otherwise).', undefined, () => c.parseErrors);
  mirroredCounter(registry, 'hotline_sip_dropped_total', 'Messages dropped unanswered (rate limit, scanner User-Agent, internal error).', undefined, () => c.dropped);
  mirroredCounter(registry, 'hotline_sip_stray_responses_total', 'Responses that matched no transaction.', undefined, () => tx.strayResponses);

  new Gauge({
    name: 'hotline_sip_dialogs',
    help: 'Live SIP dialogs.',
    registers: [registry],
    collect() {
      this.set(sip.stack.dialogs.size);
    },
  });
  new Gauge({
    name: 'hotline_sip_registrations',
    help: 'Registered contact bindings (operators\u2019 phones).',
    registers: [registry],
    collect() {
      this.set(sip.registrar.count());
    },
  });
  new Gauge({
    name: 'hotline_sip_transactions',
    help: 'Live SIP transactions, by side.',
    labelNames: ['side'],
    registers: [registry],
    collect() {
      const size = sip.stack.transactions.size;
      this.set({ side: 'server' }, size.server);
      this.set({ side: 'client' }, size.client);
    },
  });
}
