/**
 * Short-time Fourier transform and (power or magnitude) spectrograms, laid out as
 * librosa computes them (centred, reflect-padded, periodic Hann by default), with the
 * FFT from fft.js.
 * @module
 */
import { InprocError } from '@inproc/core';
import { RealFft } from './fft.js';
import { checkFrameOptions, padCenter } from './frames.js';
import type { Spectrogram, StftOptions } from './types.js';
import { windowFunction } from './window.js';

/** A complex spectrogram: `frames` rows of `bins` complex values, real and imaginary parts interleaved. */
export interface ComplexSpectrogram {
  readonly data: Float32Array;
  readonly frames: number;
  /** `nFft / 2 + 1`. */
  readonly bins: number;
}

/**
 * The STFT of `signal`: frame `t` covers samples centred on `t * hopLength` (with
 * `center`, the default), windowed, transformed; bins 0..nFft/2.
 * @throws InprocError `INPUT_INVALID` for bad options; `INPUT_SHAPE` for a signal shorter than one frame (or too short to reflect-pad)
 */
export function stft(signal: Float32Array, options: StftOptions): ComplexSpectrogram {
  const frames: number[][] = [];
  const result = transformFrames(signal, options, (spectrum, bins) => {
    const row = new Array<number>(2 * bins);
    for (let k = 0; k < 2 * bins; k++) row[k] = spectrum[k]!;
    frames.push(row);
  });
  const data = new Float32Array(result.frames * result.bins * 2);
  frames.forEach((row, t) => data.set(row, t * result.bins * 2));
  return { data, frames: result.frames, bins: result.bins };
}

/**
 * `|STFT|^power` (power 2 by default, 1 for magnitude), frame-major `[frames, nFft/2 + 1]`.
 * @throws InprocError as {@link stft}
 */
export function spectrogram(signal: Float32Array, options: StftOptions & { readonly power?: 1 | 2 }): Spectrogram {
  const power = options.power ?? 2;
  if (power !== 1 && power !== 2) throw new InprocError('INPUT_INVALID', `spectrogram: power must be 1 or 2, got ${String(power)}`);
  const rows: Float32Array[] = [];
  const result = transformFrames(signal, options, (spectrum, bins) => {
    const row = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const p = spectrum[2 * k]! ** 2 + spectrum[2 * k + 1]! ** 2;
      row[k] = power === 2 ? p : Math.sqrt(p);
    }
    rows.push(row);
  });
  const data = new Float32Array(result.frames * result.bins);
  rows.forEach((row, t) => data.set(row, t * result.bins));
  return { data, frames: result.frames, bins: result.bins };
}

/** Frames, windows and transforms; hands each frame's spectrum (re/im interleaved, float64) to `onFrame`. */
function transformFrames(signal: Float32Array, options: StftOptions, onFrame: (spectrum: Float64Array, bins: number) => void): { frames: number; bins: number } {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'stft: options must be an object');
  const { nFft } = options;
  if (!Number.isInteger(nFft) || nFft < 2) throw new InprocError('INPUT_INVALID', `stft: nFft must be an integer >= 2, got ${String(nFft)}`);
  const hopLength = options.hopLength ?? Math.max(1, Math.floor(nFft / 4));
  const winLength = options.winLength ?? nFft;
  checkFrameOptions({ frameLength: nFft, hopLength, ...(options.padMode === undefined ? {} : { padMode: options.padMode }) }, 'stft');
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) throw new InprocError('INPUT_INVALID', `stft: winLength must be an integer in [1, nFft = ${nFft}], got ${String(winLength)}`);
  // A window shorter than nFft is zero-padded to nFft, centred (librosa's pad_center).
  const short = windowFunction(options.window ?? 'hann', winLength);
  const window = new Float64Array(nFft);
  const left = (nFft - winLength) >> 1;
  for (let i = 0; i < winLength; i++) window[left + i] = short[i]!;

  const center = options.center ?? true;
  const padded = center ? padCenter(signal, nFft >> 1, options.padMode ?? 'reflect', 'stft') : signal;
  if (!(padded instanceof Float32Array)) throw new InprocError('INPUT_INVALID', 'stft: the signal must be a Float32Array');
  if (padded.length < nFft) throw new InprocError('INPUT_SHAPE', `stft: the signal has ${padded.length} samples${center ? ' after padding' : ''}, fewer than nFft = ${nFft}`);
  const count = 1 + Math.floor((padded.length - nFft) / hopLength);
  const bins = (nFft >> 1) + 1;
  const fft = new RealFft(nFft);
  const frame = new Float64Array(nFft);
  const spectrum = new Float64Array(2 * bins);
  for (let t = 0; t < count; t++) {
    const start = t * hopLength;
    for (let i = 0; i < nFft; i++) frame[i] = padded[start + i]! * window[i]!;
    fft.transform(frame, spectrum);
    onFrame(spectrum, bins);
  }
  return { frames: count, bins };
}
