/**
 * Messages between a model's main-thread pool and its isolation workers, and the
 * (de)serialisation of tensors and errors across the boundary.
 * @module
 * @internal
 */
import type { DType, TensorData } from '../dtype.js';
import { InprocError, type ErrorCode, ErrorCodes } from '../errors.js';
import type { ModelFormat } from '../backend.js';
import type { Signature } from '../signature.js';
import { Tensor } from '../tensor.js';

export interface WireTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

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
