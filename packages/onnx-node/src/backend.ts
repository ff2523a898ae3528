/**
 * The onnxruntime-node backend's code, imported by its descriptor (`onnxNodeBackend`
 * in `descriptor.ts`) the first time the backend is a candidate. onnxruntime-node is an
 * optional peer, imported then too; a missing package is reported by name.
 * @module
 */
import { type DType, type DataTypeMap, type DeviceChoiceMetadata, type Signature, InprocError, type Tensor, isDType } from '@inproc/core';
import { type BackendLoadOptions, type BackendRunOptions, type BackendSession, type ModelSource, type SplitRun, chooseDevice, firstLine, lazyPeer, openOnDevices, ortSessionInfo, ortStorage, resolveExternalData, trustedTensor } from '@inproc/core/backend';
import type * as Ort from 'onnxruntime-node';
import { AUTO_ORDER, DEVICES, EXECUTION_PROVIDERS, type OnnxNodeDevice } from './devices.js';
import { type SupportedProvider, deviceProblem } from './providers.js';
import { gpuLockProblem, withGpuLock } from './gpu-lock.js';
import { withSessionDefaults } from './session-defaults.js';
import { createWebGpuSession, fastestDevices, gpuDevices, webgpuMetadata } from './webgpu.js';

type OrtModule = typeof Ort;

// Absent where cross-origin isolation is off (browsers); Node always has it.
const SharedArrayBufferClass: abstract new (...args: never[]) => object = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : class Never {};


/**
 * Imports onnxruntime-node once. Hidden from bundlers (a native addon that only Node loads): a
 * server bundle that reaches this package (Next.js, a bundled Node app) builds without it
 * installed, and Node resolves it at run time. @internal
 */
export const importOrt = lazyPeer<OrtModule>('onnxruntime-node', () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ 'onnxruntime-node'), { neededBy: 'onnx-node' });

/** Whether onnxruntime-node can be imported here (`Backend.isAvailable` of `onnxNodeBackend`). */
export async function isAvailable(): Promise<boolean> {
  const ort = await importOrt();
  return typeof ort.InferenceSession?.create === 'function';
}

/** The devices `device: 'auto'` would try here, in order (always ending with `cpu`); see `autoDevices` of the descriptor. */
export async function autoDevices(): Promise<readonly OnnxNodeDevice[]> {
  const ort = await importOrt();
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];
  return [...AUTO_ORDER.filter((d) => deviceProblem(d, supported) === undefined), 'cpu'];
}

/** Creates a session (`Backend.load` of `onnxNodeBackend`). */
export async function loadSession(source: ModelSource, options: BackendLoadOptions): Promise<BackendSession> {
  const ort = await importOrt();
  const { executionProviders: userProviders, ...userOptions } = options.backendOptions as Ort.InferenceSession.SessionOptions;
  // ORT would also print every error it returns to stderr; Inproc reports them as InprocErrors.
  // Pass logSeverityLevel (0 verbose .. 4 fatal) in backendOptions to see ORT's own log.
  // Process-wide defaults (setSessionDefaults: inproc serve turns spinning off) under the load's own options.
  const sessionOptions: Ort.InferenceSession.SessionOptions = withSessionDefaults({ logSeverityLevel: 4, ...userOptions });
  const supported = ort.listSupportedBackends() as readonly SupportedProvider[];

  if (options.device === 'fastest') {
    const { devices, environment, skipped } = await fastestDevices(ort, supported);
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
    const choiceMetadata: DeviceChoiceMetadata = { deviceTimings: choice.timings, deviceErrors: { ...skipped, ...choice.errors }, deviceChoice: choice.decidedBy };
    choice.session.metadata = { ...choice.session.metadata, ...choiceMetadata };
    return choice.session;
  }

  let attempts: OnnxNodeDevice[];
  let skipped: readonly string[] = [];
  if (options.device === 'auto') {
    attempts = [...(await autoDevices())];
  } else if (options.device === 'gpu') {
    const gpus = await gpuDevices(supported);
    skipped = gpus.skipped;
    if (gpus.devices.length === 0) throw new InprocError('DEVICE_UNAVAILABLE', `${source.name}: no GPU device is usable here; tried:\n  ${skipped.join('\n  ')}`);
    attempts = [...gpus.devices];
  } else {
    const device = options.device as OnnxNodeDevice;
    if (!DEVICES.includes(device)) throw new InprocError('DEVICE_UNAVAILABLE', `onnx-node has no device "${options.device}" (it has ${DEVICES.join(', ')}, gpu, fastest)`);
    const problem = deviceProblem(device, supported) ?? (device === 'webgpu' ? gpuLockProblem() : undefined);
    if (problem !== undefined) throw new InprocError('DEVICE_UNAVAILABLE', problem);
    attempts = [device];
  }

  // A model with external data loads from its path, so that onnxruntime reads those files from
  // the model's directory (checked first), never from the process's working directory.
  const model = (await resolveExternalData(source)).length > 0 ? source.path! : source.bytes;
  const opened = await openOnDevices<Ort.InferenceSession>({
    runtime: 'onnxruntime',
    source: source.name,
    devices: attempts,
    fallback: 'cpu',
    skipped,
    signal: options.signal,
    create: (device, probe) => {
      const create = (): Promise<Ort.InferenceSession> =>
        createSession(ort, model, { ...sessionOptions, executionProviders: probe ? [EXECUTION_PROVIDERS[device as OnnxNodeDevice]] : (userProviders ?? [EXECUTION_PROVIDERS[device as OnnxNodeDevice]]) });
      return device === 'webgpu' ? createWebGpuSession(create) : create();
    },
    // Probes run on the CPU only: no WebGPU session is ever released here.
    release: (session) => session.release(),
  });
  const device = opened.device as OnnxNodeDevice;
  try {
    const extra = device === 'webgpu' ? await webgpuMetadata() : {};
    return new OnnxNodeSession(ort, opened.session, source, device, options.device === 'auto' ? opened.failures : [], extra);
  } catch (error) {
    await (device === 'webgpu' ? withGpuLock(() => opened.session.release()) : opened.session.release());
    throw error;
  }
}

