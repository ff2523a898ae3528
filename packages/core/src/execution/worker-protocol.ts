/**
 * Messages between a model's main-thread pool and its isolation workers, and the
 * (de)serialisation of tensors and errors across the boundary.
 * @module
 * @internal
 */
import type { DType, TensorData } from '../dtype.js';
import { InprocError, type ErrorCode, ErrorCodes } from '../errors.js';
import type { DeviceChoiceOptions, ModelFormat } from '../backend.js';
import type { Feeds, Signature } from '../signature.js';
import { TENSOR_BRAND, Tensor, describe, ownTensor } from '../tensor.js';

export interface WireTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Feeds across the boundary: one bare tensor (for a single-input model) or named tensors. */
export type WireFeeds = { readonly bare: WireTensor } | { readonly named: Readonly<Record<string, WireTensor>> };

export interface LoadRequest {
  readonly type: 'load';
  readonly bytes: Uint8Array;
  /** The model file's path, when it was loaded from one: the worker loads from it, so files beside it (ONNX external data) are found. */
  readonly path?: string;
  readonly name: string;
  readonly format: ModelFormat;
  readonly backend: string | readonly string[] | undefined;
  readonly device: string;
  readonly backendOptions: Readonly<Record<string, unknown>>;
  /** `warmup.feeds` (the first set of a list), for `device: 'fastest'` timing: tensors only, functions cannot cross. */
  readonly feeds?: WireFeeds;
  readonly dims?: Readonly<Record<string, number>>;
  readonly deviceChoice?: DeviceChoiceOptions;
}

export interface RunRequest {
  readonly type: 'run';
  readonly id: number;
  readonly feeds: Readonly<Record<string, WireTensor>>;
  readonly outputs: readonly string[];
}

export type ToWorker = LoadRequest | RunRequest | { readonly type: 'dispose' };

export type FromWorker =
  | { readonly type: 'loaded'; readonly signature: Signature; readonly backend: string; readonly device: string; readonly bytes: number; readonly metadata: Readonly<Record<string, unknown>> }
  | { readonly type: 'load-failed'; readonly error: WireError }
  | { readonly type: 'result'; readonly id: number; readonly outputs: Readonly<Record<string, WireTensor>> }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError }
  | { readonly type: 'disposed' };

export function toWire(tensor: Tensor): WireTensor {
  return { dtype: tensor.dtype, shape: tensor.shape, data: tensor.data };
}

export function fromWire(wire: WireTensor): Tensor {
  return new Tensor(wire.dtype, wire.data, wire.shape);
}

/**
 * Feeds for a worker: each value read once and made a Tensor of this core (a foreign copy's
 * tensor rebuilt), so a getter or proxy cannot hand the worker something else.
 * @throws InprocError `INPUT_INVALID` naming `what` and the feed that is not a tensor
 */
export function feedsToWire(feeds: Feeds, what: string): WireFeeds {
  const tensor = (value: unknown, name: string | undefined): WireTensor => {
    const own = ownTensor(value);
    if (own === undefined) throw new InprocError('INPUT_INVALID', `${what}${name === undefined ? '' : ` input "${name}"`}: expected a Tensor, got ${describe(value)}`);
    return toWire(own);
  };
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) throw new InprocError('INPUT_INVALID', `${what} must be a Tensor or a record of named Tensors, got ${describe(feeds)}`);
  if ((feeds as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND] === true) return { bare: tensor(feeds, undefined) };
  const named: Record<string, WireTensor> = {};
  for (const [name, value] of Object.entries(feeds as Record<string, unknown>)) setOwn(named, name, tensor(value, name));
  return { named };
}

export function feedsFromWire(wire: WireFeeds): Feeds {
  if ('bare' in wire) return fromWire(wire.bare);
  const named: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(wire.named)) setOwn(named, name, fromWire(t));
  return named;
}

/** `record[key] = value`, where an own "__proto__" key stays a key instead of setting the prototype. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

export function errorToWire(error: unknown): WireError {
  if (InprocError.is(error)) return { code: error.code, message: error.message };
  return { code: 'RUN_FAILED', message: error instanceof Error ? error.message : String(error) };
}

export function errorFromWire(wire: WireError, prefix = ''): InprocError {
  const code = (ErrorCodes as readonly string[]).includes(wire.code) ? wire.code : 'RUN_FAILED';
  return new InprocError(code, `${prefix}${wire.message}`);
}

/** The buffers of the tensors, for a transfer list (duplicates and shared memory removed). */
export function transferables(tensors: Iterable<WireTensor>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of tensors) {
    if (Array.isArray(t.data)) continue;
    const buffer = (t.data).buffer;
    if (buffer instanceof ArrayBuffer) out.add(buffer);
  }
  return [...out];
}
