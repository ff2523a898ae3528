/**
 * Inproc device names and the onnxruntime-node execution providers behind them, and
 * which providers can really be used on this machine.
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

/** Shared libraries a provider that onnxruntime-node does not bundle needs beside its binding. */
const PROVIDER_LIBRARIES: Partial<Record<OnnxNodeDevice, readonly string[]>> = {
  cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
};

/** One provider as onnxruntime-node reports it. */
export interface SupportedProvider {
  readonly name: string;
  readonly bundled: boolean;
}

/** Directory of the onnxruntime-node binding for this platform, where provider libraries must sit. */
export function bindingDirectory(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    for (const napi of ['napi-v6', 'napi-v3']) {
      const dir = join(root, 'bin', napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
  } catch {
    // not installed: reported by isAvailable()
  }
  return undefined;
}

/**
 * Why a device cannot be used, or `undefined` when it can be tried. A provider that
 * onnxruntime-node lists but does not bundle (CUDA, TensorRT on Linux) is usable only
 * once its libraries were installed beside the binding.
 */
export function deviceProblem(device: OnnxNodeDevice, supported: readonly SupportedProvider[]): string | undefined {
  const provider = supported.find((p) => p.name === EXECUTION_PROVIDERS[device]);
  if (provider === undefined) {
    return `onnxruntime-node on ${process.platform}/${process.arch} has no ${device} execution provider (it has ${supported.map((p) => p.name).join(', ')})`;
  }
  if (provider.bundled) return undefined;
  const libraries = PROVIDER_LIBRARIES[device] ?? [];
  const dir = bindingDirectory();
  const missing = dir === undefined ? libraries : libraries.filter((lib) => !existsSync(join(dir, lib)));
  if (missing.length === 0) return undefined;
  return `the ${device} execution provider is not installed (missing ${missing.join(', ')}${dir === undefined ? '' : ` in ${dir}`}); install onnxruntime-node with its GPU binaries: see "GPUs in Node" > "CUDA" in the Inproc README`;
}
