/**
 * The embedded media engine over real UDP on 127.0.0.1, seen from a phone: a raw dgram socket
 * that sends RTP it builds itself and records every packet it gets back. Everything here is
 * what a caller would hear (or not hear): silence while idle, the prompt byte for byte, one
 * continuous stream, digits, barge-in, the other party's voice through a bridge, hold.
 *
 * Ports 44000–45999 belong to this file (other media tests use 42000–43999): the engine takes
 * 44000–44999, the test phones bind even ports from 45000 up. Waits poll for a condition with
 * a generous timeout; nothing asserts tight timing (the machine may be a loaded 2-core VM).
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_TO_ULAW, encodeUlaw, ULAW_DECODE, ULAW_TO_ALAW } from '../../../src/media/codecs/g711.ts';
import { DtmfDetector } from '../../../src/media/dtmf/goertzel.ts';
import { DTMF_EVENT_DIGITS, Rfc4733Sender } from '../../../src/media/dtmf/rfc4733.ts';
import { MediaError } from '../../../src/media/errors.ts';
import { MediaServer, type DtmfEvent, type Endpoint, type EngineStats } from '../../../src/media/media-server.ts';
import { createRtpHeader, readRtpHeader, writeRtpHeader, type RtpHeader } from '../../../src/media/rtp/packet.ts';
import { wavBytes } from '../../support/wav.ts';

const HOST = '127.0.0.1';
const ENGINE_PORTS = { portMin: 44000, portMax: 44999 };
const PHONE_PORT_FIRST = 45000;
const PHONE_PORT_LAST = 45998;

// ------------------------------------------------------------------ test phone

interface RxPacket {
  h: RtpHeader;
  payload: Buffer;
  /** Port of our engine socket it came from. */
  fromPort: number;
}

let nextPhonePort = PHONE_PORT_FIRST;

