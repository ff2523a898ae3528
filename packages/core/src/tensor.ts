/**
 * `Tensor`: a backend-neutral n-dimensional array. It wraps a typed array without
 * copying, validates dtype, data and shape when constructed, and can own native memory
 * (a GPU buffer, a backend tensor) that `dispose()` releases.
 * @module
 */
import { type DType, type DataTypeMap, type ElementTypeMap, type TensorData, STORAGE, STORAGE_TAG, isDType, storageName, bytesPerElement } from './dtype.js';
import { InprocError } from './errors.js';

/**
 * Native memory owned by a tensor, released exactly once by `Tensor.dispose()`. Backends
 * hand one over as the {@link DeviceStorage} of {@link Tensor.fromDevice}.
 */
export interface NativeHandle {
  /** Bytes of native memory held, for `resources()`. */
  readonly bytes: number;
  release(): void;
}

const nativeHandles = new WeakMap<Tensor, NativeHandle>();

/** Where a tensor's elements live: in JS memory (`'cpu'`) or in a device's memory. */
export type TensorLocation = 'cpu' | 'gpu-buffer' | 'ml-tensor';

/**
 * Elements that a backend keeps in device memory (a WebGPU buffer, a WebNN tensor),
 * handed to {@link Tensor.fromDevice}. The tensor owns it: `Tensor.dispose()` calls
 * `release()` exactly once.
 */
export interface DeviceStorage extends NativeHandle {
  readonly location: Exclude<TensorLocation, 'cpu'>;
  /** Copies the elements into JS memory (a typed array of the dtype's storage type). */
  download(): Promise<TensorData>;
  /** The backend's own tensor object, so that the backend can feed it to a later run without a copy. */
  readonly native?: unknown;
}

// Storage objects handed to fromDevice(): the constructor accepts only these in place of data.
const deviceStorages = new WeakSet<object>();

// Set by Tensor's static block, where the private-field brand check can be written.
let isOwnTensor: (value: unknown) => value is Tensor;

// Set by trustedTensor() for the one constructor call it makes: that call checks nothing.
let trusting = false;

/** Brand on `Tensor.prototype` so that tensors made by another copy of core are recognised. @internal */
export const TENSOR_BRAND = Symbol.for('inproc.tensor');

/** Recursive array of element values, as accepted by the constructor for any rank. */
export type NestedArray<T> = readonly (T | NestedArray<T>)[];

/**
 * An n-dimensional array of one {@link DType}.
 *
 * ```ts
 * const x = new Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]); // no copy
 * const ids = new Tensor('int64', [101, 2023, 102], [1, 3]);             // converted to BigInt64Array
 * ```
 */
export class Tensor<D extends DType = DType> implements Disposable {
  // dtype, shape and size are read-only accessors over private fields: they cannot be changed
  // after validation (an assignment throws a TypeError), at no cost per tensor, which
  // Object.freeze(this) would add (~0.1 µs on every input and output of every run).
  readonly #dtype: D;
  readonly #shape: readonly number[];
  readonly #size: number;
  #data: DataTypeMap[D] | undefined;
  #disposed = false;
  // Set for tensors whose elements live in device memory; #data is filled by getData().
  readonly #device: DeviceStorage | undefined;
  #download: Promise<DataTypeMap[D]> | undefined;

  static {
    Object.defineProperty(this.prototype, TENSOR_BRAND, { value: true });
    // A private-field brand check: true only for objects this class constructed. A Proxy of a
    // tensor, Object.create(Tensor.prototype) or an object carrying TENSOR_BRAND all fail it.
    isOwnTensor = (value: unknown): value is Tensor => typeof value === 'object' && value !== null && #disposed in value;
  }

