/**
 * Element types and the JavaScript storage of each.
 * @module
 */

/** Element type of a tensor. `float16` is stored as raw bits in a `Uint16Array`; `bool` as 0/1 in a `Uint8Array`. */
export type DType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** The storage of each dtype. */
export interface DataTypeMap {
  float32: Float32Array;
  float16: Uint16Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: string[];
}

/** Any numeric typed array a tensor can wrap. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** The data of a tensor of any dtype. */
export type TensorData = DataTypeMap[DType];

/** Element values accepted in plain arrays, per dtype. */
export interface ElementTypeMap {
  float32: number;
  float16: number;
  float64: number;
  int8: number;
  uint8: number;
  int16: number;
  uint16: number;
  int32: number;
  uint32: number;
  int64: number | bigint;
  uint64: number | bigint;
  bool: boolean | number;
  string: string;
}

type TypedArrayConstructor = { new (length: number): TypedArray; readonly name: string; readonly BYTES_PER_ELEMENT: number };

/** @internal */
export const STORAGE: Readonly<Record<Exclude<DType, 'string'>, TypedArrayConstructor>> = {
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

/**
 * The `Symbol.toStringTag` of each dtype's storage (`'Float32Array'`), read once: reading a
 * constructor's `name` on every tensor costs more than the rest of its checks. @internal
 */
export const STORAGE_TAG: Readonly<Record<Exclude<DType, 'string'>, string>> = Object.fromEntries(Object.entries(STORAGE).map(([dtype, ctor]) => [dtype, ctor.name])) as Record<Exclude<DType, 'string'>, string>;

/** Every dtype, in a stable order. */
export const DTYPES: readonly DType[] = [...(Object.keys(STORAGE) as DType[]), 'string'];

/** True when `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  // A switch, not a scan of DTYPES: it runs for every tensor made, inputs and outputs.
  switch (value) {
    case 'float32':
    case 'float16':
    case 'float64':
    case 'int8':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64':
    case 'bool':
    case 'string':
      return true;
    default:
      return false;
  }
}

/** Bytes per element (strings: 0, their size is counted from their contents). */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'string' ? 0 : STORAGE[dtype].BYTES_PER_ELEMENT;
}

/** The typed-array constructor name a dtype expects, for messages. @internal */
export function storageName(dtype: DType): string {
  return dtype === 'string' ? 'string[]' : STORAGE_TAG[dtype];
}
