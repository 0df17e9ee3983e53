/**
 * Test-side plumbing for the RFC 4475 / RFC 5118 corpus run against a live
 * server: finding and checking the corpus, turning the RFC 5118 archive
 * bytes into wire bytes, reading a few header values out of raw torture
 * messages (without the product's parser), and a UDP and a TCP client that
 * collect what the server answers.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * The corpus folder: $HOTLINE_RFC4475_DIR, else ../shared/testdata/rfc4475
 * beside the project (the files are read in place, never copied). Throws,
 * loudly, when it is not there or its bytes differ from SOURCES.md.
 */
export function corpusDir(): string {
  const fromEnv = process.env.HOTLINE_RFC4475_DIR;
  const dir = fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(ROOT, '../shared/testdata/rfc4475');
  if (!existsSync(join(dir, 'SOURCES.md'))) {
    throw new Error(
      `RFC 4475/5118 corpus NOT FOUND at ${dir} (HOTLINE_RFC4475_DIR=${fromEnv ?? '<unset>'}). ` +
        'These conformance tests need it: check out ../shared beside the project or point HOTLINE_RFC4475_DIR at the folder holding SOURCES.md. ' +
        'Do not copy the files into the project.',
    );
  }
  return dir;
}

/** Every path listed in SOURCES.md with its SHA-256 (so a line-ending conversion by git or an editor is caught). */
export function verifySources(dir: string): Map<string, string> {
  const listed = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'SOURCES.md'), 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\d+\s+(\S+\.dat)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) listed.set(m[2], m[1]);
  }
  const bad: string[] = [];
  for (const [path, sha] of listed) {
    const file = join(dir, path);
    if (!existsSync(file)) bad.push(`${path}: missing`);
    else if (createHash('sha256').update(readFileSync(file)).digest('hex') !== sha) bad.push(`${path}: SHA-256 differs from SOURCES.md (line endings converted?)`);
  }
  if (bad.length > 0) throw new Error(`RFC 4475/5118 corpus at ${dir} is damaged:\n  ${bad.join('\n  ')}`);
  return listed;
}

/** The .dat files of one folder of the corpus (not recursive). */
export function datFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dat'))
    .sort();
}

/**
 * RFC 5118 archive bytes → the message they describe on the wire (SOURCES.md):
 * LF → CRLF, the header section closed by an empty line (two 4.10 messages
 * lack it), Content-Length counted from the body (ipv6-in-sdp says 268 for
 * 242 octets, mult-ip-in-sdp 181 for 180).
 */
