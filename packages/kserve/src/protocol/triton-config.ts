/**
 * Triton's model configuration (a `ModelConfig` message of Triton's model_config.proto)
 * for a model of an Inproc repository: platform, inputs and outputs with data types and
 * dims, `max_batch_size` and `dynamic_batching` from the manifest's batching, an
 * instance group, the version policy. One object, two renderings: the JSON that Triton's
 * model configuration extension answers (`GET v2/models/{name}/config`, field names as
 * in the .proto, numbers as numbers) and the protobuf text format of `config.pbtxt`
 * that `inproc export triton` writes.
 * @module
 */
import type { BatchingSpec, ModelFormat, Signature, TensorInfo } from '@inproc/core';
import { type TritonDataType, tritonDataTypeOf } from './datatypes.js';
import { platformOf } from './platforms.js';

/** `ModelInstanceGroup.Kind` values this configuration writes. */
export type InstanceKind = 'KIND_AUTO' | 'KIND_CPU' | 'KIND_GPU';
export const INSTANCE_KINDS: readonly InstanceKind[] = ['KIND_AUTO', 'KIND_CPU', 'KIND_GPU'];

/** What a model's config is made from. */
export interface TritonModel {
  readonly name: string;
  /** The model's format [onnx]; it gives the platform. */
  readonly format?: ModelFormat | undefined;
  readonly signature: Signature;
  /** The manifest's batching; dimension 0 becomes Triton's implicit batch dimension when every input and output has a variable one there. */
  readonly batching: BatchingSpec | false | undefined;
  readonly instances: number;
  readonly kind: InstanceKind;
  /** The version numbers served; with more than one, all of them are. */
  readonly versions: readonly number[];
  /** The model file's name in each version directory, when it is not `model.onnx`. */
  readonly modelFile?: string | undefined;
}

/** `ModelInput` / `ModelOutput` (the fields written here). */
export interface TritonTensorConfig {
  readonly name: string;
  readonly data_type: TritonDataType;
  readonly dims: readonly number[];
  /** A scalar travels as dims [1] reshaped to [] (Triton's way). */
  readonly reshape?: { readonly shape: readonly number[] };
}

/** `ModelConfig` (the fields written here), as the model configuration extension answers it. */
export interface TritonModelConfig {
  readonly name: string;
  readonly platform: string;
  readonly max_batch_size: number;
  readonly version_policy?: { readonly all: Record<string, never> };
  readonly default_model_filename?: string;
  readonly input: readonly TritonTensorConfig[];
  readonly output: readonly TritonTensorConfig[];
  readonly dynamic_batching?: { readonly preferred_batch_size?: readonly number[]; readonly max_queue_delay_microseconds: number };
  readonly instance_group: readonly { readonly count: number; readonly kind: InstanceKind }[];
}

/** The config and what it decided. */
export interface TritonConfig {
  /** The JSON form (`GET v2/models/{name}/config`). */
  readonly config: TritonModelConfig;
  /** The `config.pbtxt` text. */
  readonly text: string;
  readonly maxBatchSize: number;
  /** Why batching was left off although the manifest asks for it, if it was. */
  readonly note: string | undefined;
}

/** Whether dimension 0 of every input and output is variable (symbolic or dynamic), i.e. a batch dimension. */
function batchable(signature: Signature, declared: boolean): string | undefined {
  for (const info of [...signature.inputs, ...signature.outputs]) {
    if (info.unknownRank === true) return `"${info.name}" has no declared rank`;
    if (info.shape.length === 0) return `"${info.name}" is a scalar`;
    if (!declared && typeof info.shape[0] === 'number') return `"${info.name}" has a fixed first dimension ${info.shape[0]}`;
  }
  return undefined;
}

function tensor(info: TensorInfo, batched: boolean): TritonTensorConfig {
  const base = { name: info.name, data_type: tritonDataTypeOf(info.dtype) };
  if (info.unknownRank === true) return { ...base, dims: [-1] };
  const dims = (batched ? info.shape.slice(1) : info.shape).map((d) => (typeof d === 'number' ? d : -1));
  return dims.length === 0 ? { ...base, dims: [1], reshape: { shape: [] } } : { ...base, dims };
}

