/**
 * speechSegments: Silero's get_speech_timestamps rules (hysteresis, minimum speech and
 * silence, padding) on probability sequences whose answers are worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { InprocError } from '@inproc/core';
import { speechSegments } from '@inproc/audio';

// 100 samples per chunk at 1000 Hz: one chunk = 100 ms, so the millisecond options read as chunk counts.
const base = { chunkSize: 100, sampleRate: 1000 };

describe('speechSegments', () => {
  it('starts at threshold, ends after minSilence below the negative threshold, pads both sides', () => {
    const p = [0.1, 0.1, 0.9, 0.9, 0.9, 0.4, 0.9, 0.2, 0.2, 0.2, 0.1, 0.1];
    // Speech from chunk 2; 0.4 at chunk 5 is between the thresholds (no silence yet);
    // silence from chunk 7, long enough (>= 100 ms) at chunk 8: segment [200, 700).
    expect(speechSegments(p, { ...base, totalSamples: 1200, minSpeechMs: 250, minSilenceMs: 100, speechPadMs: 30 })).toEqual([{ start: 170, end: 730 }]);
  });

  it('drops segments shorter than minSpeech, and keeps one running to the end', () => {
    const p = [0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9];
    expect(speechSegments(p, { ...base, totalSamples: 800, minSpeechMs: 250, minSilenceMs: 100, speechPadMs: 0 })).toEqual([{ start: 400, end: 800 }]);
  });

  it('bridges a short dip and splits close segments in the middle of the gap', () => {
    const p = [0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1];
    // minSilence 200 ms: the one-chunk dip at 3 is bridged; the silence from 7 ends the
    // first segment at 700; the second runs [1100, 1400). Padding 250 > half of the
    // 400-sample gap: the gap is split at 900.
    expect(speechSegments(p, { ...base, totalSamples: 1600, minSpeechMs: 250, minSilenceMs: 200, speechPadMs: 250 })).toEqual([
      { start: 0, end: 900 },
      { start: 900, end: 1600 },
    ]);
  });

  it('uses Silero defaults (0.5 / 0.35, 250 ms, 100 ms, 30 ms) and finds nothing in silence', () => {
    expect(speechSegments(new Array(50).fill(0.2), { chunkSize: 512, sampleRate: 16000, totalSamples: 25600 })).toEqual([]);
    const p = [...new Array(10).fill(0), ...new Array(20).fill(0.4), ...new Array(20).fill(0)];
    expect(speechSegments(p, { chunkSize: 512, sampleRate: 16000, totalSamples: 25600 })).toEqual([]);
    const q = [...new Array(10).fill(0), 0.6, ...new Array(19).fill(0.36), ...new Array(20).fill(0)];
    // 0.6 starts speech; 0.36 stays above 0.35 so it continues until chunk 30; silence of 100 ms (3.125 chunks) ends it at chunk 34.
    expect(speechSegments(q, { chunkSize: 512, sampleRate: 16000, totalSamples: 25600 })).toEqual([{ start: 5120 - 480, end: 15360 + 480 }]);
  });

  it('rejects bad options and probabilities', () => {
    const bad = (p: number[], o: object): void => {
      expect(() => speechSegments(p, { ...base, totalSamples: 100, ...o })).toThrow(InprocError);
    };
    bad([0.5], { threshold: 1.5 });
    bad([0.5], { threshold: 0.5, negativeThreshold: 0.6 });
    bad([0.5], { chunkSize: 0 });
    bad([0.5], { minSpeechMs: -1 });
    bad([NaN], {});
    bad([1.2], {});
  });
});
