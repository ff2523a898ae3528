/**
 * Model metadata (`GET v2/models/{name}`) to an Inproc `Signature`, and the model's
 * platform to a format. Variable dimensions (`-1`) become `null` (dynamic, unnamed),
 * unless the server names them: `inproc serve` adds each tensor's declared dimensions
 * as the `inproc_dims` parameter, so symbolic names such as `batch` survive the trip.
 * @module
 */
import { type Dim, InprocError, type ModelFormat, type Signature, type TensorInfo } from '@inproc/core';
import { dtypeOf } from './datatype.js';
import type { ModelMetadata, TensorMetadata } from './protocol.js';

/** Platforms whose models are in an Inproc format (Triton's names, and those `inproc serve` reports). */
const FORMATS: Readonly<Record<string, ModelFormat>> = {
  onnxruntime_onnx: 'onnx',
  onnx: 'onnx',
  tensorflowjs_graph: 'tfjs-graph',
  tensorflowjs_layers: 'tfjs-layers',
};

/** The format of a platform, or undefined for one Inproc does not load itself (TensorRT, PyTorch, ...). */
export function formatOf(platform: string): ModelFormat | undefined {
  return Object.hasOwn(FORMATS, platform) ? FORMATS[platform] : undefined;
}

/** The parameter `inproc serve` adds to tensor metadata: the declared dimensions as JSON text. */
export const DIMS_PARAMETER = 'inproc_dims';

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
