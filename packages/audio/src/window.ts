/**
 * Window functions, periodic by default (`scipy.signal.get_window(..., fftbins=True)`,
 * which librosa and Whisper use for the STFT).
 * @module
 */
import { InprocError } from '@inproc/core';
import type { WindowName } from './types.js';

/**
 * The window of `length` samples. `periodic` (default `true`) gives the window of
 * length + 1 without its last sample, as spectral analysis wants; `false` the symmetric one.
 * @throws InprocError `INPUT_INVALID` for an unknown name or a length that is not a positive integer
 */
export function windowFunction(name: WindowName, length: number, options: { readonly periodic?: boolean } = {}): Float32Array {
  if (!Number.isInteger(length) || length < 1) throw new InprocError('INPUT_INVALID', `window: length must be a positive integer, got ${String(length)}`);
  const periodic = options.periodic ?? true;
  const n = periodic ? length : length - 1;
  const out = new Float32Array(length);
  const cos = (k: number, i: number): number => (n === 0 ? 1 : Math.cos((2 * Math.PI * k * i) / n));
  for (let i = 0; i < length; i++) {
    switch (name) {
      case 'hann':
        out[i] = 0.5 - 0.5 * cos(1, i);
        break;
      case 'hamming':
        out[i] = 0.54 - 0.46 * cos(1, i);
        break;
      case 'blackman':
        out[i] = 0.42 - 0.5 * cos(1, i) + 0.08 * cos(2, i);
        break;
      case 'rectangular':
        out[i] = 1;
        break;
      default:
        throw new InprocError('INPUT_INVALID', `window: unknown window ${JSON.stringify(name)}; expected hann, hamming, blackman or rectangular`);
    }
  }
  if (n === 0) out.fill(1);
  return out;
}
