/**
 * Model metadata (`GET v2/models/{name}[/versions/{version}]`) both ways: built from
 * what a repository knows of a model (its neutral description: versions, format,
 * signature, manifest metadata), and read back into an Inproc `Signature`.
 *
 * The protocol marks a variable dimension `-1`; Inproc's symbolic names (`batch`) would
 * be lost, so the server adds each named tensor's declared dimensions as the
 * `inproc_dims` parameter (JSON text), which the client reads back when it agrees with
 * the shape.
 * @module
 */
import { type Dim, InprocError, type ModelFormat, type Signature, type TensorInfo } from '@inproc/core';
import { type Datatype, datatypeOf, dtypeOf } from './datatypes.js';
import { platformOf } from './platforms.js';

/** Protocol parameters: name to string, number or boolean. */
export type Parameters = Readonly<Record<string, string | number | boolean>>;

/** A tensor in model metadata, as any server sends it: `-1` marks a variable-size dimension. */
export interface TensorMetadata {
  readonly name: string;
  /** `FP32`, `INT64`, `BYTES`, ... (a server may send one Inproc has no dtype for, such as `BF16`). */
  readonly datatype: string;
  readonly shape: readonly number[];
  /** `inproc serve` adds `inproc_dims`: the declared dimensions with symbolic names, as JSON text (e.g. `["batch",256]`). */
  readonly parameters?: Parameters;
}

/** `GET v2/models/{name}[/versions/{version}]`, as any server sends it (`versions` is optional in the protocol). */
export interface ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  /** `onnxruntime_onnx`, `tensorflowjs_graph`, ... (see `platformOf`). */
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** What a server knows of one model version, in no wire format (core's `Repository.metadata()` gives it, a `ModelDescription`). */
export interface ModelFacts {
  readonly name: string;
  /** Served versions, ascending. */
  readonly versions: readonly number[];
  readonly format: ModelFormat;
  readonly signature: Signature;
  /** The manifest's description. */
  readonly description?: string | undefined;
  /** The manifest's free-form metadata. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** The parameter `inproc serve` adds to tensor metadata: the declared dimensions as JSON text. */
export const DIMS_PARAMETER = 'inproc_dims';

/**
 * A signature entry as tensor metadata: symbolic and dynamic dimensions become -1 (with
 * the names kept in `inproc_dims`); an unknown rank becomes `[-1]`, the usual stand-in,
 * since the protocol cannot say "rank unknown".
 */
export function tensorMetadata(info: TensorInfo): TensorMetadata & { readonly datatype: Datatype } {
  const shape = info.unknownRank === true ? [-1] : info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  const named = info.unknownRank !== true && info.shape.some((d) => typeof d === 'string');
  return { name: info.name, datatype: datatypeOf(info.dtype), shape, ...(named ? { parameters: { [DIMS_PARAMETER]: JSON.stringify(info.shape) } } : {}) };
}

/** The metadata response of one model: versions as strings, the platform of its format, manifest description and metadata as `parameters`. */
export function modelMetadata(facts: ModelFacts): ModelMetadata {
  const parameters = { ...(facts.description === undefined ? {} : { description: facts.description }), ...facts.metadata };
  return {
    name: facts.name,
    versions: facts.versions.map(String),
    platform: platformOf(facts.format),
    inputs: facts.signature.inputs.map(tensorMetadata),
    outputs: facts.signature.outputs.map(tensorMetadata),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
  };
}

/**
 * Checks a metadata response and turns it into a signature.
 * @throws InprocError `MODEL_INVALID` when the response is not model metadata or uses a datatype Inproc has no dtype for
 */
export function signatureOf(metadata: unknown, where: string): { metadata: ModelMetadata; signature: Signature } {
  const fail = (what: string): never => {
    throw new InprocError('MODEL_INVALID', `${where}: the model metadata ${what}`);
  };
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return fail('is not a JSON object');
  const m = metadata as Record<string, unknown>;
  if (typeof m['name'] !== 'string') fail('has no "name"');
  if (m['platform'] !== undefined && typeof m['platform'] !== 'string') fail('has a "platform" that is not a string');
  if (m['versions'] !== undefined && !(Array.isArray(m['versions']) && m['versions'].every((v) => typeof v === 'string'))) fail('has "versions" that are not strings');
  const tensors = (key: 'inputs' | 'outputs'): TensorInfo[] => {
    const list = m[key];
    if (!Array.isArray(list)) return fail(`has no "${key}" array`);
    return list.map((value: unknown, i) => tensorInfo(value, `${key}[${i}]`, fail));
  };
  const signature = { inputs: tensors('inputs'), outputs: tensors('outputs') };
  return { metadata: { ...(m as unknown as ModelMetadata), platform: (m['platform'] as string | undefined) ?? '' }, signature };
}

function tensorInfo(value: unknown, where: string, fail: (what: string) => never): TensorInfo {
  if (typeof value !== 'object' || value === null) return fail(`${where} is not an object`);
  const t = value as Partial<TensorMetadata> & Record<string, unknown>;
  if (typeof t.name !== 'string' || t.name === '') return fail(`${where} has no name`);
  const dtype = dtypeOf(t.datatype);
  if (dtype === undefined) return fail(`${where} ("${t.name}") has datatype ${JSON.stringify(t.datatype)}, which Inproc has no dtype for`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= -1)) return fail(`${where} ("${t.name}") has shape ${JSON.stringify(t.shape)}, not integers >= -1`);
  const declared = t.shape as number[];
  const shape: Dim[] = declared.map((d) => (d === -1 ? null : d));
  const named = namedDims(t.parameters?.[DIMS_PARAMETER], declared);
  return { name: t.name, dtype, shape: named ?? shape };
}

/** The server's named dimensions when they agree with the shape (same rank, same fixed sizes), else undefined. */
function namedDims(text: unknown, shape: readonly number[]): Dim[] | undefined {
  if (typeof text !== 'string') return undefined;
  let dims: unknown;
  try {
    dims = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(dims) || dims.length !== shape.length) return undefined;
  const agree = dims.every((d, i) => (shape[i] === -1 ? d === null || (typeof d === 'string' && d !== '') : d === shape[i]));
  return agree ? (dims as Dim[]) : undefined;
}
