/**
 * Geometry: where each fit mode puts the image (the resize plan shared by the Node and
 * browser paths), and the transforms that map points and boxes between tensor and
 * original-image coordinates.
 * @module
 */
import { imageError, describeValue } from './errors.js';
import type { Box, BoxFormat, Fit, ImageTransform, Kernel, Point, Quad, Rect, ResizeOptions } from './types.js';

const FITS: readonly Fit[] = ['fill', 'contain', 'cover', 'shortest-edge', 'longest-edge', 'none'];
const KERNELS: readonly Kernel[] = ['nearest', 'linear', 'cubic', 'lanczos3'];

/** Validated resize options with defaults applied. @internal */
export interface ResolvedResize {
  readonly fit: Fit;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly size: number | undefined;
  readonly upscale: boolean;
  readonly multipleOf: number;
  readonly position: 'center' | 'top-left';
  readonly padding: readonly number[];
  readonly kernel: Kernel;
  readonly crop: Rect | undefined;
  readonly centerCrop: { readonly width: number; readonly height: number } | undefined;
}

const positiveInt = (name: string, value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw imageError('bad-option', `${name} must be a positive integer, got ${describeValue(value)}`);
  return value;
};

/** Validates resize options (throws `INPUT_INVALID` naming the field). @internal */
export function resolveResize(options: ResizeOptions): ResolvedResize {
  const fit = options.fit ?? (options.width !== undefined || options.height !== undefined ? 'fill' : options.size !== undefined ? 'shortest-edge' : 'none');
  if (!FITS.includes(fit)) throw imageError('bad-option', `fit must be one of ${FITS.join(', ')}, got ${describeValue(fit)}`);
  const width = positiveInt('width', options.width);
  const height = positiveInt('height', options.height);
  const size = positiveInt('size', options.size);
  const multipleOf = positiveInt('multipleOf', options.multipleOf) ?? 1;
  if ((fit === 'fill' || fit === 'contain' || fit === 'cover') && (width === undefined || height === undefined)) {
    throw imageError('bad-option', `fit "${fit}" needs width and height, got width ${describeValue(width)} and height ${describeValue(height)}`);
  }
  if ((fit === 'shortest-edge' || fit === 'longest-edge') && size === undefined) throw imageError('bad-option', `fit "${fit}" needs size`);
  const kernel = options.kernel ?? 'linear';
  if (!KERNELS.includes(kernel)) throw imageError('bad-option', `kernel must be one of ${KERNELS.join(', ')}, got ${describeValue(kernel)}`);
  const position = options.position ?? 'center';
  if (position !== 'center' && position !== 'top-left') throw imageError('bad-option', `position must be "center" or "top-left", got ${describeValue(position)}`);
  if (options.upscale !== undefined && typeof options.upscale !== 'boolean') throw imageError('bad-option', `upscale must be a boolean, got ${describeValue(options.upscale)}`);
  const pad = options.padding ?? 0;
  const padding = typeof pad === 'number' ? [pad] : Array.isArray(pad) ? [...(pad as readonly number[])] : undefined;
  if (padding === undefined || padding.length === 0 || padding.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw imageError('bad-option', `padding must be a number or an array of numbers (pixel values 0-255), got ${describeValue(pad)}`);
  }
  let crop: Rect | undefined;
  if (options.crop !== undefined) {
    const c = options.crop as Partial<Rect> | null;
    if (typeof c !== 'object' || c === null || ![c.x, c.y].every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      throw imageError('bad-option', `crop must be { x, y, width, height } in whole pixels, got ${describeValue(c)}`);
    }
    crop = { x: c.x!, y: c.y!, width: positiveInt('crop.width', c.width)!, height: positiveInt('crop.height', c.height)! };
    if (crop.width === undefined || crop.height === undefined) throw imageError('bad-option', 'crop needs width and height');
  }
  let centerCrop: ResolvedResize['centerCrop'];
  if (options.centerCrop !== undefined) {
    if (fit === 'contain' || fit === 'cover') throw imageError('bad-option', `centerCrop cannot be combined with fit "${fit}" (it already decides the window)`);
    const cw = positiveInt('centerCrop.width', options.centerCrop.width);
    const ch = positiveInt('centerCrop.height', options.centerCrop.height);
    if (cw === undefined || ch === undefined) throw imageError('bad-option', 'centerCrop needs width and height');
    centerCrop = { width: cw, height: ch };
  }
  return { fit, width, height, size, upscale: options.upscale ?? true, multipleOf, position, padding, kernel, crop, centerCrop };
}

