/**
 * The mel scale and mel filter banks, as librosa defines them (`librosa.filters.mel`:
 * Slaney's scale, linear below 1 kHz and logarithmic above, with area-normalised
 * triangles by default; or the HTK formula), and log-mel spectrograms built on them.
 * @module
 */
import { InprocError } from '@inproc/core';
import { spectrogram } from './stft.js';
import type { AudioClip, LogMelOptions, MelOptions, Spectrogram } from './types.js';

// Slaney's scale: 3 mels per 200 Hz up to 1 kHz, then 27 mels per factor 6.4.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

/** Hz to mels (Slaney by default, as librosa's `hz_to_mel(htk=False)`). */
export function hzToMel(hz: number, scale: 'slaney' | 'htk' = 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

/** Mels to Hz, the inverse of {@link hzToMel}. */
export function melToHz(mel: number, scale: 'slaney' | 'htk' = 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/**
 * The mel filter bank: `nMels` rows of `nFft / 2 + 1` weights (row-major), equal to
 * `librosa.filters.mel(sr=sampleRate, n_fft=nFft, n_mels=nMels, fmin, fmax, htk, norm)`.
 * @throws InprocError `INPUT_INVALID` for bad options (fMax above Nyquist, fMin >= fMax, ...)
 */
export function melFilterBank(options: MelOptions): Float32Array {
  const { sampleRate, nFft, nMels } = checkMelOptions(options);
  const scale = options.scale ?? 'slaney';
  const fMin = options.fMin ?? 0;
  const fMax = options.fMax ?? sampleRate / 2;
  const bins = (nFft >> 1) + 1;
  // nMels + 2 band edges, equally spaced in mels.
  const lo = hzToMel(fMin, scale);
  const hi = hzToMel(fMax, scale);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1), scale));
  const weights = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const left = edges[m]!;
    const centre = edges[m + 1]!;
    const right = edges[m + 2]!;
    const enorm = (options.norm ?? 'slaney') === 'slaney' ? 2 / (right - left) : 1;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / nFft;
      const rising = (f - left) / (centre - left);
      const falling = (right - f) / (right - centre);
      weights[m * bins + k] = Math.max(0, Math.min(rising, falling)) * enorm;
    }
  }
  return weights;
}

function checkMelOptions(options: MelOptions): { sampleRate: number; nFft: number; nMels: number } {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'melFilterBank: options must be an object');
  const { sampleRate, nFft, nMels } = options;
  if (typeof sampleRate !== 'number' || !(sampleRate > 0) || !Number.isFinite(sampleRate)) throw new InprocError('INPUT_INVALID', `mel: sampleRate must be a positive number, got ${String(sampleRate)}`);
  if (!Number.isInteger(nFft) || nFft < 2) throw new InprocError('INPUT_INVALID', `mel: nFft must be an integer >= 2, got ${String(nFft)}`);
  if (!Number.isInteger(nMels) || nMels < 1) throw new InprocError('INPUT_INVALID', `mel: nMels must be a positive integer, got ${String(nMels)}`);
  const fMin = options.fMin ?? 0;
  const fMax = options.fMax ?? sampleRate / 2;
  if (!(fMin >= 0) || !(fMax > fMin) || fMax > sampleRate / 2) {
    throw new InprocError('INPUT_INVALID', `mel: need 0 <= fMin < fMax <= sampleRate / 2 (${sampleRate / 2}), got fMin ${String(fMin)}, fMax ${String(fMax)}`);
  }
  if (options.scale !== undefined && options.scale !== 'slaney' && options.scale !== 'htk') throw new InprocError('INPUT_INVALID', `mel: scale must be 'slaney' or 'htk', got ${String(options.scale)}`);
  if (options.norm !== undefined && options.norm !== 'slaney' && options.norm !== 'none') throw new InprocError('INPUT_INVALID', `mel: norm must be 'slaney' or 'none', got ${String(options.norm)}`);
  return { sampleRate, nFft, nMels };
}

/**
 * The log-mel spectrogram of a clip, frame-major `[frames, nMels]`: the power (or
 * magnitude) spectrogram through the mel filter bank, clamped below at `floor`, then
 * logged. Whisper's features are `logMelSpectrogram(clip, { nFft: 400, hopLength: 160, nMels: 80 })`
 * followed by its own dynamic-range clamp.
 * @throws InprocError as `melFilterBank` and `stft`
 */
export function logMelSpectrogram(clip: AudioClip, options: LogMelOptions): Spectrogram {
  const filters = melFilterBank({ ...options, sampleRate: clip.sampleRate });
  const power = spectrogram(clip.samples, options);
  const { nMels } = options;
  const bins = power.bins;
  const floor = options.floor ?? 1e-10;
  if (!(floor > 0)) throw new InprocError('INPUT_INVALID', `logMelSpectrogram: floor must be a positive number, got ${String(floor)}`);
  const log = options.log ?? 'log10';
  const apply = log === 'log10' ? Math.log10 : log === 'ln' ? Math.log : log === 'db' ? (x: number) => 10 * Math.log10(x) : undefined;
  if (apply === undefined) throw new InprocError('INPUT_INVALID', `logMelSpectrogram: log must be 'log10', 'ln' or 'db', got ${String(log)}`);
  const out = new Float32Array(power.frames * nMels);
  for (let t = 0; t < power.frames; t++) {
    for (let m = 0; m < nMels; m++) {
      let acc = 0;
      // Each triangle covers few bins; scanning all keeps this simple and the cost is the FFT's order.
      for (let k = 0; k < bins; k++) acc += filters[m * bins + k]! * power.data[t * bins + k]!;
      out[t * nMels + m] = apply(Math.max(acc, floor));
    }
  }
  return { data: out, frames: power.frames, bins: nMels };
}