export function rfc5118Wire(lf: Buffer): Buffer {
  const text = lf.toString('latin1');
  if (text.includes('\r')) throw new Error('RFC 5118 archive file already has CR bytes: not the archive form');
  const blank = text.indexOf('\n\n');
  const head = (blank >= 0 ? text.slice(0, blank) : text.replace(/\n+$/, '')).split('\n');
  const body = blank >= 0 ? text.slice(blank + 2).replace(/\n/g, '\r\n') : '';
  const lines = head.map((l) => (/^(content-length|l)\s*:/i.test(l) ? `Content-Length: ${Buffer.byteLength(body, 'latin1')}` : l));
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

/** Header values of a raw message by (case-insensitive) names, folded lines joined; no interpretation. */
export function rawHeaders(msg: Buffer, names: string[]): string[] {
  const text = msg.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const lines = (end >= 0 ? text.slice(0, end) : text).split('\r\n').slice(1);
  const unfolded: string[] = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${l.trim()}`;
    else unfolded.push(l);
  }
  const wanted = names.map((n) => n.toLowerCase());
  const out: string[] = [];
  for (const l of unfolded) {
    const colon = l.indexOf(':');
    if (colon < 0) continue;
    if (wanted.includes(l.slice(0, colon).trim().toLowerCase())) out.push(l.slice(colon + 1).trim());
  }
  return out;
}

/** The top Via's sent-by, branch and the CSeq method, read loosely from a raw message. */
export function transactionOf(msg: Buffer): { host: string; port: number | undefined; branch: string; method: string } | undefined {
  const via = rawHeaders(msg, ['via', 'v'])[0];
  const cseq = rawHeaders(msg, ['cseq'])[0];
  if (via === undefined) return undefined;
  const m = /^SIP\s*\/\s*[\d.]+\s*\/\s*[A-Za-z]+\s+(\[[^\]]*\]|[^\s:;,]+)(?:\s*:\s*(\d+))?/i.exec(via);
  if (m?.[1] === undefined) return undefined;
  const branch = /;\s*branch\s*=\s*([^;,\s]+)/i.exec(via)?.[1] ?? '';
  return { host: m[1], port: m[2] !== undefined ? Number(m[2]) : undefined, branch, method: (cseq ?? '').split(/\s+/)[1] ?? '' };
}

/** A response as read by the test (a deliberately small parser, independent of src/). */
export interface Response {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: string;
  raw: string;
}

export function header(r: Response, name: string): string[] {
  const n = name.toLowerCase();
  return r.headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

function parseResponse(buf: Buffer): Response | undefined {
  const raw = buf.toString('utf8');
  const end = raw.indexOf('\r\n\r\n');
  const head = (end >= 0 ? raw.slice(0, end) : raw).split('\r\n');
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(head[0] ?? '');
  if (m?.[1] === undefined) return undefined;
  const headers: Array<[string, string]> = [];
  for (const l of head.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c).trim(), l.slice(c + 1).trim()]);
  }
  return { status: Number(m[1]), reason: m[2] ?? '', headers, body: end >= 0 ? raw.slice(end + 4) : '', raw };
}

/** What came back for one corpus message. */
export interface Exchange {
  responses: Response[];
  /** Datagrams / stream bytes that were not a SIP response. */
  garbage: number;
  /** TCP: the server closed the connection before we did. */
  closedByServer: boolean;
}

export interface SettleRule {
  /** Final responses (>= 200) to wait for; 0: wait the whole window. */
  finals: number;
  /** TCP: also wait for the server to close the connection. */
  close?: boolean;
  /** Longest wait. */
  windowMs: number;
  /** After the last awaited event, keep listening this long for anything extra. */
  lingerMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Duplicates (Timer G retransmissions of an INVITE's final response) collapse to one. */
function dedupe(responses: Response[]): Response[] {
  const seen = new Set<string>();
  return responses.filter((r) => {
    const key = `${r.status}|${header(r, 'cseq')[0] ?? ''}|${header(r, 'call-id')[0] ?? ''}|${header(r, 'to')[0] ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function settle(state: { responses: Response[]; closed: boolean }, rule: SettleRule): Promise<void> {
  const deadline = Date.now() + rule.windowMs;
  const done = (): boolean => {
    const finals = dedupe(state.responses).filter((r) => r.status >= 200).length;
    return rule.finals > 0 && finals >= rule.finals && (rule.close !== true || state.closed);
  };
  while (Date.now() < deadline && !done()) {
    if (rule.finals === 0 && rule.close === true && state.closed) break;
    await sleep(10);
  }
  await sleep(rule.lingerMs);
}

/**
 * UDP: responses go to the top Via's `received` (our source address) at the
 * sent-by port, 5060 by default (RFC 3261 §18.2.2), or to our source port
 * with rport. So each message is sent from its own loopback address
 * (127.44.x.y: nothing else uses it, and retransmissions for one message
 * cannot reach the next) bound to the port its Via names.
 */
export class UdpClient {
  private next = 0;
  private readonly base = 1 + Math.floor(Math.random() * 200);

  constructor(private readonly server: { address: string; port: number }) {}

  async exchange(msg: Buffer, rule: SettleRule): Promise<Exchange & { from: { address: string; port: number } }> {
    const tx = transactionOf(msg);
    const port = tx?.port ?? 5060;
    const n = this.next++;
    const address = `127.44.${this.base + Math.floor(n / 250)}.${1 + (n % 250)}`;
    const socket: UdpSocket = createSocket('udp4');
    const state = { responses: [] as Response[], closed: false, garbage: 0 };
    socket.on('message', (d) => {
      const r = parseResponse(d);
      if (r === undefined) state.garbage++;
      else state.responses.push(r);
    });
    await new Promise<void>((resolveBind, reject) => {
      socket.once('error', (err) => reject(new Error(`cannot bind UDP ${address}:${port} to receive responses: ${err.message}`)));
      socket.bind({ address, port, exclusive: true }, () => resolveBind());
    });
    try {
      await new Promise<void>((ok, fail) => socket.send(msg, this.server.port, this.server.address, (err) => (err ? fail(err) : ok())));
      await settle(state, rule);
    } finally {
      socket.close();
    }
    return { responses: dedupe(state.responses), garbage: state.garbage, closedByServer: false, from: { address, port } };
  }
}

/** TCP: one connection per message; responses framed by Content-Length. */
export async function tcpExchange(server: { address: string; port: number }, msg: Buffer, rule: SettleRule): Promise<Exchange> {
  const socket = connect(server.port, server.address);
  const state = { responses: [] as Response[], closed: false, garbage: 0 };
  let rx = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    rx = Buffer.concat([rx, d]);
    for (;;) {
      const end = rx.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = rx.subarray(0, end).toString('latin1');
      const cl = /^content-length\s*:\s*(\d+)\s*$/im.exec(head);
      const total = end + 4 + Number(cl?.[1] ?? 0);
      if (rx.length < total) return;
      const r = parseResponse(rx.subarray(0, total));
      if (r === undefined) state.garbage++;
      else state.responses.push(r);
      rx = rx.subarray(total);
    }
  });
  socket.on('end', () => (state.closed = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => (state.closed = true));
  await new Promise<void>((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('error', fail);
  });
  socket.write(msg);
  await settle(state, rule);
  const closedByServer = state.closed;
  socket.destroy();
  return { responses: state.responses, garbage: state.garbage, closedByServer };
}
