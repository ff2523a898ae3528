/**
 * Rows along dimension 0: concatenating the feeds of several calls into one batch and
 * splitting a batch's outputs back, for dynamic batching (`execution/batching.ts`) and
 * the `batched` pipeline step (`processing/pipeline.ts`). Elements are read with
 * `getData()`, so tensors that live in device memory (WebGPU buffers) work too.
 * @module
 * @internal
 */
import { STORAGE, type TensorData } from './dtype.js';
import { InprocError } from './errors.js';
import type { Outputs } from './signature.js';
import { Tensor } from './tensor.js';

/**
 * Concatenates tensors along dimension 0 (the one tensor itself when there is one).
 * `where` names them in errors.
 * @throws InprocError `INPUT_DTYPE`, `INPUT_SHAPE` when the parts differ in dtype or in a dimension after the first
 */
export async function concatRows(parts: readonly Tensor[], where: string): Promise<Tensor> {
  const first = parts[0];
  if (first === undefined) throw new InprocError('INPUT_INVALID', `${where}: nothing to concatenate`);
  if (parts.length === 1) return first;
  let rows = 0;
  for (const t of parts) {
    if (t.dtype !== first.dtype) throw new InprocError('INPUT_DTYPE', `${where}: items have dtypes ${first.dtype} and ${t.dtype}`);
    if (t.shape.length === 0 || t.shape.length !== first.shape.length || t.shape.some((d, i) => i > 0 && d !== first.shape[i])) {
      throw new InprocError('INPUT_SHAPE', `${where}: items have shapes [${first.shape.join(', ')}] and [${t.shape.join(', ')}]; only the first dimension may differ`);
    }
    rows += t.shape[0]!;
  }
  const shape = [rows, ...first.shape.slice(1)];
  const datas: TensorData[] = await Promise.all(parts.map((t) => t.getData()));
  if (first.dtype === 'string') return new Tensor('string', (datas as string[][]).flat(), shape);
  const out = new STORAGE[first.dtype](datas.reduce((n, d) => n + d.length, 0));
  let offset = 0;
  for (const d of datas as Exclude<TensorData, string[]>[]) {
    (out as { set(source: ArrayLike<number | bigint>, offset: number): void }).set(d, offset);
    offset += d.length;
  }
  return new Tensor(first.dtype, out as never, shape);
}

/** Options of {@link splitOutputs}. */
export interface SplitOptions {
  /** Names the outputs in errors, e.g. `batched run`. */
  readonly where: string;
  /**
   * `false` (default): the parts are views of the batch's elements (no copy), so the
   * batch tensor must not be disposed while they live, unless it lived in device memory
   * (its elements were downloaded into JS memory, which the views keep). `true`: copies,
   * and the batch tensor may be released at once.
   */
  readonly copy?: boolean;
}

/** Splits a tensor along dimension 0 into parts of `rows` rows each. */
export async function splitRows(tensor: Tensor, rows: readonly number[], options: SplitOptions): Promise<Tensor[]> {
  const total = rows.reduce((a, b) => a + b, 0);
  if (tensor.shape[0] !== total) {
    throw new InprocError('RUN_FAILED', `${options.where} has shape [${tensor.shape.join(', ')}], whose first dimension is not the batch of ${total} rows`);
  }
  const data = await tensor.getData();
  const rowSize = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  const parts: Tensor[] = [];
  let start = 0;
  for (const n of rows) {
    const from = start * rowSize;
    const to = (start + n) * rowSize;
    const part = Array.isArray(data) ? data.slice(from, to) : options.copy === true ? (data as Float32Array).slice(from, to) : (data as Float32Array).subarray(from, to);
    parts.push(new Tensor(tensor.dtype, part, [n, ...tensor.shape.slice(1)]));
    start += n;
  }
  return parts;
}

/**
 * Splits every output of a batched run into one record per caller (`rows[i]` rows for
 * caller `i`). Outputs that lived in device memory are released once read: the parts
 * hold their elements in JS memory.
 */
export async function splitOutputs(outputs: Outputs, rows: readonly number[], options: SplitOptions): Promise<Outputs[]> {
  const results: Record<string, Tensor>[] = rows.map(() => ({}));
  for (const [name, tensor] of Object.entries(outputs)) {
    const parts = await splitRows(tensor, rows, { ...options, where: `${options.where}: output "${name}"` });
    parts.forEach((part, i) => (results[i]![name] = part));
    if (tensor.location !== 'cpu') tensor.dispose();
  }
  return results;
}
