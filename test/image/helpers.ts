/**
 * Shared inputs and reference computations for the @inproc/image tests (Node and the
 * Chromium page): small synthetic images whose expected tensors are computed here
 * independently of the library (plain float64 arithmetic, no shared code).
 */
import type { RawImage } from '@inproc/image';

/**
 * A 32x8 RGB image whose channels are linear ramps: R = 10 + 2x + 2y, G = 200 - 2x,
 * B = 77. Any symmetric, normalised resampling filter (box, linear, cubic...) keeps a
 * linear ramp linear away from the borders, so a resized pixel's expected value is the
 * ramp at the pixel's centre mapped back to the source: ((x + 0.5) * scale - 0.5).
 */
export function rampImage(width = 32, height = 8): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = 10 + 2 * x + 2 * y;
      data[i + 1] = 200 - 2 * x;
      data[i + 2] = 77;
    }
  }
  return { data, width, height, channels: 3 };
}

/** The ramp's value of channel `c` at (possibly fractional) source coordinates. */
export function rampAt(c: number, x: number, y: number): number {
  return c === 0 ? 10 + 2 * x + 2 * y : c === 1 ? 200 - 2 * x : 77;
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Index of element (c, y, x) of image 0 in an NCHW tensor. */
export const nchw = (c: number, y: number, x: number, h: number, w: number): number => (c * h + y) * w + x;

/** Largest absolute difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A 16x12 probability map with two text-like blocks (0.9) on 0.05, and one weak block (0.4). */
export function textMap(): { map: Float32Array; width: number; height: number } {
  const width = 16;
  const height = 12;
  const map = new Float32Array(width * height).fill(0.05);
  const fill = (x1: number, y1: number, x2: number, y2: number, v: number): void => {
    for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) map[y * width + x] = v;
  };
  fill(2, 2, 11, 5, 0.9); // 10 x 4 pixels
  fill(3, 8, 8, 11, 0.9); // 6 x 4 pixels
  fill(12, 7, 15, 11, 0.4); // 4 x 5 pixels, below the box threshold
  return { map, width, height };
}