function bindSocket(socket: dgram.Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address: HOST, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** A SIP phone's media side: one RTP socket on an even port (nobody listens on port + 1). */
class Phone {
  readonly rx: RxPacket[] = [];
  /** Non-RTP datagrams (e.g. RTCP multiplexed by mistake). */
  other = 0;
  readonly ssrc = (Math.random() * 0x1_0000_0000) >>> 0;
  seq = Math.floor(Math.random() * 0xffff);
  ts = (Math.random() * 0x1_0000_0000) >>> 0;
  sent = 0;
  #timer: NodeJS.Timeout | null = null;

  private constructor(
    readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg, rinfo) => {
      const h = createRtpHeader();
      if (!readRtpHeader(msg, h)) {
        this.other++;
        return;
      }
      this.rx.push({ h, payload: msg.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), fromPort: rinfo.port });
    });
  }

  static async open(): Promise<Phone> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = nextPhonePort;
      nextPhonePort = nextPhonePort + 2 > PHONE_PORT_LAST ? PHONE_PORT_FIRST : nextPhonePort + 2;
      const socket = dgram.createSocket('udp4');
      try {
        await bindSocket(socket, port);
        const phone = new Phone(socket, port);
        phones.push(phone);
        return phone;
      } catch {
        socket.close();
      }
    }
    throw new Error('no free test phone port');
  }

  /** An SDP offer as a softphone writes it. */
  offer(o: { port?: number; address?: string; codecs?: Array<[number, string]>; dtmfPt?: number | null; direction?: string; version?: number } = {}): string {
    const codecs = o.codecs ?? [
      [0, 'PCMU'],
      [8, 'PCMA'],
    ];
    const dtmf = o.dtmfPt === undefined ? 101 : o.dtmfPt;
    const pts = codecs.map(([pt]) => pt).concat(dtmf === null ? [] : [dtmf]);
    const address = o.address ?? HOST;
    const lines = [
      'v=0',
      `o=phone 4242 ${o.version ?? 1} IN IP4 ${address}`,
      's=phone',
      `c=IN IP4 ${address}`,
      't=0 0',
      `m=audio ${o.port ?? this.port} RTP/AVP ${pts.join(' ')}`,
      ...codecs.map(([pt, name]) => `a=rtpmap:${pt} ${name}/8000`),
      ...(dtmf === null ? [] : [`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`]),
      'a=ptime:20',
      `a=${o.direction ?? 'sendrecv'}`,
    ];
    return lines.join('\r\n') + '\r\n';
  }

  /** One audio packet of `payload` (ts advances by its length). */
  sendAudio(toPort: number, payload: Buffer, pt = 0, marker = false): void {
    const buf = Buffer.alloc(12 + payload.length);
    writeRtpHeader(buf, 0, { marker, payloadType: pt, sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc });
    payload.copy(buf, 12);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + payload.length) >>> 0;
    this.sent++;
    this.socket.send(buf, toPort, HOST);
  }

  /** Paced audio, one 20 ms frame each 20 ms, until stopStream(). */
  stream(toPort: number, frame: (i: number) => Buffer, pt = 0): void {
    this.stopStream();
    let i = 0;
    this.#timer = setInterval(() => this.sendAudio(toPort, frame(i++), pt, i === 1), 20);
  }

  stopStream(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * One key press as RFC 4733 events: start (marker), updates, the end packet three times —
   * all with the event's start timestamp (built by Rfc4733Sender). Returns the packets sent.
   */
  async sendDigit(toPort: number, digit: string, pt = 101, durationMs = 100): Promise<Buffer[]> {
    const sender = new Rfc4733Sender({ payloadType: pt, ssrc: this.ssrc, sequenceNumber: this.seq, packetIntervalMs: 20 });
    const n = sender.build(digit, durationMs, this.ts);
    const sent: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const p = Buffer.from(sender.packet(i));
      sent.push(p);
      this.socket.send(p, toPort, HOST);
      this.sent++;
      await sleep(5);
    }
    this.seq = (this.seq + n) & 0xffff;
    this.ts = (this.ts + Math.round(durationMs * 8) + 160) >>> 0;
    return sent;
  }

  close(): void {
    this.stopStream();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

// ------------------------------------------------------------------ helpers

const servers: MediaServer[] = [];
const phones: Phone[] = [];
let dir = '';

afterEach(async () => {
  for (const p of phones.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function startServer(opts: { thread?: boolean; rtpTimeoutMs?: number } = {}): Promise<MediaServer> {
  const server = await MediaServer.start({ thread: opts.thread ?? true, bindAddress: HOST, advertiseAddress: HOST, rtpTimeoutMs: opts.rtpTimeoutMs ?? 60_000, ...ENGINE_PORTS });
  servers.push(server);
  return server;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Like until(), for a condition that asks the engine. */
async function untilAsync(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** At least `n` more packets than `from` arrived at the phone. */
function packets(phone: Phone, n: number, what = `${n} packets`): Promise<void> {
  const target = phone.rx.length + n;
  return until(() => phone.rx.length >= target, what);
}

async function mediaError(p: Promise<unknown>): Promise<MediaError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return err as MediaError;
  }
  throw new Error('expected a MediaError');
}

/** Audible samples that never encode to µ-law silence (0xFF): every prompt frame is told apart from idle. */
function promptPcm(n: number, seed: number): Int16Array {
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = 1000 + ((i * 37 + seed * 101) % 3000) * (i % 2 === 0 ? 1 : -1);
  return pcm;
}

interface Prompt {
  path: string;
  ulaw: Buffer;
  frames: number;
}

function writePrompt(name: string, samples: number, seed: number): Prompt {
  const pcm = promptPcm(samples, seed);
  const path = join(dir, name);
  writeFileSync(path, wavBytes(pcm));
  const ulaw = Buffer.alloc(samples);
  encodeUlaw(pcm, ulaw);
  return { path, ulaw, frames: Math.ceil(samples / 160) };
}

let PROMPT: Prompt; // 4070 samples: 26 frames, the last one padded
let LONG: Prompt; // 4 s
let SHORT: Prompt; // 0.2 s

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-engine-'));
  PROMPT = writePrompt('prompt.wav', 4070, 1);
  LONG = writePrompt('long.wav', 32_000, 2);
  SHORT = writePrompt('short.wav', 1600, 3);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const isSilence = (p: RxPacket, byte = 0xff): boolean => p.payload.length > 0 && p.payload.every((x) => x === byte);
const audioOf = (rx: RxPacket[], pt = 0): RxPacket[] => rx.filter((p) => p.h.payloadType === pt);

/**
 * One continuous outgoing stream: one SSRC, consecutive sequence numbers, timestamps advancing
 * by 160 per 20 ms packet. Frames the engine dropped after a stall of its event loop
 * (stats.framesSkipped) advance the timestamp without a packet: they are the only gaps allowed.
 */
function expectContinuous(rx: RxPacket[], skippedFrames: number, what: string): void {
  expect(rx.length, what).toBeGreaterThan(1);
  const ssrc = rx[0]!.h.ssrc;
  let extra = 0;
  for (let i = 1; i < rx.length; i++) {
    const a = rx[i - 1]!.h;
    const b = rx[i]!.h;
    expect(b.ssrc, `${what}: SSRC of packet ${i}`).toBe(ssrc);
    expect(b.sequenceNumber, `${what}: sequence number of packet ${i}`).toBe((a.sequenceNumber + 1) & 0xffff);
    const dts = (b.timestamp - a.timestamp) >>> 0;
    expect(dts % 160, `${what}: timestamp step ${dts} at packet ${i}`).toBe(0);
    expect(dts, `${what}: timestamp step at packet ${i}`).toBeGreaterThanOrEqual(160);
    extra += dts / 160 - 1;
  }
  expect(extra, `${what}: timestamp gaps (frames) vs frames the scheduler skipped`).toBeLessThanOrEqual(skippedFrames);
}

function sdpLine(sdp: string, prefix: string): string | undefined {
  return sdp.split(/\r?\n/).find((l) => l.startsWith(prefix));
}

function sdpVersion(sdp: string): number {
  return Number(sdpLine(sdp, 'o=')!.split(' ')[2]);
}

/** Packet counts of the engine, read on the engine's thread. */
async function skippedSince(server: MediaServer, before: EngineStats): Promise<number> {
  return (await server.stats()).framesSkipped - before.framesSkipped;
}

const MODES = [
  { mode: 'worker thread', thread: true },
  { mode: 'inline', thread: false },
] as const;

// ------------------------------------------------------------------ answer and play

describe.each(MODES)('MediaServer ($mode): answering and playing', ({ thread }) => {
  it('answers the offer and sends paced PCMU: silence while idle, the prompt byte for byte (marker at its start), silence again — one continuous stream', async () => {
    const server = await startServer({ thread });
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });

    expect(ep.port % 2).toBe(0);
    expect(ep.port).toBeGreaterThanOrEqual(44000);
    expect(ep.port).toBeLessThanOrEqual(44999);
    expect(sdpLine(ep.localSdp, 'm=')).toBe(`m=audio ${ep.port} RTP/AVP 0 101`);
    expect(sdpLine(ep.localSdp, 'c=')).toBe('c=IN IP4 127.0.0.1');
    expect(ep.localSdp).toContain('a=sendrecv');
    expect(ep.media).toMatchObject({ codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, ptime: 20, remotePort: phone.port, direction: 'sendrecv', onHold: false });

    const before = await server.stats();
    await packets(phone, 10, 'idle silence');
    const played = await ep.play(PROMPT.path);
    expect(played).toEqual({ completed: true, playedMs: Math.round(4070 / 8) });
    await packets(phone, 10, 'silence after the prompt');
    const skipped = await skippedSince(server, before);

    const rx = phone.rx;
    expect(rx.every((p) => p.fromPort === ep.port)).toBe(true);
    expect(rx.every((p) => p.h.payloadType === 0 && p.payload.length === 160)).toBe(true);
    const start = rx.findIndex((p) => !isSilence(p));
    expect(start).toBeGreaterThanOrEqual(10);
    expect(rx.slice(0, start).every((p) => isSilence(p))).toBe(true);
    // The prompt, byte for byte, the last frame padded with µ-law silence.
    const prompt = rx.slice(start, start + PROMPT.frames);
    const expected = Buffer.alloc(PROMPT.frames * 160, 0xff);
    PROMPT.ulaw.copy(expected);
    expect(Buffer.concat(prompt.map((p) => p.payload))).toEqual(expected);
    expect(rx[start]!.h.marker).toBe(true);
    expect(prompt.slice(1).some((p) => p.h.marker)).toBe(false);
    const after = rx.slice(start + PROMPT.frames);
    expect(after.length).toBeGreaterThanOrEqual(9);
    expect(after.every((p) => isSilence(p))).toBe(true);
    expectContinuous(rx, skipped, 'silence → prompt → silence');

    const stats = await ep.stats();
    expect(stats.packetsOut).toBeGreaterThanOrEqual(rx.length);
    expect(stats.latched).toBe(false); // the phone has not sent anything
  });

  it('plays a playlist without gaps, tones and silence:<ms> included; a new play replaces the current one', async () => {
    const server = await startServer({ thread });
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer({ codecs: [[8, 'PCMA']] }) });
    expect(ep.media?.codec).toBe('PCMA');
    await packets(phone, 3);
    expect(phone.rx.every((p) => p.h.payloadType === 8 && isSilence(p, 0xd5))).toBe(true);

    const first = ep.play({ files: [LONG.path], loop: true });
    await until(() => phone.rx.some((p) => !isSilence(p, 0xd5)), 'the looping prompt');
    const second = ep.play(['tone:1000/100/0', 'silence:100', SHORT.path]);
    expect(await first).toMatchObject({ completed: false });
    const r = await second;
    expect(r.completed).toBe(true);
    expect(r.playedMs).toBe(100 + 100 + 200);
  });
});

