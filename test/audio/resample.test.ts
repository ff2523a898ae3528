/**
 * Resampling against the analytic signal: a band-limited tone resampled to another
 * rate must equal the same tone sampled at that rate (away from the ends, where the
 * signal is taken as zero outside), and a tone above the new Nyquist frequency must be
 * filtered out rather than aliased.
 */
import { describe, expect, it } from 'vitest';
import { InprocError } from '@inproc/core';
import { resample } from '@inproc/audio';

const tone = (hz: number, rate: number, seconds: number, phase = 0.3): Float32Array => Float32Array.from({ length: Math.round(rate * seconds) }, (_, n) => 0.8 * Math.sin((2 * Math.PI * hz * n) / rate + phase));

function worstError(actual: Float32Array, expected: Float32Array, margin: number): number {
  let worst = 0;
  for (let i = margin; i < Math.min(actual.length, expected.length) - margin; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

const rms = (x: Float32Array, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! ** 2;
  return Math.sqrt(s / (to - from));
};

describe('resample', () => {
  it.each([
    [44100, 16000, 440, 'best', 2e-3],
    [48000, 16000, 1000, 'best', 2e-3],
    [8000, 16000, 1000, 'best', 2e-3],
    [22050, 16000, 3000, 'best', 2e-3],
    [11025, 16000, 2000, 'fast', 2e-2],
    [16001, 16000, 500, 'best', 2e-3], // 16000/16001 has no small fraction: per-sample taps
  ] as const)('%i Hz -> %i Hz keeps a %i Hz tone (%s)', (from, to, hz, quality, tolerance) => {
    const out = resample({ samples: tone(hz, from, 0.25), sampleRate: from }, to, { quality });
    expect(out.sampleRate).toBe(to);
    expect(out.samples.length).toBe(Math.ceil((Math.round(from * 0.25) * to) / from - 1e-9));
    expect(worstError(out.samples, tone(hz, to, 0.25), Math.ceil(to / 50))).toBeLessThan(tolerance);
  });

  it('removes a tone above the new Nyquist frequency instead of aliasing it', () => {
    // 7 kHz at 44.1 kHz would alias to 1 kHz at 8 kHz without the low-pass filter.
    const out = resample({ samples: tone(7000, 44100, 0.25), sampleRate: 44100 }, 8000);
    const level = rms(out.samples, 200, out.samples.length - 200) / (0.8 / Math.SQRT2);
    expect(20 * Math.log10(level)).toBeLessThan(-60);
  });

  it('copies at equal rates and handles a single sample', () => {
    const x = Float32Array.from([0.1, 0.2]);
    const same = resample({ samples: x, sampleRate: 16000 }, 16000);
    expect([...same.samples]).toEqual([...x]);
    expect(same.samples).not.toBe(x);
    const one = resample({ samples: Float32Array.from([0.5]), sampleRate: 44100 }, 16000);
    expect(one.samples.length).toBe(1);
    expect(one.samples[0]!).toBeCloseTo(0.5 * 0.947593 * (16000 / 44100), 3);
  });

  it('rejects bad rates and samples with INPUT_INVALID', () => {
    for (const call of [
      () => resample({ samples: new Float32Array(4), sampleRate: 0 }, 16000),
      () => resample({ samples: new Float32Array(4), sampleRate: 16000 }, NaN),
      () => resample({ samples: [0, 1] as never, sampleRate: 16000 }, 8000),
      () => resample({ samples: new Float32Array(4), sampleRate: 16000 }, 8000, { quality: 'ultra' as never }),
    ]) {
      expect(call).toThrow(InprocError);
      try {
        call();
      } catch (error) {
        expect((error as InprocError).code).toBe('INPUT_INVALID');
      }
    }
  });
});
