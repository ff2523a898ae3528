/**
 * The main entry points: `decodeImage` (pixels), `resizeImage` (pixels with geometry)
 * and `imageToTensor` (one or many images to one tensor in a single pass, with the
 * transform of each image recorded with the tensor).
 * @module
 */
import { InprocError, Tensor } from '@inproc/core';
import { imageError, describeValue } from './errors.js';
import { planResize, resolveResize, type ResizePlan } from './geometry.js';
import { allocate, resolveTensor, writePixels, type ImageArray, type Pixels } from './pixels.js';
import { platform } from './platform.js';
import type { DecodeOptions, ImageDType, ImageSource, ImageTensor, ImageTransform, PreprocessOptions, RawImage, ResizeOptions, TransformedImage } from './types.js';

const transformsByTensor = new WeakMap<Tensor, readonly ImageTransform[]>();

/**
 * The transforms recorded for a tensor made by {@link imageToTensor} or an image
 * processor (earlier resizes composed in), one per batch item; `undefined` for others.
 */
export function imageTransforms(tensor: Tensor): readonly ImageTransform[] | undefined {
  return transformsByTensor.get(tensor);
}

/** @internal */
export function recordTransforms(tensor: Tensor, transforms: readonly ImageTransform[]): void {
  transformsByTensor.set(tensor, transforms);
}

function orientationOf(value: unknown): 'auto' | 'none' {
  if (value === undefined) return 'auto';
  if (value !== 'auto' && value !== 'none') throw imageError('bad-option', `orientation must be "auto" or "none", got ${describeValue(value)}`);
  return value;
}

/**
 * Decodes an image into 8-bit pixels (EXIF orientation applied unless
 * `orientation: 'none'`).
 * @throws InprocError `INPUT_INVALID` (empty, unknown format, corrupt, 0x0, missing file), `BACKEND_UNAVAILABLE` (no sharp in Node)
 */
export async function decodeImage(source: ImageSource, options: DecodeOptions = {}): Promise<RawImage> {
  const orientation = orientationOf(options.orientation);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw imageError('bad-option', `channels must be 1, 3 or 4, got ${describeValue(channels)}`);
  const opened = await platform().open(source, orientation);
  const full = { x: 0, y: 0, width: opened.width, height: opened.height };
  const pixels = await opened.render(full, opened.width, opened.height, 'nearest', channels === 4);
  if (pixels.channels === channels) return toRaw(pixels, channels);
  if (channels === 4) {
    const out = new Uint8Array(pixels.width * pixels.height * 4);
    const sc = pixels.channels;
    for (let i = 0, j = 0; i < out.length; i += 4, j += sc) {
      out[i] = pixels.data[j]!;
      out[i + 1] = pixels.data[sc >= 3 ? j + 1 : j]!;
      out[i + 2] = pixels.data[sc >= 3 ? j + 2 : j]!;
      out[i + 3] = 255;
    }
    return { data: out, width: pixels.width, height: pixels.height, channels: 4 };
  }
  return repack(pixels, channels, { outWidth: pixels.width, outHeight: pixels.height, windowX: 0, windowY: 0 }, [0]);
}

function toRaw(pixels: Pixels, channels: 1 | 3 | 4): RawImage {
  const data = pixels.data instanceof Uint8Array || pixels.data instanceof Uint8ClampedArray ? pixels.data : Uint8Array.from(pixels.data);
  return { data, width: pixels.width, height: pixels.height, channels };
}

// Pixels to RGB or grey bytes through the shared pass (uint8, NHWC, no normalisation).
function repack(pixels: Pixels, channels: 1 | 3, place: { outWidth: number; outHeight: number; windowX: number; windowY: number }, padding: readonly number[]): RawImage {
  const spec = resolveTensor({ dtype: 'uint8', layout: 'nhwc', grayscale: channels === 1 });
  const out = new Uint8Array(place.outWidth * place.outHeight * channels);
  writePixels(pixels, place, padding, spec, out, 0);
  return { data: out, width: place.outWidth, height: place.outHeight, channels };
}

/**
 * Resizes (and crops, letterboxes, orients) an image, returning pixels and the
 * transform from the original.
 */
export async function resizeImage(source: ImageSource, options: ResizeOptions & DecodeOptions = {}): Promise<TransformedImage> {
  const r = resolveResize(options);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw imageError('bad-option', `resizeImage gives 1 or 3 channels, got ${describeValue(channels)}`);
  const opened = await platform().open(source, orientationOf(options.orientation));
  const plan = planResize(opened.width, opened.height, r);
  const pixels = await opened.render(plan.region, plan.resizeWidth, plan.resizeHeight, r.kernel, false);
  return { ...repack(pixels, channels, plan, r.padding), transform: plan.transform };
}

/** One image or a batch of them. */
export type ImageBatch = ImageSource | readonly ImageSource[];

/**
 * Turns one image or a batch into one tensor in a single pass per image: decode with
 * orientation, crop, resize by the fit mode (shrinking JPEGs while they load in
 * Node), then channel order, luma, rescale, mean/std, layout and dtype.
 *
 * ```ts
 * const { tensor, transforms } = await imageToTensor('cat.jpg', {
 *   width: 224, height: 224, fit: 'cover', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
 * });
 * ```
 * Images of a batch must come out the same size (use `fill`, `contain` or `cover`).
 * @throws InprocError `INPUT_INVALID`, `INPUT_SHAPE` (batch of different sizes), `BACKEND_UNAVAILABLE`
 */
export async function imageToTensor<D extends ImageDType = 'float32'>(source: ImageBatch, options: PreprocessOptions & { readonly dtype?: D } = {}): Promise<ImageTensor<D>> {
  const r = resolveResize(options);
  const spec = resolveTensor(options);
  const orientation = orientationOf(options.orientation);
  const sources: readonly ImageSource[] = Array.isArray(source) ? (source as readonly ImageSource[]) : [source as ImageSource];
  if (sources.length === 0) throw imageError('bad-option', 'imageToTensor needs at least one image');
  const host = platform();
  const opened = await Promise.all(sources.map((s) => host.open(s, orientation)));
  const plans: ResizePlan[] = opened.map((o) => planResize(o.width, o.height, r));
  const { outWidth: W, outHeight: H } = plans[0]!;
  const odd = plans.findIndex((p) => p.outWidth !== W || p.outHeight !== H);
  if (odd > 0) {
    throw new InprocError(
      'INPUT_SHAPE',
      `images of a batch must have one size: image 0 gives ${W}x${H}, image ${odd} gives ${plans[odd]!.outWidth}x${plans[odd]!.outHeight} (use fit "fill", "contain" or "cover")`,
    );
  }
  const C = spec.channels;
  const per = W * H * C;
  const out: ImageArray = allocate(spec.dtype, per * sources.length);
  await Promise.all(
    opened.map(async (o, i) => {
      const plan = plans[i]!;
      const pixels = await o.render(plan.region, plan.resizeWidth, plan.resizeHeight, r.kernel, false);
      writePixels(pixels, plan, r.padding, spec, out, i * per);
    }),
  );
  const n = sources.length;
  const image = spec.layout === 'nchw' ? [C, H, W] : [H, W, C];
  const shape = n === 1 && !spec.batchDim && !Array.isArray(source) ? image : [n, ...image];
  const tensor = new Tensor(spec.dtype as D, out as never, shape);
  const transforms = plans.map((p) => p.transform);
  transformsByTensor.set(tensor, transforms);
  return { tensor, transforms };
}