// ------------------------------------------------------------------ latching

describe('symmetric RTP (latching)', () => {
  it('sends to the SDP address until the first packet, then to where the packets come from; other sources are dropped', async () => {
    const server = await startServer();
    const sdpPort = await Phone.open(); // where the SDP says
    const natPort = await Phone.open(); // where the phone really sends from (behind NAT)
    const intruder = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: sdpPort.offer() });
    const digits: DtmfEvent[] = [];
    ep.on('dtmf', (d: DtmfEvent) => digits.push(d));

    await packets(sdpPort, 3, 'packets to the SDP port');
    natPort.sendAudio(ep.port, Buffer.alloc(160, 0x7f));
    await packets(natPort, 5, 'packets to the latched port');
    const atSdpPort = sdpPort.rx.length;
    await packets(natPort, 10);
    expect(sdpPort.rx.length).toBe(atSdpPort);
    expect(await ep.stats()).toMatchObject({ latched: true, remotePort: natPort.port, audioPacketsIn: 1 });

    // A third source: neither its audio nor its digits count, each packet is a drop.
    const before = await server.stats();
    for (let i = 0; i < 5; i++) intruder.sendAudio(ep.port, Buffer.alloc(160, 0x11));
    await intruder.sendDigit(ep.port, '9');
    const intruderSent = intruder.sent;
    // The latched phone's digit comes after the intruder's packets: once it is seen, they were handled.
    const natDigit = await natPort.sendDigit(ep.port, '5');
    await until(() => digits.length > 0, 'the latched phone’s digit');
    await untilAsync(async () => (await ep.stats()).eventPacketsIn >= natDigit.length, 'all of the digit’s packets');
    const after = await server.stats();
    // Each intruder packet that reached the engine is counted as dropped. (A leg whose socket
    // is connect()ed to the latched phone lets the kernel discard them before they arrive:
    // then they show in neither counter.)
    const dropped = after.packetsDropped - before.packetsDropped;
    const arrived = after.packetsIn - before.packetsIn - natDigit.length;
    expect(dropped).toBe(arrived);
    expect([0, intruderSent]).toContain(dropped);
    expect(digits.map((d) => d.digit)).toEqual(['5']);
    expect(await ep.stats()).toMatchObject({ latched: true, remotePort: natPort.port, audioPacketsIn: 1 });
    expect(intruder.rx).toHaveLength(0);
  });
});

// ------------------------------------------------------------------ playCollect

