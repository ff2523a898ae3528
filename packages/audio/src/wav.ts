/**
 * WAV decoding: the RIFF container is parsed by wavefile (RIFF and big-endian RIFX,
 * WAVE_FORMAT_EXTENSIBLE, A-law and µ-law codecs); PCM and float samples are
 * read straight from the data chunk into float32 in [-1, 1], and channels are averaged
 * to mono. Anything that is not a decodable WAV is `INPUT_INVALID`, never a crash.
 * @module
 */
import { InprocError } from '@inproc/core';
import * as wavefile from 'wavefile';
import type { DecodedWav, DecodedWavChannels, WavEncoding } from './types.js';

// Node loads wavefile's CommonJS build (its exports are the namespace's `default`);
// bundlers take its ES module (`module` field), which has the named export only.
const WaveFile = (wavefile as { WaveFile?: typeof wavefile.WaveFile }).WaveFile ?? (wavefile as unknown as { default: typeof wavefile }).default.WaveFile;

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Decodes a WAV file and mixes its channels down to mono (their average).
 * @throws InprocError `INPUT_INVALID` for an empty or truncated file, bytes that are not a WAV, an encoding it cannot decode (MP3 in WAV, MS ADPCM, ...), or a file without samples
 */
export function decodeWav(bytes: Uint8Array | ArrayBuffer): DecodedWav {
  const { channelData, ...rest } = decodeWavChannels(bytes);
  return { ...rest, samples: mixToMono(channelData) };
}

/**
 * Decodes a WAV file, one float32 array per channel.
 * @throws InprocError `INPUT_INVALID` as {@link decodeWav}
 */
