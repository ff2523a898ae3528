/**
 * Inproc device names and the onnxruntime-node execution providers behind them. Which
 * providers can really be used on this machine is `providers.ts` (it reads the disk, and
 * only the backend's code needs it): this module is imported by the descriptor, at
 * `import 'inproc'`, and imports nothing.
 * @module
 */

/** Devices this backend knows, mapped to ORT execution provider names. */
export const EXECUTION_PROVIDERS = {
  cpu: 'cpu',
  cuda: 'cuda',
  tensorrt: 'tensorrt',
  dml: 'dml',
  coreml: 'coreml',
  webgpu: 'webgpu',
} as const;

/** A device of this backend. */
export type OnnxNodeDevice = keyof typeof EXECUTION_PROVIDERS;

/** The devices of {@link EXECUTION_PROVIDERS}, as a list. */
export const DEVICES = Object.keys(EXECUTION_PROVIDERS) as OnnxNodeDevice[];

/**
 * Accelerators tried by `device: 'auto'`, fastest first. TensorRT is left out (its first
 * load builds engines for minutes) and so is WebGPU (on a GPU it ranges from 8x faster to
 * 12x slower than the CPU provider depending on the model, and on a machine without a GPU
 * it runs on a software adapter): ask for them by name, or use 'fastest'.
 */
export const AUTO_ORDER: readonly OnnxNodeDevice[] = ['cuda', 'dml', 'coreml'];