describe('playCollect', () => {
  async function setup(): Promise<{ server: MediaServer; phone: Phone; ep: Endpoint }> {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    await packets(phone, 2);
    return { server, phone, ep };
  }

  it('RFC 4733 key presses (end packet sent three times) are one digit each; maxDigits ends the input', async () => {
    const { phone, ep } = await setup();
    const events: DtmfEvent[] = [];
    ep.on('dtmf', (d: DtmfEvent) => events.push(d));
    const collect = ep.playCollect({ maxDigits: 3, firstDigitTimeout: 10_000, interDigitTimeout: 10_000 });
    for (const d of '123') await phone.sendDigit(ep.port, d);
    expect(await collect).toEqual({ digits: '123', terminator: '', reason: 'max-digits' });
    expect(events.map((e) => [e.digit, e.source])).toEqual([
      ['1', 'rfc4733'],
      ['2', 'rfc4733'],
      ['3', 'rfc4733'],
    ]);
    expect(events.every((e) => e.durationMs === 100)).toBe(true);
    const stats = await ep.stats();
    expect(stats.eventPacketsIn).toBeGreaterThanOrEqual(3 * 4);
  });

  it('a key during the prompt stops it (barge-in): the phone hears silence at once, the input goes on to the terminator', async () => {
    const { phone, ep } = await setup();
    const collect = ep.playCollect({ files: LONG.path, maxDigits: 4, firstDigitTimeout: 10_000, interDigitTimeout: 10_000 });
    await until(() => phone.rx.filter((p) => !isSilence(p)).length >= 5, 'the prompt');
    await phone.sendDigit(ep.port, '7');
    // After the key: silence, and the prompt never comes back.
    await until(() => phone.rx.length >= 5 && phone.rx.slice(-5).every((p) => isSilence(p)), 'silence after barge-in');
    const heard = phone.rx.filter((p) => !isSilence(p)).length;
    expect(heard).toBeLessThan(LONG.frames / 2);
    await phone.sendDigit(ep.port, '8');
    await phone.sendDigit(ep.port, '#');
    expect(await collect).toEqual({ digits: '78', terminator: '#', reason: 'terminator' });
    await packets(phone, 5);
    expect(phone.rx.filter((p) => !isSilence(p)).length).toBe(heard);
  });

  it('the terminator alone ends the input with no digits; other terminator keys can be chosen', async () => {
    const { phone, ep } = await setup();
    const a = ep.playCollect({ maxDigits: 5, firstDigitTimeout: 10_000 });
    await phone.sendDigit(ep.port, '#');
    expect(await a).toEqual({ digits: '', terminator: '#', reason: 'terminator' });
    const b = ep.playCollect({ maxDigits: 5, terminators: '*#', firstDigitTimeout: 10_000, interDigitTimeout: 10_000 });
    await phone.sendDigit(ep.port, '0');
    await phone.sendDigit(ep.port, '*');
    expect(await b).toEqual({ digits: '0', terminator: '*', reason: 'terminator' });
  });

  it('no key after the prompt: reason no-input once the first-digit timeout passes', async () => {
    const { phone, ep } = await setup();
    const r = await ep.playCollect({ files: SHORT.path, firstDigitTimeout: 300 });
    expect(r).toEqual({ digits: '', terminator: '', reason: 'no-input' });
    // The whole prompt was heard first.
    expect(phone.rx.filter((p) => !isSilence(p)).length).toBe(SHORT.frames);
  });

  it('keys, then nothing: reason timeout with the digits typed so far', async () => {
    const { phone, ep } = await setup();
    const collect = ep.playCollect({ maxDigits: 6, firstDigitTimeout: 10_000, interDigitTimeout: 400 });
    await phone.sendDigit(ep.port, '4');
    await phone.sendDigit(ep.port, '2');
    expect(await collect).toEqual({ digits: '42', terminator: '', reason: 'timeout' });
  });

  it('fewer keys than minDigits, ended by the terminator or the timeout: reason too-few-digits', async () => {
    const { phone, ep } = await setup();
    const a = ep.playCollect({ minDigits: 4, maxDigits: 8, firstDigitTimeout: 10_000, interDigitTimeout: 10_000 });
    for (const d of '12#') await phone.sendDigit(ep.port, d);
    expect(await a).toEqual({ digits: '12', terminator: '#', reason: 'too-few-digits' });
    const b = ep.playCollect({ minDigits: 4, maxDigits: 8, firstDigitTimeout: 10_000, interDigitTimeout: 400 });
    await phone.sendDigit(ep.port, '9');
    expect(await b).toEqual({ digits: '9', terminator: '', reason: 'too-few-digits' });
  });

  it('AbortSignal: rejects with MEDIA_ABORTED at once, the prompt stops, the endpoint keeps working', async () => {
    const { phone, ep } = await setup();
    const ac = new AbortController();
    let settled: unknown = null;
    const collect = ep.playCollect({ files: LONG.path, firstDigitTimeout: 10_000, signal: ac.signal }).catch((err: unknown) => {
      settled = err;
    });
    await until(() => phone.rx.filter((p) => !isSilence(p)).length >= 3, 'the prompt');
    ac.abort();
    await Promise.resolve();
    await Promise.resolve();
    // Rejected by the port itself, without a round trip to the engine.
    expect(settled).toBeInstanceOf(MediaError);
    expect((settled as MediaError).code).toBe('MEDIA_ABORTED');
    await collect;
    await until(() => phone.rx.length >= 5 && phone.rx.slice(-5).every((p) => isSilence(p)), 'silence after the abort');
    expect(phone.rx.filter((p) => !isSilence(p)).length).toBeLessThan(LONG.frames / 2);
    // A digit now is no longer collected by anyone, and a new collect works.
    const again = ep.playCollect({ firstDigitTimeout: 10_000 });
    await phone.sendDigit(ep.port, '3');
    expect(await again).toMatchObject({ digits: '3', reason: 'max-digits' });
  });

  it('an already aborted signal rejects without starting anything', async () => {
    const { phone, ep } = await setup();
    const ac = new AbortController();
    ac.abort();
    expect((await mediaError(ep.playCollect({ files: LONG.path, signal: ac.signal }))).code).toBe('MEDIA_ABORTED');
    await packets(phone, 10);
    expect(phone.rx.every((p) => isSilence(p))).toBe(true);
  });

  it('a play aborted while its file is still loading never starts', async () => {
    const { phone, ep } = await setup();
    const fresh = writePrompt('fresh-abort.wav', 16_000, 7); // not in the prompt cache yet
    const ac = new AbortController();
    const play = mediaError(ep.play(fresh.path, { signal: ac.signal }));
    ac.abort();
    expect((await play).code).toBe('MEDIA_ABORTED');
    await packets(phone, 25, 'half a second of what the phone hears');
    expect(phone.rx.filter((p) => !isSilence(p))).toHaveLength(0);
    expect((await ep.play(SHORT.path)).completed).toBe(true);
  });

  it('a second playCollect ends the first one (MEDIA_ABORTED) instead of leaving it waiting forever', async () => {
    const { phone, ep } = await setup();
    const first = mediaError(ep.playCollect({ files: LONG.path, firstDigitTimeout: 10_000 }));
    await until(() => phone.rx.some((p) => !isSilence(p)), 'the first prompt');
    const second = ep.playCollect({ firstDigitTimeout: 10_000 });
    expect((await first).code).toBe('MEDIA_ABORTED');
    await phone.sendDigit(ep.port, '6');
    expect(await second).toMatchObject({ digits: '6', reason: 'max-digits' });
  });

  it('a play() over the prompt of a playCollect: the collect still ends (no-input) instead of waiting forever', async () => {
    const { phone, ep } = await setup();
    const collect = ep.playCollect({ files: LONG.path, firstDigitTimeout: 500 });
    await until(() => phone.rx.some((p) => !isSilence(p)), 'the prompt');
    expect((await ep.play(SHORT.path)).completed).toBe(true);
    expect(await collect).toEqual({ digits: '', terminator: '', reason: 'no-input' });
  });
});

// ------------------------------------------------------------------ sending digits

