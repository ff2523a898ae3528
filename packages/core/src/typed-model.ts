/**
 * Run results typed from the model's signature, when the caller asks for it:
 * `typedModel(model, { inputs, outputs })` checks the loaded model's names and dtypes
 * against the caller's and returns the same model typed so that `run()` takes and returns
 * `Tensor<dtype>`s by name. `inproc types` generates the same types for large models.
 * @module
 */
import type { DType } from './dtype.js';
import { InprocError } from './errors.js';
import type { Model } from './model.js';
import type { Feeds, Outputs, TensorInfo } from './signature.js';
import type { Tensor } from './tensor.js';

/** The names and dtypes a caller expects of a model. */
export interface SignatureSpec {
  /** Every input of the model, with its dtype. */
  readonly inputs: Readonly<Record<string, DType>>;
  /** The outputs the caller reads, with their dtypes (any others are still returned, untyped). */
  readonly outputs: Readonly<Record<string, DType>>;
}

/** The feeds of a spec: one `Tensor<dtype>` per input. */
export type FeedsOf<S extends SignatureSpec> = { readonly [K in keyof S['inputs']]: Tensor<S['inputs'][K]> };

/**
 * The outputs of a spec: one `Tensor<dtype>` per output. With `RunOptions.outputs`, only
 * the outputs asked for are computed: read only those.
 */
export type OutputsOf<S extends SignatureSpec> = { readonly [K in keyof S['outputs']]: Tensor<S['outputs'][K]> };

/**
 * The model, typed by `spec` after checking that the model has exactly those inputs and
 * at least those outputs, with those dtypes. No wrapper: the same object is returned.
 *
 * ```ts
 * const vad = typedModel(await loadModel(path), {
 *   inputs: { input: 'float32', state: 'float32', sr: 'int64' },
 *   outputs: { output: 'float32', stateN: 'float32' },
 * });
 * const out = await vad.run({ input, state, sr }); // out.output is a Tensor<'float32'>
 * const probability = out.output.data[0];         // a number; no cast
 * ```
 * @throws InprocError `INPUT_DTYPE` when a dtype differs, `INPUT_INVALID` when a name is
 *   missing on either side or the spec is malformed
 */
export function typedModel<const S extends SignatureSpec>(model: Model<Feeds, Outputs>, spec: S): Model<FeedsOf<S>, OutputsOf<S>> {
  if (typeof spec !== 'object' || spec === null || typeof spec.inputs !== 'object' || spec.inputs === null || typeof spec.outputs !== 'object' || spec.outputs === null) {
    throw new InprocError('INPUT_INVALID', 'typedModel needs a spec { inputs: { name: dtype, ... }, outputs: { name: dtype, ... } }');
  }
  const { signature } = model;
  check(model.name, 'input', signature.inputs, spec.inputs);
  check(model.name, 'output', signature.outputs, spec.outputs);
  const unlisted = signature.inputs.filter((info) => !Object.hasOwn(spec.inputs, info.name));
  if (unlisted.length > 0) {
    throw new InprocError('INPUT_INVALID', `${model.name}: typedModel spec.inputs must list every input; missing ${unlisted.map((i) => `${i.name}: '${i.dtype}'`).join(', ')}`);
  }
  return model as unknown as Model<FeedsOf<S>, OutputsOf<S>>;
}

function check(model: string, kind: 'input' | 'output', actual: readonly TensorInfo[], wanted: Readonly<Record<string, DType>>): void {
  for (const [name, dtype] of Object.entries(wanted)) {
    const info = actual.find((i) => i.name === name);
    if (info === undefined) {
      throw new InprocError('INPUT_INVALID', `${model}: typedModel expects ${kind} "${name}", but the model's ${kind}s are ${actual.map((i) => `"${i.name}"`).join(', ') || 'none'}`);
    }
    if (info.dtype !== dtype) {
      throw new InprocError('INPUT_DTYPE', `${model}: typedModel expects ${kind} "${name}" to be ${String(dtype)}, the model's is ${info.dtype}`);
    }
  }
}
