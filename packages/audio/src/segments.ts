/**
 * From per-chunk speech probabilities to speech segments, as Silero VAD's
 * `get_speech_timestamps` does it: hysteresis (speech starts at `threshold`, ends only
 * after `minSilenceMs` below `negativeThreshold`), segments shorter than `minSpeechMs`
 * dropped, and `speechPadMs` of padding on both sides (split in the middle when two
 * segments are closer than twice the padding).
 * @module
 */
import { InprocError } from '@inproc/core';

/** Options of {@link speechSegments}; defaults are Silero VAD's. */
export interface SpeechSegmentOptions {
  /** Samples per probability (the chunk size). */
  readonly chunkSize: number;
  readonly sampleRate: number;
  /** Total samples of the audio (the last segment ends here at most). */
  readonly totalSamples: number;
  /** Speech starts at a probability at or above this; default 0.5. */
  readonly threshold?: number;
  /** Speech may end only below this; default `threshold - 0.15`. */
  readonly negativeThreshold?: number;
  /** Segments shorter than this are dropped; default 250. */
  readonly minSpeechMs?: number;
  /** Silence must last this long to end a segment; default 100. */
  readonly minSilenceMs?: number;
  /** Padding added on both sides of each segment; default 30. */
  readonly speechPadMs?: number;
}

/** A stretch of speech, in samples (end exclusive). */
export interface SampleSegment {
  readonly start: number;
  readonly end: number;
}

/**
 * Speech segments in samples.
 * @throws InprocError `INPUT_INVALID` for bad options or probabilities outside [0, 1]
 */
export function speechSegments(probabilities: ArrayLike<number>, options: SpeechSegmentOptions): SampleSegment[] {
  const { chunkSize, sampleRate, totalSamples } = options;
  const threshold = options.threshold ?? 0.5;
  const negative = options.negativeThreshold ?? Math.max(threshold - 0.15, 0.01);
  for (const [name, v] of Object.entries({ chunkSize, sampleRate, totalSamples })) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (name !== 'totalSamples' && v === 0)) throw new InprocError('INPUT_INVALID', `speechSegments: ${name} must be a positive number, got ${String(v)}`);
  }
  if (!(threshold > 0 && threshold < 1) || !(negative > 0 && negative <= threshold)) {
    throw new InprocError('INPUT_INVALID', `speechSegments: need 0 < negativeThreshold <= threshold < 1, got ${String(negative)} and ${String(threshold)}`);
  }
  const ms = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v >= 0)) throw new InprocError('INPUT_INVALID', `speechSegments: ${name} must be a non-negative number of milliseconds, got ${String(v)}`);
    return (sampleRate * v) / 1000;
  };
  const minSpeech = ms('minSpeechMs', options.minSpeechMs, 250);
  const minSilence = ms('minSilenceMs', options.minSilenceMs, 100);
  const pad = ms('speechPadMs', options.speechPadMs, 30);

  const found: { start: number; end: number }[] = [];
  let triggered = false;
  let start = 0;
  let silenceStart = 0; // 0: not in a candidate silence (as Silero's temp_end)
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) throw new InprocError('INPUT_INVALID', `speechSegments: probability ${i} is ${String(p)}, not in [0, 1]`);
    const at = i * chunkSize;
    if (p >= threshold && silenceStart !== 0) silenceStart = 0;
    if (p >= threshold && !triggered) {
      triggered = true;
      start = at;
      continue;
    }
    if (p < negative && triggered) {
      if (silenceStart === 0) silenceStart = at;
      if (at - silenceStart < minSilence) continue;
      if (silenceStart - start > minSpeech) found.push({ start, end: silenceStart });
      triggered = false;
      silenceStart = 0;
    }
  }
  if (triggered && totalSamples - start > minSpeech) found.push({ start, end: totalSamples });

  // Padding: split the gap between two close segments in the middle.
  for (let i = 0; i < found.length; i++) {
    const seg = found[i]!;
    if (i === 0) seg.start = Math.max(0, seg.start - pad);
    const next = found[i + 1];
    if (next === undefined) {
      seg.end = Math.min(totalSamples, seg.end + pad);
      continue;
    }
    const gap = next.start - seg.end;
    if (gap < 2 * pad) {
      seg.end += Math.floor(gap / 2);
      next.start = Math.max(0, next.start - Math.floor(gap / 2));
    } else {
      seg.end = Math.min(totalSamples, seg.end + pad);
      next.start = Math.max(0, next.start - pad);
    }
  }
  return found.map((s) => ({ start: Math.round(s.start), end: Math.round(s.end) }));
}