describe('sendDtmf', () => {
  it('RFC 4733 at the phone’s payload type: start with marker, one timestamp per digit, the end packet three times, 100 ms each; the stream goes on', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer({ dtmfPt: 101 }) });
    await packets(phone, 3);
    await ep.sendDtmf('1#');
    await until(() => phone.rx.filter((p) => p.h.payloadType === 101 && (p.payload[1]! & 0x80) !== 0).length >= 6, 'both digits’ end packets');
    await packets(phone, 5, 'audio after the digits');
    const events = phone.rx.filter((p) => p.h.payloadType === 101);
    const byTs = new Map<number, RxPacket[]>();
    for (const e of events) byTs.set(e.h.timestamp, [...(byTs.get(e.h.timestamp) ?? []), e]);
    const digits = [...byTs.values()];
    expect(digits.map((d) => DTMF_EVENT_DIGITS[d[0]!.payload[0]!])).toEqual(['1', '#']);
    for (const d of digits) {
      expect(d[0]!.h.marker).toBe(true);
      expect(d.slice(1).some((p) => p.h.marker)).toBe(false);
      const ends = d.filter((p) => (p.payload[1]! & 0x80) !== 0);
      expect(ends).toHaveLength(3);
      expect(d.slice(-3)).toEqual(ends);
      expect(ends.every((p) => p.payload.readUInt16BE(2) === 800)).toBe(true);
      const durations = d.map((p) => p.payload.readUInt16BE(2));
      expect([...durations].sort((x, y) => x - y)).toEqual(durations);
    }
    // One stream throughout: audio and events share SSRC and sequence numbers.
    const rx = phone.rx;
    for (let i = 1; i < rx.length; i++) {
      expect(rx[i]!.h.ssrc).toBe(rx[0]!.h.ssrc);
      expect(rx[i]!.h.sequenceNumber).toBe((rx[i - 1]!.h.sequenceNumber + 1) & 0xffff);
    }
    // The audio after the digits continues the clock past them.
    const lastEvent = events[events.length - 1]!;
    const nextAudio = rx.slice(rx.indexOf(lastEvent)).find((p) => p.h.payloadType === 0)!;
    expect((nextAudio.h.timestamp - lastEvent.h.timestamp) >>> 0).toBeGreaterThanOrEqual(800);
  });

  it('without telephone-event: in-band tones a DTMF detector hears', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer({ dtmfPt: null }) });
    expect(ep.media?.dtmfPayloadType).toBeNull();
    await ep.sendDtmf('58');
    await packets(phone, 3);
    const heard: string[] = [];
    const detector = new DtmfDetector((d) => heard.push(d));
    const pcm = new Int16Array(160);
    for (const p of phone.rx) {
      for (let i = 0; i < 160; i++) pcm[i] = ULAW_DECODE[p.payload[i]!]!;
      detector.push(pcm, 0, 160);
    }
    expect(heard).toEqual(['5', '8']);
  });
});

// ------------------------------------------------------------------ bridge

