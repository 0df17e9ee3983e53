/**
 * The media engine between real softphones: baresip (Debian 12's baresip-core 1.0.0 on
 * libre 1.1.0) calls an app that answers with an engine endpoint, places a second call to
 * another baresip from an endpoint of its own (our offer, their answer) and bridges the two;
 * and a baresip caller types digits over a prompt of a playCollect. No mocks.
 *
 * What the phones heard comes from baresip's `sndfile` module: per call it writes what the
 * phone sent (`…-enc.wav`, before encoding) and what it heard (`…-dec.wav`, decoded RTP),
 * 16-bit 8 kHz. Each phone speaks a distinctive signal — a sine (440 Hz for A, 1000 Hz for
 * B) with a little white noise, so that the dominant frequency tells the sides apart and no
 * stretch of audio repeats (a sample-exact alignment has exactly one answer).
 *
 * Sample exactness. What B hears of A is `decode_B(relay(encode_A(source_A)))`, where the
 * encoder and decoder are libre's (re_g711.h), not ours:
 * - libre's encoder quantises the magnitude (`l = -l`, then the table), while the Sun
 *   reference our g711.ts follows shifts before negating: for a negative sample next to a
 *   decision level the two pick neighbouring codes (measured: 1–2 % of this signal's samples
 *   differ by one step, all negative). `libreUlaw`/`libreAlaw` model libre's encoder on top of
 *   ours (identical for l ≥ 0); with them nothing differs.
 * - libre's decoder maps the µ-law zero codes to ±2 where ours gives 0.
 * So the check is on codes: at the one offset where the expected code stream lines up with
 * what the phone heard, every code must decode to one and the same sample each time it
 * occurs (the phone's decoder table, learned on the fly, within 4 of ours). A single changed,
 * lost or inserted byte anywhere in the stretch breaks it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ALAW_DECODE, ALAW_TO_ULAW, encodeUlaw, linearToAlaw, linearToUlaw, ULAW_DECODE, ULAW_TO_ALAW } from '../../../src/media/codecs/g711.ts';
import type { Endpoint, EndpointStats } from '../../../src/media/media-server.ts';
import { readWavFile } from '../../../src/media/wav.ts';
import { Baresip, freeUdpRange } from '../sip/baresip/harness.ts';
import { readPcmWav, readStereoWav, rms, startMediaApp, TEST_RTP_PORTS, type AnsweredCall, type MediaApp } from './app.ts';

const RATE = 8000;
const FRAME = 160; // 20 ms
/** A 20 ms frame louder than this carries a phone's signal (≈ 7000 RMS); silence decodes to ≤ 8. */
const ACTIVE_RMS = 1000;
const PROMPT = fileURLToPath(new URL('../../../prompts/en/main-menu.wav', import.meta.url));

const phones: Baresip[] = [];
const apps: MediaApp[] = [];
const dirs: string[] = [];

