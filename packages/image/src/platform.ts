/**
 * The seam between the shared image code and its host: sharp in Node, the canvas APIs
 * in browsers. Each package entry (index.ts for Node, browser.ts for browsers, chosen by
 * the `exports` conditions) installs its platform, so that the browser build never
 * reaches sharp or `node:*` modules.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';
import type { Pixels } from './pixels.js';
import type { ImageSource, Kernel, Rect } from './types.js';

/** A source opened far enough to know its (oriented) size. */
export interface OpenedImage {
  readonly width: number;
  readonly height: number;
  /**
   * Pixels of `region` resampled to `width` x `height` (3 channels, or 4 with `alpha`;
   * a pixel source may come back with its own channel count, 1, 3 or 4).
   */
  render(region: Rect, width: number, height: number, kernel: Kernel, alpha: boolean): Promise<Pixels>;
}

export interface ImagePlatform {
  readonly name: string;
  open(source: ImageSource, orientation: 'auto' | 'none'): Promise<OpenedImage>;
}

let current: ImagePlatform | undefined;

export function setPlatform(platform: ImagePlatform): void {
  current = platform;
}

export function platform(): ImagePlatform {
  if (current === undefined) throw new InprocError('BACKEND_UNAVAILABLE', '@inproc/image was loaded without a platform entry; import "@inproc/image" (not a file inside it)');
  return current;
}

/** True for `{ data, width, height }` pixel objects (RawImage, ImageData). */
export function isPixelSource(source: unknown): source is { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number } {
  if (typeof source !== 'object' || source === null) return false;
  const s = source as { data?: unknown; width?: unknown; height?: unknown };
  return (s.data instanceof Uint8Array || s.data instanceof Uint8ClampedArray) && typeof s.width === 'number' && typeof s.height === 'number';
}

/** Validates a pixel source and returns it as `Pixels` (ImageData-like objects are RGBA). */
export function checkPixels(source: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number }): Pixels {
  const { width, height, data } = source;
  const channels = source.channels ?? 4;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new InprocError('INPUT_INVALID', `pixels: width and height must be whole numbers, got ${width}x${height}`, { details: { reason: 'bad-option' } });
  }
  if (width === 0 || height === 0) throw new InprocError('INPUT_INVALID', `image has size ${width}x${height}; expected at least 1x1`, { details: { reason: 'zero-size' } });
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new InprocError('INPUT_INVALID', `pixels: channels must be 1, 3 or 4, got ${String(channels)}`, { details: { reason: 'bad-option' } });
  }
  if (data.length !== width * height * channels) {
    throw new InprocError('INPUT_INVALID', `pixels: ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`, { details: { reason: 'bad-option' } });
  }
  return { data, width, height, channels };
}

/** True when a render of `region` at `width` x `height` is the pixels as they are. */
export function isIdentity(pixels: Pixels, region: Rect, width: number, height: number): boolean {
  return region.x === 0 && region.y === 0 && region.width === pixels.width && region.height === pixels.height && width === pixels.width && height === pixels.height;
}
