/**
 * The runtimes of the `backends` suite (backend × device × where it runs) and which
 * models each runs, for the full and the quick run. Plain data, shared with the page.
 */
import { MODELS, type ModelSpec } from './models.js';

export type Where = 'node' | 'chromium';

export interface Runtime {
  readonly backend: 'onnx-node' | 'onnx-web' | 'tfjs';
  readonly device: string;
  readonly where: Where;
  /** Only probed with one model; when it is unavailable the runtime is skipped with a note. */
  readonly probe?: boolean;
}

export interface CaseSpec {
  /** `<model>@<backend>:<device>@<where>`. */
  readonly id: string;
  readonly model: ModelSpec;
  readonly runtime: Runtime;
}

export const RUNTIMES: readonly Runtime[] = [
  { backend: 'onnx-node', device: 'cpu', where: 'node' },
  { backend: 'onnx-node', device: 'cuda', where: 'node', probe: true },
  // Dawn on the machine's Vulkan/Metal/D3D12 adapter; on a machine without one it is skipped with the reason.
  { backend: 'onnx-node', device: 'webgpu', where: 'node', probe: true },
  { backend: 'onnx-web', device: 'wasm', where: 'node' },
  { backend: 'tfjs', device: 'wasm', where: 'node' },
  { backend: 'tfjs', device: 'cpu', where: 'node' },
  { backend: 'onnx-web', device: 'wasm', where: 'chromium' },
  { backend: 'onnx-web', device: 'webgpu', where: 'chromium' },
  { backend: 'tfjs', device: 'wasm', where: 'chromium' },
  { backend: 'tfjs', device: 'webgl', where: 'chromium' },
  { backend: 'tfjs', device: 'webgpu', where: 'chromium' },
];

/** `onnx-web wasm (Chromium)`. */
export function runtimeLabel(r: Runtime): string {
  return `${r.backend} ${r.device} (${r.where === 'node' ? 'Node' : 'Chromium'})`;
}

/** The quick run (CI): the synthetic models and one small real model (Node only). */
const QUICK_MODELS = new Set(['mlp-onnx', 'mlp-tfjs', 'cnn-onnx', 'cnn-tfjs', 'ocr-cls']);

/** Families whose cases also measure throughput against concurrency (it takes time). */
export const CONCURRENCY_FAMILIES = new Set(['cnn']);

export function benchmarkCases(options: { quick: boolean; where?: Where }): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const runtime of RUNTIMES) {
    if (options.where !== undefined && runtime.where !== options.where) continue;
    for (const model of MODELS) {
      if (options.quick && !QUICK_MODELS.has(model.id)) continue;
      // Quick runs keep Chromium short: synthetic models only, and only the MLP on the
      // (here emulated, slow) GPU devices.
      if (options.quick && runtime.where === 'chromium' && (model.real || (runtime.device.startsWith('web') && runtime.device !== 'wasm' && model.family !== 'mlp'))) continue;
      if ((runtime.backend === 'tfjs') !== (model.format !== 'onnx')) continue;
      out.push({ id: `${model.id}@${runtime.backend}:${runtime.device}@${runtime.where}`, model, runtime });
    }
  }
  return out;
}
