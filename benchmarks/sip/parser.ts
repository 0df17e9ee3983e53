/**
 * SIP parser throughput on one core: a softphone's INVITE with an SDP offer
 * (~900 bytes, 12 headers), parsed N times, each time reading what a proxy
 * or UAS always reads — top Via branch, Call-ID, CSeq, From tag, To tag,
 * Max-Forwards, Content-Length.
 *
 *   npx tsx benchmarks/sip/parser.ts [--n 300000] [--rounds 5]
 *
 * Prints one JSON line; nsPerParse and parsesPerSecond are the median round.
 * calibrationNs is the median time of JSON.parse on a fixed 150-byte
 * document, measured in the same process: on a shared or throttled machine
 * every figure moves with it, so compare nsPerParse / calibrationNs across
 * machines rather than raw rates.
 */
import { median, numericFlag, progress, report, round } from '../_util.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';

const SDP = [
  'v=0',
  'o=- 3913728105 3913728105 IN IP4 192.168.1.34',
  's=Zoiper',
  'c=IN IP4 192.168.1.34',
  't=0 0',
  'm=audio 52134 RTP/AVP 0 8 3 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:3 GSM/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:8800@hotline.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.168.1.34:52310;branch=z9hG4bK-524287-1---6b0d8ce1a0f4e1e2;rport',
    'Max-Forwards: 70',
    'Contact: <sip:alice@192.168.1.34:52310;transport=UDP>',
    'To: <sip:8800@hotline.example.com>',
    'From: "Alice Smith"<sip:alice@hotline.example.com>;tag=9c5b2a1f',
    'Call-ID: MzY2ZjQ1YjE3YTc0ZGE1NjE5ZTQ4NzRhYmQ0OTQ2NGI',
    'CSeq: 1 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'Content-Type: application/sdp',
    'Supported: replaces, norefersub, extended-refer, timer, outbound, path, X-cisco-serviceuri',
    'User-Agent: Z 5.6.1 v2.10.19.9',
    'Allow-Events: presence, kpml, talk',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n'),
);

/** Parse and read the fields every proxy/UAS reads; returns a checksum so nothing is optimised away. */
function parseOnce(): number {
  const msg = parseMessage(INVITE);
  const branch = msg.topVia()?.params.get('branch') ?? '';
  const callId = msg.callId();
  const cseq = msg.cseq();
  const fromTag = msg.from().params.get('tag') ?? '';
  const toTag = msg.to().params.get('tag') ?? '';
  const maxForwards = msg.maxForwards() ?? 70;
  const length = msg.body.length;
  return branch.length + callId.length + cseq.seq + fromTag.length + toTag.length + maxForwards + length;
}

const CALIBRATION = JSON.stringify({ a: 1, b: 'hello world', c: [1, 2, 3], d: { e: 'x'.repeat(100) } });

/** ns per JSON.parse of CALIBRATION: the machine's speed right now, in a unit everyone has. */
function calibrate(): number {
  let k = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100_000; i++) k += (JSON.parse(CALIBRATION) as { a: number }).a;
  if (k !== 100_000) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - t0) / 100_000;
}

const n = numericFlag('n', 300_000);
const rounds = numericFlag('rounds', 5);
progress(`INVITE of ${INVITE.length} bytes; warming up`);
let sink = 0;
for (let i = 0; i < 50_000; i++) sink += parseOnce();

const nsPerParse: number[] = [];
const calibration: number[] = [calibrate()];
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += parseOnce();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  nsPerParse.push(ns);
  calibration.push(calibrate());
  progress(`round ${r + 1}: ${round(ns, 1)} ns/parse`);
}
if (sink === 0) throw new Error('unreachable: checksum is never 0');
const ns = median(nsPerParse);
const calibrationNs = median(calibration);
report('sip.parser', {
  parsesPerSecond: Math.round(1e9 / ns),
  nsPerParse: round(ns, 1),
  calibrationNs: round(calibrationNs, 1),
  parseOverCalibration: round(ns / calibrationNs, 2),
  messageBytes: INVITE.length,
  iterations: n,
  rounds,
});
