/**
 * The onnxruntime-node backend. onnxruntime-node is an optional peer: it is imported
 * the first time the backend is a candidate, and a missing package is reported by name.
 * @module
 */
import {
  type Backend,
  type BackendLoadOptions,
  type BackendRunOptions,
  type BackendSession,
  type DType,
  type Dim,
  type ModelSource,
  type Signature,
  type TensorInfo,
  InprocError,
  Tensor,
  chooseDevice,
  isDType,
  readOnnxMetadata,
  throwIfAborted,
} from '@inproc/core';
import type * as Ort from 'onnxruntime-node';
import { AUTO_ORDER, EXECUTION_PROVIDERS, type OnnxNodeDevice, type SupportedProvider, deviceProblem } from './devices.js';
import { gpuLockProblem, withGpuLock } from './gpu-lock.js';
import { createWebGpuSession, fastestDevices, gpuDevices, webgpuMetadata } from './webgpu.js';

type OrtModule = typeof Ort;

let ortModule: Promise<OrtModule> | undefined;

/** Imports onnxruntime-node once. @internal */
export function importOrt(): Promise<OrtModule> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m),
    (error: unknown) => {
      ortModule = undefined;
      throw new InprocError('BACKEND_UNAVAILABLE', 'onnx-node needs the onnxruntime-node package: npm install onnxruntime-node', { cause: error });
    },
  );
  return ortModule;
}

const DEVICES = Object.keys(EXECUTION_PROVIDERS) as OnnxNodeDevice[];

/** The onnx-node backend object, registered by `inproc` in Node. */
export const onnxNodeBackend: Backend = {
  name: 'onnx-node',
  priority: 100,
  formats: ['onnx'],
  // 'gpu' and 'fastest' choose among the devices above (see webgpu.ts and core's chooseDevice).
  devices: [...DEVICES, 'gpu', 'fastest'],
  async isAvailable() {
    const ort = await importOrt();
    return typeof ort.InferenceSession?.create === 'function';
  },
  load: loadSession,
};

/** The devices `device: 'auto'` would try here, in order (always ending with `cpu`). */
export async function autoDevices(): Promise<readonly OnnxNodeDevice[]> {
  const ort = await importOrt();
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];
  return [...AUTO_ORDER.filter((d) => deviceProblem(d, supported) === undefined), 'cpu'];
}

async function loadSession(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  const ort = await importOrt();
  const { executionProviders: userProviders, ...userOptions } = options.backendOptions as Ort.InferenceSession.SessionOptions;
  // ORT would also print every error it returns to stderr; Inproc reports them as InprocErrors.
  // Pass logSeverityLevel (0 verbose .. 4 fatal) in backendOptions to see ORT's own log.
  const sessionOptions: Ort.InferenceSession.SessionOptions = { logSeverityLevel: 4, ...userOptions };
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];

  if (options.device === 'fastest') {
    const { devices, environment } = await fastestDevices(ort, supported);
    const choice = await chooseDevice({
      source,
      devices,
      environment,
      load: (device) => loadSession(source, { ...options, device }) as Promise<OnnxNodeSession>,
      feeds: options.feeds,
      dims: options.dims,
      options: options.deviceChoice,
      signal: options.signal,
    });
    choice.session.metadata = { ...choice.session.metadata, deviceTimings: choice.timings, deviceChoice: choice.decidedBy };
    return choice.session;
  }

  let attempts: OnnxNodeDevice[];
  const failures: string[] = [];
  if (options.device === 'auto') {
    attempts = [...(await autoDevices())];
  } else if (options.device === 'gpu') {
    const { devices, skipped } = await gpuDevices(supported);
    failures.push(...skipped);
    if (devices.length === 0) throw new InprocError('DEVICE_UNAVAILABLE', `${source.name}: no GPU device is usable here; tried:\n  ${failures.join('\n  ')}`);
    attempts = [...devices];
  } else {
    const device = options.device as OnnxNodeDevice;
    if (!DEVICES.includes(device)) throw new InprocError('DEVICE_UNAVAILABLE', `onnx-node has no device "${options.device}" (it has ${DEVICES.join(', ')}, gpu, fastest)`);
    const problem = deviceProblem(device, supported) ?? (device === 'webgpu' ? gpuLockProblem() : undefined);
    if (problem !== undefined) throw new InprocError('DEVICE_UNAVAILABLE', problem);
    attempts = [device];
  }

  for (const device of attempts) {
    throwIfAborted(options.signal, 'the load');
    const providers = userProviders ?? [EXECUTION_PROVIDERS[device]];
    const create = (): Promise<Ort.InferenceSession> => ort.InferenceSession.create(source.bytes, { ...sessionOptions, executionProviders: providers });
    let session: Ort.InferenceSession;
    try {
      session = device === 'webgpu' ? await createWebGpuSession(create) : await create();
    } catch (error) {
      failures.push(`${device}: ${firstLine(error)}`);
      if (device === 'cpu') throw new InprocError('MODEL_INVALID', `${source.name}: onnxruntime could not load the model: ${firstLine(error)}`, { cause: error });
      if (device !== attempts.at(-1)) continue; // 'auto' and 'gpu': try the next device
      // The last accelerator failed: the model's fault or the device's? Ask the CPU provider.
      const onCpu = await ort.InferenceSession.create(source.bytes, { ...sessionOptions, executionProviders: ['cpu'] }).catch(() => undefined);
      if (onCpu === undefined) throw new InprocError('MODEL_INVALID', `${source.name}: onnxruntime could not load the model: ${firstLine(error)}`, { cause: error });
      await onCpu.release();
      if (options.device === 'gpu') throw new InprocError('DEVICE_UNAVAILABLE', `${source.name}: no GPU device could load the model; tried:\n  ${failures.join('\n  ')}`, { cause: error });
      throw new InprocError('DEVICE_UNAVAILABLE', `${source.name}: the ${device} execution provider failed: ${firstLine(error)}`, { cause: error });
    }
    try {
      const extra = device === 'webgpu' ? await webgpuMetadata() : {};
      return new OnnxNodeSession(ort, session, source, device, options.device === 'auto' ? failures : [], extra);
    } catch (error) {
      await (device === 'webgpu' ? withGpuLock(() => session.release()) : session.release());
      throw error;
    }
  }
  throw new InprocError('MODEL_INVALID', `${source.name}: onnxruntime could not load the model:\n  ${failures.join('\n  ')}`);
}

