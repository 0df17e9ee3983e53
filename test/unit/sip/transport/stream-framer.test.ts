import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamFramer, type FramedItem } from '../../../../src/sip/transport/stream-framer.ts';
import { sipRequest } from './helpers.ts';

const INVITE = sipRequest('INVITE', 'call-1', 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
const BYE = sipRequest('BYE', 'call-2');

/** Feeds `chunks` in order and returns everything framed, messages as text. */
function frame(framer: StreamFramer, chunks: Buffer[]): (string | FramedItem)[] {
  const out: (string | FramedItem)[] = [];
  for (const c of chunks) {
    for (const item of framer.push(c)) out.push(item.kind === 'message' ? item.data.toString('latin1') : item);
  }
  return out;
}

const text = (b: Buffer) => b.toString('latin1');
const bytes = (s: string) => Buffer.from(s, 'latin1');

function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const sorted = [...new Set(cuts)].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of sorted) {
    parts.push(data.subarray(from, cut));
    from = cut;
  }
  parts.push(data.subarray(from));
  return parts;
}

describe('StreamFramer: message boundaries (RFC 3261 §18.3)', () => {
  it('frames one message with its body, exactly Content-Length bytes', () => {
    expect(frame(new StreamFramer(), [INVITE])).toEqual([text(INVITE)]);
  });

  it('frames several messages arriving in one chunk', () => {
    const three = Buffer.concat([INVITE, BYE, INVITE]);
    expect(frame(new StreamFramer(), [three])).toEqual([text(INVITE), text(BYE), text(INVITE)]);
  });

  it('gives the same messages for two concatenated messages split at every byte position', () => {
    const both = Buffer.concat([INVITE, BYE]);
    for (let i = 0; i <= both.length; i++) {
      const got = frame(new StreamFramer(), [both.subarray(0, i), both.subarray(i)]);
      expect(got, `split at ${i}`).toEqual([text(INVITE), text(BYE)]);
    }
  });

  it('gives the same messages whatever the chunking (property)', () => {
    const stream = Buffer.concat([bytes('\r\n'), INVITE, bytes('\r\n\r\n'), BYE, INVITE]);
    const expected = [text(INVITE), { kind: 'keepalive-ping' }, text(BYE), text(INVITE)];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        expect(frame(new StreamFramer(), splitAt(stream, cuts))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('frames a stream fed one byte at a time', () => {
    const both = Buffer.concat([INVITE, BYE]);
    const drip = [...both].map((b) => Buffer.from([b]));
    expect(frame(new StreamFramer(), drip)).toEqual([text(INVITE), text(BYE)]);
  });

  it('skips CRLFs before a start line (RFC 3261 §7.5)', () => {
    expect(frame(new StreamFramer(), [bytes('\r\n'), INVITE])).toEqual([text(INVITE)]);
  });

  it('understands the compact form "l", any case, and whitespace around the colon', () => {
    for (const header of ['l: 4', 'L:4', 'CONTENT-LENGTH: 4', 'content-length\t :  4  ', 'Content-Length:\r\n 4']) {
      const msg = bytes(`MESSAGE sip:a@b SIP/2.0\r\nCall-ID: x\r\n${header}\r\n\r\nabcd`);
      expect(frame(new StreamFramer(), [msg]), header).toEqual([text(msg)]);
    }
  });

  it('does not take a header that merely starts like Content-Length for it', () => {
    const msg = bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length-X: 9\r\nLength: 9\r\nl: 2\r\n\r\nok');
    expect(frame(new StreamFramer(), [msg])).toEqual([text(msg)]);
  });

  it('accepts a repeated Content-Length with the same value', () => {
    const msg = bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 2\r\n\r\nok');
    expect(frame(new StreamFramer(), [msg])).toEqual([text(msg)]);
  });

  it('accepts Content-Length 0 and a message of exactly maxMessageBytes', () => {
    const head = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\n';
    const exact = bytes(head + '0123456789');
    expect(frame(new StreamFramer({ maxMessageBytes: exact.length }), [exact])).toEqual([text(exact)]);
    expect(frame(new StreamFramer(), [BYE])).toEqual([text(BYE)]);
  });
});

describe('StreamFramer: keep-alives (RFC 5626 §4.4.1)', () => {
  it('reports a double-CRLF ping between messages, also when split', () => {
    expect(frame(new StreamFramer(), [bytes('\r\n\r\n')])).toEqual([{ kind: 'keepalive-ping' }]);
    expect(frame(new StreamFramer(), [bytes('\r'), bytes('\n\r'), bytes('\n')])).toEqual([{ kind: 'keepalive-ping' }]);
    expect(frame(new StreamFramer(), [INVITE, bytes('\r\n\r\n\r\n\r\n'), BYE])).toEqual([
      text(INVITE),
      { kind: 'keepalive-ping' },
      { kind: 'keepalive-ping' },
      text(BYE),
    ]);
  });

  it('treats a single CRLF (a pong) as nothing', () => {
    expect(frame(new StreamFramer(), [bytes('\r\n'), BYE, bytes('\r\n')])).toEqual([text(BYE)]);
  });
});

describe('StreamFramer: framing errors end the stream', () => {
  const error = (items: (string | FramedItem)[]) => items.find((i): i is Extract<FramedItem, { kind: 'error' }> => typeof i !== 'string');

  it('rejects a message without Content-Length (mandatory on streams)', () => {
    const items = frame(new StreamFramer(), [bytes('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n')]);
    expect(items).toEqual([{ kind: 'error', reason: expect.stringContaining('missing Content-Length') }]);
  });

  it.each(['-1', 'abc', '1.5', '', '0x10', '1 2', '99999999999'])('rejects Content-Length "%s"', (value) => {
    const items = frame(new StreamFramer(), [bytes(`OPTIONS sip:a@b SIP/2.0\r\nContent-Length: ${value}\r\n\r\n`)]);
    expect(error(items)?.kind).toBe('error');
  });

  it('rejects conflicting Content-Length values', () => {
    const items = frame(new StreamFramer(), [bytes('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\nl: 3\r\n\r\nabc')]);
    expect(error(items)?.reason).toMatch(/conflicting/);
  });

  it('rejects a header section longer than maxMessageBytes without waiting for its end', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1024 });
    const items = frame(framer, [bytes('OPTIONS sip:a@b SIP/2.0\r\n'), bytes('X-Pad: ' + 'a'.repeat(2000))]);
    expect(error(items)?.reason).toMatch(/header section larger than 1024/);
  });

  it('rejects a message whose Content-Length takes it past maxMessageBytes before the body arrives', () => {
    const framer = new StreamFramer({ maxMessageBytes: 1024 });
    const items = frame(framer, [bytes('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1000\r\n\r\n')]);
    expect(error(items)?.reason).toMatch(/larger than 1024/);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('uses 65,535 bytes as the default limit', () => {
    const head = 'MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 65500\r\n\r\n';
    expect(error(frame(new StreamFramer(), [bytes(head)]))?.reason).toMatch(/larger than 65535/);
  });

  it('delivers the messages before the bad one, then nothing more', () => {
    const framer = new StreamFramer();
    const items = frame(framer, [Buffer.concat([BYE, bytes('BYE sip:a@b SIP/2.0\r\n\r\n'), INVITE])]);
    expect(items[0]).toBe(text(BYE));
    expect(error(items)?.kind).toBe('error');
    expect(items).toHaveLength(2);
    expect(framer.failed).toBe(true);
    expect(framer.push(INVITE)).toEqual([]);
  });
});

describe('StreamFramer: cost', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns a message that arrived whole as a view of the chunk, and copies only split messages', () => {
    const framer = new StreamFramer();
    const [whole] = framer.push(INVITE);
    expect(whole?.kind === 'message' && whole.data.buffer === INVITE.buffer).toBe(true);

    const split = Buffer.from(BYE);
    framer.push(split.subarray(0, 10));
    const [joined] = framer.push(split.subarray(10));
    if (joined?.kind !== 'message') throw new Error('expected a message');
    // The framer reuses nothing it handed out: feeding more must not change it.
    framer.push(INVITE.subarray(0, 50));
    framer.push(INVITE.subarray(50));
    expect(text(joined.data)).toBe(text(BYE));
  });

  it('searches each byte of a slow drip a bounded number of times (no quadratic rescans)', () => {
    const size = 60_000;
    const message = bytes('MESSAGE sip:a@b SIP/2.0\r\nX-Pad: ' + 'a'.repeat(size) + '\r\nContent-Length: 0\r\n\r\n');
    const framer = new StreamFramer({ maxMessageBytes: 65_535 });
    let searched = 0;
    const indexOf = Buffer.prototype.indexOf;
    vi.spyOn(Buffer.prototype, 'indexOf').mockImplementation(function (this: Buffer, value, byteOffset, encoding) {
      searched += this.length - (typeof byteOffset === 'number' ? byteOffset : 0);
      return indexOf.call(this, value, byteOffset, encoding);
    });
    let delivered = 0;
    for (let i = 0; i < message.length; i += 7) {
      for (const item of framer.push(message.subarray(i, i + 7))) if (item.kind === 'message') delivered++;
    }
    expect(delivered).toBe(1);
    // Linear: a few passes over the message. A rescan from the start on each push would be ~size²/14 ≈ 2.6e8.
    expect(searched).toBeGreaterThanOrEqual(size);
    expect(searched).toBeLessThan(message.length * 4);
  });
});
