/**
 * Windows, framing, STFT and mel features against reference values computed
 * independently in NumPy 2.4 (float64), with librosa's algorithms transcribed from its
 * source (librosa/filters.py `mel`, librosa/core/convert.py `hz_to_mel`/`mel_to_hz`,
 * `librosa.stft` with center=True, pad_mode='reflect', window='hann'):
 *
 *   mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
 *   ramps = np.subtract.outer(mel_f, np.fft.rfftfreq(n_fft, 1 / sr)); fdiff = np.diff(mel_f)
 *   weights[i] = max(0, min(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1])) * 2 / (mel_f[i + 2] - mel_f[i])
 *   stft power: np.abs(np.fft.rfft(np.pad(x, n_fft // 2, mode='reflect')[t*hop : t*hop + n_fft] * hann_periodic)) ** 2
 *
 * The transcription reproduces librosa's documented example value
 * (`librosa.filters.mel(sr=22050, n_fft=2048)[0, 1]` = 0.016) as 0.0161828532.
 */
import { describe, expect, it } from 'vitest';
import { frames, hzToMel, logMelSpectrogram, melFilterBank, melToHz, spectrogram, stft, windowFunction } from '@inproc/audio';
import { thrownCode } from '../helpers/errors.js';

function expectClose(actual: ArrayLike<number>, expected: readonly number[], relative: number, absolute = 0): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i]! - e)).toBeLessThanOrEqual(Math.abs(e) * relative + absolute));
}

// x[n] = sin(0.3 n) + 0.5 cos(1.1 n + 0.2), n = 0..39
const signal = Float32Array.from({ length: 40 }, (_, n) => Math.sin(0.3 * n) + 0.5 * Math.cos(1.1 * n + 0.2));

