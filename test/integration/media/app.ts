/**
 * A small SIP + media application for the media integration tests: it answers every INVITE
 * with a media endpoint of the real engine (worker thread), hands the call to the test's
 * handler, feeds SIP INFO digits into the endpoint, and tears both down on BYE — the same
 * glue the calls layer will have, without the IVR.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MediaError } from '../../../src/media/errors.ts';
import { MediaServer, type DtmfEvent, type Endpoint, type MediaServerOptions } from '../../../src/media/media-server.ts';
import type { Dialog } from '../../../src/sip/dialog/dialog.ts';
import { SipServer } from '../../../src/sip/server.ts';
import { readWav } from '../../support/wav.ts';

export interface AnsweredCall {
  dialog: Dialog;
  endpoint: Endpoint;
  digits: DtmfEvent[];
  /** Resolves when the dialog ended (BYE from either side) and the endpoint is destroyed. */
  ended: Promise<void>;
}

export interface MediaApp {
  sip: SipServer;
  media: MediaServer;
  /** host:port of the UDP listener. */
  address: string;
  port: number;
  /** A scratch folder for recordings, removed by close(). */
  dir: string;
  calls: AnsweredCall[];
  /** INVITEs refused (488 no common codec, 500 engine failure), with the error. */
  refused: unknown[];
  close(): Promise<void>;
}

/** Test RTP ports: away from SIPp's (20000–39999 random) and baresip's ranges. */
export const TEST_RTP_PORTS = { portMin: 42000, portMax: 43999 };

export async function startMediaApp(onCall: (call: AnsweredCall) => void | Promise<void>, mediaOptions: MediaServerOptions = {}): Promise<MediaApp> {
  const log = pino({ level: 'silent' });
  const media = await MediaServer.start({ bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', ...TEST_RTP_PORTS, ...mediaOptions });
  const sip = await SipServer.start({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], log });
  const udp = sip.addresses.find((a) => a.protocol === 'udp')!;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-media-'));
  const calls: AnsweredCall[] = [];
  const refused: unknown[] = [];

  sip.invite((req, res) => {
    void (async () => {
      let endpoint: Endpoint;
      try {
        endpoint = await media.createEndpoint({ remoteSdp: req.body });
      } catch (err) {
        refused.push(err);
        if (err instanceof MediaError && (err.code === 'MEDIA_SDP_NO_COMMON_CODEC' || err.code === 'MEDIA_SDP_INVALID')) res.send(488, 'Not Acceptable Here');
        else res.send(500, 'Media Failure');
        return;
      }
      const digits: DtmfEvent[] = [];
      endpoint.on('dtmf', (e: DtmfEvent) => digits.push(e));
      let dialog: Dialog;
      try {
        dialog = await sip.createUAS(req, res, { localSdp: endpoint.localSdp });
      } catch (err) {
        refused.push(err);
        await endpoint.destroy('uas-failed');
        return;
      }
      dialog.on('info', (infoReq, responder) => {
        // application/dtmf-relay: "Signal=5\r\nDuration=160"
        const m = /Signal\s*=\s*([0-9A-D*#])/i.exec(infoReq.body.toString('utf8'));
        responder.send(200);
        if (m !== null) void endpoint.injectDtmf(m[1]!.toUpperCase());
      });
      const ended = new Promise<void>((resolve) => {
        dialog.once('destroy', () => {
          void endpoint.destroy('hangup').finally(resolve);
        });
      });
      const call: AnsweredCall = { dialog, endpoint, digits, ended };
      calls.push(call);
      await onCall(call);
    })();
  });

  return {
    sip,
    media,
    address: `${udp.address}:${udp.port}`,
    port: udp.port,
    dir,
    calls,
    refused,
    close: async () => {
      await sip.close();
      await media.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** RMS level of samples[from, to). */
export function rms(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/** A 16-bit PCM WAV recording (mono or stereo), read with the tests' RIFF walker. */
export function readPcmWav(path: string): { channels: number; samples: Int16Array; durationMs: number } {
  const wav = readWav(readFileSync(path));
  return { channels: wav.channels, samples: wav.samples, durationMs: (wav.samples.length / wav.channels / wav.sampleRate) * 1000 };
}

/** A stereo recording split into its channels (caller left, what the caller heard right). */
export function readStereoWav(path: string): { left: Int16Array; right: Int16Array; durationMs: number } {
  const wav = readPcmWav(path);
  if (wav.channels !== 2) throw new Error(`${path}: ${wav.channels} channels, expected 2`);
  const frames = wav.samples.length / 2;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = wav.samples[2 * i]!;
    right[i] = wav.samples[2 * i + 1]!;
  }
  return { left, right, durationMs: wav.durationMs };
}
