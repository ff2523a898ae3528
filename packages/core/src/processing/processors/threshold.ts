/**
 * `threshold`: a boolean mask of the elements at or above a value, e.g. for
 * multi-label classification after `sigmoid` or binary segmentation maps.
 * @module
 */
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import { Tensor } from '../../tensor.js';
import { type TensorSource, numberParam, optionalBoolean, optionalString, optionsObject, pickTensor, readNumbers } from './values.js';

/** Options of {@link threshold}. */
export interface ThresholdOptions {
  /** The cut-off. */
  readonly threshold: number;
  /** `true` (default): `x >= threshold` is set; `false`: only `x > threshold`. */
  readonly inclusive?: boolean;
  /** Which output to read when the input is a model's outputs (default: the only one). */
  readonly output?: string;
}

/**
 * A processor from a tensor (or a model's outputs) to a `bool` tensor of the same
 * shape; NaN is never set.
 * @throws InprocError `INPUT_INVALID` for bad options; when run: `INPUT_DTYPE` for a string tensor
 */
export function threshold(options: ThresholdOptions): Processor<TensorSource, Tensor<'bool'>> {
  const who = 'threshold';
  const o = optionsObject(who, options);
  const cut = numberParam(who, 'threshold', o.threshold);
  const inclusive = optionalBoolean(who, 'inclusive', o.inclusive) ?? true;
  const output = optionalString(who, 'output', o.output);
  return {
    name: who,
    async process(input) {
      const tensor = pickTensor(input, output, who);
      const values = await readNumbers(tensor, who);
      const out = new Uint8Array(values.length);
      if (inclusive) for (let i = 0; i < out.length; i++) out[i] = values[i]! >= cut ? 1 : 0;
      else for (let i = 0; i < out.length; i++) out[i] = values[i]! > cut ? 1 : 0;
      return new Tensor('bool', out, tensor.shape);
    },
  };
}

export const thresholdFactory: ProcessorFactory = {
  name: 'threshold',
  description: 'a bool mask of the elements >= threshold (> with inclusive: false); params: threshold, inclusive, output',
  params: ['threshold', 'inclusive', 'output'],
  create: (params) => threshold(params as unknown as ThresholdOptions),
};