export function decodeWavChannels(bytes: Uint8Array | ArrayBuffer): DecodedWavChannels {
  const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(data instanceof Uint8Array)) throw new InprocError('INPUT_INVALID', `decodeWav: expected a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  if (data.length === 0) throw new InprocError('INPUT_INVALID', 'decodeWav: the file is empty');
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(data);
  } catch (error) {
    throw new InprocError('INPUT_INVALID', `decodeWav: not a readable WAV file (${data.length} bytes): ${(error as Error).message}`, { cause: error });
  }
  const fmt = wav.fmt as { audioFormat: number; numChannels: number; sampleRate: number; bitsPerSample: number; subformat: number[] };
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  if (!Number.isInteger(channels) || channels < 1) throw new InprocError('INPUT_INVALID', `decodeWav: the header declares ${channels} channels`);
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) throw new InprocError('INPUT_INVALID', `decodeWav: the header declares a sample rate of ${sampleRate} Hz`);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first field of its subformat GUID.
  const format = fmt.audioFormat === FORMAT_EXTENSIBLE ? (fmt.subformat[0] ?? 0) : fmt.audioFormat;
  let encoding: WavEncoding;
  const bits = fmt.bitsPerSample;
  try {
    switch (format) {
      case FORMAT_PCM:
        encoding = 'pcm';
        if (![8, 16, 24, 32].includes(bits)) throw unsupported(`${bits}-bit PCM`);
        break;
      case FORMAT_FLOAT:
        encoding = 'float';
        if (bits !== 32 && bits !== 64) throw unsupported(`${bits}-bit float`);
        break;
      case FORMAT_ALAW:
        encoding = 'alaw';
        wav.fromALaw('16');
        break;
      case FORMAT_MULAW:
        encoding = 'mulaw';
        wav.fromMuLaw('16');
        break;
      default:
        throw unsupported(`audio format 0x${format.toString(16).padStart(4, '0')}`);
    }
  } catch (error) {
    if (InprocError.is(error)) throw error;
    throw new InprocError('INPUT_INVALID', `decodeWav: cannot decode the ${fmt.audioFormat} encoding: ${(error as Error).message}`, { cause: error });
  }
  // The codecs above were converted to 16-bit PCM; read that, but report the stored width.
  const readBits = encoding === 'pcm' || encoding === 'float' ? bits : 16;
  const raw = (wav.data as { samples: Uint8Array }).samples;
  const frameBytes = (readBits / 8) * channels;
  const frames = Math.floor(raw.length / frameBytes);
  if (frames === 0) throw new InprocError('INPUT_INVALID', `decodeWav: the file has no samples (data chunk of ${raw.length} bytes, ${frameBytes} bytes per sample frame)`);
  const channelData = readSamples(raw, frames, channels, readBits, encoding === 'float', wav.container === 'RIFX');
  return { channelData, sampleRate, channels, encoding, bitsPerSample: bits, duration: frames / sampleRate };
}

function unsupported(what: string): InprocError {
  return new InprocError('INPUT_INVALID', `decodeWav: unsupported WAV encoding (${what}); supported: PCM 8/16/24/32-bit, float 32/64-bit, A-law, µ-law (not ADPCM)`);
}

function readSamples(raw: Uint8Array, frames: number, channels: number, bits: number, float: boolean, bigEndian: boolean): Float32Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const little = !bigEndian;
  const bytes = bits / 8;
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const at = (f * channels + c) * bytes;
      let v: number;
      if (float) v = bits === 32 ? view.getFloat32(at, little) : view.getFloat64(at, little);
      else if (bits === 8) v = (view.getUint8(at) - 128) / 128; // 8-bit WAV is unsigned
      else if (bits === 16) v = view.getInt16(at, little) / 32768;
      else if (bits === 24) {
        const b0 = view.getUint8(at);
        const b1 = view.getUint8(at + 1);
        const b2 = view.getUint8(at + 2);
        const u = little ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
        v = ((u << 8) >> 8) / 8388608;
      } else v = view.getInt32(at, little) / 2147483648;
      out[c]![f] = v;
    }
  }
  return out;
}

/**
 * The average of the channels (a copy when there is one channel).
 * @throws InprocError `INPUT_INVALID` for no channels or channels of different lengths
 */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) throw new InprocError('INPUT_INVALID', 'mixToMono: no channels');
  for (const c of channels) {
    if (!(c instanceof Float32Array) || c.length !== first.length) throw new InprocError('INPUT_INVALID', 'mixToMono: channels must be Float32Arrays of equal length');
  }
  if (channels.length === 1) return first.slice();
  // Summed in float64 and divided once, so that the mean is as exact as float32 can hold.
  const sum = new Float64Array(first.length);
  for (const c of channels) for (let i = 0; i < sum.length; i++) sum[i]! += c[i]!;
  const out = new Float32Array(first.length);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / channels.length;
  return out;
}

/** Options of {@link encodeWav}. */
export interface EncodeWavOptions {
  readonly sampleRate: number;
  /** `'8'`, `'16'` (default), `'24'`, `'32'` (PCM), `'32f'`, `'64'` (float). */
  readonly bitDepth?: '8' | '16' | '24' | '32' | '32f' | '64';
}

/**
 * Encodes channels of float samples in [-1, 1] (clipped) as a WAV file: for writing
 * results and for making test inputs.
 * @throws InprocError `INPUT_INVALID` for no channels, channels of different lengths or a bad sample rate
 */
export function encodeWav(channels: readonly Float32Array[], options: EncodeWavOptions): Uint8Array {
  const first = channels[0];
  if (first === undefined || channels.some((c) => c.length !== first.length)) throw new InprocError('INPUT_INVALID', 'encodeWav: give one or more channels of equal length');
  const { sampleRate } = options;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new InprocError('INPUT_INVALID', `encodeWav: sampleRate must be a positive integer, got ${String(sampleRate)}`);
  const bitDepth = options.bitDepth ?? '16';
  const float = bitDepth === '32f' || bitDepth === '64';
  const bits = float ? (bitDepth === '64' ? 64 : 32) : Number(bitDepth);
  const scaled = channels.map((c) => {
    const out = new Float64Array(c.length);
    for (let i = 0; i < c.length; i++) {
      const v = Math.max(-1, Math.min(1, c[i]!));
      if (float) out[i] = v;
      else if (bits === 8) out[i] = Math.max(0, Math.min(255, Math.round(v * 128 + 128)));
      else {
        const full = 2 ** (bits - 1);
        out[i] = Math.max(-full, Math.min(full - 1, Math.round(v * full)));
      }
    }
    return out;
  });
  const wav = new WaveFile();
  wav.fromScratch(channels.length, sampleRate, bitDepth, channels.length === 1 ? scaled[0]! : scaled);
  return wav.toBuffer();
}
