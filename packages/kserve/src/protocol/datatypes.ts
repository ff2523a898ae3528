/**
 * Tensor element types: Inproc dtypes, the Open Inference Protocol's datatypes (`FP32`,
 * `INT64`, `BYTES`, ...) and Triton's model configuration `DataType` enum (`TYPE_FP32`,
 * `TYPE_STRING`, ...), in one table read every way, with the typed array that stores each.
 *
 * `BYTES` carries Inproc `string` tensors: each element must be UTF-8 text without NUL
 * (onnxruntime's string tensors end an element at its first NUL, so such an element
 * would be cut); the codec refuses anything else with `INPUT_INVALID`.
 * @module
 */
import { type DType, Tensor, type TypedArray } from '@inproc/core';

/** The protocol's tensor datatypes that Inproc carries (`BF16` has no Inproc dtype). */
export type Datatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

/** Triton's `DataType` enum names (model_config.proto) for the same types. */
export type TritonDataType = `TYPE_${Exclude<Datatype, 'BYTES'>}` | 'TYPE_STRING';

/** dtype -> [protocol datatype, Triton config data type]: the one table. */
const TABLE: Readonly<Record<DType, readonly [Datatype, TritonDataType]>> = {
  bool: ['BOOL', 'TYPE_BOOL'],
  uint8: ['UINT8', 'TYPE_UINT8'],
  uint16: ['UINT16', 'TYPE_UINT16'],
  uint32: ['UINT32', 'TYPE_UINT32'],
  uint64: ['UINT64', 'TYPE_UINT64'],
  int8: ['INT8', 'TYPE_INT8'],
  int16: ['INT16', 'TYPE_INT16'],
  int32: ['INT32', 'TYPE_INT32'],
  int64: ['INT64', 'TYPE_INT64'],
  float16: ['FP16', 'TYPE_FP16'],
  float32: ['FP32', 'TYPE_FP32'],
  float64: ['FP64', 'TYPE_FP64'],
  string: ['BYTES', 'TYPE_STRING'],
};

const DTYPES = new Map<string, DType>(Object.entries(TABLE).map(([dtype, [datatype]]) => [datatype, dtype as DType]));

/** Every datatype of the protocol that Inproc carries. */
export const DATATYPES: readonly Datatype[] = Object.values(TABLE).map(([datatype]) => datatype);

/** The Inproc dtype of a protocol datatype, or undefined for one Inproc has no dtype for (e.g. `BF16`). */
export function dtypeOf(datatype: unknown): DType | undefined {
  return typeof datatype === 'string' ? DTYPES.get(datatype) : undefined;
}

/** The protocol datatype of a dtype (`float32` -> `FP32`, `string` -> `BYTES`). */
export function datatypeOf(dtype: DType): Datatype {
  return TABLE[dtype][0];
}

/** Triton's model configuration data type of a dtype (`float32` -> `TYPE_FP32`, `string` -> `TYPE_STRING`). */
export function tritonDataTypeOf(dtype: DType): TritonDataType {
  return TABLE[dtype][1];
}

type ArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;

const storage = new Map<DType, ArrayConstructor>();

/** The typed array core's `Tensor` stores a fixed-size dtype in (float16 as raw bits in a Uint16Array, bool as 0/1 bytes), asked of core itself. */
export function storageOf(dtype: Exclude<DType, 'string'>): ArrayConstructor {
  let constructor = storage.get(dtype);
  if (constructor === undefined) {
    constructor = new Tensor(dtype, [], [0]).data.constructor as ArrayConstructor;
    storage.set(dtype, constructor);
  }
  return constructor;
}
