/**
 * The one pass from 8-bit pixels to the final typed array: channel selection and
 * order, luma, rescale and mean/std normalisation folded into one multiply-add per
 * element, layout, dtype, and the padding of letterboxed areas. No per-pixel
 * allocation; float32 colour output (the common case) has its own tight loop.
 * @module
 * @internal
 */
import { imageError, describeValue } from './errors.js';
import type { ImageDType, Layout, TensorOptions } from './types.js';

/** Validated tensor options: `out = pixel * scale[c] + bias[c]`. */
export interface ResolvedTensor {
  readonly layout: Layout;
  readonly dtype: ImageDType;
  readonly channels: 1 | 3;
  /** Source channel index for each output channel (colour output). */
  readonly order: readonly [number, number, number];
  readonly scale: Float64Array;
  readonly bias: Float64Array;
  readonly batchDim: boolean;
}

const perChannel = (name: string, value: number | readonly number[] | undefined, fallback: number, channels: number): number[] => {
  if (value === undefined) return new Array<number>(channels).fill(fallback);
  const list = typeof value === 'number' ? [value] : Array.isArray(value) ? (value as readonly unknown[]) : undefined;
  if (list === undefined || (list.length !== 1 && list.length !== channels) || list.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw imageError('bad-option', `${name} must be a number or ${channels} numbers (one per output channel), got ${describeValue(value)}`);
  }
  return list.length === 1 ? new Array<number>(channels).fill(list[0] as number) : (list as number[]);
};

/** Validates tensor options and folds rescale, mean and std together. */
export function resolveTensor(options: TensorOptions): ResolvedTensor {
  const layout = options.layout ?? 'nchw';
  if (layout !== 'nchw' && layout !== 'nhwc') throw imageError('bad-option', `layout must be "nchw" or "nhwc", got ${describeValue(layout)}`);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'uint8' && dtype !== 'int32') throw imageError('bad-option', `dtype must be float32, uint8 or int32, got ${describeValue(dtype)}`);
  const order = options.channelOrder ?? 'rgb';
  if (order !== 'rgb' && order !== 'bgr') throw imageError('bad-option', `channelOrder must be "rgb" or "bgr", got ${describeValue(order)}`);
  if (options.grayscale !== undefined && typeof options.grayscale !== 'boolean') throw imageError('bad-option', `grayscale must be a boolean, got ${describeValue(options.grayscale)}`);
  if (options.batchDim !== undefined && typeof options.batchDim !== 'boolean') throw imageError('bad-option', `batchDim must be a boolean, got ${describeValue(options.batchDim)}`);
  const channels = options.grayscale === true ? 1 : 3;
  const rescale = options.rescale ?? (dtype === 'float32' ? 1 / 255 : 1);
  if (typeof rescale !== 'number' || !Number.isFinite(rescale)) throw imageError('bad-option', `rescale must be a finite number, got ${describeValue(rescale)}`);
  const mean = perChannel('mean', options.mean, 0, channels);
  const std = perChannel('std', options.std, 1, channels);
  if (std.some((s) => s === 0)) throw imageError('bad-option', 'std must not contain 0');
  const scale = new Float64Array(channels);
  const bias = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = rescale / std[c]!;
    bias[c] = -mean[c]! / std[c]!;
  }
  return { layout, dtype, channels, order: order === 'rgb' ? [0, 1, 2] : [2, 1, 0], scale, bias, batchDim: options.batchDim ?? true };
}

/** The typed array of an image dtype. */
export type ImageArray = Float32Array | Uint8Array | Int32Array;

export function allocate(dtype: ImageDType, length: number): ImageArray {
  return dtype === 'float32' ? new Float32Array(length) : dtype === 'uint8' ? new Uint8Array(length) : new Int32Array(length);
}