/**
 * The plan for one image: the region of the original to read, the size to resample it
 * to, and the output window. Output pixel (x, y) reads resampled pixel
 * (x + windowX, y + windowY); outside the resampled image it is padding. @internal
 */
export interface ResizePlan {
  readonly region: Rect;
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  readonly outWidth: number;
  readonly outHeight: number;
  readonly windowX: number;
  readonly windowY: number;
  readonly transform: ImageTransform;
}

const roundTo = (value: number, multiple: number): number => Math.max(multiple, Math.round(value / multiple) * multiple);

/** Computes the plan for an original of the given (oriented) size. @internal */
export function planResize(originalWidth: number, originalHeight: number, r: ResolvedResize): ResizePlan {
  if (!(originalWidth >= 1 && originalHeight >= 1)) throw imageError('zero-size', `image has size ${originalWidth}x${originalHeight}; expected at least 1x1`);
  let region: Rect = { x: 0, y: 0, width: originalWidth, height: originalHeight };
  if (r.crop !== undefined) {
    const c = r.crop;
    if (c.x + c.width > originalWidth || c.y + c.height > originalHeight) {
      throw imageError('bad-option', `crop ${c.width}x${c.height} at (${c.x}, ${c.y}) reaches outside the ${originalWidth}x${originalHeight} image`);
    }
    region = c;
  }
  const w = region.width;
  const h = region.height;
  let rw = w;
  let rh = h;
  let outW = w;
  let outH = h;
  let wx = 0;
  let wy = 0;
  const m = r.multipleOf;
  switch (r.fit) {
    case 'fill':
      rw = outW = r.width!;
      rh = outH = r.height!;
      break;
    case 'contain':
    case 'cover': {
      outW = r.width!;
      outH = r.height!;
      const scale = r.fit === 'contain' ? Math.min(outW / w, outH / h) : Math.max(outW / w, outH / h);
      rw = r.fit === 'contain' ? Math.min(outW, Math.max(1, Math.round(w * scale))) : Math.max(outW, Math.round(w * scale));
      rh = r.fit === 'contain' ? Math.min(outH, Math.max(1, Math.round(h * scale))) : Math.max(outH, Math.round(h * scale));
      if (r.position === 'center') {
        // contain: negative window offsets put the image in the middle; cover: positive ones crop it there.
        wx = Math.floor((rw - outW) / 2);
        wy = Math.floor((rh - outH) / 2);
      }
      break;
    }
    case 'shortest-edge':
    case 'longest-edge': {
      const edge = r.fit === 'shortest-edge' ? Math.min(w, h) : Math.max(w, h);
      let scale = r.size! / edge;
      if (!r.upscale && scale > 1) scale = 1;
      // As in Hugging Face image processors: the fitted edge is exact, the other one is floored.
      rw = w <= h === (r.fit === 'shortest-edge') ? Math.round(w * scale) : Math.max(1, Math.floor(w * scale));
      rh = w <= h === (r.fit === 'shortest-edge') ? Math.max(1, Math.floor(h * scale)) : Math.round(h * scale);
      if (m > 1) {
        rw = roundTo(w * scale, m);
        rh = roundTo(h * scale, m);
      }
      outW = rw;
      outH = rh;
      break;
    }
    case 'none':
      if (m > 1) {
        rw = outW = roundTo(w, m);
        rh = outH = roundTo(h, m);
      }
      break;
  }
  if (r.centerCrop !== undefined) {
    wx = Math.floor((rw - r.centerCrop.width) / 2);
    wy = Math.floor((rh - r.centerCrop.height) / 2);
    outW = r.centerCrop.width;
    outH = r.centerCrop.height;
  }
  const scaleX = rw / w;
  const scaleY = rh / h;
  return {
    region,
    resizeWidth: rw,
    resizeHeight: rh,
    outWidth: outW,
    outHeight: outH,
    windowX: wx,
    windowY: wy,
    transform: {
      original: { width: originalWidth, height: originalHeight },
      size: { width: outW, height: outH },
      scaleX,
      scaleY,
      offsetX: 0 - region.x * scaleX - wx + 0,
      offsetY: 0 - region.y * scaleY - wy + 0,
    },
  };
}

