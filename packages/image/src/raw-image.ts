/**
 * Operations on decoded pixels that are the same on every platform and need no
 * decoder: rectangular crops, right-angle rotations, and perspective crops of a
 * quadrilateral (the rotated text boxes of OCR) with bilinear sampling.
 * @module
 */
import { imageError, describeValue } from './errors.js';
import { checkPixels } from './platform.js';
import type { Quad, RawImage, Rect } from './types.js';

function check(image: RawImage): RawImage {
  const p = checkPixels(image);
  return { data: p.data as Uint8Array, width: p.width, height: p.height, channels: p.channels as 1 | 3 | 4 };
}

/** A rectangular region of an image (copied). */
export function cropImage(image: RawImage, rect: Rect): RawImage {
  const { width, height, channels, data } = check(image);
  const { x, y, width: w, height: h } = rect;
  if (![x, y, w, h].every(Number.isInteger) || x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height) {
    throw imageError('bad-option', `crop ${describeValue(rect)} must be whole pixels inside the ${width}x${height} image`);
  }
  const out = new Uint8Array(w * h * channels);
  for (let row = 0; row < h; row++) out.set(data.subarray(((y + row) * width + x) * channels, ((y + row) * width + x + w) * channels), row * w * channels);
  return { data: out, width: w, height: h, channels };
}

/** Rotates by a multiple of 90 degrees, clockwise. */
export function rotateImage(image: RawImage, degrees: 90 | 180 | 270): RawImage {
  const { width: w, height: h, channels: c, data } = check(image);
  if (degrees !== 90 && degrees !== 180 && degrees !== 270) throw imageError('bad-option', `rotation must be 90, 180 or 270 degrees, got ${describeValue(degrees)}`);
  const ow = degrees === 180 ? w : h;
  const oh = degrees === 180 ? h : w;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // The source pixel each output pixel shows.
      const sx = degrees === 90 ? y : degrees === 180 ? w - 1 - x : w - 1 - y;
      const sy = degrees === 90 ? h - 1 - x : degrees === 180 ? h - 1 - y : x;
      const o = (y * ow + x) * c;
      const s = (sy * w + sx) * c;
      for (let k = 0; k < c; k++) out[o + k] = data[s + k]!;
    }
  }
  return { data: out, width: ow, height: oh, channels: c };
}

/** Options of {@link cropQuad}. */
export interface QuadCropOptions {
  /** Output width; default the longer of the quad's top and bottom edges. */
  readonly width?: number;
  /** Output height; default the longer of its left and right edges. */
  readonly height?: number;
}

/**
 * The region inside a quadrilateral, warped to an upright `width` x `height` image:
 * corner 0 maps to (0, 0), 1 to (width, 0), 2 to (width, height), 3 to (0, height) -
 * the convention of OpenCV's `getPerspectiveTransform` + `warpPerspective` that
 * PaddleOCR uses. Bilinear sampling with edge pixels repeated; when the crop shrinks
 * the region, each output pixel averages a grid of samples so that small text keeps
 * its strokes.
 */
export function cropQuad(image: RawImage, quad: Quad, options: QuadCropOptions = {}): RawImage {
  const { width: iw, height: ih, channels: c, data } = check(image);
  if (!Array.isArray(quad) || quad.length !== 4 || quad.some((p) => !Array.isArray(p) || p.length !== 2 || !p.every(Number.isFinite))) {
    throw imageError('bad-option', `a quad is four [x, y] points, got ${describeValue(quad)}`);
  }
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = quad;
  const dist = (ax: number, ay: number, bx: number, by: number): number => Math.hypot(ax - bx, ay - by);
  const edgeW = Math.max(dist(x0, y0, x1, y1), dist(x3, y3, x2, y2));
  const edgeH = Math.max(dist(x0, y0, x3, y3), dist(x1, y1, x2, y2));
  const W = options.width ?? Math.max(1, Math.round(edgeW));
  const H = options.height ?? Math.max(1, Math.round(edgeH));
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) throw imageError('bad-option', `quad crop size must be positive whole pixels, got ${W}x${H}`);
  // Unit square to quad (Heckbert's closed form).
  const dx1 = x1 - x2, dx2 = x3 - x2, dx3 = x0 - x1 + x2 - x3;
  const dy1 = y1 - y2, dy2 = y3 - y2, dy3 = y0 - y1 + y2 - y3;
  let g = 0, h = 0;
  const den = dx1 * dy2 - dx2 * dy1;
  if ((dx3 !== 0 || dy3 !== 0) && den !== 0) {
    g = (dx3 * dy2 - dx2 * dy3) / den;
    h = (dx1 * dy3 - dx3 * dy1) / den;
  }
  const a = x1 - x0 + g * x1, b = x3 - x0 + h * x3;
  const d = y1 - y0 + g * y1, e = y3 - y0 + h * y3;
  // Samples per axis: enough that neighbouring samples are at most one source pixel apart.
  const k = Math.min(4, Math.max(1, Math.ceil(Math.max(edgeW / W, edgeH / H) - 0.01)));
  const out = new Uint8Array(W * H * c);
  const acc = new Float64Array(c);
  const maxX = iw - 1, maxY = ih - 1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      acc.fill(0);
      for (let sy = 0; sy < k; sy++) {
        const v = (y + (sy + 0.5) / k - 0.5) / H;
        for (let sx = 0; sx < k; sx++) {
          const u = (x + (sx + 0.5) / k - 0.5) / W;
          const wgt = g * u + h * v + 1;
          let px = (a * u + b * v + x0) / wgt;
          let py = (d * u + e * v + y0) / wgt;
          px = px < 0 ? 0 : px > maxX ? maxX : px;
          py = py < 0 ? 0 : py > maxY ? maxY : py;
          const fx = Math.floor(px), fy = Math.floor(py);
          const cx = fx < maxX ? fx + 1 : fx, cy = fy < maxY ? fy + 1 : fy;
          const tx = px - fx, ty = py - fy;
          const i00 = (fy * iw + fx) * c, i10 = (fy * iw + cx) * c, i01 = (cy * iw + fx) * c, i11 = (cy * iw + cx) * c;
          for (let ch = 0; ch < c; ch++) {
            const top = data[i00 + ch]! + (data[i10 + ch]! - data[i00 + ch]!) * tx;
            const bottom = data[i01 + ch]! + (data[i11 + ch]! - data[i01 + ch]!) * tx;
            acc[ch] = acc[ch]! + top + (bottom - top) * ty;
          }
        }
      }
      const o = (y * W + x) * c;
      for (let ch = 0; ch < c; ch++) out[o + ch] = Math.round(acc[ch]! / (k * k));
    }
  }
  return { data: out, width: W, height: H, channels: c };
}
