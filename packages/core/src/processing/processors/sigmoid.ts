/**
 * `sigmoid`: the logistic function element by element, for independent (multi-label)
 * scores and detection confidences.
 * @module
 */
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import { Tensor } from '../../tensor.js';
import { type TensorSource, optionalString, optionsObject, pickTensor, readNumbers } from './values.js';

/** Options of {@link sigmoid}. */
export interface SigmoidOptions {
  /** Which output to read when the input is a model's outputs (default: the only one). */
  readonly output?: string;
}

/** `1 / (1 + e^-x)`, written so that neither branch overflows. */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * A processor from a tensor (or a model's outputs) to a float32 tensor of the same
 * shape holding `1 / (1 + e^-x)` of each element.
 * @throws InprocError `INPUT_INVALID` for bad options; when run: `INPUT_DTYPE` for a string tensor
 */
export function sigmoid(options?: SigmoidOptions): Processor<TensorSource, Tensor<'float32'>> {
  const who = 'sigmoid';
  const output = optionalString(who, 'output', optionsObject(who, options).output);
  return {
    name: who,
    async process(input) {
      const tensor = pickTensor(input, output, who);
      const values = await readNumbers(tensor, who);
      const out = new Float32Array(values.length);
      for (let i = 0; i < out.length; i++) out[i] = logistic(values[i]!);
      return new Tensor('float32', out, tensor.shape);
    },
  };
}

export const sigmoidFactory: ProcessorFactory = {
  name: 'sigmoid',
  description: 'the logistic function of each element; params: output',
  params: ['output'],
  create: (params) => sigmoid(params),
};
