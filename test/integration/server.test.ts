import { createSocket } from 'node:dgram';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';

const offerOf = (events: Array<{ type: string }>) => events.find((e): e is { type: 'offer'; reservationId: string } => e.type === 'offer');

describe('the server on its demo configuration', () => {
  let server: RunningServer;

  let dataDir: string;

  beforeAll(async () => {
    const config = loadConfig('hotline.yaml', {});
    dataDir = mkdtempSync(join(tmpdir(), 'hotline-data-'));
    const sip = { ...config.sip, listen: [{ protocol: 'udp' as const, host: '127.0.0.1', port: 0 }, { protocol: 'tcp' as const, host: '127.0.0.1', port: 0 }] };
    const media = { ...config.media, bindAddress: '127.0.0.1', rtpPorts: { min: 46000, max: 46999 } };
    server = await startServer({ ...config, http: { host: '127.0.0.1', port: 0 }, sip, media }, pino({ level: 'silent' }), { dataDir });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    return res.text();
  };

  it('exports every demo queue from the first scrape', async () => {
    const text = await scrape();
    for (const q of ['internet-l1', 'tv-l1', 'billing-l1', 'l2-engineers']) {
      expect(text).toContain(`hotline_queue_calls_waiting{queue="${q}"} 0`);
      expect(text).toContain(`hotline_queue_answered_total{queue="${q}"} 0`);
    }
    expect(text).toContain('hotline_queue_service_level_threshold_seconds{queue="billing-l1"} 30');
    expect(text).toMatch(/hotline_queue_wait_seconds_bucket\{le="20",queue="internet-l1",outcome="answered"\} 0/);
    expect(text).toContain('hotline_sip_dialogs 0');
    expect(text).toContain('hotline_sip_registrations 0');
  });

  it('answers SIP OPTIONS on its listen address and counts it', async () => {
    const udp = server.sip.addresses.find((a) => a.protocol === 'udp');
    expect(udp).toBeDefined();
    const res = await server.sip.request(`sip:probe@127.0.0.1:${udp!.port}`, { method: 'OPTIONS' });
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toContain('INVITE');
    const text = await scrape();
    expect(text).toContain('hotline_sip_requests_received_total{method="OPTIONS"} 1');
    expect(text).toContain('hotline_sip_responses_sent_total{class="2xx"} 1');
  });

  it('counts an answered call, its wait and the service level; a caller waiting shows up live', async () => {
    const { acd } = server;
    acd.run((a) => a.login('dmitry.ivanov'));
    const offer = offerOf(acd.run((a) => a.enqueue({ id: 'call-1', queueId: 'internet-l1', language: 'ru' })));
    expect(offer).toBeDefined();
    acd.run((a) => a.accept(offer!.reservationId));
    acd.run((a) => a.complete('call-1'));
    acd.run((a) => a.enqueue({ id: 'call-2', queueId: 'internet-l1', language: 'ru' })); // operator in wrap-up: waits
    const text = await scrape();
    expect(text).toContain('hotline_queue_answered_total{queue="internet-l1"} 1');
    expect(text).toContain('hotline_queue_answered_within_threshold_total{queue="internet-l1"} 1');
    expect(text).toContain('hotline_queue_wait_seconds_count{queue="internet-l1",outcome="answered"} 1');
    expect(text).toContain('hotline_queue_service_level_ratio{queue="internet-l1",window="15m"} 1');
    expect(text).toContain('hotline_queue_calls_waiting{queue="internet-l1"} 1');
    expect(text).toContain('hotline_queue_agents{queue="internet-l1",state="wrap-up"} 1');
    expect(text).toMatch(/hotline_queue_estimated_wait_seconds\{queue="internet-l1"\} \d/);
    // Everything above may happen within one millisecond: any ratio from 0 to 1 is right, what matters is that it is exported.
    expect(text).toMatch(/hotline_queue_occupancy_ratio\{queue="internet-l1"\} (0|1)(\.\d+)?(e-\d+)?\n/);
    acd.run((a) => a.cancel('call-2'));
    expect(await scrape()).toContain('hotline_queue_abandoned_total{queue="internet-l1"} 1');
  });

  it('answers the health probes, the media engine among the readiness checks', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { media: true, sip: true } });
  });

  it('exports the media engine\'s traffic: an endpoint playing a tone to a phone shows up in /metrics', async () => {
    const phone = createSocket('udp4');
    await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
    let received = 0;
    phone.on('message', () => received++);
    const offer = ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${phone.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    const ep = await server.media.createEndpoint({ remoteSdp: offer });
    try {
      expect(ep.localSdp).toContain('m=audio 46');
      await ep.play('tone:beep');
      expect(received).toBeGreaterThanOrEqual(12); // 250 ms of beep at 20 ms, silence before and after
      const text = await scrape();
      expect(text).toContain('hotline_media_endpoints 1');
      expect(text).toContain('hotline_media_engine_up 1');
      expect(text).toMatch(/hotline_media_rtp_packets_sent_total (1[2-9]|[2-9]\d|\d{3,})/);
      expect(text).toMatch(/hotline_media_scheduler_lateness_seconds_bucket\{le="\+Inf"\} [1-9]/);
    } finally {
      await ep.destroy();
      phone.close();
    }
    expect(await scrape()).toContain('hotline_media_endpoints 0');
  });
});

describe('start-up with a bad configuration', () => {
  it('stops with the file, the field path and what was expected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-cfg-'));
    try {
      const file = join(dir, 'broken.yaml');
      writeFileSync(file, 'queues:\n  - id: q\n    target: internet\n    strategy: fastest\nagents: []\nskills: [internet]\nlanguages: [ru]\n');
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, HOTLINE_CONFIG: file }, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(78);
      expect(r.stderr).toContain('broken.yaml');
      expect(r.stderr).toContain('queues[0].strategy');
      expect(r.stderr).toContain('longest-idle');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