describe.each(MODES)('bridge ($mode)', ({ thread }) => {
  /** 160 bytes that name the frame: never silence, different in every frame. */
  const voice = (i: number): Buffer => {
    const b = Buffer.alloc(160);
    for (let j = 0; j < 160; j++) b[j] = (i * 13 + j * 3) % 0x7f;
    return b;
  };

  it('relays A to B: payload unchanged, our SSRC and sequence for B, A’s digit at B’s telephone-event type and as a dtmf event', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer({ dtmfPt: 101 }) });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer({ dtmfPt: 96 }) });
    expect(b.media?.dtmfPayloadType).toBe(96);
    const aDigits: DtmfEvent[] = [];
    const bDigits: DtmfEvent[] = [];
    a.on('dtmf', (d: DtmfEvent) => aDigits.push(d));
    b.on('dtmf', (d: DtmfEvent) => bDigits.push(d));
    await packets(phoneB, 5, 'B’s idle silence');

    await a.bridge(b);
    const stats = await server.stats();
    expect(stats.bridged).toBe(2);
    const silenceBefore = phoneB.rx.length;
    for (let i = 0; i < 20; i++) {
      phoneA.sendAudio(a.port, voice(i));
      await sleep(20);
    }
    await until(() => audioOf(phoneB.rx).filter((p) => !isSilence(p)).length >= 20, 'A’s voice at B');
    const relayed = phoneB.rx.filter((p) => !isSilence(p));
    expect(relayed.map((p) => p.payload)).toEqual(Array.from({ length: 20 }, (_, i) => voice(i)));
    // B's stream carries our SSRC for B's leg (the one of its silence), never A's.
    const ssrcB = phoneB.rx[0]!.h.ssrc;
    expect(relayed.every((p) => p.h.ssrc === ssrcB && p.h.ssrc !== phoneA.ssrc && p.h.payloadType === 0)).toBe(true);
    // Silence stopped while bridged (A's phone paces B now): at most what was in flight.
    expect(phoneB.rx.slice(silenceBefore).filter((p) => isSilence(p)).length).toBeLessThanOrEqual(3);
    const rxB = [...phoneB.rx];
    for (let i = 1; i < rxB.length; i++) expect(rxB[i]!.h.sequenceNumber).toBe((rxB[i - 1]!.h.sequenceNumber + 1) & 0xffff);
    // Relayed timestamps keep A's spacing.
    for (let i = 1; i < relayed.length; i++) expect((relayed[i]!.h.timestamp - relayed[i - 1]!.h.timestamp) >>> 0).toBe(160);

    // A's key press: sent on by B's leg as telephone-event PT 96, reported on A.
    const sentEvents = await phoneA.sendDigit(a.port, '7', 101);
    await until(() => phoneB.rx.filter((p) => p.h.payloadType === 96).length >= sentEvents.length, 'the digit at B');
    const events = phoneB.rx.filter((p) => p.h.payloadType === 96);
    expect(events.map((p) => p.payload)).toEqual(sentEvents.map((p) => p.subarray(12)));
    expect(new Set(events.map((p) => p.h.timestamp)).size).toBe(1);
    expect(events.every((p) => p.h.ssrc === ssrcB)).toBe(true);
    await until(() => aDigits.length === 1, 'the dtmf event on A');
    expect(aDigits[0]).toMatchObject({ digit: '7', source: 'rfc4733' });
    expect(bDigits).toEqual([]);
    const all = [...phoneB.rx];
    for (let i = 1; i < all.length; i++) expect(all[i]!.h.sequenceNumber).toBe((all[i - 1]!.h.sequenceNumber + 1) & 0xffff);
    expect((await server.stats()).packetsRelayed).toBeGreaterThanOrEqual(20 + sentEvents.length);
  });

  it('a key from A reaches a phone B without telephone-event as DTMF tones in B’s audio', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer({ dtmfPt: 101 }) });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer({ dtmfPt: null }) });
    expect(b.media?.dtmfPayloadType).toBeNull();
    await a.bridge(b);
    const before = phoneB.rx.length;
    await phoneA.sendDigit(a.port, '5', 101);
    await until(() => phoneB.rx.length - before >= 8, 'the tone frames at B');
    await sleep(200);
    const heard: string[] = [];
    const detector = new DtmfDetector((d) => heard.push(d));
    const pcm = new Int16Array(160);
    for (const p of audioOf(phoneB.rx.slice(before))) {
      for (let i = 0; i < 160; i++) pcm[i] = ULAW_DECODE[p.payload[i]!]!;
      detector.push(pcm, 0, 160);
    }
    expect(heard).toEqual(['5']);
    expect(phoneB.rx.some((p) => p.h.payloadType === 101)).toBe(false); // no events B did not agree to
  });

  it('transcodes between the laws: PCMU from A arrives at a PCMA phone as ULAW_TO_ALAW byte by byte, and back', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer({ codecs: [[0, 'PCMU']] }) });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer({ codecs: [[8, 'PCMA']] }) });
    expect([a.media?.codec, b.media?.codec]).toEqual(['PCMU', 'PCMA']);
    await b.bridge(a);
    const payloads = Array.from({ length: 10 }, (_, i) => {
      const p = Buffer.alloc(160);
      for (let j = 0; j < 160; j++) p[j] = (i * 160 + j) % 256;
      return p;
    });
    for (const p of payloads) {
      phoneA.sendAudio(a.port, p, 0);
      phoneB.sendAudio(b.port, p, 8);
      await sleep(20);
    }
    const fromA = (): RxPacket[] => audioOf(phoneB.rx, 8).filter((p) => !isSilence(p, 0xd5));
    const fromB = (): RxPacket[] => audioOf(phoneA.rx, 0).filter((p) => !isSilence(p));
    await until(() => fromA().length >= 10 && fromB().length >= 10, 'both directions');
    const mapped = (p: Buffer, table: Uint8Array): Buffer => Buffer.from(p.map((x) => table[x]!));
    expect(fromA().slice(-10).map((p) => p.payload)).toEqual(payloads.map((p) => mapped(p, ULAW_TO_ALAW)));
    expect(fromB().slice(-10).map((p) => p.payload)).toEqual(payloads.map((p) => mapped(p, ALAW_TO_ULAW)));
  });

  it('unbridge: B hears our silence again, on the same stream', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer() });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer() });
    await a.bridge(b);
    for (let i = 0; i < 5; i++) {
      phoneA.sendAudio(a.port, voice(i));
      await sleep(20);
    }
    await until(() => phoneB.rx.filter((p) => !isSilence(p)).length >= 5, 'the relay');
    await b.unbridge();
    expect((await server.stats()).bridged).toBe(0);
    await packets(phoneB, 10, 'silence after unbridge');
    const rx = phoneB.rx;
    expect(rx.slice(-10).every((p) => isSilence(p))).toBe(true);
    const ssrc = rx[0]!.h.ssrc;
    expect(rx.every((p) => p.h.ssrc === ssrc)).toBe(true);
    for (let i = 1; i < rx.length; i++) expect(rx[i]!.h.sequenceNumber).toBe((rx[i - 1]!.h.sequenceNumber + 1) & 0xffff);
    // A is not bridged either: its phone gets our silence again.
    const n = phoneA.rx.length;
    await until(() => phoneA.rx.length >= n + 5, 'A’s silence');
  });

  it('digits sent to a bridged phone are not mixed with the relayed voice; the relay resumes after them', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer() });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer() });
    await a.bridge(b);
    phoneA.stream(a.port, (i) => voice(i));
    await until(() => phoneB.rx.filter((p) => !isSilence(p)).length >= 5, 'the relay');
    await b.sendDtmf('123');
    await until(() => phoneB.rx.filter((p) => p.h.payloadType === 101 && (p.payload[1]! & 0x80) !== 0).length >= 9, 'three digits');
    await until(() => {
      const lastEnd = phoneB.rx.findLastIndex((p) => p.h.payloadType === 101);
      return phoneB.rx.slice(lastEnd).filter((p) => p.h.payloadType === 0 && !isSilence(p)).length >= 5;
    }, 'the relay after the digits');
    phoneA.stopStream();
    const rx = phoneB.rx;
    const first = rx.findIndex((p) => p.h.payloadType === 101);
    const last = rx.findLastIndex((p) => p.h.payloadType === 101);
    const during = rx.slice(first, last + 1).filter((p) => p.h.payloadType === 0);
    // Between the digits only our gap silence, no voice from A.
    expect(during.every((p) => isSilence(p))).toBe(true);
    for (let i = 1; i < rx.length; i++) expect(rx[i]!.h.sequenceNumber).toBe((rx[i - 1]!.h.sequenceNumber + 1) & 0xffff);
  });

  it('a re-INVITE without telephone-event while digits are being sent: the rest is dropped and the relay comes back', async () => {
    const server = await startServer({ thread });
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer() });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer({ version: 1 }) });
    await a.bridge(b);
    await b.sendDtmf('123456789');
    await until(() => phoneB.rx.some((p) => p.h.payloadType === 101), 'the first digit');
    await b.modify(phoneB.offer({ version: 2, dtmfPt: null }));
    phoneA.stream(a.port, (i) => voice(i));
    await until(() => phoneB.rx.filter((p) => p.h.payloadType === 0 && !isSilence(p)).length >= 5, 'the relay after the re-INVITE');
    phoneA.stopStream();
    expect(phoneB.rx.filter((p) => p.h.payloadType === 101 && (p.payload[1]! & 0x80) !== 0).length).toBeLessThan(9 * 3);
  });
});

// ------------------------------------------------------------------ modify (re-INVITE)

