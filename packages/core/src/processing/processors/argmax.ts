/**
 * `argmax`: the index of the largest value along an axis, as an int32 tensor with that
 * axis removed (as `numpy.argmax` and `torch.argmax` shape it).
 * @module
 */
import { InprocError } from '../../errors.js';
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import { Tensor } from '../../tensor.js';
import { type TensorSource, aroundAxis, axisParam, normalizeAxis, optionalString, optionsObject, pickTensor, readNumbers } from './values.js';

/** Options of {@link argmax}. */
export interface ArgmaxOptions {
  /** The axis to reduce; default `-1` (the last). */
  readonly axis?: number;
  /** Which output to read when the input is a model's outputs (default: the only one). */
  readonly output?: string;
}

/**
 * A processor from a tensor `[..., n, ...]` (or a model's outputs) to an int32 tensor
 * without the reduced axis. Ties go to the first index; NaN never wins (an all-NaN row gives 0).
 * @throws InprocError `INPUT_INVALID` for bad options; when run: `INPUT_DTYPE` for a string tensor, `INPUT_SHAPE` for a scalar, an empty axis or a bad axis
 */
export function argmax(options?: ArgmaxOptions): Processor<TensorSource, Tensor<'int32'>> {
  const who = 'argmax';
  const o = optionsObject(who, options);
  const axis = axisParam(who, o.axis);
  const output = optionalString(who, 'output', o.output);
  return {
    name: who,
    async process(input) {
      const tensor = pickTensor(input, output, who);
      const resolved = normalizeAxis(axis, tensor.shape.length, who);
      const values = await readNumbers(tensor, who);
      const { outer, length, inner } = aroundAxis(tensor.shape, resolved);
      if (length === 0) throw new InprocError('INPUT_SHAPE', `${who}: axis ${axis} of [${tensor.shape.join(', ')}] is empty`);
      const out = new Int32Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * length * inner + i;
          let best = 0;
          let bestValue = -Infinity;
          for (let j = 0; j < length; j++) {
            const v = values[base + j * inner]!;
            if (v > bestValue) {
              bestValue = v;
              best = j;
            }
          }
          out[o * inner + i] = best;
        }
      }
      return new Tensor('int32', out, tensor.shape.filter((_, d) => d !== resolved));
    },
  };
}

export const argmaxFactory: ProcessorFactory = {
  name: 'argmax',
  description: 'index of the largest value along an axis (default the last), as int32; params: axis, output',
  params: ['axis', 'output'],
  create: (params) => argmax(params),
};
