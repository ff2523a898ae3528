/**
 * The public types of @inproc/audio: audio clips, decoded WAV files and the options of
 * resampling, framing, spectrograms and streaming.
 * @module
 */

/** Mono audio: samples in [-1, 1] at a sample rate. */
export interface AudioClip {
  readonly samples: Float32Array;
  /** Samples per second. */
  readonly sampleRate: number;
}

/** How the samples were stored in the file. */
export type WavEncoding = 'pcm' | 'float' | 'alaw' | 'mulaw';

/** A decoded WAV file, mixed down to mono. */
export interface DecodedWav extends AudioClip {
  /** Channels in the file (the samples are their average). */
  readonly channels: number;
  readonly encoding: WavEncoding;
  /** Bits per stored sample (8, 16, 24, 32 or 64). */
  readonly bitsPerSample: number;
  /** Seconds. */
  readonly duration: number;
}

/** A decoded WAV file with every channel kept. */
export interface DecodedWavChannels extends Omit<DecodedWav, 'samples'> {
  /** One array per channel, samples in [-1, 1]. */
  readonly channelData: readonly Float32Array[];
}

/** Window functions for framing and the STFT. */
export type WindowName = 'hann' | 'hamming' | 'blackman' | 'rectangular';

/** Options of `frames()`. */
export interface FrameOptions {
  /** Samples per frame. */
  readonly frameLength: number;
  /** Samples between the starts of consecutive frames. */
  readonly hopLength: number;
  /**
   * Pad `frameLength / 2` samples on both sides so that frame `t` is centred on sample
   * `t * hopLength` (as librosa's `center=True`). Default `false`.
   */
  readonly center?: boolean;
  /** How `center` pads: `'reflect'` (librosa's default, needs more than `frameLength / 2` samples) or `'constant'` (zeros). Default `'reflect'`. */
  readonly padMode?: 'reflect' | 'constant';
}

/** Options of `stft()` and `spectrogram()`. */
export interface StftOptions {
  /** FFT size (any size; powers of two are fastest). */
  readonly nFft: number;
  /** Default `nFft / 4`, rounded down. */
  readonly hopLength?: number;
  /** Window length, at most `nFft` (the window is zero-padded to `nFft`, centred). Default `nFft`. */
  readonly winLength?: number;
  /** Default `'hann'` (periodic, as `scipy.signal.get_window`). */
  readonly window?: WindowName;
  /** Default `true`: frames centred on `t * hopLength`, as librosa. */
  readonly center?: boolean;
  /** Default `'reflect'`. */
  readonly padMode?: 'reflect' | 'constant';
}

/** A frame-major matrix: `frames` rows of `bins` values. */
export interface Spectrogram {
  readonly data: Float32Array;
  readonly frames: number;
  readonly bins: number;
}

/** Options of `melFilterBank()`. */
export interface MelOptions {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly nMels: number;
  /** Lowest band edge in Hz; default 0. */
  readonly fMin?: number;
  /** Highest band edge in Hz; default `sampleRate / 2`. */
  readonly fMax?: number;
  /** Mel scale: `'slaney'` (librosa's default, `htk=False`) or `'htk'`. Default `'slaney'`. */
  readonly scale?: 'slaney' | 'htk';
  /** `'slaney'` (default): each filter scaled to unit area, as librosa's `norm='slaney'`; `'none'`: peak 1. */
  readonly norm?: 'slaney' | 'none';
}

/** Options of `logMelSpectrogram()`. */
export interface LogMelOptions extends StftOptions, Omit<MelOptions, 'nFft' | 'sampleRate'> {
  /** Spectrogram exponent: 2 (power, default) or 1 (magnitude). */
  readonly power?: 1 | 2;
  /** `'log10'` (default; `log10(max(x, floor))`, as Whisper), `'ln'`, or `'db'` (`10 log10`, as librosa's power_to_db with ref 1). */
  readonly log?: 'log10' | 'ln' | 'db';
  /** Values are clamped below at this before the log; default 1e-10. */
  readonly floor?: number;
}
