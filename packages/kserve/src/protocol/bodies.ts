/**
 * The Open Inference Protocol's REST bodies (`/v2/models/{name}/infer` and metadata), in
 * both directions, for the client (this package's backend) and the server
 * (`@inproc/server`): one implementation of the JSON objects and of the binary tensor
 * data extension, where the JSON header is followed by each binary tensor's bytes in
 * order and `Inference-Header-Content-Length` gives the header's length.
 * @module
 */
import { type DType, type Dim, type ErrorCode, InprocError, type Tensor, bytesPerElement } from '@inproc/core';
import { datatypeOf, dtypeOf } from './datatypes.js';
import { type Scanned, type Span, type Steps, runSteps, runStepsAsync, scanBody, tensorFromSpan } from './json-body.js';
import type { Parameters } from './metadata.js';
import { elementCount, jsonCanCarry, tensorBytes, tensorFromBytes, tensorJson } from './tensor-codec.js';

/** The header that gives the length of the JSON part of a body with binary tensors (lower case, as Node and fetch report it). */
export const HEADER_LENGTH = 'inference-header-content-length';

/** `GET v2`: the server's name, version and the protocol extensions it serves. */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/**
 * Bodies smaller than this are best sent as one buffer (one write, one packet: {@link EncodedBody.body});
 * larger ones part by part ({@link EncodedBody.parts}), so that tensor bytes are not copied.
 */
export const JOIN_BELOW = 64 * 1024;

/**
 * Where a received body of `size` bytes goes in a buffer of its own: the bytes to leave
 * free before it so that its binary part (after `headerLength` bytes of JSON, the
 * `Inference-Header-Content-Length` value) starts at a multiple of 8, where typed arrays
 * of every element size view the tensors without a copy. 0 without a usable header length.
 */
export function alignmentPad(headerLength: string | readonly string[] | null | undefined, size: number): number {
  const text = typeof headerLength === 'string' ? headerLength : headerLength?.[0];
  if (text === undefined || !/^\d+$/.test(text)) return 0;
  const json = Number(text);
  return json > 0 && json <= size ? (8 - (json % 8)) % 8 : 0;
}

/**
 * A request or response body, and the headers that describe it. `parts` are the JSON
 * header and each binary tensor's bytes, which are views of the tensors' own storage
 * (on little-endian platforms): write them one after the other (`writev`) to send the
 * body without copying tensor bytes. `body` joins them (one copy, made when read).
 */
export interface EncodedBody {
  /** The body in parts: the JSON header's pieces, then views of each binary tensor's bytes. */
  readonly parts: readonly Uint8Array[];
  readonly byteLength: number;
  readonly body: Uint8Array<ArrayBuffer>;
  /** `content-type`, and `inference-header-content-length` when binary tensors follow the JSON. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One requested output and whether it should come back in binary. */
export interface RequestedOutput {
  readonly name: string;
  /** `binary_data`; undefined leaves it to the request's `binary_data_output`. */
  readonly binary?: boolean | undefined;
}

/** An inference request as the server reads it. */
export interface DecodedInferRequest {
  readonly id: string | undefined;
  readonly parameters: Parameters;
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** Undefined when the request names no outputs (all outputs, with default settings). */
  readonly outputs: readonly RequestedOutput[] | undefined;
  /** `binary_data_output` (and true for a raw binary request). */
  readonly binaryOutput: boolean;
}

/** An inference response as the client reads it. */
export interface DecodedInferResponse {
  readonly modelName: string;
  readonly modelVersion: string | undefined;
  readonly id: string | undefined;
  readonly outputs: Record<string, Tensor>;
}

/** What a raw binary request (header length 0, body = one tensor's bytes) is decoded against: the model's only input. */
export interface RawInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** A tensor to encode, by name, and whether it goes binary (it does anyway when JSON cannot carry it). */
export interface OutgoingTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly binary: boolean;
}

const encoder = new TextEncoder();

// ---- encoding ---------------------------------------------------------------------------

/**
 * The client's request body. Inputs go binary when `binary` is set, and always when JSON
 * cannot carry them (FP16, NaN or infinity).
 */
export function encodeInferRequest(init: {
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly outputs: readonly RequestedOutput[];
  readonly binary: boolean;
  readonly id?: string | undefined;
  readonly parameters?: Parameters | undefined;
}): EncodedBody {
  const inputs = Object.entries(init.inputs).map(([name, tensor]) => ({ name, tensor, binary: init.binary || !jsonCanCarry(tensor) }));
  const head: Record<string, unknown> = {};
  if (init.id !== undefined) head['id'] = init.id;
  const parameters = { ...init.parameters, ...(init.binary ? { binary_data_output: true } : {}) };
  if (Object.keys(parameters).length > 0) head['parameters'] = parameters;
  const outputs = init.outputs.map((o) => (o.binary === undefined || o.binary === init.binary ? { name: o.name } : { name: o.name, parameters: { binary_data: o.binary } }));
  return frame(head, 'inputs', inputs, { outputs });
}

