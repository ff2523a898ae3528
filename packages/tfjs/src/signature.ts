/**
 * Model signatures from TF.js models. Graph models: the graph's inputs and outputs as
 * TF.js reports them, completed from the `model.json` itself (its SignatureDef when it
 * has one, else the Placeholder and output nodes' attributes), because TF.js drops what
 * Inproc needs: names of symbolic dimensions and the dtypes of outputs. Layers models:
 * the model's input and output layers.
 * @module
 * @internal
 */
import { InprocError, type DType, type Dim, type Signature, type TensorInfo } from '@inproc/core';
import type * as Tf from '@tensorflow/tfjs';
import type { GraphNode, ModelJson } from './model-json.js';

/** A signature plus, per entry, the name TF.js wants in `execute()`. */
export interface BoundSignature {
  readonly signature: Signature;
  /** Signature input name -> graph node to feed (layers: input index). */
  readonly feedKeys: ReadonlyMap<string, string>;
  /** Signature output name -> name to ask `execute()` for (layers: output index). */
  readonly fetchKeys: ReadonlyMap<string, string>;
}

/** TensorFlow `DataType` enum names -> the TF.js dtype a graph model computes in (as the converter maps them). */
const TF_DTYPES: Readonly<Record<string, DType | undefined>> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float32',
  DT_DOUBLE: 'float32',
  DT_BFLOAT16: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT16: 'int32',
  DT_INT8: 'int32',
  DT_UINT8: 'int32',
  DT_UINT16: 'int32',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
};

/** The dtypes TF.js tensors can have that Inproc tensors can hold. */
export function coreDType(dtype: string | undefined): 'float32' | 'int32' | 'bool' | 'string' | undefined {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool' || dtype === 'string' ? dtype : undefined;
}

