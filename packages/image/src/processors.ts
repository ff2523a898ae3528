/**
 * The image processors, as typed constructors for code (`imagePreprocess({...})`) and
 * as registered factories for manifests (`{ "name": "image.preprocess", "params": {...} }`).
 * Parameters are validated when the processor is created, so a bad manifest fails at
 * load time rather than on the first call.
 * @module
 */
import { type Outputs, type Processor, type ProcessorFactory, type Tensor, listProcessors, registerProcessor, isTensor } from '@inproc/core';
import { type DecodeDetectionsOptions, type NmsOptions, decodeDetections, nonMaxSuppression } from './boxes.js';
import { type TextBox, type TextBoxOptions, textBoxesFromProbabilityMap } from './contours.js';
import { imageError, describeValue } from './errors.js';
import { composeTransforms, resolveResize } from './geometry.js';
import { type ImageBatch, decodeImage, imageToTensor, recordTransforms, resizeImage } from './image-tensor.js';
import { resolveTensor } from './pixels.js';
import type { DecodeOptions, Detection, ImageSource, ImageTransform, PreprocessOptions, RawImage, ResizeOptions, TensorOptions, TransformedImage } from './types.js';

/** What `image.to-tensor` gives: a bare tensor, or feeds naming the model input. */
export type TensorOrFeeds<N extends string | undefined> = N extends string ? Record<N, Tensor> : Tensor;

/** `image.decode`: source -> RGB (or grey/RGBA) pixels. */
export function imageDecode(options: DecodeOptions = {}): Processor<ImageSource, RawImage> {
  return { name: 'image.decode', process: (input) => decodeImage(input, options) };
}

/** `image.resize`: source -> resized pixels with their transform (composed with an earlier one). */
export function imageResize(options: ResizeOptions & DecodeOptions): Processor<ImageSource | TransformedImage, TransformedImage> {
  resolveResize(options);
  return {
    name: 'image.resize',
    async process(input) {
      const resized = await resizeImage(input, options);
      const before = transformOf(input);
      return before === undefined ? resized : { ...resized, transform: composeTransforms(before, resized.transform) };
    },
  };
}

function transformOf(input: unknown): ImageTransform | undefined {
  return typeof input === 'object' && input !== null && 'transform' in input ? (input as TransformedImage).transform : undefined;
}

function wrap<N extends string | undefined>(tensor: Tensor, input: N): TensorOrFeeds<N> {
  return (input === undefined ? tensor : { [input]: tensor }) as TensorOrFeeds<N>;
}

function checkInputName(input: unknown): void {
  if (input !== undefined && (typeof input !== 'string' || input === '')) throw imageError('bad-option', `input must be the name of a model input, got ${describeValue(input)}`);
}

/**
 * `image.to-tensor`: pixels (or sources, or a batch) -> a tensor, without resizing.
 * Transforms of resized inputs are carried to the tensor (see `imageTransforms`).
 */
export function imageToTensorProcessor<N extends string | undefined = undefined>(options: TensorOptions & { readonly input?: N } = {}): Processor<ImageBatch, TensorOrFeeds<N>> {
  resolveTensor(options);
  checkInputName(options.input);
  const { input, ...tensorOptions } = options;
  return {
    name: 'image.to-tensor',
    async process(images) {
      const { tensor, transforms } = await imageToTensor(images, { ...tensorOptions, orientation: 'none' });
      const list: readonly unknown[] = Array.isArray(images) ? images : [images];
      const composed = transforms.map((t, i) => {
        const before = transformOf(list[i]);
        return before === undefined ? t : composeTransforms(before, t);
      });
      recordTransforms(tensor, composed);
      return wrap(tensor, input as N);
    },
  };
}

/** `image.preprocess`: decode, orient, resize, normalise and lay out in one pass (the fast path). */
export function imagePreprocess<N extends string | undefined = undefined>(options: PreprocessOptions & { readonly input?: N }): Processor<ImageBatch, TensorOrFeeds<N>> {
  resolveResize(options);
  resolveTensor(options);
  checkInputName(options.input);
  const { input, ...rest } = options;
  return {
    name: 'image.preprocess',
    async process(images) {
      const { tensor } = await imageToTensor(images, rest);
      return wrap(tensor, input as N);
    },
  };
}

function pick(outputs: Outputs | Tensor, name: string | undefined, what: string): Tensor {
  if (isTensor(outputs)) return outputs;
  if (name !== undefined) {
    const t = outputs[name];
    if (t === undefined) throw imageError('bad-option', `${what}: the model has no output "${name}"; it has ${Object.keys(outputs).join(', ')}`);
    return t;
  }
  const values = Object.values(outputs);
  if (values.length !== 1) throw imageError('bad-option', `${what}: the model has ${values.length} outputs (${Object.keys(outputs).join(', ')}); name one with "output"`);
  return values[0]!;
}