/** The server's response body. Outputs go binary when asked, and always when JSON cannot carry them. */
export function encodeInferResponse(init: { readonly modelName: string; readonly modelVersion?: string | undefined; readonly id?: string | undefined; readonly outputs: readonly OutgoingTensor[] }): EncodedBody {
  const head: Record<string, unknown> = { model_name: init.modelName };
  if (init.modelVersion !== undefined) head['model_version'] = init.modelVersion;
  if (init.id !== undefined) head['id'] = init.id;
  return frame(
    head,
    'outputs',
    init.outputs.map((o) => ({ ...o, binary: o.binary || !jsonCanCarry(o.tensor) })),
  );
}

/**
 * JSON header text (tensor data written by hand, so 64-bit integers keep every digit),
 * then the binary tensors.
 */
function frame(head: Record<string, unknown>, key: 'inputs' | 'outputs', tensors: readonly OutgoingTensor[], tail: Record<string, unknown> = {}): EncodedBody {
  const chunks: Uint8Array[] = [];
  // The JSON header as pieces of bytes: text, and each JSON tensor's data array as the bytes it was written into.
  const pieces: Uint8Array<ArrayBuffer>[] = [];
  let text = JSON.stringify(head).slice(0, -1);
  text += `${text.length > 1 ? ',' : ''}"${key}":[`;
  tensors.forEach(({ name, tensor, binary }, i) => {
    const meta = { name, datatype: datatypeOf(tensor.dtype), shape: tensor.shape };
    if (i > 0) text += ',';
    if (binary) {
      const bytes = tensorBytes(tensor);
      chunks.push(bytes);
      text += JSON.stringify({ ...meta, parameters: { binary_data_size: bytes.byteLength } });
      return;
    }
    pieces.push(encoder.encode(`${text}${JSON.stringify(meta).slice(0, -1)},"data":`), tensorJson(tensor));
    text = '}';
  });
  text += `]${Object.keys(tail).length === 0 ? '' : `,${JSON.stringify(tail).slice(1, -1)}`}}`;
  pieces.push(encoder.encode(text));
  if (chunks.length === 0) {
    if (pieces.length === 1) return { parts: pieces, byteLength: pieces[0]!.byteLength, body: pieces[0]!, headers: { 'content-type': 'application/json' } };
    return joined(pieces, { 'content-type': 'application/json' });
  }
  const headerLength = pieces.reduce((n, p) => n + p.byteLength, 0);
  return joined([...pieces, ...chunks], { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(headerLength) });
}

/** An encoded body of parts whose `body` is joined once, when first read. */
function joined(parts: readonly Uint8Array[], headers: Readonly<Record<string, string>>): EncodedBody {
  const byteLength = parts.reduce((n, p) => n + p.byteLength, 0);
  let body: Uint8Array<ArrayBuffer> | undefined;
  return {
    parts,
    byteLength,
    headers,
    get body() {
      if (body === undefined) {
        body = new Uint8Array(byteLength);
        let offset = 0;
        for (const part of parts) {
          body.set(part, offset);
          offset += part.byteLength;
        }
      }
      return body;
    },
  };
}

// ---- decoding ---------------------------------------------------------------------------

/**
 * Reads an inference request (server side). A header length of 0 is Triton's raw binary
 * request: the body is the bytes of the model's only input, whose one variable
 * dimension is deduced from the size; every output then comes back binary. JSON tensor
 * data is read straight into typed arrays; nesting deeper than 64 levels is refused.
 * This runs to the end at once: for large JSON bodies a server should prefer
 * {@link decodeInferRequestAsync}, which lets its event loop run meanwhile.
 * @throws InprocError `INPUT_INVALID` saying what is wrong with the body
 */
export function decodeInferRequest(body: Uint8Array, headerLength: string | null | undefined, raw?: () => RawInput): DecodedInferRequest {
  return runSteps(requestSteps(body, headerLength, raw));
}

/**
 * {@link decodeInferRequest} in slices: it gives the event loop a turn whenever `sliceMs`
 * [5] passed, so that a server decoding a 64 MiB JSON body still answers its health
 * probes. Small and binary bodies decode in one slice, with no extra turn.
 * @throws InprocError `INPUT_INVALID` saying what is wrong with the body
 */
export function decodeInferRequestAsync(body: Uint8Array, headerLength: string | null | undefined, raw?: () => RawInput, options: { readonly sliceMs?: number } = {}): Promise<DecodedInferRequest> {
  return runStepsAsync(requestSteps(body, headerLength, raw), options.sliceMs ?? 5);
}