describe('mel scale and filter bank (librosa)', () => {
  it("converts Hz and mels on Slaney's scale and HTK's", () => {
    expectClose([0, 500, 1000, 4000].map((f) => hzToMel(f)), [0, 7.5, 15, 35.163760314616646], 1e-12);
    for (const f of [0, 300, 999, 1000, 2500, 7999]) {
      expect(melToHz(hzToMel(f))).toBeCloseTo(f, 8);
      expect(melToHz(hzToMel(f, 'htk'), 'htk')).toBeCloseTo(f, 8);
    }
    expect(hzToMel(1000, 'htk')).toBeCloseTo(1000, 0); // HTK's scale is ~1000 mels at 1 kHz by design
  });

  it('equals librosa.filters.mel(sr=16000, n_fft=16, n_mels=4) (slaney scale and norm)', () => {
    const want = [
      [0, 0.000605095764, 0, 0, 0, 0, 0, 0, 0],
      [0, 0.000735213553, 0.000335861497, 0, 0, 0, 0, 0, 0],
      [0, 0, 0.000467264033, 0.000425715196, 9.6809992e-5, 0, 0, 0, 0],
      [0, 0, 0, 0.00012267498, 0.000299228831, 0.000284318356, 0.000189545571, 9.4772785e-5, 0],
    ].flat();
    expectClose(melFilterBank({ sampleRate: 16000, nFft: 16, nMels: 4 }), want, 1e-6, 1e-12);
  });

  it('equals librosa.filters.mel(sr=8000, n_fft=32, n_mels=5, fmin=100, fmax=3800, htk=True, norm=None)', () => {
    const want = [
      [0, 0.562077085888, 0.625916194605, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0.374083805395, 0.942599776956, 0.415850694005, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0.057400223044, 0.584149305995, 0.916841850609, 0.521854336832, 0.126866823056, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0.083158149391, 0.478145663168, 0.873133176944, 0.798947300626, 0.50276237864, 0.206577456655, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0.201052699374, 0.49723762136, 0.793422543345, 0.932807040216, 0.710710125879, 0.488613211542, 0.266516297205, 0.044419382867, 0],
    ].flat();
    expectClose(melFilterBank({ sampleRate: 8000, nFft: 32, nMels: 5, fMin: 100, fMax: 3800, scale: 'htk', norm: 'none' }), want, 1e-6, 1e-9);
  });

  it("reproduces librosa's documented value and Whisper's first filter", () => {
    const bank = melFilterBank({ sampleRate: 22050, nFft: 2048, nMels: 128 });
    expect(bank.length).toBe(128 * 1025);
    expect(bank[1]).toBeCloseTo(0.0161828532, 8);
    // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80): Whisper's mel_filters.npz
    const whisper = melFilterBank({ sampleRate: 16000, nFft: 400, nMels: 80 });
    expect(whisper[1]).toBeCloseTo(0.024862594, 8);
  });

  it('rejects bad options', () => {
    expect(thrownCode(() => melFilterBank({ sampleRate: 16000, nFft: 16, nMels: 0 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => melFilterBank({ sampleRate: 16000, nFft: 16, nMels: 4, fMax: 9000 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => melFilterBank({ sampleRate: 16000, nFft: 16, nMels: 4, fMin: 500, fMax: 400 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => melFilterBank({ sampleRate: -1, nFft: 16, nMels: 4 }))).toBe('INPUT_INVALID');
  });
});

describe('STFT (librosa.stft, center=True, reflect, periodic hann)', () => {
  it('matches NumPy for nFft 16 (fft.js radix-4) and nFft 12 (Bluestein)', () => {
    const p16 = spectrogram(signal, { nFft: 16, hopLength: 4 });
    expect([p16.frames, p16.bins]).toEqual([11, 9]);
    const row = (s: { data: Float32Array; bins: number }, t: number): Float32Array => s.data.subarray(t * s.bins, (t + 1) * s.bins);
    expectClose(row(p16, 0), [18.59302261, 0.943304293, 0.465669878, 1.540586771, 0.383089621, 0.022726386, 0.008002909, 0.010313704, 0.007372449], 1e-5, 2e-6);
    expectClose(row(p16, 3), [5.850822455, 14.033004295, 4.87736797, 3.61107593, 0.530716992, 0.002847626, 0.000288306, 4.1988e-5, 5.834e-6], 1e-5, 2e-6);
    expectClose(row(p16, 10), [57.24173522, 21.797630955, 0.429481546, 3.708331209, 2.368338354, 0.376415303, 0.172396662, 0.119123522, 0.111298397], 1e-5, 2e-6);
    const p12 = spectrogram(signal, { nFft: 12, hopLength: 5 });
    expect([p12.frames, p12.bins]).toEqual([9, 7]);
    expectClose(row(p12, 0), [6.388831773, 0.897858024, 0.092583815, 0.402078088, 0.003148236, 0.012443428, 0.007013661], 1e-5, 2e-6);
    expectClose(row(p12, 3), [22.106768772, 11.205057464, 3.083925643, 0.726613718, 0.001358379, 0.000133282, 6.3097e-5], 1e-5, 2e-6);
    expectClose(row(p12, 8), [37.97545752, 11.146376952, 1.360700384, 2.038113426, 0.355300798, 0.129077257, 0.10487907], 1e-5, 2e-6);
  });

  it('equals a direct DFT for a Whisper-sized frame (nFft 400, Bluestein) and for nFft 512', () => {
    const x = Float32Array.from({ length: 1200 }, (_, n) => Math.sin(0.05 * n) * Math.cos(0.31 * n) + 0.1 * Math.sin(2.9 * n));
    for (const nFft of [400, 512]) {
      const s = stft(x, { nFft, hopLength: 160, center: false, window: 'rectangular' });
      expect(s.bins).toBe(nFft / 2 + 1);
      expect(s.frames).toBe(1 + Math.floor((1200 - nFft) / 160));
      const t = 2;
      for (const k of [0, 1, 7, 50, nFft / 2]) {
        let re = 0;
        let im = 0;
        for (let n = 0; n < nFft; n++) {
          re += x[t * 160 + n]! * Math.cos((2 * Math.PI * k * n) / nFft);
          im -= x[t * 160 + n]! * Math.sin((2 * Math.PI * k * n) / nFft);
        }
        const at = (t * s.bins + k) * 2;
        expect(s.data[at]).toBeCloseTo(re, 3);
        expect(s.data[at + 1]).toBeCloseTo(im, 3);
      }
    }
  });

  it('finds a pure tone in its bin', () => {
    const sr = 16000;
    const tone = Float32Array.from({ length: sr / 4 }, (_, n) => Math.sin((2 * Math.PI * 1000 * n) / sr));
    const p = spectrogram(tone, { nFft: 512, hopLength: 160 });
    const mid = p.data.subarray(10 * p.bins, 11 * p.bins);
    const peak = mid.indexOf(Math.max(...mid));
    expect(peak).toBe(32); // 1000 Hz / (16000 / 512) Hz per bin
  });

  it('rejects bad options and signals too short to reflect', () => {
    expect(thrownCode(() => spectrogram(signal, { nFft: 1 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => spectrogram(signal, { nFft: 16, winLength: 17 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => spectrogram(signal, { nFft: 16, hopLength: 0 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => spectrogram(signal, { nFft: 16, window: 'kaiser' as never }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => spectrogram(new Float32Array(5), { nFft: 16 }))).toBe('INPUT_SHAPE');
    expect(thrownCode(() => spectrogram(new Float32Array(5), { nFft: 16, center: false }))).toBe('INPUT_SHAPE');
    // Zero padding works for any length, a single sample too.
    expect(spectrogram(Float32Array.from([1]), { nFft: 16, padMode: 'constant' }).frames).toBe(1);
  });
});

describe('log-mel spectrogram', () => {
  it('is log10 of the mel-filtered power spectrogram, floored', () => {
    const clip = { samples: signal, sampleRate: 16000 };
    const power = spectrogram(signal, { nFft: 16, hopLength: 4 });
    const bank = melFilterBank({ sampleRate: 16000, nFft: 16, nMels: 4 });
    const logMel = logMelSpectrogram(clip, { nFft: 16, hopLength: 4, nMels: 4 });
    expect([logMel.frames, logMel.bins]).toEqual([11, 4]);
    for (const t of [0, 5, 10]) {
      for (let m = 0; m < 4; m++) {
        let acc = 0;
        for (let k = 0; k < 9; k++) acc += bank[m * 9 + k]! * power.data[t * 9 + k]!;
        expect(logMel.data[t * 4 + m]).toBeCloseTo(Math.log10(Math.max(acc, 1e-10)), 5);
      }
    }
    const silence = logMelSpectrogram({ samples: new Float32Array(64), sampleRate: 16000 }, { nFft: 16, nMels: 4, log: 'db' });
    expect(new Set(silence.data)).toEqual(new Set([-100]));
  });
});

describe('windows and frames', () => {
  it('gives periodic windows by default, symmetric on request', () => {
    expectClose(windowFunction('hann', 4), [0, 0.5, 1, 0.5], 0, 1e-7);
    expectClose(windowFunction('hann', 5, { periodic: false }), [0, 0.5, 1, 0.5, 0], 0, 1e-7);
    expectClose(windowFunction('hamming', 4), [0.08, 0.54, 1, 0.54], 0, 1e-7);
    expectClose(windowFunction('blackman', 4), [0, 0.34, 1, 0.34], 0, 1e-7);
    expect(thrownCode(() => windowFunction('hann', 0))).toBe('INPUT_INVALID');
  });

  it('cuts frames, optionally centred with reflect or zero padding', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
    const plain = frames(x, { frameLength: 3, hopLength: 2 });
    expect(plain.count).toBe(3);
    expect([...plain.data]).toEqual([1, 2, 3, 3, 4, 5, 5, 6, 7]);
    const centred = frames(x, { frameLength: 4, hopLength: 3, center: true });
    // np.pad([1..7], 2, mode='reflect') = [3, 2, 1, ..., 7, 6, 5]
    expect([...centred.data]).toEqual([3, 2, 1, 2, 2, 3, 4, 5, 5, 6, 7, 6]);
    const zeros = frames(x, { frameLength: 4, hopLength: 3, center: true, padMode: 'constant' });
    expect([...zeros.data.subarray(0, 4)]).toEqual([0, 0, 1, 2]);
    expect(thrownCode(() => frames(x, { frameLength: 8, hopLength: 1 }))).toBe('INPUT_SHAPE');
    expect(thrownCode(() => frames(x, { frameLength: 2.5, hopLength: 1 }))).toBe('INPUT_INVALID');
    expect(thrownCode(() => frames(x, { frameLength: 2, hopLength: 1, padMode: 'edge' as never }))).toBe('INPUT_INVALID');
  });
});
