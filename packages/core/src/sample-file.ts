/**
 * Tensors read from sample files, for warm-up with real inputs: NumPy `.npy` (what
 * Python tooling writes) and a small JSON form (`{ dtype, shape, data }`, or
 * `{ dtype, shape, file }` naming a raw little-endian file beside it). Files are
 * untrusted: every header field is checked and a bad one gets `MODEL_INVALID`.
 * @module
 */
import { STORAGE, isDType, type DType } from './dtype.js';
import { InprocError } from './errors.js';
import { Tensor, describe } from './tensor.js';

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NumPy `descr` type codes (without byte order) and the dtype each stands for. */
const NPY_TYPES: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
};

function invalid(where: string, message: string): InprocError {
  return new InprocError('MODEL_INVALID', `${where}: ${message}`);
}

/** True when the bytes start with the `.npy` magic string. */
/**
 * A float32 tensor as a `.npy` file (NumPy format 1.0, little-endian, C order): the
 * sample format Python tooling writes, for warm-up samples and tests.
 */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded to a multiple of 64 and ended by a newline.
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.byteLength >= NPY_MAGIC.length && NPY_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Parses a `.npy` file (format versions 1–3; little-endian or byte-order-free types; C order).
 * @throws InprocError `MODEL_INVALID` saying what is wrong with the file
 */
export function parseNpy(bytes: Uint8Array, where = '.npy file'): Tensor {
  if (!isNpy(bytes)) throw invalid(where, 'not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let offset: number;
  if (major === 1) {
    if (bytes.byteLength < 10) throw invalid(where, 'truncated header');
    headerLength = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw invalid(where, 'truncated header');
    headerLength = view.getUint32(8, true);
    offset = 12;
  } else {
    throw invalid(where, `unsupported .npy format version ${describe(major)}`);
  }
  if (offset + headerLength > bytes.byteLength) throw invalid(where, `header of ${headerLength} bytes runs past the end of the file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw invalid(where, `header lacks descr, fortran_order or shape: ${header.trim()}`);
  if (fortran === 'True') throw invalid(where, 'Fortran-ordered arrays are not supported; save with np.ascontiguousarray');
  const order = descr[0];
  const code = descr.slice(1);
  const dtype = NPY_TYPES[code];
  if (dtype === undefined || (order !== '<' && order !== '|' && order !== '=')) {
    throw invalid(where, `unsupported element type '${descr}' (little-endian numeric or bool types only)`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw invalid(where, `bad shape (${shapeText})`);
  return fromLittleEndian(dtype, bytes.subarray(offset + headerLength), shape, where);
}

/** A tensor over a copy of raw little-endian element bytes (copied: the source may be unaligned). */
function fromLittleEndian(dtype: DType, raw: Uint8Array, shape: readonly number[], where: string): Tensor {
  if (dtype === 'string') throw invalid(where, 'string tensors cannot be read from raw bytes');
  const size = shape.reduce((a, b) => a * b, 1);
  const Storage = STORAGE[dtype];
  const needed = size * Storage.BYTES_PER_ELEMENT;
  if (raw.byteLength !== needed) throw invalid(where, `shape [${shape.join(', ')}] of ${dtype} needs ${needed} data bytes, the file has ${raw.byteLength}`);
  // The constructor's length form allocates aligned storage; the bytes are then copied in.
  const data = new Storage(size);
  new Uint8Array(data.buffer, data.byteOffset, needed).set(raw);
  return new Tensor(dtype, data as never, shape);
}

/**
 * Parses the JSON sample form. `readRaw` reads the file named by `"file"` (already
 * checked for path safety by the caller's storage).
 * @throws InprocError `MODEL_INVALID`
 */
export async function parseJsonSample(bytes: Uint8Array, where: string, readRaw: (file: string) => Promise<Uint8Array>): Promise<Tensor> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InprocError('MODEL_INVALID', `${where}: not valid UTF-8 JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, `expected { dtype, shape, data } or { dtype, shape, file }, got ${describe(value)}`);
  const { dtype, shape, data, file } = value as Record<string, unknown>;
  if (!isDType(dtype)) throw invalid(where, `"dtype" must be a dtype name, got ${describe(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) throw invalid(where, `"shape" must be an array of non-negative integers, got ${describe(shape)}`);
  if ((data === undefined) === (file === undefined)) throw invalid(where, 'give exactly one of "data" and "file"');
  if (file !== undefined) {
    if (typeof file !== 'string') throw invalid(where, `"file" must be a file name, got ${describe(file)}`);
    return fromLittleEndian(dtype, await readRaw(file), shape as number[], where);
  }
  if (!Array.isArray(data)) throw invalid(where, `"data" must be an array, got ${describe(data)}`);
  try {
    return new Tensor(dtype, data as never, shape as number[]);
  } catch (error) {
    throw new InprocError('MODEL_INVALID', `${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
