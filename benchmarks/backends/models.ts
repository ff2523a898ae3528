/**
 * The models of the `backends` suite and their inputs, as plain data shared by the Node
 * case runner and the browser page: each input is generated from a formula, so every
 * backend sees exactly the same values (the CNN's ONNX and TF.js versions get the same
 * pixels in their own layouts), and outputs can be compared across backends.
 */
import { Tensor } from 'inproc';

/** How an input's values are generated. */
export type Fill =
  /** Smooth image-like values in [0, 1], laid out NCHW or NHWC (same pixel at the same (n, c, y, x)). */
  | { readonly kind: 'image'; readonly layout: 'nchw' | 'nhwc' }
  /** A chirp, like audio in [-0.5, 0.5]. */
  | { readonly kind: 'wave' }
  | { readonly kind: 'value'; readonly value: number };

export interface FeedSpec {
  readonly name: string;
  readonly dtype: 'float32' | 'int32' | 'int64';
  readonly shape: readonly number[];
  readonly fill: Fill;
}

export interface ModelSpec {
  /** File-name-safe id, e.g. `cnn-onnx`. */
  readonly id: string;
  /** Models of one family compute the same function; their outputs are compared with each other. */
  readonly family: string;
  /** What the table shows. */
  readonly label: string;
  readonly format: 'onnx' | 'tfjs-graph';
  /** A real model from an npm package (rather than one generated in code). */
  readonly real: boolean;
  readonly inputs: readonly FeedSpec[];
}

const image = (name: string, shape: readonly number[], layout: 'nchw' | 'nhwc'): FeedSpec => ({ name, dtype: 'float32', shape, fill: { kind: 'image', layout } });

export const MODELS: readonly ModelSpec[] = [
  { id: 'mlp-onnx', family: 'mlp', label: 'MLP 256x256, batch 8 (synthetic)', format: 'onnx', real: false, inputs: [{ name: 'x', dtype: 'float32', shape: [8, 256], fill: { kind: 'wave' } }] },
  { id: 'mlp-tfjs', family: 'mlp', label: 'MLP 256x256, batch 8 (synthetic)', format: 'tfjs-graph', real: false, inputs: [{ name: 'x', dtype: 'float32', shape: [8, 256], fill: { kind: 'wave' } }] },
  { id: 'cnn-onnx', family: 'cnn', label: 'Small CNN 128x128 (same weights)', format: 'onnx', real: false, inputs: [image('x', [1, 3, 128, 128], 'nchw')] },
  { id: 'cnn-tfjs', family: 'cnn', label: 'Small CNN 128x128 (same weights)', format: 'tfjs-graph', real: false, inputs: [image('x', [1, 128, 128, 3], 'nhwc')] },
  { id: 'ocr-det', family: 'ocr-det', label: 'PP-OCRv4 detection 320x320', format: 'onnx', real: true, inputs: [image('x', [1, 3, 320, 320], 'nchw')] },
  { id: 'ocr-rec', family: 'ocr-rec', label: 'PP-OCRv4 recognition 48x320', format: 'onnx', real: true, inputs: [image('x', [1, 3, 48, 320], 'nchw')] },
  { id: 'ocr-cls', family: 'ocr-cls', label: 'PP-OCR direction classifier 48x192', format: 'onnx', real: true, inputs: [image('x', [1, 3, 48, 192], 'nchw')] },
  {
    id: 'silero-vad',
    family: 'silero-vad',
    label: 'Silero VAD v5, 512-sample frame',
    format: 'onnx',
    real: true,
    inputs: [
      { name: 'input', dtype: 'float32', shape: [1, 512], fill: { kind: 'wave' } },
      { name: 'state', dtype: 'float32', shape: [2, 1, 128], fill: { kind: 'value', value: 0 } },
      { name: 'sr', dtype: 'int64', shape: [], fill: { kind: 'value', value: 16000 } },
    ],
  },
  { id: 'emotion', family: 'emotion', label: 'Emotion CNN 64x64 grey (TF.js)', format: 'tfjs-graph', real: true, inputs: [image('input_1', [1, 64, 64, 1], 'nhwc')] },
  { id: 'blazeface', family: 'blazeface', label: 'BlazeFace 256x256 (TF.js)', format: 'tfjs-graph', real: true, inputs: [image('input', [1, 256, 256, 3], 'nhwc')] },
];

export function modelSpec(id: string): ModelSpec {
  const spec = MODELS.find((m) => m.id === id);
  if (spec === undefined) throw new Error(`no benchmark model "${id}"; known: ${MODELS.map((m) => m.id).join(', ')}`);
  return spec;
}

function values(spec: FeedSpec): Float64Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  const { fill } = spec;
  if (fill.kind === 'value') return out.fill(fill.value);
  if (fill.kind === 'wave') {
    for (let i = 0; i < size; i++) out[i] = 0.4 * Math.sin((2 * Math.PI * (200 + i / 40) * i) / 16000) + 0.1 * Math.sin(i * 0.37);
    return out;
  }
  const [n, a, b, c] = spec.shape as [number, number, number, number];
  const [channels, height, width] = fill.layout === 'nchw' ? [a, b, c] : [c, a, b];
  for (let bi = 0; bi < n; bi++)
    for (let ch = 0; ch < channels; ch++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const v = 0.5 + 0.25 * Math.sin(x * 0.11 + ch) * Math.cos(y * 0.07 - bi) + 0.25 * Math.sin((x + y) * 0.031);
          const index = fill.layout === 'nchw' ? ((bi * channels + ch) * height + y) * width + x : ((bi * height + y) * width + x) * channels + ch;
          out[index] = v;
        }
  return out;
}

/** Fresh feeds for a model (new tensors each call: a backend may keep or transfer them). */
export function makeFeeds(spec: ModelSpec): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of spec.inputs) {
    const v = values(input);
    if (input.dtype === 'int64') feeds[input.name] = new Tensor('int64', BigInt64Array.from(v, (x) => BigInt(Math.round(x))), input.shape);
    else if (input.dtype === 'int32') feeds[input.name] = new Tensor('int32', Int32Array.from(v, Math.round), input.shape);
    else feeds[input.name] = new Tensor('float32', Float32Array.from(v), input.shape);
  }
  return feeds;
}
