/**
 * The JSON part of an inference body, read from its bytes in two steps:
 *
 * 1. A scan of the whole text checks nesting (at most {@link MAX_DEPTH} levels: a
 *    100,000-deep array is `INPUT_INVALID`, not a stack overflow) and sets aside each
 *    tensor's `"data"` array (`inputs[i].data`, `outputs[i].data`) as a byte span; the
 *    rest, small, is parsed with `parseJson`.
 * 2. Each span is read straight into the typed array of the tensor's dtype: numbers
 *    parsed from the bytes (exactly: a fast path for up to 15 significant digits and
 *    powers of ten up to 22, the platform's parser otherwise), no JS array and no
 *    per-element allocation; 64-bit integers beyond 2^53 keep every digit. Element
 *    types and ranges follow core's `Tensor` rules.
 *
 * Both steps are generators that yield every {@link SLICE_BYTES} bytes, so a caller can
 * run them to the end at once (`decodeInferRequest`) or give the event loop a turn
 * between slices (`decodeInferRequestAsync`): a 64 MiB JSON body never blocks it for long.
 * @module
 */
import { type DType, type ErrorCode, InprocError, Tensor } from '@inproc/core';
import { storageOf } from './datatypes.js';
import { parseJson } from './json.js';
import { nulError } from './tensor-codec.js';

/** Deepest nesting of arrays and objects accepted in a body. */
export const MAX_DEPTH = 64;
/** Largest JSON outside tensor data (parameters, names, shapes) accepted, in bytes. */
export const MAX_SKELETON_BYTES = 4 * 1024 * 1024;
/** Bytes scanned between two yields. */
export const SLICE_BYTES = 256 * 1024;

/** A tensor's `"data"` array, as bytes [start, end) of the body. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The JSON with each tensor's data array replaced by `0`, and where the arrays were, by list and index. */
export interface Scanned {
  readonly json: unknown;
  readonly spans: { readonly inputs: Map<number, Span>; readonly outputs: Map<number, Span> };
}

/** A generator step: yields when a slice of work is done. */
export type Steps<T> = Generator<undefined, T, undefined>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Byte values.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const STRUCTURAL = [OPEN_ARRAY, CLOSE_ARRAY, QUOTE, OPEN_OBJECT, CLOSE_OBJECT];

/**
 * Node's `Buffer.prototype.indexOf` (memchr: ~20x a typed array's own `indexOf` on a
 * 3 MB body) works on any Uint8Array; where there is no Buffer (browsers), the typed array's.
 */
const bufferIndexOf = (globalThis as { Buffer?: { prototype: { indexOf: (this: Uint8Array, value: number, from: number) => number } } }).Buffer?.prototype.indexOf;

