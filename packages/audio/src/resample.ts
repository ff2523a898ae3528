/**
 * Band-limited resampling between any two rates with a Kaiser-windowed sinc filter,
 * as resampy and libsamplerate do: the low-pass cut-off follows the lower of the two
 * Nyquist frequencies, so downsampling does not alias. When the ratio reduces to a
 * fraction with a small numerator (16000/44100 = 160/441), the filter taps of every
 * output phase are computed once (a polyphase table); otherwise per output sample.
 * @module
 */
import { InprocError } from '@inproc/core';
import type { AudioClip } from './types.js';

/** Filter quality: resampy's `kaiser_fast` and `kaiser_best` parameters. */
export type ResampleQuality = 'fast' | 'best';

/** Options of {@link resample}. */
export interface ResampleOptions {
  /** Default `'best'`: 64 zero crossings, roll-off 0.9476, Kaiser beta 14.77. `'fast'`: 16, 0.85, 8.555. */
  readonly quality?: ResampleQuality;
}

const FILTERS: Record<ResampleQuality, { zeros: number; rolloff: number; beta: number }> = {
  fast: { zeros: 16, rolloff: 0.85, beta: 8.555_043_57 },
  best: { zeros: 64, rolloff: 0.947_593_7, beta: 14.769_656_459_379_492 },
};

// Polyphase tables above this many phases cost more memory than they save.
const MAX_TABLE_PHASES = 4096;

/**
 * Resamples mono audio to `targetRate` (a copy when the rates are equal). The output
 * has `ceil(samples * targetRate / sampleRate)` samples; the signal is taken as zero
 * outside its ends.
 * @throws InprocError `INPUT_INVALID` for a rate that is not a positive finite number or samples that are not a Float32Array
 */
export function resample(clip: AudioClip, targetRate: number, options: ResampleOptions = {}): AudioClip {
  const { samples, sampleRate } = clip;
  if (!(samples instanceof Float32Array)) throw new InprocError('INPUT_INVALID', 'resample: samples must be a Float32Array');
  for (const [name, rate] of [
    ['sampleRate', sampleRate],
    ['targetRate', targetRate],
  ] as const) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) throw new InprocError('INPUT_INVALID', `resample: ${name} must be a positive number, got ${String(rate)}`);
  }
  const quality = options.quality ?? 'best';
  const filter = FILTERS[quality];
  if (filter === undefined) throw new InprocError('INPUT_INVALID', `resample: quality must be 'fast' or 'best', got ${String(quality)}`);
  if (sampleRate === targetRate) return { samples: samples.slice(), sampleRate };

  const ratio = targetRate / sampleRate;
  const outLength = Math.ceil(samples.length * ratio - 1e-9);
  const out = new Float32Array(outLength);
  // Cut-off relative to the input Nyquist frequency.
  const cutoff = filter.rolloff * Math.min(1, ratio);
  // Half-width of the filter in input samples.
  const half = filter.zeros / cutoff;
  const i0Beta = besselI0(filter.beta);
  const tap = (u: number): number => {
    const x = u / half;
    if (x <= -1 || x >= 1) return 0;
    const window = besselI0(filter.beta * Math.sqrt(1 - x * x)) / i0Beta;
    const arg = Math.PI * cutoff * u;
    return cutoff * (arg === 0 ? 1 : Math.sin(arg) / arg) * window;
  };

  const fraction = rationalRatio(sampleRate, targetRate);
  if (fraction !== undefined && fraction.up <= MAX_TABLE_PHASES) {
    // Output n sits at input position n * down / up: integer part plus phase (n * down mod up) / up.
    const { up, down } = fraction;
    // One tap more than 2 * ceil(half) + 1, so that the phase offset never pushes the last nonzero tap out.
    const width = 2 * Math.ceil(half) + 2;
    const table = new Float32Array(up * width);
    for (let p = 0; p < up; p++) {
      const frac = p / up;
      for (let k = 0; k < width; k++) table[p * width + k] = tap(frac - (k - Math.ceil(half)));
    }
    const offset = Math.ceil(half);
    for (let n = 0; n < outLength; n++) {
      const base = Math.floor((n * down) / up);
      const phase = (n * down) % up;
      const row = phase * width;
      let acc = 0;
      const first = Math.max(0, offset - base);
      const last = Math.min(width, samples.length - base + offset);
      for (let k = first; k < last; k++) acc += samples[base + k - offset]! * table[row + k]!;
      out[n] = acc;
    }
  } else {
    const step = sampleRate / targetRate;
    for (let n = 0; n < outLength; n++) {
      const t = n * step;
      const lo = Math.max(0, Math.ceil(t - half));
      const hi = Math.min(samples.length - 1, Math.floor(t + half));
      let acc = 0;
      for (let k = lo; k <= hi; k++) acc += samples[k]! * tap(t - k);
      out[n] = acc;
    }
  }
  return { samples: out, sampleRate: targetRate };
}

/** `targetRate / sampleRate` as `up / down` in lowest terms, when both rates are integers. */
function rationalRatio(sampleRate: number, targetRate: number): { up: number; down: number } | undefined {
  if (!Number.isInteger(sampleRate) || !Number.isInteger(targetRate)) return undefined;
  const g = gcd(sampleRate, targetRate);
  return { up: targetRate / g, down: sampleRate / g };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the betas used). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}
