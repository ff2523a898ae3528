/**
 * Real-input FFT of any size. Powers of two go straight to fft.js (radix-4, the most
 * used FFT on npm); other sizes (Whisper's 400) use Bluestein's chirp-z algorithm,
 * which expresses a size-n DFT as a convolution computed with power-of-two fft.js
 * transforms. Only the transform plumbing lives here; the FFT itself is fft.js.
 * @module
 * @internal
 */
import FFT from 'fft.js';

/** A reusable real-input FFT of one size: `transform` writes bins 0..n/2 (re, im interleaved). */
export class RealFft {
  readonly size: number;
  readonly #pow2: FFT | undefined;
  readonly #input: number[] | undefined;
  readonly #output: number[] | undefined;
  readonly #bluestein: Bluestein | undefined;

  constructor(size: number) {
    this.size = size;
    if (size >= 2 && (size & (size - 1)) === 0) {
      this.#pow2 = new FFT(size);
      this.#input = new Array<number>(size).fill(0);
      this.#output = this.#pow2.createComplexArray() as number[];
    } else {
      this.#bluestein = new Bluestein(size);
    }
  }

  /** `spectrum[2k], spectrum[2k+1]` = real, imaginary part of bin k, for k in 0..size/2. */
  transform(frame: ArrayLike<number>, spectrum: Float64Array): void {
    const bins = (this.size >> 1) + 1;
    if (this.#pow2 !== undefined) {
      const input = this.#input!;
      const output = this.#output!;
      for (let i = 0; i < this.size; i++) input[i] = frame[i]!;
      this.#pow2.realTransform(output, input);
      for (let k = 0; k < 2 * bins; k++) spectrum[k] = output[k]!;
      return;
    }
    this.#bluestein!.transform(frame, spectrum, bins);
  }
}

/**
 * X[k] = conj(w[k]) * sum_n (x[n] conj(w[n])) w[k - n], with w[n] = exp(i pi n^2 / N):
 * a circular convolution of length M >= 2N - 1 (a power of two) done with fft.js.
 */
class Bluestein {
  readonly #n: number;
  readonly #fft: FFT;
  readonly #m: number;
  /** exp(-i pi n^2 / N), interleaved. */
  readonly #chirp: Float64Array;
  /** FFT of the conjugate chirp, wrapped to length M. */
  readonly #kernel: number[];
  readonly #a: number[];
  readonly #spectrumA: number[];
  readonly #product: number[];
  readonly #conv: number[];

  constructor(n: number) {
    this.#n = n;
    let m = 1;
    while (m < 2 * n - 1) m <<= 1;
    this.#m = m;
    this.#fft = new FFT(Math.max(2, m));
    this.#chirp = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      // i^2 mod 2n keeps the angle small, so it stays exact for large n.
      const angle = (Math.PI * ((i * i) % (2 * n))) / n;
      this.#chirp[2 * i] = Math.cos(angle);
      this.#chirp[2 * i + 1] = -Math.sin(angle);
    }
    const b = this.#fft.createComplexArray() as number[];
    b.fill(0);
    for (let i = 0; i < n; i++) {
      const re = this.#chirp[2 * i]!;
      const im = -this.#chirp[2 * i + 1]!;
      b[2 * i] = re;
      b[2 * i + 1] = im;
      if (i > 0) {
        b[2 * (m - i)] = re;
        b[2 * (m - i) + 1] = im;
      }
    }
    this.#kernel = this.#fft.createComplexArray() as number[];
    this.#fft.transform(this.#kernel, b);
    this.#a = this.#fft.createComplexArray() as number[];
    this.#spectrumA = this.#fft.createComplexArray() as number[];
    this.#product = this.#fft.createComplexArray() as number[];
    this.#conv = this.#fft.createComplexArray() as number[];
  }

  transform(frame: ArrayLike<number>, spectrum: Float64Array, bins: number): void {
    const n = this.#n;
    const a = this.#a;
    a.fill(0);
    for (let i = 0; i < n; i++) {
      const x = frame[i]!;
      a[2 * i] = x * this.#chirp[2 * i]!;
      a[2 * i + 1] = x * this.#chirp[2 * i + 1]!;
    }
    this.#fft.transform(this.#spectrumA, a);
    const p = this.#product;
    const k = this.#kernel;
    const s = this.#spectrumA;
    for (let i = 0; i < this.#m; i++) {
      const ar = s[2 * i]!;
      const ai = s[2 * i + 1]!;
      const br = k[2 * i]!;
      const bi = k[2 * i + 1]!;
      p[2 * i] = ar * br - ai * bi;
      p[2 * i + 1] = ar * bi + ai * br;
    }
    this.#fft.inverseTransform(this.#conv, p);
    for (let j = 0; j < bins; j++) {
      const cr = this.#conv[2 * j]!;
      const ci = this.#conv[2 * j + 1]!;
      const wr = this.#chirp[2 * j]!;
      const wi = this.#chirp[2 * j + 1]!;
      spectrum[2 * j] = cr * wr - ci * wi;
      spectrum[2 * j + 1] = cr * wi + ci * wr;
    }
  }
}