/** Position of the first byte `value` at or after `from`, or -1. */
function indexOf(bytes: Uint8Array, value: number, from: number): number {
  return bufferIndexOf === undefined ? bytes.indexOf(value, from) : bufferIndexOf.call(bytes, value, from);
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Position after the string that starts (with its quote) at `start`. */
function stringEnd(bytes: Uint8Array, start: number, end: number, fail: (what: string) => never): number {
  let i = start + 1;
  for (;;) {
    const at = indexOf(bytes, QUOTE, i);
    if (at === -1 || at >= end) return fail('has a string that never ends');
    // Count the backslashes before the quote: an odd number escapes it.
    let k = at - 1;
    while (k > start && bytes[k] === BACKSLASH) k--;
    if ((at - 1 - k) % 2 === 0) return at + 1;
    i = at + 1;
  }
}

function isKey(bytes: Uint8Array, start: number, text: string): boolean {
  if (bytes[start + text.length + 1] !== QUOTE) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + 1 + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Step 1: scans `bytes[0, end)`, checks its nesting, and parses all but the tensors'
 * data arrays.
 * @throws InprocError `code` for nesting deeper than {@link MAX_DEPTH}, too much JSON outside tensor data, or text that is not JSON
 */
export function* scanBody(bytes: Uint8Array, end: number, what: string, code: ErrorCode): Steps<Scanned> {
  const fail = (problem: string): never => {
    throw new InprocError(code, `${what} ${problem}`);
  };
  const spans = { inputs: new Map<number, Span>(), outputs: new Map<number, Span>() };
  const skeleton: string[] = [];
  let skeletonBytes = 0;
  let copied = 0; // bytes before this are in `skeleton`
  let depth = 0;
  let topKey: 'inputs' | 'outputs' | undefined; // the last key at depth 1, when it names a tensor list
  let list: 'inputs' | 'outputs' | undefined; // the tensor list the array at depth 2 is
  let element = 0; // index of the element of `list` being read
  let dataNext = false; // the key just read is an element's "data"
  let nextYield = SLICE_BYTES;
  let pos = 0;
  while (pos < end) {
    if (pos >= nextYield) {
      yield;
      nextYield = pos + SLICE_BYTES;
    }
    const b = bytes[pos]!;
    if (b === QUOTE) {
      const after = stringEnd(bytes, pos, end, fail);
      let next = after;
      while (next < end && isSpace(bytes[next]!)) next++;
      if (bytes[next] === COLON) {
        if (depth === 1) topKey = isKey(bytes, pos, 'inputs') ? 'inputs' : isKey(bytes, pos, 'outputs') ? 'outputs' : undefined;
        dataNext = depth === 3 && list !== undefined && isKey(bytes, pos, 'data');
      }
      pos = after;
      continue;
    }
    if (b === COLON && dataNext) {
      dataNext = false;
      let start = pos + 1;
      while (start < end && isSpace(bytes[start]!)) start++;
      if (bytes[start] === OPEN_ARRAY) {
        const stop = yield* skipArray(bytes, start, end, depth, fail);
        spans[list!].set(element, { start, end: stop });
        const piece = decodeText(bytes, copied, start, what, code);
        skeletonBytes += piece.length + 1;
        if (skeletonBytes > MAX_SKELETON_BYTES) fail(`has more than ${MAX_SKELETON_BYTES} bytes of JSON outside tensor data`);
        skeleton.push(piece, '0');
        copied = stop;
        pos = stop;
        nextYield = Math.max(nextYield, pos);
        continue;
      }
      pos = start;
      continue;
    }
    if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      depth++;
      if (depth > MAX_DEPTH) fail(`nests arrays and objects more than ${MAX_DEPTH} deep`);
      if (depth === 2 && b === OPEN_ARRAY) {
        list = topKey;
        element = 0;
      }
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      if (depth === 2) list = undefined;
      depth--;
    } else if (b === COMMA && depth === 2 && list !== undefined) {
      element++;
    }
    pos++;
  }
  const rest = decodeText(bytes, copied, end, what, code);
  if (skeletonBytes + rest.length > MAX_SKELETON_BYTES) fail(`has more than ${MAX_SKELETON_BYTES} bytes of JSON outside tensor data`);
  skeleton.push(rest);
  return { json: parseJson(skeleton.join(''), what, code), spans };
}

function decodeText(bytes: Uint8Array, start: number, end: number, what: string, code: ErrorCode): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch (error) {
    throw new InprocError(code, `${what}: the JSON header is not UTF-8 text`, { cause: error });
  }
}

/**
 * Position after the array that starts at `start`, its nesting checked (`depth`: the
 * levels around it). It jumps from bracket to bracket with `indexOf` (native code): a
 * run of numbers between two brackets is not looked at byte by byte in JavaScript.
 */
