/**
 * `pick-output`: one named tensor out of a model's outputs, so that a chain of
 * tensor processors can follow a multi-output model.
 * @module
 */
import { InprocError } from '../../errors.js';
import type { Processor } from '../processor.js';
import type { ProcessorFactory } from '../processor-registry.js';
import type { Outputs } from '../../signature.js';
import { type Tensor, describe } from '../../tensor.js';
import { pickTensor } from './values.js';

/**
 * A processor from a model's outputs to the output called `name`.
 * @throws InprocError `INPUT_INVALID` for an empty name; when run: `INPUT_INVALID` when the output is missing
 */
export function pickOutput(name: string): Processor<Outputs, Tensor> {
  if (typeof name !== 'string' || name === '') throw new InprocError('INPUT_INVALID', `pick-output: name must be a non-empty string, got ${describe(name)}`);
  return { name: 'pick-output', process: (input) => pickTensor(input, name, 'pick-output') };
}

export const pickOutputFactory: ProcessorFactory = {
  name: 'pick-output',
  description: "one named tensor of a model's outputs; params: name",
  params: ['name'],
  create: (params) => pickOutput(params['name'] as string),
};
