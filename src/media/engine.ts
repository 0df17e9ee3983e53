import { performance } from 'node:perf_hooks';
import { PromptCache, type PreparedAudio } from './audio-source.ts';
import { MediaCounters } from './counters.ts';
import { DTMF_EVENT_DIGITS } from './dtmf/rfc4733.ts';
import { EngineEndpoint, type EndpointListener } from './engine-endpoint.ts';
import { MediaError } from './errors.ts';
import type {
  CollectArgs,
  CollectReason,
  CreateResult,
  DtmfSource,
  EndpointCreateOptions,
  EngineCommand,
  EngineErrorInfo,
  EngineMessage,
  EngineOptions,
  EngineRequest,
  EngineStats,
  ModifyResult,
  NegotiatedSummary,
  PlayArgs,
} from './protocol.ts';
import { CallRecorder } from './recorder.ts';
import { RtpPortPool } from './rtp/port-pool.ts';
import { RtpLeg } from './rtp/rtp-leg.ts';
import { FrameScheduler } from './scheduler.ts';
import { answerOffer, applyAnswer, createOffer, createSdpSession, type MediaDirection, type NegotiatedMedia } from './sdp.ts';

/** Pending long request (play, playCollect) of an endpoint, answered when it ends. */
interface PendingRequest {
  ep: number;
  kind: 'play' | 'collect';
  /** false while its prompts load: a stop arriving then cancels it before it makes a sound. */
  started: boolean;
}

function summary(m: NegotiatedMedia): NegotiatedSummary {
  return {
    codec: m.codec,
    payloadType: m.payloadType,
    dtmfPayloadType: m.dtmfPayloadType,
    ptime: m.ptime,
    remoteAddress: m.remoteAddress,
    remotePort: m.remotePort,
    direction: m.direction,
    onHold: m.onHold,
  };
}

function errorInfo(err: unknown): EngineErrorInfo {
  if (err instanceof MediaError) return err.file === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, file: err.file };
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e.code === 'string' ? e.code : 'MEDIA_INTERNAL', message: typeof e.message === 'string' ? e.message : String(err) };
}

/**
 * The media engine: owns the RTP legs, the prompt cache and the frame scheduler, executes
 * commands and reports events through `post`. It runs inside the media worker thread
 * (src/media/worker.ts) and, for tests or tiny deployments, in the main thread just the same.
 */
export class MediaEngine implements EndpointListener {
  readonly #options: EngineOptions;
  readonly #post: (msg: EngineMessage) => void;
  readonly #pool: RtpPortPool;
  readonly #prompts: PromptCache;
  readonly #counters = new MediaCounters();
  readonly #scheduler: FrameScheduler;
  readonly #endpoints = new Map<number, EngineEndpoint>();
  readonly #pending = new Map<number, PendingRequest>();
  #seq = 1;

  constructor(options: EngineOptions, post: (msg: EngineMessage) => void) {
    this.#options = options;
    this.#post = post;
    this.#pool = new RtpPortPool(options.portMin, options.portMax, 'random');
    this.#prompts = new PromptCache(options.promptCacheBytes);
    this.#scheduler = new FrameScheduler(this.#housekeeping);
    this.#scheduler.start();
  }

