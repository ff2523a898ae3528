/**
 * Tensor element types of the Open Inference Protocol (`FP32`, `INT64`, `BYTES`, ...)
 * and Inproc dtypes, both ways, with the typed array that stores each.
 * @module
 */
import { type DType, type KServeDatatype, Tensor, type TypedArray, kserveDatatype } from '@inproc/core';

const DTYPES: Readonly<Record<KServeDatatype, DType>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

/** Every datatype of the protocol that Inproc carries (BF16 has no Inproc dtype). */
export const DATATYPES = Object.keys(DTYPES) as readonly KServeDatatype[];

/** The Inproc dtype of a protocol datatype, or undefined for one Inproc has no dtype for (e.g. `BF16`). */
export function dtypeOf(datatype: unknown): DType | undefined {
  return typeof datatype === 'string' && Object.hasOwn(DTYPES, datatype) ? DTYPES[datatype as KServeDatatype] : undefined;
}

export { kserveDatatype as datatypeOf };

type ArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray;

const storage = new Map<DType, ArrayConstructor>();

/** The typed array core's `Tensor` stores a fixed-size dtype in (float16 as raw bits in a Uint16Array, bool as 0/1 bytes), asked of core itself. */
export function storageOf(dtype: Exclude<DType, 'string'>): ArrayConstructor {
  let constructor = storage.get(dtype);
  if (constructor === undefined) {
    constructor = (new Tensor(dtype, [], [0]).data).constructor as ArrayConstructor;
    storage.set(dtype, constructor);
  }
  return constructor;
}
