/**
 * The model of the Open Inference Protocol's documented examples (inference_rest.md and
 * Triton's binary data extension): `input0` UINT32 [2, 2] and `input1` BOOL [3] ->
 * `output0` FP32 [3, 2] = input1 (as 0/1, one row each) + the column sums of input0.
 */
import { GraphBuilder } from '@inproc/testkit/onnx/builder';

export function specExampleModel(): Uint8Array {
  const g = new GraphBuilder('spec_example');
  const input0 = g.input('input0', 'uint32', [2, 2]);
  const input1 = g.input('input1', 'bool', [3]);
  const [a] = g.node('Cast', [input0], { attributes: { to: 1 } });
  const [sums] = g.node('ReduceSum', [a!, g.initializer('axes', 'int64', [1], [0])], { attributes: { keepdims: 1 } });
  const [b] = g.node('Cast', [input1], { attributes: { to: 1 } });
  const [column] = g.node('Reshape', [b!, g.initializer('column', 'int64', [2], [3, 1])]);
  g.node('Add', [column!, sums!], { outputs: ['output0'] });
  g.output('output0', 'float32', [3, 2]);
  return g.build({ opset: 13 });
}

/** What `specExampleModel` returns for the examples' inputs: input0 = [1, 2, 3, 4], input1 = [true, false, true]. */
export const SPEC_EXAMPLE_OUTPUT = [5, 7, 4, 6, 5, 7];
