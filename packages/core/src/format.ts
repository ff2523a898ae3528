/**
 * Model format sniffing: ONNX protobuf versus TensorFlow.js `model.json`, from the
 * bytes first and the file name second.
 * @module
 */
import type { ModelFormat } from './backend.js';

/**
 * The format of a model file, or `undefined` when neither the bytes nor the name tell.
 * Cheap: walks only the top level of a protobuf, or parses a JSON document.
 */
export function sniffFormat(bytes: Uint8Array, name?: string): ModelFormat | undefined {
  const first = firstNonSpace(bytes);
  if (first === 0x7b /* { */) {
    const json = tfjsFormat(bytes);
    if (json !== undefined) return json;
  } else if (looksLikeOnnx(bytes)) {
    return 'onnx';
  }
  const lower = (name ?? '').toLowerCase().split(/[?#]/)[0] ?? '';
  if (lower.endsWith('.onnx')) return 'onnx';
  return undefined;
}

/** The TF.js flavour of a `model.json`, or undefined when it is not one. @internal */
export function tfjsFormat(bytes: Uint8Array): ModelFormat | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { format, modelTopology, weightsManifest } = doc as { format?: unknown; modelTopology?: unknown; weightsManifest?: unknown };
  if (format === 'graph-model') return 'tfjs-graph';
  if (format === 'layers-model') return 'tfjs-layers';
  if (typeof modelTopology !== 'object' || modelTopology === null) return undefined;
  if (!Array.isArray(weightsManifest) && weightsManifest !== undefined) return undefined;
  const topology = modelTopology as { node?: unknown; class_name?: unknown; model_config?: unknown };
  if (Array.isArray(topology.node)) return 'tfjs-graph';
  if (typeof topology.class_name === 'string' || typeof topology.model_config === 'object') return 'tfjs-layers';
  return undefined;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  for (; i < bytes.length && i < 4096; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}

/** Wire type each known `onnx.ModelProto` field must have. */
const MODEL_PROTO_FIELDS: ReadonlyMap<number, number> = new Map([
  [1, 0], // ir_version
  [2, 2], // producer_name
  [3, 2], // producer_version
  [4, 2], // domain
  [5, 0], // model_version
  [6, 2], // doc_string
  [7, 2], // graph
  [8, 2], // opset_import
  [14, 2], // metadata_props
  [20, 2], // training_info
  [25, 2], // functions
  [26, 2], // configuration
]);

/**
 * True when the bytes parse as a protobuf message whose top-level fields are all
 * `ModelProto` fields with the right wire types, ending exactly at the end, with a
 * graph or an IR version. Nested messages are left to the backend's own parser.
 */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  let pos = 0;
  let sawGraphOrVersion = false;
  const end = bytes.length;
  const varint = (): number | undefined => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) return undefined;
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    return undefined;
  };
  while (pos < end) {
    const tag = varint();
    if (tag === undefined) return false;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const expected = MODEL_PROTO_FIELDS.get(field);
    if (expected === undefined || expected !== wire) return false;
    if (field === 1 || field === 7) sawGraphOrVersion = true;
    if (wire === 0) {
      if (varint() === undefined) return false;
    } else {
      const length = varint();
      if (length === undefined || length > end - pos) return false;
      pos += length;
    }
  }
  return sawGraphOrVersion;
}
