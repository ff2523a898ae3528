/**
 * Triton's `config.pbtxt` (a `ModelConfig` message of Triton's model_config.proto in
 * protobuf text format) for an ONNX model of an Inproc repository: platform, inputs
 * and outputs with data types and dims, `max_batch_size` and `dynamic_batching` from
 * the manifest's batching, an instance group, the version policy.
 * @module
 */
import type { BatchingSpec, DType, Signature, TensorInfo } from 'inproc';

/** Triton's `DataType` enum value of each dtype. */
const DATA_TYPES: Readonly<Record<DType, string>> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  string: 'TYPE_STRING',
};

/** `ModelInstanceGroup.Kind` values this export writes. */
export type InstanceKind = 'KIND_AUTO' | 'KIND_CPU' | 'KIND_GPU';
export const INSTANCE_KINDS: readonly InstanceKind[] = ['KIND_AUTO', 'KIND_CPU', 'KIND_GPU'];

/** What a model's config is made from. */
export interface TritonModel {
  readonly name: string;
  readonly signature: Signature;
  /** The manifest's batching; dimension 0 becomes Triton's implicit batch dimension when every input and output has a variable one there. */
  readonly batching: BatchingSpec | false | undefined;
  readonly instances: number;
  readonly kind: InstanceKind;
  /** The version numbers exported; with more than one, all of them are served. */
  readonly versions: readonly number[];
  /** The model file's name in each version directory, when it is not `model.onnx`. */
  readonly modelFile?: string | undefined;
}

/** The config and what it decided. */
export interface TritonConfig {
  readonly text: string;
  readonly maxBatchSize: number;
  /** Why batching was left off although the manifest asks for it, if it was. */
  readonly note: string | undefined;
}

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

/** Whether dimension 0 of every input and output is variable (symbolic or dynamic), i.e. a batch dimension. */
function batchable(signature: Signature, declared: boolean): string | undefined {
  for (const info of [...signature.inputs, ...signature.outputs]) {
    if (info.unknownRank === true) return `"${info.name}" has no declared rank`;
    if (info.shape.length === 0) return `"${info.name}" is a scalar`;
    if (!declared && typeof info.shape[0] === 'number') return `"${info.name}" has a fixed first dimension ${info.shape[0]}`;
  }
  return undefined;
}

function tensor(info: TensorInfo, batched: boolean): string[] {
  const dims = (batched ? info.shape.slice(1) : info.shape).map((d) => (typeof d === 'number' ? d : -1));
  const lines = [`    name: ${quote(info.name)}`, `    data_type: ${DATA_TYPES[info.dtype]}`];
  if (info.unknownRank === true) lines.push('    dims: [ -1 ]');
  else if (dims.length === 0) lines.push('    dims: [ 1 ]', '    reshape: { shape: [ ] }'); // Triton's way to carry a scalar
  else lines.push(`    dims: [ ${dims.join(', ')} ]`);
  return ['  {', ...lines, '  }'];
}

/** The `config.pbtxt` text of one model. */
export function tritonConfig(model: TritonModel): TritonConfig {
  let maxBatchSize = 0;
  let note: string | undefined;
  if (model.batching !== undefined && model.batching !== false) {
    const problem = batchable(model.signature, model.batching.declared === true);
    if (problem === undefined) maxBatchSize = model.batching.maxBatchSize;
    else note = `batching left off: ${problem}`;
  }
  const batched = maxBatchSize > 0;
  const list = (key: string, infos: readonly TensorInfo[]): string[] => [`${key} [`, ...infos.flatMap((info, i) => [...tensor(info, batched).slice(0, -1), i === infos.length - 1 ? '  }' : '  },']), ']'];
  const lines = [
    `# Written by \`inproc export triton\` from the Inproc repository; regenerate it when the model changes.`,
    `name: ${quote(model.name)}`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${maxBatchSize}`,
  ];
  if (model.versions.length > 1) lines.push('version_policy: { all { } }');
  if (model.modelFile !== undefined && model.modelFile !== 'model.onnx') lines.push(`default_model_filename: ${quote(model.modelFile)}`);
  lines.push(...list('input', model.signature.inputs), ...list('output', model.signature.outputs));
  if (batched && model.batching !== undefined && model.batching !== false) {
    const { preferredSizes, maxDelayMs } = model.batching;
    lines.push('dynamic_batching {');
    if (preferredSizes !== undefined && preferredSizes.length > 0) lines.push(`  preferred_batch_size: [ ${preferredSizes.join(', ')} ]`);
    lines.push(`  max_queue_delay_microseconds: ${Math.round(maxDelayMs * 1000)}`, '}');
  }
  lines.push('instance_group [', '  {', `    count: ${model.instances}`, `    kind: ${model.kind}`, '  }', ']');
  return { text: `${lines.join('\n')}\n`, maxBatchSize, note };
}