afterEach(async () => {
  const stopped = phones.splice(0);
  // regint=0: no de-REGISTER to wait for, SIGTERM ends them at once (stop() also removes their folders).
  await Promise.all(stopped.map((p) => p.stop()));
  for (const app of apps.splice(0)) await app.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const p of stopped) {
    expect(p.running, `baresip ${p.pid} still running after stop()`).toBe(false);
    expect(() => statSync(p.dir), `${p.dir} left behind`).toThrow();
  }
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function within<T>(p: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hotline-baresip-media-'));
  dirs.push(d);
  return d;
}

/** 30 s of a sine at `hz` plus white noise ~20 dB below it, 16-bit 8 kHz mono (baresip hangs up when its source ends). */
function makeSignal(dir: string, name: string, hz: number): string {
  const file = join(dir, `${name}.wav`);
  const args = ['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', file, 'synth', '30', 'whitenoise', 'vol', '0.1', 'synth', '30', 'sine', 'mix', String(hz)];
  const r = spawnSync('sox', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox failed (${r.status}): ${r.stderr}${r.error?.message ?? ''}`);
  return file;
}

async function startPhone(opts: Parameters<typeof Baresip.start>[0]): Promise<Baresip> {
  const p = await Baresip.start(opts);
  phones.push(p);
  return p;
}

async function startApp(): Promise<{ app: MediaApp; nextCall: () => Promise<AnsweredCall> }> {
  const waiting: Array<(c: AnsweredCall) => void> = [];
  const queued: AnsweredCall[] = [];
  // Ten RTP/RTCP pairs found free inside TEST_RTP_PORTS (this test needs three at most): other
  // test files and benchmarks run engines in parallel, and every engine starts allocating at its portMin.
  const [portMin, portMax] = await freeUdpRange(20, [TEST_RTP_PORTS.portMin, TEST_RTP_PORTS.portMax]);
  const app = await startMediaApp(
    (call) => {
      const w = waiting.shift();
      if (w !== undefined) w(call);
      else queued.push(call);
    },
    { portMin, portMax },
  );
  apps.push(app);
  const nextCall = (): Promise<AnsweredCall> => {
    const q = queued.shift();
    return q !== undefined ? Promise.resolve(q) : new Promise((resolve) => waiting.push(resolve));
  };
  return { app, nextCall };
}

/**
 * One of sndfile's dumps of the phone's only call: `dec` = what it heard, `enc` = what it
 * sent. libsndfile writes the sizes into the header when the call's audio closes, a moment
 * after CALL_CLOSED: wait for a complete file.
 */
async function readDump(p: Baresip, which: 'enc' | 'dec'): Promise<Int16Array> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const files = readdirSync(p.sndPath).filter((f) => f.endsWith(`-${which}.wav`));
    if (files.length > 1) throw new Error(`more than one ${which} dump in ${p.sndPath}: ${files.join(', ')}`);
    if (files.length === 1) {
      const path = join(p.sndPath, files[0]!);
      const buf = readFileSync(path);
      if (buf.length >= 12 && buf.readUInt32LE(4) === buf.length - 8) return readPcmWav(path).samples;
    }
    if (Date.now() > deadline) throw new Error(`no complete ${which} dump in ${p.sndPath} (${files.join(', ')})\n${p.log}`);
    await sleep(50);
  }
}

// ------------------------------------------------------------------ signal analysis

/** Goertzel power of `hz` in x[from, to), normalised by the length. */
function tonePower(x: Int16Array, from: number, to: number, hz: number): number {
  const c = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = from; i < to; i++) {
    const s = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const n = to - from;
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (n * n);
}

/** The strongest frequency of x[from, to) on a 10 Hz grid from 100 to 3900 Hz. */
function dominantHz(x: Int16Array, from: number, to: number): number {
  let best = 0;
  let bestHz = 0;
  for (let hz = 100; hz <= 3900; hz += 10) {
    const p = tonePower(x, from, to, hz);
    if (p > best) {
      best = p;
      bestHz = hz;
    }
  }
  return bestHz;
}

interface Activity {
  /** Sample index of the first and one past the last 20 ms frame louder than ACTIVE_RMS (-1 if none). */
  from: number;
  to: number;
  /** Loud frames and all frames between the first and last loud one: equal when there is no gap. */
  loudFrames: number;
  spanFrames: number;
  ms: number;
}

function activity(x: Int16Array, threshold = ACTIVE_RMS): Activity {
  let first = -1;
  let last = -1;
  let loud = 0;
  for (let f = 0; (f + 1) * FRAME <= x.length; f++) {
    if (rms(x, f * FRAME, (f + 1) * FRAME) > threshold) {
      if (first < 0) first = f;
      last = f;
      loud++;
    }
  }
  const span = first < 0 ? 0 : last - first + 1;
  return { from: first * FRAME, to: (last + 1) * FRAME, loudFrames: loud, spanFrames: span, ms: (span * FRAME * 1000) / RATE };
}

/** libre's µ-law encoder (re_g711.h g711_pcm2ulaw): the magnitude's code with the sign cleared for l < 0. */
function libreUlaw(pcm: Int16Array): Uint8Array {
  return Uint8Array.from(pcm, (l) => (l < 0 ? linearToUlaw(-l) & 0x7f : linearToUlaw(l)));
}

/** libre's A-law encoder (g711_pcm2alaw): likewise on the magnitude. */
function libreAlaw(pcm: Int16Array): Uint8Array {
  return Uint8Array.from(pcm, (l) => (l < 0 ? linearToAlaw(-l) & 0x7f : linearToAlaw(l)));
}

interface CodeMatch {
  /** heard[i] carries codes[i + offset]; NaN when the anchor was not found. */
  offset: number;
  /** Offsets at which the anchor matched (exactly one expected). */
  anchors: number;
  compared: number;
  mismatches: number;
  firstMismatch: number;
  /** The first few mismatches: [index in heard, heard value, expected value]. */
  mismatchAt: Array<[number, number, number]>;
  /** Largest |phone's decoded value − our decoded value| over the codes seen. */
  decoderDeviation: number;
  /** Pearson correlation of heard[from, to) with our decoding of the aligned codes. */
  correlation: number;
}

/**
 * Find the code stream `codes` inside `heard` (decoded by a peer) over heard[from, to), and
 * check it code for code: anchored on one 20 ms frame at `anchorAt` (±8 of our decoding),
 * then every sample of the stretch must be the value its code decoded to everywhere else
 * (`sameDecoder`: exactly our table `decode`).
 */
function matchCodes(codes: Uint8Array, decode: Int16Array, heard: Int16Array, from: number, to: number, opts: { anchorAt?: number; sameDecoder?: boolean; offset?: number } = {}): CodeMatch {
  const anchorAt = opts.anchorAt ?? from + FRAME;
  const hits: number[] = opts.offset !== undefined ? [opts.offset] : [];
  for (let o = 0; opts.offset === undefined && o + FRAME <= codes.length && hits.length < 4; o++) {
    let k = 0;
    while (k < FRAME && Math.abs(decode[codes[o + k]!]! - heard[anchorAt + k]!) <= 8) k++;
    if (k === FRAME) hits.push(o - anchorAt);
  }
  const result: CodeMatch = { offset: Number.NaN, anchors: hits.length, compared: 0, mismatches: 0, firstMismatch: -1, mismatchAt: [], decoderDeviation: 0, correlation: 0 };
  if (hits.length !== 1) return result;
  const offset = hits[0]!;
  result.offset = offset;
  const table = new Map<number, number>();
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = Math.max(from, -offset); i < to && i + offset < codes.length; i++) {
    const code = codes[i + offset]!;
    const h = heard[i]!;
    const want = opts.sameDecoder === true ? decode[code]! : (table.get(code) ?? h);
    table.set(code, want);
    result.compared++;
    if (h !== want) {
      result.mismatches++;
      if (result.firstMismatch < 0) result.firstMismatch = i;
      if (result.mismatchAt.length < 8) result.mismatchAt.push([i, h, want]);
    }
    const ours = decode[code]!;
    result.decoderDeviation = Math.max(result.decoderDeviation, Math.abs(want - ours));
    sx += h;
    sy += ours;
    sxx += h * h;
    syy += ours * ours;
    sxy += h * ours;
  }
  const n = result.compared;
  result.correlation = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
  return result;
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ------------------------------------------------------------------ a bridged call

interface BridgeRun {
  legA: AnsweredCall;
  endpointB: Endpoint;
  bridgedMs: number;
  statsA: EndpointStats;
  statsB: EndpointStats;
  sourceA: Int16Array;
  sourceB: Int16Array;
  sentByA: Int16Array;
  sentByB: Int16Array;
  heardByA: Int16Array;
  heardByB: Int16Array;
  recording: string | undefined;
}

/**
 * baresip A dials the app; the app answers A with an endpoint, calls baresip B from a second
 * endpoint (our offer, B's answer applied with modify), bridges the two for `bridgeMs`,
 * unbridges, lets both phones hear our silence for a moment, and hangs up both calls.
 */
async function bridgedCall(opts: { codecsA: string; codecsB: string; bridgeMs: number; record: boolean }): Promise<BridgeRun> {
  const dir = tempDir();
  const srcA = makeSignal(dir, 'a-440', 440);
  const srcB = makeSignal(dir, 'b-1000', 1000);
  const { app, nextCall } = await startApp();
  const a = await startPhone({ sourceWav: srcA, sndfile: true });
  const b = await startPhone({ sourceWav: srcB, sndfile: true });
  // regint=0: no registration; B is called at its sip_listen address, so its account user
  // must be the Request-URI user ("b").
  const registrar = { host: '127.0.0.1', port: app.port };
  expect((await a.addAccount({ user: 'a', password: 'x', registrar, regint: 0, audioCodecs: opts.codecsA })).ok).toBe(true);
  expect((await b.addAccount({ user: 'b', password: 'x', registrar, regint: 0, audioCodecs: opts.codecsB })).ok).toBe(true);

  const sinceA = a.mark();
  const sinceB = b.mark();
  const dial = await a.command('dial', `sip:hotline@127.0.0.1:${app.port}`);
  expect(dial.ok, dial.data).toBe(true);
  const legA = await within(nextCall(), 10_000, () => `the app to answer baresip A; refused: ${String(app.refused)}\n${a.log}`);
  await a.waitEvent('CALL_ESTABLISHED', { since: sinceA });

  const endpointB = await app.media.createEndpoint();
  expect(endpointB.media).toBeNull(); // an offer waiting for its answer
  const dialogB = await app.sip.createUAC(`sip:b@127.0.0.1:${b.sipPort}`, { localSdp: endpointB.localSdp });
  await b.waitEvent('CALL_ESTABLISHED', { since: sinceB });
  await endpointB.modify(dialogB.remote.sdp);

  let recording: string | undefined;
  if (opts.record) {
    recording = join(app.dir, 'leg-a.wav');
    await legA.endpoint.record(recording, { stereo: true });
  }
  const t0 = performance.now();
  await legA.endpoint.bridge(endpointB);
  await sleep(opts.bridgeMs);
  await legA.endpoint.unbridge();
  const bridgedMs = performance.now() - t0;
  await sleep(600);
  const [statsA, statsB] = await Promise.all([legA.endpoint.stats(), endpointB.stats()]);

  const closedA = a.waitEvent('CALL_CLOSED', { since: sinceA });
  const closedB = b.waitEvent('CALL_CLOSED', { since: sinceB });
  await Promise.all([legA.dialog.destroy(), dialogB.destroy()]);
  await endpointB.destroy('hangup');
  await within(legA.ended, 5_000, 'endpoint A to close');
  await Promise.all([closedA, closedB]);

  return {
    legA,
    endpointB,
    bridgedMs,
    statsA,
    statsB,
    sourceA: readPcmWav(srcA).samples,
    sourceB: readPcmWav(srcB).samples,
    sentByA: await readDump(a, 'enc'),
    sentByB: await readDump(b, 'enc'),
    heardByA: await readDump(a, 'dec'),
    heardByB: await readDump(b, 'dec'),
    recording,
  };
}

/**
 * One direction of the bridge: loudness, timing, frequency, code-exactness over the loud
 * stretch (less `trim` samples at each end).
 */
function direction(heard: Int16Array, sent: Int16Array, source: Int16Array, codes: Uint8Array, decode: Int16Array, hz: number, otherHz: number, opts: { trim?: number; sameDecoder?: boolean } = {}) {
  const act = activity(heard);
  // The middle of the bridged stretch, clear of its edges, for the spectral checks.
  const mid = (act.from + act.to) >> 1;
  const win: [number, number] = [mid - RATE / 2, mid + RATE / 2];
  const trim = opts.trim ?? 0;
  const match = matchCodes(codes, decode, heard, act.from + trim, act.to - trim, { sameDecoder: opts.sameDecoder === true });
  return {
    trim,
    act,
    sourceRms: round(rms(source, 0, RATE * 5)),
    heardRms: round(rms(heard, act.from, act.to)),
    dominantHz: dominantHz(heard, win[0], win[1]),
    otherToneRatio: tonePower(heard, win[0], win[1], otherHz) / tonePower(heard, win[0], win[1], hz),
    // Sanity of the premise: the phone sent its source file as is.
    sentIsSource: sent.length > RATE && sent.every((s, i) => s === source[i]),
    match,
  };
}

function summary(d: ReturnType<typeof direction>): Record<string, unknown> {
  const { act, match, ...rest } = d;
  return { activeMs: act.ms, loudFrames: act.loudFrames, spanFrames: act.spanFrames, ...rest, ...match, correlation: round(match.correlation, 6), otherToneRatio: d.otherToneRatio.toExponential(2) };
}

function expectDirection(name: string, d: ReturnType<typeof direction>, hz: number, bridgedMs: number): void {
  const info = `${name}: ${JSON.stringify(summary(d))}`;
  expect(d.sentIsSource, info).toBe(true);
  // Energy of the source, for as long as the bridge stood, without a gap.
  expect(d.heardRms, info).toBeGreaterThan(0.8 * d.sourceRms);
  expect(d.heardRms, info).toBeLessThan(1.2 * d.sourceRms);
  expect(Math.abs(d.act.ms - bridgedMs), info).toBeLessThan(500);
  expect(d.act.loudFrames, info).toBe(d.act.spanFrames);
  // The right side's signal, not the other one's.
  expect(d.dominantHz, info).toBe(hz);
  expect(d.otherToneRatio, info).toBeLessThan(1e-3);
  // Every code of the stretch crossed unchanged.
  expect(d.match.anchors, info).toBe(1);
  expect(d.match.compared, info).toBe(d.act.to - d.act.from - 2 * d.trim);
  expect(d.match.mismatches, info).toBe(0);
  expect(d.match.decoderDeviation, info).toBeLessThanOrEqual(4);
  expect(d.match.correlation, info).toBeGreaterThan(0.99);
}

describe('media engine between baresip phones', () => {
  it('bridges two calls PCMU↔PCMU: each phone hears the other’s audio code for code for the bridged time; a stereo recording of leg A taps both directions', { timeout: 30_000 }, async ({ annotate }) => {
    const run = await bridgedCall({ codecsA: 'PCMU/8000/1', codecsB: 'PCMU/8000/1', bridgeMs: 4_000, record: true });
    expect(run.legA.endpoint.media?.codec).toBe('PCMU');
    expect(run.endpointB.media?.codec).toBe('PCMU');

    // Same law on both legs: the engine relays the payload as is.
    const codesA = libreUlaw(run.sourceA);
    const codesB = libreUlaw(run.sourceB);
    const aToB = direction(run.heardByB, run.sentByA, run.sourceA, codesA, ULAW_DECODE, 440, 1000);
    const bToA = direction(run.heardByA, run.sentByB, run.sourceB, codesB, ULAW_DECODE, 1000, 440);

    // For the report: how far our reference encoder is from libre's (why the model is needed).
    const ours = new Uint8Array(run.sourceA.length);
    encodeUlaw(run.sourceA, ours);
    const sunMatch = matchCodes(ours, ULAW_DECODE, run.heardByB, aToB.act.from, aToB.act.to, { offset: aToB.match.offset });

    // Stereo recording of endpoint A: left what phone A sent, right what A was sent (B, relayed).
    // The recorder decodes with our own tables, so its samples must be exactly our decoding of
    // the phones' codes. It places packets by time, not on a 20 ms grid from its start: the
    // first and last grid frames of a stretch hold some silence, so the exact check leaves them out.
    const rec = readStereoWav(run.recording!);
    const left = direction(rec.left, run.sentByA, run.sourceA, codesA, ULAW_DECODE, 440, 1000, { trim: FRAME, sameDecoder: true });
    const right = direction(rec.right, run.sentByB, run.sourceB, codesB, ULAW_DECODE, 1000, 440, { trim: FRAME, sameDecoder: true });

    await annotate(
      JSON.stringify({
        bridgedMs: round(run.bridgedMs),
        statsA: run.statsA,
        statsB: run.statsB,
        aToB: summary(aToB),
        bToA: summary(bToA),
        aToBWithSunReferenceEncoder: { compared: sunMatch.compared, mismatches: sunMatch.mismatches },
        recording: { durationMs: rec.durationMs, left: summary(left), right: summary(right) },
      }),
    );

    expectDirection('A→B', aToB, 440, run.bridgedMs);
    expectDirection('B→A', bToA, 1000, run.bridgedMs);
    // Right: B's side, only while bridged.
    expectDirection('recording, right channel', right, 1000, run.bridgedMs);
    // Left: phone A all along, from just before the bridge to the hang-up 0.6 s after it.
    const info = `recording, left channel: ${JSON.stringify(summary(left))}`;
    expect(left.dominantHz, info).toBe(440);
    expect(left.otherToneRatio, info).toBeLessThan(1e-3);
    expect(left.act.loudFrames, info).toBe(left.act.spanFrames);
    expect(left.act.ms, info).toBeGreaterThan(run.bridgedMs + 400);
    expect(Math.abs(left.act.ms - rec.durationMs), info).toBeLessThan(200);
    expect(left.match.anchors, info).toBe(1);
    expect(left.match.compared, info).toBe(left.act.to - left.act.from - 2 * FRAME);
    expect(left.match.mismatches, info).toBe(0);
  });

  it('transcodes a bridge PCMU↔PCMA: each phone hears the other’s audio, code for code through the µ-law/A-law tables', { timeout: 30_000 }, async ({ annotate }) => {
    const run = await bridgedCall({ codecsA: 'PCMU/8000/1', codecsB: 'PCMA/8000/1', bridgeMs: 4_000, record: false });
    expect(run.legA.endpoint.media?.codec).toBe('PCMU');
    expect(run.endpointB.media?.codec).toBe('PCMA');

    // A's µ-law goes out to B as A-law, B's A-law to A as µ-law (G.711 Table 3/4 conversions).
    const codesA = Uint8Array.from(libreUlaw(run.sourceA), (u) => ULAW_TO_ALAW[u]!);
    const codesB = Uint8Array.from(libreAlaw(run.sourceB), (a) => ALAW_TO_ULAW[a]!);
    const aToB = direction(run.heardByB, run.sentByA, run.sourceA, codesA, ALAW_DECODE, 440, 1000);
    const bToA = direction(run.heardByA, run.sentByB, run.sourceB, codesB, ULAW_DECODE, 1000, 440);
    await annotate(JSON.stringify({ bridgedMs: round(run.bridgedMs), statsA: run.statsA, statsB: run.statsB, aToB: summary(aToB), bToA: summary(bToA) }));

    expectDirection('A→B (µ-law → A-law)', aToB, 440, run.bridgedMs);
    expectDirection('B→A (A-law → µ-law)', bToA, 1000, run.bridgedMs);
  });

  it('playCollect: RFC 4733 digits typed with sndcode end the input at "#", and the first key stops the prompt (barge-in)', { timeout: 30_000 }, async ({ annotate }) => {
    const { app, nextCall } = await startApp();
    const phone = await startPhone({ sndfile: true });
    expect((await phone.addAccount({ user: 'caller', password: 'x', registrar: { host: '127.0.0.1', port: app.port }, regint: 0 })).ok).toBe(true);
    const since = phone.mark();
    const dial = await phone.command('dial', `sip:hotline@127.0.0.1:${app.port}`);
    expect(dial.ok, dial.data).toBe(true);
    const call = await within(nextCall(), 10_000, () => `the app to answer baresip; refused: ${String(app.refused)}\n${phone.log}`);
    await phone.waitEvent('CALL_ESTABLISHED', { since });
    expect(call.endpoint.media?.dtmfPayloadType).not.toBeNull();

    const digitAt: number[] = [];
    call.endpoint.on('dtmf', () => digitAt.push(performance.now()));
    const playAt = performance.now();
    const collect = call.endpoint.playCollect({ files: PROMPT, maxDigits: 4, terminators: '#', firstDigitTimeout: 5000 });
    await sleep(1_500);
    const keysAt = performance.now();
    const sent = await phone.command('sndcode', '12#');
    expect(sent.ok, sent.data).toBe(true);
    const result = await within(collect, 10_000, 'the playCollect result');
    const resultAt = performance.now();
    expect(result).toEqual({ digits: '12', terminator: '#', reason: 'terminator' });
    expect(call.digits.map((d) => [d.digit, d.source])).toEqual([
      ['1', 'rfc4733'],
      ['2', 'rfc4733'],
      ['#', 'rfc4733'],
    ]);

    // Let the phone listen to what follows the barge-in, then hang up.
    await sleep(2_000);
    const closed = phone.waitEvent('CALL_CLOSED', { since });
    await call.dialog.destroy();
    await call.ended;
    await closed;

    const heard = await readDump(phone, 'dec');
    const prompt = (await readWavFile(PROMPT)).samples;
    const promptCodes = new Uint8Array(prompt.length);
    encodeUlaw(prompt, promptCodes); // what the engine sends (PreparedAudio.ulaw)
    const loud = activity(heard, 200);
    const match = matchCodes(promptCodes, ULAW_DECODE, heard, 0, loud.to, { anchorAt: loud.from });
    // Heard: the prompt from its start (heard index −offset) to the last loud frame, then only our silence.
    const promptStart = -match.offset;
    const heardPromptMs = ((loud.to - promptStart) * 1000) / RATE;
    const after = { from: loud.to + FRAME * 5, to: heard.length };
    const afterRms = rms(heard, after.from, after.to);
    // What the prompt itself carries over the stretch the phone did not hear any more.
    const missedFrom = loud.to - promptStart + FRAME * 5;
    const missedRms = rms(prompt, missedFrom, Math.min(prompt.length, missedFrom + (after.to - after.from)));
    const firstKeyMs = digitAt[0]! - playAt;
    const measured = {
      promptMs: round((prompt.length * 1000) / RATE),
      keysSentMs: round(keysAt - playAt),
      firstDigitMs: round(firstKeyMs),
      resultMs: round(resultAt - playAt),
      heardPromptMs: round(heardPromptMs),
      silenceAfterMs: round(((after.to - after.from) * 1000) / RATE),
      afterRms: round(afterRms, 1),
      promptRmsOverMissedPart: round(missedRms),
      digits: call.digits,
      match: { ...match, correlation: round(match.correlation, 6) },
    };
    await annotate(JSON.stringify(measured));
    const info = JSON.stringify(measured);

    // The phone heard the prompt itself, code for code, from its first sample on.
    expect(match.anchors, info).toBe(1);
    expect(match.mismatches, info).toBe(0);
    expect(match.compared, info).toBeGreaterThan(RATE); // over a second of it
    expect(match.decoderDeviation, info).toBeLessThanOrEqual(4);
    expect(promptStart, info).toBeGreaterThanOrEqual(0);
    // …and stopped hearing it when the first key arrived: about 1.5 s in, not 11.9 s.
    expect(heardPromptMs, info).toBeGreaterThan(keysAt - playAt - 500);
    expect(heardPromptMs, info).toBeLessThan(firstKeyMs + 500);
    expect(heardPromptMs, info).toBeLessThan(3_000);
    // After it: our silence for the rest of the call (≥ 2 s), where the prompt would still be talking.
    expect((after.to - after.from) / RATE, info).toBeGreaterThan(2);
    expect(afterRms, info).toBeLessThan(20);
    expect(missedRms, info).toBeGreaterThan(500);
  });
});