/** `image.detections`: a detector's raw output -> candidate detections (before NMS). */
export function imageDetections(options: DecodeDetectionsOptions & { readonly output?: string }): Processor<Outputs | Tensor, Detection[]> {
  if (typeof options !== 'object' || options === null || (options.layout !== 'rows' && options.layout !== 'columns')) {
    throw imageError('bad-option', `image.detections needs layout "rows" or "columns", got ${describeValue((options as { layout?: unknown } | null)?.layout)}`);
  }
  const { output, ...rest } = options;
  return { name: 'image.detections', process: (outputs) => decodeDetections(pick(outputs, output, 'image.detections'), rest) };
}

/** `image.nms`: detections -> the ones kept by (class-aware) non-maximum suppression. */
export function imageNms(options: NmsOptions = {}): Processor<readonly Detection[], Detection[]> {
  nonMaxSuppression([], options);
  return { name: 'image.nms', process: (detections) => nonMaxSuppression(detections, options) };
}

/** `image.text-boxes`: a DB text detector's `[1, 1, H, W]` probability map -> rotated boxes in map pixels. */
export function imageTextBoxes(options: TextBoxOptions & { readonly output?: string } = {}): Processor<Outputs | Tensor, TextBox[]> {
  const { output, ...rest } = options;
  textBoxesFromProbabilityMap(new Float32Array(1), 1, 1, rest);
  return {
    name: 'image.text-boxes',
    process(outputs) {
      const map = pick(outputs, output, 'image.text-boxes');
      const [h, w] = map.shape.slice(-2) as [number, number];
      if (map.shape.length < 2 || map.size !== h * w) throw imageError('bad-option', `image.text-boxes expects a [1, 1, H, W] map, got [${map.shape.join(', ')}]`);
      return textBoxesFromProbabilityMap(map.data as Float32Array, w, h, rest);
    },
  };
}

const RESIZE_PARAMS = ['width', 'height', 'size', 'fit', 'upscale', 'multipleOf', 'position', 'padding', 'kernel', 'crop', 'centerCrop'] as const;
const TENSOR_PARAMS = ['layout', 'dtype', 'channelOrder', 'grayscale', 'rescale', 'mean', 'std', 'batchDim'] as const;

type Params = Readonly<Record<string, unknown>>;

/** The factories registered under their names when the package is imported. */
export const imageProcessorFactories: readonly ProcessorFactory[] = [
  { name: 'image.decode', description: 'image source -> RGB pixels (EXIF orientation applied)', params: ['orientation', 'channels'], create: (p: Params) => imageDecode(p) },
  { name: 'image.resize', description: 'image -> resized pixels (fill, contain, cover, shortest-edge, longest-edge) with the transform', params: [...RESIZE_PARAMS, 'orientation', 'channels'], create: (p: Params) => imageResize(p) },
  { name: 'image.to-tensor', description: 'pixels -> tensor: channel order, grayscale, rescale, mean/std, layout, dtype', params: [...TENSOR_PARAMS, 'input'], create: (p: Params) => imageToTensorProcessor(p as TensorOptions) },
  { name: 'image.preprocess', description: 'image -> tensor in one pass: decode, orient, resize, normalise, layout', params: [...RESIZE_PARAMS, ...TENSOR_PARAMS, 'orientation', 'input'], create: (p: Params) => imagePreprocess(p as PreprocessOptions) },
  { name: 'image.detections', description: 'detector output -> candidate detections (rows or columns layout)', params: ['layout', 'boxFormat', 'objectness', 'scoreThreshold', 'labels', 'output'], create: (p: Params) => imageDetections(p as unknown as DecodeDetectionsOptions) },
  { name: 'image.nms', description: 'detections -> class-aware non-maximum suppression', params: ['iouThreshold', 'scoreThreshold', 'maxDetections', 'classAware'], create: (p: Params) => imageNms(p) },
  { name: 'image.text-boxes', description: 'DB probability map -> rotated text boxes (threshold, contours, min-area rectangles, unclip)', params: ['threshold', 'boxThreshold', 'unclipRatio', 'minSize', 'maxCandidates', 'output'], create: (p: Params) => imageTextBoxes(p) },
];

/**
 * Registers the image processors (done on import). A second copy of the package
 * finds them registered and leaves them.
 */
export function registerImageProcessors(): void {
  const taken = new Set(listProcessors().map((f) => f.name));
  for (const factory of imageProcessorFactories) if (!taken.has(factory.name)) registerProcessor(factory);
}