function* skipArray(bytes: Uint8Array, start: number, end: number, depth: number, fail: (what: string) => never): Steps<number> {
  let level = 0;
  let nextYield = start + SLICE_BYTES;
  let pos = start;
  const next = STRUCTURAL.map(() => -1);
  while (pos < end) {
    if (pos >= nextYield) {
      yield;
      nextYield = pos + SLICE_BYTES;
    }
    // The first structural byte from here: each kind's next position is found once by
    // indexOf and kept until passed, so a run of numbers is never looked at in JavaScript.
    let at = end;
    for (let j = 0; j < STRUCTURAL.length; j++) {
      if (next[j]! < pos) {
        const k = indexOf(bytes, STRUCTURAL[j]!, pos);
        next[j] = k === -1 || k >= end ? end : k;
      }
      if (next[j]! < at) at = next[j]!;
    }
    if (at >= end) break;
    const b = bytes[at]!;
    if (b === QUOTE) {
      pos = stringEnd(bytes, at, end, fail);
      continue;
    }
    if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      level++;
      if (depth + level > MAX_DEPTH) fail(`nests arrays and objects more than ${MAX_DEPTH} deep`);
    } else {
      level--;
      if (level === 0) return at + 1;
    }
    pos = at + 1;
  }
  return fail('has an array that never ends');
}

/** Powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const TWO32 = 2 ** 32;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Relative distance within which an FP32 approximation must round the same to count as exact (its error is below 2^-50). */
const MARGIN = 2 ** -47;
/** Numbers are ASCII; windows-1252, which TextDecoder calls latin1, reads ASCII as it is. */
const ascii = new TextDecoder('latin1');

const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/**
 * Step 2: a tensor from the data array at `span` (flat or nested, row-major either way).
 * @throws InprocError `code` for a wrong element count, an element of the wrong type or out of range, or text that is not a JSON array
 */
