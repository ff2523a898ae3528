/**
 * The onnx-web backend as registered: the facts the registry chooses by (name, priority,
 * formats, devices), cheap to import. Its code (`backend.ts`, and onnxruntime-web with it)
 * is imported the first time the backend is a candidate; a bundler splits it into a chunk
 * of its own, fetched then.
 * @module
 */
import type { Backend } from '@inproc/core/backend';
import { ONNX_WEB_DEVICES, type OnnxWebDevice } from './devices.js';

const implementation = () => import('./backend.js');

/** Priority under `backend: 'auto'`: below onnx-node (100), which is faster in Node. */
export const ONNX_WEB_PRIORITY = 50;

/** The onnx-web backend object, registered by `inproc` (in browsers, and in Node below onnx-node). */
export const onnxWebBackend: Backend = {
  name: 'onnx-web',
  priority: ONNX_WEB_PRIORITY,
  formats: ['onnx'],
  devices: ONNX_WEB_DEVICES,
  // Not wasmPaths (where onnxruntime-web imports code from), nor provider objects or file options.
  manifestOptions: ['numThreads', 'simd', 'proxy', 'graphOptimizationLevel', 'executionMode', 'enableCpuMemArena', 'enableMemPattern', 'logSeverityLevel', 'logVerbosityLevel', 'freeDimensionOverrides', 'executionProviders'],
  isAvailable: async () => (await implementation()).isAvailable(),
  load: async (source, options) => (await implementation()).loadSession(source, options),
};

/**
 * The devices `device: 'auto'` would try here, in order (see `autoDevices` in `backend.ts`):
 * `webgpu` where an adapter and a device were really obtained and the adapter is a GPU
 * (not a software one such as SwiftShader), then `wasm`.
 */
export async function autoDevices(): Promise<readonly OnnxWebDevice[]> {
  return (await implementation()).autoDevices();
}
