/**
 * Deterministic test audio, the same wherever it is made (Node, a page, a bundler's app
 * that reads it from a file): the inputs Silero VAD gets in the browser tests and in
 * test/bundlers, compared with the same model run in Node.
 */

/** A chirp (200 Hz rising) with a little seeded noise, 16 kHz, `frames` x 512 samples. */
export function chirp(frames: number): number[] {
  let seed = 12345;
  return Array.from({ length: frames * 512 }, (_, i) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 0.4 * Math.sin((2 * Math.PI * (200 + i / 40) * i) / 16000) + 0.05 * (seed / 2147483648 - 0.5);
  });
}
