/** Minimal RIFF/WAVE reader for tests: walks the chunks, returns 16-bit PCM samples. */
export interface Wav {
  sampleRate: number;
  channels: number;
  samples: Int16Array;
}

export function readWav(file: Buffer): Wav {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('wav: not RIFF/WAVE');
  }
  let off = 12;
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  while (off + 8 <= file.length) {
    const id = file.toString('latin1', off, off + 4);
    let size = file.readUInt32LE(off + 4);
    const body = off + 8;
    // sox/espeak may write 0xFFFFFFFF or an over-long size for a streamed data chunk.
    if (body + size > file.length) size = file.length - body;
    if (id === 'fmt ') {
      fmt = {
        format: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        rate: file.readUInt32LE(body + 4),
        bits: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (fmt === null) throw new Error('wav: data before fmt');
      if ((fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16) {
        throw new Error(`wav: want 16-bit PCM, got format ${fmt.format} / ${fmt.bits} bits`);
      }
      const count = size >> 1;
      const samples = new Int16Array(count);
      for (let i = 0; i < count; i++) samples[i] = file.readInt16LE(body + i * 2);
      return { sampleRate: fmt.rate, channels: fmt.channels, samples };
    }
    off = body + size + (size & 1);
  }
  throw new Error('wav: no data chunk');
}

/** 8 kHz mono PCM16 WAV with a plain 44-byte header. */
export function wavBytes(pcm: Int16Array): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length * 2, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length * 2, 40);
  return Buffer.concat([h, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]);
}
