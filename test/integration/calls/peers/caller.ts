/**
 * A subscriber calling the hotline, as a SIPp scenario generated per test.
 *
 * Why generated: SIPp 3.6.1 opens the file of `<exec play_pcap_audio="…"/>` when it loads
 * the scenario, so neither `-key name value` keywords nor `-inf` injection fields are
 * substituted there (tried: "Can't open PCAP file '…dtmf_2833_[field0].pcap'"). The digits
 * to press are therefore written into the XML by `callerScenario()`.
 *
 * The call: INVITE without credentials offering PCMA (8) and telephone-event/8000 (101,
 * `a=fmtp:101 0-15`) on SIPp's `[media_port]`; optional 100/180/181/182/183; 200 (its Contact
 * is the target of ACK and BYE); ACK. Then the key presses, then the caller's voice
 * (`g711a.pcap`: PCMA, 30 ms packets, 7.05 s, looped), then either the caller hangs up
 * (BYE, expects 200) or it waits for the server's BYE and answers 200.
 *
 * RTP, as SIPp 3.6.1 sends it (measured; see README.md):
 * - One play at a time per call: a `play_pcap_audio` started while another plays cuts the
 *   first one off (a key pressed 60 ms after another: 4 packets of the first, no end packet).
 *   Each shipped `dtmf_2833_N.pcap` lasts 140 ms (8 packets 20 ms apart; the end packet,
 *   sent 3 times in one burst at 140 ms). So key presses are at least 200 ms apart, and the
 *   caller's voice starts after the last key, not under it.
 * - SIPp rewrites only the UDP ports of a capture, nothing in RTP. The shipped DTMF captures
 *   all carry SSRC 0x0e05384e and one fixed RTP timestamp per digit (1 < 0 < 2 < … < 9 < * < #):
 *   pressing a digit twice sends the same event twice, and a digit after a "later" one goes
 *   back in time. An RFC 4733 receiver that drops events whose timestamp is not newer than the
 *   last one (hotline's Rfc4733Receiver does, as §2.5.2.2 allows) then loses keys: with '1'
 *   and then '123456#', the contract's leading '1' disappears.
 *   Default `rtp: 'rewrite'` writes a copy of each capture into the scenario's folder with
 *   one SSRC for the whole call, consecutive sequence numbers, and RTP timestamps that follow
 *   the scenario's clock (8 per ms), so every key press is a new event. Payloads (event code,
 *   volume, durations, end bit) are the shipped ones. `rtp: 'shipped'` plays the files in
 *   /usr/share/sip-tester as they are.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';

/** Audio and DTMF captures shipped with Debian's sip-tester. */
export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

/** Length of the RTP in one shipped `dtmf_2833_N.pcap`, first packet to the end packets. */
export const DTMF_PCAP_MS = 140;
/** Period of `g711a.pcap` played in a loop: 236 PCMA packets of 30 ms (first to last packet 7.05 s, then 30 ms to the next). */
export const G711A_PCAP_MS = 7080;
/** Smallest start-to-start gap between key presses that does not cut a press short. */
export const MIN_KEY_INTERVAL_MS = 200;

/** A string: keys pressed one after the other; a number: a pause in ms. */
export type KeyStep = string | number;

