/**
 * The media engine's Prometheus metrics. The engine counts in plain fields inside its worker
 * thread (the packet path never touches prom-client); a scrape asks it for one stats snapshot,
 * shared by every metric of that scrape.
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { EngineStats, MediaServer } from '../media/media-server.ts';
import { LATENESS_BUCKETS_MS } from '../media/scheduler.ts';

/**
 * One engine round trip per scrape, however many metrics read it: prom-client collects every
 * metric concurrently, so they all join the request in flight; the next scrape asks afresh.
 */
class StatsSnapshot {
  readonly #media: MediaServer;
  #inFlight: Promise<EngineStats | null> | null = null;

  constructor(media: MediaServer) {
    this.#media = media;
  }

  get(): Promise<EngineStats | null> {
    if (this.#inFlight === null) {
      // An engine that is down reports nothing rather than failing the whole scrape.
      const request = this.#media.up ? this.#media.stats().catch(() => null) : Promise.resolve(null);
      this.#inFlight = request.finally(() => {
        this.#inFlight = null;
      });
    }
    return this.#inFlight;
  }
}

function mirroredCounter(registry: Registry, snapshot: StatsSnapshot, name: string, help: string, read: (s: EngineStats) => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    async collect() {
      const s = await snapshot.get();
      if (s === null) return;
      this.reset();
      this.inc(read(s));
    },
  });
}

function mirroredGauge(registry: Registry, snapshot: StatsSnapshot, name: string, help: string, read: (s: EngineStats) => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      const s = await snapshot.get();
      this.set(s === null ? 0 : read(s));
    },
  });
}

/**
 * The scheduler keeps its own bucket counts (it runs in the worker); this exposes them as a
 * Prometheus histogram as they are, instead of replaying observations into prom-client.
 */
function latenessHistogram(registry: Registry, snapshot: StatsSnapshot): void {
  const name = 'hotline_media_scheduler_lateness_seconds';
  const help = 'How late the 20 ms media frame clock fired (event-loop delay seen by RTP pacing).';
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const s = await snapshot.get();
      const counts = s?.latenessBuckets ?? new Array<number>(LATENESS_BUCKETS_MS.length + 1).fill(0);
      const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
      let cumulative = 0;
      LATENESS_BUCKETS_MS.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { le: String(le / 1000) }, value: cumulative });
      });
      cumulative += counts[LATENESS_BUCKETS_MS.length] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${name}_sum`, labels: {}, value: (s?.latenessSumMs ?? 0) / 1000 });
      values.push({ metricName: `${name}_count`, labels: {}, value: s?.latenessCount ?? 0 });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Metric);
}

export function registerMediaMetrics(registry: Registry, media: MediaServer): void {
  const snap = new StatsSnapshot(media);
  mirroredCounter(registry, snap, 'hotline_media_rtp_packets_received_total', 'RTP datagrams received on media ports.', (s) => s.packetsIn);
  mirroredCounter(registry, snap, 'hotline_media_rtp_packets_sent_total', 'RTP packets sent (prompts, silence, relayed, DTMF events).', (s) => s.packetsOut);
  mirroredCounter(registry, snap, 'hotline_media_rtp_received_bytes_total', 'RTP bytes received (headers included).', (s) => s.bytesIn);
  mirroredCounter(registry, snap, 'hotline_media_rtp_sent_bytes_total', 'RTP bytes sent (headers included).', (s) => s.bytesOut);
  mirroredCounter(registry, snap, 'hotline_media_rtp_packets_lost_total', 'Packets missing from received streams (sequence gaps, RFC 3550 A.3).', (s) => s.packetsLost);
  mirroredCounter(registry, snap, 'hotline_media_rtp_packets_dropped_total', 'Datagrams ignored: malformed, unknown payload type, or from a source other than the latched one.', (s) => s.packetsDropped);
  mirroredCounter(registry, snap, 'hotline_media_rtp_packets_relayed_total', 'Packets forwarded between bridged legs.', (s) => s.packetsRelayed);
  mirroredCounter(registry, snap, 'hotline_media_rtcp_packets_received_total', 'RTCP compound packets received.', (s) => s.rtcpIn);
  mirroredCounter(registry, snap, 'hotline_media_rtcp_packets_sent_total', 'RTCP compound packets sent (SR/RR, BYE).', (s) => s.rtcpOut);
  mirroredCounter(registry, snap, 'hotline_media_dtmf_digits_total', 'DTMF digits received (RFC 4733, in-band, SIP INFO).', (s) => s.dtmfDigits);
  mirroredCounter(registry, snap, 'hotline_media_rtp_timeouts_total', 'Endpoints whose phone stopped sending media for longer than the no-media timeout.', (s) => s.rtpTimeouts);
  mirroredCounter(registry, snap, 'hotline_media_send_errors_total', 'UDP send or socket errors on media ports.', (s) => s.sendErrors);
  mirroredCounter(registry, snap, 'hotline_media_scheduler_frames_skipped_total', 'Frames dropped after event-loop stalls longer than 100 ms (timestamps jump instead of a burst).', (s) => s.framesSkipped);
  mirroredGauge(registry, snap, 'hotline_media_endpoints', 'Live media endpoints.', (s) => s.endpoints);
  mirroredGauge(registry, snap, 'hotline_media_endpoints_playing', 'Endpoints playing a prompt, tone or music.', (s) => s.playing);
  mirroredGauge(registry, snap, 'hotline_media_endpoints_recording', 'Endpoints being recorded.', (s) => s.recording);
  mirroredGauge(registry, snap, 'hotline_media_endpoints_bridged', 'Endpoints bridged to another endpoint (two per bridged call).', (s) => s.bridged);
  mirroredGauge(registry, snap, 'hotline_media_jitter_seconds', 'Mean interarrival jitter of live incoming streams (RFC 3550 A.8).', (s) => s.jitterMsMean / 1000);
  mirroredGauge(registry, snap, 'hotline_media_prompt_cache_bytes', 'Decoded prompts held in memory.', (s) => s.promptCacheBytes);
  new Gauge({
    name: 'hotline_media_engine_up',
    help: '1 while the media engine (worker thread) runs.',
    registers: [registry],
    collect() {
      this.set(media.up ? 1 : 0);
    },
  });
  latenessHistogram(registry, snap);
}