describe('modify (re-INVITE)', () => {
  it('hold: a=sendonly offer → a=recvonly answer and we stop sending; resume: same SSRC, timestamp jumps forward with the marker bit', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer({ version: 1 }) });
    await packets(phone, 5);
    const v1 = sdpVersion(ep.localSdp);

    const held = await ep.modify(phone.offer({ version: 2, direction: 'sendonly' }));
    expect(held.localSdp).toContain('a=recvonly');
    expect(held.localSdp).not.toContain('a=sendrecv');
    expect(held.media).toMatchObject({ direction: 'recvonly', onHold: true });
    expect(sdpVersion(held.localSdp)).toBe(v1 + 1);
    await sleep(100); // what was in flight
    const atHold = phone.rx.length;
    const lastBefore = phone.rx[atHold - 1]!.h;
    await sleep(600);
    expect(phone.rx.length).toBe(atHold);

    const resumed = await ep.modify(phone.offer({ version: 3, direction: 'sendrecv' }));
    expect(resumed.localSdp).toContain('a=sendrecv');
    expect(resumed.media).toMatchObject({ direction: 'sendrecv', onHold: false });
    expect(sdpVersion(resumed.localSdp)).toBe(v1 + 2);
    await packets(phone, 5, 'media after resume');
    const first = phone.rx[atHold]!.h;
    expect(first.ssrc).toBe(lastBefore.ssrc);
    expect(first.sequenceNumber).toBe((lastBefore.sequenceNumber + 1) & 0xffff);
    const jump = (first.timestamp - lastBefore.timestamp) >>> 0;
    expect(jump).toBeGreaterThan(600 * 8 * 0.8);
    expect(jump).toBeLessThan(60 * 8000);
    expect(first.marker).toBe(true);
    expect(phone.rx.slice(atHold + 1).some((p) => p.h.marker)).toBe(false);

    // The same offer again: the same answer and the same version (RFC 3264 §8).
    const same = await ep.modify(phone.offer({ version: 3, direction: 'sendrecv' }));
    expect(sdpVersion(same.localSdp)).toBe(v1 + 2);
  });

  it('we offer, the phone answers: nothing is sent before the answer, then the answered codec flows', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint();
    expect(ep.media).toBeNull();
    expect(sdpLine(ep.localSdp, 'm=')).toBe(`m=audio ${ep.port} RTP/AVP 0 8 101`);
    await sleep(200);
    expect(phone.rx).toHaveLength(0);
    const answer = phone.offer({ codecs: [[8, 'PCMA']], dtmfPt: 101 });
    const r = await ep.modify(answer);
    expect(r.media).toMatchObject({ codec: 'PCMA', payloadType: 8, dtmfPayloadType: 101, remotePort: phone.port });
    await packets(phone, 5);
    expect(phone.rx.every((p) => p.h.payloadType === 8 && isSilence(p, 0xd5))).toBe(true);
  });

  it('a re-INVITE keeps the codecs the endpoint was created with', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer({ version: 1 }), codecs: ['PCMA'] });
    expect(ep.media?.codec).toBe('PCMA');
    const r = await ep.modify(phone.offer({ version: 2 }));
    expect(r.media.codec).toBe('PCMA');
    expect(sdpLine(r.localSdp, 'm=')).toBe(`m=audio ${ep.port} RTP/AVP 8 101`);
    await packets(phone, 3);
    expect(phone.rx.slice(-3).every((p) => p.h.payloadType === 8)).toBe(true);
  });

  it('a new address undoes the latch: media goes to the new port, the next packet latches again', async () => {
    const server = await startServer();
    const oldPhone = await Phone.open();
    const newPhone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: oldPhone.offer() });
    oldPhone.sendAudio(ep.port, Buffer.alloc(160, 0x7f));
    await until(() => oldPhone.rx.length >= 3, 'media to the old port');
    expect((await ep.stats()).latched).toBe(true);

    const r = await ep.modify(newPhone.offer({ version: 2 }));
    expect(r.media.remotePort).toBe(newPhone.port);
    expect(await ep.stats()).toMatchObject({ latched: false, remotePort: newPhone.port });
    await packets(newPhone, 5, 'media to the new port');
    const atOld = oldPhone.rx.length;
    newPhone.sendAudio(ep.port, Buffer.alloc(160, 0x7f));
    await until(() => newPhone.rx.length >= 15, 'more media to the new port');
    expect(await ep.stats()).toMatchObject({ latched: true, remotePort: newPhone.port });
    expect(oldPhone.rx.length).toBeLessThanOrEqual(atOld + 1);
    // One stream across the move.
    expect(new Set(newPhone.rx.map((p) => p.h.ssrc))).toEqual(new Set([oldPhone.rx[0]!.h.ssrc]));
  });
});

// ------------------------------------------------------------------ RTP timeout

describe('rtpTimeout', () => {
  it('does not fire while the phone sends, fires once when it stops', async () => {
    const server = await startServer({ rtpTimeoutMs: 1500 });
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    const timeouts: Array<{ idleMs: number }> = [];
    ep.on('rtpTimeout', (e: { idleMs: number }) => timeouts.push(e));
    phone.stream(ep.port, () => Buffer.alloc(160, 0x7f));
    await until(() => phone.sent >= 120, '2.4 s of the phone talking', 20_000);
    expect(timeouts).toEqual([]);
    phone.stopStream();
    const stoppedAt = Date.now();
    await until(() => timeouts.length > 0, 'the rtpTimeout event', 15_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1400);
    expect(timeouts[0]!.idleMs).toBeGreaterThanOrEqual(1500);
    await sleep(300);
    expect(timeouts).toHaveLength(1);
    expect((await server.stats()).rtpTimeouts).toBe(1);
    expect(ep.destroyed).toBe(false); // ending the call is the calls layer's decision
  });
});

// ------------------------------------------------------------------ destroy and errors