export interface CallerOptions {
  /** Request-URI user (the number dialled). Default: SIPp's `[service]` (set with `-s`; SIPp's default is "service"). */
  service?: string;
  /** The subscriber's user part in From and Contact (caller ID). Default 'subscriber'. */
  from?: string;
  /** Display name in From. Default none. */
  displayName?: string;
  /** Keys to press after the answer, e.g. `['1', 2000, '123456#']`. Only 0-9, * and #. Default none. */
  keys?: KeyStep[];
  /** From the ACK to the first key press (the greeting plays meanwhile). Default 1000 ms. */
  firstKeyDelayMs?: number;
  /** Start of one key press to the start of the next (and to the voice after the last key). Default 400 ms, at least 200. */
  keyIntervalMs?: number;
  /**
   * Who ends the call. 'caller': after the keys the caller talks for `talkSeconds`, then sends
   * BYE and expects 200 (a BYE from the server before that fails the call). 'server': the
   * caller waits for the server's BYE (at any time after the ACK, keys pressed so far) and
   * answers 200; no BYE within `talkSeconds` after the keys fails the call.
   */
  hangup?: 'caller' | 'server';
  /** 'caller': how long the caller talks after the keys; 'server': longest wait for the BYE after them. Default 5 s. */
  talkSeconds?: number;
  /** Send the caller's voice (PCMA) after the keys. Default true. */
  voice?: boolean;
  /** 'rewrite' (default): per-call copies of the captures with coherent SSRC/sequence/timestamps; 'shipped': the files as they are. */
  rtp?: 'rewrite' | 'shipped';
  /** Longest wait for the final response to the INVITE; the call fails after it. Default 30 000 ms. */
  answerTimeoutMs?: number;
}

/** One key press as scheduled: ms after the ACK. */
export interface ScheduledKey {
  key: string;
  atMs: number;
}

export interface CallerScenario {
  /** The scenario XML. */
  xml: string;
  /** Capture files the XML refers to, to be written next to it (`rtp: 'rewrite'`). */
  pcaps: Array<{ file: string; data: Buffer }>;
  /** Key presses in order, with their planned time after the ACK. */
  keys: ScheduledKey[];
  /** Planned time from the ACK to the caller's BYE ('caller'), or to the end of the wait for the server's BYE ('server'). */
  durationMs: number;
}

const DTMF_FILE: Record<string, string> = { '*': 'star', '#': 'pound' };
for (const d of '0123456789') DTMF_FILE[d] = d;

