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
import { float32ArrayJson } from './float32-text.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** What a BYTES element may hold, for messages. */
const BYTES_RULE = 'BYTES elements are UTF-8 text without NUL: onnxruntime string tensors end an element at its first NUL, so it would be cut';

/** The error for a BYTES element holding a NUL. */
export function nulError(where: string, index: number, at: number, code: ErrorCode): InprocError {
  return new InprocError(code, `${where}: BYTES element ${index} holds a NUL (at offset ${at}) (${BYTES_RULE})`);
}

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
      const nul = bytes.subarray(offset + 4, offset + 4 + length).indexOf(0);
      if (nul !== -1) throw nulError(where, strings.length, nul, code);
      try {
        strings.push(decoder.decode(bytes.subarray(offset + 4, offset + 4 + length)));
      } catch (error) {
        throw new InprocError(code, `${where}: BYTES element ${strings.length} is not UTF-8 text (${BYTES_RULE})`, { cause: error });
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
  // Copied when misaligned, with Uint8Array's slice: a Node Buffer's own slice() is a view.
  const data = source.byteOffset % width === 0 ? new Storage(source.buffer, source.byteOffset, count) : new Storage(Uint8Array.prototype.slice.call(source).buffer, 0, count);
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

/**
 * The tensor's elements as the bytes of a flat JSON array's text (64-bit integers
 * exactly, as digits; FP32 as the shortest text that reads back as the same float32,
 * written straight into bytes by {@link float32ArrayJson}); no object per element.
 * Check {@link jsonCanCarry} first.
 */
export function tensorJson(tensor: Tensor): Uint8Array<ArrayBuffer> {
  const data = tensor.data;
  switch (tensor.dtype) {
    case 'float32':
      return float32ArrayJson(data as Float32Array);
    case 'string':
      return encoder.encode(JSON.stringify(data));
    case 'bool':
      return encoder.encode(`[${(data as Uint8Array).join(',').replaceAll('1', 'true').replaceAll('0', 'false')}]`);
    case 'int64':
    case 'uint64':
      return encoder.encode(`[${(data as BigInt64Array | BigUint64Array).join(',')}]`);
    default:
      // V8's JSON.stringify of a packed array of doubles is its fastest number printer (a typed array's join is 2x slower).
      return encoder.encode(JSON.stringify(Array.from(data as Exclude<typeof data, string[] | BigInt64Array | BigUint64Array>)));
  }
}

function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  return out;
}
