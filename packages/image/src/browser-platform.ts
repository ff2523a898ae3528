/**
 * The browser platform: `createImageBitmap` decodes (applying EXIF orientation), an
 * `OffscreenCanvas` crops and resamples with `drawImage`, and `getImageData` hands the
 * RGBA pixels to the shared conversion pass. No Node module is reachable from here.
 * @module
 * @internal
 */
import { messageOf } from '@inproc/core/backend';
import { imageError, describeValue } from './errors.js';
import type { Pixels } from './pixels.js';
import { type ImagePlatform, type OpenedImage, checkPixels, isIdentity, isPixelSource } from './platform.js';
import { readImageHeader, withoutOrientation } from './header.js';
import { sniffImageFormat } from './sniff.js';
import type { DrawableImage, ImageSource, Kernel } from './types.js';

const MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif', bmp: 'image/bmp', svg: 'image/svg+xml', tiff: 'image/tiff', heif: 'image/heif' };

async function bitmapFrom(blob: Blob, orientation: 'auto' | 'none', what: string): Promise<ImageBitmap> {
  const head = new Uint8Array(await blob.slice(0, 1024).arrayBuffer());
  if (head.length === 0) throw imageError('empty', `${what} is empty (0 bytes)`);
  const format = sniffImageFormat(head);
  if (format === undefined) {
    const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw imageError('unknown-format', `${what} is not a recognised image format; first bytes: ${hex}`);
  }
  const header = readImageHeader(head);
  if (header !== undefined && (header.width === 0 || header.height === 0)) {
    throw imageError('zero-size', `${what} (${format}) has size ${header.width}x${header.height}; expected at least 1x1`);
  }
  let typed = blob.type === MIME[format] ? blob : new Blob([blob], { type: MIME[format] ?? '' });
  if (orientation === 'none' && format === 'jpeg') {
    const all = new Uint8Array(await blob.arrayBuffer());
    const stripped = withoutOrientation(all);
    if (stripped !== all) typed = new Blob([stripped as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' });
  }
  try {
    return await createImageBitmap(typed, { imageOrientation: orientation === 'auto' ? 'from-image' : 'none', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (error) {
    throw imageError('corrupt', `${what} (${format}) could not be decoded (corrupt, truncated or without pixels): ${messageOf(error)}`, error);
  }
}

function sizeOf(image: DrawableImage): { width: number; height: number } {
  if (typeof HTMLImageElement !== 'undefined' && image instanceof HTMLImageElement) return { width: image.naturalWidth, height: image.naturalHeight };
  if (typeof HTMLVideoElement !== 'undefined' && image instanceof HTMLVideoElement) return { width: image.videoWidth, height: image.videoHeight };
  if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) return { width: image.displayWidth, height: image.displayHeight };
  return { width: (image as { width: number }).width, height: (image as { height: number }).height };
}

const isDrawable = (source: unknown): source is DrawableImage =>
  (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) ||
  (typeof OffscreenCanvas !== 'undefined' && source instanceof OffscreenCanvas) ||
  (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) ||
  (typeof HTMLCanvasElement !== 'undefined' && source instanceof HTMLCanvasElement) ||
  (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) ||
  (typeof VideoFrame !== 'undefined' && source instanceof VideoFrame);

function context(width: number, height: number): OffscreenCanvasRenderingContext2D {
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw imageError('unsupported-source', 'this browser gives no 2D OffscreenCanvas context');
  return ctx;
}

function openDrawable(image: DrawableImage): OpenedImage {
  const { width, height } = sizeOf(image);
  if (!(width >= 1 && height >= 1)) throw imageError('zero-size', `image has size ${width}x${height}; expected at least 1x1`);
  return {
    width,
    height,
    async render(region, rw, rh, kernel, _alpha) {
      const ctx = context(rw, rh);
      setKernel(ctx, kernel);
      ctx.drawImage(image, region.x, region.y, region.width, region.height, 0, 0, rw, rh);
      return { data: ctx.getImageData(0, 0, rw, rh).data, width: rw, height: rh, channels: 4 };
    },
  };
}

function setKernel(ctx: OffscreenCanvasRenderingContext2D, kernel: Kernel): void {
  // Canvas offers three smoothing qualities; "medium" is bilinear with mipmaps in
  // Chromium, the closest to an antialiased linear filter, "high" a cubic one.
  ctx.imageSmoothingEnabled = kernel !== 'nearest';
  ctx.imageSmoothingQuality = kernel === 'linear' ? 'medium' : 'high';
}

function openPixels(source: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number }): OpenedImage {
  const pixels = checkPixels(source);
  return {
    width: pixels.width,
    height: pixels.height,
    async render(region, rw, rh, kernel, alpha): Promise<Pixels> {
      if (isIdentity(pixels, region, rw, rh) && (!alpha || pixels.channels === 4)) return pixels;
      const rgba = new ImageData(pixels.width, pixels.height);
      const d = rgba.data;
      const src = pixels.data;
      const c = pixels.channels;
      for (let i = 0, j = 0; i < d.length; i += 4, j += c) {
        d[i] = src[j]!;
        d[i + 1] = src[c >= 3 ? j + 1 : j]!;
        d[i + 2] = src[c >= 3 ? j + 2 : j]!;
        d[i + 3] = c === 4 ? src[j + 3]! : 255;
      }
      const canvas = context(pixels.width, pixels.height);
      canvas.putImageData(rgba, 0, 0);
      return openDrawable(canvas.canvas).render(region, rw, rh, kernel, alpha);
    },
  };
}

/** The canvas platform. */
export const browserPlatform: ImagePlatform = {
  name: 'canvas',
  async open(source: ImageSource, orientation) {
    if (typeof source === 'string' || source instanceof URL) {
      let response: Response;
      try {
        response = await fetch(source);
      } catch (error) {
        throw imageError('not-found', `image ${String(source)} could not be fetched: ${messageOf(error)}`, error);
      }
      if (!response.ok) throw imageError('not-found', `image ${String(source)}: HTTP ${response.status}`);
      return openDrawable(await bitmapFrom(await response.blob(), orientation, `image ${String(source)}`));
    }
    if (source instanceof Uint8Array) return openDrawable(await bitmapFrom(new Blob([source as Uint8Array<ArrayBuffer>]), orientation, 'image bytes'));
    if (source instanceof ArrayBuffer) return openDrawable(await bitmapFrom(new Blob([source]), orientation, 'image bytes'));
    if (source instanceof Blob) return openDrawable(await bitmapFrom(source, orientation, 'image blob'));
    if (isPixelSource(source)) return openPixels(source);
    if (isDrawable(source)) {
      if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement && !source.complete) {
        try {
          await source.decode();
        } catch (error) {
          throw imageError('corrupt', `<img src="${source.src}"> could not be decoded: ${messageOf(error)}`, error);
        }
      }
      return openDrawable(source);
    }
    throw imageError('unsupported-source', `an image source in browsers is a URL, bytes, a Blob, ImageData/pixels or a drawable (img, canvas, ImageBitmap, VideoFrame), got ${describeValue(source)}`);
  },
};