/** Build the scenario; capture copies (rewrite mode) are named for files in `dir`. */
export function callerScenario(opts: CallerOptions, dir: string): CallerScenario {
  const service = opts.service ?? '[service]';
  const from = opts.from ?? 'subscriber';
  checkToken('service', service);
  checkToken('from', from);
  if (opts.displayName !== undefined && /["\r\n\\]|]]>/.test(opts.displayName)) throw new Error(`bad displayName ${JSON.stringify(opts.displayName)}`);
  const hangup = opts.hangup ?? 'caller';
  const rtpMode = opts.rtp ?? 'rewrite';
  const voice = opts.voice ?? true;
  const interval = opts.keyIntervalMs ?? 400;
  if (!(interval >= MIN_KEY_INTERVAL_MS)) throw new Error(`keyIntervalMs ${interval} < ${MIN_KEY_INTERVAL_MS}: a press would cut the previous one short`);
  const firstDelay = nonNegative('firstKeyDelayMs', opts.firstKeyDelayMs ?? 1000);
  const talkMs = Math.round(1000 * nonNegative('talkSeconds', opts.talkSeconds ?? 5));
  const answerTimeout = Math.round(nonNegative('answerTimeoutMs', opts.answerTimeoutMs ?? 30_000));

  // The media timeline, in ms after the ACK: plays and waits, in order.
  type Step = { play: string } | { waitMs: number };
  const steps: Step[] = [];
  const pcaps: Array<{ file: string; data: Buffer }> = [];
  const keys: ScheduledKey[] = [];
  const rtp = rtpMode === 'rewrite' ? new RtpRewriter() : undefined;
  let t = 0;
  const wait = (ms: number): void => {
    if (ms <= 0) return;
    steps.push({ waitMs: Math.round(ms) });
    t += Math.round(ms);
  };
  wait(firstDelay);
  for (const step of opts.keys ?? []) {
    if (typeof step === 'number') {
      wait(nonNegative('pause in keys', step));
      continue;
    }
    for (const key of step) {
      const name = DTMF_FILE[key];
      if (name === undefined) throw new Error(`key ${JSON.stringify(key)}: only 0-9, * and # have a capture`);
      const shipped = join(SIPP_PCAP_DIR, `dtmf_2833_${name}.pcap`);
      if (rtp === undefined) steps.push({ play: shipped });
      else {
        const file = join(dir, `key${String(keys.length + 1).padStart(2, '0')}_${name}.pcap`);
        pcaps.push({ file, data: rtp.event(readPcap(shipped), t) });
        steps.push({ play: file });
      }
      keys.push({ key, atMs: t });
      wait(interval);
    }
  }
  if (voice && talkMs > 0) {
    if (rtp !== undefined) {
      const file = join(dir, 'voice.pcap');
      pcaps.push({ file, data: rtp.audio(readPcap(join(SIPP_PCAP_DIR, 'g711a.pcap')), t, talkMs) });
      steps.push({ play: file });
      wait(talkMs);
    } else {
      // The shipped capture, again every 7.08 s (SIPp cuts the last one short at the end of the call).
      for (let left = talkMs; left > 0; left -= G711A_PCAP_MS) {
        steps.push({ play: join(SIPP_PCAP_DIR, 'g711a.pcap') });
        wait(Math.min(left, G711A_PCAP_MS));
      }
    }
  } else wait(talkMs);
  const durationMs = t;

  const fromHeader = `From: ${opts.displayName !== undefined ? `"${opts.displayName}" ` : ''}<sip:${from}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`;
  const toHeader = `To: <sip:${service}@[remote_ip]:[remote_port]>`;
  const contact = `Contact: <sip:${from}@[local_ip]:[local_port]>`;
  const x: string[] = [];
  x.push(
    `<?xml version="1.0" encoding="ISO-8859-1" ?>`,
    `<!DOCTYPE scenario SYSTEM "sipp.dtd">`,
    `<!-- Generated by test/integration/calls/peers/caller.ts (${hangup} hangs up; keys ${JSON.stringify(keys.map((k) => k.key).join(''))}; rtp ${rtpMode}) -->`,
    `<scenario name="hotline caller">`,
    sendBlock(
      'retrans="500"',
      [
        `INVITE sip:${service}@[remote_ip]:[remote_port] SIP/2.0`,
        `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]`,
        fromHeader,
        toHeader,
        `Call-ID: [call_id]`,
        `CSeq: 1 INVITE`,
        contact,
        `Max-Forwards: 70`,
        `Allow: INVITE, ACK, CANCEL, BYE, OPTIONS`,
        `User-Agent: hotline-test-caller (SIPp)`,
        `Content-Type: application/sdp`,
        `Content-Length: [len]`,
        ``,
        `v=0`,
        `o=- [pid][call_number] 1 IN IP[local_ip_type] [local_ip]`,
        `s=-`,
        `c=IN IP[media_ip_type] [media_ip]`,
        `t=0 0`,
        `m=audio [media_port] RTP/AVP 8 101`,
        `a=rtpmap:8 PCMA/8000`,
        `a=rtpmap:101 telephone-event/8000`,
        `a=fmtp:101 0-15`,
        `a=sendrecv`,
      ],
    ),
    `  <recv response="100" optional="true"/>`,
    `  <recv response="180" optional="true"/>`,
    `  <recv response="181" optional="true"/>`,
    `  <recv response="182" optional="true"/>`,
    `  <recv response="183" optional="true"/>`,
    `  <!-- rrs: the 200's Contact (and Record-Route) is the target of ACK and BYE ([next_url], [routes]) -->`,
    `  <recv response="200" rrs="true" timeout="${answerTimeout}"/>`,
    sendBlock('', [`ACK [next_url] SIP/2.0`, `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]`, `[routes]`, fromHeader, `${toHeader}[peer_tag_param]`, `Call-ID: [call_id]`, `CSeq: 1 ACK`, contact, `Max-Forwards: 70`, `Content-Length: 0`]),
  );
  let label = 0;
  const waits = steps.filter((s) => 'waitMs' in s).length;
  let waitIndex = 0;
  for (const s of steps) {
    if ('play' in s) {
      x.push(`  <nop><action><exec play_pcap_audio="${s.play}"/></action></nop>`);
      continue;
    }
    waitIndex++;
    if (hangup === 'caller') x.push(`  <pause milliseconds="${s.waitMs}"/>`);
    else if (waitIndex < waits) {
      // A pause that a BYE from the server ends early.
      label++;
      x.push(`  <recv request="BYE" timeout="${s.waitMs}" ontimeout="w${label}" next="server_bye"/>`, `  <label id="w${label}"/>`);
    } else x.push(`  <!-- the server must hang up by now -->`, `  <recv request="BYE" timeout="${s.waitMs}" next="server_bye"/>`);
  }
  if (hangup === 'caller') {
    x.push(
      sendBlock('retrans="500"', [
        `BYE [next_url] SIP/2.0`,
        `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]`,
        `[routes]`,
        fromHeader,
        `${toHeader}[peer_tag_param]`,
        `Call-ID: [call_id]`,
        `CSeq: 2 BYE`,
        contact,
        `Max-Forwards: 70`,
        `Content-Length: 0`,
      ]),
      `  <recv response="200" crlf="true"/>`,
    );
  } else {
    if (waits === 0) x.push(`  <recv request="BYE" next="server_bye"/>`);
    x.push(`  <label id="server_bye"/>`, sendBlock('', [`SIP/2.0 200 OK`, `[last_Via:]`, `[last_From:]`, `[last_To:]`, `[last_Call-ID:]`, `[last_CSeq:]`, contact, `Content-Length: 0`]));
  }
  x.push(`</scenario>`, ``);
  return { xml: x.join('\n'), pcaps, keys, durationMs };
}

/**
 * Write the scenario (`caller.xml`) and its capture copies into `dir` (a temp folder the
 * test owns); returns the scenario's path for `startSipp({ scenario: { file } })`.
 */
export function writeCallerScenario(dir: string, opts: CallerOptions): string {
  const s = callerScenario(opts, dir);
  for (const p of s.pcaps) writeFileSync(p.file, p.data);
  const file = join(dir, 'caller.xml');
  writeFileSync(file, s.xml);
  return file;
}

/** Planned ms from the ACK to the end of the call (see CallerScenario.durationMs); add set-up time and a margin for SIPp's `timeoutMs`. */
export function callerDurationMs(opts: CallerOptions): number {
  return callerScenario({ ...opts, rtp: 'shipped' }, '/nonexistent').durationMs;
}

function sendBlock(attrs: string, lines: string[]): string {
  return [`  <send${attrs === '' ? '' : ` ${attrs}`}>`, `    <![CDATA[`, ``, ...lines.map((l) => (l === '' ? '' : `      ${l}`)), ``, `    ]]>`, `  </send>`].join('\n');
}

function checkToken(what: string, v: string): void {
  // SIP user characters (RFC 3261 user / unreserved / escaped), plus SIPp's [keyword] brackets.
  if (!/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%[\]]+$/.test(v) || v.includes(']]>')) throw new Error(`bad ${what} ${JSON.stringify(v)}`);
}

function nonNegative(what: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${what} must be a number >= 0, got ${v}`);
  return v;
}

// ───────────────────────────── captures ─────────────────────────────

export interface CapturedRtp {
  /** Microseconds after the first packet of the capture. */
  atUs: number;
  rtp: Buffer;
}

/** The RTP (UDP payloads) of a classic pcap file: Ethernet or Linux cooked, IPv4, UDP. */
export function readPcap(file: string): CapturedRtp[] {
  const d = readFileSync(file);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && d.readUInt32BE(0) !== 0xa1b2c3d4 && d.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const nano = (le ? magic : d.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  const link = u32(20);
  const l2 = link === 1 ? 14 : link === 113 ? 16 : -1;
  if (l2 < 0) throw new Error(`${file}: link type ${link} (only Ethernet and Linux cooked)`);
  const out: CapturedRtp[] = [];
  let first: number | undefined;
  for (let off = 24; off + 16 <= d.length; ) {
    const us = u32(off) * 1e6 + (nano ? Math.round(u32(off + 4) / 1000) : u32(off + 4));
    const incl = u32(off + 8);
    const frame = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = frame.subarray(l2);
    if (frame.readUInt16BE(l2 - 2) !== 0x0800 || ip[9] !== 17) continue; // IPv4 UDP only
    const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
    const udpLen = ip.readUInt16BE(ihl + 4);
    first ??= us;
    out.push({ atUs: us - first, rtp: Buffer.from(ip.subarray(ihl + 8, ihl + udpLen)) });
  }
  return out;
}

/** A pcap file (Ethernet, IPv4, UDP to port 10000) of these RTP packets; SIPp replaces ports and checksum, and takes the timing from it. */
export function writePcap(packets: CapturedRtp[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts = [header];
  // Packet times from 1 s on: SIPp 3.6.1 (tcpreplay's loop) takes a first time of 0.0 as "not
  // set yet" and then sends the second packet together with the first.
  const baseUs = 1_000_000;
  for (const p of packets) {
    const udpLen = 8 + p.rtp.length;
    const frame = Buffer.alloc(14 + 20 + udpLen);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(20 + udpLen, ip + 2);
    frame[ip + 8] = 64;
    frame[ip + 9] = 17;
    frame.set([127, 0, 0, 1], ip + 12);
    frame.set([127, 0, 0, 1], ip + 16);
    frame.writeUInt16BE(10000, ip + 20);
    frame.writeUInt16BE(10000, ip + 22);
    frame.writeUInt16BE(udpLen, ip + 24);
    p.rtp.copy(frame, ip + 28);
    const rec = Buffer.alloc(16);
    const us = Math.round(baseUs + p.atUs);
    rec.writeUInt32LE(Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return Buffer.concat(parts);
}

/** One RTP source for the whole call: SSRC, sequence numbers and timestamps (8 kHz, from the scenario's clock). */
class RtpRewriter {
  readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0x8000);
  private readonly tsBase = randomInt(0, 0x40000000);

  private ts(ms: number): number {
    return (this.tsBase + Math.round(ms * 8)) >>> 0;
  }

  /** A key press at `atMs`: the capture's packets, one timestamp (the event's start), a sequence number per distinct original one (the 3 end packets share one, as shipped). */
  event(captured: CapturedRtp[], atMs: number): Buffer {
    const seqOf = new Map<number, number>();
    const out = captured.map((c) => {
      const rtp = Buffer.from(c.rtp);
      const orig = rtp.readUInt16BE(2);
      let seq = seqOf.get(orig);
      if (seq === undefined) {
        seq = this.next();
        seqOf.set(orig, seq);
      }
      rtp.writeUInt16BE(seq, 2);
      rtp.writeUInt32BE(this.ts(atMs), 4);
      rtp.writeUInt32BE(this.ssrc, 8);
      return { atUs: c.atUs, rtp };
    });
    return writePcap(out);
  }

  /** `durationMs` of the capture's audio from `atMs`, looped, packet after packet at the capture's packet time; marker on the first. */
  audio(captured: CapturedRtp[], atMs: number, durationMs: number): Buffer {
    if (captured.length < 2) throw new Error('audio capture too short');
    // The capture's packet time to the ms (its timestamps jitter by a few µs).
    const ptimeUs = 1000 * Math.round(((captured[1] as CapturedRtp).atUs - (captured[0] as CapturedRtp).atUs) / 1000);
    const out: CapturedRtp[] = [];
    for (let i = 0; i * ptimeUs < durationMs * 1000; i++) {
      const rtp = Buffer.from((captured[i % captured.length] as CapturedRtp).rtp);
      rtp[1] = (i === 0 ? 0x80 : 0) | ((rtp[1] ?? 0) & 0x7f);
      rtp.writeUInt16BE(this.next(), 2);
      rtp.writeUInt32BE(this.ts(atMs + (i * ptimeUs) / 1000), 4);
      rtp.writeUInt32BE(this.ssrc, 8);
      out.push({ atUs: i * ptimeUs, rtp });
    }
    return writePcap(out);
  }

  private next(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    return s;
  }
}
