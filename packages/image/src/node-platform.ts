/**
 * The Node platform: sharp (an optional peer, imported on first use) decodes, applies
 * EXIF orientation, crops and resamples in one libvips pipeline, so that JPEGs are
 * shrunk while they load. Only the Node entry (index.ts) imports this module.
 * @module
 * @internal
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { InprocError } from '@inproc/core';
import { lazyPeer, messageOf } from '@inproc/core/backend';
import type { Sharp, SharpOptions } from 'sharp';
import { imageError, describeValue } from './errors.js';
import type { Pixels } from './pixels.js';
import { type ImagePlatform, type OpenedImage, checkPixels, isIdentity, isPixelSource } from './platform.js';
import { readImageHeader } from './header.js';
import { sniffImageFormat } from './sniff.js';
import type { ImageSource, Kernel, Rect } from './types.js';

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;

/** Imports sharp once; a missing sharp is `BACKEND_UNAVAILABLE` naming the package. */
// Hidden from bundlers (a native addon that only Node loads): a server bundle builds without sharp installed.
export const importSharp = lazyPeer<SharpFactory>('sharp', () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ 'sharp'), { neededBy: '@inproc/image in Node' });

async function readSource(source: string | URL): Promise<Uint8Array> {
  let path: string;
  if (source instanceof URL || /^[a-z][a-z0-9+.-]+:\/\//i.test(source)) {
    const url = source instanceof URL ? source : new URL(source);
    if (url.protocol !== 'file:') throw imageError('unsupported-source', `${url.protocol} URLs are not fetched in Node (Inproc never uses the network on its own); fetch the bytes and pass them`);
    path = fileURLToPath(url);
  } else {
    path = source;
  }
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw imageError('not-found', `image file not found: ${path}`, error);
    throw imageError('not-found', `cannot read image file ${path}: ${messageOf(error)}`, error);
  }
}

/** Maps a libvips failure to an error code with the reason. */
function decodeFailure(error: unknown, what: string): InprocError {
  const message = messageOf(error);
  if (/pixel limit/i.test(message)) return new InprocError('LIMIT_EXCEEDED', `${what}: ${message}`, { cause: error });
  if (/zero|width or height|bad dimensions|dimensions.*0/i.test(message)) return imageError('zero-size', `${what} has no pixels: ${message}`, error);
  return imageError('corrupt', `${what} could not be decoded (corrupt or truncated): ${message}`, error);
}

async function openEncoded(bytes: Uint8Array, orientation: 'auto' | 'none', what: string): Promise<OpenedImage> {
  if (bytes.length === 0) throw imageError('empty', `${what} is empty (0 bytes)`);
  const format = sniffImageFormat(bytes);
  if (format === undefined || format === 'bmp') {
    const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw imageError('unknown-format', `${what} is not an image format sharp decodes (JPEG, PNG, WebP, GIF, AVIF, HEIF, TIFF, SVG); first bytes: ${head}`);
  }
  const sharp = await importSharp();
  let meta: { width?: number | undefined; height?: number | undefined; orientation?: number | undefined } | undefined = readImageHeader(bytes);
  if (meta === undefined) {
    try {
      meta = await sharp(bytes).metadata();
    } catch (error) {
      throw decodeFailure(error, `${what} (${format})`);
    }
  }
  const swap = orientation === 'auto' && (meta.orientation ?? 1) >= 5;
  const width = (swap ? meta.height : meta.width) ?? 0;
  const height = (swap ? meta.width : meta.height) ?? 0;
  if (!(width >= 1 && height >= 1)) throw imageError('zero-size', `${what} (${format}) has size ${width}x${height}; expected at least 1x1`);
  return {
    width,
    height,
    async render(region, rw, rh, kernel, alpha) {
      let pipeline = sharp(bytes);
      if (orientation === 'auto') pipeline = pipeline.autoOrient();
      return run(pipeline, { width, height }, region, rw, rh, kernel, alpha, `${what} (${format})`);
    },
  };
}

async function run(pipeline: Sharp, size: { width: number; height: number }, region: Rect, rw: number, rh: number, kernel: Kernel, alpha: boolean, what: string): Promise<Pixels> {
  if (region.x !== 0 || region.y !== 0 || region.width !== size.width || region.height !== size.height) {
    pipeline = pipeline.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
  }
  if (rw !== region.width || rh !== region.height) pipeline = pipeline.resize(rw, rh, { fit: 'fill', kernel });
  pipeline = alpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
  try {
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw decodeFailure(error, what);
  }
}

function openPixels(source: { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: number }): OpenedImage {
  const pixels = checkPixels(source);
  return {
    width: pixels.width,
    height: pixels.height,
    async render(region, rw, rh, kernel, alpha) {
      if (isIdentity(pixels, region, rw, rh) && (!alpha || pixels.channels === 4)) return pixels;
      const sharp = await importSharp();
      const data = pixels.data as Uint8Array | Uint8ClampedArray;
      const input = sharp(data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength), {
        raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 3 | 4 },
      });
      return run(input, pixels, region, rw, rh, kernel, alpha, 'pixels');
    },
  };
}

/** The sharp platform. */
export const nodePlatform: ImagePlatform = {
  name: 'sharp',
  async open(source: ImageSource, orientation) {
    if (typeof source === 'string' || source instanceof URL) return openEncoded(await readSource(source), orientation, `image ${String(source)}`);
    if (source instanceof Uint8Array) return openEncoded(source, orientation, 'image bytes');
    if (source instanceof ArrayBuffer) return openEncoded(new Uint8Array(source), orientation, 'image bytes');
    if (typeof Blob !== 'undefined' && source instanceof Blob) return openEncoded(new Uint8Array(await source.arrayBuffer()), orientation, 'image blob');
    if (isPixelSource(source)) return openPixels(source);
    throw imageError('unsupported-source', `an image source in Node is a path, a file: URL, bytes, a Blob or { data, width, height, channels } pixels, got ${describeValue(source)}`);
  },
};