function* requestSteps(body: Uint8Array, headerLength: string | null | undefined, raw: (() => RawInput) | undefined): Steps<DecodedInferRequest> {
  const code = 'INPUT_INVALID';
  if (headerLength?.trim() === '0') {
    if (raw === undefined) throw new InprocError(code, 'a raw binary request (Inference-Header-Content-Length: 0) needs a model with one input');
    const input = raw();
    return { id: undefined, parameters: {}, inputs: { [input.name]: rawTensor(input, body) }, outputs: undefined, binaryOutput: true };
  }
  const { json, spans, binary } = yield* split(body, headerLength, 'the request', code);
  const request = object(json, 'the request', code);
  const id = optionalString(request['id'], 'the request\'s "id"', code);
  const parameters = params(request['parameters'], 'the request\'s "parameters"', code);
  if (!Array.isArray(request['inputs'])) throw new InprocError(code, `the request must have an "inputs" array, got ${kind(request['inputs'])}`);
  const inputs = yield* decodeTensors(request['inputs'] as unknown[], body, spans.inputs, binary, 'input', code);
  let outputs: RequestedOutput[] | undefined;
  if (request['outputs'] !== undefined) {
    if (!Array.isArray(request['outputs'])) throw new InprocError(code, `the request's "outputs" must be an array, got ${kind(request['outputs'])}`);
    const seen = new Set<string>();
    outputs = (request['outputs'] as unknown[]).map((value, i) => {
      const output = object(value, `outputs[${i}]`, code);
      const name = requiredString(output['name'], `outputs[${i}].name`, code);
      if (seen.has(name)) throw new InprocError(code, `output "${name}" is requested twice`);
      seen.add(name);
      const p = params(output['parameters'], `output "${name}" parameters`, code);
      const flag = p['binary_data'];
      if (flag !== undefined && typeof flag !== 'boolean') throw new InprocError(code, `output "${name}": parameter binary_data must be a boolean, got ${kind(flag)}`);
      return { name, binary: flag };
    });
  }
  const all = parameters['binary_data_output'];
  if (all !== undefined && typeof all !== 'boolean') throw new InprocError(code, `parameter binary_data_output must be a boolean, got ${kind(all)}`);
  return { id, parameters, inputs, outputs, binaryOutput: all === true };
}

/**
 * Reads an inference response (client side).
 * @throws InprocError `RUN_FAILED` when the server's response is not a valid one
 */
export function decodeInferResponse(body: Uint8Array, headerLength: string | null | undefined): DecodedInferResponse {
  return runSteps(responseSteps(body, headerLength));
}

/** {@link decodeInferResponse} in slices of at most `sliceMs` [5] of work. */
export function decodeInferResponseAsync(body: Uint8Array, headerLength: string | null | undefined, options: { readonly sliceMs?: number } = {}): Promise<DecodedInferResponse> {
  return runStepsAsync(responseSteps(body, headerLength), options.sliceMs ?? 5);
}

function* responseSteps(body: Uint8Array, headerLength: string | null | undefined): Steps<DecodedInferResponse> {
  const code = 'RUN_FAILED';
  const { json, spans, binary } = yield* split(body, headerLength, "the server's response", code);
  const response = object(json, "the server's response", code);
  if (!Array.isArray(response['outputs'])) throw new InprocError(code, `the server's response has no "outputs" array (got ${kind(response['outputs'])})`);
  return {
    modelName: optionalString(response['model_name'], '"model_name"', code) ?? '',
    modelVersion: optionalString(response['model_version'], '"model_version"', code),
    id: optionalString(response['id'], '"id"', code),
    outputs: yield* decodeTensors(response['outputs'] as unknown[], body, spans.outputs, binary, "the server's output", code),
  };
}

