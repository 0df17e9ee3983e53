/**
 * In-band DTMF at the endpoint: a phone that sends neither RFC 4733 nor SIP INFO plays the
 * tones in its audio; an endpoint created with `inbandDtmf: true` runs the Goertzel detector
 * on what it receives and reports digits through the same `dtmf` event. Speech must not.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../../../src/media/codecs/g711.ts';
import { MediaServer, type DtmfEvent } from '../../../src/media/media-server.ts';
import { readWavFile } from '../../../src/media/wav.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const DTMF: Record<string, [number, number]> = { '5': [770, 1336], '9': [852, 1477], '#': [941, 1477] };

/** Linear PCM: each digit 100 ms of its two tones at about −10 dBm0 each, then 100 ms of silence. */
function dtmfAudio(digits: string): Int16Array {
  const out = new Int16Array(digits.length * 1600);
  [...digits].forEach((d, k) => {
    const [f1, f2] = DTMF[d]!;
    for (let i = 0; i < 800; i++) {
      const v = 4500 * (Math.sin((2 * Math.PI * f1 * i) / 8000) + Math.sin((2 * Math.PI * f2 * i) / 8000));
      out[k * 1600 + i] = Math.round(v + (Math.random() - 0.5) * 300); // a little line noise
    }
  });
  return out;
}

async function phoneAndEndpoint(): Promise<{ send(pcm: Int16Array): Promise<void>; digits: DtmfEvent[] }> {
  const media = await MediaServer.start({ thread: false, bindAddress: '127.0.0.1', advertiseAddress: '127.0.0.1', portMin: 47000, portMax: 47099 });
  cleanups.push(() => media.close());
  const phone = dgram.createSocket('udp4');
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', r));
  cleanups.push(() => {
    phone.close();
  });
  const offer = ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${phone.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
  const ep = await media.createEndpoint({ remoteSdp: offer, inbandDtmf: true });
  expect(ep.media?.dtmfPayloadType).toBeNull(); // the phone offered no telephone-event
  const digits: DtmfEvent[] = [];
  ep.on('dtmf', (e: DtmfEvent) => digits.push(e));
  let seq = 1;
  let ts = 0;
  const packet = Buffer.alloc(12 + 160);
  return {
    digits,
    async send(pcm: Int16Array) {
      const ulaw = new Uint8Array(pcm.length);
      encodeUlaw(pcm, ulaw);
      for (let at = 0; at + 160 <= ulaw.length; at += 160) {
        packet[0] = 0x80;
        packet[1] = 0;
        packet.writeUInt16BE(seq++ & 0xffff, 2);
        packet.writeUInt32BE(ts, 4);
        packet.writeUInt32BE(0x1234, 8);
        packet.set(ulaw.subarray(at, at + 160), 12);
        ts += 160;
        await new Promise<void>((r) => phone.send(packet, ep.port, '127.0.0.1', () => r()));
        await new Promise((r) => setTimeout(r, 2)); // faster than real time, in order
      }
    },
  };
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
}

describe('in-band DTMF on an endpoint', () => {
  it('reports tones in the audio as digits, source "inband", one per key press', async () => {
    const p = await phoneAndEndpoint();
    await p.send(dtmfAudio('59#'));
    await settle();
    expect(p.digits.map((d) => d.digit).join('')).toBe('59#');
    expect(p.digits.every((d) => d.source === 'inband')).toBe(true);
  });

  it('stays quiet on speech and music (main menu in both languages, hold music)', async () => {
    const p = await phoneAndEndpoint();
    for (const file of ['prompts/en/main-menu.wav', 'prompts/ru/main-menu.wav', 'prompts/music/hold.wav']) {
      await p.send((await readWavFile(file)).samples);
    }
    await settle();
    expect(p.digits).toEqual([]);
  });
});