/** The identity transform of an image of the given size. */
export function identityTransform(width: number, height: number): ImageTransform {
  return { original: { width, height }, size: { width, height }, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 };
}

/** `second` after `first`: the transform from `first`'s original to `second`'s output. */
export function composeTransforms(first: ImageTransform, second: ImageTransform): ImageTransform {
  return {
    original: first.original,
    size: second.size,
    scaleX: first.scaleX * second.scaleX,
    scaleY: first.scaleY * second.scaleY,
    offsetX: first.offsetX * second.scaleX + second.offsetX,
    offsetY: first.offsetY * second.scaleY + second.offsetY,
  };
}

/** A point in tensor pixels mapped to the original image. */
export function toOriginalPoint(t: ImageTransform, point: Point): Point {
  return [(point[0] - t.offsetX) / t.scaleX, (point[1] - t.offsetY) / t.scaleY];
}

/** A point in the original image mapped to tensor pixels. */
export function toTensorPoint(t: ImageTransform, point: Point): Point {
  return [point[0] * t.scaleX + t.offsetX, point[1] * t.scaleY + t.offsetY];
}

/** Options of {@link toOriginalBox}. */
export interface ToOriginalOptions {
  /** Format of the given box; the result has the same format. Default `xyxy`. */
  readonly format?: BoxFormat;
  /** Coordinates are fractions of the tensor's width and height (0-1) rather than pixels. */
  readonly normalized?: boolean;
  /** Clamp to the original image (default true). */
  readonly clip?: boolean;
}

/** A box in tensor coordinates mapped to the original image (clipped to it by default). */
export function toOriginalBox(t: ImageTransform, box: Box, options: ToOriginalOptions = {}): Box {
  const format = options.format ?? 'xyxy';
  let [x1, y1, x2, y2] = convertBox(box, format, 'xyxy');
  if (options.normalized === true) {
    x1 *= t.size.width;
    x2 *= t.size.width;
    y1 *= t.size.height;
    y2 *= t.size.height;
  }
  [x1, y1] = toOriginalPoint(t, [x1, y1]);
  [x2, y2] = toOriginalPoint(t, [x2, y2]);
  if (options.clip !== false) {
    const { width, height } = t.original;
    x1 = Math.min(Math.max(x1, 0), width);
    x2 = Math.min(Math.max(x2, 0), width);
    y1 = Math.min(Math.max(y1, 0), height);
    y2 = Math.min(Math.max(y2, 0), height);
  }
  return convertBox([x1, y1, x2, y2], 'xyxy', format);
}

/** A quadrilateral in tensor pixels mapped to the original image, clipped to it. */
export function toOriginalQuad(t: ImageTransform, quad: Quad): Quad {
  const { width, height } = t.original;
  const map = (p: Point): Point => {
    const [x, y] = toOriginalPoint(t, p);
    return [Math.min(Math.max(x, 0), width), Math.min(Math.max(y, 0), height)];
  };
  return [map(quad[0]), map(quad[1]), map(quad[2]), map(quad[3])];
}

/** Converts a box between `xyxy`, `xywh` (corner + size) and `cxcywh` (centre + size). */
export function convertBox(box: Box, from: BoxFormat, to: BoxFormat): Box {
  if (from === to) return box;
  let x1: number, y1: number, x2: number, y2: number;
  if (from === 'xyxy') [x1, y1, x2, y2] = box;
  else if (from === 'xywh') [x1, y1, x2, y2] = [box[0], box[1], box[0] + box[2], box[1] + box[3]];
  else [x1, y1, x2, y2] = [box[0] - box[2] / 2, box[1] - box[3] / 2, box[0] + box[2] / 2, box[1] + box[3] / 2];
  if (to === 'xyxy') return [x1, y1, x2, y2];
  if (to === 'xywh') return [x1, y1, x2 - x1, y2 - y1];
  return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1];
}
