/**
 * Which onnxruntime-node execution providers can really be used on this machine: a provider
 * that onnxruntime-node lists but does not bundle needs its libraries beside the binding.
 * Imported by the backend's code only (not by the descriptor).
 * @module
 */
import { dirname, join } from 'node:path';
import { EXECUTION_PROVIDERS, type OnnxNodeDevice } from './devices.js';
import type * as Fs from 'node:fs';
import type * as NodeModule from 'node:module';
import { nodeModule } from '@inproc/core/backend';

const fs = nodeModule<typeof Fs>('node:fs');
const module = nodeModule<typeof NodeModule>('node:module');

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

let binding: { readonly dir: string | undefined } | undefined;

/**
 * Directory of the onnxruntime-node binding for this platform, where provider libraries must
 * sit. Found once per process (the loaded binding does not move; 'auto' asks at every load).
 */
export function bindingDirectory(): string | undefined {
  binding ??= { dir: findBindingDirectory() };
  return binding.dir;
}

function findBindingDirectory(): string | undefined {
  try {
    const require = module.createRequire(import.meta.url);
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    for (const napi of ['napi-v6', 'napi-v3']) {
      const dir = join(root, 'bin', napi, process.platform, process.arch);
      if (fs.existsSync(dir)) return dir;
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
  const missing = dir === undefined ? libraries : libraries.filter((lib) => !fs.existsSync(join(dir, lib)));
  if (missing.length === 0) return undefined;
  return `the ${device} execution provider is not installed (missing ${missing.join(', ')}${dir === undefined ? '' : ` in ${dir}`}); install onnxruntime-node with its GPU binaries: see "GPUs in Node" > "CUDA" in the Inproc README`;
}