export function* tensorFromSpan(bytes: Uint8Array, span: Span, dtype: DType, shape: readonly number[], count: number, where: string, code: ErrorCode): Steps<Tensor> {
  if (dtype === 'float16') throw new InprocError(code, `${where}: FP16 data cannot be sent as JSON (JSON has no half floats); send it with the binary tensor extension (binary_data_size)`);
  // Each element takes at least one byte: a shape the text cannot fill is refused before its storage is allocated.
  if (count > span.end - span.start) throw new InprocError(code, `${where}: shape [${shape.join(', ')}] holds ${count} elements, but "data" is ${span.end - span.start} bytes of JSON`);
  const strings: string[] | undefined = dtype === 'string' ? [] : undefined;
  const out = strings === undefined ? new (storageOf(dtype as Exclude<DType, 'string'>) as unknown as new (length: number) => ArrayBufferView)(count) : undefined;
  const wide = dtype === 'int64' || dtype === 'uint64';
  const words = wide ? new Uint32Array((out as BigInt64Array).buffer) : undefined;
  const inWords = LITTLE_ENDIAN;
  const numbers = !wide && dtype !== 'bool' && out !== undefined ? (out as unknown as { [i: number]: number }) : undefined;
  const flags = dtype === 'bool' ? (out as Uint8Array) : undefined;
  const range = INT_RANGES[dtype];
  const bad = (i: number, got: string, want: string): never => {
    throw new InprocError(code, `${where}: element ${i} of a ${dtype} tensor must be ${want}, got ${got.length > 40 ? `${got.slice(0, 40)}…` : got}`);
  };
  const malformed = (pos: number): never => {
    throw new InprocError(code, `${where}: "data" is not a JSON array of ${dtype === 'string' ? 'strings' : dtype === 'bool' ? 'booleans' : 'numbers'} (unexpected ${pos < span.end ? JSON.stringify(String.fromCharCode(bytes[pos]!)) : 'end'} at byte ${pos - span.start} of it)`);
  };
  const single = dtype === 'float32';
  const exact = (from: number, to: number): number => Number(ascii.decode(bytes.subarray(from, to)));
  let i = 0;
  let expectValue = true; // after '[' or ','
  let nextYield = span.start + SLICE_BYTES;
  let pos = span.start;
  const end = span.end;
  while (pos < end) {
    if (pos >= nextYield) {
      yield;
      nextYield = pos + SLICE_BYTES;
    }
    const b = bytes[pos]!;
    if (isSpace(b)) {
      pos++;
      continue;
    }
    if (b === OPEN_ARRAY) {
      if (!expectValue) malformed(pos);
      pos++;
      continue;
    }
    if (b === CLOSE_ARRAY) {
      // `[]` and `[[1],[2]]` are fine; `[1,]` is not.
      if (expectValue && !isSpaceRunAfterOpen(bytes, span.start, pos)) malformed(pos);
      expectValue = false;
      pos++;
      continue;
    }
    if (b === COMMA) {
      if (expectValue) malformed(pos);
      expectValue = true;
      pos++;
      continue;
    }
    if (!expectValue) malformed(pos);
    expectValue = false;
    if (i >= count) throw new InprocError(code, `${where}: shape [${shape.join(', ')}] holds ${count} elements, but "data" has more`);
    if (b === QUOTE) {
      const stop = stringEnd(bytes, pos, span.end, () => malformed(span.end));
      if (strings === undefined) bad(i, latin1(bytes, pos, stop), dtype === 'bool' ? 'a boolean or 0/1' : 'a number');
      let text: string;
      try {
        text = JSON.parse(utf8.decode(bytes.subarray(pos, stop))) as string;
      } catch (error) {
        throw new InprocError(code, `${where}: BYTES element ${i} is not a valid JSON string of UTF-8 text`, { cause: error });
      }
      const nul = text.indexOf('\0');
      if (nul !== -1) throw nulError(where, i, nul, code);
      strings!.push(text);
      i++;
      pos = stop;
      continue;
    }
    if (b === 0x74 /* t */ || b === 0x66 /* f */ || b === 0x6e /* n */) {
      const word = b === 0x74 ? 'true' : b === 0x66 ? 'false' : 'null';
      for (let k = 1; k < word.length; k++) if (bytes[pos + k] !== word.charCodeAt(k)) malformed(pos);
      if (flags === undefined || word === 'null') bad(i, word, want(dtype, range));
      flags![i++] = word === 'true' ? 1 : 0;
      pos += word.length;
      continue;
    }
    // A number.
    const start = pos;
    let negative = false;
    if (b === MINUS) {
      negative = true;
      pos++;
    }
    let mantissa = 0;
    let digits = 0;
    let intDigits = 0;
    let exponent = 0;
    let fraction = false;
    // The byte at pos, -1 past the span: always a number, so the loops below stay monomorphic.
    let c = pos < end ? bytes[pos]! : -1;
    if (c < ZERO || c > NINE) malformed(pos);
    while (c >= ZERO && c <= NINE) {
      if (digits > 0 || c !== ZERO) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
      }
      intDigits++;
      c = ++pos < end ? bytes[pos]! : -1;
    }
    if (c === DOT) {
      fraction = true;
      c = ++pos < end ? bytes[pos]! : -1;
      if (c < ZERO || c > NINE) malformed(pos);
      while (c >= ZERO && c <= NINE) {
        if (digits > 0 || c !== ZERO) {
          mantissa = mantissa * 10 + (c - ZERO);
          digits++;
        }
        exponent--;
        c = ++pos < end ? bytes[pos]! : -1;
      }
    }
    if (c === 0x65 || c === 0x45) {
      fraction = true;
      c = ++pos < end ? bytes[pos]! : -1;
      let sign = 1;
      if (c === PLUS || c === MINUS) {
        sign = c === MINUS ? -1 : 1;
        c = ++pos < end ? bytes[pos]! : -1;
      }
      if (c < ZERO || c > NINE) malformed(pos);
      let e = 0;
      while (c >= ZERO && c <= NINE) {
        e = e < 1e6 ? e * 10 + (c - ZERO) : e;
        c = ++pos < end ? bytes[pos]! : -1;
      }
      exponent += sign * e;
    }
    if (intDigits > 1 && bytes[negative ? start + 1 : start] === ZERO) malformed(start);
    let value: number;
    if (digits <= 15 && exponent >= -22 && exponent <= 22) {
      // Clinger's fast path: both operands exact, one correctly rounded operation.
      value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
      if (negative) value = -value;
    } else if (single && digits <= 19 && exponent >= -44 && exponent <= 44) {
      // For FP32 an approximation within 2^-50 will do when every value that close rounds to the same float32.
      let approx = exponent >= 0 ? (exponent > 22 ? mantissa * 1e22 * POW10[exponent - 22]! : mantissa * POW10[exponent]!) : exponent < -22 ? mantissa / 1e22 / POW10[-exponent - 22]! : mantissa / POW10[-exponent]!;
      if (negative) approx = -approx;
      const f = Math.fround(approx);
      value = Math.fround(approx * (1 + MARGIN)) === f && Math.fround(approx * (1 - MARGIN)) === f ? f : exact(start, pos);
    } else {
      value = exact(start, pos);
    }
    if (numbers !== undefined) {
      if (range !== undefined && (!Number.isInteger(value) || value < range[0] || value > range[1])) bad(i, latin1(bytes, start, pos), want(dtype, range));
      numbers[i++] = value;
    } else if (flags !== undefined) {
      if (value !== 0 && value !== 1) bad(i, latin1(bytes, start, pos), want(dtype, range));
      flags[i++] = value;
    } else if (words !== undefined) {
      if (inWords && Number.isSafeInteger(value) && (digits <= 15 || fraction)) {
        if (dtype === 'uint64' && value < 0) bad(i, latin1(bytes, start, pos), want(dtype, range));
        const high = Math.floor(value / TWO32);
        words[2 * i] = value - high * TWO32;
        words[2 * i + 1] = high >>> 0;
      } else {
        // Beyond 2^53: the digits, exactly, as a bigint.
        const text = latin1(bytes, start, pos);
        if (fraction) bad(i, text, want(dtype, range));
        const big = BigInt(text);
        const [min, max] = dtype === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
        if (big < min || big > max) bad(i, text, want(dtype, range));
        (out as BigInt64Array | BigUint64Array)[i] = big;
      }
      i++;
    } else {
      bad(i, latin1(bytes, start, pos), 'a string');
    }
  }
  if (i !== count) throw new InprocError(code, `${where}: shape [${shape.join(', ')}] holds ${count} elements, but "data" has ${i}`);
  try {
    return new Tensor(dtype, (strings ?? out) as never, shape);
  } catch (error) {
    if (InprocError.is(error)) throw new InprocError(code, `${where}: ${error.message.replace(/^tensor: /, '')}`, { cause: error });
    throw error;
  }
}

function isSpaceRunAfterOpen(bytes: Uint8Array, start: number, pos: number): boolean {
  let k = pos - 1;
  while (k > start && isSpace(bytes[k]!)) k--;
  return bytes[k] === OPEN_ARRAY;
}

function want(dtype: DType, range: readonly [number, number] | undefined): string {
  if (dtype === 'bool') return 'a boolean or 0/1';
  if (dtype === 'string') return 'a string';
  if (dtype === 'int64' || dtype === 'uint64') return `an integer in the ${dtype} range`;
  return range === undefined ? 'a number' : `an integer in [${range[0]}, ${range[1]}]`;
}

/** ASCII text of a few bytes (a number's digits), for messages and the exact parser. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, start + 400)));
}

/** Runs steps to the end at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}

/** Runs steps, giving the event loop a turn whenever `sliceMs` passed since the last. */
export async function runStepsAsync<T>(steps: Steps<T>, sliceMs: number): Promise<T> {
  let since = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
    if (performance.now() - since >= sliceMs) {
      await turn();
      since = performance.now();
    }
  }
}

/** A macrotask turn: setImmediate where there is one (Node), else a zero timeout. */
function turn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate === undefined ? setTimeout(resolve, 0) : immediate(resolve)));
}
