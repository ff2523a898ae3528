/**
 * WebGPU on onnxruntime-node as a first-class device: sessions created under the
 * process-wide GPU lock, failures that name the missing piece (Vulkan loader, driver,
 * adapter), the adapter in the model's metadata, and the device lists of `'gpu'` (real
 * accelerators only) and `'fastest'` (everything worth timing).
 * @module
 */
import { InprocError } from '@inproc/core';
import type * as Ort from 'onnxruntime-node';
import { type WebGpuAdapterInfo, driverList, probeAdapter, vulkanProblem } from './adapter.js';
import { AUTO_ORDER, type OnnxNodeDevice } from './devices.js';
import { type SupportedProvider, deviceProblem } from './providers.js';
import { gpuLockProblem, withGpuLock } from './gpu-lock.js';
import type * as Os from 'node:os';
import { nodeModule } from '@inproc/core/backend';

/**
 * Creates a WebGPU session in turn with other threads; explains a missing adapter. Where the
 * quiet probe (adapter.ts) already knows there is none, onnxruntime's own Dawn is not asked:
 * it would print the Vulkan loader's and Dawn's warnings on stderr, which Inproc cannot catch.
 */
export async function createWebGpuSession(create: () => Promise<Ort.InferenceSession>): Promise<Ort.InferenceSession> {
  const refused = gpuLockProblem();
  if (refused !== undefined) throw new InprocError('DEVICE_UNAVAILABLE', refused);
  const probe = await probeAdapter();
  if (probe.adapter === undefined && probe.undetermined !== true) throw new InprocError('DEVICE_UNAVAILABLE', `WebGPU has no adapter: ${probe.problem}`, { details: { adapterProblem: probe.problem, ...(probe.log === undefined ? {} : { adapterLog: probe.log }) } });
  try {
    return await withGpuLock(create);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/WebGPU adapter|WebGPU device/i.test(message)) throw error;
    throw new InprocError('DEVICE_UNAVAILABLE', `WebGPU has no adapter: ${noAdapterReason()}`, { cause: error });
  }
}

function noAdapterReason(): string {
  if (process.platform !== 'linux') return 'Dawn found no GPU adapter';
  const problem = vulkanProblem();
  if (problem !== undefined) return problem;
  return `Dawn accepted none of the Vulkan drivers present (${driverList()}); on a GPU server install the Vulkan loader and libglvnd (apt-get install libvulkan1 libglvnd0 libglx0 libegl1 libgl1) and point VK_DRIVER_FILES at the driver's ICD JSON`;
}

/**
 * `metadata.adapter` of a WebGPU session (or `adapterProblem` when it cannot be told), and
 * `adapterLog`: what Dawn printed while probed, kept off stderr (see adapter.ts).
 */
export async function webgpuMetadata(): Promise<Readonly<Record<string, unknown>>> {
  const probe = await probeAdapter();
  return { ...(probe.adapter === undefined ? { adapterProblem: probe.problem } : { adapter: probe.adapter }), ...(probe.log === undefined ? {} : { adapterLog: probe.log }) };
}

/** Why the WebGPU adapter does not count as a GPU, or `undefined` when it does. */
function notAGpu(probe: { adapter?: WebGpuAdapterInfo | undefined; problem?: string | undefined }): string | undefined {
  if (probe.adapter === undefined) return probe.problem ?? 'no adapter';
  if (probe.adapter.software) return `the adapter is a software one (${probe.adapter.description}), slower than the CPU; 'gpu' never uses software adapters`;
  return undefined;
}

/**
 * Devices `device: 'gpu'` tries, in order (CUDA, DirectML, CoreML, then WebGPU on a
 * hardware adapter), and why each other one was skipped.
 */
export async function gpuDevices(supported: readonly SupportedProvider[]): Promise<{ devices: OnnxNodeDevice[]; skipped: string[] }> {
  const devices: OnnxNodeDevice[] = [];
  const skipped: string[] = [];
  for (const device of [...AUTO_ORDER, 'webgpu'] as const) {
    const problem = deviceProblem(device, supported) ?? (device === 'webgpu' ? (gpuLockProblem() ?? notAGpu(await probeAdapter())) : undefined);
    if (problem === undefined) devices.push(device);
    else skipped.push(`${device}: ${problem}`);
  }
  return { devices, skipped };
}

/**
 * Devices `device: 'fastest'` times (the CPU first, as the baseline), and what else
 * decides the outcome (runtime version, adapter, CPU), for the decision's cache key.
 * WebGPU is timed on a software adapter too: it loses there, and measuring says so.
 * TensorRT is left out: building its engines takes minutes.
 */
export async function fastestDevices(ort: typeof Ort, supported: readonly SupportedProvider[]): Promise<{ devices: OnnxNodeDevice[]; environment: string; skipped: Record<string, string> }> {
  const devices: OnnxNodeDevice[] = ['cpu', ...AUTO_ORDER.filter((d) => deviceProblem(d, supported) === undefined)];
  const skipped: Record<string, string> = {};
  let adapter = '';
  const webgpuProblem = deviceProblem('webgpu', supported) ?? gpuLockProblem();
  if (webgpuProblem === undefined) {
    const probe = await probeAdapter();
    if (probe.adapter !== undefined) {
      devices.push('webgpu');
      adapter = `${probe.adapter.vendor}/${probe.adapter.architecture}/${probe.adapter.description}`;
    } else {
      skipped['webgpu'] = `not timed: ${probe.problem}`;
    }
  } else {
    skipped['webgpu'] = `not timed: ${webgpuProblem}`;
  }
  const cpu = nodeModule<typeof Os>('node:os').cpus();
  const environment = `onnxruntime-node ${ort.env.versions.node ?? '?'}; ${process.platform}/${process.arch}; cpu ${cpu[0]?.model ?? '?'} x${cpu.length}; adapter ${adapter}`;
  return { devices, environment, skipped };
}
