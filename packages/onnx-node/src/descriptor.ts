/**
 * The onnx-node backend as registered: the facts the registry chooses by (name, priority,
 * formats, devices), cheap to import. Its code (`backend.ts`, and onnxruntime-node with it)
 * is imported the first time the backend is a candidate, so a process that never loads an
 * ONNX model on it, or imports `inproc` only, pays nothing for it.
 * @module
 */
import type { Backend } from '@inproc/core/backend';
import { DEVICES, type OnnxNodeDevice } from './devices.js';
// Not lazy: the process-wide WebGPU lock is created by the main thread when it imports this
// module, so that isolation workers (which load backend.ts themselves) and the
// application's own workers started afterwards share it (see gpu-lock.ts). Cheap: no runtime.
import './gpu-lock.js';

const implementation = () => import('./backend.js');

/** The onnx-node backend object, registered by `inproc` in Node. */
export const onnxNodeBackend: Backend = {
  name: 'onnx-node',
  priority: 100,
  formats: ['onnx'],
  // 'gpu' and 'fastest' choose among the devices above (see webgpu.ts and core's chooseDevice).
  devices: [...DEVICES, 'gpu', 'fastest'],
  // SessionOptions that name no file (optimizedModelFilePath, profileFilePrefix), take no provider
  // objects (TensorRT cache paths) and no free-form config entries (extra).
  manifestOptions: ['intraOpNumThreads', 'interOpNumThreads', 'graphOptimizationLevel', 'executionMode', 'enableCpuMemArena', 'enableMemPattern', 'logSeverityLevel', 'logVerbosityLevel', 'freeDimensionOverrides', 'executionProviders'],
  isAvailable: async () => (await implementation()).isAvailable(),
  load: async (source, options) => (await implementation()).loadSession(source, options),
};

/** The devices `device: 'auto'` would try here, in order (always ending with `cpu`). */
export async function autoDevices(): Promise<readonly OnnxNodeDevice[]> {
  return (await implementation()).autoDevices();
}