/** The configuration of one model, as JSON and as `config.pbtxt` text. */
export function tritonConfig(model: TritonModel): TritonConfig {
  let maxBatchSize = 0;
  let note: string | undefined;
  const batching = model.batching === false ? undefined : model.batching;
  if (batching !== undefined) {
    const problem = batchable(model.signature, batching.declared === true);
    if (problem === undefined) maxBatchSize = batching.maxBatchSize;
    else note = `batching left off: ${problem}`;
  }
  const batched = maxBatchSize > 0;
  const config: TritonModelConfig = {
    name: model.name,
    platform: platformOf(model.format ?? 'onnx'),
    max_batch_size: maxBatchSize,
    ...(model.versions.length > 1 ? { version_policy: { all: {} } } : {}),
    ...(model.modelFile !== undefined && model.modelFile !== 'model.onnx' ? { default_model_filename: model.modelFile } : {}),
    input: model.signature.inputs.map((info) => tensor(info, batched)),
    output: model.signature.outputs.map((info) => tensor(info, batched)),
    ...(batched && batching !== undefined
      ? {
          dynamic_batching: {
            ...(batching.preferredSizes !== undefined && batching.preferredSizes.length > 0 ? { preferred_batch_size: batching.preferredSizes } : {}),
            max_queue_delay_microseconds: Math.round(batching.maxDelayMs * 1000),
          },
        }
      : {}),
    instance_group: [{ count: model.instances, kind: model.kind }],
  };
  const text = ['# Written by `inproc export triton` from the Inproc repository; regenerate it when the model changes.', ...textFormat(config, '')].join('\n');
  return { config, text: `${text}\n`, maxBatchSize, note };
}

// ---- protobuf text format ---------------------------------------------------------------

/** Fields whose string values are enum names (written bare). */
const ENUMS = new Set(['data_type', 'kind']);

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A protobuf text-format string literal: quotes, backslashes and control characters escaped (octal). */
function quote(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    out += ESCAPES[c] ?? (code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, '0')}` : c);
  }
  return `"${out}"`;
}

function scalar(key: string, value: unknown): string {
  return typeof value === 'string' ? (ENUMS.has(key) ? value : quote(value)) : String(value);
}

/** A message of at most one field that is itself empty or a list of scalars: written on one line (`reshape: { shape: [ ] }`). */
function inline(key: string, value: Record<string, unknown>): string {
  const parts = Object.entries(value).map(([k, v]) => (Array.isArray(v) ? `${k}: [ ${v.map((x) => scalar(k, x)).join(', ')}${v.length > 0 ? ' ' : ''}]` : `${k} { }`));
  return `${key}: { ${parts.join(' ')} }`;
}

function isInline(value: Record<string, unknown>): boolean {
  const entries = Object.entries(value);
  return entries.length === 1 && entries.every(([, v]) => (Array.isArray(v) && v.every((x) => typeof x !== 'object')) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0));
}

/** The lines of a message's fields, in the object's order, each indented by `indent`. */
function textFormat(message: object, indent: string): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(message)) {
    if (Array.isArray(value)) {
      if (value.length > 0 && typeof value[0] === 'object') {
        lines.push(`${indent}${key} [`);
        value.forEach((item: object, i) => lines.push(`${indent}  {`, ...textFormat(item, `${indent}    `), `${indent}  }${i === value.length - 1 ? '' : ','}`));
        lines.push(`${indent}]`);
      } else {
        lines.push(`${indent}${key}: [ ${value.map((v) => scalar(key, v)).join(', ')}${value.length > 0 ? ' ' : ''}]`);
      }
    } else if (typeof value === 'object' && value !== null) {
      const fields = value as Record<string, unknown>;
      if (isInline(fields)) lines.push(`${indent}${inline(key, fields)}`);
      else lines.push(`${indent}${key} {`, ...textFormat(fields, `${indent}  `), `${indent}}`);
    } else if (value !== undefined) {
      lines.push(`${indent}${key}: ${scalar(key, value)}`);
    }
  }
  return lines;
}
