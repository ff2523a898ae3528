/**
 * One tensor's data in the two encodings of the protocol: JSON (`"data"`: a flat or
 * nested array) and the binary tensor data extension (little-endian, row-major, no
 * padding; BOOL one byte of 0 or 1; BYTES a 4-byte little-endian length before each
 * element). Decoding checks sizes against the shape and builds core `Tensor`s, whose
 * constructor checks every JSON element's range.
 * @module
 */
import { type DType, type ErrorCode, InprocError, Tensor, bytesPerElement } from '@inproc/core';
import { storageOf } from './datatypes.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Number of elements of a shape that was already checked (non-negative safe integers). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The tensor's bytes in the binary encoding; a view of its storage when the platform is little-endian. */
export function tensorBytes(tensor: Tensor): Uint8Array {
  const data = tensor.data;
  if (tensor.dtype === 'string') {
    const parts = (data as string[]).map((s) => encoder.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const part of parts) {
      view.setUint32(offset, part.byteLength, true);
      out.set(part, offset + 4);
      offset += 4 + part.byteLength;
    }
    return out;
  }
  const typed = data as Exclude<typeof data, string[]>;
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  return LITTLE_ENDIAN ? bytes : swapped(bytes, typed.BYTES_PER_ELEMENT);
}

/**
 * A tensor from its binary encoding. Numeric data is used in place when it is aligned
 * (copied otherwise, and on big-endian platforms).
 * @throws InprocError `code` when the size does not fit the shape, a BOOL byte is not 0 or 1, or a BYTES element overruns or is not UTF-8
 */
export function tensorFromBytes(dtype: DType, shape: readonly number[], bytes: Uint8Array, where: string, code: ErrorCode): Tensor {
  const count = elementCount(shape);
  if (dtype === 'string') {
    const strings: string[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (offset + 4 > bytes.byteLength) throw new InprocError(code, `${where}: BYTES element ${strings.length} has a truncated length prefix`);
      const length = view.getUint32(offset, true);
      if (offset + 4 + length > bytes.byteLength) throw new InprocError(code, `${where}: BYTES element ${strings.length} is ${length} bytes long, but only ${bytes.byteLength - offset - 4} remain`);
      try {
        strings.push(decoder.decode(bytes.subarray(offset + 4, offset + 4 + length)));
      } catch (error) {
        throw new InprocError(code, `${where}: BYTES element ${strings.length} is not UTF-8 text (Inproc string tensors hold text)`, { cause: error });
      }
      offset += 4 + length;
    }
    if (strings.length !== count) throw new InprocError(code, `${where}: shape [${shape.join(', ')}] holds ${count} elements, but the BYTES data has ${strings.length}`);
    return new Tensor('string', strings, shape);
  }
  const width = bytesPerElement(dtype);
  if (bytes.byteLength !== count * width) {
    throw new InprocError(code, `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${count * width} bytes, got ${bytes.byteLength}`);
  }
  const Storage = storageOf(dtype);
  const source = LITTLE_ENDIAN ? bytes : swapped(bytes, width);
  const data = source.byteOffset % width === 0 ? new Storage(source.buffer, source.byteOffset, count) : new Storage(source.slice().buffer, 0, count);
  if (dtype === 'bool') {
    const flags = data as Uint8Array;
    for (let i = 0; i < flags.length; i++) if (flags[i]! > 1) throw new InprocError(code, `${where}: BOOL element ${i} is the byte ${flags[i]}, not 0 or 1`);
  }
  return new Tensor(dtype, data as never, shape);
}

/** Whether JSON can carry the tensor: not FP16 (JSON has no half floats) and no NaN or infinity. */
export function jsonCanCarry(tensor: Tensor): boolean {
  if (tensor.dtype === 'float16') return false;
  if (tensor.dtype === 'float32' || tensor.dtype === 'float64') {
    const data = tensor.data as Float32Array | Float64Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  }
  return true;
}

/** The tensor's elements as the text of a flat JSON array (64-bit integers exactly, as digits). Check {@link jsonCanCarry} first. */
export function tensorJson(tensor: Tensor): string {
  const data = tensor.data;
  switch (tensor.dtype) {
    case 'string':
      return JSON.stringify(data);
    case 'bool':
      return `[${Array.from(data as Uint8Array, (v) => (v === 0 ? 'false' : 'true')).join(',')}]`;
    case 'int64':
    case 'uint64':
      return `[${(data as BigInt64Array | BigUint64Array).join(',')}]`;
    default:
      return JSON.stringify(Array.from(data as Exclude<typeof data, string[] | BigInt64Array | BigUint64Array>));
  }
}

/**
 * A tensor from a JSON `"data"` array, flat or nested (row-major either way). 64-bit
 * integers may come as bigints (see `parseJson`); the `Tensor` constructor checks each
 * element's type and range.
 * @throws InprocError `code` for FP16 (send it binary), a wrong element count, or bad elements
 */
export function tensorFromJson(dtype: DType, shape: readonly number[], data: unknown, where: string, code: ErrorCode): Tensor {
  if (dtype === 'float16') throw new InprocError(code, `${where}: FP16 data cannot be sent as JSON (JSON has no half floats); send it with the binary tensor extension (binary_data_size)`);
  if (!Array.isArray(data)) throw new InprocError(code, `${where}: "data" must be an array, got ${data === null ? 'null' : typeof data}`);
  const flat = data.flat(Infinity) as unknown[];
  const count = elementCount(shape);
  if (flat.length !== count) throw new InprocError(code, `${where}: shape [${shape.join(', ')}] holds ${count} elements, but "data" has ${flat.length}`);
  const wide = dtype === 'int64' || dtype === 'uint64';
  if (!wide) for (let i = 0; i < flat.length; i++) if (typeof flat[i] === 'bigint') flat[i] = Number(flat[i]);
  try {
    return new Tensor(dtype, flat as never, shape);
  } catch (error) {
    if (InprocError.is(error)) throw new InprocError(code, `${where}: ${error.message.replace(/^tensor: /, '')}`, { cause: error });
    throw error;
  }
}

function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  return out;
}
