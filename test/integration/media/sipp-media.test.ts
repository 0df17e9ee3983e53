/**
 * SIPp's stock `uac_pcap` scenario (PCMA audio from g711a.pcap, then RFC 4733 "1") calls an
 * app that answers with a media endpoint of the real engine and records the call.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointStats } from '../../../src/media/media-server.ts';
import { describeRun, runSipp, sippVersion, stopAllSipp } from '../sip/sipp.ts';
import { readStereoWav, rms, startMediaApp, type AnsweredCall, type MediaApp } from './app.ts';

const apps: MediaApp[] = [];

afterEach(async () => {
  await stopAllSipp();
  for (const app of apps.splice(0)) await app.close();
});

describe.runIf(sippVersion() !== undefined)('media engine with SIPp uac_pcap', () => {
  it('answers PCMA + telephone-event, sees digit "1" exactly once, counts the audio, records a non-silent call of the right length', async () => {
    let answered: AnsweredCall | undefined;
    let path = '';
    let statsAtDigit: Promise<EndpointStats> | undefined;
    const app = await startMediaApp(async (call) => {
      answered = call;
      path = join(app.dir, `call-${call.endpoint.id}.wav`);
      await call.endpoint.record(path, { stereo: true });
      // The digit comes after the pcap audio: take the endpoint's counters then.
      call.endpoint.once('dtmf', () => {
        statsAtDigit = call.endpoint.stats();
      });
      // Keep the caller company: our side plays a prompt while SIPp streams its pcap.
      void call.endpoint.play({ files: 'tone:ringback', loop: true }).catch(() => undefined);
    });
    apps.push(app);

    const r = await runSipp({ scenario: { builtin: 'uac_pcap' }, remote: app.address, calls: 1, linkPcap: true, timeoutMs: 40_000 });
    expect(r.code, describeRun(r)).toBe(0);
    expect(app.refused).toEqual([]);
    expect(answered).toBeDefined();
    const call = answered!;
    await call.ended;

    // RFC 4733: the capture repeats the end packet; one key press is one digit.
    expect(call.digits.map((d) => d.digit)).toEqual(['1']);
    expect(call.digits[0]!.source).toBe('rfc4733');
    expect(call.endpoint.media?.codec).toBe('PCMA');
    expect(call.endpoint.media?.dtmfPayloadType).toBe(101);

    const stats = await statsAtDigit!;
    // g711a.pcap holds 236 PCMA packets of 240 samples (30 ms) over 7.05 s: every one arrives.
    expect(stats.audioPacketsIn).toBe(236);
    expect(stats.eventPacketsIn).toBeGreaterThan(0);
    expect(stats.packetsLost).toBe(0);
    expect(stats.latched).toBe(true);

    // Destroying the endpoint (on BYE) closed the recording: the file is complete.
    const { left, right, durationMs } = readStereoWav(path);
    // uac_pcap: 7 s of audio, 8 s pause, the digit, 1 s pause, BYE → ~9 s of call (the pcap
    // plays while the 8 s pause runs). The recording covers the call within a second.
    expect(durationMs).toBeGreaterThan(8_000);
    expect(durationMs).toBeLessThan(11_000);
    // Left: the caller's pcap audio during its first 7 s; right: our ringback.
    expect(rms(left, 0, 7 * 8000)).toBeGreaterThan(100);
    expect(rms(right)).toBeGreaterThan(100);
  }, 60_000);
});