/** Pixels to read from. */
export interface Pixels {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Where the pixels go: an output window of `outWidth` x `outHeight` reading pixel (x + windowX, y + windowY). */
export interface Placement {
  readonly outWidth: number;
  readonly outHeight: number;
  readonly windowX: number;
  readonly windowY: number;
}

// BT.601 luma, as PIL's convert('L') and OpenCV's cvtColor(..., GRAY) use.
const LR = 0.299;
const LG = 0.587;
const LB = 0.114;

/**
 * Writes one image into `out` starting at element `offset` (the image's slot in a
 * batch). `padding` holds pixel values (0-255), one or one per output channel.
 */
export function writePixels(src: Pixels, place: Placement, padding: readonly number[], spec: ResolvedTensor, out: ImageArray, offset: number): void {
  const C = spec.channels;
  if (padding.length !== 1 && padding.length !== C && !(C === 1 && padding.length === 3)) {
    throw imageError('bad-option', `padding must have 1 or ${C} values for ${C}-channel output, got ${padding.length}`);
  }
  const padValues = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const p = C === 1 && padding.length === 3 ? LR * padding[0]! + LG * padding[1]! + LB * padding[2]! : padding.length === 1 ? padding[0]! : padding[spec.order[c]!]!;
    padValues[c] = store(spec.dtype, p * spec.scale[c]! + spec.bias[c]!);
  }
  const { outWidth: W, outHeight: H, windowX: wx, windowY: wy } = place;
  const { width: w, height: h, channels: sc, data } = src;
  const plane = W * H;
  const nchw = spec.layout === 'nchw';
  // Columns [xa, xb) of each output row read source pixels; the rest is padding.
  const xa = Math.min(W, Math.max(0, -wx));
  const xb = Math.max(xa, Math.min(W, w - wx));
  const fast = spec.dtype === 'float32' && C === 3 && sc >= 3;
  const [i0, i1, i2] = spec.order;
  const s0 = spec.scale[0]!, s1 = spec.scale[C > 1 ? 1 : 0]!, s2 = spec.scale[C > 2 ? 2 : 0]!;
  const b0 = spec.bias[0]!, b1 = spec.bias[C > 1 ? 1 : 0]!, b2 = spec.bias[C > 2 ? 2 : 0]!;
  for (let y = 0; y < H; y++) {
    const sy = y + wy;
    const inside = sy >= 0 && sy < h;
    const from = inside ? xa : 0;
    const to = inside ? xb : 0;
    // Padding left of, right of, or across the row.
    for (let x = 0; x < W; x++) {
      if (x === from && from < to) x = to;
      if (x >= W) break;
      const o = y * W + x;
      for (let c = 0; c < C; c++) out[nchw ? offset + c * plane + o : offset + o * C + c] = padValues[c]!;
    }
    if (from >= to) continue;
    let si = (sy * w + from + wx) * sc;
    if (fast) {
      const f = out as Float32Array;
      if (nchw) {
        let o = offset + y * W + from;
        const end = offset + y * W + to;
        for (; o < end; o++, si += sc) {
          f[o] = data[si + i0]! * s0 + b0;
          f[o + plane] = data[si + i1]! * s1 + b1;
          f[o + 2 * plane] = data[si + i2]! * s2 + b2;
        }
      } else {
        let o = offset + (y * W + from) * 3;
        const end = offset + (y * W + to) * 3;
        for (; o < end; o += 3, si += sc) {
          f[o] = data[si + i0]! * s0 + b0;
          f[o + 1] = data[si + i1]! * s1 + b1;
          f[o + 2] = data[si + i2]! * s2 + b2;
        }
      }
      continue;
    }
    const dtype = spec.dtype;
    for (let x = from; x < to; x++, si += sc) {
      const o = y * W + x;
      if (C === 1) {
        const v = sc >= 3 ? LR * data[si]! + LG * data[si + 1]! + LB * data[si + 2]! : data[si]!;
        out[nchw ? offset + o : offset + o] = store(dtype, v * s0 + b0);
      } else {
        for (let c = 0; c < 3; c++) {
          const v = sc >= 3 ? data[si + spec.order[c]!]! : data[si]!;
          out[nchw ? offset + c * plane + o : offset + o * 3 + c] = store(dtype, v * spec.scale[c]! + spec.bias[c]!);
        }
      }
    }
  }
}

function store(dtype: ImageDType, value: number): number {
  if (dtype === 'float32') return value;
  const r = Math.round(value);
  return dtype === 'uint8' ? (r < 0 ? 0 : r > 255 ? 255 : r) : r;
}
