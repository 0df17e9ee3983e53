import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { alawToLinear, ulawToLinear } from '../../../src/media/codecs/g711.ts';
import { MediaError } from '../../../src/media/errors.ts';
import { parseWav, readWavFile, WavWriter } from '../../../src/media/wav.ts';

let dir = '';

function sox(...args: string[]): void {
  execFileSync('sox', args, { stdio: 'pipe' });
}

function soxDuration(file: string): number {
  return Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }).trim());
}

function mediaError(fn: () => unknown): MediaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    return err as MediaError;
  }
  throw new Error('expected a MediaError');
}

/** A RIFF chunk: id, little-endian size, body, pad byte when the size is odd. */
function chunk(id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function fmtPcm16(channels = 1, rate = 8000): Buffer {
  const f = Buffer.alloc(16);
  f.writeUInt16LE(1, 0);
  f.writeUInt16LE(channels, 2);
  f.writeUInt32LE(rate, 4);
  f.writeUInt32LE(rate * channels * 2, 8);
  f.writeUInt16LE(channels * 2, 12);
  f.writeUInt16LE(16, 14);
  return f;
}

function pcmData(samples: number[]): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-wav-'));
  const synth = ['synth', '0.5', 'sine', '440'];
  sox('-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', join(dir, 'pcm.wav'), ...synth);
  sox('-n', '-r', '8000', '-c', '1', '-e', 'mu-law', join(dir, 'ulaw.wav'), ...synth);
  sox('-n', '-r', '8000', '-c', '1', '-e', 'a-law', join(dir, 'alaw.wav'), ...synth);
  sox('-n', '-r', '44100', '-c', '2', '-b', '16', '-e', 'signed-integer', join(dir, 'cd.wav'), ...synth);
  sox('-n', '-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned-integer', join(dir, 'u8.wav'), ...synth);
  sox('-n', '-r', '8000', '-c', '1', '-b', '32', '-e', 'floating-point', join(dir, 'float.wav'), ...synth);
  sox('-n', '-r', '8000', '-c', '1', '-e', 'ima-adpcm', join(dir, 'adpcm.wav'), ...synth);
  sox('-n', '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', join(dir, 'wide.wav'), ...synth);
  // 24-bit forces WAVE_FORMAT_EXTENSIBLE (40-byte fmt); 16-bit mono PCM extensible is built by hand below.
  sox('-n', '-r', '8000', '-c', '1', '-b', '24', '-e', 'signed-integer', join(dir, 'pcm24.wav'), ...synth);
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('parseWav / readWavFile on sox files', () => {
  it('reads 8 kHz mono PCM 16-bit', async () => {
    const raw = readFileSync(join(dir, 'pcm.wav'));
    const wav = await readWavFile(join(dir, 'pcm.wav'));
    expect(wav.format).toBe('pcm16');
    expect(wav.sampleRate).toBe(8000);
    expect(wav.samples.length).toBe(4000);
    expect(wav.durationMs).toBe(500);
    const peak = wav.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(20000); // a loud sine, not garbage
    const dataAt = raw.indexOf('data') + 8;
    for (let i = 0; i < 4000; i += 97) expect(wav.samples[i]).toBe(raw.readInt16LE(dataAt + 2 * i));
  });

  it('reads µ-law with its 18-byte fmt and fact chunk, decoding to linear', async () => {
    const path = join(dir, 'ulaw.wav');
    const raw = readFileSync(path);
    expect(raw.readUInt32LE(16)).toBe(18);
    expect(raw.includes(Buffer.from('fact'))).toBe(true);
    const wav = await readWavFile(path);
    expect(wav.format).toBe('ulaw');
    expect(wav.samples.length).toBe(4000);
    expect(wav.durationMs).toBe(500);
    const dataAt = raw.indexOf('data') + 8;
    for (let i = 0; i < 50; i++) expect(wav.samples[i]).toBe(ulawToLinear(raw[dataAt + i] as number));
  });

  it('reads A-law', async () => {
    const path = join(dir, 'alaw.wav');
    const raw = readFileSync(path);
    const wav = await readWavFile(path);
    expect(wav.format).toBe('alaw');
    expect(wav.durationMs).toBe(500);
    const dataAt = raw.indexOf('data') + 8;
    for (let i = 0; i < 50; i++) expect(wav.samples[i]).toBe(alawToLinear(raw[dataAt + i] as number));
  });

  it('rejects 44.1 kHz stereo naming the file and the format found', async () => {
    const path = join(dir, 'cd.wav');
    await expect(readWavFile(path)).rejects.toMatchObject({
      code: 'MEDIA_UNSUPPORTED_WAV',
      message: `${path}: 44100 Hz stereo PCM 16-bit; hotline plays 8000 Hz mono PCM 16-bit, A-law or µ-law`,
    });
  });

  it.each([
    ['u8.wav', '8000 Hz mono PCM 8-bit'],
    ['float.wav', '8000 Hz mono IEEE float 32-bit'],
    ['adpcm.wav', '8000 Hz mono IMA ADPCM'],
    ['wide.wav', '16000 Hz mono PCM 16-bit'],
    ['pcm24.wav', '8000 Hz mono PCM 24-bit'], // via WAVE_FORMAT_EXTENSIBLE
  ])('rejects %s as %s', async (file, found) => {
    const err = await readWavFile(join(dir, file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ code: 'MEDIA_UNSUPPORTED_WAV' });
    expect((err as MediaError).message).toContain(`${file}: ${found};`);
  });

  it('reports a missing file as MEDIA_FILE_ERROR', async () => {
    await expect(readWavFile(join(dir, 'nope.wav'))).rejects.toMatchObject({ code: 'MEDIA_FILE_ERROR' });
  });

  it('turns every truncation of a real file into MediaError, never a crash', () => {
    const raw = readFileSync(join(dir, 'ulaw.wav'));
    for (let len = 0; len < 80; len++) {
      const err = mediaError(() => parseWav(raw.subarray(0, len), 'cut.wav'));
      expect(err.code).toBe('MEDIA_BAD_WAV');
      expect(err.message.startsWith('cut.wav: ')).toBe(true);
    }
    expect(mediaError(() => parseWav(raw.subarray(0, raw.length - 1), 'cut.wav')).message).toContain('truncated');
  });
});

describe('parseWav on hand-built files', () => {
  const samples = [0, 1, -1, 32767, -32768, 1234];

  it('skips a LIST chunk before data and an odd-sized chunk with its pad byte', () => {
    const list = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00', 'latin1'));
    const odd = chunk('junk', Buffer.from([1, 2, 3])); // 3 bytes + pad
    const file = riff(chunk('fmt ', fmtPcm16()), odd, list, chunk('data', pcmData(samples)));
    const wav = parseWav(file, 'hand.wav');
    expect([...wav.samples]).toEqual(samples);
    expect(wav.durationMs).toBe(0.75);
  });

  it('accepts data before fmt and chunks after data', () => {
    const file = riff(chunk('data', pcmData(samples)), chunk('fmt ', fmtPcm16()), chunk('id3 ', Buffer.alloc(5)));
    expect([...parseWav(file, 'x.wav').samples]).toEqual(samples);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with the PCM sub-format GUID, rejects an unknown GUID', () => {
    const ext = Buffer.alloc(40);
    fmtPcm16().copy(ext);
    ext.writeUInt16LE(0xfffe, 0);
    ext.writeUInt16LE(22, 16); // cbSize
    ext.writeUInt16LE(16, 18); // valid bits
    ext.writeUInt32LE(4, 20); // channel mask: front centre
    Buffer.from('0100000000001000800000aa00389b71', 'hex').copy(ext, 24);
    expect([...parseWav(riff(chunk('fmt ', ext), chunk('data', pcmData(samples))), 'ext.wav').samples]).toEqual(samples);

    ext[30] = 0x42; // corrupt the GUID tail
    const err = mediaError(() => parseWav(riff(chunk('fmt ', ext), chunk('data', pcmData(samples))), 'ext.wav'));
    expect(err.code).toBe('MEDIA_UNSUPPORTED_WAV');
    expect(err.message).toContain('sub-format GUID');
  });

  it('names missing chunks and bad headers', () => {
    expect(mediaError(() => parseWav(riff(chunk('data', pcmData(samples))), 'a.wav')).message).toBe(
      'a.wav: not a valid WAV file: no fmt chunk',
    );
    expect(mediaError(() => parseWav(riff(chunk('fmt ', fmtPcm16())), 'b.wav')).message).toBe(
      'b.wav: not a valid WAV file: no data chunk',
    );
    expect(mediaError(() => parseWav(Buffer.from('ID3\x03 this is an mp3 really'), 'c.wav')).code).toBe('MEDIA_BAD_WAV');
    const avi = riff(chunk('fmt ', fmtPcm16()));
    avi.write('AVI ', 8, 'latin1');
    expect(mediaError(() => parseWav(avi, 'd.wav')).message).toContain('not "WAVE"');
    expect(mediaError(() => parseWav(riff(chunk('fmt ', Buffer.alloc(14)), chunk('data', Buffer.alloc(2))), 'e.wav')).code).toBe(
      'MEDIA_BAD_WAV',
    );
  });

  it('rejects a chunk whose size runs past the end of the file', () => {
    const file = riff(chunk('fmt ', fmtPcm16()), chunk('LIST', Buffer.alloc(4)), chunk('data', pcmData(samples)));
    file.writeUInt32LE(0x7fffffff, 12 + 24 + 4); // LIST size
    const err = mediaError(() => parseWav(file, 'f.wav'));
    expect(err.code).toBe('MEDIA_BAD_WAV');
    expect(err.message).toContain('"LIST" chunk declares');
  });
});

describe('WavWriter', () => {
  it('writes mono PCM16 that parseWav and soxi read back with the right duration', async () => {
    const path = join(dir, 'rec-mono.wav');
    const w = await WavWriter.open(path, { bufferBytes: 1024 });
    const frame = new Int16Array(160);
    for (let f = 0; f < 150; f++) {
      for (let i = 0; i < 160; i++) frame[i] = Math.round(8000 * Math.sin((f * 160 + i) / 5));
      w.write(frame);
    }
    expect(w.durationMs).toBe(3000);
    const res = await w.close();
    expect(res).toEqual({ bytes: 44 + 150 * 320, durationMs: 3000 });
    expect(await w.close()).toBe(res); // idempotent
    expect(() => w.write(frame)).toThrow(expect.objectContaining({ code: 'MEDIA_WRITER_CLOSED' }) as Error);

    const wav = await readWavFile(path);
    expect(wav.format).toBe('pcm16');
    expect(wav.samples.length).toBe(24000);
    expect(wav.samples[24000 - 1]).toBe(Math.round(8000 * Math.sin(23999 / 5)));
    expect(soxDuration(path)).toBe(3);
  });

  it('writes stereo (one leg per channel) that soxi reads with the right duration', async () => {
    const path = join(dir, 'rec-stereo.wav');
    const w = await WavWriter.open(path, { channels: 2 });
    const left = new Int16Array(160).fill(1000);
    const right = new Int16Array(160).fill(-1000);
    for (let f = 0; f < 100; f++) w.writeStereo(left, right);
    w.write(Int16Array.from([5, -5]));
    expect(() => w.write(Int16Array.from([1, 2, 3]))).toThrow(MediaError); // half a frame
    const res = await w.close();
    expect(res.durationMs).toBeCloseTo(2000.125, 6);
    expect(res.bytes).toBe(44 + 16001 * 4);
    expect(soxDuration(path)).toBeCloseTo(2.000125, 6);
    expect(execFileSync('soxi', ['-c', path], { encoding: 'utf8' }).trim()).toBe('2');
    // hotline does not *play* stereo, and says so
    await expect(readWavFile(path)).rejects.toMatchObject({ code: 'MEDIA_UNSUPPORTED_WAV' });
  });

  it('a writer that is synced but never closed leaves a readable file up to the last sync', async () => {
    const path = join(dir, 'rec-crash.wav');
    const w = await WavWriter.open(path, { bufferBytes: 4096, syncEveryBytes: 0 });
    const frame = new Int16Array(160).fill(300);
    for (let f = 0; f < 50; f++) w.write(frame); // 1 s
    expect(parseWav(readFileSync(path), path).samples.length).toBe(0); // placeholder header is still valid

    await w.sync();
    for (let f = 0; f < 100; f++) w.write(frame); // 2 s more, partly flushed, never synced
    await vi.waitFor(() => expect(readFileSync(path).length).toBeGreaterThan(44 + 16000 + 16000));

    const crashed = readFileSync(path); // the "crash": read what is on disk now
    const wav = parseWav(crashed, path);
    expect(wav.durationMs).toBe(1000);
    expect(wav.samples.every((s) => s === 300)).toBe(true);
    const copy = join(dir, 'crash-copy.wav');
    writeFileSync(copy, crashed);
    expect(soxDuration(copy)).toBe(1);

    await w.close(); // tidy up the handle
    expect(soxDuration(path)).toBe(3);
  });

  it('patches the header by itself every syncEveryBytes', async () => {
    const path = join(dir, 'rec-auto.wav');
    const w = await WavWriter.open(path, { bufferBytes: 1024, syncEveryBytes: 8000 * 2 }); // every second
    const frame = new Int16Array(160);
    for (let f = 0; f < 125; f++) w.write(frame); // 2.5 s
    await vi.waitFor(() => expect(parseWav(readFileSync(path), path).durationMs).toBe(2000));
    await w.close();
    expect(parseWav(readFileSync(path), path).durationMs).toBe(2500);
  });

  it('reports file-system errors as MEDIA_FILE_ERROR', async () => {
    await expect(WavWriter.open(join(dir, 'no', 'such', 'dir.wav'))).rejects.toMatchObject({ code: 'MEDIA_FILE_ERROR' });
  });
});