/** A session from a model's bytes, or from its path when its external data must be found beside it. */
function createSession(ort: OrtModule, model: Uint8Array | string, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
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
  readonly #handler: SessionHandler | undefined;
  /** Fetches naming every output, made once. */
  readonly #allOutputs: Readonly<Record<string, null>>;
  readonly #label: string;
  /** WebGPU sessions take turns with every other thread's (see gpu-lock.ts). */
  readonly #gpu: boolean;

  constructor(ort: OrtModule, session: Ort.InferenceSession, source: ModelSource, device: OnnxNodeDevice, fallbacks: readonly string[], extra: Readonly<Record<string, unknown>>) {
    this.#ort = ort;
    this.#session = session;
    this.#handler = sessionHandler(session);
    this.device = device;
    this.#gpu = device === 'webgpu';
    this.bytes = source.bytes.byteLength;
    this.#label = `onnx-node ${source.name}`;
    const info = ortSessionInfo(session, source, fallbacks);
    this.signature = info.signature;
    this.metadata = { ...info.metadata, ...extra };
    this.#allOutputs = Object.fromEntries(this.signature.outputs.map((o) => [o.name, null]));
  }

  /** Model.run's fast path makes the outputs in its own continuation (see core's SplitRun). */
  get split(): SplitRun {
    return this;
  }

  run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    return this.start(feeds, options).then(
      (results) => this.outputs(results, options),
      (error: unknown) => {
        throw this.error(error);
      },
    );
  }

  /** The hot path of every Model.run: wrap the inputs, start the run. */
  start(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Ort.Tensor>> {
    const handler = this.#handler;
    const ortFeeds: Record<string, Ort.Tensor | OrtInput> = {};
    for (const name in feeds) {
      const tensor = feeds[name]!;
      const data = tensor.data;
      // Wraps the caller's typed array (no copy). It lives in JS memory, so it is not a native tensor of the ledger.
      // onnxruntime-node refuses shared memory ("Invalid argument"): such inputs are copied.
      const own = Array.isArray(data) || !(data.buffer instanceof SharedArrayBufferClass) ? data : data.slice();
      // The session handler's binding reads location, type, dims and data (float16 as its raw bits), so
      // validated feeds go over as plain records: an ort.Tensor would check them again on every call.
      ortFeeds[name] =
        handler !== undefined
          ? { location: 'cpu', type: tensor.dtype, dims: tensor.shape, data: own }
          : tensor.dtype === 'float16' && HAS_FLOAT16_ARRAY
            ? float16Input(this.#ort, own as Uint16Array, tensor.shape)
            : new this.#ort.Tensor(tensor.dtype, own, tensor.shape);
    }
    const { outputs } = options;
    // Ask only for a subset when one was requested: ORT computes just what those need.
    const fetches = outputs.length === this.signature.outputs.length ? this.#allOutputs : Object.fromEntries(outputs.map((name) => [name, null]));
    if (this.#gpu) return withGpuLock(() => this.#begin(ortFeeds, fetches), options.signal);
    return this.#begin(ortFeeds, fetches);
  }

  #begin(ortFeeds: Record<string, Ort.Tensor | OrtInput>, fetches: Readonly<Record<string, null>>): Promise<Record<string, Ort.Tensor>> {
    return this.#handler === undefined ? this.#session.run(ortFeeds as Record<string, Ort.Tensor>, fetches) : this.#handler.run(ortFeeds, fetches, EMPTY_RUN_OPTIONS);
  }

  /** onnxruntime's results as core tensors, handed over without a copy. */
  outputs(result: unknown, options: BackendRunOptions): Record<string, Tensor> {
    const results = result as Record<string, Ort.Tensor>;
    const converted: Record<string, Tensor> = {};
    for (const name of options.outputs) {
      const value = results[name];
      if (value === undefined) throw new InprocError('RUN_FAILED', `${this.#label}: onnxruntime returned no output "${name}"`);
      // A CPU output's data is ordinary GC-managed memory now owned by the core tensor;
      // only device-located outputs hold something dispose() must free.
      if (value.location !== 'cpu') {
        try {
          converted[name] = toCoreTensor(value, name, this.#label);
        } finally {
          value.dispose();
        }
      } else converted[name] = toCoreTensor(value, name, this.#label);
    }
    return converted;
  }

  error(error: unknown): unknown {
    if (InprocError.is(error)) return error; // ABORTED while waiting for the WebGPU device
    return new InprocError('RUN_FAILED', `${this.#label}: ${firstLine(error)}`, { cause: error });
  }

  async dispose(): Promise<void> {
    await (this.#gpu ? withGpuLock(() => this.#session.release()) : this.#session.release());
  }
}

/** An input as the session handler's binding reads it (what an ort.Tensor on the CPU holds). */
interface OrtInput {
  readonly location: 'cpu';
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** The part of onnxruntime-common's session handler that `InferenceSession.run` calls. */
interface SessionHandler {
  run(feeds: Record<string, Ort.Tensor | OrtInput>, fetches: Readonly<Record<string, null>>, options: Ort.InferenceSession.RunOptions): Promise<Record<string, Ort.Tensor>>;
}

const EMPTY_RUN_OPTIONS: Ort.InferenceSession.RunOptions = Object.freeze({});

/**
 * The session's handler, when this onnxruntime has one: `InferenceSession.run` re-checks the
 * feeds and fetches Inproc has already validated against the signature, adds an async frame
 * and copies the results record before calling exactly this, with the same arguments. On a
 * model that runs in tens of microseconds that is ~1 µs a call (benchmarks/overhead). Absent
 * (another onnxruntime layout): the public run().
 */
function sessionHandler(session: Ort.InferenceSession): SessionHandler | undefined {
  const handler = (session as unknown as { handler?: { run?: unknown } }).handler;
  return typeof handler === 'object' && handler !== null && typeof handler.run === 'function' ? (handler as SessionHandler) : undefined;
}

function toCoreTensor(value: Ort.Tensor, name: string, label: string): Tensor {
  const dtype = value.type as DType;
  if (!isDType(dtype)) throw new InprocError('RUN_FAILED', `${label}: output "${name}" has element type ${value.type}, which Inproc tensors do not support`);
  // The output's typed array is handed over as is (zero copy); ORT keeps no reference to CPU outputs.
  // onnxruntime made storage of the element type and size its dims say: nothing to check again.
  return trustedTensor(dtype, ortStorage<DataTypeMap[DType]>(dtype, value.data), value.dims);
}

/** Node 24 and newer have a native Float16Array. */
const HAS_FLOAT16_ARRAY = typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function';

/**
 * A float16 input for onnxruntime-node. Where the runtime has a Float16Array (Node 24+),
 * onnxruntime-common turns float16 data into one, and onnxruntime-node's native binding
 * (1.30) reads that as empty ("not enough space: expected 4, got 0"). So it is handed the raw
 * bits as a uint16 tensor whose element type is then named float16: what the binding reads.
 */
function float16Input(ort: OrtModule, bits: Uint16Array, dims: readonly number[]): Ort.Tensor {
  const tensor = new ort.Tensor('uint16', bits, dims);
  (tensor as unknown as { type: string }).type = 'float16';
  return tensor;
}
