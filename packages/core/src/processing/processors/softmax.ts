/**
 * `softmax`: turns scores (logits) into probabilities along an axis, in float64 with
 * the maximum subtracted first so that large logits do not overflow.
 * @module
 */
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import { Tensor } from '../../tensor.js';
import { type TensorSource, aroundAxis, axisParam, normalizeAxis, optionalString, optionsObject, pickTensor, readNumbers } from './values.js';

/** Options of {@link softmax}. */
export interface SoftmaxOptions {
  /** The axis that sums to 1; default `-1` (the last). */
  readonly axis?: number;
  /** Which output to read when the input is a model's outputs (default: the only one). */
  readonly output?: string;
}

/**
 * A processor from a tensor of scores (or a model's outputs) to a float32 tensor of the
 * same shape whose values along `axis` are positive and sum to 1.
 * @throws InprocError `INPUT_INVALID` for bad options; when run: `INPUT_DTYPE` for a string tensor, `INPUT_SHAPE` for a scalar or a bad axis
 */
export function softmax(options?: SoftmaxOptions): Processor<TensorSource, Tensor<'float32'>> {
  const who = 'softmax';
  const o = optionsObject(who, options);
  const axis = axisParam(who, o.axis);
  const output = optionalString(who, 'output', o.output);
  return {
    name: who,
    async process(input) {
      const tensor = pickTensor(input, output, who);
      const values = await readNumbers(tensor, who);
      const { outer, length, inner } = aroundAxis(tensor.shape, normalizeAxis(axis, tensor.shape.length, who));
      const out = new Float32Array(values.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * length * inner + i;
          let max = -Infinity;
          for (let j = 0; j < length; j++) max = Math.max(max, values[base + j * inner]!);
          // Every score is -Infinity (all masked out): exp() would give 0/0. Equal scores give a
          // uniform distribution, and that is the limit here too.
          if (max === -Infinity) {
            for (let j = 0; j < length; j++) out[base + j * inner] = 1 / length;
            continue;
          }
          let sum = 0;
          for (let j = 0; j < length; j++) sum += Math.exp(values[base + j * inner]! - max);
          for (let j = 0; j < length; j++) out[base + j * inner] = Math.exp(values[base + j * inner]! - max) / sum;
        }
      }
      return new Tensor('float32', out, tensor.shape);
    },
  };
}

export const softmaxFactory: ProcessorFactory = {
  name: 'softmax',
  description: 'scores to probabilities along an axis (default the last); params: axis, output',
  params: ['axis', 'output'],
  create: (params) => softmax(params),
};
