/**
 * Tensor element types of the Open Inference Protocol (`FP32`, `INT64`, `BYTES`, ...)
 * and Inproc dtypes, both ways, with the typed array that stores each.
 * @module
 */
import { type DType, type KServeDatatype, type TypedArray, kserveDatatype } from '@inproc/core';

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

type ArrayConstructor = { new (length: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray; readonly BYTES_PER_ELEMENT: number };

/** The typed array of each fixed-size dtype, as `Tensor` stores it (float16 as raw bits, bool as 0/1 bytes). */
export const ARRAYS: Readonly<Record<Exclude<DType, 'string'>, ArrayConstructor>> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};