class OnnxNodeSession implements BackendSession {
  readonly signature: Signature;
  readonly device: string;
  readonly bytes: number;
  readonly concurrency = 1; // onnxruntime-node runs synchronously on the JS thread
  /** Set once more by 'fastest' (timings), before the session is handed to a Model. */
  metadata: Readonly<Record<string, unknown>>;
  readonly #ort: OrtModule;
  readonly #session: Ort.InferenceSession;
  readonly #label: string;
  /** WebGPU sessions take turns with every other thread's (see gpu-lock.ts). */
  readonly #gpu: boolean;

  constructor(ort: OrtModule, session: Ort.InferenceSession, source: ModelSource, device: OnnxNodeDevice, fallbacks: readonly string[], extra: Readonly<Record<string, unknown>>) {
    this.#ort = ort;
    this.#session = session;
    this.device = device;
    this.#gpu = device === 'webgpu';
    this.bytes = source.bytes.byteLength;
    this.#label = `onnx-node ${source.name}`;
    this.signature = {
      inputs: session.inputMetadata.map((m) => toInfo(m, source.name, 'input')),
      outputs: session.outputMetadata.map((m) => toInfo(m, source.name, 'output')),
    };
    const onnx = readOnnxMetadata(source.bytes);
    this.metadata = { ...(onnx ?? {}), ...(fallbacks.length ? { fallbacks } : {}), ...extra };
  }

  run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    // The hot path of every Model.run: wrap, run, unwrap, with one continuation.
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const name in feeds) {
      const tensor = feeds[name]!;
      // Wraps the caller's typed array (no copy). It lives in JS memory, so it is not a native tensor of the ledger.
      ortFeeds[name] = new this.#ort.Tensor(tensor.dtype, tensor.data, tensor.shape);
    }
    const { outputs } = options;
    // Ask only for a subset when one was requested: ORT computes just what those need.
    const start = (): Promise<Ort.InferenceSession.ReturnType> => (outputs.length === this.signature.outputs.length ? this.#session.run(ortFeeds) : this.#session.run(ortFeeds, outputs as string[]));
    const pending = this.#gpu ? withGpuLock(start, options.signal) : start();
    return pending.then(
      (results) => {
        const converted: Record<string, Tensor> = {};
        for (const name of outputs) {
          const value = results[name];
          if (value === undefined) throw new InprocError('RUN_FAILED', `${this.#label}: onnxruntime returned no output "${name}"`);
          try {
            converted[name] = toCoreTensor(value, name, this.#label);
          } finally {
            // A CPU output's data is ordinary GC-managed memory now owned by the core tensor;
            // only device-located outputs hold something dispose() must free.
            if (value.location !== 'cpu') value.dispose();
          }
        }
        return converted;
      },
      (error: unknown) => {
        if (InprocError.is(error)) throw error; // ABORTED while waiting for the WebGPU device
        throw new InprocError('RUN_FAILED', `${this.#label}: ${firstLine(error)}`, { cause: error });
      },
    );
  }

  async dispose(): Promise<void> {
    await (this.#gpu ? withGpuLock(() => this.#session.release()) : this.#session.release());
  }
}

function toCoreTensor(value: Ort.Tensor, name: string, label: string): Tensor {
  const dtype = value.type as DType;
  if (!isDType(dtype)) throw new InprocError('RUN_FAILED', `${label}: output "${name}" has element type ${value.type}, which Inproc tensors do not support`);
  // The output's typed array is handed over as is (zero copy); ORT keeps no reference to CPU outputs.
  return new Tensor(dtype, value.data, value.dims);
}

function toInfo(meta: Ort.InferenceSession.ValueMetadata, source: string, kind: string): TensorInfo {
  if (!meta.isTensor) {
    throw new InprocError('MODEL_INVALID', `${source}: ${kind} "${meta.name}" is not a tensor (sequences and maps are not supported)`);
  }
  const type = meta.type === 'float16' ? 'float16' : meta.type;
  if (!isDType(type)) throw new InprocError('MODEL_INVALID', `${source}: ${kind} "${meta.name}" has element type ${meta.type}, which Inproc does not support`);
  const shape: Dim[] = meta.shape.map((d) => (typeof d === 'number' ? (d >= 0 ? d : null) : d === '' ? null : d));
  return { name: meta.name, dtype: type, shape };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