  /**
   * @param dtype element type
   * @param data a typed array of the dtype's storage type (wrapped, not copied), or a
   *   plain (possibly nested) array of values (converted)
   * @param shape dimensions; their product must equal the number of elements
   * @throws InprocError `INPUT_INVALID` when dtype, data and shape disagree
   */
  constructor(dtype: D, data: DataTypeMap[D] | NestedArray<ElementTypeMap[D]>, shape: readonly number[]) {
    if (trusting) {
      // A backend's output (see trustedTensor): dtype, storage and shape are known to agree.
      trusting = false;
      this.#dtype = dtype;
      this.#shape = frozenShape(shape);
      this.#data = data as DataTypeMap[D];
      this.#size = (data as TensorData).length;
      this.#device = undefined;
      return;
    }
    if (!isDType(dtype)) {
      throw new InprocError('INPUT_INVALID', `tensor: unknown dtype ${JSON.stringify(dtype)}; expected one of float32, float16, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool, string`);
    }
    const size = checkShape(shape);
    if (typeof data === 'object' && data !== null && deviceStorages.has(data)) {
      if (dtype === 'string') throw new InprocError('INPUT_INVALID', 'tensor: string tensors cannot live in device memory');
      this.#dtype = dtype;
      this.#shape = frozenShape(shape);
      this.#size = size;
      this.#device = data as unknown as DeviceStorage;
      attachNative(this, this.#device);
      return;
    }
    const stored = toStorage(dtype, data);
    if (stored.length !== size) {
      throw new InprocError('INPUT_INVALID', `tensor: shape [${shape.join(', ')}] holds ${size} elements, but the data has ${stored.length}`);
    }
    this.#dtype = dtype;
    this.#shape = frozenShape(shape);
    this.#size = size;
    this.#data = stored;
  }

  /** Element type. */
  get dtype(): D {
    return this.#dtype;
  }

  /** Dimensions (a frozen array). */
  get shape(): readonly number[] {
    return this.#shape;
  }

  /** Number of elements: the product of the dimensions. */
  get size(): number {
    return this.#size;
  }

  /**
   * A tensor whose elements stay in device memory (e.g. a WebGPU output kept on the
   * GPU). For backend authors: the tensor owns `storage` and releases it on
   * `dispose()`. Its `data` is readable once `getData()` has downloaded it.
   */
  static fromDevice<D extends Exclude<DType, 'string'>>(dtype: D, shape: readonly number[], storage: DeviceStorage): Tensor<D> {
    if (typeof storage !== 'object' || storage === null || typeof storage.download !== 'function' || typeof storage.release !== 'function') {
      throw new InprocError('INPUT_INVALID', `Tensor.fromDevice: storage needs download() and release(), got ${describe(storage)}`);
    }
    deviceStorages.add(storage);
    return new Tensor(dtype, storage as never, shape);
  }

  /**
   * The elements, in row-major order. Throws `DISPOSED` after `dispose()`, and
   * `INPUT_INVALID` for a device tensor whose elements were not read with `getData()` yet.
   */
  get data(): DataTypeMap[D] {
    if (this.#disposed) throw new InprocError('DISPOSED', `tensor [${this.shape.join(', ')}] ${this.dtype} was used after dispose()`);
    if (this.#data === undefined) {
      throw new InprocError('INPUT_INVALID', `tensor [${this.shape.join(', ')}] ${this.dtype} lives in ${this.location} memory; read it with await tensor.getData()`);
    }
    return this.#data;
  }

  /**
   * The elements as the storage of `dtype`, checked, so results need no cast:
   * `out.y.dataAs('float32')` is a `Float32Array`, `out.ids.dataAs('int64')` a
   * `BigInt64Array`. Throws `INPUT_DTYPE` when the tensor holds another dtype (the message
   * names it), `INPUT_INVALID` for an unknown dtype, and what `data` throws.
   */
  dataAs<T extends DType>(dtype: T): DataTypeMap[T] {
    if (!isDType(dtype)) throw new InprocError('INPUT_INVALID', `tensor.dataAs: unknown dtype ${describe(dtype)}`);
    const held: DType = this.dtype;
    if (held !== dtype) {
      throw new InprocError('INPUT_DTYPE', `tensor [${this.shape.join(', ')}] holds ${this.dtype}, read as ${dtype}; use dataAs('${this.dtype}')`);
    }
    return this.data as unknown as DataTypeMap[T];
  }

  /** Where the elements live; `'cpu'` for every tensor not made by {@link Tensor.fromDevice}. */
  get location(): TensorLocation {
    return this.#device?.location ?? 'cpu';
  }

  /**
   * The elements, downloaded from device memory the first time for a device tensor
   * (the download is kept; the device memory stays until `dispose()`). Resolves
   * `data` at once for a CPU tensor. Rejects with `DISPOSED` after `dispose()`.
   */
  getData(): Promise<DataTypeMap[D]> {
    if (this.#disposed) return Promise.reject(new InprocError('DISPOSED', `tensor [${this.shape.join(', ')}] ${this.dtype} was used after dispose()`));
    if (this.#data !== undefined) return Promise.resolve(this.#data);
    const device = this.#device!;
    this.#download ??= device.download().then((raw) => {
      const data = toStorage(this.dtype, raw);
      if (data.length !== this.size) throw new InprocError('RUN_FAILED', `tensor [${this.shape.join(', ')}]: the device returned ${data.length} elements`);
      if (this.#disposed) throw new InprocError('DISPOSED', `tensor [${this.shape.join(', ')}] ${this.dtype} was disposed during its download`);
      this.#data = data;
      return data;
    });
    return this.#download;
  }

  /** True once `dispose()` was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Bytes of element storage (for strings: their UTF-16 length times two). */
  get byteLength(): number {
    if (this.#device !== undefined && !this.#disposed) return tensorBytes(this.dtype, this.shape);
    const data: TensorData = this.data;
    if (Array.isArray(data)) return data.reduce((n, s) => n + s.length * 2, 0);
    return data.byteLength;
  }

  /**
   * Drops the data and releases native memory the tensor owns. Safe to call twice.
   * Plain CPU tensors need no dispose (the garbage collector frees them); tensors
   * returned by a backend that keeps them on a device do.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#data = undefined;
    const native = nativeHandles.get(this);
    if (native !== undefined) {
      nativeHandles.delete(this);
      native.release();
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** What `console.log(tensor)` shows in Node (the fields are accessors, which it would not list). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** A short description, e.g. `Tensor<float32>[1, 3, 224, 224]` (`@gpu-buffer` appended for a device tensor). */
  toString(): string {
    return `Tensor<${this.dtype}>[${this.shape.join(', ')}]${this.#device === undefined ? '' : `@${this.#device.location}`}`;
  }
}

/**
 * The tensor a feed stands for, checked: a Tensor of this copy of core as it is; a tensor of
 * another copy of core (same brand, its own class) rebuilt here from its dtype, data and
 * shape, which validates them; anything else is `undefined`. Reads each field once.
 * @internal
 */
export function ownTensor(value: unknown): Tensor | undefined {
  if (isOwnTensor(value)) return value;
  if (typeof value !== 'object' || value === null || (value as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND] !== true) return undefined;
  const foreign = value as Tensor;
  if (foreign.disposed) throw new InprocError('DISPOSED', 'the tensor was disposed');
  if (foreign.location !== 'cpu') throw new InprocError('INPUT_INVALID', `a ${foreign.location} tensor of another copy of @inproc/core cannot be used here; read it with getData() and make a new Tensor`);
  return new Tensor(foreign.dtype, foreign.data, foreign.shape);
}

// Shapes recur call after call ([8, 256] on every run), and Object.freeze costs ~0.1-0.2 µs a
// fresh array: frozen shapes are shared from a small ring of recent ones (they are immutable).
const recentShapes: (readonly number[])[] = [];
let nextShapeSlot = 0;
const RECENT_SHAPES = 16;

function frozenShape(shape: readonly number[]): readonly number[] {
  const n = shape.length;
  search: for (const known of recentShapes) {
    if (known.length !== n) continue;
    for (let i = 0; i < n; i++) if (known[i] !== shape[i]) continue search;
    return known;
  }
  const frozen = Object.freeze(shape.slice());
  recentShapes[nextShapeSlot] = frozen;
  nextShapeSlot = (nextShapeSlot + 1) % RECENT_SHAPES;
  return frozen;
}

/**
 * A tensor over a backend's output, made without the constructor's checks: for backend
 * authors, on the hot path of every run, where the runtime has already produced storage of
 * the dtype's type (`Float32Array` for float32, `Uint16Array` bits for float16, `string[]`
 * for strings, ...) holding exactly the product of `shape` elements. Nothing is checked;
 * anything else gives a tensor whose fields disagree. Caller input always goes through
 * `new Tensor()`.
 */
export function trustedTensor<D extends DType>(dtype: D, data: DataTypeMap[D], shape: readonly number[]): Tensor<D> {
  trusting = true;
  return new Tensor<D>(dtype, data, shape);
}

/** Ties native memory to a tensor; `tensor.dispose()` releases it. @internal */
export function attachNative(tensor: Tensor, handle: NativeHandle): void {
  if (nativeHandles.has(tensor)) throw new Error('tensor already owns native memory');
  nativeHandles.set(tensor, handle);
}

/** Bytes per element, for `resources()` estimates of a shape. @internal */
export function tensorBytes(dtype: DType, shape: readonly number[]): number {
  return bytesPerElement(dtype) * shape.reduce((a, b) => a * b, 1);
}

function checkShape(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new InprocError('INPUT_INVALID', `tensor: shape must be an array of dimensions, got ${describe(shape)}`);
  let size = 1;
  const dims: readonly unknown[] = shape;
  for (let i = 0; i < dims.length; i++) {
    const dim = dims[i];
    // (dim >>> 0) === dim: the common case (a small non-negative integer) in one comparison.
    if (typeof dim !== 'number' || ((dim >>> 0) !== dim && !(Number.isSafeInteger(dim) && dim >= 0))) {
      throw new InprocError('INPUT_INVALID', `tensor: shape dimensions must be non-negative integers, got [${shape.map((d) => describe(d)).join(', ')}]`);
    }
    size *= dim;
  }
  if (!Number.isSafeInteger(size)) throw new InprocError('INPUT_INVALID', `tensor: shape [${shape.join(', ')}] has too many elements`);
  return size;
}

const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  float16: [0, 65535], // raw IEEE 754 half bits
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function toStorage<D extends DType>(dtype: D, data: unknown): DataTypeMap[D] {
  return convert(dtype, data) as DataTypeMap[D];
}

function convert(dtype: DType, data: unknown): TensorData {
  if (ArrayBuffer.isView(data)) {
    const tag = (data as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
    // Tags, not instanceof, so typed arrays from another realm (a worker, a vm context) are accepted.
    if (dtype !== 'string' && tag === STORAGE_TAG[dtype]) return data as TensorData;
    throw new InprocError('INPUT_INVALID', `tensor: dtype ${dtype} expects ${storageName(dtype)} data, got ${tag ?? 'DataView'}`);
  }
  if (!Array.isArray(data)) {
    throw new InprocError('INPUT_INVALID', `tensor: data must be ${storageName(dtype)} or an array, got ${describe(data)}`);
  }
  const flat: unknown[] = (data as unknown[]).flat(Infinity);
  if (dtype === 'string') {
    for (const [i, v] of flat.entries()) if (typeof v !== 'string') throw badElement(dtype, i, v);
    return flat as string[];
  }
  const out = new STORAGE[dtype](flat.length);
  if (dtype === 'int64' || dtype === 'uint64') {
    const min = dtype === 'int64' ? -(2n ** 63n) : 0n;
    const max = dtype === 'int64' ? 2n ** 63n - 1n : 2n ** 64n - 1n;
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      const big = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (big === undefined || big < min || big > max) throw badElement(dtype, i, v);
      (out as BigInt64Array | BigUint64Array)[i] = big;
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (v === true || v === 1) (out as Uint8Array)[i] = 1;
      else if (v !== false && v !== 0) throw badElement(dtype, i, v);
    }
  } else {
    const range = INT_RANGES[dtype];
    const numeric = out as Exclude<TensorData, string[] | BigInt64Array | BigUint64Array>;
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number' || (range !== undefined && (!Number.isInteger(v) || v < range[0] || v > range[1]))) throw badElement(dtype, i, v);
      numeric[i] = v;
    }
  }
  return out;
}

function badElement(dtype: DType, index: number, value: unknown): InprocError {
  const expected = {
    string: 'a string',
    bool: 'a boolean or 0/1',
    int64: 'an integer (number or bigint) in the int64 range',
    uint64: 'an integer (number or bigint) in the uint64 range',
    float32: 'a number',
    float64: 'a number',
  } as Partial<Record<DType, string>>;
  const range = INT_RANGES[dtype];
  const want = expected[dtype] ?? (range ? `an integer in [${range[0]}, ${range[1]}]` : 'a number');
  return new InprocError('INPUT_INVALID', `tensor: element ${index} of a ${dtype} tensor must be ${want}, got ${describe(value)}`);
}

/** A short, safe description of a value for messages. @internal */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (typeof value === 'function') return 'function';
  if (typeof value === 'symbol') return value.toString();
  if (ArrayBuffer.isView(value)) return (value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag];
  if (Array.isArray(value)) return `array(${value.length})`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : 'object';
}