interface SigEntry {
  readonly name?: string;
  readonly dtype?: string;
  readonly tensorShape?: { readonly dim?: readonly { readonly size?: string | number; readonly name?: string }[]; readonly unknownRank?: boolean };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shape from a TensorShapeProto in JSON: `-1` is symbolic (named when the dim has a name). */
function protoShape(shape: SigEntry['tensorShape'] | undefined): { shape: Dim[]; unknownRank?: true } | undefined {
  if (!isObject(shape)) return undefined;
  if (shape.unknownRank === true) return { shape: [], unknownRank: true };
  const dims: unknown = shape.dim ?? [];
  if (!Array.isArray(dims)) return undefined;
  return {
    shape: (dims as unknown[]).map((d): Dim => {
      const dim = isObject(d) ? d : {};
      const size = Number(dim['size'] ?? -1);
      if (Number.isSafeInteger(size) && size >= 0) return size;
      return typeof dim['name'] === 'string' && dim['name'] !== '' ? dim['name'] : null;
    }),
  };
}

function attrType(attr: Record<string, unknown> | undefined, keys: readonly string[]): DType | undefined {
  for (const key of keys) {
    const value = attr?.[key];
    if (isObject(value) && typeof value['type'] === 'string') {
      const dtype = TF_DTYPES[value['type']];
      if (dtype !== undefined) return dtype;
    }
  }
  return undefined;
}

/** `name` unless the signature key says something else (`x:0` only restates node `x`). */
function publicName(node: string, key: string | undefined): string {
  if (key === undefined || key === node || key === `${node}:0`) return node;
  return key;
}

export function graphSignature(model: Tf.GraphModel, json: ModelJson, source: string): BoundSignature {
  const nodes = new Map<string, GraphNode>(((json.modelTopology['node'] ?? []) as GraphNode[]).map((n) => [n.name, n]));
  const sigDoc = (json.signature ?? (json.userDefinedMetadata?.['signature'] as Record<string, unknown> | undefined)) as
    | { inputs?: Record<string, SigEntry>; outputs?: Record<string, SigEntry> }
    | undefined;
  const sigInputs = isObject(sigDoc?.inputs) ? sigDoc.inputs : {};
  const sigOutputs = isObject(sigDoc?.outputs) ? sigDoc.outputs : {};
  const entryFor = (entries: Record<string, SigEntry>, key: string, node: string): SigEntry | undefined =>
    entries[key] ?? entries[node] ?? entries[`${node}:0`] ?? Object.values(entries).find((e) => e.name === node || e.name === `${node}:0`);

  const feedKeys = new Map<string, string>();
  const inputs: TensorInfo[] = model.inputs.map((info, i) => {
    const key = model.inputNodes[i] ?? info.name;
    const node = nodes.get(info.name);
    const entry = entryFor(sigInputs, key, info.name);
    const name = unique(publicName(info.name, key), feedKeys, info.name);
    const dtype = coreDType(info.dtype) ?? attrType(node?.attr, ['dtype']) ?? (entry?.dtype === undefined ? undefined : TF_DTYPES[entry.dtype]);
    if (dtype === undefined) throw new InprocError('MODEL_INVALID', `${source}: input "${info.name}" has dtype ${String(info.dtype ?? 'unknown')}, which Inproc tensors cannot hold`);
    const declared = protoShape(entry?.tensorShape) ?? protoShape((node?.attr?.['shape'] as { shape?: SigEntry['tensorShape'] } | undefined)?.shape);
    const fallback = info.shape === undefined ? { shape: [] as Dim[], unknownRank: true as const } : { shape: info.shape.map((d) => (d >= 0 ? d : null)) };
    const { shape, unknownRank } = declared ?? fallback;
    feedKeys.set(name, info.name);
    return unknownRank === true ? { name, dtype, shape, unknownRank } : { name, dtype, shape };
  });

  const fetchKeys = new Map<string, string>();
  const outputs: TensorInfo[] = model.outputs.map((info, i) => {
    const key = model.outputNodes[i] ?? info.name;
    const node = nodes.get(info.name);
    const entry = entryFor(sigOutputs, key, info.name);
    const name = unique(publicName(info.name, key), fetchKeys, key);
    // TF.js reports an output node's `T` attribute as its dtype, which for some ops (Where, comparisons) is the input's.
    const dtype = (entry?.dtype === undefined ? undefined : TF_DTYPES[entry.dtype]) ?? outputDType(node) ?? coreDType(info.dtype) ?? 'float32';
    const declared = protoShape(entry?.tensorShape) ?? (info.shape === undefined ? undefined : { shape: info.shape.map((d) => (d >= 0 ? d : null)) });
    fetchKeys.set(name, key);
    return declared === undefined ? { name, dtype, shape: [], unknownRank: true } : declared.unknownRank === true ? { name, dtype, shape: [], unknownRank: true } : { name, dtype, shape: declared.shape };
  });
  return { signature: { inputs, outputs }, feedKeys, fetchKeys };
}

/** Ops whose output has the element type of their input (attribute `T`). */
const SAME_TYPE_OPS: ReadonlySet<string> = new Set([
  'Identity', 'IdentityN', 'Snapshot', 'StopGradient', 'Reshape', 'Squeeze', 'ExpandDims', 'ConcatV2', 'Pack', 'Transpose', 'Slice', 'StridedSlice', 'GatherV2', 'Tile',
  'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Neg', 'Abs', 'Maximum', 'Minimum', 'Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Softmax', 'Exp', 'Log', 'Sqrt', 'Mean', 'Sum', 'Max', 'Min',
  'MatMul', 'BatchMatMulV2', 'BiasAdd', 'Conv2D', '_FusedConv2D', '_FusedMatMul', 'DepthwiseConv2dNative', 'MaxPool', 'AvgPool', 'ResizeBilinear', 'Merge', 'Switch',
]);
/** Ops that always return booleans or int32 indices. */
const FIXED_TYPE_OPS: Readonly<Record<string, 'bool' | 'int32'>> = {
  Equal: 'bool', NotEqual: 'bool', Greater: 'bool', GreaterEqual: 'bool', Less: 'bool', LessEqual: 'bool', LogicalAnd: 'bool', LogicalOr: 'bool', LogicalNot: 'bool', IsNan: 'bool',
  Where: 'int32', NonMaxSuppressionV3: 'int32', NonMaxSuppressionV4: 'int32', NonMaxSuppressionV5: 'int32', TopKV2: 'int32',
};

/** An output node's element type from its op and attributes, when they tell. */
function outputDType(node: GraphNode | undefined): DType | undefined {
  if (node === undefined) return undefined;
  const declared = attrType(node.attr, ['dtype', 'DstT', 'out_type', 'output_type', 'Tout']);
  if (declared !== undefined) return declared;
  const fixed = FIXED_TYPE_OPS[node.op];
  if (fixed !== undefined) return fixed;
  return SAME_TYPE_OPS.has(node.op) ? attrType(node.attr, ['T']) : undefined;
}

function unique(name: string, taken: ReadonlyMap<string, string>, fallback: string): string {
  return taken.has(name) ? fallback : name;
}

/**
 * Input and output names from a layers model's saved topology. TF.js renames layers when
 * a name is already taken in the process (`dense_1` -> `dense_1_1`), and a `Sequential`
 * model has no `inputNames` at all, so the model object cannot give stable names.
 */
function layersNames(json: ModelJson): { inputs: readonly string[]; outputs: readonly string[] } {
  const top = isObject(json.modelTopology['model_config']) ? json.modelTopology['model_config'] : json.modelTopology;
  const config = top['config'];
  const nameOf = (layer: unknown): string | undefined => {
    const c = isObject(layer) ? layer['config'] : undefined;
    return isObject(c) && typeof c['name'] === 'string' ? c['name'] : undefined;
  };
  if (top['class_name'] === 'Sequential') {
    const layers: unknown = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
    if (!Array.isArray(layers) || layers.length === 0) return { inputs: [], outputs: [] };
    const first: unknown = layers[0];
    const firstName = nameOf(first);
    // Keras names a Sequential model's implicit input layer after its first layer.
    const input = isObject(first) && first['class_name'] === 'InputLayer' ? firstName : firstName === undefined ? undefined : `${firstName}_input`;
    const output = nameOf(layers[layers.length - 1]);
    return { inputs: input === undefined ? [] : [input], outputs: output === undefined ? [] : [output] };
  }
  const refs = (key: string): string[] => {
    const list: unknown = isObject(config) ? config[key] : undefined;
    return Array.isArray(list) ? list.map((ref: unknown) => (Array.isArray(ref) && typeof ref[0] === 'string' ? ref[0] : '')) : [];
  };
  return { inputs: refs('input_layers'), outputs: refs('output_layers') };
}

export function layersSignature(model: Tf.LayersModel, json: ModelJson, source: string): BoundSignature {
  const names = layersNames(json);
  const feedKeys = new Map<string, string>();
  const inputs: TensorInfo[] = model.inputs.map((t, i) => {
    const name = unique(names.inputs[i] || (model.inputNames[i] ?? t.name), feedKeys, `input_${i}`);
    const dtype = coreDType(t.dtype);
    if (dtype === undefined) throw new InprocError('MODEL_INVALID', `${source}: input "${name}" has dtype ${t.dtype}, which Inproc tensors cannot hold`);
    feedKeys.set(name, String(i));
    return { name, dtype, shape: t.shape.map((d) => (d === null || d < 0 ? null : d)) };
  });
  const fetchKeys = new Map<string, string>();
  const outputs: TensorInfo[] = model.outputs.map((t, i) => {
    const name = unique(names.outputs[i] || (model.outputNames[i] ?? t.name), fetchKeys, `output_${i}`);
    fetchKeys.set(name, String(i));
    return { name, dtype: coreDType(t.dtype) ?? 'float32', shape: t.shape.map((d) => (d === null || d < 0 ? null : d)) };
  });
  return { signature: { inputs, outputs }, feedKeys, fetchKeys };
}
