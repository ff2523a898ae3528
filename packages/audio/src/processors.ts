/**
 * Audio processors for model manifests, registered under `audio.*` when this package
 * is imported: `audio.decode-wav` (bytes -> clip), `audio.resample` (clip -> clip),
 * `audio.to-tensor` (clip -> float32 [1, samples]) and `audio.log-mel`
 * (clip -> float32 [1, nMels, frames] or [1, frames, nMels]).
 * @module
 */
import { InprocError, type Processor, type ProcessorFactory, Tensor, listProcessors, registerProcessor } from '@inproc/core';
import { logMelSpectrogram } from './mel.js';
import { type ResampleQuality, resample } from './resample.js';
import type { AudioClip, DecodedWav, LogMelOptions } from './types.js';
import { decodeWav } from './wav.js';

/** `audio.decode-wav`: WAV bytes to a mono clip. */
export function decodeWavProcessor(): Processor<Uint8Array | ArrayBuffer, DecodedWav> {
  return { name: 'audio.decode-wav', process: (bytes) => decodeWav(bytes) };
}

/** `audio.resample`: a clip at any rate to `rate`. */
export function resampleProcessor(options: { readonly rate: number; readonly quality?: ResampleQuality }): Processor<AudioClip, AudioClip> {
  const rate = options.rate;
  if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) throw new InprocError('INPUT_INVALID', `audio.resample: rate must be a positive number, got ${String(rate)}`);
  const quality = options.quality;
  if (quality !== undefined && quality !== 'fast' && quality !== 'best') throw new InprocError('INPUT_INVALID', `audio.resample: quality must be 'fast' or 'best', got ${String(quality)}`);
  return { name: 'audio.resample', process: (clip) => resample(clip, rate, quality === undefined ? {} : { quality }) };
}

/** `audio.to-tensor`: a clip's samples as float32 `[1, samples]` (no copy). */
export function toTensorProcessor(): Processor<AudioClip, Tensor<'float32'>> {
  return { name: 'audio.to-tensor', process: (clip) => new Tensor('float32', clip.samples, [1, clip.samples.length]) };
}

/** Options of {@link logMelProcessor}. */
export interface LogMelProcessorOptions extends LogMelOptions {
  /** `'mels-first'` (default, Whisper's `[1, nMels, frames]`) or `'frames-first'` (`[1, frames, nMels]`). */
  readonly layout?: 'mels-first' | 'frames-first';
}

/** `audio.log-mel`: a clip to its log-mel spectrogram as a float32 tensor with a batch dimension of 1. */
export function logMelProcessor(options: LogMelProcessorOptions): Processor<AudioClip, Tensor<'float32'>> {
  const layout = options.layout ?? 'mels-first';
  if (layout !== 'mels-first' && layout !== 'frames-first') throw new InprocError('INPUT_INVALID', `audio.log-mel: layout must be 'mels-first' or 'frames-first', got ${String(layout)}`);
  return {
    name: 'audio.log-mel',
    process(clip) {
      const { data, frames, bins } = logMelSpectrogram(clip, options);
      if (layout === 'frames-first') return new Tensor('float32', data, [1, frames, bins]);
      const transposed = new Float32Array(data.length);
      for (let t = 0; t < frames; t++) for (let m = 0; m < bins; m++) transposed[m * frames + t] = data[t * bins + m]!;
      return new Tensor('float32', transposed, [1, bins, frames]);
    },
  };
}

const LOG_MEL_PARAMS = ['nFft', 'hopLength', 'winLength', 'window', 'center', 'padMode', 'nMels', 'fMin', 'fMax', 'scale', 'norm', 'power', 'log', 'floor', 'layout'];

/** The factories of the audio processors. */
export const AUDIO_PROCESSORS: readonly ProcessorFactory[] = [
  { name: 'audio.decode-wav', description: 'WAV bytes to a mono clip { samples, sampleRate }', params: [], create: () => decodeWavProcessor() },
  {
    name: 'audio.resample',
    description: 'a clip to another sample rate (Kaiser-windowed sinc); params: rate, quality',
    params: ['rate', 'quality'],
    create: (p) => resampleProcessor(p as { rate: number; quality?: ResampleQuality }),
  },
  { name: 'audio.to-tensor', description: 'a clip to float32 [1, samples]', params: [], create: () => toTensorProcessor() },
  {
    name: 'audio.log-mel',
    description: `a clip to a log-mel spectrogram tensor; params: ${LOG_MEL_PARAMS.join(', ')}`,
    params: LOG_MEL_PARAMS,
    create: (p) => {
      for (const key of ['nFft', 'nMels']) if (typeof p[key] !== 'number') throw new InprocError('INPUT_INVALID', `audio.log-mel: ${key} is required (a number)`);
      return logMelProcessor(p as unknown as LogMelProcessorOptions);
    },
  },
];

// A name already taken (a second copy of this package) is left as it is.
const taken = new Set(listProcessors().map((f) => f.name));
for (const factory of AUDIO_PROCESSORS) if (!taken.has(factory.name)) registerProcessor(factory);