  /** Execute one request; the reply is posted (at once, or when a long operation ends). */
  handle(req: EngineRequest): void {
    this.#execute(req.id, req.cmd).then(
      (result) => {
        if (result !== PENDING) this.#post({ id: req.id, ok: true, result });
      },
      (err: unknown) => this.#post({ id: req.id, ok: false, error: errorInfo(err) }),
    );
  }

  /** Stop everything: used when the worker is shut down. */
  async close(): Promise<void> {
    for (const id of [...this.#endpoints.keys()]) await this.#destroy(id, 'engine-shutdown');
    this.#scheduler.stop();
  }

  async #execute(id: number, cmd: EngineCommand): Promise<unknown> {
    switch (cmd.op) {
      case 'create':
        return this.#create(cmd.options);
      case 'modify':
        return this.#modify(this.#get(cmd.ep), cmd.remoteSdp, cmd.direction);
      case 'play':
        return this.#play(id, this.#get(cmd.ep), cmd.args);
      case 'playCollect':
        return this.#playCollect(id, this.#get(cmd.ep), cmd.args);
      case 'stop':
        return this.#stop(this.#get(cmd.ep), cmd.target);
      case 'record':
        return this.#record(this.#get(cmd.ep), cmd.path, cmd.stereo);
      case 'stopRecording':
        return this.#stopRecording(this.#get(cmd.ep));
      case 'pauseRecording':
        this.#recorderOf(this.#get(cmd.ep)).pause(performance.now());
        return null;
      case 'resumeRecording':
        this.#recorderOf(this.#get(cmd.ep)).resume(performance.now());
        return null;
      case 'bridge':
        return this.#bridge(this.#get(cmd.ep), this.#get(cmd.other));
      case 'unbridge':
        this.#unbridge(this.#get(cmd.ep));
        return null;
      case 'sendDtmf':
        return this.#sendDtmf(id, this.#get(cmd.ep), cmd.digits);
      case 'injectDtmf':
        if (cmd.digit.length !== 1 || !DTMF_EVENT_DIGITS.includes(cmd.digit)) throw new MediaError('MEDIA_BAD_ARGUMENT', `not a DTMF digit: ${JSON.stringify(cmd.digit)}`);
        this.#get(cmd.ep).digit(cmd.digit, 'info', cmd.durationMs);
        return null;
      case 'destroy':
        await this.#destroy(cmd.ep, cmd.reason);
        return null;
      case 'endpointStats':
        return this.#get(cmd.ep).stats();
      case 'stats':
        return this.stats();
    }
  }

  #get(id: number): EngineEndpoint {
    const ep = this.#endpoints.get(id);
    if (ep === undefined) throw new MediaError('MEDIA_ENDPOINT_GONE', `endpoint ${id} does not exist (destroyed?)`);
    return ep;
  }

  async #create(options: EndpointCreateOptions): Promise<CreateResult> {
    const o = this.#options;
    const leg = await RtpLeg.open(this.#pool, o.bindAddress, this.#counters);
    const session = createSdpSession();
    const local = { address: o.advertiseAddress, port: leg.port };
    const codecs = options.codecs ?? o.codecs;
    const id = this.#seq++ * o.idStride + o.idOffset;
    const ep = new EngineEndpoint(id, leg, session, this.#scheduler, this, options.inbandDtmf === true);
    ep.codecs = codecs;
    try {
      if (options.remoteSdp !== undefined) {
        const answer = answerOffer(options.remoteSdp, local, session, { codecs, ptime: o.ptime });
        ep.localSdp = answer.localSdp;
        leg.configure(answer.media);
      } else {
        ep.localSdp = createOffer(local, session, { codecs, ptime: o.ptime });
        ep.pendingOffer = ep.localSdp;
      }
    } catch (err) {
      leg.close();
      throw err;
    }
    leg.sink = ep;
    this.#endpoints.set(ep.id, ep);
    ep.updatePacing();
    return { id: ep.id, localSdp: ep.localSdp, port: leg.port, media: leg.media === null ? null : summary(leg.media) };
  }

  #modify(ep: EngineEndpoint, remoteSdp: string, direction: MediaDirection | undefined): ModifyResult {
    if (ep.pendingOffer !== null) {
      const media = applyAnswer(ep.pendingOffer, remoteSdp);
      ep.pendingOffer = null;
      ep.leg.configure(media);
    } else {
      // A new offer from the peer (re-INVITE: hold, resume, new address): answer it. The
      // SDP version only moves when our answer differs from the last one (RFC 3264 §8).
      const o = this.#options;
      const local = { address: o.advertiseAddress, port: ep.leg.port };
      // The endpoint's own codecs, not the engine's: a re-INVITE must not switch a leg created
      // for PCMA only over to PCMU.
      const opts = direction === undefined ? { codecs: ep.codecs, ptime: o.ptime } : { codecs: ep.codecs, ptime: o.ptime, localDirection: direction };
      let answer = answerOffer(remoteSdp, local, ep.sdp, opts);
      if (answer.localSdp !== ep.localSdp) {
        ep.sdp.version++;
        answer = answerOffer(remoteSdp, local, ep.sdp, opts);
      }
      ep.localSdp = answer.localSdp;
      ep.leg.configure(answer.media);
    }
    ep.rtpTimeoutReported = false;
    ep.updatePacing();
    return { localSdp: ep.localSdp, media: summary(ep.leg.media!) };
  }

  async #load(files: readonly string[]): Promise<PreparedAudio[]> {
    if (files.length === 0) throw new MediaError('MEDIA_BAD_ARGUMENT', 'nothing to play: the file list is empty');
    return Promise.all(files.map((f) => this.#prompts.get(f)));
  }

  async #play(id: number, ep: EngineEndpoint, args: PlayArgs): Promise<unknown> {
    // Pending before the prompts load: an abort (stop) or a destroy arriving meanwhile must
    // find it, or the prompt would start afterwards with nobody waiting for it.
    const p = this.#track(id, ep, 'play');
    const items = await this.#loadFor(id, args.files);
    if (items === null || this.#pending.get(id) !== p) return PENDING; // already answered (stopped, destroyed)
    p.started = true;
    ep.play(id, items, args.loop);
    return PENDING;
  }

  #track(id: number, ep: EngineEndpoint, kind: PendingRequest['kind']): PendingRequest {
    const p: PendingRequest = { ep: ep.id, kind, started: false };
    this.#pending.set(id, p);
    return p;
  }

  /** Load for a tracked request; null when it was answered meanwhile (its error is then dropped). */
  async #loadFor(id: number, files: readonly string[]): Promise<PreparedAudio[] | null> {
    try {
      return await this.#load(files);
    } catch (err) {
      if (!this.#pending.delete(id)) return null;
      throw err;
    }
  }

  async #playCollect(id: number, ep: EngineEndpoint, args: CollectArgs): Promise<unknown> {
    if (!(args.minDigits >= 0 && args.maxDigits >= 1 && args.minDigits <= args.maxDigits)) {
      throw new MediaError('MEDIA_BAD_ARGUMENT', `bad digit counts min ${args.minDigits} max ${args.maxDigits}`);
    }
    const p = this.#track(id, ep, 'collect');
    const items = args.files.length === 0 ? [] : await this.#loadFor(id, args.files);
    if (items === null || this.#pending.get(id) !== p) return PENDING; // already answered (stopped, destroyed)
    // One collect per endpoint: the one this replaces is answered (MEDIA_ABORTED), not left
    // waiting forever (EngineEndpoint.collect drops it silently).
    for (const [reqId, other] of this.#pending) {
      if (reqId !== id && other.ep === ep.id && other.kind === 'collect' && other.started) this.#abortCollect(ep, reqId);
    }
    p.started = true;
    ep.collect(id, args, items);
    return PENDING;
  }

  #stop(ep: EngineEndpoint, target: number | undefined): null {
    if (target === undefined) {
      ep.stopPlay();
      for (const [reqId, p] of this.#pending) {
        if (p.ep !== ep.id) continue;
        if (p.kind === 'collect') this.#abortCollect(ep, reqId);
        else if (!p.started) this.#cancelPlay(reqId);
      }
      return null;
    }
    const p = this.#pending.get(target);
    if (p === undefined || p.ep !== ep.id) return null; // already finished
    if (p.kind === 'collect') this.#abortCollect(ep, target);
    else if (p.started) ep.stopPlay(target);
    else this.#cancelPlay(target);
    return null;
  }

  /** A play stopped while its prompts were still loading: it ends without a sound. */
  #cancelPlay(reqId: number): void {
    this.#pending.delete(reqId);
    this.#post({ id: reqId, ok: true, result: { completed: false, playedMs: 0 } });
  }

  #abortCollect(ep: EngineEndpoint, reqId: number): void {
    ep.cancelCollect(reqId);
    this.#pending.delete(reqId);
    this.#post({ id: reqId, ok: false, error: { code: 'MEDIA_ABORTED', message: 'digit collection stopped' } });
  }

  async #record(ep: EngineEndpoint, path: string, stereo: boolean): Promise<null> {
    if (ep.recorder !== null) throw new MediaError('MEDIA_BAD_STATE', `endpoint ${ep.id} is already recording to ${ep.recorder.path}`);
    const rec = await CallRecorder.open(path, performance.now(), { stereo });
    if (!this.#endpoints.has(ep.id) || ep.recorder !== null) {
      await rec.stop(performance.now());
      throw new MediaError('MEDIA_ENDPOINT_GONE', `endpoint ${ep.id} went away while the recording opened`);
    }
    ep.recorder = rec;
    return null;
  }

  #recorderOf(ep: EngineEndpoint): CallRecorder {
    if (ep.recorder === null) throw new MediaError('MEDIA_BAD_STATE', `endpoint ${ep.id} is not recording`);
    return ep.recorder;
  }

  async #stopRecording(ep: EngineEndpoint): Promise<unknown> {
    const rec = this.#recorderOf(ep);
    ep.recorder = null;
    return rec.stop(performance.now());
  }

  #bridge(a: EngineEndpoint, b: EngineEndpoint): null {
    if (a === b) throw new MediaError('MEDIA_BAD_STATE', `endpoint ${a.id} cannot be bridged to itself`);
    if (a.peer === b) return null;
    if (a.peer !== null) this.#unbridge(a);
    if (b.peer !== null) this.#unbridge(b);
    a.setPeer(b);
    b.setPeer(a);
    return null;
  }

  #unbridge(ep: EngineEndpoint): void {
    const peer = ep.peer;
    if (peer === null) return;
    ep.setPeer(null);
    peer.setPeer(null);
  }

  #sendDtmf(id: number, ep: EngineEndpoint, digits: string): Promise<unknown> | null {
    for (const d of digits) {
      if (!DTMF_EVENT_DIGITS.includes(d)) throw new MediaError('MEDIA_BAD_ARGUMENT', `not a DTMF digit: ${JSON.stringify(d)}`);
    }
    if (ep.sendsRfc4733) {
      ep.sendDigits(digits);
      return null;
    }
    // No telephone-event with this phone: play the tones in-band instead (100 ms each, 100 ms apart).
    const tones = [...digits].map((d) => `tone:${DTMF_FREQS[d]}/100/100`);
    return this.#play(id, ep, { files: tones, loop: false });
  }

  async #destroy(id: number, reason: string): Promise<void> {
    const ep = this.#endpoints.get(id);
    if (ep === undefined) return;
    this.#endpoints.delete(id);
    if (ep.peer !== null) this.#unbridge(ep);
    ep.flushDtmf();
    ep.shutdown();
    for (const [reqId, p] of this.#pending) {
      if (p.ep !== id) continue;
      this.#pending.delete(reqId);
      this.#post({ id: reqId, ok: false, error: { code: 'MEDIA_ENDPOINT_GONE', message: `endpoint destroyed (${reason})` } });
    }
    ep.leg.close();
    const rec = ep.recorder;
    ep.recorder = null;
    if (rec !== null) await rec.stop(performance.now()).catch(() => undefined); // the file keeps what was written
    this.#post({ event: 'destroy', ep: id, reason });
  }

  // ------------------------------------------------------------ endpoint listener

  onDigit(ep: EngineEndpoint, digit: string, source: DtmfSource, durationMs: number): void {
    this.#counters.dtmfDigits++;
    this.#post({ event: 'dtmf', ep: ep.id, digit, source, durationMs });
    // RFC 4733 events are relayed as events; a bridged phone without telephone-event hears the
    // key as tones instead (in-band digits already travel inside the relayed audio).
    const peer = ep.peer;
    if (source === 'rfc4733' && peer !== null && !peer.sendsRfc4733 && !peer.playing) {
      this.#prompts.get(`tone:${DTMF_FREQS[digit]}/100/50`).then(
        (tone) => {
          if (this.#endpoints.has(peer.id) && !peer.playing) peer.play(RELAYED_DIGIT, [tone], false);
        },
        () => undefined, // a tone spec of ours cannot fail to build
      );
    }
  }

  onPlayDone(_ep: EngineEndpoint, requestId: number, completed: boolean, playedMs: number): void {
    if (!this.#pending.delete(requestId)) return;
    this.#post({ id: requestId, ok: true, result: { completed, playedMs: Math.round(playedMs) } });
  }

  onCollectDone(_ep: EngineEndpoint, requestId: number, digits: string, terminator: string, reason: CollectReason): void {
    if (!this.#pending.delete(requestId)) return;
    this.#post({ id: requestId, ok: true, result: { digits, terminator, reason } });
  }

  // ------------------------------------------------------------ housekeeping

  readonly #housekeeping = (nowMs: number): void => {
    const timeout = this.#options.rtpTimeoutMs;
    for (const ep of this.#endpoints.values()) {
      ep.leg.housekeeping(nowMs);
      ep.checkCollectTimeout(nowMs);
      ep.recorder?.tick(nowMs);
      const idle = nowMs - ep.leg.lastRxMs;
      if (timeout > 0 && !ep.rtpTimeoutReported && ep.leg.expectsMedia && idle > timeout) {
        ep.rtpTimeoutReported = true;
        this.#counters.rtpTimeouts++;
        this.#post({ event: 'rtpTimeout', ep: ep.id, idleMs: Math.round(idle) });
      } else if (idle < timeout) {
        ep.rtpTimeoutReported = false;
      }
    }
  };

  stats(): EngineStats {
    const c = this.#counters;
    const s = this.#scheduler;
    let playing = 0;
    let recording = 0;
    let bridged = 0;
    let jitterSum = 0;
    let jitterLegs = 0;
    for (const ep of this.#endpoints.values()) {
      if (ep.playing) playing++;
      if (ep.recorder !== null) recording++;
      if (ep.peer !== null) bridged++;
      if (ep.leg.rx.received > 0) {
        jitterSum += ep.leg.rx.jitterMs;
        jitterLegs++;
      }
    }
    return {
      endpoints: this.#endpoints.size,
      playing,
      recording,
      bridged,
      paced: s.size,
      packetsIn: c.packetsIn,
      bytesIn: c.bytesIn,
      packetsOut: c.packetsOut,
      bytesOut: c.bytesOut,
      packetsLost: c.packetsLost,
      packetsDropped: c.packetsDropped,
      packetsRelayed: c.packetsRelayed,
      rtcpIn: c.rtcpIn,
      rtcpOut: c.rtcpOut,
      dtmfDigits: c.dtmfDigits,
      rtpTimeouts: c.rtpTimeouts,
      sendErrors: c.sendErrors,
      jitterMsMean: jitterLegs === 0 ? 0 : jitterSum / jitterLegs,
      latenessBuckets: Array.from(s.lateness),
      latenessSumMs: s.latenessSumMs,
      latenessCount: s.latenessCount,
      latenessMaxMs: s.latenessMaxMs,
      framesSkipped: s.framesSkipped,
      promptCacheBytes: this.#prompts.bytes,
    };
  }
}

/** Request id of the tones played for a relayed digit: no caller waits for it. */
const RELAYED_DIGIT = 0;

/** Marker for requests whose reply is posted later (play, playCollect). */
const PENDING = Symbol('pending');

/** ITU-T Q.23 DTMF frequency pairs, as tone specs for in-band sending. */
const DTMF_FREQS: Record<string, string> = {
  '1': '697+1209', '2': '697+1336', '3': '697+1477', A: '697+1633',
  '4': '770+1209', '5': '770+1336', '6': '770+1477', B: '770+1633',
  '7': '852+1209', '8': '852+1336', '9': '852+1477', C: '852+1633',
  '*': '941+1209', '0': '941+1336', '#': '941+1477', D: '941+1633',
};
