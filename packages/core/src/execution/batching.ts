/**
 * Dynamic batching helpers: whether a model has a leading batch dimension, which
 * requests may be merged, and concatenating feeds / splitting outputs along dimension 0.
 * @module
 * @internal
 */
import { InprocError } from '../errors.js';
import type { BatchingOptions } from '../model.js';
import type { Outputs, Signature } from '../signature.js';
import type { Tensor } from '../tensor.js';
import { concatRows, splitOutputs } from '../tensor-rows.js';

/** Why the model cannot be batched, or undefined when its inputs and outputs share a leading batch dimension. */
export function batchProblem(signature: Signature): string | undefined {
  if (signature.inputs.length === 0) return 'the model has no inputs';
  let name: string | null | undefined;
  for (const info of [...signature.inputs, ...signature.outputs]) {
    if (info.unknownRank === true) return `"${info.name}" has no declared rank (pass batching.declared: true if dimension 0 is the batch)`;
    const first = info.shape[0];
    if (info.shape.length === 0) return `"${info.name}" is a scalar`;
    if (typeof first === 'number') return `"${info.name}" has a fixed first dimension ${first} (shape [${info.shape.map((d) => d ?? '?').join(', ')}])`;
    if (typeof first === 'string' && first !== '') {
      if (name !== undefined && name !== null && name !== first) return `"${info.name}" starts with dimension "${first}" but another input or output with "${name}"`;
      name = first;
    } else name ??= null;
  }
  return undefined;
}

export function checkBatching(options: BatchingOptions, signature: Signature): BatchingOptions {
  const positiveInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', 'options.batching must be false or { maxBatchSize, maxDelayMs, preferredSizes? }');
  if (!positiveInt(options.maxBatchSize)) throw new InprocError('INPUT_INVALID', `batching.maxBatchSize must be a positive integer, got ${String(options.maxBatchSize)}`);
  if (typeof options.maxDelayMs !== 'number' || !(options.maxDelayMs >= 0) || !Number.isFinite(options.maxDelayMs)) {
    throw new InprocError('INPUT_INVALID', `batching.maxDelayMs must be a non-negative number, got ${String(options.maxDelayMs)}`);
  }
  const preferred = options.preferredSizes;
  if (preferred !== undefined && (!Array.isArray(preferred) || !preferred.every((n) => positiveInt(n) && n <= options.maxBatchSize))) {
    throw new InprocError('INPUT_INVALID', `batching.preferredSizes must be positive integers no larger than maxBatchSize, got ${JSON.stringify(preferred)}`);
  }
  if (options.declared !== true) {
    const problem = batchProblem(signature);
    if (problem !== undefined) throw new InprocError('INPUT_INVALID', `batching needs inputs and outputs that share a leading batch dimension: ${problem}`);
  }
  return { ...options, ...(preferred ? { preferredSizes: [...(preferred as readonly number[])].sort((a, b) => a - b) } : {}) };
}

/**
 * The request's rows (its inputs' common dimension 0), or `undefined` when its inputs do
 * not agree on dimension 0 or have none (it then runs alone).
 */
export function batchRows(feeds: Readonly<Record<string, Tensor>>, signature: Signature): number | undefined {
  let rows: number | undefined;
  for (const info of signature.inputs) {
    const shape = feeds[info.name]!.shape;
    if (shape.length === 0) return undefined;
    if (rows === undefined) rows = shape[0];
    else if (rows !== shape[0]) return undefined;
  }
  return rows === 0 ? undefined : rows;
}

/**
 * Whether two requests may share a batch: same dtypes, same shapes after dimension 0,
 * same requested outputs. Compared field by field (no key strings on the hot path).
 */
export function mergeable(a: Readonly<Record<string, Tensor>>, aOutputs: readonly string[], b: Readonly<Record<string, Tensor>>, bOutputs: readonly string[], signature: Signature): boolean {
  if (aOutputs !== bOutputs) {
    if (aOutputs.length !== bOutputs.length) return false;
    for (let i = 0; i < aOutputs.length; i++) if (aOutputs[i] !== bOutputs[i]) return false;
  }
  for (const info of signature.inputs) {
    const x = a[info.name]!;
    const y = b[info.name]!;
    if (x.dtype !== y.dtype) return false;
    const sx = x.shape;
    const sy = y.shape;
    if (sx.length !== sy.length) return false;
    for (let d = 1; d < sx.length; d++) if (sx[d] !== sy[d]) return false;
  }
  return true;
}

/** Concatenates each input of the requests along dimension 0 (device tensors are read with `getData()`). */
export async function concatFeeds(requests: readonly Readonly<Record<string, Tensor>>[], signature: Signature): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const info of signature.inputs) out[info.name] = await concatRows(requests.map((r) => r[info.name]!), `batched run: input "${info.name}"`);
  return out;
}

/**
 * Splits each output along dimension 0, one record per request. Each caller gets its own
 * copy of its rows: views would share one ArrayBuffer, so a caller could read the others'
 * rows, and transferring its output would empty theirs.
 */
export function splitBatch(outputs: Outputs, rows: readonly number[]): Promise<Outputs[]> {
  return splitOutputs(outputs, rows, { where: 'batched run (disable batching for a model whose outputs have no batch dimension)', copy: true });
}

/**
 * Why a request's feeds can no longer join a batch although they passed validation when it
 * was accepted (a buffer transferred or detached since, a tensor disposed), or undefined.
 */
export function feedsProblem(feeds: Readonly<Record<string, Tensor>>): InprocError | undefined {
  for (const name in feeds) {
    const t = feeds[name]!;
    if (t.disposed) return new InprocError('DISPOSED', `input "${name}": the tensor was disposed before its batch ran`);
    if (t.location === 'cpu' && t.data.length !== t.size) {
      return new InprocError('INPUT_INVALID', `input "${name}": shape [${t.shape.join(', ')}] needs ${t.size} elements, but its data now has ${t.data.length} (its ArrayBuffer was transferred or detached before its batch ran)`);
    }
  }
  return undefined;
}
