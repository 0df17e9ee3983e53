/**
 * Metrics of the call path (the ACD's queue metrics — answered, abandoned,
 * wait histogram, service level — come from acd-metrics.ts, fed by the same
 * real calls). Labels are bounded: dispositions, flow ids and event kinds,
 * never call ids.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CallCenter } from '../calls/call-center.ts';
import type { CallEvent } from '../calls/services.ts';

export function registerCallMetrics(registry: Registry, calls: CallCenter): void {
  new Gauge({
    name: 'hotline_calls_active',
    help: 'Calls in progress (IVR, waiting or talking)',
    registers: [registry],
    collect() {
      this.set(calls.activeCalls);
    },
  });
  const ended = new Counter({ name: 'hotline_calls_total', help: 'Calls ended, by disposition', labelNames: ['disposition'], registers: [registry] });
  const started = new Counter({ name: 'hotline_calls_started_total', help: 'Calls answered by the IVR, by flow', labelNames: ['flow'], registers: [registry] });
  const prompts = new Counter({ name: 'hotline_ivr_prompts_total', help: 'Prompt playbacks started by the IVR and queues', registers: [registry] });
  const features = new Counter({ name: 'hotline_feature_codes_total', help: "Operators' feature-code calls, by action", labelNames: ['action'], registers: [registry] });
  const transfers = new Counter({ name: 'hotline_transfers_total', help: 'Transfers of callers by operators', labelNames: ['kind'], registers: [registry] });
  calls.events.on('event', (e: CallEvent) => {
    switch (e.type) {
      case 'call-started':
        started.inc({ flow: String(e['flow']) });
        return;
      case 'call-ended':
        ended.inc({ disposition: String(e['disposition']) });
        return;
      case 'prompt':
        prompts.inc();
        return;
      case 'feature-code':
        features.inc({ action: String(e['action']) });
        return;
      case 'transferred':
        transfers.inc({ kind: 'queue' });
        return;
      case 'transfer-answered':
        transfers.inc({ kind: 'external' });
        return;
    }
  });
}
