/**
 * Framing: cutting a signal into overlapping frames (the first step of every
 * spectrogram, and of chunked models), with librosa's centring and padding.
 * @module
 */
import { InprocError } from '@inproc/core';
import type { FrameOptions } from './types.js';

/** A frame-major matrix of frames. */
export interface Frames {
  /** `count * frameLength` samples, frame after frame. */
  readonly data: Float32Array;
  readonly count: number;
  readonly frameLength: number;
}

/**
 * Cuts `signal` into frames of `frameLength` samples every `hopLength` samples; a tail
 * shorter than a frame is dropped (pad first, or use `center`, to keep it).
 * @throws InprocError `INPUT_INVALID` for bad lengths; `INPUT_SHAPE` when the (padded) signal is shorter than one frame, or too short to reflect
 */
export function frames(signal: Float32Array, options: FrameOptions): Frames {
  const { frameLength, hopLength } = checkFrameOptions(options, 'frames');
  const padded = options.center === true ? padCenter(signal, frameLength >> 1, options.padMode ?? 'reflect', 'frames') : signal;
  if (padded.length < frameLength) {
    throw new InprocError('INPUT_SHAPE', `frames: the signal has ${padded.length} samples${options.center === true ? ' after padding' : ''}, fewer than one frame of ${frameLength}`);
  }
  const count = 1 + Math.floor((padded.length - frameLength) / hopLength);
  const data = new Float32Array(count * frameLength);
  for (let f = 0; f < count; f++) data.set(padded.subarray(f * hopLength, f * hopLength + frameLength), f * frameLength);
  return { data, count, frameLength };
}

/** @internal */
export function checkFrameOptions(options: FrameOptions, who: string): { frameLength: number; hopLength: number } {
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `${who}: options must be an object`);
  const { frameLength, hopLength } = options;
  if (!Number.isInteger(frameLength) || frameLength < 1) throw new InprocError('INPUT_INVALID', `${who}: frameLength must be a positive integer, got ${String(frameLength)}`);
  if (!Number.isInteger(hopLength) || hopLength < 1) throw new InprocError('INPUT_INVALID', `${who}: hopLength must be a positive integer, got ${String(hopLength)}`);
  if (options.padMode !== undefined && options.padMode !== 'reflect' && options.padMode !== 'constant') {
    throw new InprocError('INPUT_INVALID', `${who}: padMode must be 'reflect' or 'constant', got ${String(options.padMode)}`);
  }
  return { frameLength, hopLength };
}

/**
 * `pad` samples on both sides: mirrored without repeating the edge (numpy's `reflect`), or zeros.
 * @internal
 */
export function padCenter(signal: Float32Array, pad: number, mode: 'reflect' | 'constant', who: string): Float32Array {
  if (!(signal instanceof Float32Array)) throw new InprocError('INPUT_INVALID', `${who}: the signal must be a Float32Array`);
  const out = new Float32Array(signal.length + 2 * pad);
  out.set(signal, pad);
  if (mode === 'constant' || pad === 0) return out;
  if (signal.length <= pad) {
    throw new InprocError('INPUT_SHAPE', `${who}: reflect padding of ${pad} needs more than ${pad} samples, got ${signal.length} (use padMode 'constant' for short signals)`);
  }
  for (let i = 1; i <= pad; i++) {
    out[pad - i] = signal[i]!;
    out[pad + signal.length - 1 + i] = signal[signal.length - 1 - i]!;
  }
  return out;
}