/** Tensors of an `inputs` or `outputs` list, JSON `data` (at `spans` in `body`) or binary, checked against their shapes and the binary part's size. */
function* decodeTensors(list: readonly unknown[], body: Uint8Array, spans: ReadonlyMap<number, Span>, binary: Uint8Array, what: string, code: ErrorCode): Steps<Record<string, Tensor>> {
  const tensors: Record<string, Tensor> = {};
  let offset = 0;
  for (let i = 0; i < list.length; i++) {
    const entry = object(list[i], `${what} ${i}`, code);
    const name = requiredString(entry['name'], `${what} ${i} "name"`, code);
    const where = `${what} "${name}"`;
    if (Object.hasOwn(tensors, name)) throw new InprocError(code, `${where} is given twice`);
    const dtype = dtypeOf(entry['datatype']);
    if (dtype === undefined) throw new InprocError(code, `${where}: unsupported datatype ${JSON.stringify(entry['datatype'])}; Inproc carries BOOL, UINT8-64, INT8-64, FP16, FP32, FP64 and BYTES`);
    const shape = shapeOf(entry['shape'], where, code);
    const p = params(entry['parameters'], `${where} parameters`, code);
    const size = p['binary_data_size'];
    const span = spans.get(i);
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new InprocError(code, `${where}: binary_data_size must be a non-negative integer, got ${kind(size)}`);
      if (entry['data'] !== undefined) throw new InprocError(code, `${where} has both "data" and binary_data_size`);
      if (offset + size > binary.byteLength) throw new InprocError(code, `${where}: binary_data_size ${size} runs past the end of the body (${binary.byteLength - offset} binary bytes left)`);
      tensors[name] = tensorFromBytes(dtype, shape, binary.subarray(offset, offset + size), where, code);
      offset += size;
    } else if (span !== undefined) {
      tensors[name] = yield* tensorFromSpan(body, span, dtype, shape, elementCount(shape), where, code);
    } else {
      if (entry['data'] === undefined) throw new InprocError(code, `${where} has neither "data" nor a binary_data_size parameter`);
      throw new InprocError(code, `${where}: "data" must be an array, got ${kind(entry['data'])}`);
    }
  }
  if (offset !== binary.byteLength) throw new InprocError(code, `${binary.byteLength - offset} bytes after the JSON header belong to no tensor (binary_data_size values add up to ${offset}, the body has ${binary.byteLength})`);
  return tensors;
}

/** The body's JSON header (tensor data arrays set aside as spans) and the binary part after it. */
function* split(body: Uint8Array, headerLength: string | null | undefined, what: string, code: ErrorCode): Steps<Scanned & { binary: Uint8Array }> {
  let length = body.byteLength;
  if (headerLength !== null && headerLength !== undefined) {
    const text = headerLength.trim();
    if (!/^\d+$/.test(text) || Number(text) > body.byteLength) {
      throw new InprocError(code, `${what}: Inference-Header-Content-Length must be a byte count no larger than the body (${body.byteLength} bytes), got ${JSON.stringify(headerLength)}`);
    }
    length = Number(text);
  }
  const scanned = yield* scanBody(body, length, what, code);
  return { ...scanned, binary: body.subarray(length) };
}

function rawTensor(input: RawInput, body: Uint8Array): Tensor {
  const code = 'INPUT_INVALID';
  const where = `raw binary input "${input.name}"`;
  if (input.dtype === 'string') {
    if (input.shape.length !== 1 || (typeof input.shape[0] === 'number' && input.shape[0] !== 1)) throw new InprocError(code, `${where}: a raw BYTES input must have shape [1]`);
    return tensorFromBytes('string', [1], body, where, code);
  }
  const dynamic = input.shape.filter((d) => typeof d !== 'number');
  if (dynamic.length > 1) throw new InprocError(code, `${where}: the input has ${dynamic.length} variable dimensions; a raw binary request needs at most one (send a JSON header instead)`);
  const fixed = elementCount(input.shape.filter((d): d is number => typeof d === 'number'));
  const count = body.byteLength / bytesPerElement(input.dtype);
  const rest = fixed === 0 ? 0 : count / fixed;
  if (!Number.isInteger(rest) || (dynamic.length === 0 && rest !== 1)) {
    throw new InprocError(code, `${where}: ${body.byteLength} bytes do not make a ${input.dtype} tensor of shape [${input.shape.map((d) => d ?? '?').join(', ')}]`);
  }
  return tensorFromBytes(input.dtype, input.shape.map((d) => (typeof d === 'number' ? d : rest)), body, where, code);
}

// ---- checks -------------------------------------------------------------------------------

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value.toString()}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

function object(value: unknown, what: string, code: ErrorCode): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InprocError(code, `${what} must be a JSON object, got ${kind(value)}`);
  return value as Record<string, unknown>;
}

function requiredString(value: unknown, what: string, code: ErrorCode): string {
  if (typeof value !== 'string' || value === '') throw new InprocError(code, `${what} must be a non-empty string, got ${kind(value)}`);
  return value;
}

function optionalString(value: unknown, what: string, code: ErrorCode): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InprocError(code, `${what} must be a string, got ${kind(value)}`);
  return value;
}

function params(value: unknown, what: string, code: ErrorCode): Parameters {
  if (value === undefined) return {};
  const p = object(value, what, code);
  for (const [key, v] of Object.entries(p)) {
    if (typeof v === 'bigint') p[key] = Number(v);
    else if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new InprocError(code, `${what}: parameter "${key}" must be a string, number or boolean, got ${kind(v)}`);
  }
  return p as Parameters;
}

/** A concrete shape: non-negative safe integers. */
export function shapeOf(value: unknown, where: string, code: ErrorCode): number[] {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new InprocError(code, `${where}: "shape" must be an array of non-negative integers, got ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  if (!Number.isSafeInteger(elementCount(value as number[]))) throw new InprocError(code, `${where}: shape [${(value as number[]).join(', ')}] has too many elements`);
  return value as number[];
}