describe('destroy', () => {
  it('ends pending requests with MEDIA_ENDPOINT_GONE, emits destroy, frees the port pair, refuses later calls', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    const destroyed: Array<{ reason: string }> = [];
    ep.on('destroy', (e: { reason: string }) => destroyed.push(e));
    const play = mediaError(ep.play({ files: LONG.path, loop: true }));
    await until(() => phone.rx.some((p) => !isSilence(p)), 'the prompt');

    await ep.destroy('hangup');
    expect((await play).code).toBe('MEDIA_ENDPOINT_GONE');
    expect(destroyed).toEqual([{ reason: 'hangup' }]);
    expect(ep.destroyed).toBe(true);
    expect(server.endpointCount).toBe(0);
    expect((await server.stats()).endpoints).toBe(0);

    // The RTP and RTCP ports are closed: we can bind them.
    for (const port of [ep.port, ep.port + 1]) {
      const s = dgram.createSocket('udp4');
      await bindSocket(s, port);
      s.close();
    }
    const n = phone.rx.length;
    await sleep(100);
    expect(phone.rx.length).toBeLessThanOrEqual(n + 1);

    for (const call of [() => ep.play(SHORT.path), () => ep.modify(phone.offer()), () => ep.stats(), () => ep.playCollect({}), () => ep.bridge(ep)]) {
      expect((await mediaError(call())).code).toBe('MEDIA_ENDPOINT_GONE');
    }
    await ep.destroy(); // again: nothing happens
    expect(destroyed).toHaveLength(1);
  });

  it('a pending playCollect ends with MEDIA_ENDPOINT_GONE too; a bridged peer goes back to its own silence', async () => {
    const server = await startServer();
    const phoneA = await Phone.open();
    const phoneB = await Phone.open();
    const a = await server.createEndpoint({ remoteSdp: phoneA.offer() });
    const b = await server.createEndpoint({ remoteSdp: phoneB.offer() });
    await a.bridge(b);
    const collect = mediaError(a.playCollect({ firstDigitTimeout: 10_000 }));
    await a.destroy();
    expect((await collect).code).toBe('MEDIA_ENDPOINT_GONE');
    expect((await server.stats()).bridged).toBe(0);
    const n = phoneB.rx.length;
    await until(() => phoneB.rx.length >= n + 5, 'B’s silence');
  });
});

describe('errors', () => {
  it('an offer without G.711 is MEDIA_SDP_NO_COMMON_CODEC naming the formats; not SDP is MEDIA_SDP_INVALID; nothing is left behind', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const g729 = phone.offer({ codecs: [[18, 'G729']] });
    const err = await mediaError(server.createEndpoint({ remoteSdp: g729 }));
    expect(err.code).toBe('MEDIA_SDP_NO_COMMON_CODEC');
    expect(err.message).toContain('G729');
    expect((await mediaError(server.createEndpoint({ remoteSdp: 'hello' }))).code).toBe('MEDIA_SDP_INVALID');
    expect((await server.stats()).endpoints).toBe(0);
    expect(server.endpointCount).toBe(0);
    // Still serving.
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    await packets(phone, 3);
    await ep.destroy();
  });

  it('a missing or broken file fails the play naming the file; the endpoint keeps working', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    const missing = join(dir, 'no-such.wav');
    const e1 = await mediaError(ep.play(missing));
    expect(e1.code).toBe('MEDIA_FILE_ERROR');
    expect(e1.file).toBe(missing);
    expect(e1.message).toContain(missing);
    const junk = join(dir, 'junk.wav');
    writeFileSync(junk, 'this is not a wav file at all');
    const e2 = await mediaError(ep.play([SHORT.path, junk]));
    expect(e2.code).toBe('MEDIA_BAD_WAV');
    expect(e2.file).toBe(junk);
    expect(e2.message).toContain(junk);
    expect((await mediaError(ep.play('tone:nonsense'))).code).toBe('MEDIA_BAD_ARGUMENT');
    expect((await mediaError(ep.play([]))).code).toBe('MEDIA_BAD_ARGUMENT');
    expect(phone.rx.every((p) => isSilence(p))).toBe(true);

    expect(await ep.play(SHORT.path)).toEqual({ completed: true, playedMs: 200 });
    expect(phone.rx.filter((p) => !isSilence(p)).length).toBe(SHORT.frames);
  });
});

describe('MediaServer lifecycle', () => {
  it('close(): endpoints are destroyed (event, pending requests fail), later calls are MEDIA_ENGINE_DOWN, ports are free', async () => {
    const server = await startServer();
    const phone = await Phone.open();
    const ep = await server.createEndpoint({ remoteSdp: phone.offer() });
    const destroyed: string[] = [];
    ep.on('destroy', (e: { reason: string }) => destroyed.push(e.reason));
    const play = mediaError(ep.play({ files: LONG.path, loop: true }));
    await until(() => phone.rx.some((p) => !isSilence(p)), 'the prompt');
    expect(server.up).toBe(true);
    await server.close();
    expect(server.up).toBe(false);
    expect(['MEDIA_ENDPOINT_GONE', 'MEDIA_ENGINE_DOWN']).toContain((await play).code);
    expect(destroyed).toEqual(['shutdown']);
    expect((await mediaError(server.createEndpoint({ remoteSdp: phone.offer() }))).code).toBe('MEDIA_ENGINE_DOWN');
    expect((await mediaError(server.stats())).code).toBe('MEDIA_ENGINE_DOWN');
    const s = dgram.createSocket('udp4');
    await bindSocket(s, ep.port);
    s.close();
    await server.close(); // twice: fine
  });

  it('a worker that cannot start (bad port range) fails start() with MEDIA_ENGINE_DOWN', async () => {
    const err = await mediaError(MediaServer.start({ thread: true, bindAddress: HOST, portMin: 80, portMax: 90 }));
    expect(err.code).toBe('MEDIA_ENGINE_DOWN');
    expect(err.message).toContain('80-90');
  });

  it('inline engine: an event-loop stall does not make our timestamps run ahead of our packets', async () => {
    // The inline engine shares this thread: a busy loop here stalls its scheduler.
    const server = await startServer({ thread: false });
    const phone = await Phone.open();
    await server.createEndpoint({ remoteSdp: phone.offer() });
    const before = await server.stats();
    await packets(phone, 5);
    for (const ms of [70, 150]) {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // stalled
      }
      await packets(phone, 10, 'packets after the stall');
    }
    const skipped = await skippedSince(server, before);
    expect(skipped).toBeGreaterThan(0);
    expectContinuous(phone.rx, skipped, 'stream across two stalls');
  });
});
