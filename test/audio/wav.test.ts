/**
 * WAV decoding with wavefile: every PCM width, float 32/64, A-law, µ-law,
 * stereo mixed down; and broken inputs rejected with INPUT_INVALID.
 */
import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { decodeWav, decodeWavChannels, encodeWav, mixToMono, readWav } from '@inproc/audio';
import { thrownCode } from '../helpers/errors.js';

const { WaveFile } = wavefile;

const ramp = Float32Array.from([0, 0.25, -0.25, 0.5, -0.5, 0.999, -1]);

describe('decodeWav', () => {
  it.each([
    ['8', 'pcm', 8, 1 / 128],
    ['16', 'pcm', 16, 1 / 32768],
    ['24', 'pcm', 24, 1 / 8388608],
    ['32', 'pcm', 32, 1 / 2147483648],
    ['32f', 'float', 32, 0],
    ['64', 'float', 64, 0],
  ] as const)('reads %s-bit samples into [-1, 1]', (bitDepth, encoding, bits, step) => {
    const wav = decodeWav(encodeWav([ramp], { sampleRate: 22050, bitDepth }));
    expect(wav).toMatchObject({ sampleRate: 22050, channels: 1, encoding, bitsPerSample: bits });
    expect(wav.samples.length).toBe(ramp.length);
    expect(wav.duration).toBeCloseTo(ramp.length / 22050, 12);
    // Quantisation error is at most one step (float formats are exact in float32).
    ramp.forEach((v, i) => expect(Math.abs(wav.samples[i]! - v)).toBeLessThanOrEqual(step + 1e-7));
    // Integer codes map exactly: -1 is the most negative code.
    if (encoding === 'pcm') expect(wav.samples[6]).toBe(-1);
  });

  it('reads raw integer codes exactly as written by wavefile', () => {
    const w = new WaveFile();
    w.fromScratch(1, 8000, '16', [0, 16384, -32768, 32767]);
    expect([...decodeWav(w.toBuffer()).samples]).toEqual([0, 0.5, -1, 32767 / 32768]);
    const u8 = new WaveFile();
    u8.fromScratch(1, 8000, '8', [128, 192, 0, 255]);
    expect([...decodeWav(u8.toBuffer()).samples]).toEqual([0, 0.5, -1, 127 / 128]);
    const i24 = new WaveFile();
    i24.fromScratch(1, 8000, '24', [-8388608, 4194304, 1]);
    expect([...decodeWav(i24.toBuffer()).samples]).toEqual([-1, 0.5, 1 / 8388608].map(Math.fround));
  });

  it('mixes stereo down to the average and keeps channels on request', () => {
    const left = Float32Array.from([0.5, 0.5, -1]);
    const right = Float32Array.from([0.25, -0.5, 1]);
    const bytes = encodeWav([left, right], { sampleRate: 44100, bitDepth: '32f' });
    const mono = decodeWav(bytes);
    expect(mono.channels).toBe(2);
    expect([...mono.samples]).toEqual([0.375, 0, 0]);
    const both = decodeWavChannels(bytes);
    expect(both.channelData.map((c) => [...c])).toEqual([[...left], [...right]]);
  });

  it('reads big-endian RIFX files and WAVE_FORMAT_EXTENSIBLE headers', () => {
    const rifx = new WaveFile();
    rifx.fromScratch(1, 8000, '16', [0, 16384, -32768], { container: 'RIFX' });
    expect([...decodeWav(rifx.toBuffer()).samples]).toEqual([0, 0.5, -1]);
    // Three float channels: wavefile writes the extensible fmt layout; mark it 0xFFFE with the
    // IEEE-float subformat GUID (its first field is the format code, 3) as other writers do.
    const ext = new WaveFile();
    ext.fromScratch(3, 8000, '32f', [
      [0.5, 0.25],
      [0.5, 0.25],
      [-1, 1],
    ]);
    const bytes = ext.toBuffer();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('fmt ');
    expect(view.getUint32(16, true)).toBe(40); // extensible fmt chunk
    view.setUint16(20, 0xfffe, true);
    view.setUint32(44, 3, true);
    const wav = decodeWav(bytes);
    expect(wav).toMatchObject({ encoding: 'float', channels: 3, bitsPerSample: 32 });
    expect([...wav.samples]).toEqual([0, 0.5].map(Math.fround));
  });

  it('decodes A-law and µ-law through wavefile', () => {
    const tone = Array.from({ length: 1010 }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const reference = tone.map((v) => v / 32768);
    for (const [convert, encoding, bits, tolerance] of [
      ['toALaw', 'alaw', 8, 0.02],
      ['toMuLaw', 'mulaw', 8, 0.02],
    ] as const) {
      const w = new WaveFile();
      w.fromScratch(1, 8000, '16', tone);
      w[convert]();
      const wav = decodeWav(w.toBuffer());
      expect(wav.encoding).toBe(encoding);
      expect(wav.bitsPerSample).toBe(bits);
      expect(wav.samples.length).toBeGreaterThanOrEqual(1000);
      let worst = 0;
      for (let i = 0; i < 1000; i++) worst = Math.max(worst, Math.abs(wav.samples[i]! - reference[i]!));
      expect(worst).toBeLessThan(tolerance);
    }
  });

  it('accepts a 1-sample WAV (callers that need more say so) and ArrayBuffers', () => {
    const one = encodeWav([Float32Array.from([0.5])], { sampleRate: 16000 });
    const wav = decodeWav(one.slice().buffer);
    expect(wav.samples.length).toBe(1);
    expect(wav.samples[0]).toBe(0.5);
  });

  it('rejects empty files, non-WAV bytes, truncated files, unknown encodings and files without samples', () => {
    expect(thrownCode(() => decodeWav(new Uint8Array(0)))).toBe('INPUT_INVALID');
    expect(thrownCode(() => decodeWav(new TextEncoder().encode('not a wav file at all, just text')))).toBe('INPUT_INVALID');
    const good = encodeWav([ramp], { sampleRate: 16000 });
    expect(thrownCode(() => decodeWav(good.subarray(0, 20)))).toBe('INPUT_INVALID');
    // Format tag 0x0055 (MPEG layer 3) in the fmt chunk: a real WAV that cannot be decoded.
    const mp3 = good.slice();
    new DataView(mp3.buffer).setUint16(20, 0x0055, true);
    expect(thrownCode(() => decodeWav(mp3))).toBe('INPUT_INVALID');
    // IMA ADPCM (format 0x0011) is not decoded: wavefile's codec does not round-trip its own output.
    const adpcm = new WaveFile();
    adpcm.fromScratch(1, 8000, '16', [0, 100, 200, 300]);
    adpcm.toIMAADPCM();
    expect(thrownCode(() => decodeWav(adpcm.toBuffer()))).toBe('INPUT_INVALID');
    // 12-bit PCM is a valid header but not a width WAV readers support.
    const odd = good.slice();
    new DataView(odd.buffer).setUint16(34, 12, true);
    expect(thrownCode(() => decodeWav(odd))).toBe('INPUT_INVALID');
    const empty = new WaveFile();
    empty.fromScratch(1, 16000, '16', []);
    expect(thrownCode(() => decodeWav(empty.toBuffer()))).toBe('INPUT_INVALID');
    expect(thrownCode(() => decodeWav('file.wav' as never))).toBe('INPUT_INVALID');
  });
});

describe('readWav', () => {
  it('reads a file, and rejects a missing one with INPUT_INVALID', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'inproc-wav-'));
    try {
      await writeFile(join(dir, 'a.wav'), encodeWav([ramp], { sampleRate: 16000 }));
      expect((await readWav(join(dir, 'a.wav'))).samples.length).toBe(ramp.length);
      await expect(readWav(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('mixToMono and encodeWav', () => {
  it('rejects channels of different lengths and bad rates', () => {
    expect(thrownCode(() => mixToMono([]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => mixToMono([new Float32Array(2), new Float32Array(3)]))).toBe('INPUT_INVALID');
    expect(thrownCode(() => encodeWav([new Float32Array(2)], { sampleRate: 0 }))).toBe('INPUT_INVALID');
  });
});
