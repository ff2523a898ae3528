/**
 * Model formats and the protocol's `platform` names, both ways. Triton names ONNX models
 * `onnxruntime_onnx`; TF.js has no Triton platform, so `inproc serve` follows the same
 * pattern (`tensorflowjs_graph`, `tensorflowjs_layers`).
 * @module
 */
import type { ModelFormat } from '@inproc/core';

/** The platform `inproc serve` reports and `inproc export triton` writes for each format. */
const PLATFORMS: Readonly<Record<ModelFormat, string>> = {
  onnx: 'onnxruntime_onnx',
  'tfjs-graph': 'tensorflowjs_graph',
  'tfjs-layers': 'tensorflowjs_layers',
};

/** Platforms read back to a format: the names above, and `onnx` (which some servers report). */
const FORMATS = new Map<string, ModelFormat>([...Object.entries(PLATFORMS).map(([format, platform]) => [platform, format as ModelFormat] as const), ['onnx', 'onnx']]);

/** The platform of a format (`onnx` -> `onnxruntime_onnx`). */
export function platformOf(format: ModelFormat): string {
  return PLATFORMS[format];
}

/** The format of a platform, or undefined for one Inproc does not load itself (TensorRT, PyTorch, ...). */
export function formatOf(platform: string): ModelFormat | undefined {
  return FORMATS.get(platform);
}
